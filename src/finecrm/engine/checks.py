"""Evaluating a mart's declared key, not-null columns and invariants after it is written."""

from __future__ import annotations

from typing import Any

import ibis

from finecrm.engine.model import Model


def run_checks(table: ibis.Table, model: Model) -> list[dict[str, Any]]:
    """One result per check: name, passed, failing row count, what it means."""
    results: list[dict[str, Any]] = []
    if model.key:
        dupes = table.group_by(list(model.key)).agg(n=ibis._.count()).filter(ibis._.n > 1).count().execute()
        results.append({"check": f"unique key ({', '.join(model.key)})", "passed": int(dupes) == 0,
                        "failing": int(dupes), "doc": f"one row per {model.grain}"})
    for col in (*model.key, *model.not_null):
        nulls = table.filter(table[col].isnull()).count().execute()
        results.append({"check": f"not null: {col}", "passed": int(nulls) == 0, "failing": int(nulls),
                        "doc": f"{col} is always present"})
    for inv in model.invariants:
        bad = table.filter(~inv.condition(table).fill_null(False)).count().execute()
        results.append({"check": inv.name, "passed": int(bad) == 0, "failing": int(bad), "doc": inv.doc})
    return results
