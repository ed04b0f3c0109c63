"""The serving copy of a snapshot: its marts in one read-only DuckDB file, sorted for look-ups.

Pages ask small questions many times ("this customer", "this manager's customers"). Parquet files
written by a build are laid out for the build, not for that: a point look-up would decompress row
groups of every column. So each published snapshot gets ``serving.duckdb`` beside its marts: the
same rows, sorted by customer (DuckDB's per-block min/max then skips everything but one block), with
an index on ``customer_360.customer_id``. It is derived data: made once per snapshot (by the build,
before it is published, or on first use of an older snapshot), written to a temporary name and renamed,
so a reader never sees half a file; deleting it is always safe.

Queries from the services are Ibis expressions compiled to DuckDB SQL (``Serving.query``): row scopes
and masking come from ``finecrm.authz`` as Ibis predicates, so they are the same code everywhere.
"""

from __future__ import annotations

import fcntl
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from finecrm.core.errors import FinecrmError, storage_error
from finecrm.core.settings import Workspace
from finecrm.engine import snapshots
from finecrm.engine.backends import disk_error

SERVING_FILE = "serving.duckdb"

#: Marts copied into the serving file, with the order that makes look-ups by customer cheap.
#: Marts not listed are small summaries and are copied as they are.
SORT_ORDER: Mapping[str, str] = {
    "customer_360": "customer_id",
    "customer_tier_history": "customer_id, month",
    "customer_accounts": "customer_id, account_id",
    "customer_recent_transactions": "customer_id, ts DESC, txn_id",
    "customer_value": "aum_rank",
    "customer_segment": "customer_id",
    "customer_custom_segments": "customer_id, segment",
    "deposit_alerts": "customer_id, alert_date",
    "deposit_watch": "customer_id",
    "product_adoption": "customer_id",
    "propensity_features": "customer_id, month",
    "customer_propensity": "customer_id",
    "loan_status": "customer_id, loan_id",
    "loan_classification": "customer_id, loan_id",
    "loan_overdue_history": "loan_id, month",
    "visit_plan": "manager_id, customer_id",
    "customer_reminders": "manager_id, days_left, customer_id",
}


class NoSnapshot(FinecrmError):
    """Nothing is published yet: the pages have no data to show."""


def serving_path(ws: Workspace, build_id: str) -> Path:
    return ws.snapshots / build_id / SERVING_FILE


def make_copy(folder: Path, memory_limit: str) -> Path:
    """Write ``serving.duckdb`` for the snapshot in ``folder`` (its marts sorted for look-ups); returns its path.

    Written under a temporary name and renamed, so a reader never sees half a file. If anything fails
    (a full disk, say) the temporary file and DuckDB's write-ahead log beside it are removed before the
    error goes on, so a failure leaves nothing behind.
    """
    target = folder / SERVING_FILE
    marts_dir = folder / "marts"
    if not marts_dir.is_dir():
        raise NoSnapshot(f"快照 {folder.name} 没有数据集市 / snapshot {folder.name} has no marts folder ({marts_dir})")
    tmp = folder / snapshots.SERVING_TMP
    leftovers = (tmp, tmp.with_name(tmp.name + ".wal"))
    for f in leftovers:
        f.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp), config={"memory_limit": memory_limit})
        try:
            con.execute("SET enable_progress_bar = false")  # stdout belongs to the command's own output
            for mart in sorted(p for p in marts_dir.iterdir() if p.is_dir()):
                if not any(mart.rglob("*.parquet")):
                    continue
                source = str(mart / "**" / "*.parquet").replace("'", "''")
                order = SORT_ORDER.get(mart.name)
                order_by = f" ORDER BY {order}" if order else ""
                con.execute(
                    f'CREATE TABLE "{mart.name}" AS SELECT * FROM '
                    f"read_parquet('{source}', hive_partitioning = false){order_by}"
                )
            tables = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            if "customer_360" in tables:
                con.execute("CREATE UNIQUE INDEX customer_360_id ON customer_360 (customer_id)")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, target)
    except BaseException:
        for f in leftovers:
            f.unlink(missing_ok=True)
        raise
    return target


def account_currencies(folder: Path) -> dict[str, int]:
    """Open accounts by currency in the serving copy of the snapshot in ``folder`` (the build's currency check)."""
    con = duckdb.connect(str(folder / SERVING_FILE), read_only=True)
    try:
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'customer_accounts'").fetchall()[0][0]:
            return {}
        rows = con.execute("SELECT currency, count(*) FROM customer_accounts WHERE is_open AND currency IS NOT NULL "
                           "GROUP BY 1").fetchall()
        return {str(code): int(n) for code, n in rows}
    finally:
        con.close()


def prepare(ws: Workspace, build_id: str) -> Path:
    """Make ``serving.duckdb`` for snapshot ``build_id`` unless it exists; returns its path.

    A build makes the copy before it publishes, so this only works for snapshots published before
    that was so. Safe to call from several processes: a file lock makes one of them do the work, the
    others wait and then find the file. A disk that refuses is one clear error (nothing is left behind).
    """
    target = serving_path(ws, build_id)
    if target.is_file():
        return target
    folder = ws.snapshots / build_id
    lock_path = folder / snapshots.SERVING_LOCK
    try:
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if target.is_file():
                return target
            make_copy(folder, ws.settings.build.memory_limit)
    except FinecrmError:
        raise
    except Exception as exc:
        disk = disk_error(exc)
        if disk is None:
            raise
        raise storage_error(disk, f"making the serving copy of snapshot {build_id}",
                            ("页面暂无法显示该快照", "the pages cannot show this snapshot until it is made")) from exc
    lock_path.unlink(missing_ok=True)
    return target


@dataclass
class _Opened:
    build_id: str
    con: duckdb.DuckDBPyConnection
    schemas: dict[str, ibis.Schema]
    local: threading.local = field(default_factory=threading.local)


class Serving:
    """The published snapshot's serving file, opened read-only, reopened when a new build is published.

    One instance per server process. ``cursor()`` gives the calling thread its own cursor (DuckDB
    connections must not be shared between threads; cursors of one connection may).
    """

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._lock = threading.Lock()
        self._opened: _Opened | None = None

    def _current(self) -> _Opened:
        build_id = snapshots.published(self.ws.snapshots)
        if not build_id:
            raise NoSnapshot("还没有发布的快照，请先运行 finecrm build / no snapshot is published yet: run 'finecrm build'")
        opened = self._opened
        if opened is not None and opened.build_id == build_id:
            return opened
        with self._lock:
            opened = self._opened
            if opened is None or opened.build_id != build_id:
                path = prepare(self.ws, build_id)
                con = duckdb.connect(str(path), read_only=True)
                con.execute("SET enable_external_access = false")
                schemas = {}
                for (name,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
                    cols = con.execute(f'DESCRIBE "{name}"').fetchall()
                    schemas[name] = ibis.schema({c[0]: _ibis_type(c[1]) for c in cols})
                old, self._opened = self._opened, _Opened(build_id, con, schemas)
                opened = self._opened
                # The old connection stays open: requests in flight may still hold its cursors; it is
                # closed when garbage-collected.
                del old
        return opened

    @property
    def build_id(self) -> str:
        return self._current().build_id

    def cursor(self) -> duckdb.DuckDBPyConnection:
        opened = self._current()
        cur = getattr(opened.local, "cursor", None)
        if cur is None:
            cur = opened.con.cursor()
            opened.local.cursor = cur
        return cur

    def has_table(self, name: str) -> bool:
        return name in self._current().schemas

    def table(self, name: str) -> ir.Table:
        """An unbound Ibis table of the serving file (compile with :meth:`query`)."""
        schemas = self._current().schemas
        if name not in schemas:
            raise NoSnapshot(f"快照中没有 {name} / the published snapshot has no table {name!r}: rebuild")
        return ibis.table(schemas[name], name=name)

    def query(self, expr: ir.Expr) -> list[dict[str, Any]]:
        """Run an Ibis expression over the serving file; rows as dicts."""
        sql = ibis.to_sql(expr, dialect="duckdb")
        return self.sql(str(sql))

    def sql(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.cursor()
        cur.execute(sql, params or [])
        cols = [d[0] for d in cur.description or []]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def scalar(self, expr: ir.Expr) -> Any:
        rows = self.query(expr)
        return next(iter(rows[0].values())) if rows else None

    def arrow(self, expr: ir.Table) -> pa.Table:
        """Run ``expr`` on the calling thread's cursor (the one :meth:`registered` used) as an Arrow table."""
        sql = str(ibis.to_sql(expr, dialect="duckdb"))
        return self.cursor().sql(sql).to_arrow_table()

    @contextmanager
    def registered(self, rows: pa.Table) -> Iterator[ir.Table]:
        """``rows`` as a table the snapshot's queries can join, for the calling thread's cursor only.

        Campaign lists can hold tens of thousands of customers: joining them beats an ``IN (…)`` of that many
        literals. The name is random and dropped afterwards, so concurrent requests never see each other's lists.
        """
        name = f"_rows_{uuid.uuid4().hex}"
        cur = self.cursor()
        cur.register(name, rows)
        try:
            yield ibis.table(ibis.schema({f.name: _arrow_type(f.type) for f in rows.schema}), name=name)
        finally:
            cur.unregister(name)


def _ibis_type(duck: str) -> str:
    """DuckDB type names as Ibis understands them (``DECIMAL(18,2)`` and the like pass through)."""
    t = duck.upper()
    simple = {
        "VARCHAR": "string", "BOOLEAN": "boolean", "DATE": "date", "DOUBLE": "float64", "FLOAT": "float32",
        "BIGINT": "int64", "INTEGER": "int32", "SMALLINT": "int16", "TINYINT": "int8", "HUGEINT": "decimal(38,0)",
        "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamp('UTC')", "UBIGINT": "uint64",
        "UINTEGER": "uint32",
    }
    if t in simple:
        return simple[t]
    if t.startswith("DECIMAL"):
        return t.lower()
    if t.endswith("[]"):
        return f"array<{_ibis_type(duck[:-2])}>"
    return "string" if t.startswith("VARCHAR") else t.lower()


def _arrow_type(t: pa.DataType) -> str:
    """Arrow types of a registered list as Ibis names them."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_integer(t):
        return "int64"
    if pa.types.is_floating(t):
        return "float64"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_date(t):
        return "date"
    raise TypeError(f"no ibis type for {t}")


@contextmanager
def opened(ws: Workspace) -> Iterator[Serving]:
    """A serving store for one-off use (CLI, tests)."""
    yield Serving(ws)
