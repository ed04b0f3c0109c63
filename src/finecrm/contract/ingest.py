"""The ingest: input folder (optionally through a mapping) → validated canonical tables + quarantine.

Guarantees:

* per table and per mapping source, ``accepted + quarantined = read``; every quarantined row has a
  reason;
* the warehouse moves from one version to the next as a whole, and only when every table validated
  and was written (:mod:`finecrm.contract.store`): a failed ingest (a table that cannot be used)
  stores nothing, and a kill, a full or read-only disk at any moment leaves the warehouse as it was;
* a month that would shrink sharply is held back until the operator confirms it
  (:mod:`finecrm.contract.periods`); the report lists every month added, replaced or held back with
  its rows before and after;
* a warehouse that lacks a required table after the ingest is reported as ``incomplete``.

The caller holds :func:`finecrm.contract.store.warehouse_lock` (see ``services.data.ingest``).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from finecrm.contract import mapping as mapping_mod
from finecrm.contract import periods, quarantine, store
from finecrm.contract.csvfile import BrokenLine
from finecrm.contract.quarantine import QUARANTINE_SCHEMA, REASONS
from finecrm.contract.sources import StagedTable, conform, discover, stage_files
from finecrm.contract.tables import BY_NAME, TABLES
from finecrm.contract.types import Table
from finecrm.contract.validation import ValueRules, lit, q, validate_table
from finecrm.core.errors import IngestError, MappingError, storage_error
from finecrm.core.progress import SILENT, Progress
from finecrm.core.testhooks import pause_point

__all__ = ["QUARANTINE_SCHEMA", "REASONS", "IngestOptions", "required_tables", "run_ingest"]

WORK_PREFIX = "finecrm-ingest-"


@dataclass
class IngestOptions:
    delimiter: str = ","
    encoding: str = "auto"
    earliest: date = date(1900, 1, 1)
    examples: int = 3
    memory_limit: str = ""
    today: date = field(default_factory=date.today)
    rules: ValueRules = field(default_factory=ValueRules)
    #: a stored month is held back when an input would shrink it below (1 - this) of its rows
    period_shrink_limit: float = 0.5
    #: months (YYYY-MM, or "all") the operator confirmed may be replaced however much they shrink
    replace_periods: frozenset[str] = frozenset()


def required_tables() -> list[str]:
    """The tables without which no analysis is right (``Table.required`` in the contract)."""
    return [t.name for t in TABLES if t.required]


def as_os_error(exc: BaseException) -> OSError | None:
    """The disk problem behind ``exc`` (an OSError, or DuckDB's and Arrow's own errors for one), if any."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc
    text = str(exc)
    for code in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO):
        if os.strerror(code).lower() in text.lower():
            found = re.search(r'"(/[^"\\]+)|\'(/[^\'\\]+)', text)
            return OSError(code, os.strerror(code), (found.group(1) or found.group(2)) if found else None)
    return exc if isinstance(exc, OSError) else None


def _is_disk_trouble(exc: BaseException) -> bool:
    found = as_os_error(exc)
    return found is not None and found.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO)


def clean_work_folders(work_root: Path) -> list[str]:
    """Scratch folders of ingests that were killed (call it holding the lock)."""
    removed = []
    if work_root.is_dir():
        for p in sorted(work_root.glob(f"{WORK_PREFIX}*")):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    return removed


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
    """Ingest ``input_dir``; returns the report (see docs/ingest.md).

    Raises IngestError / MappingError for a bad folder or mapping, StorageError for a disk that
    refuses (full, read-only): in every one of those cases nothing was changed.
    """
    opts = options or IngestOptions()
    if not input_dir.is_dir():
        raise IngestError(f"{input_dir} is not a folder; give the folder that holds the exported files")
    qfolder = quarantine_root / ingest_id
    nxt: store.NextVersion | None = None
    try:
        nxt = store.NextVersion.begin(raw, ingest_id)
        return _run(input_dir, raw, qfolder, ingest_id, mapping_dir, opts, progress, work_root, nxt)
    except BaseException as exc:
        if nxt is not None and nxt.folder.name.startswith(store.NEXT):
            nxt.discard()
            shutil.rmtree(qfolder, ignore_errors=True)
        disk = as_os_error(exc) if isinstance(exc, OSError | duckdb.Error | pa.ArrowException) else None
        if disk is not None:
            raise storage_error(disk, f"ingesting into {raw.parent}") from None
        raise


def _run(
    input_dir: Path,
    raw: Path,
    qfolder: Path,
    ingest_id: str,
    mapping_dir: Path | None,
    opts: IngestOptions,
    progress: Progress,
    work_root: Path | None,
    nxt: store.NextVersion,
) -> dict[str, Any]:
    current = nxt.current
    report: dict[str, Any] = {
        "ingest_id": ingest_id,
        "input": str(input_dir),
        "mapping": str(mapping_dir) if mapping_dir else None,
        "tables": {},
        "sources": {},
        "ignored_files": [],
        "warnings": [],
        "periods": [],
    }
    with tempfile.TemporaryDirectory(prefix=WORK_PREFIX, dir=work_root) as tmpname:
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
            _stage_mapping(con, input_dir, mapping_dir, work, progress, report, staged, unusable, source_quarantine)
        else:
            _stage_folder(con, input_dir, work, opts, progress, report, staged, unusable)

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
                    continue
                if _validate(con, table, st, current, accepted_tables, set(staged) | set(unusable), opts, work,
                             entry, report, unusable):
                    accepted_tables.add(table.name)
                    if not unusable:  # once one table failed nothing is stored: skip the writing
                        months = [p["period"] for p in entry.get("periods", []) if p["action"] != "held_back"]
                        entry["stored"] = store.stage_write(con, nxt, table, f"accepted_{table.name}",
                                                            months=months)
                        pause_point("ingest.stored")

        qfiles: dict[str, Any] = {}
        for table in TABLES:
            if report["tables"][table.name].get("quarantined"):
                qfiles[table.name] = quarantine.write(con, f"quarantine_{table.name}", qfolder, table.name)
        for name, rows in source_quarantine.items():
            rel = f"quarantine_source_{name}"
            quarantine.add_rows(con, rel, rows, work)
            qfiles[f"source:{name}"] = quarantine.write(con, rel, qfolder, f"source__{name}")
        report["quarantine_files"] = qfiles
        con.close()
        _totals(report, unusable)
        if unusable:
            nxt.discard()
            report["committed"] = False
            report["warnings"].insert(0, "未做任何更改 / nothing was stored: the warehouse is as it was. Fix the "
                                         "tables marked unusable and run the ingest again")
        else:
            version = nxt.commit(report, TABLES)
            report["committed"] = True
            report["version"] = ingest_id
            missing = [n for n in required_tables() if n not in version["tables"]]
            report["incomplete"] = missing
            if missing:
                report["status"] = "incomplete"
                report["warnings"].insert(0, (
                    f"导入不完整：仓库缺少必需的表 {', '.join(missing)} / incomplete: the warehouse has no "
                    f"{', '.join(missing)} (required tables); builds refuse until they are loaded"))
    return report


def _stage_mapping(
    con: duckdb.DuckDBPyConnection, input_dir: Path, mapping_dir: Path, work: Path, progress: Progress,
    report: dict[str, Any], staged: dict[str, StagedTable], unusable: dict[str, str],
    source_quarantine: dict[str, pa.Table],
) -> None:
    m = mapping_mod.load_mapping(mapping_dir)
    sandbox = duckdb.connect(str(work / "mapping.duckdb"))
    sandbox.execute(f"SET temp_directory = {lit(str(work / 'spill-mapping'))}")
    with progress.task("读取源文件 reading sources", len(m.sources)) as task:
        src_reports = mapping_mod.stage_sources(m, input_dir, sandbox, work)
        task.advance(len(m.sources))
    mapping_mod.lock_down(sandbox)
    for name, sr in src_reports.items():
        report["sources"][name] = {
            "file": sr.file,
            "encoding": sr.encoding,
            "read": sr.read,
            "accepted": sr.accepted,
            "quarantined": len(sr.broken),
            "blank_lines": sr.blank_lines,
            "by_reason": _count_codes(sr.broken),
        }
        if sr.broken:
            source_quarantine[name] = quarantine.broken_rows(f"source:{name}", [(sr.file, b) for b in sr.broken])
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


def _stage_folder(
    con: duckdb.DuckDBPyConnection, input_dir: Path, work: Path, opts: IngestOptions, progress: Progress,
    report: dict[str, Any], staged: dict[str, StagedTable], unusable: dict[str, str],
) -> None:
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
                staged[tname] = stage_files(con, tname, files, work, delimiter=opts.delimiter, encoding=opts.encoding)
            except (ValueError, OSError, pa.ArrowException, duckdb.Error) as exc:
                if _is_disk_trouble(exc):
                    raise
                unusable[tname] = f"cannot read {', '.join(p.name for p in files)}: {exc}"
            task.advance()


def _validate(
    con: duckdb.DuckDBPyConnection, table: Table, st: StagedTable, current: Path | None, accepted_tables: set[str],
    provided: set[str], opts: IngestOptions, work: Path, entry: dict[str, Any], report: dict[str, Any],
    unusable: dict[str, str],
) -> bool:
    """Validate one staged table into ``accepted_<t>`` / ``quarantine_<t>``; True when it has rows to store."""
    entry.update(files=st.files, encodings=st.encodings, blank_lines=st.blank_lines)
    try:
        relation, missing_optional, extra = conform(con, table, st)
    except ValueError as exc:
        entry.update(status="unusable", error=f"{table.name}: {exc}", read=st.read)
        unusable[table.name] = str(exc)
        return False
    entry.update(columns_missing=missing_optional, columns_ignored=extra)
    parents = _parent_keys(con, current, table.name, st, accepted_tables, provided, entry)
    try:
        v = validate_table(con, table, relation, parents, today=opts.today, earliest=opts.earliest, work=work,
                           rules=opts.rules)
    except duckdb.Error as exc:
        if _is_disk_trouble(exc) or not all(f.lower().endswith(".parquet") for f in st.files):
            raise
        # A Parquet file whose footer reads but whose data does not ("Out of buffer"): damaged.
        error = (f"{table.name}: cannot read {', '.join(st.files)}: the Parquet file is damaged ({exc}); "
                 "export it again")
        entry.update(status="unusable", error=error)
        unusable[table.name] = error
        return False
    qrel = f"quarantine_{table.name}"
    quarantine.add_rows(con, qrel, quarantine.broken_rows(table.name, st.broken), work)
    held = 0
    if table.period and v.accepted:
        changes = store.period_changes(con, current, table, f"accepted_{table.name}")
        held_back = [c for c in changes if periods.is_held(c, opts.period_shrink_limit, opts.replace_periods)]
        if held_back:
            held = periods.hold_back(con, table, v.accepted_file, held_back, work)
            report["warnings"].append(
                f"已暂缓 held back {table.name} " + ", ".join(
                    f"{c.period} ({c.rows_before:,} → {c.rows_after:,} rows)" for c in held_back)
                + ": the stored months were kept and these rows quarantined; to replace them, run the ingest "
                f"again with --replace-periods {','.join(c.period for c in held_back)}")
        entry["periods"] = [
            {"period": c.period, "rows_before": c.rows_before, "rows_after": c.rows_after,
             "action": "held_back" if c in held_back else c.action}
            for c in changes
        ]
        report["periods"] += [{"table": table.name, **p} for p in entry["periods"]]
    by_reason, examples = quarantine.reason_summary(con, qrel, opts.examples)
    read = v.read + len(st.broken)
    entry.update(status="ok", read=read, accepted=v.accepted - held, quarantined=v.quarantined + len(st.broken) + held,
                 by_reason=by_reason, examples=examples)
    if read == 0:
        entry.update(status="empty", note="no rows: the file holds only its header; nothing to store")
        return False
    if v.accepted == 0:
        entry.update(status="unusable", error=f"{table.name}: every row was quarantined; see the reasons")
        unusable[table.name] = entry["error"]
        return False
    return v.accepted > held


def _totals(report: dict[str, Any], unusable: dict[str, str]) -> None:
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
    report["empty"] = sorted(n for n, t in report["tables"].items() if t["status"] == "empty")
    any_quarantine = report["totals"]["quarantined"] or report["totals"]["source_lines_quarantined"]
    report["status"] = "failed" if unusable else ("partial" if any_quarantine else "ok")


def _count_codes(broken: list[BrokenLine]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for b in broken:
        counts[b.reason_code] = counts.get(b.reason_code, 0) + 1
    return counts


def _parent_keys(
    con: duckdb.DuckDBPyConnection,
    current: Path | None,
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
        stored = store.stored_relation(current, parent) if current else None
        if stored:
            parts.append(f"SELECT {q(parent_col)} AS k FROM {stored}")
        if not parts and parent_name not in provided:
            entry.setdefault("warnings", []).append(f"{col.name} not checked: {parent_name} was never provided")
            continue
        if not parts:  # provided but unusable: nothing can be referenced
            parts.append("SELECT CAST(NULL AS VARCHAR) AS k WHERE FALSE")
        out[col.ref] = "(" + " UNION ALL ".join(parts) + ")"
    return out
