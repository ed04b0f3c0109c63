"""Connecting Ibis to a backend, and everything the build does that differs between backends.

Models never import this: they are functions Table -> Table. The runner and the source loader ask
the ``Backend`` object for what depends on the engine — reading the warehouse's Parquet, writing a
mart, keeping an intermediate in scratch, closing — so this module is the only one that knows one.

DuckDB is the embedded default. Spark (local mode here; a bank would point it at its cluster)
runs the very same expressions; it needs the ``spark`` extra (pyspark) and Java 17.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from pathlib import Path
from typing import Any

import ibis

from finecrm.core.errors import FinecrmError

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = ENGINES[0]


class Backend:
    """A connected Ibis backend (``con``) and the engine-specific steps of a build."""

    engine: str = ""

    def __init__(self, con: Any) -> None:
        self.con = con

    def read_source(self, folder: Path, files: list[Path], table_name: str) -> ibis.Table:
        """A warehouse table stored as ``files`` under ``folder``."""
        raise NotImplementedError

    def write(self, expr: ibis.Table, folder: Path) -> ibis.Table:
        """Write a mart as Parquet into ``folder`` and read it back (keeps later query plans small)."""
        raise NotImplementedError

    def scratch(self, expr: ibis.Table, name: str, folder: Path) -> ibis.Table:
        """Materialise an intermediate for the rest of the build (``folder``: scratch space it may use)."""
        raise NotImplementedError

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a backend that is already closed or has no disconnect
            self.con.disconnect()


class DuckDBBackend(Backend):
    engine = "duckdb"

    def read_source(self, folder: Path, files: list[Path], table_name: str) -> ibis.Table:
        # DuckDB gets the exact file list.
        return self.con.read_parquet([str(p) for p in files], table_name=table_name)

    def write(self, expr: ibis.Table, folder: Path) -> ibis.Table:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "part-0.parquet"
        self.con.to_parquet(expr, str(target))
        return self.con.read_parquet(str(target), table_name=f"m_{folder.name}")

    def scratch(self, expr: ibis.Table, name: str, folder: Path) -> ibis.Table:
        # A table in the build's scratch database: no Parquet encoding round trip.
        return self.con.create_table(f"tmp_{name}", expr, overwrite=True)


class SparkBackend(Backend):
    engine = "spark"

    def read_source(self, folder: Path, files: list[Path], table_name: str) -> ibis.Table:
        # Spark reads the folder (period=… sub-folders become a column, which load_sources drops).
        return self.con.read_parquet(str(folder), table_name=table_name)

    def write(self, expr: ibis.Table, folder: Path) -> ibis.Table:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "data"
        self.con.to_parquet(expr, str(target), mode="overwrite")
        return self.con.read_parquet(str(target))

    def scratch(self, expr: ibis.Table, name: str, folder: Path) -> ibis.Table:
        # Parquet under the scratch folder: cuts the plan like a written mart.
        return self.write(expr, folder)


def connect(
    engine: str, work: Path, *, memory_limit: str = "", threads: int | None = None, data_bytes: int = 0
) -> Backend:
    """A backend for ``engine`` whose scratch files go under ``work``.

    ``data_bytes`` (the size of the warehouse's Parquet) decides where DuckDB keeps intermediate
    tables: in memory when they surely fit — fastest, no database file to write — or in a scratch
    database file, whose tables DuckDB can evict to disk under memory pressure (in-memory tables
    cannot be evicted, and a 1M-customer bank's intermediates exceed the memory limit).
    """
    work.mkdir(parents=True, exist_ok=True)
    if engine == "duckdb":
        # Parquet expands roughly tenfold in memory; keep a margin below the limit.
        fits = data_bytes * 10 < _bytes(memory_limit or "12GB")
        con = ibis.duckdb.connect(
            ":memory:" if fits else str(work / "engine.duckdb"),
            threads=threads or os.cpu_count() or 2,
            temp_directory=str(work / "spill"),
            preserve_insertion_order=False,
        )
        if memory_limit:
            con.raw_sql(f"SET memory_limit = '{_size(memory_limit)}'")
        return DuckDBBackend(con)
    if engine == "spark":
        return SparkBackend(_spark(work, memory_limit))
    raise FinecrmError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")


def _bytes(text: str) -> int:
    """'6GB' → bytes (binary and decimal units treated alike: it only steers a heuristic)."""
    digits = "".join(ch for ch in text if ch.isdigit() or ch == ".")
    unit = text.upper().rstrip("IB").rstrip()[-1:] if text else "B"
    scale = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}.get(unit, 1)
    return int(float(digits or 0) * scale)


def _size(text: str) -> str:
    # settings.build.memory_limit is validated by a pattern; keep only digits, dot, letters.
    return "".join(ch for ch in text if ch.isalnum() or ch == ".")


def _spark(work: Path, memory_limit: str) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise FinecrmError(
            "the spark engine needs pyspark: install finecrm with the 'spark' extra (make setup does)"
        ) from None
    builder = (
        SparkSession.builder.appName("finecrm")
        .master(os.environ.get("FINECRM_SPARK_MASTER", f"local[{threads_default()}]"))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(max(4, threads_default() * 2)))
        .config("spark.local.dir", str(work / "spark-local"))
        .config("spark.sql.warehouse.dir", str(work / "spark-warehouse"))
        .config("spark.driver.memory", _size(memory_limit).replace("GB", "g") if memory_limit else "4g")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
    )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Java missing or broken
        raise FinecrmError(f"cannot start Spark ({exc}); the spark engine needs Java 17 (apt-get install "
                           "openjdk-17-jre-headless)") from None
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def threads_default() -> int:
    return os.cpu_count() or 2


#: What the disk says when it refuses, as every engine reports it in its own exception's text (DuckDB's
#: IOException, Spark's Java errors): the errno and its C library message.
_DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)
_QUOTED_PATH = re.compile(r'(?:file|directory|path)\s+\\?"([^"\\]+)')


def disk_error(exc: BaseException) -> OSError | None:
    """The disk's refusal (full, read-only, not permitted) behind ``exc`` as an ``OSError``, or None.

    Python raises ``OSError`` itself; DuckDB and Spark raise their own exceptions whose text carries the
    system's message ("No space left on device", "Read-only file system") and usually the file. The
    chain of causes is searched too, so a refusal wrapped by a library is still found.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _DISK_ERRNOS:
            return current
        text = str(current)
        for code in _DISK_ERRNOS:
            if os.strerror(code) in text:
                found = _QUOTED_PATH.search(text)
                return OSError(code, os.strerror(code), found.group(1) if found else None)
        current = current.__cause__ or current.__context__
    return None
