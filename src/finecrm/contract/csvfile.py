"""Reading a bank's CSV export into a staging Parquet file without losing a line.

Every data line of the file ends up in exactly one of two places: a parsed record in the staging
file (all columns as text, with ``_src_row`` = the physical line number) or a *broken line* with its
line number, raw text and reason. Blank lines are skipped and counted separately.

Records are one per line. Core-system exports rarely quote line breaks, and a single stray quote
must not swallow the rest of the file (both Arrow's and DuckDB's CSV readers do that). So:

* fast path — the file is valid UTF-8 (BOM allowed) and no broken record spans lines: Arrow's
  streaming CSV reader parses it directly;
* exact path — otherwise a line-by-line pre-pass decodes each line in the file's encoding (UTF-8,
  or GBK read as GB18030; decided per file, see :mod:`finecrm.contract.encoding`), sets aside
  undecodable lines and lines with an unbalanced quote, and writes a clean UTF-8 copy that Arrow
  then parses. Line numbers are mapped back to the original file.
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from finecrm.contract.encoding import BOM, CODEC, clearly_utf8, decodes, detect_encoding

__all__ = ["SRC_ROW", "BrokenLine", "StagedCsv", "detect_encoding", "stage_csv"]
_BLOCK = 16 << 20

SRC_ROW = "_src_row"


@dataclass
class BrokenLine:
    line: int
    reason_code: str
    reason: str
    text: str


@dataclass
class StagedCsv:
    """The outcome of staging one CSV file."""

    path: Path
    columns: list[str]
    records: int
    encoding: str
    broken: list[BrokenLine] = field(default_factory=list)
    blank_lines: int = 0

    @property
    def read(self) -> int:
        return self.records + len(self.broken)


def _decodes_whole(path: Path, codec: str) -> bool:
    """Does the whole file decode in ``codec``? Reads in blocks; a UTF-8 BOM is allowed."""
    dec = codecs.getincrementaldecoder(codec)("strict")
    try:
        with path.open("rb") as fh:
            first = True
            while chunk := fh.read(_BLOCK):
                if first and codec == "utf-8" and chunk.startswith(BOM):
                    chunk = chunk[len(BOM):]
                first = False
                dec.decode(chunk)
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _is_utf8(path: Path) -> bool:
    return _decodes_whole(path, "utf-8")


def _parse_header(line: str, delimiter: str, quote: str) -> list[str]:
    import csv

    row = next(csv.reader([line], delimiter=delimiter, quotechar=quote), [])
    return [c.strip().lstrip("\ufeff") for c in row]


def _valid_row_lines(n_valid_before: int, n_rows: int, exceptions: np.ndarray) -> np.ndarray:
    """0-based data-line index of valid rows ``n_valid_before .. +n_rows``.

    ``exceptions`` are the sorted data-line indices that are not valid rows (broken or blank).
    Valid row ``k`` sits at ``k + #{j : e_j - j <= k}``.
    """
    k = np.arange(n_valid_before, n_valid_before + n_rows, dtype=np.int64)
    if len(exceptions) == 0:
        return k
    shifted = exceptions - np.arange(len(exceptions), dtype=np.int64)
    return k + np.searchsorted(shifted, k, side="right")


def _map_back(lines: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """Map 0-based line indices of the cleaned copy to the original file (``removed`` sorted)."""
    if len(removed) == 0:
        return lines
    shifted = removed - np.arange(len(removed), dtype=np.int64)
    return lines + np.searchsorted(shifted, lines, side="right")


def _clean_copy(
    path: Path, encoding: str, quote: str, tmp: Path
) -> tuple[Path, list[BrokenLine], np.ndarray]:
    """Exact path pre-pass: returns the clean UTF-8 copy, set-aside lines and their indices."""
    broken: list[BrokenLine] = []
    removed: list[int] = []
    out = tmp / (path.name + ".clean.csv")
    codec = CODEC[encoding]
    qbyte = quote.encode("ascii")
    with path.open("rb") as src, out.open("wb") as dst:
        for idx, raw in enumerate(src):
            if idx == 0 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            body = raw.rstrip(b"\r\n")
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                if idx == 0:
                    raise ValueError(f"the header line cannot be decoded as {codec}; check the file's encoding") from None
                guess = ("GBK" if codec == "utf-8" and decodes(body, "gb18030")
                         else "UTF-8" if codec != "utf-8" and decodes(body, "utf-8") else "unknown")
                broken.append(
                    BrokenLine(
                        idx + 1,
                        "bad_encoding",
                        f"line is not valid {'UTF-8' if codec == 'utf-8' else 'GBK'}"
                        + (f" (looks like {guess})" if guess != "unknown" else "")
                        + "; re-export the file in one encoding",
                        body.decode({"GBK": "gb18030", "UTF-8": "utf-8"}.get(guess, codec), errors="replace"),
                    )
                )
                removed.append(idx)
                continue
            if codec != "utf-8" and clearly_utf8(body, text):
                broken.append(
                    BrokenLine(idx + 1, "bad_encoding",
                               "line is UTF-8 inside a GBK file; re-export the file in one encoding", text)
                )
                removed.append(idx)
                continue
            if idx > 0 and body.count(qbyte) % 2 == 1:
                broken.append(
                    BrokenLine(idx + 1, "broken_line", "unbalanced quote: the line is cut off or malformed", text)
                )
                removed.append(idx)
                continue
            dst.write(text.encode("utf-8") + b"\n")
    return out, broken, np.array(removed, dtype=np.int64)


def _all_empty(batch: pa.RecordBatch) -> pa.Array | None:
    """Mask of rows whose every field is empty (a blank line, or only delimiters); None if none."""
    mask = None
    for col in batch.columns:
        empty = pc.equal(pc.utf8_trim_whitespace(col), "")
        mask = empty if mask is None else pc.and_(mask, empty)
    if mask is None or not pc.any(mask).as_py():
        return None
    return mask


def _has_newline(batch: pa.RecordBatch) -> bool:
    """A value with a line break means a stray quote joined lines: the exact path must redo it."""
    return any(pc.any(pc.match_substring(col, "\n")).as_py() for col in batch.columns)


def _batches(
    path: Path, columns: list[str], delimiter: str, quote: str, broken_sink: list[tuple[int | None, int, int, str]]
) -> Iterator[pa.RecordBatch]:
    def handler(row: pacsv.InvalidRow) -> str:
        broken_sink.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=False, block_size=8 << 20, column_names=columns, skip_rows=1),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, quote_char=quote, invalid_row_handler=handler, ignore_empty_lines=False
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns}, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    yield from reader


def stage_csv(
    path: Path,
    out: Path,
    *,
    delimiter: str = ",",
    quote: str = '"',
    encoding: str = "auto",
    tmp_dir: Path | None = None,
) -> StagedCsv:
    """Parse ``path`` into ``out`` (Parquet, text columns + ``_src_row``); see the module doc."""
    enc = detect_encoding(path, encoding)
    with tempfile.TemporaryDirectory(dir=tmp_dir) as tmpname:
        tmp = Path(tmpname)
        fast = enc == "utf-8" and _is_utf8(path)
        staged = _stage(path, out, delimiter, quote, enc, tmp, fast=fast)
        if staged is None:  # a broken record spanned lines: redo exactly
            staged = _stage(path, out, delimiter, quote, enc, tmp, fast=False)
        assert staged is not None
        return staged


def _stage(
    path: Path, out: Path, delimiter: str, quote: str, enc: str, tmp: Path, *, fast: bool
) -> StagedCsv | None:
    pre_broken: list[BrokenLine] = []
    removed = np.zeros(0, dtype=np.int64)
    source = path
    if not fast:
        source, pre_broken, removed = _clean_copy(path, enc, quote, tmp)
    with source.open("rb") as fh:
        head = fh.readline()
    header_text = head.lstrip(BOM).decode("utf-8", errors="replace").rstrip("\r\n")
    if not header_text.strip():
        raise ValueError("the file is empty or its first line (the header) is blank")
    columns = _parse_header(header_text, delimiter, quote)
    if len(set(columns)) != len(columns):
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        raise ValueError(f"the header names a column twice: {', '.join(dupes)}")

    invalid: list[tuple[int | None, int, int, str]] = []
    blank = 0
    schema = pa.schema([(c, pa.string()) for c in columns] + [(SRC_ROW, pa.int64())])
    records = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in _batches(source, columns, delimiter, quote, invalid):
            if fast and (any("\n" in t for *_, t in invalid) or _has_newline(batch)):
                return None
            exc = np.array(sorted(n - 2 for n, _, _, _ in invalid if n is not None), dtype=np.int64)
            lines = _valid_row_lines(records, batch.num_rows, exc)
            lines = _map_back(lines + 1, removed) + 1  # +1: header is clean-copy line 0
            arrays = [*batch.columns, pa.array(lines, pa.int64())]
            full = pa.RecordBatch.from_arrays(arrays, schema=schema)
            records += batch.num_rows
            blank_mask = _all_empty(batch)
            if blank_mask is not None:
                blank += int(pc.sum(blank_mask).as_py() or 0)
                full = full.filter(pc.invert(blank_mask))
            writer.write_batch(full)
        if fast and any("\n" in t for *_, t in invalid):
            return None

    broken = list(pre_broken)
    for number, expected, actual, text in invalid:
        if actual == 1 and not text.strip():
            blank += 1
            continue
        clean_idx = np.array([(number or 0) - 1], dtype=np.int64)
        line = int(_map_back(clean_idx, removed)[0]) + 1 if number is not None else 0
        broken.append(
            BrokenLine(
                line,
                "broken_line",
                f"expected {expected} fields, found {actual} (line cut off, or a delimiter inside a value)",
                text,
            )
        )
    broken.sort(key=lambda b: b.line)
    return StagedCsv(out, columns, records - blank, enc, broken, blank)
