"""Evaluating a mart's declared key, not-null columns and invariants after it is written.

Everything but the key goes into one aggregate query (one pass over the mart); the key takes a
second (a distinct count). Checks are cheap even on the largest marts.
"""

from __future__ import annotations

from typing import Any

import ibis

from finecrm.engine.model import Model, count_if


def run_checks(table: ibis.Table, model: Model) -> tuple[int, list[dict[str, Any]]]:
    """The mart's row count and one result per check: name, passed, failing rows, meaning."""
    aggs: dict[str, Any] = {"rows": table.count()}
    for col in (*model.key, *model.not_null):
        aggs[f"null:{col}"] = count_if(table[col].isnull())
    for i, inv in enumerate(model.invariants):
        aggs[f"inv:{i}"] = count_if(~inv.condition(table).fill_null(False))
    names = list(aggs)
    values = table.aggregate(**{f"a{i}": expr for i, expr in enumerate(aggs.values())}).execute().iloc[0]
    got = {name: int(values[f"a{i}"] or 0) for i, name in enumerate(names)}
    rows = got["rows"]
    results: list[dict[str, Any]] = []
    if model.key:
        distinct = int(table.select(*model.key).distinct().count().execute())
        results.append({"check": f"unique key ({', '.join(model.key)})", "passed": distinct == rows,
                        "failing": rows - distinct, "doc": f"one row per {model.grain}"})
    for col in dict.fromkeys((*model.key, *model.not_null)):
        n = got[f"null:{col}"]
        results.append({"check": f"not null: {col}", "passed": n == 0, "failing": n,
                        "doc": f"{col} is always present"})
    for i, inv in enumerate(model.invariants):
        n = got[f"inv:{i}"]
        results.append({"check": inv.name, "passed": n == 0, "failing": n, "doc": inv.doc})
    return rows, results
