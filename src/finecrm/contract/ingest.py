"""The ingest: input folder (optionally through a mapping) → validated canonical tables + quarantine.

Guarantee, per table and per mapping source: ``accepted + quarantined = read``. Every quarantined
row has a reason. The warehouse changes only after every table has been validated.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from finecrm.contract import mapping as mapping_mod
from finecrm.contract import store
from finecrm.contract.csvfile import BrokenLine
from finecrm.contract.sources import StagedTable, conform, discover, stage_files
from finecrm.contract.tables import BY_NAME, TABLES
from finecrm.contract.validation import lit, q, validate_table
from finecrm.core.errors import IngestError, MappingError
from finecrm.core.progress import SILENT, Progress

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
    "bad_type": "the value does not parse as the column's type",
    "bad_code": "the code is not one of the contract's allowed codes",
    "out_of_range": "a number or date outside its allowed range",
    "orphan": "a reference to a row that does not exist (or was quarantined)",
    "duplicate_key": "a second row with the same key (the first one is kept)",
    "broken_line": "a line that does not split into the header's fields (cut off, stray quote)",
    "bad_encoding": "a line that cannot be decoded in the file's encoding",
    "close_before_open": "close_date is before open_date",
    "closed_without_date": "status is closed but close_date is empty",
    "bad_currency": "currency is not a three-letter ISO 4217 code",
    "month_not_first_day": "a month value that is not the first day of a month",
    "cancel_before_sign": "cancelled_on is before signed_on",
    "maturity_before_start": "maturity_date is before start_date",
}


@dataclass
class IngestOptions:
    delimiter: str = ","
    encoding: str = "auto"
    earliest: date = date(1900, 1, 1)
    examples: int = 3
    memory_limit: str = ""
    today: date = field(default_factory=date.today)


def _broken_rows(table: str, broken: list[tuple[str, BrokenLine]]) -> pa.Table:
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


def _add_quarantine(con: duckdb.DuckDBPyConnection, relation: str, rows: pa.Table, work: Path) -> None:
    """Add set-aside lines to a quarantine view (which may not exist yet)."""
    if rows.num_rows == 0:
        return
    path = work / f"{relation}.lines.parquet"
    pq.write_table(rows, path)
    exists = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [relation]).fetchone()[0]  # type: ignore[index]
    parts = [f"SELECT * FROM read_parquet({lit(str(path))})"]
    if exists:
        # materialise the current rows first: the view is about to be replaced
        current = work / f"{relation}.rows.parquet"
        con.execute(f"COPY (SELECT * FROM {q(relation)}) TO {lit(str(current))} (FORMAT parquet)")
        parts.insert(0, f"SELECT * FROM read_parquet({lit(str(current))})")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {q(relation)} AS " + " UNION ALL BY NAME ".join(parts))


def _reason_summary(con: duckdb.DuckDBPyConnection, relation: str, examples: int) -> tuple[dict[str, int], list[dict[str, Any]]]:
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


def _write_quarantine(con: duckdb.DuckDBPyConnection, relation: str, folder: Path, name: str) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    pq_path = folder / f"{name}.parquet"
    csv_path = folder / f"{name}.csv"
    order = "ORDER BY source_file, source_row"
    con.execute(f"COPY (SELECT * FROM {q(relation)} {order}) TO {lit(str(pq_path))} (FORMAT parquet)")
    # A CSV with a BOM opens in Excel with the Chinese intact: the format a data clerk will use.
    tmp_csv = folder / f"{name}.csv.tmp"
    con.execute(f"COPY (SELECT * FROM {q(relation)} {order}) TO {lit(str(tmp_csv))} (FORMAT csv, HEADER)")
    with csv_path.open("wb") as out, tmp_csv.open("rb") as src:
        out.write(b"\xef\xbb\xbf")
        while chunk := src.read(1 << 20):
            out.write(chunk)
    tmp_csv.unlink()
    return {"parquet": str(pq_path), "csv": str(csv_path)}


def run_ingest(
    input_dir: Path,
    *,
    raw: Path,
    quarantine_root: Path,
    ingest_id: str,
    mapping_dir: Path | None = None,
    options: IngestOptions | None = None,
    progress: Progress = SILENT,
    work_root: Path | None = None,
) -> dict[str, Any]:
    """Ingest ``input_dir``; returns the report (see docs/ingest.md). Raises only for a bad mapping or folder."""
    opts = options or IngestOptions()
    if not input_dir.is_dir():
        raise IngestError(f"{input_dir} is not a folder; give the folder that holds the exported files")
    raw.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "ingest_id": ingest_id,
        "input": str(input_dir),
        "mapping": str(mapping_dir) if mapping_dir else None,
        "tables": {},
        "sources": {},
        "ignored_files": [],
        "warnings": [],
    }
    with tempfile.TemporaryDirectory(prefix="finecrm-ingest-", dir=work_root) as tmpname:
        work = Path(tmpname)
        # In memory, spilling to the scratch folder: the big intermediates are Parquet files there.
        con = duckdb.connect(":memory:")
        con.execute(f"SET temp_directory = {lit(str(work / 'spill'))}")
        con.execute("SET preserve_insertion_order = true")
        if opts.memory_limit:
            con.execute(f"SET memory_limit = {lit(opts.memory_limit)}")
        staged: dict[str, StagedTable] = {}
        unusable: dict[str, str] = {}
        source_quarantine: dict[str, pa.Table] = {}

        if mapping_dir is not None:
            m = mapping_mod.load_mapping(mapping_dir)
            sandbox = duckdb.connect(str(work / "mapping.duckdb"))
            sandbox.execute(f"SET temp_directory = {lit(str(work / 'spill-mapping'))}")
            with progress.task("读取源文件 reading sources", len(m.sources)) as task:
                src_reports = mapping_mod.stage_sources(m, input_dir, sandbox, work)
                task.advance(len(m.sources))
            mapping_mod.lock_down(sandbox)
            for name, sr in src_reports.items():
                quarantined = len(sr.broken)
                report["sources"][name] = {
                    "file": sr.file,
                    "encoding": sr.encoding,
                    "read": sr.read,
                    "accepted": sr.accepted,
                    "quarantined": quarantined,
                    "blank_lines": sr.blank_lines,
                    "by_reason": _count_codes(sr.broken),
                }
                if sr.broken:
                    source_quarantine[name] = _broken_rows(f"source:{name}", [(sr.file, b) for b in sr.broken])
            with progress.task("执行映射 running mapping", len(m.queries)) as task:
                for tname in m.queries:
                    out = work / f"mapped_{tname}.parquet"
                    try:
                        cols = mapping_mod.run_query(sandbox, m, tname, out)
                    except MappingError as exc:
                        unusable[tname] = str(exc)
                        task.advance()
                        continue
                    rel = f"staged_{tname}"
                    con.execute(f"CREATE OR REPLACE TEMP VIEW {q(rel)} AS SELECT * FROM read_parquet({lit(str(out))})")
                    n = con.execute(f"SELECT count(*) FROM {q(rel)}").fetchone()[0]  # type: ignore[index]
                    staged[tname] = StagedTable(rel, [f"{tname}.sql"], cols, int(n))
                    task.advance()
            sandbox.close()
        else:
            try:
                found, ignored = discover(input_dir)
            except ValueError as exc:
                raise IngestError(str(exc)) from None
            report["ignored_files"] = ignored
            if not found:
                raise IngestError(
                    f"{input_dir} holds no contract tables (files named like customers.csv or accounts.parquet); "
                    "for a bank's own export format use --mapping"
                )
            with progress.task("读取文件 reading files", len(found)) as task:
                for tname, files in found.items():
                    try:
                        staged[tname] = stage_files(
                            con, tname, files, work, delimiter=opts.delimiter, encoding=opts.encoding
                        )
                    except (ValueError, OSError, pa.ArrowException, duckdb.Error) as exc:
                        unusable[tname] = f"cannot read {', '.join(p.name for p in files)}: {exc}"
                    task.advance()

        pending = store.PendingWrites()
        accepted_tables: set[str] = set()
        with progress.task("校验 validating", len(TABLES)) as task:
            for table in TABLES:
                task.advance()
                entry: dict[str, Any] = {"status": "absent"}
                report["tables"][table.name] = entry
                if table.name in unusable:
                    entry.update(status="unusable", error=unusable[table.name])
                    continue
                st = staged.get(table.name)
                if st is None:
                    if table.required and not store.stored_files(raw, table):
                        report["warnings"].append(
                            f"{table.name}: not in this input and not stored yet; analyses that need it will be empty"
                        )
                    continue
                entry.update(files=st.files, encodings=st.encodings, blank_lines=st.blank_lines)
                try:
                    relation, missing_optional, extra = conform(con, table, st)
                except ValueError as exc:
                    entry.update(status="unusable", error=f"{table.name}: {exc}", read=st.read)
                    unusable[table.name] = str(exc)
                    continue
                entry.update(columns_missing=missing_optional, columns_ignored=extra)
                parents = _parent_keys(con, raw, table.name, st, accepted_tables, set(staged) | set(unusable), entry)
                v = validate_table(con, table, relation, parents, today=opts.today, earliest=opts.earliest,
                                   work=work)
                qrel = f"quarantine_{table.name}"
                _add_quarantine(con, qrel, _broken_rows(table.name, st.broken), work)
                quarantined = v.quarantined + len(st.broken)
                by_reason, examples = _reason_summary(con, qrel, opts.examples)
                entry.update(
                    status="ok",
                    read=v.read + len(st.broken),
                    accepted=v.accepted,
                    quarantined=quarantined,
                    by_reason=by_reason,
                    examples=examples,
                )
                if v.accepted == 0:
                    entry.update(status="unusable", error=f"{table.name}: every row was quarantined; see the reasons")
                    unusable[table.name] = entry["error"]
                    continue
                accepted_tables.add(table.name)
                entry["stored"] = store.stage_write(con, raw, table, f"accepted_{table.name}", pending)

        qfolder = quarantine_root / ingest_id
        qfiles: dict[str, Any] = {}
        for table in TABLES:
            entry = report["tables"][table.name]
            if entry.get("quarantined"):
                qfiles[table.name] = _write_quarantine(con, f"quarantine_{table.name}", qfolder, table.name)
        for name, rows in source_quarantine.items():
            rel = f"quarantine_source_{name}"
            _add_quarantine(con, rel, rows, work)
            qfiles[f"source:{name}"] = _write_quarantine(con, rel, qfolder, f"source__{name}")
        report["quarantine_files"] = qfiles
        pending.commit()
        con.close()

    tables = [t for t in report["tables"].values() if "read" in t]
    report["totals"] = {
        "read": sum(t["read"] for t in tables),
        "accepted": sum(t.get("accepted", 0) for t in tables),
        "quarantined": sum(t.get("quarantined", 0) for t in tables),
    }
    seen = {c for t in report["tables"].values() for c in t.get("by_reason", {})}
    seen |= {c for s in report["sources"].values() for c in s["by_reason"]}
    report["reason_meanings"] = {c: REASONS.get(c, c) for c in sorted(seen)}
    report["totals"]["source_lines_quarantined"] = sum(s["quarantined"] for s in report["sources"].values())
    report["unusable"] = sorted(unusable)
    any_quarantine = report["totals"]["quarantined"] or report["totals"]["source_lines_quarantined"]
    report["status"] = "failed" if unusable else ("partial" if any_quarantine else "ok")
    return report


def _count_codes(broken: list[BrokenLine]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for b in broken:
        counts[b.reason_code] = counts.get(b.reason_code, 0) + 1
    return counts


def _parent_keys(
    con: duckdb.DuckDBPyConnection,
    raw: Path,
    name: str,
    st: StagedTable,
    accepted_tables: set[str],
    provided: set[str],
    entry: dict[str, Any],
) -> dict[str, str]:
    """SQL per foreign key for the parent keys it may point at: accepted now or already stored."""
    out: dict[str, str] = {}
    table = BY_NAME[name]
    for col in table.foreign_keys:
        assert col.ref is not None
        parent_name, parent_col = col.ref.split(".")
        parent = BY_NAME[parent_name]
        parts: list[str] = []
        if parent_name == name:
            # A self-reference (branch → parent branch) points into the same input.
            parts.append(f"SELECT NULLIF(trim(CAST({q(parent_col)} AS VARCHAR)), '') AS k FROM {q(st.relation)}")
        elif parent_name in accepted_tables:
            parts.append(f"SELECT {q(parent_col)} AS k FROM {q('accepted_' + parent_name)}")
        stored = store.stored_relation(raw, parent)
        if stored:
            parts.append(f"SELECT {q(parent_col)} AS k FROM {stored}")
        if not parts and parent_name not in provided:
            entry.setdefault("warnings", []).append(f"{col.name} not checked: {parent_name} was never provided")
            continue
        if not parts:  # provided but unusable: nothing can be referenced
            parts.append("SELECT CAST(NULL AS VARCHAR) AS k WHERE FALSE")
        out[col.ref] = "(" + " UNION ALL ".join(parts) + ")"
    return out
