"""visit_plan of a generated bank against the tier frequency rule applied, here, to an independent reading of
the snapshot (customer_360 and customer_tier_history read with DuckDB, the rule written out in Python), on
DuckDB and Spark."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from finecrm.core.settings import Settings

from ...conftest import mart


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def expected_plan(ws, build_id: str, as_of: date) -> dict[str, dict]:
    """The rule written out: a customer with a manager, not lost, whose tier has a frequency N is due once in
    each N-month cycle counted from January; due last cycle when the tier of the month before had one."""
    freq = Settings().workbench.visit_frequency_months
    month = as_of.replace(day=1)
    customers = mart(ws, build_id, "customer_360").select(
        "customer_id, manager_id, tier, lifecycle").to_arrow_table().to_pylist()
    history = {(r["customer_id"], r["month"]): r["tier"] for r in mart(ws, build_id, "customer_tier_history")
               .select("customer_id, month, tier").to_arrow_table().to_pylist()}
    out = {}
    for c in customers:
        n = freq.get(c["tier"])
        if n is None or c["manager_id"] is None or c["lifecycle"] == "lost":
            continue
        i = _month_index(month)
        start = i - (month.month - 1) % n
        before = history.get((c["customer_id"], _month(start - 1)))
        out[c["customer_id"]] = {
            "manager_id": c["manager_id"], "tier": c["tier"], "frequency_months": n, "cycle_start": _month(start),
            "due_by": _month(start + n) - timedelta(days=1), "previous_cycle_start": _month(start - n),
            "due_last_cycle": before is not None and before in freq,
        }
    return out


def test_visit_plan_is_the_tier_frequency_rule(engine_build):
    ws, manifest = engine_build
    as_of = date.fromisoformat(manifest["as_of"])
    want = expected_plan(ws, manifest["build_id"], as_of)
    rows = mart(ws, manifest["build_id"], "visit_plan").to_arrow_table().to_pylist()
    got = {r["customer_id"]: {k: r[k] for k in ("manager_id", "tier", "frequency_months", "cycle_start", "due_by",
                                                 "previous_cycle_start", "due_last_cycle")} for r in rows}
    assert len(got) == len(rows)  # one row per customer (and so per manager × customer)
    assert set(got) == set(want)
    wrong = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert not wrong, f"{len(wrong)} rows differ, e.g. {list(wrong.items())[:3]}"
    assert {r["plan_month"] for r in rows} == {as_of.replace(day=1)}
    # the bank has something to plan at each frequency, and customers carried over from the cycle before
    assert {1, 2, 3} <= {w["frequency_months"] for w in want.values()}
    assert any(w["due_last_cycle"] for w in want.values())


@pytest.mark.parametrize(("month", "every", "start"), [
    (date(2026, 11, 1), 1, date(2026, 11, 1)), (date(2026, 11, 1), 2, date(2026, 11, 1)),
    (date(2026, 12, 1), 2, date(2026, 11, 1)), (date(2026, 12, 1), 3, date(2026, 10, 1)),
    (date(2026, 1, 1), 3, date(2026, 1, 1)), (date(2026, 6, 1), 12, date(2026, 1, 1)),
    (date(2026, 8, 1), 6, date(2026, 7, 1)), (date(2026, 8, 1), 4, date(2026, 5, 1)),
])
def test_cycles_are_counted_from_january(month, every, start):
    from finecrm.engine.marts.workbench.visit_plan import cycle_start

    assert cycle_start(month, every) == start
