"""Reading a generated bank back and checking it against the data contract (used by the tests)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from finecrm.contract.tables import TABLES
from finecrm.contract.types import ColType, Table


def files_of(out: Path, name: str, fmt: str) -> list[Path]:
    single = out / f"{name}.{fmt}"
    parts = sorted((out / name).glob(f"part-*.{fmt}")) if (out / name).is_dir() else []
    if single.exists() and parts:
        raise AssertionError(f"{name}: both a single file and parts")
    return [single] if single.exists() else parts


def read_file(path: Path, schema: pa.Schema, fmt: str) -> pa.Table:
    if fmt == "parquet":
        return pq.read_table(path)
    header = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    assert header.split(",") == schema.names, f"{path}: header {header!r}"
    opts = pacsv.ConvertOptions(column_types={f.name: f.type for f in schema}, strings_can_be_null=True,
                                null_values=[""], quoted_strings_can_be_null=True)
    table = pacsv.read_csv(path, convert_options=opts)
    return table.cast(pa.schema([pa.field(f.name, f.type, nullable=True) for f in schema]))


def read(out: Path, name: str, fmt: str = "parquet", schema: pa.Schema | None = None) -> pa.Table:
    if schema is None:
        schema = next(t for t in TABLES if t.name == name).arrow_schema()
    files = files_of(out, name, fmt)
    assert files, f"{name}: nothing written"
    tables = [read_file(f, schema, fmt) for f in files]
    return pa.concat_tables(tables)


def contract_violations(out: Path, fmt: str, as_of: dt.date) -> list[str]:
    """Every way the written tables break the contract; an empty list means the bank conforms."""
    problems: list[str] = []
    con = duckdb.connect()
    loaded: dict[str, pa.Table] = {}
    for t in TABLES:
        files = files_of(out, t.name, fmt)
        if not files:
            problems.append(f"{t.name}: missing")
            continue
        expected = t.arrow_schema()
        parts = []
        for f in files:
            got = read_file(f, expected, fmt)
            if fmt == "parquet" and not got.schema.equals(expected, check_metadata=False):
                problems.append(f"{f}: schema {got.schema} != {expected}")
            parts.append(got.cast(expected) if fmt == "csv" else got)
        loaded[t.name] = pa.concat_tables(parts)
        con.register(t.name, loaded[t.name])
    for t in TABLES:
        if t.name in loaded:
            problems += _table_violations(con, t, loaded[t.name], as_of, set(loaded))
    return problems


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def _table_violations(con: duckdb.DuckDBPyConnection, t: Table, data: pa.Table, as_of: dt.date,
                      names: set[str]) -> list[str]:
    out: list[str] = []
    name = t.name
    for c in t.columns:
        col = data.column(c.name)
        if c.required and col.null_count:
            out.append(f"{name}.{c.name}: {col.null_count} nulls in a required column")
        if c.enum:
            codes = ", ".join(f"'{x}'" for x in c.enum_codes)
            bad = _count(con, f"SELECT count(*) FROM {name} WHERE {c.name} IS NOT NULL AND {c.name} NOT IN ({codes})")
            if bad:
                out.append(f"{name}.{c.name}: {bad} values outside the enum")
        if c.ref:
            ptable, pcol = c.ref.split(".")
            if ptable not in names:
                continue  # reported as missing already
            bad = _count(con, f"SELECT count(*) FROM {name} c LEFT JOIN (SELECT DISTINCT {pcol} FROM {ptable}) p "
                              f"ON c.{c.name} = p.{pcol} WHERE c.{c.name} IS NOT NULL AND p.{pcol} IS NULL")
            if bad:
                out.append(f"{name}.{c.name}: {bad} dangling references to {c.ref}")
        for bound, op in ((c.min, "<"), (c.max, ">")):
            if bound is None:
                continue
            if c.type in (ColType.DATE, ColType.MONTH, ColType.TIMESTAMP):
                value = as_of.isoformat() if bound == "today" else str(bound)
                expr = f"CAST({c.name} AS DATE) {op} DATE '{value}'"
            else:
                expr = f"{c.name} {op} {bound}"
            bad = _count(con, f"SELECT count(*) FROM {name} WHERE {expr}")
            if bad:
                out.append(f"{name}.{c.name}: {bad} values {op} {bound}")
    key = ", ".join(t.key)
    dup = _count(con, f"SELECT count(*) FROM (SELECT {key} FROM {name} GROUP BY {key} HAVING count(*) > 1)")
    if dup:
        out.append(f"{name}: {dup} duplicate keys ({key})")
    for chk in t.checks:
        bad = _count(con, f"SELECT count(*) FROM {name} WHERE NOT coalesce(({chk.condition}), true)")
        if bad:
            out.append(f"{name}: {bad} rows fail {chk.code}")
    return out
