"""Loans (借据) with monthly repayment schedules and realistic delinquency.

Most loans are paid on the due date by automatic deduction; some miss one or two instalments and
cure; a few stop paying and roll past 90 or even 360 days. Who goes bad is not chance alone: every
loan has a latent probability of going bad (:func:`p_bad_latent`, a logistic function of the
borrower's age, occupation, income, deposits and prior lateness), so a scorecard has something to
find. The pattern and that probability of every loan are written to the truth folder; the schedule
rows carry the evidence (``paid_date`` empty, ``paid_amount`` partial).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from finecrm.synth.arrays import dates, ids, money, rate, take
from finecrm.synth.calendar import Calendar, add_months_days
from finecrm.synth.customers import DECLINING, DORMANT, LOST, OCC, OCCUPATIONS, SALARIED, Customers
from finecrm.synth.products import BY_CODE

LOAN_PRODUCTS = ["LN01", "LN02", "LN03", "LN04", "LN05"]
METHODS = ["equal_installment", "equal_principal", "interest_first", "bullet", "other"]
EQ_INST, EQ_PRIN, INT_FIRST, BULLET = range(4)
COLLATERALS = ["credit", "guarantee", "mortgage", "pledge"]
DELINQUENCY = ["on_time", "cured", "rolled_90", "rolled_360", "in_arrears"]
ON_TIME, CURED, ROLLED_90, ROLLED_360, IN_ARREARS = range(5)

_PURPOSES = {
    "LN01": ["住房装修", "购车", "子女教育", "家庭消费"],
    "LN02": ["经营周转", "进货", "门店扩建"],
    "LN03": ["购买自住住房"],
    "LN04": ["种植", "养殖", "农机购置", "农资采购"],
    "LN05": ["流动资金周转", "采购原材料", "支付货款"],
}
# product → (median principal, sigma, min, max) in yuan
_PRINCIPAL = {
    "LN01": (80_000, 0.6, 10_000, 300_000),
    "LN02": (200_000, 0.7, 30_000, 3_000_000),
    "LN03": (420_000, 0.45, 100_000, 2_000_000),
    "LN04": (50_000, 0.5, 10_000, 300_000),
    "LN05": (2_000_000, 0.9, 300_000, 50_000_000),
}


@dataclass
class Loans:
    cust: np.ndarray
    product: np.ndarray  # index into LOAN_PRODUCTS
    principal: np.ndarray  # fen
    rate_micro: np.ndarray
    start_day: np.ndarray
    term: np.ndarray  # months
    maturity_day: np.ndarray
    method: np.ndarray
    collateral: np.ndarray
    purpose: list[str]
    pattern: np.ndarray
    p_bad: np.ndarray  # latent probability of going bad (rolling past 90 days), see p_bad_latent
    prior_late: np.ndarray  # late payments on the borrower's earlier credit (credit-bureau record)
    account: np.ndarray  # row in the chunk's accounts (set when accounts are built)
    # schedule rows, grouped by loan and sorted by due date
    s_loan: np.ndarray
    s_due: np.ndarray
    s_principal: np.ndarray
    s_interest: np.ndarray
    s_paid_day: np.ndarray  # -1: unpaid
    s_paid: np.ndarray  # fen paid so far
    close_day: np.ndarray  # -1: still open
    dpd: np.ndarray  # days past due at as_of

    @property
    def n(self) -> int:
        return int(self.cust.size)


def plan(rng: np.random.Generator, cust: Customers, cal: Calendar) -> Loans:
    """Decide who borrows what, when, and how each loan behaves; builds the schedule."""
    n = cust.n
    occ = cust.occupation
    ind = ~cust.corporate
    u = rng.random(n)
    product = np.full(n, -1, dtype=np.int64)
    eligible = (cust.pattern != DORMANT) & (cust.pattern != LOST) & ~cust.reserved
    eligible &= np.where(ind, (cust.age >= 22) & (cust.age <= 65), True)
    farmer = occ == OCC["农民"]
    trader = occ == OCC["个体工商户"]
    salaried = np.isin(occ, SALARIED)
    product[farmer & (u < 0.10)] = 3
    product[farmer & (u >= 0.10) & (u < 0.14)] = 1
    product[trader & (u < 0.24)] = 1
    product[salaried & (u < 0.08)] = 0
    mortgage = salaried & cust.urban & (cust.age >= 25) & (cust.age <= 50) & (u >= 0.08) & (u < 0.16)
    product[mortgage] = 2
    product[ind & (product < 0) & (u > 0.985)] = 0
    product[cust.corporate & (u < 0.35)] = 4
    product[~eligible] = -1
    who = np.flatnonzero(product >= 0)
    prod = product[who]
    m = who.size

    principal = np.zeros(m)
    term = np.zeros(m, dtype=np.int64)
    method = np.zeros(m, dtype=np.int64)
    collateral = np.zeros(m, dtype=np.int64)
    r = rng.random(m)
    for p, code in enumerate(LOAN_PRODUCTS):
        sel = prod == p
        k = int(sel.sum())
        med, sig, lo, hi = _PRINCIPAL[code]
        principal[sel] = np.clip(rng.lognormal(np.log(med), sig, size=k), lo, hi)
        if code == "LN01":
            term[sel] = rng.choice([12, 24, 36], size=k)
            method[sel] = EQ_INST
            collateral[sel] = np.where(r[sel] < 0.7, 0, 1)
        elif code == "LN02":
            term[sel] = rng.choice([12, 24, 36], size=k, p=[0.6, 0.25, 0.15])
            method[sel] = np.where(r[sel] < 0.7, INT_FIRST, EQ_PRIN)
            collateral[sel] = np.where(r[sel] < 0.55, 1, 2)
        elif code == "LN03":
            term[sel] = rng.choice([120, 180, 240, 300, 360], size=k)
            method[sel] = np.where(r[sel] < 0.7, EQ_INST, EQ_PRIN)
            collateral[sel] = 2
        elif code == "LN04":
            term[sel] = rng.choice([12, 24, 36], size=k)
            method[sel] = np.where(r[sel] < 0.6, INT_FIRST, EQ_INST)
            collateral[sel] = np.where(r[sel] < 0.8, 0, 1)
        else:
            term[sel] = 12
            method[sel] = np.where(r[sel] < 0.8, INT_FIRST, BULLET)
            collateral[sel] = rng.choice([1, 2, 3], size=k, p=[0.45, 0.45, 0.1])
    principal_fen = (np.round(principal / 1_000) * 1_000 * 100).astype(np.int64)
    base_rate = np.array([BY_CODE[c].rate_micro for c in LOAN_PRODUCTS])[prod]
    rate_micro = base_rate + rng.integers(-5, 16, size=m) * 1_000
    rate_micro = np.maximum(rate_micro, 30_000)

    # Start dates: every loan is alive for part of the covered window.
    as_of = cal.as_of_day
    term_days = (term * 30.4).astype(np.int64)
    earliest = np.maximum(cal.window_start - term_days + 30, cust.open_day[who])
    earliest = np.maximum(earliest, as_of - 6 * 365)
    latest = as_of - 15
    earliest = np.minimum(earliest, latest)
    start = earliest + (rng.random(m) ** 0.8 * (latest - earliest)).astype(np.int64)
    maturity = add_months_days(start, term)

    prior_late = np.minimum(rng.poisson(PRIOR_LATE_MEAN, size=m), PRIOR_LATE_CAP)
    p_bad = p_bad_latent(cust, who, principal_fen / 100.0, prior_late)
    patt = _patterns(rng, p_bad)
    purposes = [_PURPOSES[LOAN_PRODUCTS[p]][int(rng.integers(len(_PURPOSES[LOAN_PRODUCTS[p]])))] for p in prod]

    loans = Loans(
        cust=who, product=prod, principal=principal_fen, rate_micro=rate_micro, start_day=start, term=term,
        maturity_day=maturity, method=method, collateral=collateral, purpose=purposes, pattern=patt,
        p_bad=p_bad, prior_late=prior_late, account=np.full(m, -1, dtype=np.int64),
        s_loan=np.zeros(0, np.int64), s_due=np.zeros(0, np.int64), s_principal=np.zeros(0, np.int64),
        s_interest=np.zeros(0, np.int64), s_paid_day=np.zeros(0, np.int64), s_paid=np.zeros(0, np.int64),
        close_day=np.full(m, -1, dtype=np.int64), dpd=np.zeros(m, dtype=np.int64),
    )
    _schedule(loans)
    _delinquency(rng, loans, cal)
    return loans


# --- latent credit risk ----------------------------------------------------------------------------
# logit p_bad = intercept + age + occupation + income + deposits + declining + prior lateness
# (individuals); corporates: their own intercept + deposits + prior lateness. The coefficients are
# documented in docs/synthetic-bank.md and _truth/README.md. The intercepts make the mean latent
# probability about 5 % for individuals and 3 % for companies, so that after loans too young to be 91
# days past due are set aside about 3–4 % of all loans have rolled past 90 days at as_of (as banks see).
RISK_INTERCEPT = -5.0
RISK_INTERCEPT_CORPORATE = -5.1
#: per year below 30 and per year above 55
RISK_AGE_YOUNG, RISK_AGE_OLD = 0.06, 0.05
#: by occupation (OCCUPATIONS order): steady public pay lowers the risk, no regular income raises it
RISK_OCCUPATION = dict(zip(OCCUPATIONS, [0.5, 0.6, -1.2, -1.0, 0.2, -0.3, -1.0, -0.3, 0.9, 0.8, 1.3],
                           strict=True))
#: per unit of log(monthly income / 5,000) for borrowers with a salary or pension
RISK_INCOME = -0.5
#: per unit of log(deposits / principal), clipped to ±3: savings that cover the loan lower the risk
RISK_DEPOSITS = -0.45
#: the borrower's deposits are being run down (lifecycle pattern declining)
RISK_DECLINING = 1.0
#: per late payment on earlier credit (capped at PRIOR_LATE_CAP)
RISK_PRIOR_LATE = 0.9
PRIOR_LATE_MEAN, PRIOR_LATE_CAP = 0.35, 4
#: share of bad loans that roll past 360 days (the rest stay 91–360 days past due)
ROLLED_360_SHARE = 1 / 3
#: a good loan is cured (one or two instalments paid late) with probability CURED_PER_RISK × p_bad (capped)
CURED_PER_RISK, CURED_CAP = 2.0, 0.4
#: an on-time loan is in early arrears at as_of (1–90 days past due: the collection queue's M1–M3) with
#: probability ARREARS_PER_RISK × p_bad (capped), drawn from a stream of its own (:func:`arrears`)
ARREARS_PER_RISK, ARREARS_CAP = 0.6, 0.15


def p_bad_latent(cust: Customers, who: np.ndarray, principal: np.ndarray, prior_late: np.ndarray) -> np.ndarray:
    """Each loan's latent probability of going bad (rolling past 90 days): logistic in the borrower's
    age, occupation, income, deposits against the principal, deposit run-down and prior lateness."""
    corp = cust.corporate[who]
    age = cust.age[who].astype(float)
    occ = np.array([RISK_OCCUPATION[o] for o in OCCUPATIONS])[np.maximum(cust.occupation[who], 0)]
    income = cust.income[who]
    with np.errstate(divide="ignore"):
        income_term = np.where(income > 0, RISK_INCOME * np.log(np.maximum(income, 1.0) / 5_000), 0.0)
    deposits = RISK_DEPOSITS * np.clip(np.log(np.maximum(cust.aum[who], 1.0) / principal), -3, 3)
    declining = RISK_DECLINING * (cust.pattern[who] == DECLINING)
    prior = RISK_PRIOR_LATE * prior_late
    individual = (RISK_INTERCEPT + RISK_AGE_YOUNG * np.maximum(30 - age, 0) + RISK_AGE_OLD * np.maximum(age - 55, 0)
                  + occ + income_term)
    logit = np.where(corp, RISK_INTERCEPT_CORPORATE, individual) + deposits + declining + prior
    return 1 / (1 + np.exp(-logit))


def _patterns(rng: np.random.Generator, p_bad: np.ndarray) -> np.ndarray:
    """The delinquency pattern of each loan drawn from its latent risk: bad with probability p_bad
    (a third of them past 360 days), else cured with a probability that also grows with the risk."""
    u = rng.random(p_bad.size)
    bad = u < p_bad
    deep = rng.random(p_bad.size) < ROLLED_360_SHARE
    cured = rng.random(p_bad.size) < np.minimum(CURED_PER_RISK * p_bad, CURED_CAP)
    return np.select([bad & deep, bad, cured], [ROLLED_360, ROLLED_90, CURED], ON_TIME).astype(np.int64)


def _schedule(loans: Loans) -> None:
    """Instalment rows: due dates one month apart, amounts by repayment method (fen, exact sums)."""
    bullet = loans.method == BULLET
    rows = np.where(bullet, 1, loans.term)
    s_loan = np.repeat(np.arange(loans.n), rows)
    first = np.cumsum(rows) - rows
    k = np.arange(s_loan.size) - first[s_loan] + 1  # instalment number 1..T
    T = loans.term[s_loan]
    k = np.where(bullet[s_loan], T, k)
    due = add_months_days(loans.start_day[s_loan], k)
    P = loans.principal[s_loan].astype(float)
    r = loans.rate_micro[s_loan] / 1e6 / 12
    method = loans.method[s_loan]
    # outstanding before instalment k and principal part of it
    growth_prev = (1 + r) ** (k - 1)
    annuity = P * r / (1 - (1 + r) ** (-T))
    out_inst = P * growth_prev - annuity * (growth_prev - 1) / r
    out_prin = P * (1 - (k - 1) / T)
    outstanding = np.select([method == EQ_INST, method == EQ_PRIN], [out_inst, out_prin], P)
    interest = outstanding * r
    prin = np.select(
        [method == EQ_INST, method == EQ_PRIN, method == INT_FIRST],
        [annuity - interest, P / T, np.where(k == T, P, 0.0)],
        P,
    )
    interest = np.where(method == BULLET, P * r * T, interest)
    prin_fen = np.round(prin).astype(np.int64)
    # last instalment takes the rounding so principal sums exactly to the loan amount
    last = np.cumsum(rows) - 1
    sums = np.add.reduceat(prin_fen, first) if s_loan.size else np.zeros(0, np.int64)
    prin_fen[last] += loans.principal - sums
    loans.s_loan = s_loan
    loans.s_due = due
    loans.s_principal = np.maximum(prin_fen, 0)
    loans.s_interest = np.maximum(np.round(interest).astype(np.int64), 0)


def _delinquency(rng: np.random.Generator, loans: Loans, cal: Calendar) -> None:
    as_of = cal.as_of_day
    due = loans.s_due
    total = loans.s_principal + loans.s_interest
    past = due <= as_of
    paid_day = np.where(past, due, -1)
    paid = np.where(past, total, 0)
    key = loans.s_loan * (1 << 32) + due

    def first_row_on_or_after(loan_idx: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Row index of each loan's first instalment due on or after ``day`` (−1 when none)."""
        pos = np.searchsorted(key, loan_idx * (1 << 32) + day)
        ok = (pos < key.size)
        ok[ok] = loans.s_loan[pos[ok]] == loan_idx[ok]
        return np.where(ok, pos, -1)

    patt = loans.pattern.copy()
    # Rolled loans: every instalment from the first missed one on is unpaid.
    for level, (lo, hi) in ((ROLLED_360, (361, 720)), (ROLLED_90, (91, 360))):
        sel = np.flatnonzero(patt == level)
        target = as_of - rng.integers(lo, hi + 1, size=sel.size)
        row = first_row_on_or_after(sel, target)
        ok = (row >= 0)
        ok[ok] &= (as_of - due[row[ok]] >= lo) & (due[row[ok]] <= as_of)
        patt[sel[~ok]] = level - 1  # not old enough: a milder pattern
        for loan, r0 in zip(sel[ok], row[ok], strict=True):
            end = r0
            while end < key.size and loans.s_loan[end] == loan:
                end += 1
            paid_day[r0:end] = -1
            paid[r0:end] = 0
            paid[r0] = int(total[r0] * rng.choice([0.0, 0.0, 0.3, 0.5]))
    # Cured loans: one or two instalments paid late, caught up before the next one fell due.
    sel = np.flatnonzero(patt == CURED)
    target = as_of - rng.integers(100, 330, size=sel.size)
    row = first_row_on_or_after(sel, target)
    ok = row >= 0
    ok[ok] &= due[row[ok]] <= as_of - 70
    patt[sel[~ok]] = ON_TIME
    for loan, r0 in zip(sel[ok], row[ok], strict=True):
        missed = 1 + int(rng.random() < 0.4)
        last = r0 + missed - 1
        if last >= key.size or loans.s_loan[last] != loan:
            last = r0
        cure = due[last] + int(rng.integers(3, 26))
        paid_day[r0:last + 1] = min(cure, as_of)
    loans.pattern = patt
    loans.s_paid_day = paid_day
    loans.s_paid = paid
    # days past due at as_of: from the earliest instalment due and not paid in full
    unpaid_due = np.where((paid_day < 0) & past, due, np.iinfo(np.int64).max)
    earliest = np.full(loans.n, np.iinfo(np.int64).max)
    np.minimum.at(earliest, loans.s_loan, unpaid_due)
    loans.dpd = np.where(earliest < np.iinfo(np.int64).max, as_of - earliest, 0)
    # a loan whose every instalment is paid is closed on its last payment
    open_rows = np.zeros(loans.n, dtype=np.int64)
    np.add.at(open_rows, loans.s_loan, (paid_day < 0).astype(np.int64))
    last_paid = np.full(loans.n, -1, dtype=np.int64)
    np.maximum.at(last_paid, loans.s_loan, paid_day)
    loans.close_day = np.where(open_rows == 0, last_paid, -1)


def outstanding_at(loans: Loans, days: np.ndarray) -> np.ndarray:
    """Outstanding principal (fen) per loan at the end of each given day (``loans × days``)."""
    out = np.tile(loans.principal[:, None], (1, days.size))
    paid_prin = np.where(loans.s_paid_day >= 0, loans.s_principal, 0)
    for j, d in enumerate(days):
        done = (loans.s_paid_day >= 0) & (loans.s_paid_day <= d)
        red = np.zeros(loans.n, dtype=np.int64)
        np.add.at(red, loans.s_loan[done], paid_prin[done])
        out[:, j] -= red
    not_started = loans.start_day[:, None] > days[None, :]
    return np.where(not_started, 0, np.maximum(out, 0))


def loans_table(loans: Loans, customer_ids: pa.Array, account_ids: pa.Array, chunk: int) -> dict[str, pa.Array]:
    return {
        "loan_id": loan_ids(loans, chunk),
        "customer_id": customer_ids.take(pa.array(loans.cust)),
        "account_id": account_ids.take(pa.array(loans.account)),
        "product_code": take(LOAN_PRODUCTS, loans.product),
        "principal": money(loans.principal),
        "rate": rate(loans.rate_micro),
        "start_date": dates(loans.start_day),
        "maturity_date": dates(loans.maturity_day),
        "repayment_method": take(METHODS, loans.method),
        "collateral": take(COLLATERALS, loans.collateral),
        "purpose": pa.array(loans.purpose, pa.string()),
    }


def loan_ids(loans: Loans, chunk: int) -> pa.Array:
    return ids("LN", chunk * 10_000_000 + np.arange(loans.n), 11)


def schedule_table(loans: Loans, chunk: int) -> dict[str, pa.Array]:
    lid = loan_ids(loans, chunk)
    unpaid = loans.s_paid_day < 0
    return {
        "loan_id": lid.take(pa.array(loans.s_loan)),
        "due_date": dates(loans.s_due),
        "due_principal": money(loans.s_principal),
        "due_interest": money(loans.s_interest),
        "paid_date": dates(np.where(unpaid, 0, loans.s_paid_day), null=unpaid),
        "paid_amount": money(loans.s_paid),
    }


def arrears(rng: np.random.Generator, loans: Loans, cal: Calendar) -> None:
    """Early arrears at as_of (the collection queue's M1–M3): an on-time loan stops paying 1–90 days before as_of
    with probability ``min(ARREARS_PER_RISK × p_bad, ARREARS_CAP)`` (pattern ``in_arrears``).

    The target days past due are uniform on 1–90; the first instalment due on or after ``as_of − target`` (and
    before as_of) and every later one stay unpaid; a loan with no such instalment stays on time. Days past due and
    the close day are recomputed. ``rng`` is a stream of its own, so every other draw of the bank is unchanged.
    """
    as_of = cal.as_of_day
    take = (loans.pattern == ON_TIME) & (rng.random(loans.n) < np.minimum(ARREARS_PER_RISK * loans.p_bad, ARREARS_CAP))
    target = as_of - rng.integers(1, 91, size=loans.n)
    due = loans.s_due
    # each instalment row: unpaid when its loan was taken and it fell due on or after the target, before as_of
    row_take = take[loans.s_loan] & (due >= target[loans.s_loan]) & (due < as_of)
    hit = np.zeros(loans.n, dtype=bool)
    hit[loans.s_loan[row_take]] = True
    loans.pattern = np.where(hit, IN_ARREARS, loans.pattern)
    loans.s_paid_day = np.where(row_take, -1, loans.s_paid_day)
    loans.s_paid = np.where(row_take, 0, loans.s_paid)
    past = due <= as_of
    unpaid_due = np.where((loans.s_paid_day < 0) & past, due, np.iinfo(np.int64).max)
    earliest = np.full(loans.n, np.iinfo(np.int64).max)
    np.minimum.at(earliest, loans.s_loan, unpaid_due)
    loans.dpd = np.where(earliest < np.iinfo(np.int64).max, as_of - earliest, 0)
    open_rows = np.zeros(loans.n, dtype=np.int64)
    np.add.at(open_rows, loans.s_loan, (loans.s_paid_day < 0).astype(np.int64))
    last_paid = np.full(loans.n, -1, dtype=np.int64)
    np.maximum.at(last_paid, loans.s_loan, loans.s_paid_day)
    loans.close_day = np.where(open_rows == 0, last_paid, -1)
