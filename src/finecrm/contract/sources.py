"""Finding a table's input files and staging them as one DuckDB relation.

An input folder holds, per contract table, ``<table>.csv`` / ``<table>.parquet`` or a folder
``<table>/`` of part files. Anything else is reported as ignored so a misnamed file is noticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from finecrm.contract.csvfile import SRC_ROW, BrokenLine, stage_csv
from finecrm.contract.tables import BY_NAME
from finecrm.contract.types import Table
from finecrm.contract.validation import ORD, SRC_FILE, lit, q

SUFFIXES = {".csv": "csv", ".txt": "csv", ".parquet": "parquet"}
#: Rows per file in the ordering key, so the first occurrence of a key is well defined across parts.
_FILE_STRIDE = 1 << 40


@dataclass
class StagedTable:
    """A table's staged input: a relation name in DuckDB plus what was learned while reading."""

    relation: str
    files: list[str]
    columns: list[str]
    records: int
    broken: list[tuple[str, BrokenLine]] = field(default_factory=list)
    blank_lines: int = 0
    encodings: dict[str, str] = field(default_factory=dict)

    @property
    def read(self) -> int:
        return self.records + len(self.broken)


def discover(folder: Path) -> tuple[dict[str, list[Path]], list[str]]:
    """Input files per contract table, and the names of entries that were ignored."""
    found: dict[str, list[Path]] = {}
    ignored: list[str] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir() and entry.name in BY_NAME:
            parts = sorted(p for p in entry.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
            if parts:
                found[entry.name] = parts
            else:
                ignored.append(entry.name + "/ (no .csv or .parquet files inside)")
        elif entry.is_file() and entry.suffix.lower() in SUFFIXES and entry.stem in BY_NAME:
            found.setdefault(entry.stem, []).append(entry)
        else:
            ignored.append(entry.name)
    for name, files in found.items():
        kinds = {SUFFIXES[p.suffix.lower()] for p in files}
        if len(kinds) > 1:
            raise ValueError(f"{name}: mixes CSV and Parquet files ({', '.join(p.name for p in files)}); keep one format")
    return found, ignored


def stage_files(
    con: duckdb.DuckDBPyConnection,
    name: str,
    files: list[Path],
    work: Path,
    *,
    delimiter: str,
    encoding: str,
) -> StagedTable:
    """Stage every file of one input (CSV or Parquet) into relation ``staged_<name>``."""
    relation = f"staged_{name}"
    kind = SUFFIXES[files[0].suffix.lower()]
    if kind == "parquet":
        paths = "[" + ", ".join(lit(str(p)) for p in files) + "]"
        index = "CASE filename " + " ".join(f"WHEN {lit(str(p))} THEN {i}" for i, p in enumerate(files)) + " END"
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW {q(relation)} AS
            SELECT * EXCLUDE (filename, file_row_number),
                   parse_filename(filename) AS {SRC_FILE}, file_row_number + 1 AS {SRC_ROW},
                   {index} * {_FILE_STRIDE} + file_row_number AS {ORD}
            FROM read_parquet({paths}, filename = true, file_row_number = true)"""
        )
        cols = [c for c, in con.execute(f"SELECT column_name FROM (DESCRIBE {q(relation)})").fetchall()]
        n = con.execute(f"SELECT count(*) FROM {q(relation)}").fetchone()[0]  # type: ignore[index]
        return StagedTable(relation, [p.name for p in files], [c for c in cols if not c.startswith("_")], int(n))

    staged: list[str] = []
    broken: list[tuple[str, BrokenLine]] = []
    blank = 0
    records = 0
    columns: list[str] | None = None
    encodings: dict[str, str] = {}
    for i, path in enumerate(files):
        out = work / f"{name}.{i:05d}.parquet"
        result = stage_csv(path, out, delimiter=delimiter, encoding=encoding, tmp_dir=work)
        if columns is None:
            columns = result.columns
        elif result.columns != columns:
            raise ValueError(f"{path.name}: header differs from {files[0].name}; all parts must have the same columns")
        broken += [(path.name, b) for b in result.broken]
        blank += result.blank_lines
        records += result.records
        encodings[path.name] = result.encoding
        staged.append(
            f"SELECT * EXCLUDE ({SRC_ROW}), {lit(path.name)} AS {SRC_FILE}, {SRC_ROW}, "
            f"{i} * {_FILE_STRIDE} + {SRC_ROW} AS {ORD} FROM read_parquet({lit(str(out))})"
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {q(relation)} AS " + " UNION ALL ".join(staged))
    return StagedTable(relation, [p.name for p in files], columns or [], records, broken, blank, encodings)


def conform(con: duckdb.DuckDBPyConnection, table: Table, staged: StagedTable) -> tuple[str, list[str], list[str]]:
    """A relation with exactly the contract's columns (missing optional ones as NULL).

    Returns the relation, the missing optional columns and the ignored extra columns. Raises
    ValueError naming every missing required column.
    """
    have = set(staged.columns)
    missing_required = [c.name for c in table.columns if c.required and c.name not in have]
    if missing_required:
        raise ValueError(
            f"required column(s) missing: {', '.join(missing_required)} "
            f"(the file has: {', '.join(staged.columns) or 'no columns'}). "
            "Rename the columns in the export, or map them with --mapping (see docs/data-contract.md)."
        )
    missing_optional = [c.name for c in table.columns if c.name not in have]
    extra = [c for c in staged.columns if c not in {col.name for col in table.columns}]
    select = ", ".join(
        q(c.name) if c.name in have else f"CAST(NULL AS VARCHAR) AS {q(c.name)}" for c in table.columns
    )
    relation = f"conformed_{table.name}"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {q(relation)} AS SELECT {select}, {SRC_FILE}, {SRC_ROW}, {ORD} "
        f"FROM {q(staged.relation)}"
    )
    return relation, missing_optional, extra
