"""The locked face of the snapshot: its marts as views in a read-only DuckDB connection, for whole-table SQL.

Used by ``finecrm sql`` (the analyst's console), the build summary and model training: every reader that
scans marts rather than looking rows up (look-ups go through :mod:`.serving`). The connection can read the
snapshot's marts and nothing else: views are created first, then external access is switched off except for
the snapshot folder, the configuration is locked, and every console query must parse as a single SELECT.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from finecrm.authz import Principal, allowed, require
from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Workspace
from finecrm.core.sqlguard import check_reads_only, check_single_select
from finecrm.db import repositories
from finecrm.engine import snapshots

#: The longest SQL text kept in one audit row (longer text is cut there, its length recorded).
MAX_AUDITED_SQL = 20_000


class QueryError(FinecrmError):
    """A console query was refused or failed."""


def snapshot_id(ws: Workspace, build_id: str | None = None) -> str:
    chosen = build_id or snapshots.published(ws.snapshots)
    if not chosen:
        raise FinecrmError("no snapshot is published yet: run 'finecrm build' first")
    snapshots.manifest(ws.snapshots, chosen)  # exists?
    return chosen


def as_of(ws: Workspace, build_id: str) -> date:
    """The business date snapshot ``build_id`` was built as of."""
    return date.fromisoformat(str(snapshots.manifest(ws.snapshots, build_id)["as_of"])[:10])


def open_snapshot(
    ws: Workspace, build_id: str | None = None, *, hide_pii: bool = False
) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A locked connection over the snapshot's marts. ``hide_pii`` leaves names, ID and phone numbers
    out of every view (for anyone who may not reveal personal data)."""
    from finecrm.authz.masking import PII_FIELDS

    chosen = snapshot_id(ws, build_id)
    marts_dir = ws.snapshots / chosen / "marts"
    pii = {c for cols in PII_FIELDS.values() for c in cols}
    con = duckdb.connect(":memory:", config={"memory_limit": ws.settings.build.memory_limit})
    con.execute("SET enable_progress_bar = false")  # stdout belongs to the command's own output
    for folder in sorted(p for p in marts_dir.iterdir() if p.is_dir()):
        files = sorted(folder.rglob("*.parquet"))
        if files:
            source = f"read_parquet('{_sq(str(folder / '**' / '*.parquet'))}')"
            hidden = [c for c, in con.execute(f"SELECT name FROM parquet_schema('{_sq(str(files[0]))}')")
                      .fetchall() if hide_pii and c in pii]
            exclude = f" EXCLUDE ({', '.join(hidden)})" if hidden else ""
            con.execute(f"CREATE VIEW \"{folder.name}\" AS SELECT *{exclude} FROM {source}")
    con.execute(f"SET allowed_directories = ['{_sq(str(marts_dir))}/']")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con, chosen


def _sq(text: str) -> str:
    return text.replace("'", "''")


def run_sql(
    ws: Workspace, sql: str, *, limit: int = 1000, build_id: str | None = None, hide_pii: bool = True
) -> dict[str, Any]:
    """Run one read-only query over the snapshot's marts; at most ``limit`` rows come back.
    Personal data is left out unless the caller says the user may see it (``hide_pii=False``)."""
    try:
        check_single_select(sql)
    except ValueError as exc:
        raise QueryError(f"{exc}. The console is read-only: one SELECT over the marts (list them with: "
                         "SELECT table_name FROM information_schema.tables)") from None
    # The connection's sandbox still allows the snapshot's own folder (its views read from there): the
    # query itself may name nothing but those views, never a file, a path or a table function.
    try:
        check_reads_only(sql, frozenset(mart_tables(ws, build_id)))
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    con, chosen = open_snapshot(ws, build_id, hide_pii=hide_pii)
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


def console_query(session: Session, ws: Workspace, principal: Principal, sql: str, *, limit: int = 1000,
                  build_id: str | None = None) -> dict[str, Any]:
    """The analyst's console: :func:`run_sql` for ``principal``, audited.

    Personal data is left out unless the principal may reveal it (decided here, from ``authz``). Every query
    is written to the audit log (``console_query``: the SQL text, the snapshot, the rows returned), a refused
    or failed one too, with the reason — the caller commits the audit row before reporting the error.
    """
    require(principal, "view_segments")
    details: dict[str, Any] = {"sql": sql[:MAX_AUDITED_SQL], "sql_length": len(sql)}
    try:
        res = run_sql(ws, sql, limit=limit, build_id=build_id, hide_pii=not allowed(principal, "reveal_pii"))
    except (QueryError, FinecrmError) as exc:
        repositories.record_audit(session, actor=principal.username, action="console_query",
                                  target=build_id or "published", details={**details, "refused": str(exc)[:500]})
        raise
    repositories.record_audit(session, actor=principal.username, action="console_query", target=res["snapshot"],
                              details={**details, "rows": len(res["rows"]), "truncated": res["truncated"],
                                       "columns": res["columns"]})
    return res
