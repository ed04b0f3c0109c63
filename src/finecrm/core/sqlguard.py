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
