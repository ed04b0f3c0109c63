"""Writes tables as Parquet or CSV, byte-for-byte reproducibly.

Parquet: pyarrow with fixed options (zstd, dictionary, statistics, format 2.6); pyarrow writes
no time stamps, so the same data gives the same bytes. CSV: UTF-8 without BOM, a plain header,
comma delimiter, ISO dates, ``YYYY-MM-DD HH:MM:SS`` times, ``true``/``false``, money with two
decimals and empty fields for nulls. Nothing we generate needs quoting; the CSV writer raises if a
value ever would.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = ("parquet", "csv")
_PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_size": 1 << 20,
}


def to_table(schema: pa.Schema, cols: dict[str, pa.Array]) -> pa.Table:
    """Columns in schema order with exactly the schema's types; required columns may not be null."""
    if set(cols) != set(schema.names):
        raise ValueError(f"columns {sorted(cols)} do not match schema {schema.names}")
    arrays = []
    for f in schema:
        arr = cols[f.name]
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if arr.type != f.type:
            arr = arr.cast(f.type)
        if not f.nullable and arr.null_count:
            raise ValueError(f"required column {f.name} has {arr.null_count} nulls")
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=schema)


def _csv_ready(table: pa.Table) -> pa.Table:
    cols = []
    for col in table.columns:
        t = col.type
        if pa.types.is_timestamp(t):
            col = col.cast(pa.timestamp("s")).cast(pa.string())
        elif pa.types.is_date(t) or pa.types.is_decimal(t):
            col = col.cast(pa.string())
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


class TableWriter:
    """One output file written in one or more pieces (a single table or one part of a chunked one)."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.path = path
        self.schema = schema
        self.fmt = fmt
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            self._pq: pq.ParquetWriter | None = pq.ParquetWriter(str(path), schema, **_PARQUET_OPTIONS)
            self._fh = None
        else:
            self._pq = None
            self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
            self._fh.write((",".join(schema.names) + "\n").encode("utf-8"))

    def write(self, cols: dict[str, pa.Array]) -> int:
        table = to_table(self.schema, cols)
        if self._pq is not None:
            self._pq.write_table(table, row_group_size=1 << 20)
        else:
            assert self._fh is not None
            if table.num_rows:
                pacsv.write_csv(_csv_ready(table), self._fh,
                                pacsv.WriteOptions(include_header=False, quoting_style="none", delimiter=","))
        self.rows += table.num_rows
        return table.num_rows

    def close(self) -> None:
        if self._pq is not None:
            self._pq.close()
            self._pq = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class Writer:
    """Knows the layout: ``out/<table>.<ext>`` for single tables, ``out/<table>/part-NNNNN.<ext>`` for chunked ones."""

    def __init__(self, out: Path, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
        self.out = out
        self.fmt = fmt

    @property
    def ext(self) -> str:
        return self.fmt

    def single(self, name: str, schema: pa.Schema, cols: dict[str, pa.Array]) -> int:
        with TableWriter(self.out / f"{name}.{self.ext}", schema, self.fmt) as w:
            return w.write(cols)

    def part(self, name: str, index: int, schema: pa.Schema) -> TableWriter:
        return TableWriter(self.out / name / f"part-{index:05d}.{self.ext}", schema, self.fmt)
