"""Injected cases with ground truth: AML typologies, the insider e-banking case and abnormal
outflows of large depositors.

Actors are picked from the chunk's own customers *before* their accounts are built (so they get
the history a case needs), then the cases add accounts, signups, daily-balance movements and
transactions. Every case records its customers, accounts, staff and transactions for ``_truth/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from finecrm.synth.balances import Balances
from finecrm.synth.calendar import Calendar
from finecrm.synth.customers import DORMANT, OCC, STABLE, Customers
from finecrm.synth.holdings import ACTIVE, CLOSED, Accounts
from finecrm.synth.org import Org
from finecrm.synth.products import INDEX
from finecrm.synth.signups import MOBILE, ONLINE, WECHAT, Signups
from finecrm.synth.transactions import (
    ATM,
    CASH,
    COUNTER,
    IN,
    MOBILE_CH,
    ONLINE_CH,
    OUT,
    TRANSFER,
    Counterparties,
    Txns,
)

#: typology code → (area, Chinese name)
TYPOLOGIES: dict[str, tuple[str, str]] = {
    "fan_in_fan_out": ("aml", "分散转入集中转出"),
    "concentrated_in_fan_out": ("aml", "集中转入分散转出"),
    "pass_through": ("aml", "快进快出"),
    "cash_structuring": ("aml", "化整为零(现金拆分)"),
    "dormant_reactivation": ("aml", "长期闲置账户突然启用"),
    "cycle": ("aml", "关联账户循环转账"),
    "insider_ebanking": ("insider", "员工冒名开立电子银行及借记卡并转移客户定期存款"),
    "abnormal_outflow": ("deposit", "大额存款客户资金异常流出"),
}
AML_TYPOLOGIES = [k for k, (area, _) in TYPOLOGIES.items() if area == "aml"]


def case_counts(customers: int) -> dict[str, int]:
    """How many cases of each kind a bank of ``customers`` customers gets (a handful at least)."""
    out = {t: max(3, round(customers / 10_000)) for t in AML_TYPOLOGIES}
    out["insider_ebanking"] = max(1, round(customers / 40_000))
    out["abnormal_outflow"] = max(3, round(customers / 5_000))
    return out


def split_counts(total: dict[str, int], sizes: list[int]) -> list[dict[str, int]]:
    """Spread case counts over chunks in proportion to their size (largest remainder)."""
    n = sum(sizes)
    out: list[dict[str, int]] = [{} for _ in sizes]
    for key, k in total.items():
        exact = np.array(sizes, dtype=float) * k / n
        base = np.floor(exact).astype(int)
        order = np.argsort(-(exact - base), kind="stable")
        base[order[: k - base.sum()]] += 1
        for i, b in enumerate(base):
            out[i][key] = int(b)
    return out


@dataclass
class Case:
    case_id: str
    typology: str
    customer: int
    start: int
    end: int
    params: dict[str, str] = field(default_factory=dict)
    #: (role, customer index, account index or -1, staff index or -1)
    parties: list[tuple[str, int, int, int]] = field(default_factory=list)
    description: str = ""


@dataclass
class Plan:
    """The chunk's cases and what they need from the rest of the generator."""

    cases: list[Case]
    actors: dict[int, list[int]]  # case index → customer indices
    day: dict[int, int]  # case index → main day
    silent_until: np.ndarray  # per customer, dormant-reactivation actors are silent until this day
    fixed: dict[int, float] = field(default_factory=dict)  # account → constant level (yuan)
    txns: list[Txns] = field(default_factory=list)
    party_rows: list[tuple[int, int, int]] = field(default_factory=list)  # (account, customer, role)


def plan(rng: np.random.Generator, cust: Customers, cal: Calendar, counts: dict[str, int], chunk: int) -> Plan:
    """Pick actors for every case and shape them (age, AUM, history) before accounts exist."""
    n = cust.n
    free = np.ones(n, bool)
    cases: list[Case] = []
    actors: dict[int, list[int]] = {}
    day: dict[int, int] = {}
    silent = np.full(n, -1, dtype=np.int64)
    as_of = cal.as_of_day
    ws = cal.window_start
    dstart = max(cal.daily_start, ws)
    old_enough = cust.open_day < as_of - 400

    def pick(mask: np.ndarray, k: int) -> np.ndarray:
        cand = np.flatnonzero(mask & free)
        if cand.size < k:  # fall back to anybody free: the case reshapes the customer anyway
            cand = np.flatnonzero(free & ~cust.corporate)
        chosen = rng.choice(cand, size=k, replace=False)
        free[chosen] = False
        cust.reserved[chosen] = True
        return chosen

    def new_case(typology: str, who: list[int], main_day: int, end_day: int) -> Case:
        code = {"fan_in_fan_out": "FIO", "concentrated_in_fan_out": "CFO", "pass_through": "PT",
                "cash_structuring": "CS", "dormant_reactivation": "DR", "cycle": "CY",
                "insider_ebanking": "INS", "abnormal_outflow": "OUT"}[typology]
        case = Case(f"{code}-{chunk:04d}-{len(cases) + 1:03d}", typology, int(who[0]), main_day, end_day,
                    description=TYPOLOGIES[typology][1])
        actors[len(cases)] = [int(w) for w in who]
        day[len(cases)] = main_day
        cases.append(case)
        return case

    def shape(c: np.ndarray, aum_lo: float, aum_hi: float, history_days: int) -> None:
        cust.pattern[c] = STABLE
        cust.aum[c] = np.exp(rng.uniform(np.log(aum_lo), np.log(aum_hi), size=c.size))
        cust.open_day[c] = np.minimum(cust.open_day[c], as_of - history_days - rng.integers(0, 900, c.size))
        cust.open_day[c] = np.maximum(cust.open_day[c], np.where(cust.corporate[c], 0, cust.birth_day[c] + 18 * 365))
        cust.close_day[c] = np.iinfo(np.int64).max // 4
        cust.activity[c] = np.maximum(cust.activity[c], 0.5)

    working_age = ~cust.corporate & (cust.age >= 23) & (cust.age <= 58)
    lo_day, hi_day = ws + 5, as_of - 8
    for typ in ("fan_in_fan_out", "concentrated_in_fan_out", "pass_through", "cash_structuring"):
        for _ in range(counts.get(typ, 0)):
            mask = working_age & old_enough
            if typ == "cash_structuring":
                mask = (cust.occupation == OCC["个体工商户"]) | cust.corporate
            c = pick(mask, 1)
            shape(c, 3_000, 40_000, 200)
            d = int(rng.integers(lo_day, max(hi_day, lo_day + 1)))
            new_case(typ, list(c), d, d)
    for _ in range(counts.get("dormant_reactivation", 0)):
        c = pick(~cust.corporate & (cust.age >= 30) & (cust.age <= 70), 1)
        shape(c, 800, 6_000, 3 * 365)
        cust.pattern[c] = DORMANT
        cust.activity[c] = 0.0
        d = int(rng.integers(max(as_of - 25, ws), as_of - 5))
        silent[c] = d - 1
        new_case("dormant_reactivation", list(c), d, d)
    for _ in range(counts.get("cycle", 0)):
        c = pick(working_age | cust.corporate, 4)  # three accounts in the loop, one controller
        shape(c, 5_000, 60_000, 200)
        d = int(rng.integers(lo_day, max(hi_day - 30, lo_day + 1)))
        new_case("cycle", list(c), d, d)
    for _ in range(counts.get("insider_ebanking", 0)):
        c = pick(~cust.corporate & (cust.age >= 62) & (cust.age <= 85), 1)
        shape(c, 60_000, 150_000, 900)
        d = int(rng.integers(dstart + 5, as_of - 12))
        new_case("insider_ebanking", list(c), d, d)
    # an outflow needs 30 days of balances before it and 7 after inside the daily window
    outflows = counts.get("abnormal_outflow", 0) if as_of - 8 > dstart + 35 else 0
    for _ in range(outflows):
        c = pick(old_enough, 1)
        shape(c, 900_000, 6_000_000, 400)
        if cust.corporate[c[0]]:
            cust.aum[c] *= 3
        d = int(rng.integers(dstart + 35, as_of - 8))
        new_case("abnormal_outflow", list(c), d, d)
    return Plan(cases=cases, actors=actors, day=day, silent_until=silent)


def simple_mask(p: Plan, n: int) -> np.ndarray:
    """Customers that hold only a settlement account (their cases act on it alone)."""
    out = np.zeros(n, bool)
    for who in p.actors.values():
        out[who] = True
    return out


def prepare_accounts(rng: np.random.Generator, p: Plan, cust: Customers, acc: Accounts, org: Org,
                     sg: Signups, cal: Calendar) -> None:
    """Accounts and signups the cases need (before balances): the insider victim's time deposit and
    the fraudulent card and mobile registration, mobile banking for the AML actors."""
    for i, case in enumerate(p.cases):
        who = p.actors[i]
        c = who[0]
        d = p.day[i]
        prim = int(acc.primary[c])
        acc.status[acc.primary[who]] = ACTIVE
        if case.typology == "insider_ebanking":
            _insider_accounts(rng, p, i, case, cust, acc, org, sg, cal)
            continue
        if case.typology == "dormant_reactivation":
            # the account sat untouched; it is woken up at the counter and mobile banking is added
            acc.status[prim] = ACTIVE
            _drop_signups(sg, c, [MOBILE])
            teller = int(org.outlet_tellers(np.array([cust.outlet[c]]), rng.random(1))[0])
            sg.add(np.array([c]), np.array([MOBILE]), np.array([d]), np.array([-1]), np.array([cust.outlet[c]]),
                   np.array([teller]))
            case.parties.append(("account_holder", c, prim, -1))
            case.params["silent_months_visible"] = str(int(cal.month_of(np.array([d]))[0]))
            case.params["account_open_date"] = str(np.datetime64(int(acc.open_day[prim]), "D"))
            continue
        # everybody else moves money through mobile banking, signed well before the case
        for actor in who:
            start, end = sg.window(MOBILE, cust.n)
            if not (start[actor] <= d - 20 and end[actor] > d + 40):
                _drop_signups(sg, actor, [MOBILE])
                signed = max(int(cust.open_day[actor]) + 1, d - int(rng.integers(40, 400)))
                sg.add(np.array([actor]), np.array([MOBILE]), np.array([signed]), np.array([-1]),
                       np.array([-1]), np.array([-1]))
        if case.typology == "abnormal_outflow":
            case.parties.append(("depositor", c, prim, -1))
        elif case.typology == "cycle":
            ring = who[:3]
            for r in ring:
                case.parties.append(("ring_member", r, int(acc.primary[r]), -1))
            case.parties.append(("controller", who[3], -1, -1))
            for r in ring:
                p.party_rows.append((int(acc.primary[r]), who[3], 2))
        else:
            case.parties.append(("account_holder", c, prim, -1))


def _drop_signups(sg: Signups, c: int, services: list[int]) -> None:
    keep = ~((sg.cust == c) & np.isin(sg.service, services))
    for name in ("cust", "service", "signed", "cancelled", "outlet", "operator"):
        setattr(sg, name, getattr(sg, name)[keep])


def _insider_accounts(rng: np.random.Generator, p: Plan, i: int, case: Case, cust: Customers, acc: Accounts,
                      org: Org, sg: Signups, cal: Calendar) -> None:
    c = p.actors[i][0]
    s = p.day[i]
    home = int(cust.outlet[c])
    others = np.flatnonzero(np.arange(org.n_outlets) != home)
    away = int(rng.choice(others))
    staff = int(org.outlet_ops_manager[away])
    # an elderly customer without e-banking whose savings sit in a time deposit
    _drop_signups(sg, c, [MOBILE, ONLINE, WECHAT])
    amount = float(np.round(rng.uniform(40_000, 90_000), -2))
    td_open = s - int(rng.integers(200, 900))
    td = acc.add(cust=np.array([c]), product=np.array([INDEX["TD12"]]), open_day=np.array([td_open]),
                 close_day=np.array([s + 1]), status=np.array([CLOSED]), outlet=np.array([home]),
                 operator=org.outlet_tellers(np.array([home]), rng.random(1)), share=np.array([0.0]),
                 loan=np.array([-1]))[0]
    p.fixed[int(td)] = amount
    # the operations manager of another outlet registers mobile banking and opens a card in the name
    sg.add(np.array([c]), np.array([MOBILE]), np.array([s]), np.array([-1]), np.array([away]), np.array([staff]))
    card = acc.add(cust=np.array([c]), product=np.array([INDEX["DC01"]]), open_day=np.array([s]),
                   close_day=np.array([-1]), status=np.array([ACTIVE]), outlet=np.array([away]),
                   operator=np.array([staff]), share=np.array([0.0]), loan=np.array([-1]))[0]
    p.fixed[int(card)] = 0.0
    case.parties += [("victim", c, int(acc.primary[c]), -1), ("victim_time_deposit", c, int(td), -1),
                     ("card_opened_by_staff", c, int(card), staff), ("staff", -1, -1, staff)]
    case.params.update({
        "staff_branch_id": org.branch_id[org.outlet_row[away]],
        "customer_branch_id": org.branch_id[org.outlet_row[home]],
        "time_deposit_amount": f"{amount:.2f}",
        "signup_date": str(np.datetime64(s, "D")),
    })


def inject(rng: np.random.Generator, p: Plan, cust: Customers, acc: Accounts, org: Org, bal: Balances,
           cps: Counterparties, cal: Calendar) -> None:
    """Create the cases' transactions and the daily-balance movements that go with them."""
    for i, case in enumerate(p.cases):
        fn = _INJECT[case.typology]
        t = fn(rng, p, i, case, cust, acc, org, bal, cps, cal)
        t.case[:] = i
        if t.n:
            case.start = int(t.day.min())
            case.end = int(t.day.max())
        p.txns.append(t)


def _people(rng: np.random.Generator, cps: Counterparties, k: int) -> np.ndarray:
    return cps.people[0] + rng.choice(cps.size(cps.people), size=k, replace=False)


def _clock(rng: np.random.Generator, k: int, lo: float = 8.0, hi: float = 22.0) -> np.ndarray:
    return (rng.uniform(lo, hi, size=k) * 3600).astype(np.int64)


def _fan_in(rng: np.random.Generator, p: Plan, i: int, case: Case, cust: Customers, acc: Accounts, org: Org,
        bal: Balances, cps: Counterparties, cal: Calendar) -> Txns:
    a = int(acc.primary[p.actors[i][0]])
    d0 = p.day[i]
    k = int(rng.integers(15, 41))
    span = int(rng.integers(2, 7))
    amounts = np.round(rng.uniform(1_500, 9_900, size=k), -1)
    days = d0 + rng.integers(0, span, size=k)
    total = amounts.sum()
    n_out = int(rng.integers(1, 3))
    out_amt = np.round(total * rng.uniform(0.9, 0.98) / n_out, -2) * np.ones(n_out)
    out_day = days.max() + rng.integers(0, 2, size=n_out)
    dest = cps.firms[0] + int(rng.integers(cps.size(cps.firms)))
    case.params.update({"n_in": str(k), "in_total": f"{total:.2f}", "n_out": str(n_out),
                        "out_total": f"{out_amt.sum():.2f}", "days_in": str(span)})
    return Txns.concat([
        Txns.make(np.full(k, a), days, _clock(rng, k), _f(amounts), IN, ONLINE_CH, TRANSFER, cp=_people(rng, cps, k)),
        Txns.make(np.full(n_out, a), out_day, _clock(rng, n_out, 9, 16), _f(out_amt), OUT, MOBILE_CH, TRANSFER,
                  cp=dest),
    ])


def _concentrated(rng: np.random.Generator, p: Plan, i: int, case: Case, cust: Customers, acc: Accounts, org: Org,
        bal: Balances, cps: Counterparties, cal: Calendar) -> Txns:
    a = int(acc.primary[p.actors[i][0]])
    d0 = p.day[i]
    n_in = int(rng.integers(1, 3))
    in_amt = np.round(rng.uniform(200_000, 1_000_000, size=n_in), -3)
    total = in_amt.sum()
    k = int(rng.integers(12, 31))
    w = rng.dirichlet(np.full(k, 3.0))
    out_amt = np.round(total * rng.uniform(0.9, 0.98) * w, -1)
    out_day = d0 + 1 + rng.integers(0, 4, size=k)
    case.params.update({"n_in": str(n_in), "in_total": f"{total:.2f}", "n_out": str(k),
                        "out_total": f"{out_amt.sum():.2f}"})
    src = cps.firms[0] + int(rng.integers(cps.size(cps.firms)))
    return Txns.concat([
        Txns.make(np.full(n_in, a), np.full(n_in, d0), _clock(rng, n_in, 9, 12), _f(in_amt), IN, ONLINE_CH, TRANSFER,
                  cp=src),
        Txns.make(np.full(k, a), out_day, _clock(rng, k), _f(out_amt), OUT, MOBILE_CH, TRANSFER,
                  cp=_people(rng, cps, k)),
    ])


def _pass_through(rng: np.random.Generator, p: Plan, i: int, case: Case, cust: Customers, acc: Accounts, org: Org,
        bal: Balances, cps: Counterparties, cal: Calendar) -> Txns:
    a = int(acc.primary[p.actors[i][0]])
    d0 = p.day[i]
    episodes = int(rng.integers(2, 5))
    # Episodes at least five days apart (an out may lag its in by two days: no 3-day window holds two of them)
    # and all before the last days of the data; at least two, which the planned day (≤ as-of − 8) leaves room for.
    starts = d0 + np.concatenate([[0], np.cumsum(rng.integers(5, 9, size=episodes - 1))])
    starts = starts[starts <= cal.as_of_day - 3]
    episodes = max(int(starts.size), 2)
    starts = starts if starts.size >= 2 else np.array([d0, d0 + 5])
    # Each episode moves many times the account's usual balance (its highest monthly average: the rule compares
    # a window's inflow with the month before's average), as a real pass-through account does.
    usual = float(max(bal.avg[a].max() / 100.0, bal.level[a].max()))
    amt = np.round(rng.uniform(max(50_000.0, 7 * usual), max(300_000.0, 14 * usual), size=episodes), -2)
    lag = rng.integers(0, 3, size=episodes)
    left = rng.uniform(0.001, 0.03, size=episodes)
    out_amt = np.round(amt * (1 - left), 2)
    case.params.update({"episodes": str(episodes), "in_total": f"{amt.sum():.2f}",
                        "out_total": f"{out_amt.sum():.2f}", "max_lag_days": str(int(lag.max()))})
    src = cps.firms[0] + rng.integers(0, cps.size(cps.firms), size=episodes)
    dst = _people(rng, cps, episodes)
    t_in = _clock(rng, episodes, 9, 14)
    # same-day pass-throughs leave within hours; later ones at any time of the day
    t_out = np.where(lag == 0, t_in + 1800 + _clock(rng, episodes, 0, 2), _clock(rng, episodes))
    return Txns.concat([
        Txns.make(np.full(episodes, a), starts, t_in, _f(amt), IN, ONLINE_CH, TRANSFER, cp=src),
        Txns.make(np.full(episodes, a), starts + lag, t_out, _f(out_amt), OUT, MOBILE_CH, TRANSFER, cp=dst),
    ])


def _structuring(rng: np.random.Generator, p: Plan, i: int, case: Case, cust: Customers, acc: Accounts, org: Org,
        bal: Balances, cps: Counterparties, cal: Calendar) -> Txns:
    c = p.actors[i][0]
    a = int(acc.primary[c])
    d0 = p.day[i]
    k = int(rng.integers(4, 9))
    span = int(rng.integers(2, 6))
    days = np.minimum(d0 + rng.integers(0, span, size=k), cal.as_of_day)
    amt = np.round(rng.uniform(45_000, 49_999, size=k), -2)
    amt = np.minimum(amt, 49_900)
    direction = IN if rng.random() < 0.7 else OUT
    # the customer spreads the visits over several outlets of the bank
    outlets = np.where(rng.random(k) < 0.5, cust.outlet[c], rng.integers(0, org.n_outlets, size=k))
    tellers = org.outlet_tellers(outlets, rng.random(k))
    case.params.update({"n_cash": str(k), "total": f"{amt.sum():.2f}", "direction": ["in", "out"][direction],
                        "threshold": "50000.00", "days": str(span), "outlets": str(len(set(outlets.tolist())))})
    return Txns.make(np.full(k, a), days, _clock(rng, k, 9, 16.5), _f(amt), direction, COUNTER, CASH,
                     operator=tellers)


def _reactivation(rng: np.random.Generator, p: Plan, i: int, case: Case, cust: Customers, acc: Accounts, org: Org,
        bal: Balances, cps: Counterparties, cal: Calendar) -> Txns:
    c = p.actors[i][0]
    a = int(acc.primary[c])
    d0 = p.day[i]
    k = int(rng.integers(3, 7))
    days = np.minimum(d0 + np.sort(rng.integers(0, 5, size=k)), cal.as_of_day)
    days[0] = d0
    in_amt = np.round(rng.uniform(100_000, 500_000, size=k), -3)
    out_amt = np.round(in_amt * rng.uniform(0.95, 0.995, size=k), -2)
    teller = int(org.outlet_tellers(np.array([cust.outlet[c]]), rng.random(1))[0])
    ch_in = np.where(np.arange(k) == 0, COUNTER, MOBILE_CH)
    op = np.where(ch_in == COUNTER, teller, -1)
    case.params.update({"n_in": str(k), "in_total": f"{in_amt.sum():.2f}", "out_total": f"{out_amt.sum():.2f}"})
    tin = _clock(rng, k, 9, 15)
    return Txns.concat([
        Txns.make(np.full(k, a), days, tin, _f(in_amt), IN, ch_in, TRANSFER,
                  cp=cps.firms[0] + rng.integers(0, cps.size(cps.firms), size=k), operator=op),
        Txns.make(np.full(k, a), days, tin + 3600, _f(out_amt), OUT, MOBILE_CH, TRANSFER, cp=_people(rng, cps, k)),
    ])


def _cycle(rng: np.random.Generator, p: Plan, i: int, case: Case, cust: Customers, acc: Accounts, org: Org,
        bal: Balances, cps: Counterparties, cal: Calendar) -> Txns:
    ring = [int(acc.primary[x]) for x in p.actors[i][:3]]
    d = p.day[i]
    rounds = int(rng.integers(2, 4))
    amount = float(np.round(rng.uniform(100_000, 800_000), -3))
    parts = []
    for _ in range(rounds):
        x = amount
        for j in range(3):
            src, dst = ring[j], ring[(j + 1) % 3]
            d = min(d + int(rng.integers(0, 2)), cal.as_of_day)
            t = int(rng.uniform(9, 17) * 3600)
            fen = _f(np.array([x]))
            parts.append(Txns.make(np.array([src]), np.array([d]), t, fen, OUT, ONLINE_CH, TRANSFER,
                                   cp=cps.internal + dst))
            parts.append(Txns.make(np.array([dst]), np.array([d]), t + 60, fen, IN, ONLINE_CH, TRANSFER,
                                   cp=cps.internal + src))
            x = float(np.round(x * rng.uniform(0.97, 0.995), -2))
        d = min(d + int(rng.integers(4, 11)), cal.as_of_day)
    case.params.update({"rounds": str(rounds), "first_amount": f"{amount:.2f}", "ring_size": "3"})
    return Txns.concat(parts)


def _insider(rng: np.random.Generator, p: Plan, i: int, case: Case, cust: Customers, acc: Accounts, org: Org,
        bal: Balances, cps: Counterparties, cal: Calendar) -> Txns:
    s = p.day[i]
    parties = {role: (a, st) for role, _, a, st in case.parties}
    td, _ = parties["victim_time_deposit"]
    card, _ = parties["card_opened_by_staff"]
    amount = p.fixed[td]
    t1 = int(rng.uniform(10, 20) * 3600)
    parts = [
        Txns.make(np.array([td]), np.array([s + 1]), t1, _f(np.array([amount])), OUT, MOBILE_CH, TRANSFER,
                  cp=cps.internal + card),
        Txns.make(np.array([card]), np.array([s + 1]), t1 + 30, _f(np.array([amount])), IN, MOBILE_CH, TRANSFER,
                  cp=cps.internal + td),
    ]
    bal.shift(card, s + 1, amount)
    left = amount
    day = s + 1
    n = 0
    while left > 1_000 and day <= cal.as_of_day:
        today = 0.0
        while left > 1_000 and today < 20_000:
            w = float(min(rng.choice([2_000, 3_000, 5_000]), left - left % 100, 20_000 - today))
            if w < 100:
                break
            parts.append(Txns.make(np.array([card]), np.array([day]), int(rng.uniform(18, 23.5) * 3600),
                                   _f(np.array([w])), OUT, ATM, CASH))
            bal.shift(card, day, -w)
            left -= w
            today += w
            n += 1
        day += 1
    case.params.update({"atm_withdrawals": str(n), "withdrawn_total": f"{amount - left:.2f}",
                        "days_to_drain": str(day - s - 1)})
    return Txns.concat(parts)


def _outflow(rng: np.random.Generator, p: Plan, i: int, case: Case, cust: Customers, acc: Accounts, org: Org,
        bal: Balances, cps: Counterparties, cal: Calendar) -> Txns:
    c = p.actors[i][0]
    a = int(acc.primary[c])
    d0 = p.day[i]
    before = bal.balance_on(a, d0 - 1)
    frac = float(rng.uniform(0.38, 0.75))
    k = int(rng.integers(1, 4))
    w = rng.dirichlet(np.full(k, 4.0))
    amounts = np.round(before * frac * w, -2)
    days = d0 + np.sort(rng.integers(0, 3, size=k))
    for dd, x in zip(days, amounts, strict=True):
        bal.shift(a, int(dd), -float(x))
    ch = COUNTER if rng.random() < 0.5 else (ONLINE_CH if cust.corporate[c] else MOBILE_CH)
    op = org.outlet_tellers(np.full(k, cust.outlet[c]), rng.random(k)) if ch == COUNTER else np.full(k, -1)
    cp = np.where(cust.corporate[c], cps.firms[0] + rng.integers(cps.size(cps.firms)),
                  cps.people[0] + rng.integers(cps.size(cps.people)))
    case.params.update({"outflow_total": f"{amounts.sum():.2f}", "balance_before": f"{before:.2f}",
                        "intended_drop": f"{frac:.3f}", "n_txn": str(k)})
    return Txns.make(np.full(k, a), days, _clock(rng, k, 9, 16), _f(amounts), OUT, ch, TRANSFER, cp=cp, operator=op)


def _f(yuan: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(yuan, dtype=float) * 100).astype(np.int64)


_INJECT = {
    "fan_in_fan_out": _fan_in,
    "concentrated_in_fan_out": _concentrated,
    "pass_through": _pass_through,
    "cash_structuring": _structuring,
    "dormant_reactivation": _reactivation,
    "cycle": _cycle,
    "insider_ebanking": _insider,
    "abnormal_outflow": _outflow,
}

