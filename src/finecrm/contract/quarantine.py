"""Quarantine: the rows an ingest set aside, each with its source file, row and every reason.

Per table a DuckDB view ``quarantine_<table>`` collects them while the ingest runs; at the end they are
written to ``warehouse/quarantine/<ingest_id>/<table>.parquet`` and a ``.csv`` with a BOM (it opens in
Excel with the Chinese intact: the format a data clerk will use).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from finecrm.contract.csvfile import BrokenLine
from finecrm.contract.validation import lit, q

QUARANTINE_SCHEMA = pa.schema(
    [
        ("table", pa.string()),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
        ("key", pa.string()),
        ("column", pa.string()),
        ("code", pa.string()),
        ("reason", pa.string()),
        ("all_reasons", pa.string()),
        ("record", pa.string()),
    ]
)

#: What each quarantine code means, for reports and docs.
REASONS = {
    "missing": "a required value is empty",
    "bad_type": "the value does not parse as the column's type, or storing it would change it",
    "bad_code": "the code is not one of the contract's allowed codes",
    "out_of_range": "a number or date outside its allowed range",
    "too_many_decimals": "an amount with more decimals than the fen (0.01), or a rate with more than 6: not rounded",
    "control_character": "a value holds a control character (NUL, tab, line break, …)",
    "too_long": "a value longer than ingest.max_field_chars",
    "orphan": "a reference to a row that does not exist (or was quarantined)",
    "duplicate_key": "a second row with the same key (the first one is kept)",
    "broken_line": "a line that does not split into the header's fields (cut off, stray quote)",
    "bad_encoding": "a line that cannot be decoded in the file's encoding, or is clearly in another one",
    "period_held_back": "a month that would shrink sharply was held back; confirm with --replace-periods",
    "close_before_open": "close_date is before open_date",
    "maturity_before_open": "maturity_date is not after open_date",
    "closed_without_date": "status is closed but close_date is empty",
    "bad_currency": "currency is not a three-letter ISO 4217 code",
    "month_not_first_day": "a month value that is not the first day of a month",
    "cancel_before_sign": "cancelled_on is before signed_on",
    "maturity_before_start": "maturity_date is before start_date",
}


def broken_rows(table: str, broken: list[tuple[str, BrokenLine]]) -> pa.Table:
    rows = {name: [] for name in QUARANTINE_SCHEMA.names}  # type: dict[str, list[Any]]
    for file, b in broken:
        reason = {"column": None, "code": b.reason_code, "message": b.reason}
        rows["table"].append(table)
        rows["source_file"].append(file)
        rows["source_row"].append(b.line)
        rows["key"].append(None)
        rows["column"].append(None)
        rows["code"].append(b.reason_code)
        rows["reason"].append(b.reason)
        rows["all_reasons"].append(json.dumps([reason], ensure_ascii=False))
        rows["record"].append(json.dumps({"line": b.text}, ensure_ascii=False))
    return pa.table(rows, schema=QUARANTINE_SCHEMA)


def add_rows(con: duckdb.DuckDBPyConnection, relation: str, rows: pa.Table, work: Path) -> None:
    """Add set-aside lines to a quarantine view (which may not exist yet)."""
    if rows.num_rows == 0:
        return
    path = work / f"{relation}.lines.parquet"
    pq.write_table(rows, path)
    add_file(con, relation, path, work)


def add_file(con: duckdb.DuckDBPyConnection, relation: str, path: Path, work: Path) -> None:
    """Add the quarantine rows in Parquet file ``path`` to view ``relation`` (which may not exist yet)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [relation]).fetchone()[0]  # type: ignore[index]
    parts = [f"SELECT * FROM read_parquet({lit(str(path))})"]
    if exists:
        # materialise the current rows first: the view is about to be replaced
        current = work / f"{relation}.{path.stem}.rows.parquet"
        con.execute(f"COPY (SELECT * FROM {q(relation)}) TO {lit(str(current))} (FORMAT parquet)")
        parts.insert(0, f"SELECT * FROM read_parquet({lit(str(current))})")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {q(relation)} AS " + " UNION ALL BY NAME ".join(parts))


def reason_summary(con: duckdb.DuckDBPyConnection, relation: str, examples: int) -> tuple[dict[str, int], list[dict[str, Any]]]:
    counts = dict(
        con.execute(f"SELECT code, count(*) FROM {q(relation)} GROUP BY code ORDER BY 2 DESC, 1").fetchall()
    )
    rows = con.execute(
        f"""SELECT code, source_file, source_row, key, "column", reason FROM (
              SELECT *, row_number() OVER (PARTITION BY code ORDER BY source_file, source_row) AS n FROM {q(relation)}
            ) WHERE n <= {int(examples)} ORDER BY code, source_file, source_row"""
    ).fetchall()
    cols = ["code", "source_file", "source_row", "key", "column", "reason"]
    return {k: int(v) for k, v in counts.items()}, [dict(zip(cols, r, strict=True)) for r in rows]


def write(con: duckdb.DuckDBPyConnection, relation: str, folder: Path, name: str) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    pq_path = folder / f"{name}.parquet"
    csv_path = folder / f"{name}.csv"
    order = "ORDER BY source_file, source_row"
    con.execute(f"COPY (SELECT * FROM {q(relation)} {order}) TO {lit(str(pq_path))} (FORMAT parquet)")
    tmp_csv = folder / f"{name}.csv.tmp"
    con.execute(f"COPY (SELECT * FROM {q(relation)} {order}) TO {lit(str(tmp_csv))} (FORMAT csv, HEADER)")
    with csv_path.open("wb") as out, tmp_csv.open("rb") as src:
        out.write(b"\xef\xbb\xbf")
        while chunk := src.read(1 << 20):
            out.write(chunk)
    tmp_csv.unlink()
    return {"parquet": str(pq_path), "csv": str(csv_path)}
