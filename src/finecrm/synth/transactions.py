"""Transactions (流水), generated month by month for a chunk, fully vectorised.

Customer-initiated kinds (cash, transfers, consumption, investment, utility payments made by the
customer) pick a channel from those the customer has at that day — mobile only after the mobile
banking signup — with the counter share falling and mobile rising over calendar time and with age
and rural residence favouring the counter. System kinds (salary, pension, interest, fees, loan
repayments) use the ``batch``/``other`` channels, so "customer-initiated" = channel not in
(batch, other).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from finecrm.synth import names
from finecrm.synth.arrays import bools, ids, money, take, timestamps
from finecrm.synth.balances import Balances
from finecrm.synth.calendar import Calendar
from finecrm.synth.customers import DORMANT, LOST, OCC, Customers
from finecrm.synth.holdings import Accounts
from finecrm.synth.identity import bank_accounts
from finecrm.synth.loans import Loans
from finecrm.synth.org import Org
from finecrm.synth.products import PRODUCTS
from finecrm.synth.signups import MOBILE, ONLINE, PAYROLL, SMS, UTILITY, WECHAT, Signups

CHANNELS = ["counter", "atm", "pos", "online", "mobile", "wechat", "phone", "batch", "other"]
COUNTER, ATM, POS, ONLINE_CH, MOBILE_CH, WECHAT_CH, PHONE_CH, BATCH, OTHER_CH = range(9)
KINDS = ["cash", "transfer", "consumption", "salary", "pension", "interest", "fee", "loan_disbursement",
         "loan_repayment", "investment", "utility", "other"]
(CASH, TRANSFER, CONSUMPTION, SALARY, PENSION, INTEREST, FEE, LOAN_DISB, LOAN_REPAY, INVESTMENT, UTIL,
 OTHER_KIND) = range(12)
IN, OUT = 0, 1
_CAT = np.array([p.category for p in PRODUCTS])


@dataclass
class Txns:
    """A batch of transactions as parallel arrays (``account`` = row in the chunk's accounts)."""

    account: np.ndarray
    day: np.ndarray
    sec: np.ndarray
    amount: np.ndarray  # fen, > 0
    direction: np.ndarray
    channel: np.ndarray
    kind: np.ndarray
    cp: np.ndarray  # counterparty vocabulary index, -1: none
    cross: np.ndarray
    operator: np.ndarray  # staff index, -1: none
    case: np.ndarray  # case index in the chunk's case list, -1: ordinary

    @property
    def n(self) -> int:
        return int(self.account.size)

    @staticmethod
    def empty() -> Txns:
        z = np.zeros(0, dtype=np.int64)
        return Txns(z, z, z, z, z, z, z, z, np.zeros(0, bool), z, z)

    @staticmethod
    def make(account: np.ndarray, day: np.ndarray, sec: np.ndarray | int, amount: np.ndarray | int,
             direction: np.ndarray | int, channel: np.ndarray | int, kind: np.ndarray | int,
             cp: np.ndarray | int = -1, cross: np.ndarray | bool = False, operator: np.ndarray | int = -1,
             case: np.ndarray | int = -1) -> Txns:
        n = np.asarray(account).size

        def full(x: np.ndarray | int | bool, dtype: type) -> np.ndarray:
            return np.broadcast_to(np.asarray(x, dtype=dtype), (n,)).copy()

        return Txns(full(account, np.int64), full(day, np.int64), full(sec, np.int64), full(amount, np.int64),
                    full(direction, np.int64), full(channel, np.int64), full(kind, np.int64), full(cp, np.int64),
                    full(cross, bool), full(operator, np.int64), full(case, np.int64))

    def select(self, mask: np.ndarray) -> Txns:
        return Txns(*(getattr(self, f.name)[mask] for f in fields(self)))

    @staticmethod
    def concat(parts: list[Txns]) -> Txns:
        return Txns(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Txns)))


@dataclass
class Counterparties:
    """The chunk's counterparty vocabulary: outside people, firms, merchants, institutions, then
    every account of the chunk itself (so in-bank transfers name the real account)."""

    account: pa.Array
    name: pa.Array
    bank: pa.Array
    people: tuple[int, int]
    firms: tuple[int, int]
    merchants: tuple[int, int]
    foreign: tuple[int, int]
    institutions: dict[str, int]
    internal: int  # vocabulary index of chunk account 0

    def size(self, part: tuple[int, int]) -> int:
        return part[1] - part[0]


def counterparties(rng: np.random.Generator, org: Org, cust: Customers, acc: Accounts,
                   account_ids: pa.Array) -> Counterparties:
    n_people, n_firms, n_merch, n_foreign = 3_000, 800, 400, 20
    male = rng.random(n_people) < 0.5
    people = names.person_names(rng, male)
    ind_idx = rng.choice(len(names.INDUSTRY_NAMES), size=n_firms, p=names.INDUSTRY_P)
    other_counties = ["邻县", "市区", "省城", org.county]  # firms the bank's customers trade with
    firms = [f.replace(org.county, other_counties[int(rng.integers(len(other_counties)))], 1)
             for f in names.company_names(rng, org.county, ind_idx)]
    merchants = names.merchant_names(rng, org.towns, n_merch)
    foreign = [f"{'HK' if i % 2 else 'SG'} TRADING {i:03d} LTD" for i in range(n_foreign)]
    c = org.county
    institutions = {
        "education": f"{c}教育局", "hospital": f"{c}人民医院", "treasury": f"{c}财政局国库支付中心",
        "pension": f"{c}社会保险事业管理中心", "rural_pension": f"{c}城乡居民养老保险", "power": "国网供电公司",
        "water": f"{c}自来水公司", "fund_company": "基金代销清算户",
    }
    ext_n = n_people + n_firms + n_merch + n_foreign + len(institutions)
    ext_acc = bank_accounts(rng, ext_n)
    banks_p = rng.choice(len(names.OTHER_BANKS), size=n_people + n_firms, p=names.OTHER_BANK_P)
    bank_names = [names.OTHER_BANKS[b] for b in banks_p] + [None] * n_merch + \
        [names.FOREIGN_BANKS[i % len(names.FOREIGN_BANKS)] for i in range(n_foreign)] + \
        [org.bank_name] * len(institutions)
    acc_null = np.zeros(ext_n, dtype=bool)
    acc_null[n_people + n_firms: n_people + n_firms + n_merch] = True
    ext_account = pa.array(ext_acc.to_numpy(zero_copy_only=False), pa.string(), mask=acc_null)
    owner_names = pa.array(cust.name, pa.string()).take(pa.array(acc.cust))
    a0 = ext_n
    vocab_account = pa.concat_arrays([ext_account, account_ids])
    vocab_name = pa.concat_arrays([pa.array(people + firms + merchants + foreign + list(institutions.values()),
                                            pa.string()), owner_names])
    vocab_bank = pa.concat_arrays([pa.array(bank_names, pa.string()),
                                   pa.array(np.full(acc.n, org.bank_name), pa.string())])
    base = n_people + n_firms + n_merch + n_foreign
    return Counterparties(
        account=vocab_account, name=vocab_name, bank=vocab_bank,
        people=(0, n_people), firms=(n_people, n_people + n_firms),
        merchants=(n_people + n_firms, n_people + n_firms + n_merch),
        foreign=(n_people + n_firms + n_merch, base),
        institutions={k: base + i for i, k in enumerate(institutions)},
        internal=a0,
    )


@dataclass
class Context:
    """Everything the monthly generator reads, computed once per chunk."""

    cust: Customers
    acc: Accounts
    org: Org
    cal: Calendar
    bal: Balances
    loans: Loans
    cps: Counterparties
    mobile: tuple[np.ndarray, np.ndarray]
    online: tuple[np.ndarray, np.ndarray]
    wechat: tuple[np.ndarray, np.ndarray]
    sms: np.ndarray
    utility: np.ndarray
    payroll_firms: np.ndarray  # primary accounts of corporates that pay salaries here
    payday: np.ndarray
    employees: np.ndarray  # corporates: head count
    #: customers kept silent by the cases (dormant-reactivation actors before their reactivation)
    silent_until: np.ndarray


def context(rng: np.random.Generator, cust: Customers, acc: Accounts, org: Org, cal: Calendar, bal: Balances,
            loans: Loans, sg: Signups, cps: Counterparties, silent_until: np.ndarray) -> Context:
    n = cust.n
    sms = np.zeros(n, bool)
    sms[sg.cust[(sg.service == SMS) & (sg.cancelled < 0)]] = True
    util = np.zeros(n, bool)
    util[sg.cust[sg.service == UTILITY]] = True
    pays = np.zeros(n, bool)
    pays[sg.cust[sg.service == PAYROLL]] = True
    firms = np.flatnonzero(cust.corporate & pays & (cust.pattern != DORMANT) & (cust.pattern != LOST))
    return Context(
        cust=cust, acc=acc, org=org, cal=cal, bal=bal, loans=loans, cps=cps,
        mobile=sg.window(MOBILE, n), online=sg.window(ONLINE, n), wechat=sg.window(WECHAT, n),
        sms=sms, utility=util, payroll_firms=acc.primary[firms], payday=rng.integers(5, 16, size=n),
        employees=np.maximum(rng.lognormal(np.log(12), 1.0, size=n).astype(np.int64), 2),
        silent_until=silent_until,
    )


def _has(window: tuple[np.ndarray, np.ndarray], c: np.ndarray, day: np.ndarray) -> np.ndarray:
    start, end = window
    return (start[c] <= day) & (day < end[c])


def _secs(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    """Time of day by channel: counters keep business hours, phones are used into the night."""
    n = channel.size
    u = rng.random(n)
    lo = np.select([channel == COUNTER, channel == ATM, channel == POS, channel == BATCH],
                   [8.5, 6.0, 8.0, 2.0], 7.0)
    hi = np.select([channel == COUNTER, channel == ATM, channel == POS, channel == BATCH],
                   [17.0, 23.0, 22.0, 6.0], 23.99)
    return ((lo + (hi - lo) * u) * 3600).astype(np.int64)


def month(rng: np.random.Generator, ctx: Context, m: int) -> Txns:
    """All ordinary transactions of month ``m`` for the chunk (cases are added by the caller)."""
    cust, acc, cal = ctx.cust, ctx.acc, ctx.cal
    n = cust.n
    ms, me = int(cal.month_start[m]), int(cal.month_end[m])
    prim = acc.primary
    p_open = acc.open_day[prim]
    p_close = np.where(acc.close_day[prim] >= 0, acc.close_day[prim], np.iinfo(np.int64).max // 4)
    lo = np.maximum(ms, p_open)
    hi = np.minimum(me, p_close - 1)
    alive = lo <= hi
    # active customers: neither dormant nor kept silent by a case
    active = alive & (cust.activity > 0) & (ctx.silent_until < me)
    lo = np.maximum(lo, np.where(ctx.silent_until >= ms, ctx.silent_until + 1, lo))
    active &= lo <= hi
    ind = ~cust.corporate
    age = np.where(ind, cust.age, 40)
    rural = ~cust.urban
    act = cust.activity
    tau = 1.0 + (ms - cal.as_of_day) / 365.0  # 0 a year before as_of, 1 at as_of
    tau = float(np.clip(tau, -1.0, 1.0))
    level = np.maximum(ctx.bal.level[prim, m], 50.0)

    parts: list[Txns] = []

    def draw(rate: np.ndarray) -> np.ndarray:
        k = rng.poisson(np.where(active, rate, 0.0))
        return np.repeat(np.arange(n), k)

    def days_for(c: np.ndarray) -> np.ndarray:
        return lo[c] + (rng.random(c.size) * (hi[c] - lo[c] + 1)).astype(np.int64)

    # --- consumption -----------------------------------------------------------------------------
    c = draw(np.where(ind, 5.4 * act * (age < 80), 0.3 * act))
    d = days_for(c)
    w_pos = np.exp(0.9 + 0.02 * (age[c] - 45))
    w_mob = np.exp(1.3 + 1.1 * tau) * _has(ctx.mobile, c, d)
    w_wx = np.exp(-0.2) * _has(ctx.wechat, c, d)
    ch = _pick(rng, [w_pos, w_mob, w_wx], [POS, MOBILE_CH, WECHAT_CH])
    amt = np.clip(rng.lognormal(np.log(55) + 0.15 * np.log10(level[c] / 5_000), 1.0), 1, 30_000)
    merch = ctx.cps.merchants[0] + (c * 37 + rng.integers(0, 12, c.size)) % ctx.cps.size(ctx.cps.merchants)
    parts.append(Txns.make(prim[c], d, _secs(rng, ch), _fen(amt), OUT, ch, CONSUMPTION, cp=merch))

    # --- transfers -----------------------------------------------------------------------------
    for direction, rate_ind, rate_corp in ((OUT, 1.7, 24.0), (IN, 1.15, 24.0)):
        c = draw(np.where(ind, rate_ind * act, rate_corp * act))
        d = days_for(c)
        ch = _customer_channel(rng, ctx, c, d, age, rural, tau, counter_bias=0.3, corporate=cust.corporate[c])
        scale = np.where(cust.corporate[c], 0.06, 0.1) * level[c]
        amt = np.clip(rng.lognormal(np.log(np.maximum(scale, 100)), 1.0), 10, 5_000_000)
        amt = np.where(amt > 1_000, np.round(amt, -2), np.round(amt))
        cp = _transfer_cp(rng, ctx, c)
        cross = (cp >= ctx.cps.foreign[0]) & (cp < ctx.cps.foreign[1])
        parts.append(Txns.make(prim[c], d, _secs(rng, ch), _fen(amt), direction, ch, TRANSFER, cp=cp,
                               cross=cross, operator=_operator(rng, ctx, c, ch)))

    # --- cash ----------------------------------------------------------------------------------
    retail = cust.corporate & np.isin(np.array([x or "" for x in cust.industry]),
                                      ["批发和零售业", "住宿和餐饮业"])
    for direction, rate in ((IN, np.where(ind, 0.45 * act * np.where(rural, 1.5, 1.0), 3.0 * act * retail)),
                            (OUT, np.where(ind, 1.1 * act * np.where(rural, 1.4, 1.0), 0.5 * act))):
        c = draw(rate)
        d = days_for(c)
        w_counter = np.exp(0.3 + 0.045 * (age[c] - 45) + 0.6 * rural[c] - 0.5 * tau)
        w_atm = np.exp(0.7) * np.ones(c.size)
        ch = _pick(rng, [w_counter, w_atm], [COUNTER, ATM])
        amt = np.clip(rng.lognormal(np.log(np.maximum(0.06 * level[c], 300)), 0.9), 100, 200_000)
        amt = np.where(ch == ATM, np.minimum(amt, rng.choice([1_000, 2_000, 3_000, 5_000], size=c.size)), amt)
        amt = np.where(amt >= 40_000, np.minimum(amt, 40_000) * rng.uniform(1.0, 2.5, c.size), amt)
        amt = np.maximum(np.round(amt, -2), 100)
        parts.append(Txns.make(prim[c], d, _secs(rng, ch), _fen(amt), direction, ch, CASH,
                               operator=_operator(rng, ctx, c, ch)))

    # --- utility bills (auto-debit or paid in the app) -------------------------------------------
    c = np.flatnonzero(ctx.utility & active)
    d = np.clip(ms + rng.integers(11, 18, size=c.size), lo[c], hi[c])
    by_app = _has(ctx.mobile, c, d) & (rng.random(c.size) < 0.35 + 0.2 * tau)
    ch = np.where(by_app, MOBILE_CH, BATCH)
    amt = rng.lognormal(np.log(120), 0.5, size=c.size)
    cp = np.where(rng.random(c.size) < 0.7, ctx.cps.institutions["power"], ctx.cps.institutions["water"])
    parts.append(Txns.make(prim[c], d, _secs(rng, ch), _fen(amt), OUT, ch, UTIL, cp=cp))

    # --- salary, pension (batch) -----------------------------------------------------------------
    earners = cust.salaried & ind & active
    c = np.flatnonzero(earners)
    d = np.clip(ms + ctx.payday[c] - 1, lo[c], hi[c])
    month_no = int(np.datetime64(ms, "D").astype("datetime64[M]").astype(np.int64) % 12) + 1
    bonus = 1.9 if month_no == 1 else 1.0
    amt = cust.income[c] * bonus * rng.normal(1, 0.03, size=c.size)
    occ = cust.occupation[c]
    inst = ctx.cps.institutions
    employer = np.select([occ == OCC["教师"], occ == OCC["医生"], occ == OCC["公务员"]],
                         [inst["education"], inst["hospital"], inst["treasury"]], -1)
    firms = ctx.payroll_firms
    private = employer < 0
    if firms.size:
        employer[private] = ctx.cps.internal + firms[(c[private] * 13) % firms.size]
    else:
        employer[private] = ctx.cps.firms[0] + c[private] % ctx.cps.size(ctx.cps.firms)
    parts.append(Txns.make(prim[c], d, 9 * 3600 + rng.integers(0, 7200, c.size), _fen(amt), IN, BATCH, SALARY,
                           cp=employer))
    # the paying companies' side: one payroll batch a month
    if firms.size:
        fc = acc.cust[firms]
        ok = active[fc]
        fc, fa = fc[ok], firms[ok]
        d = np.clip(ms + ctx.payday[fc] - 1, lo[fc], hi[fc])
        amt = ctx.employees[fc] * rng.uniform(3_500, 6_000, size=fc.size)
        parts.append(Txns.make(fa, d, 8 * 3600 + rng.integers(0, 3600, fc.size), _fen(amt), OUT, BATCH, SALARY))
    c = np.flatnonzero(cust.retired & alive & (cust.pattern != DORMANT))
    d = np.clip(ms + 4, lo[c], hi[c])
    cp = np.where(cust.occupation[c] == OCC["退休"], inst["pension"], inst["rural_pension"])
    parts.append(Txns.make(prim[c], d, 3 * 3600 + rng.integers(0, 3600, c.size), _fen(cust.income[c]), IN, BATCH,
                           PENSION, cp=cp))

    # --- interest (quarterly, on the 21st) and fees ------------------------------------------------
    if month_no in (3, 6, 9, 12):
        c = np.flatnonzero(alive)
        d = np.full(c.size, ms + 20)
        ok = (d >= lo[c]) & (d <= hi[c])
        c, d = c[ok], d[ok]
        amt = ctx.bal.level[prim[c], m] * 0.0015 / 4
        keep = amt >= 0.01
        parts.append(Txns.make(prim[c[keep]], d[keep], 1800, _fen(amt[keep]), IN, OTHER_CH, INTEREST))
    c = np.flatnonzero(ctx.sms & alive)
    d = np.full(c.size, ms + 24)
    ok = (d >= lo[c]) & (d <= hi[c])
    parts.append(Txns.make(prim[c[ok]], d[ok], 7200, 200, OUT, OTHER_CH, FEE))
    if month_no == 12:
        c = np.flatnonzero(alive & ind & (rng.random(n) < 0.3))
        d = np.full(c.size, ms + 14)
        ok = (d >= lo[c]) & (d <= hi[c])
        parts.append(Txns.make(prim[c[ok]], d[ok], 7200, 1000, OUT, OTHER_CH, FEE))

    parts.append(_loan_flows(rng, ctx, m))
    parts.append(_account_flows(rng, ctx, m))
    parts.append(_closures(rng, ctx, m))
    return Txns.concat(parts)


def _pick(rng: np.random.Generator, weights: list[np.ndarray], codes: list[int]) -> np.ndarray:
    w = np.stack([np.asarray(x, dtype=float) for x in weights], axis=1)
    cum = np.cumsum(w, axis=1)
    u = rng.random(w.shape[0]) * cum[:, -1]
    choice = (cum < u[:, None]).sum(axis=1)
    return np.asarray(codes)[np.minimum(choice, len(codes) - 1)]


def _customer_channel(rng: np.random.Generator, ctx: Context, c: np.ndarray, d: np.ndarray, age: np.ndarray,
                      rural: np.ndarray, tau: float, counter_bias: float, corporate: np.ndarray) -> np.ndarray:
    w_counter = np.exp(counter_bias + 0.045 * (age[c] - 45) + 0.6 * rural[c] - 0.6 * tau)
    w_online = np.exp(np.where(corporate, 1.6, -0.6)) * _has(ctx.online, c, d)
    w_mobile = np.exp(np.where(corporate, 0.3 + 0.8 * tau, 1.8 + 1.1 * tau)) * _has(ctx.mobile, c, d)
    w_wx = np.exp(-1.2) * _has(ctx.wechat, c, d)
    return _pick(rng, [w_counter, w_online, w_mobile, w_wx], [COUNTER, ONLINE_CH, MOBILE_CH, WECHAT_CH])


def _operator(rng: np.random.Generator, ctx: Context, c: np.ndarray, ch: np.ndarray) -> np.ndarray:
    """Counter transactions are keyed by a teller of the customer's outlet."""
    teller = ctx.org.outlet_tellers(ctx.cust.outlet[c], rng.random(c.size))
    return np.where(ch == COUNTER, teller, -1)


def _transfer_cp(rng: np.random.Generator, ctx: Context, c: np.ndarray) -> np.ndarray:
    """Each customer sends to and receives from a handful of regular counterparties."""
    cps, cust = ctx.cps, ctx.cust
    corp = cust.corporate[c]
    u = rng.random(c.size)
    fav = rng.integers(0, 5, c.size)
    people = cps.people[0] + (c * 101 + fav * 7) % cps.size(cps.people)
    firms = cps.firms[0] + (c * 53 + fav * 11) % cps.size(cps.firms)
    others = ctx.acc.primary[(c * 17 + fav * 29 + 1) % cust.n]
    internal = cps.internal + others
    foreign = cps.foreign[0] + (c + fav) % cps.size(cps.foreign)
    ind_cp = np.where(u < 0.62, people, np.where(u < 0.82, internal, firms))
    corp_cp = np.where(u < 0.7, firms, np.where(u < 0.88, internal, people))
    cp = np.where(corp, corp_cp, ind_cp)
    cross = rng.random(c.size) < np.where(corp, 0.003, 0.0004)
    return np.where(cross, foreign, cp)


def _loan_flows(rng: np.random.Generator, ctx: Context, m: int) -> Txns:
    """Repayments on the settlement account as the schedule says; disbursements when loans start."""
    loans, acc, cal = ctx.loans, ctx.acc, ctx.cal
    ms, me = int(cal.month_start[m]), int(cal.month_end[m])
    paid_day = np.where(loans.s_paid_day >= 0, loans.s_paid_day, loans.s_due)
    rows = np.flatnonzero((loans.s_paid > 0) & (paid_day >= ms) & (paid_day <= me))
    loan = loans.s_loan[rows]
    c = loans.cust[loan]
    at_counter = rng.random(rows.size) < 0.12
    ch = np.where(at_counter, COUNTER, BATCH)
    parts = [Txns.make(acc.primary[c], paid_day[rows], _secs(rng, ch), loans.s_paid[rows], OUT, ch, LOAN_REPAY,
                       cp=ctx.cps.internal + loans.account[loan], operator=_operator(rng, ctx, c, ch))]
    new = np.flatnonzero((loans.start_day >= ms) & (loans.start_day <= me))
    c = loans.cust[new]
    parts.append(Txns.make(acc.primary[c], loans.start_day[new], 10 * 3600 + rng.integers(0, 20_000, new.size),
                           loans.principal[new], IN, OTHER_CH, LOAN_DISB, cp=ctx.cps.internal + loans.account[new]))
    return Txns.concat(parts)


def _account_flows(rng: np.random.Generator, ctx: Context, m: int) -> Txns:
    """Money into a newly opened time deposit / wealth / fund position, and back when it closes."""
    acc, cal, bal = ctx.acc, ctx.cal, ctx.bal
    ms, me = int(cal.month_start[m]), int(cal.month_end[m])
    cat = _CAT[acc.product]
    kinds = np.isin(cat, ["time_deposit", "wealth", "fund", "insurance"])
    is_primary = np.zeros(acc.n, bool)
    is_primary[acc.primary] = True
    opened = np.flatnonzero(kinds & ~is_primary & (acc.open_day >= ms) & (acc.open_day <= me)
                            & (acc.open_day >= cal.window_start))
    c = acc.cust[opened]
    amt = np.maximum(bal.end[opened, m], bal.avg[opened, m])
    keep = amt > 0
    opened, c, amt = opened[keep], c[keep], amt[keep]
    d = acc.open_day[opened]
    by_app = (acc.operator[opened] < 0) & _has(ctx.mobile, c, d)
    ch = np.where(acc.operator[opened] >= 0, COUNTER, np.where(by_app, MOBILE_CH, ONLINE_CH))
    kind = np.where(cat[opened] == "time_deposit", TRANSFER, INVESTMENT)
    parts = [Txns.make(acc.primary[c], d, _secs(rng, ch), amt, OUT, ch, kind, cp=ctx.cps.internal + opened,
                       operator=np.where(ch == COUNTER, acc.operator[opened], -1))]
    lost = ctx.cust.pattern[acc.cust] == LOST
    closed = np.flatnonzero(kinds & ~is_primary & ~lost & (acc.close_day >= ms) & (acc.close_day <= me))
    prev = max(m - 1, 0)
    amt = bal.end[closed, prev]
    keep = amt > 0
    closed, amt = closed[keep], amt[keep]
    c = acc.cust[closed]
    d = acc.close_day[closed]
    kind = np.where(cat[closed] == "time_deposit", TRANSFER, INVESTMENT)
    parts.append(Txns.make(acc.primary[c], d, 1800, amt, IN, OTHER_CH, kind, cp=ctx.cps.internal + closed))
    return Txns.concat(parts)


def _closures(rng: np.random.Generator, ctx: Context, m: int) -> Txns:
    """Lost customers take everything out over the counter the day they close their accounts."""
    cust, acc, cal = ctx.cust, ctx.acc, ctx.cal
    ms, me = int(cal.month_start[m]), int(cal.month_end[m])
    c = np.flatnonzero((cust.pattern == LOST) & (cust.close_day >= ms) & (cust.close_day <= me))
    if not c.size:
        return Txns.empty()
    prev = max(m - 1, 0)
    total = np.zeros(cust.n, dtype=np.int64)
    aum_rows = np.isin(_CAT[acc.product], ["deposit", "time_deposit", "debit_card", "wealth", "fund", "insurance"])
    np.add.at(total, acc.cust[aum_rows], ctx.bal.end[aum_rows, prev])
    amt = total[c]
    keep = amt > 0
    c, amt = c[keep], amt[keep]
    by_cash = rng.random(c.size) < 0.5
    ch = np.full(c.size, COUNTER)
    cp = np.where(by_cash, -1, ctx.cps.people[0] + c % ctx.cps.size(ctx.cps.people))
    return Txns.make(acc.primary[c], cust.close_day[c] - 1, _secs(rng, ch), amt, OUT, ch,
                     np.where(by_cash, CASH, TRANSFER), cp=cp, operator=_operator(rng, ctx, c, ch))


def _fen(yuan: np.ndarray) -> np.ndarray:
    return np.maximum(np.round(np.asarray(yuan, dtype=float) * 100), 1).astype(np.int64)


def finish(t: Txns, cal: Calendar) -> Txns:
    """Drop anything outside the window (never after as_of) and sort by time, then account."""
    ok = (t.day >= cal.window_start) & (t.day <= cal.as_of_day) & (t.amount > 0)
    t = t.select(ok)
    t.sec = np.clip(t.sec, 0, 86_399)
    order = np.lexsort((t.account, t.sec, t.day))
    return t.select(order)


def table(t: Txns, account_ids: pa.Array, cps: Counterparties, org: Org, chunk: int, first_seq: int) -> dict[str, pa.Array]:
    cp_idx = pa.array(np.where(t.cp >= 0, t.cp, 0), pa.int64(), mask=t.cp < 0)
    return {
        "txn_id": txn_ids(chunk, first_seq, t.n),
        "account_id": account_ids.take(pa.array(t.account)),
        "ts": timestamps(t.day, t.sec),
        "amount": money(t.amount),
        "direction": take(["in", "out"], t.direction),
        "channel": take(CHANNELS, t.channel),
        "kind": take(KINDS, t.kind),
        "counterparty_account": cps.account.take(cp_idx),
        "counterparty_name": cps.name.take(cp_idx),
        "counterparty_bank": cps.bank.take(cp_idx),
        "cross_border": bools(t.cross),
        "operator_id": take(org.staff_id, t.operator),
    }


def txn_ids(chunk: int, first_seq: int, n: int) -> pa.Array:
    """Serial numbers unique across chunks: ``T`` + chunk (4) + sequence within the chunk (10)."""
    return txn_ids_at(chunk, first_seq + np.arange(n))


def txn_ids_at(chunk: int, seq: np.ndarray) -> pa.Array:
    return ids("T", chunk * 10**10 + seq, 14)
