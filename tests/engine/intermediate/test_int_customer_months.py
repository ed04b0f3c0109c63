"""Lifecycle stages of int_customer_months on hand-made customers (in-memory tables, no build).

Rules (defaults, first that applies): lost = all accounts closed; potential = no account yet; new =
first account within 6 months; dormant = no customer-initiated transaction for 12 months; declining
= average daily AUM down ≥ 30% against 3 months before; growing = up ≥ 20% (or up from nothing);
else stable. Expected stages are worked out by hand from those rules.
"""

from __future__ import annotations

from datetime import date

import ibis

from finecrm.core.settings import LifecycleSettings, Settings
from finecrm.engine.intermediate import int_customer_months
from finecrm.engine.intermediate.int_customer_months import AMOUNT_COLS, COUNT_COLS, VALUE_COLS
from finecrm.engine.model import BuildContext

from ..conftest import rows

FIRST = date(2025, 1, 1)
AS_OF = date(2026, 6, 30)
MONTHS = [date(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, 19)]  # 2025-01 … 2026-06
SETTINGS = Settings(lifecycle=LifecycleSettings(new_within_months=6, declining_drop=0.30, growing_rise=0.20,
                                                trend_months=3, dormant_months=12))


def m(text: str) -> date:
    return date.fromisoformat(text + "-01")


def flat(value: float, since: str = "2025-01", until: str = "2026-06") -> dict[date, float]:
    return {d: value for d in MONTHS if m(since) <= d <= m(until)}


#: customer → (customer opened, account opened, account closed or None, AUM by month, months with
#: customer-initiated transactions)
CUSTOMERS: dict[str, tuple[str, str | None, str | None, dict[date, float], list[date]]] = {
    # first account in Feb 2026: new up to the build month although AUM halves (new comes first)
    "NEW": ("2026-02-10", "2026-02-10", None,
            {m("2026-02"): 100_000.0, m("2026-03"): 100_000.0, m("2026-04"): 80_000.0, m("2026-05"): 60_000.0,
             m("2026-06"): 50_000.0}, [d for d in MONTHS if d >= m("2026-02")]),
    # first account in Dec 2025: 5 whole months in May (new), 6 in June (no longer)
    "NEW_6M": ("2025-12-05", "2025-12-05", None, flat(30_000.0, "2025-12"), [d for d in MONTHS if d >= m("2025-12")]),
    # its only account closed in March 2026: lost from March on
    "LOST": ("2025-01-05", "2025-01-05", "2026-03-15", flat(50_000.0, until="2026-02"), MONTHS[:14]),
    # last customer-initiated transaction in May 2025: dormant 12 months later (May 2026)
    "DORMANT": ("2024-03-01", "2024-03-01", None, flat(80_000.0), [m("2025-05")]),
    # never a customer-initiated transaction: the 12 months are counted from the first month of data
    "NEVER": ("2024-03-01", "2024-03-01", None, flat(80_000.0), []),
    # 200,000 → 139,000 three months later: down 30.5%, declining
    "DECLINING": ("2020-01-01", "2020-01-01", None,
                  {**flat(200_000.0, until="2026-03"), m("2026-04"): 180_000.0, m("2026-05"): 160_000.0,
                   m("2026-06"): 139_000.0}, MONTHS),
    # 200,000 → 141,000: down 29.5%, stable
    "SLIGHT": ("2020-01-01", "2020-01-01", None, {**flat(200_000.0, until="2026-05"), m("2026-06"): 141_000.0},
               MONTHS),
    # 100,000 → 125,000: up 25%, growing
    "GROWING": ("2020-01-01", "2020-01-01", None, {**flat(100_000.0, until="2026-05"), m("2026-06"): 125_000.0},
                MONTHS),
    # nothing three months before, something now: growing
    "FROM_ZERO": ("2020-01-01", "2020-01-01", None, {m("2026-06"): 5_000.0}, MONTHS),
    # a customer without any account: potential
    "PROSPECT": ("2025-06-01", None, None, {}, []),
}


def inputs() -> dict[str, ibis.Table]:
    cust, acc, bal, act = [], [], [], []
    for cid, (opened, first_account, closed, aum, active) in CUSTOMERS.items():
        cust.append({"customer_id": cid, "kind": "individual", "branch_id": "B1", "grid_id": None,
                     "open_date": date.fromisoformat(opened)})
        if first_account:
            acc.append({"customer_id": cid, "open_date": date.fromisoformat(first_account),
                        "close_date": date.fromisoformat(closed) if closed else None})
        for month, value in aum.items():
            bal.append({"customer_id": cid, "month": month, **dict.fromkeys(VALUE_COLS, 0.0),
                        "aum_avg": value, "deposit_avg": value})
        for month in active:
            act.append({"customer_id": cid, "month": month, **dict.fromkeys(COUNT_COLS, 2),
                        **dict.fromkeys(AMOUNT_COLS, 100.0)})
    money = dict.fromkeys(VALUE_COLS, "float64")
    return {
        "stg_customers": ibis.memtable(cust, schema={"customer_id": "string", "kind": "string", "branch_id": "string",
                                                     "grid_id": "string", "open_date": "date"}),
        "int_accounts_enriched": ibis.memtable(acc, schema={"customer_id": "string", "open_date": "date",
                                                            "close_date": "date"}),
        "int_balances_by_customer_month": ibis.memtable(bal, schema={"customer_id": "string", "month": "date",
                                                                     **money}),
        "int_activity_by_customer_month": ibis.memtable(
            act, schema={"customer_id": "string", "month": "date", **dict.fromkeys(COUNT_COLS, "int64"),
                         **dict.fromkeys(AMOUNT_COLS, "float64")}),
    }


def stages(backend) -> dict[str, dict[date, tuple[str, int]]]:
    ctx = BuildContext(as_of=AS_OF, settings=SETTINGS, data_from=FIRST)
    got = rows(backend, int_customer_months.build(inputs(), ctx), "customer_id", "month", "lifecycle",
               "inactive_months")
    out: dict[str, dict[date, tuple[str, int]]] = {}
    for cid, month, stage, inactive in got:
        out.setdefault(cid, {})[month] = (stage, inactive)
    return out


def test_lifecycle_stage_in_the_build_month(backend):
    now = {cid: by_month[m("2026-06")][0] for cid, by_month in stages(backend).items()}
    assert now == {
        "NEW": "new",
        "NEW_6M": "stable",
        "LOST": "lost",
        "DORMANT": "dormant",
        "NEVER": "dormant",
        "DECLINING": "declining",
        "SLIGHT": "stable",
        "GROWING": "growing",
        "FROM_ZERO": "growing",
        "PROSPECT": "potential",
    }


def test_lifecycle_transitions_month_by_month(backend):
    s = stages(backend)
    # new while the first account is less than 6 whole months old
    assert s["NEW_6M"][m("2025-12")][0] == "new" and s["NEW_6M"][m("2026-05")][0] == "new"
    assert s["NEW_6M"][m("2026-06")][0] == "stable"
    # a customer appears from the month they were opened
    assert min(s["NEW"]) == m("2026-02") and min(s["PROSPECT"]) == m("2025-06")
    # lost from the month the last account closed, not before
    assert s["LOST"][m("2026-02")][0] == "stable"
    assert [s["LOST"][d][0] for d in MONTHS if d >= m("2026-03")] == ["lost"] * 4
    # dormant once 12 months have passed since the last customer-initiated transaction
    assert s["DORMANT"][m("2026-04")] == ("stable", 11)
    assert s["DORMANT"][m("2026-05")] == ("dormant", 12)
    assert s["DORMANT"][m("2026-06")] == ("dormant", 13)
    # never active: Jan 2025 (the first month of data) is the first inactive month
    assert s["NEVER"][m("2025-11")] == ("stable", 11)
    assert s["NEVER"][m("2025-12")] == ("dormant", 12)
    assert s["NEVER"][m("2026-06")] == ("dormant", 18)
    # 160,000 against 200,000 three months before (May vs February) is -20%: not yet declining
    assert s["DECLINING"][m("2026-05")][0] == "stable"
