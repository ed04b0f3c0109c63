"""Mappings: turning a bank's own export format into contract tables with SQL.

A mapping is a folder::

    mapping.yaml        # the bank's raw files ("sources") and how to read them
    customers.sql       # one SELECT per contract table, over the sources (DuckDB dialect)
    accounts.sql
    ...

``mapping.yaml``::

    sources:
      trans:                    # the name the SQL uses as a table
        file: trans.asc         # relative to the input folder given to `finecrm ingest`
        delimiter: ";"          # default ","
        encoding: auto          # auto | utf-8 | gbk
        # format: csv | parquet (from the file's suffix if omitted; .asc/.txt/.csv are CSV)

Each source is read with the same loss-free reader as a plain CSV (broken lines are quarantined
under ``source:<name>``) and loaded with every column as text. Each ``<table>.sql`` must be a single
SELECT producing contract columns; it runs in a DuckDB connection with external access switched off
(no files, no ATTACH, no extensions), so a mapping can only read its declared sources. Use
``TRY_CAST`` / ``try_strptime`` for conversions: a value that does not convert becomes NULL and the
row is quarantined with a reason, where a failing ``CAST`` would stop the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from finecrm.contract.csvfile import SRC_ROW, BrokenLine, stage_csv
from finecrm.contract.tables import BY_NAME
from finecrm.contract.validation import ORD, SRC_FILE, lit, q
from finecrm.core.errors import MappingError
from finecrm.core.sqlguard import check_single_select

MAPPING_FILE = "mapping.yaml"


@dataclass
class Source:
    name: str
    file: str
    format: str = "csv"
    delimiter: str = ","
    encoding: str = "auto"


@dataclass
class Mapping:
    folder: Path
    sources: dict[str, Source]
    queries: dict[str, str]


@dataclass
class SourceReport:
    name: str
    file: str
    read: int
    accepted: int
    broken: list[BrokenLine] = field(default_factory=list)
    blank_lines: int = 0
    encoding: str = ""


def load_mapping(folder: Path) -> Mapping:
    """Read and check a mapping folder; errors name the file and what to fix."""
    cfg = folder / MAPPING_FILE
    if not cfg.is_file():
        raise MappingError(f"{folder} is not a mapping: {MAPPING_FILE} is missing")
    try:
        doc: Any = yaml.safe_load(cfg.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise MappingError(f"{cfg}: not valid YAML: {exc}") from None
    raw_sources = doc.get("sources") if isinstance(doc, dict) else None
    if not isinstance(raw_sources, dict) or not raw_sources:
        raise MappingError(f"{cfg}: key 'sources': expected a mapping of source names to files")
    sources: dict[str, Source] = {}
    for name, spec in raw_sources.items():
        where = f"{cfg}: key 'sources.{name}'"
        if not isinstance(spec, dict) or "file" not in spec:
            raise MappingError(f"{where}: expected a mapping with at least 'file'")
        unknown = set(spec) - {"file", "format", "delimiter", "encoding"}
        if unknown:
            raise MappingError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if not str(name).isidentifier():
            raise MappingError(f"{where}: a source name must be a plain identifier (letters, digits, _)")
        fmt = spec.get("format") or ("parquet" if str(spec["file"]).endswith(".parquet") else "csv")
        if fmt not in ("csv", "parquet"):
            raise MappingError(f"{where}.format: expected csv or parquet, got {fmt!r}")
        enc = spec.get("encoding", "auto")
        if enc not in ("auto", "utf-8", "gbk"):
            raise MappingError(f"{where}.encoding: expected auto, utf-8 or gbk, got {enc!r}")
        delim = str(spec.get("delimiter", ","))
        if len(delim) != 1:
            raise MappingError(f"{where}.delimiter: expected one character, got {delim!r}")
        sources[str(name)] = Source(str(name), str(spec["file"]), fmt, delim, enc)
    queries: dict[str, str] = {}
    for sql_file in sorted(folder.glob("*.sql")):
        if sql_file.stem not in BY_NAME:
            raise MappingError(
                f"{sql_file}: '{sql_file.stem}' is not a contract table; name SQL files after the tables "
                f"({', '.join(BY_NAME)})"
            )
        sql = sql_file.read_text(encoding="utf-8")
        check_select(sql, str(sql_file))
        queries[sql_file.stem] = sql
    if not queries:
        raise MappingError(f"{folder}: no <table>.sql files")
    return Mapping(folder, sources, queries)


def check_select(sql: str, where: str) -> None:
    """A mapping query must be exactly one read-only SELECT (WITH … SELECT and UNION allowed)."""
    try:
        check_single_select(sql)
    except ValueError as exc:
        raise MappingError(f"{where}: {exc}") from None


def stage_sources(
    mapping: Mapping, input_dir: Path, con: duckdb.DuckDBPyConnection, work: Path
) -> dict[str, SourceReport]:
    """Load every source into ``con`` as a text-only table named after the source."""
    reports: dict[str, SourceReport] = {}
    for src in mapping.sources.values():
        path = (input_dir / src.file).resolve()
        if not path.is_file():
            raise MappingError(
                f"{mapping.folder / MAPPING_FILE}: source '{src.name}' file {src.file} not found in {input_dir}"
            )
        if src.format == "parquet":
            con.execute(f"CREATE TABLE {q(src.name)} AS SELECT * FROM read_parquet({lit(str(path))})")
            n = con.execute(f"SELECT count(*) FROM {q(src.name)}").fetchone()[0]  # type: ignore[index]
            reports[src.name] = SourceReport(src.name, src.file, int(n), int(n))
            continue
        out = work / f"source_{src.name}.parquet"
        staged = stage_csv(path, out, delimiter=src.delimiter, encoding=src.encoding, tmp_dir=work)
        con.execute(
            f"CREATE TABLE {q(src.name)} AS SELECT * EXCLUDE ({SRC_ROW}) FROM read_parquet({lit(str(out))})"
        )
        reports[src.name] = SourceReport(
            src.name, src.file, staged.read, staged.records, staged.broken, staged.blank_lines, staged.encoding
        )
    return reports


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """From here on the connection can only read its own tables."""
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def run_query(con: duckdb.DuckDBPyConnection, mapping: Mapping, table: str, out: Path) -> list[str]:
    """Run ``<table>.sql`` into ``out`` (Parquet) with source-row columns; returns its columns."""
    sql = mapping.queries[table]
    where = f"{table}.sql"
    try:
        reader = con.sql(sql).to_arrow_reader(200_000)
    except duckdb.Error as exc:
        raise MappingError(f"{mapping.folder / where}: the query failed: {exc}") from None
    names = list(reader.schema.names)
    unknown = [n for n in names if n not in BY_NAME[table].column_names]
    if unknown:
        raise MappingError(
            f"{mapping.folder / where}: column(s) {', '.join(unknown)} are not in the contract table {table}"
        )
    schema = reader.schema.append(pa.field(SRC_FILE, pa.string())).append(pa.field(SRC_ROW, pa.int64()))
    schema = schema.append(pa.field(ORD, pa.int64()))
    done = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        try:
            for batch in reader:
                rows = pa.array(range(done + 1, done + batch.num_rows + 1), pa.int64())
                arrays = [*batch.columns, pa.array([where] * batch.num_rows, pa.string()), rows, rows]
                writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
                done += batch.num_rows
        except (duckdb.Error, pa.ArrowException) as exc:
            raise MappingError(f"{mapping.folder / where}: the query failed: {exc}") from None
    return names
