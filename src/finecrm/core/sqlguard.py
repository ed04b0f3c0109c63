"""Is this text exactly one read-only query? Used for mappings and the analyst's SQL console.

This is one of two locks: the connection that runs the query also has DuckDB's external access
switched off. The parse refuses anything that is not a single SELECT (WITH, UNION and friends
included), so COPY, ATTACH, INSTALL, SET, PRAGMA, CREATE and the like never reach the database.
"""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp

_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Command, exp.Copy, exp.Set,
           exp.Pragma, exp.Attach, exp.Detach, exp.Merge, exp.Alter, exp.TruncateTable)


# sqlglot warns on stderr when it falls back to a raw Command; we refuse those anyway.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


def check_single_select(sql: str) -> None:
    """Raise ValueError with a reason unless ``sql`` is one SELECT statement."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise ValueError(f"cannot parse the SQL: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise ValueError(f"expected exactly one SELECT statement, found {len(statements)}")
    stmt = statements[0]
    if not isinstance(stmt, exp.Query):
        raise ValueError(f"expected a SELECT, found {stmt.key.upper()}")
    for node in stmt.walk():
        if isinstance(node, _WRITES):
            raise ValueError(f"only SELECT is allowed, found {node.key.upper()}")


#: Functions that read files, run SQL text or tell the machine's settings: never in a console query, whatever
#: the connection's sandbox allows (the parse is the first lock, DuckDB's external-access switch the second).
_FILE_FUNCTION_PREFIXES = ("read_", "parquet_", "duckdb_", "pragma_", "iceberg_", "delta_", "sqlite_", "postgres_",
                           "mysql_", "json_execute")
_FILE_FUNCTIONS = frozenset({"glob", "query", "query_table", "sniff_csv", "getenv", "current_setting",
                             "parquet_scan", "csv_scan", "json_scan", "which_secret", "load_aws_credentials"})
#: Table functions that make rows from their arguments alone (no file, no SQL text).
_ROW_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
#: The catalogue views a console user may list the marts with.
_CATALOGUE = frozenset({("information_schema", "tables"), ("information_schema", "columns")})


def check_reads_only(sql: str, tables: set[str] | frozenset[str]) -> None:
    """Raise ValueError with a reason unless ``sql`` reads nothing but the named ``tables`` (and its own CTEs).

    No table functions (``read_parquet(…)``, ``glob(…)``, ``query(…)``), no file paths given as table names
    (``FROM 'x.parquet'``), no other catalogues or schemas, no functions that read files or settings.
    Call after :func:`check_single_select`.
    """
    stmt = sqlglot.parse_one(sql, read="duckdb")
    ctes = {c.alias_or_name.lower() for c in stmt.find_all(exp.CTE)}
    allowed = {t.lower() for t in tables}
    for node in stmt.walk():
        if isinstance(node, exp.Table):
            _check_table(node, allowed, ctes)
        elif isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if name in _FILE_FUNCTIONS or name.startswith(_FILE_FUNCTION_PREFIXES):
                raise ValueError(f"不允许函数 {name}()：控制台只读取数据集市 / the function {name}() is not allowed: "
                                 "the console reads the marts only")


def _check_table(node: exp.Table, allowed: set[str], ctes: set[str]) -> None:
    if not isinstance(node.this, exp.Identifier):
        fn = node.this
        what = (fn.name if isinstance(fn, exp.Anonymous) else fn.sql_name()).lower() if isinstance(fn, exp.Func) \
            else type(fn).__name__.lower()
        if what in _ROW_FUNCTIONS:
            return
        raise ValueError(f"不允许表函数 {what}()，请按名称查询数据集市 / table functions such as {what}() are not "
                         "allowed: query the marts by name")
    name, db, catalog = node.name.lower(), node.db.lower(), node.catalog.lower()
    if (db, name) in _CATALOGUE and not catalog:
        return
    if catalog or db not in ("", "main"):
        raise ValueError(f"{node.sql(dialect='duckdb')}：只能按名称读取本快照的数据集市 / only the marts of this "
                         "snapshot can be read, by name")
    if name not in allowed and not (db == "" and name in ctes):
        shown = name if len(name) <= 60 else name[:57] + "…"
        raise ValueError(f"没有名为 {shown!r} 的数据集市 / no mart named {shown!r}: the console reads the marts only "
                         "(list them with: SELECT table_name FROM information_schema.tables)")
