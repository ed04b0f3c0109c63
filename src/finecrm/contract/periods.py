"""Holding back a month that would shrink sharply.

An ingest replaces every month present in its input. A month that would lose most of its stored rows
(one late April row inside an October export would replace April's 31,027 transactions with 1) is
almost always an accident, so it is **held back**: its rows go to quarantine as ``period_held_back``
with the counts, the stored month stays, and the report and the message say how to confirm it
(``finecrm ingest … --replace-periods 2026-04``, or ``all``). The limit is
``ingest.period_shrink_limit``: a month is held back when the new rows are fewer than
``(1 - limit) ×`` the stored ones (0.5: fewer than half; 1 switches the check off).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from finecrm.contract import quarantine, store
from finecrm.contract.csvfile import SRC_ROW
from finecrm.contract.types import Table
from finecrm.contract.validation import SRC_FILE, accepted_view, lit, q

ALL = "all"


def is_held(change: store.PeriodChange, limit: float, confirmed: frozenset[str]) -> bool:
    if not change.rows_before or ALL in confirmed or change.period in confirmed:
        return False
    return change.rows_after < change.rows_before * (1 - limit)


def hold_back(
    con: duckdb.DuckDBPyConnection, table: Table, accepted_file: Path, held: list[store.PeriodChange], work: Path
) -> int:
    """Move the rows of the ``held`` months out of ``accepted_<table>`` into ``quarantine_<table>``;
    returns how many rows moved."""
    assert table.period
    month = f"strftime(date_trunc('month', {q(table.period)}), '%Y-%m')"
    months = ", ".join(lit(c.period) for c in held)
    reason = "CASE " + " ".join(
        f"WHEN {month} = {lit(c.period)} THEN "
        + lit(f"{c.period}: {table.name} would shrink from {c.rows_before:,} stored rows to {c.rows_after:,}; "
              f"held back — to replace the month, run the ingest again with --replace-periods {c.period}")
        for c in held) + " END"
    key_text = "concat_ws('|', " + ", ".join(f"CAST({q(k)} AS VARCHAR)" for k in table.key) + ")"
    record = "to_json(struct_pack(" + ", ".join(f"{q(c)} := {q(c)}" for c in table.column_names) + "))"
    rows = work / f"held_{table.name}.parquet"
    con.execute(f"""COPY (
        SELECT {lit(table.name)} AS "table", {SRC_FILE} AS source_file, CAST({SRC_ROW} AS BIGINT) AS source_row,
               {key_text} AS key, {lit(table.period)} AS "column", 'period_held_back' AS code, {reason} AS reason,
               CAST(to_json([{{'column': {lit(table.period)}, 'code': 'period_held_back', 'message': {reason}}}])
                    AS VARCHAR) AS all_reasons,
               CAST({record} AS VARCHAR) AS record
        FROM read_parquet({lit(str(accepted_file))}) WHERE {month} IN ({months})
        ) TO {lit(str(rows))} (FORMAT parquet)""")
    kept = work / f"accepted_{table.name}.kept.parquet"
    con.execute(f"COPY (SELECT * FROM read_parquet({lit(str(accepted_file))}) WHERE {month} NOT IN ({months})) "
                f"TO {lit(str(kept))} (FORMAT parquet, COMPRESSION zstd)")
    accepted_view(con, table, kept)
    quarantine.add_file(con, f"quarantine_{table.name}", rows, work)
    return sum(c.rows_after for c in held)
