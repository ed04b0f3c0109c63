"""Loan early warnings (mart credit_warnings) on hand-made borrowers, and on a built bank against the same rules
worked out with pandas from the snapshot's own marts — each on DuckDB and Spark.

Every rule has a borrower just inside it and borrowers just outside (the day, the share, the threshold), so a
rule that fires too often or too rarely fails here.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from finecrm.core.settings import Settings
from finecrm.engine.marts.credit import credit_warnings
from finecrm.engine.model import BuildContext

from .conftest import rows

AS_OF = date(2026, 9, 30)
MONTH = date(2026, 9, 1)


def _status(*loans: dict) -> ibis.Table:
    base = {"branch_id": "B1", "manager_id": "M1", "is_open": True, "dpd": 0, "first_unpaid_due": None,
            "outstanding_principal": 100_000.0, "overdue_amount": 0.0, "days_to_maturity": 300,
            "maturity_date": AS_OF + timedelta(days=300)}
    data = [{**base, **loan} for loan in loans]
    for r in data:
        r["maturity_date"] = AS_OF + timedelta(days=r["days_to_maturity"])
    return _table(data, {
        "loan_id": "string", "customer_id": "string", "branch_id": "string", "manager_id": "string",
        "is_open": "boolean", "dpd": "int64", "first_unpaid_due": "date", "outstanding_principal": "float64",
        "overdue_amount": "float64", "days_to_maturity": "int64", "maturity_date": "date"})


def _table(data: list[dict], schema: dict[str, str]) -> ibis.Table:
    """In-memory rows as Arrow with exact types (pandas would turn an empty date into a float NaN, which Spark
    refuses)."""
    arrow = ibis.schema(schema).to_pyarrow()
    return ibis.memtable(pa.Table.from_pylist([{k: r.get(k) for k in schema} for r in data], schema=arrow))


def _sources() -> dict[str, ibis.Table]:
    status = _status(
        # first missed: past due 10 days, never before (C1); past due before in July (C2); 45 days (C3)
        {"loan_id": "L1", "customer_id": "C1", "dpd": 10, "first_unpaid_due": date(2026, 9, 20),
         "overdue_amount": 3_000.0},
        {"loan_id": "L2", "customer_id": "C2", "dpd": 10, "first_unpaid_due": date(2026, 9, 20),
         "overdue_amount": 3_000.0},
        {"loan_id": "L3", "customer_id": "C3", "dpd": 45, "first_unpaid_due": date(2026, 8, 16),
         "overdue_amount": 6_000.0},
        {"loan_id": "L3x", "customer_id": "C3", "dpd": 5, "first_unpaid_due": date(2026, 9, 25), "is_open": False},
        # deposits draining: an alert 15 days ago (C4), 60 days ago (C5); C6 has no loan
        {"loan_id": "L4", "customer_id": "C4", "outstanding_principal": 50_000.0},
        {"loan_id": "L4b", "customer_id": "C4", "outstanding_principal": 20_000.0},
        {"loan_id": "L5", "customer_id": "C5"},
        # financial assets: -60 % (C7), -40 % (C8), -80 % from below aum_min (C9)
        {"loan_id": "L7", "customer_id": "C7"},
        {"loan_id": "L8", "customer_id": "C8"},
        {"loan_id": "L9", "customer_id": "C9"},
        # maturity in 20 days, funds 30 % of the principal left (C10); funds 60 % (C11); in 40 days (C12)
        {"loan_id": "L10", "customer_id": "C10", "days_to_maturity": 20},
        {"loan_id": "L11", "customer_id": "C11", "days_to_maturity": 20},
        {"loan_id": "L12", "customer_id": "C12", "days_to_maturity": 40},
        # grid G2: only two borrowers past due
        {"loan_id": "L13", "customer_id": "C13", "dpd": 100, "first_unpaid_due": date(2026, 6, 22),
         "overdue_amount": 9_000.0},
    )
    history = _table([
        {"loan_id": "L2", "month": date(2026, 7, 1), "dpd": 5},
        {"loan_id": "L1", "month": date(2026, 8, 1), "dpd": 0},
        {"loan_id": "L1", "month": MONTH, "dpd": 10},  # this month's own row does not count as "before"
    ], {"loan_id": "string", "month": "date", "dpd": "int64"})
    alerts = _table([
        {"customer_id": "C4", "alert_date": AS_OF - timedelta(days=15), "grid_id": "G3", "balance": 20_000.0,
         "baseline": 200_000.0, "outflow_within": 180_000.0},
        {"customer_id": "C5", "alert_date": AS_OF - timedelta(days=60), "grid_id": "G3", "balance": 1.0,
         "baseline": 9.0, "outflow_within": 8.0},
        {"customer_id": "C6", "alert_date": AS_OF - timedelta(days=2), "grid_id": "G3", "balance": 1.0,
         "baseline": 9.0, "outflow_within": 8.0},
    ], {"customer_id": "string", "alert_date": "date", "grid_id": "string", "balance": "float64",
        "baseline": "float64", "outflow_within": "float64"})
    tiers = []
    for c, grid, before, now, end in [
        ("C1", "G1", 0, 0, 0), ("C2", "G1", 0, 0, 0), ("C3", "G1", 0, 0, 0), ("C13", "G2", 0, 0, 0),
        ("C7", "G3", 100_000, 40_000, 40_000), ("C8", "G3", 100_000, 60_000, 60_000),
        ("C9", "G3", 5_000, 1_000, 1_000),
        ("C10", "G3", 0, 0, 30_000), ("C11", "G3", 0, 0, 60_000), ("C12", "G3", 0, 0, 0),
    ]:
        tiers += [{"customer_id": c, "month": date(2026, 6, 1), "grid_id": grid, "aum_avg": float(before),
                   "aum_end": float(before)},
                  {"customer_id": c, "month": MONTH, "grid_id": grid, "aum_avg": float(now), "aum_end": float(end)}]
    # C2's loan L2 is past due and in G1 as well, so G1 has three borrowers past due (C1, C2, C3)
    tier_history = _table(tiers, {
        "customer_id": "string", "month": "date", "grid_id": "string", "aum_avg": "float64", "aum_end": "float64"})
    return {"loan_status": status, "loan_overdue_history": history, "deposit_alerts": alerts,
            "customer_tier_history": tier_history}


def test_each_rule_fires_inside_its_threshold_and_not_outside(backend):
    expr = credit_warnings.build(_sources(), BuildContext(as_of=AS_OF, settings=Settings()))
    got = rows(backend, expr, "rule", "warning_id", "loan_id", "customer_id", "grid_id", "exposure",
               "warning_date", key=2)
    assert [(r[0], r[2], r[3], r[4], r[5], r[6]) for r in got] == [
        ("aum_falling", None, "C7", "G3", 100_000.0, AS_OF),
        ("deposits_draining", None, "C4", "G3", 70_000.0, AS_OF - timedelta(days=15)),
        ("first_missed", "L1", "C1", "G1", 100_000.0, date(2026, 9, 21)),
        ("grid_overdue", None, None, "G1", 300_000.0, AS_OF),
        ("maturity_shortfall", "L10", "C10", "G3", 100_000.0, AS_OF),
    ]
    ids = [r[1] for r in got]
    assert "first_missed:L1:2026-09-21" in ids and "grid_overdue:G1:2026-09-30" in ids  # stable across builds


def test_evidence_reads_in_both_languages_with_the_figures(backend):
    expr = credit_warnings.build(_sources(), BuildContext(as_of=AS_OF, settings=Settings()))
    got = {r[0]: r[1:] for r in rows(backend, expr, "rule", "evidence_zh", "evidence_en", "rule_zh", "params")}
    assert got["first_missed"][0].startswith("首次逾期：2026-09-20 到期的一期未还足，逾期 10 天")
    assert "10 days past due, 3000 overdue" in got["first_missed"][1]
    assert "由 100000 元（3 个月前）降至 40000 元（-60%）" in got["aum_falling"][0]
    assert "3 borrowers of the grid past due" in got["grid_overdue"][1]
    assert got["maturity_shortfall"][2] == "临近到期而资金不足"
    assert got["grid_overdue"][3] == "grid_min_borrowers=3"


def test_configured_thresholds_move_the_rules(backend):
    settings = Settings.model_validate({"credit": {"warnings": {
        "first_missed_max_dpd": 60, "aum_drop_share": 0.3, "maturity_within_days": 45, "grid_min_borrowers": 2,
        "drain_within_days": 90}}})
    expr = credit_warnings.build(_sources(), BuildContext(as_of=AS_OF, settings=settings))
    got = {(r[0], r[1] or r[2]) for r in rows(backend, expr, "rule", "customer_id", "grid_id")}
    assert ("first_missed", "C3") in got  # 45 days now counts as a first miss
    assert ("aum_falling", "C8") in got and ("aum_falling", "C9") not in got  # -40 %; below aum_min stays out
    assert ("maturity_shortfall", "C12") in got  # 40 days to maturity (with no funds)
    assert ("grid_overdue", "G2") not in got  # C13 alone in G2
    assert ("deposits_draining", "C5") in got and ("deposits_draining", "C6") not in got  # C6 has no loan


@pytest.fixture
def snapshot_marts(engine_build):
    ws, result = engine_build
    folder = ws.snapshots / result["build_id"] / "marts"
    return {name: pd.read_parquet(folder / name) for name in
            ("credit_warnings", "loan_status", "loan_overdue_history", "customer_tier_history", "deposit_alerts")}


def test_a_built_bank_warns_exactly_as_the_rules_say(snapshot_marts):
    """The same rules worked out with pandas from the snapshot's marts, rule by rule."""
    p = Settings().credit.warnings
    m = snapshot_marts
    s = m["loan_status"][m["loan_status"].is_open]
    as_of = pd.Timestamp(s.as_of_date.iloc[0])
    month = as_of.replace(day=1)
    h = m["loan_overdue_history"]
    before = set(h[(pd.to_datetime(h.month) < month) & (h.dpd > 0)].loan_id)
    expected = {("first_missed", lid) for lid in s[(s.dpd > 0) & (s.dpd <= p.first_missed_max_dpd)].loan_id
                if lid not in before}
    a = m["deposit_alerts"]
    days = (as_of - pd.to_datetime(a.alert_date)).dt.days
    expected |= {("deposits_draining", c) for c in set(a[(days >= 0) & (days < p.drain_within_days)].customer_id)
                 & set(s.customer_id)}
    t = m["customer_tier_history"]
    t = t.assign(month=pd.to_datetime(t.month))
    now = t[t.month == month].set_index("customer_id")
    then = t[t.month == month - pd.DateOffset(months=p.aum_months)].set_index("customer_id")
    both = now.join(then.add_suffix("_before"), how="inner")
    both = both[both.index.isin(s.customer_id)]
    falling = both[(both.aum_avg_before >= p.aum_min) & (both.aum_avg <= (1 - p.aum_drop_share) * both.aum_avg_before)]
    expected |= {("aum_falling", c) for c in falling.index}
    near = s[(s.days_to_maturity >= 0) & (s.days_to_maturity <= p.maturity_within_days) & (s.outstanding_principal > 0)]
    funds = near.customer_id.map(now.aum_end).fillna(0.0)
    expected |= {("maturity_shortfall", lid)
                 for lid in near[funds < p.maturity_min_cover * near.outstanding_principal].loan_id}
    late = s[s.dpd > 0].assign(grid=lambda d: d.customer_id.map(now.grid_id)).dropna(subset=["grid"])
    per_grid = late.groupby("grid").customer_id.nunique()
    expected |= {("grid_overdue", g) for g in per_grid[per_grid >= p.grid_min_borrowers].index}

    w = m["credit_warnings"]
    got = {(r.rule, r.grid_id if r.rule == "grid_overdue" else
            (r.loan_id if r.rule in ("first_missed", "maturity_shortfall") else r.customer_id))
           for r in w.itertuples()}
    assert got == expected
    assert len(expected) >= 3 and len({r for r, _ in expected}) >= 2, expected  # the bank gives rules to check
