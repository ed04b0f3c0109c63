"""Accounts and product holdings of one chunk: which products each customer holds, since when,
and which share of the customer's AUM sits in each.

Holdings follow the customer: time deposits rise with age and AUM, wealth products with AUM and
risk tolerance, funds with youth and tolerance, insurance in mid-life; loans come from
:mod:`finecrm.synth.loans`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from finecrm.synth.arrays import dates, digits, fixed_strings, take
from finecrm.synth.calendar import Calendar
from finecrm.synth.customers import DECLINING, DORMANT, LOST, NEW, OCC, Customers
from finecrm.synth.loans import LOAN_PRODUCTS, Loans
from finecrm.synth.org import Org
from finecrm.synth.products import FUNDS, INDEX, PRODUCTS, TIME_DEPOSIT_P, TIME_DEPOSITS, WEALTH_BY_RISK

STATUSES = ["active", "dormant", "frozen", "closed"]
ACTIVE, DORMANT_STATUS, FROZEN, CLOSED = range(4)
CATEGORY = np.array([p.category for p in PRODUCTS])
PREFIX = np.array([int(p.prefix) for p in PRODUCTS], dtype=np.int64)
NO_DAY = -1


@dataclass
class Accounts:
    """Accounts of one chunk as parallel arrays; ``primary[c]`` is customer ``c``'s settlement account."""

    cust: np.ndarray
    product: np.ndarray  # index into PRODUCTS
    open_day: np.ndarray
    close_day: np.ndarray  # NO_DAY while open
    status: np.ndarray
    outlet: np.ndarray  # outlet index (opening branch)
    operator: np.ndarray  # staff index, -1: none (self-service)
    share: np.ndarray  # share of the customer's AUM level
    loan: np.ndarray  # loan index for loan accounts, else -1
    primary: np.ndarray  # per customer

    @property
    def n(self) -> int:
        return int(self.cust.size)

    @property
    def category(self) -> np.ndarray:
        return CATEGORY[self.product]

    def add(self, **cols: np.ndarray) -> np.ndarray:
        """Append accounts (missing columns get defaults); returns the new rows' indices."""
        k = int(np.asarray(cols["cust"]).size)
        defaults = {"close_day": NO_DAY, "status": ACTIVE, "operator": -1, "share": 0.0, "loan": -1}
        start = self.n
        for f in fields(self):
            if f.name == "primary":
                continue
            old = getattr(self, f.name)
            new = np.asarray(cols.get(f.name, np.full(k, defaults.get(f.name, 0))), dtype=old.dtype)
            setattr(self, f.name, np.concatenate([old, np.broadcast_to(new, (k,))]))
        return np.arange(start, start + k)

    def ids(self, chunk: int) -> pa.Array:
        """16-digit account numbers: product prefix (4) + chunk (4) + sequence (8)."""
        return fixed_strings([digits(PREFIX[self.product], 4), digits(np.full(self.n, chunk), 4),
                              digits(np.arange(self.n), 8)])


def build(rng: np.random.Generator, cust: Customers, org: Org, loans: Loans, cal: Calendar) -> Accounts:
    n = cust.n
    ind = ~cust.corporate
    age = np.where(ind, cust.age, 45)
    aum = cust.aum
    lg = np.log10(np.maximum(aum, 1) / 50_000)
    tol = cust.risk_tolerance
    active = (cust.pattern != DORMANT) & ~cust.reserved
    simple = cust.reserved  # case actors hold a settlement account only (their cases add the rest)
    slots_cust: list[np.ndarray] = []
    slots_prod: list[np.ndarray] = []
    slots_share: list[np.ndarray] = []
    slots_order: list[np.ndarray] = []

    def slot(mask: np.ndarray, product: np.ndarray | int, share: np.ndarray, order: int) -> None:
        idx = np.flatnonzero(mask)
        slots_cust.append(idx)
        slots_prod.append(np.broadcast_to(np.asarray(product), (n,))[idx])
        slots_share.append(share[idx])
        slots_order.append(np.full(idx.size, order))

    def sig(x: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-x))

    # settlement account: everybody; more of the money sits here for the young and for companies
    slot(np.ones(n, bool), np.where(ind, INDEX["DD01"], INDEX["DD02"]),
         rng.gamma(2.0, 1.0, n) * np.where(age < 35, 1.6, 1.0) * np.where(ind, 1.0, 2.5), 0)
    # time deposits: older and wealthier customers keep more of their money in 定期
    p_td = sig(-0.6 + 0.045 * (age - 45) + 1.1 * lg) * (aum > 3_000)
    n_td = (rng.random(n) < p_td) * (1 + (rng.random(n) < sig(lg - 0.5)) + (rng.random(n) < sig(lg - 1.5)))
    n_td = np.where(ind | (aum > 500_000), n_td, 0)
    n_td = np.where(cust.corporate, np.minimum(n_td, 1), n_td)
    for j in range(3):
        td_prod = np.where(ind, rng.choice([INDEX[c] for c in TIME_DEPOSITS], size=n, p=TIME_DEPOSIT_P),
                           INDEX["TDC1"])
        td_prod = np.where(ind & (aum > 300_000) & (rng.random(n) < 0.4), INDEX["CD36"], td_prod)
        slot(n_td > j, td_prod, rng.gamma(3.0, 1.0, n) * (1 + 0.03 * np.clip(age - 40, 0, 40)), 1 + j)
    # wealth management (理财): needs money and the matching risk tolerance
    p_wm = sig(-1.7 + 1.6 * lg + 0.35 * (tol - 3)) * ind * (aum > 30_000) * active
    has_wm = rng.random(n) < p_wm
    wm_risk = np.clip(tol - (rng.random(n) < 0.5), 1, 4)
    wm_prod = np.array([INDEX[WEALTH_BY_RISK[int(r)]] for r in range(1, 5)])[wm_risk - 1]
    slot(has_wm, wm_prod, rng.gamma(2.5, 1.0, n), 4)
    slot(has_wm & (rng.random(n) < 0.3) & (aum > 300_000), INDEX["WM01"], rng.gamma(1.5, 1.0, n), 5)
    # funds (代销基金): younger, risk-tolerant customers
    p_fd = sig(-2.6 + 1.0 * lg + 0.6 * (tol - 3) - 0.04 * (age - 40)) * ind * (aum > 20_000) * (tol >= 3) * active
    fund_risk = np.clip(tol, 3, 5)
    fd_prod = np.where(fund_risk >= 5, INDEX["FD04"], np.where(fund_risk == 4,
                       np.array([INDEX[f] for f in FUNDS])[rng.integers(1, 3, n)], INDEX["FD01"]))
    slot(rng.random(n) < p_fd, fd_prod, rng.gamma(1.5, 1.0, n), 6)
    # insurance (代理保险): mid-life savers
    p_in = sig(-2.4 + 0.9 * lg) * ind * (age >= 28) * (age <= 65) * (aum > 20_000) * active
    slot(rng.random(n) < p_in, np.where(age > 45, INDEX["IN02"], INDEX["IN01"]), rng.gamma(1.2, 1.0, n) * 0.6, 7)
    # a second card: social-security cards for older rural people, spare debit cards for others
    social = ind & ~cust.urban & (age >= 50) & (rng.random(n) < 0.18)
    spare = ind & ~social & (rng.random(n) < 0.05)
    slot(social | spare, np.where(social, INDEX["DC02"], INDEX["DC01"]), np.full(n, 0.03), 8)
    # credit cards: working-age, employed or urban
    employed = np.isin(cust.occupation, [OCC["公务员"], OCC["教师"], OCC["企业职员"], OCC["医生"], OCC["个体工商户"]])
    p_cc = ind * (age >= 22) * (age <= 58) * np.where(employed, 0.22, 0.05) * np.where(cust.urban, 1.4, 0.8)
    slot((rng.random(n) < p_cc) & active, INDEX["CC01"], np.zeros(n), 9)

    acc_cust = np.concatenate(slots_cust)
    acc_order = np.concatenate(slots_order)
    keep = ~simple[acc_cust] | (acc_order == 0)
    acc_cust = acc_cust[keep]
    acc_prod = np.concatenate(slots_prod).astype(np.int64)[keep]
    acc_share = np.concatenate(slots_share)[keep]
    acc_order = acc_order[keep]
    # loans: one account each
    loan_prod = np.array([INDEX[c] for c in LOAN_PRODUCTS])[loans.product]
    acc_cust = np.concatenate([acc_cust, loans.cust])
    acc_prod = np.concatenate([acc_prod, loan_prod])
    acc_share = np.concatenate([acc_share, np.zeros(loans.n)])
    acc_order = np.concatenate([acc_order, np.full(loans.n, 10)])
    acc_loan = np.concatenate([np.full(acc_order.size - loans.n, -1), np.arange(loans.n)])
    order = np.lexsort((acc_order, acc_cust))  # grouped by customer, settlement account first
    acc_cust, acc_prod, acc_share, acc_loan, acc_order = (
        acc_cust[order], acc_prod[order], acc_share[order], acc_loan[order], acc_order[order]
    )
    m = acc_cust.size
    # shares of the AUM level per customer (credit cards and loans hold none)
    totals = np.zeros(n)
    np.add.at(totals, acc_cust, acc_share)
    acc_share = acc_share / np.maximum(totals[acc_cust], 1e-9)

    # open dates: the settlement account on the customer's first day, the rest later
    c_open = cust.open_day[acc_cust]
    span = np.maximum(cal.as_of_day - 1 - c_open, 0)
    later = c_open + (rng.random(m) ** 0.7 * span).astype(np.int64)
    is_new = cust.pattern[acc_cust] == NEW
    later = np.where(is_new, c_open + (rng.random(m) * np.minimum(span, 20)).astype(np.int64), later)
    open_day = np.where(acc_order == 0, c_open, later)
    wm_or_fund = np.isin(CATEGORY[acc_prod], ["wealth", "fund"])
    open_day = np.where(wm_or_fund, np.maximum(open_day, c_open + 30), open_day)
    open_day = np.minimum(open_day, cal.as_of_day - 1)
    is_loan = acc_loan >= 0
    open_day = np.where(is_loan, loans.start_day[np.maximum(acc_loan, 0)], open_day)
    # a dormant customer's money has not moved for a long time: nothing opened in the last 13 months
    dorm = cust.pattern[acc_cust] == DORMANT
    open_day = np.where(dorm & ~is_loan, np.minimum(open_day, c_open + (cal.as_of_day - 400 - c_open) // 2), open_day)

    close_day = np.full(m, NO_DAY, dtype=np.int64)
    lost = cust.pattern[acc_cust] == LOST
    close_day[lost] = np.maximum(cust.close_day[acc_cust[lost]], open_day[lost])
    # some time deposits mature and wealth positions are redeemed before the daily window
    room = cal.series_start - 1 - (cal.window_start + 10)
    if room > 20:
        cat = CATEGORY[acc_prod]
        closes = ~lost & ~is_loan & (acc_order > 0) & np.isin(cat, ["time_deposit", "wealth", "fund"])
        closes &= rng.random(m) < np.where(cat == "time_deposit", 0.04, 0.06)
        closes &= (cust.pattern[acc_cust] != DECLINING) & (cust.pattern[acc_cust] != DORMANT)
        when = cal.window_start + 10 + (rng.random(m) * room).astype(np.int64)
        closes &= when > open_day + 30
        close_day = np.where(closes, when, close_day)
    close_day = np.where(is_loan, loans.close_day[np.maximum(acc_loan, 0)], close_day)

    status = np.full(m, ACTIVE, dtype=np.int64)
    status[(acc_order == 0) & dorm & (rng.random(m) < 0.6)] = DORMANT_STATUS
    status[(acc_order == 0) & ~dorm & ~lost & (rng.random(m) < 0.0015)] = FROZEN
    status[close_day >= 0] = CLOSED

    # opening branch and teller: the customer's outlet, now and then another outlet of the bank
    outlet = cust.outlet[acc_cust].copy()
    elsewhere = (acc_order > 0) & (rng.random(m) < 0.05)
    outlet[elsewhere] = rng.choice(org.n_outlets, size=int(elsewhere.sum()), p=org.outlet_weight)
    self_service = wm_or_fund & (rng.random(m) < 0.4)
    operator = org.outlet_tellers(outlet, rng.random(m))
    operator = np.where(self_service, -1, operator)

    primary = np.full(n, -1, dtype=np.int64)
    first_rows = np.flatnonzero(acc_order == 0)
    primary[acc_cust[first_rows]] = first_rows
    accounts = Accounts(cust=acc_cust, product=acc_prod, open_day=open_day, close_day=close_day,
                        status=status, outlet=outlet, operator=operator, share=acc_share, loan=acc_loan,
                        primary=primary)
    loans.account = np.full(loans.n, -1, dtype=np.int64)
    loans.account[acc_loan[is_loan]] = np.flatnonzero(is_loan)
    return accounts


#: Products whose accounts have a maturity date: time deposits and wealth products with a term (not loans: their
#: maturity is in ``loans``).
TERM_MONTHS = np.array([p.term_months if p.term_months and p.category in ("time_deposit", "wealth") else 0
                        for p in PRODUCTS], dtype=np.int64)


def _plus_months(day: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Day numbers ``months`` calendar months after ``day`` (the day of month kept, else the month's last day)."""
    d = day.astype("datetime64[D]")
    start = d.astype("datetime64[M]")
    dom = (d - start.astype("datetime64[D]")).astype(np.int64)
    target = start + months.astype("timedelta64[M]")
    last = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return (target.astype("datetime64[D]") + np.minimum(dom, last - 1)).astype(np.int64)


def maturity_days(acc: Accounts, as_of_day: int) -> np.ndarray:
    """Each account's maturity (day number; NO_DAY without a term).

    A term runs ``term_months`` from the open date and renews automatically (自动转存) while the account is
    open: an open account's maturity is its first term end after the as-of date; a closed account's is the
    first term end on or after its close (an early redemption leaves the term's end after the close).
    """
    term = TERM_MONTHS[acc.product]
    has = term > 0
    ref = np.where(acc.close_day >= 0, acc.close_day, as_of_day + 1)
    months_open = ((ref.astype("datetime64[D]").astype("datetime64[M]")
                    - acc.open_day.astype("datetime64[D]").astype("datetime64[M]")).astype(np.int64))
    k = np.maximum(months_open // np.maximum(term, 1), 1)
    out = _plus_months(acc.open_day, k * term)
    for _ in range(2):  # the month count can be one term short (day of month); at most two steps needed
        short = has & (out < ref)
        k = np.where(short, k + 1, k)
        out = np.where(short, _plus_months(acc.open_day, k * term), out)
    return np.where(has, out, NO_DAY)


def table(acc: Accounts, org: Org, customer_ids: pa.Array, chunk: int, as_of_day: int) -> dict[str, pa.Array]:
    closed = acc.close_day < 0
    maturity = maturity_days(acc, as_of_day)
    return {
        "account_id": acc.ids(chunk),
        "customer_id": customer_ids.take(pa.array(acc.cust)),
        "product_code": take([p.code for p in PRODUCTS], acc.product),
        "open_date": dates(acc.open_day),
        "close_date": dates(np.where(closed, 0, acc.close_day), null=closed),
        "status": take(STATUSES, acc.status),
        "branch_id": take(org.branch_id, org.outlet_row[acc.outlet]),
        "currency": pa.array(np.full(acc.n, "CNY"), pa.string()),
        "operator_id": take(org.staff_id, acc.operator),
        "maturity_date": dates(np.where(maturity < 0, 0, maturity), null=maturity < 0),
    }


def parties(rng: np.random.Generator, cust: Customers, acc: Accounts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Joint holders and authorised users: family members on personal accounts, a finance person
    (an individual customer of the same sub-branch) on company accounts. Returns (account, customer, role)."""
    n = cust.n
    ind = np.flatnonzero(~cust.corporate)
    rows_a, rows_c, rows_r = [], [], []
    prim = acc.primary
    # family: another individual of the same outlet (a spouse, a grown-up child)
    pick = ind[rng.random(ind.size) < 0.04]
    for c in pick:
        same = ind[(cust.outlet[ind] == cust.outlet[c])]
        other = same[rng.integers(same.size)] if same.size > 1 else c
        if other == c:
            continue
        rows_a.append(prim[c])
        rows_c.append(other)
        rows_r.append(1 if rng.random() < 0.25 else 2)  # joint / authorised
    corp = np.flatnonzero(cust.corporate & (rng.random(n) < 0.6))
    for c in corp:
        same = ind[cust.sub[ind] == cust.sub[c]]
        if not same.size:
            continue
        rows_a.append(prim[c])
        rows_c.append(same[rng.integers(same.size)])
        rows_r.append(2)
    return np.array(rows_a, dtype=np.int64), np.array(rows_c, dtype=np.int64), np.array(rows_r, dtype=np.int64)


PARTY_ROLES = ["owner", "joint", "authorised"]
