"""Reading the published snapshot: marts as tables in a locked, read-only DuckDB connection.

Used by ``finecrm sql`` (the analyst's console) and by the services that read marts. The
connection can read the snapshot's marts and nothing else: views are created first, then external
access is switched off except for the snapshot folder, the configuration is locked, and every
user query must parse as a single SELECT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Workspace
from finecrm.core.sqlguard import check_single_select
from finecrm.engine import snapshots


class QueryError(FinecrmError):
    """A console query was refused or failed."""


def snapshot_id(ws: Workspace, build_id: str | None = None) -> str:
    chosen = build_id or snapshots.published(ws.snapshots)
    if not chosen:
        raise FinecrmError("no snapshot is published yet: run 'finecrm build' first")
    snapshots.manifest(ws.snapshots, chosen)  # exists?
    return chosen


def open_snapshot(ws: Workspace, build_id: str | None = None) -> tuple[duckdb.DuckDBPyConnection, str]:
    chosen = snapshot_id(ws, build_id)
    marts_dir = ws.snapshots / chosen / "marts"
    con = duckdb.connect(":memory:")
    for folder in sorted(p for p in marts_dir.iterdir() if p.is_dir()):
        files = sorted(folder.rglob("*.parquet"))
        if files:
            pattern = str(folder / "**" / "*.parquet")
            con.execute(f"CREATE VIEW \"{folder.name}\" AS SELECT * FROM read_parquet('{_sq(pattern)}')")
    con.execute(f"SET allowed_directories = ['{_sq(str(marts_dir))}/']")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con, chosen


def _sq(text: str) -> str:
    return text.replace("'", "''")


def run_sql(ws: Workspace, sql: str, *, limit: int = 1000, build_id: str | None = None) -> dict[str, Any]:
    """Run one read-only query over the snapshot's marts; at most ``limit`` rows come back."""
    try:
        check_single_select(sql)
    except ValueError as exc:
        raise QueryError(f"{exc}. The console is read-only: one SELECT over the marts (list them with: "
                         "SELECT table_name FROM information_schema.tables)") from None
    con, chosen = open_snapshot(ws, build_id)
    try:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description or []]
        rows = cur.fetchmany(limit + 1)
    except duckdb.Error as exc:
        raise QueryError(f"the query failed: {exc}") from None
    finally:
        con.close()
    return {"snapshot": chosen, "columns": columns, "rows": [list(r) for r in rows[:limit]],
            "truncated": len(rows) > limit}


def mart_tables(ws: Workspace, build_id: str | None = None) -> list[str]:
    chosen = snapshot_id(ws, build_id)
    return sorted(p.name for p in (ws.snapshots / chosen / "marts").iterdir() if p.is_dir())


def mart_path(ws: Workspace, mart: str, build_id: str | None = None) -> Path:
    return ws.snapshots / snapshot_id(ws, build_id) / "marts" / mart
