"""Reading a table a user hands over: a response list, a past campaign's file (CSV, Parquet or Excel).

CSV may be UTF-8, UTF-8 with BOM or GBK, separated by comma, tab, semicolon or ``|``; Parquet a file or a
folder of parts; Excel an .xlsx workbook (its first sheet). Only the columns asked for come back, as trimmed
text with nulls for empty cells, each record with the row number a person sees when opening the file (the
line of a CSV file, the row of an Excel sheet with the header as 1, the record of a Parquet file from 1).
Also the yes/no vocabulary such tables use for an outcome.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finecrm.core.errors import FinecrmError

#: Accepted outcome words (compared after trimming, case-insensitively).
CONVERTED = ("1", "1.0", "true", "yes", "y", "是", "converted")
NOT_CONVERTED = ("0", "0.0", "false", "no", "n", "否", "not", "not converted", "not_converted")
ACCEPTED_TEXT = "1/0, true/false, yes/no, 是/否, Y/N, converted/not"

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


class TableError(FinecrmError):
    """A table cannot be read as it is; the message names the file and what to fix."""


@dataclass
class LoadedTable:
    """The columns we need, as text, with the row number a person would look up for each record."""

    fmt: str
    columns: list[str]
    values: dict[str, pa.Array]  # string arrays, nulls for empty cells
    rows: np.ndarray
    row_word: str  # "line" (CSV) or "row"
    encoding: str | None = None
    sheet: str | None = None


def load_table(path: Path, needed: list[str]) -> LoadedTable:
    """A user's table (CSV in UTF-8, UTF-8 with BOM or GBK; Parquet; .xlsx) with at least ``needed``."""
    if not path.exists():
        raise TableError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in PARQUET_SUFFIXES:
        return _load_parquet(path, needed)
    if suffix in CSV_SUFFIXES:
        return _load_csv(path, needed)
    if suffix in XLSX_SUFFIXES:
        return _load_xlsx(path, needed)
    if suffix == ".xls":
        raise TableError(f"{path}: old Excel (.xls) files are not read; save it as .xlsx or CSV")
    raise TableError(f"{path}: unknown file type {suffix or '(none)'!r}; expected .csv, .parquet "
                              "or .xlsx")


def _missing(path: Path, columns: list[str], needed: list[str]) -> None:
    missing = [c for c in needed if c not in columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise TableError(
            f"{path}: no column {names}; the columns are: {', '.join(columns) or '(none)'}")


def _sniff_delimiter(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.readline()
    counts = {d: head.count(d.encode()) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _load_csv(path: Path, needed: list[str]) -> LoadedTable:
    import pyarrow.parquet as pq

    from finecrm.contract.csvfile import SRC_ROW, stage_csv

    with tempfile.TemporaryDirectory(prefix="finecrm-campaign-") as tmp:
        try:
            staged = stage_csv(path, Path(tmp) / "staged.parquet", delimiter=_sniff_delimiter(path),
                               tmp_dir=Path(tmp))
        except ValueError as exc:
            raise TableError(f"{path}: {exc}") from None
        if staged.broken:
            shown = "; ".join(f"line {b.line}: {b.reason}" for b in staged.broken[:5])
            more = f" (and {len(staged.broken) - 5} more)" if len(staged.broken) > 5 else ""
            raise TableError(
                f"{path}: {len(staged.broken)} line(s) cannot be read, so the counts would be wrong: {shown}{more}")
        _missing(path, staged.columns, needed)
        table = pq.read_table(staged.path, columns=[*needed, SRC_ROW])
    values = {c: _clean(table.column(c)) for c in needed}
    rows = table.column(SRC_ROW).to_numpy()
    return LoadedTable("csv", staged.columns, values, rows, "line", encoding=staged.encoding)


def _load_parquet(path: Path, needed: list[str]) -> LoadedTable:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path) if path.is_file() else pq.ParquetDataset(path).schema
        columns = list(schema.names)
        _missing(path, columns, needed)
        table = pq.read_table(path, columns=needed)
    except (pa.ArrowInvalid, OSError) as exc:
        raise TableError(f"{path}: not a readable Parquet file or folder ({exc})") from None
    values = {}
    for c in needed:
        col = table.column(c)
        try:
            values[c] = _clean(col.cast(pa.string()) if col.type != pa.string() else col)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise TableError(f"{path}: column {c!r} has type {col.type}, which cannot be read as "
                                      "text") from None
    return LoadedTable("parquet", columns, values, np.arange(1, table.num_rows + 1), "row")


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    return str(v)


def _load_xlsx(path: Path, needed: list[str]) -> LoadedTable:
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise TableError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    try:
        sheet = wb.worksheets[0]
        header: list[str] | None = None
        idx: list[int] = []
        cells: list[list[str | None]] = []
        rows: list[int] = []
        for number, row in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            texts = [_cell_text(v) for v in row]
            if all(t is None or not t.strip() for t in texts):
                continue  # blank rows (and Excel's formatted-but-empty tail)
            if header is None:
                header = [(t or "").strip() for t in texts]
                while header and not header[-1]:
                    header.pop()
                dupes = sorted({h for h in header if h and header.count(h) > 1})
                if dupes:
                    raise TableError(f"{path}: the header names a column twice: {', '.join(dupes)}")
                _missing(path, header, needed)
                idx = [header.index(c) for c in needed]
                continue
            cells.append([texts[i] if i < len(texts) else None for i in idx])
            rows.append(number)
        sheet_name = sheet.title
        n_sheets = len(wb.worksheets)
    finally:
        wb.close()
    if header is None:
        raise TableError(f"{path}: the first sheet is empty")
    values = {c: _clean(pa.array([r[j] for r in cells], pa.string())) for j, c in enumerate(needed)}
    loaded = LoadedTable("xlsx", header, values, np.asarray(rows, dtype=np.int64), "row", sheet=sheet_name)
    if n_sheets > 1:
        loaded.sheet = f"{sheet_name} (the first of {n_sheets} sheets)"
    return loaded


def _clean(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Trimmed text; empty cells become null."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def where(data: LoadedTable, mask: np.ndarray) -> str:
    at = data.rows[np.flatnonzero(mask)]
    shown = ", ".join(str(int(r)) for r in at[:5])
    more = f" and {len(at) - 5:,} more" if len(at) > 5 else ""
    return f"{data.row_word}{'s' if len(at) > 1 else ''} {shown}{more}"
