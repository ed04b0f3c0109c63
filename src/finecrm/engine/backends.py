"""Connecting Ibis to a backend. Models never import this: they are functions Table -> Table.

DuckDB is the embedded default. Spark (local mode here; a bank would point it at its cluster)
runs the very same expressions; it needs the ``spark`` extra (pyspark) and Java 17.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ibis

from finecrm.core.errors import FinecrmError

ENGINES = ("duckdb", "spark")


def connect(
    engine: str, work: Path, *, memory_limit: str = "", threads: int | None = None, data_bytes: int = 0
) -> Any:
    """An Ibis backend for ``engine`` whose scratch files go under ``work``.

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
        return con
    if engine == "spark":
        return _spark(work, memory_limit)
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
