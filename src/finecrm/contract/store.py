"""The warehouse's canonical tables (``warehouse/raw/<table>/``): how accepted rows are stored.

* Tables with a period column are partitioned by month (``period=2026-09/data.parquet``). An
  ingest replaces exactly the months present in its input and leaves the others alone, so loading
  a later period adds it and reloading a period replaces it.
* Other tables are merged by key: an incoming row replaces the stored row with the same key;
  stored rows the input does not mention stay.

Files are written sorted by key under temporary names and renamed into place only after every
table validated, so re-ingesting the same input leaves byte-identical files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from finecrm.contract.types import Table
from finecrm.contract.validation import lit, q

DATA = "data.parquet"


def table_dir(raw: Path, table: Table) -> Path:
    return raw / table.name


def stored_files(raw: Path, table: Table) -> list[Path]:
    root = table_dir(raw, table)
    if not root.is_dir():
        return []
    if table.period:
        return sorted(root.glob(f"period=*/{DATA}"))
    single = root / DATA
    return [single] if single.is_file() else []


def stored_relation(raw: Path, table: Table) -> str | None:
    """SQL for the stored rows of ``table`` (None when nothing is stored)."""
    files = stored_files(raw, table)
    if not files:
        return None
    return "read_parquet([" + ", ".join(lit(str(f)) for f in files) + "], hive_partitioning = false)"


@dataclass
class PendingWrites:
    """Files written under temporary names, renamed into place by :meth:`commit`."""

    moves: list[tuple[Path, Path]] = field(default_factory=list)

    def commit(self) -> None:
        for tmp, final in self.moves:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        self.moves.clear()

    def discard(self) -> None:
        for tmp, _ in self.moves:
            tmp.unlink(missing_ok=True)
        self.moves.clear()


def _copy(con: duckdb.DuckDBPyConnection, select: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY ({select}) TO {lit(str(target))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
    )


def stage_write(
    con: duckdb.DuckDBPyConnection, raw: Path, table: Table, accepted: str, pending: PendingWrites
) -> dict[str, object]:
    """Prepare the new stored files for ``table`` from relation ``accepted``; returns a summary."""
    order = ", ".join(q(k) for k in table.key)
    root = table_dir(raw, table)
    if table.period:
        col = q(table.period)
        months = [
            m
            for m, in con.execute(
                f"SELECT DISTINCT strftime(date_trunc('month', {col}), '%Y-%m') FROM {q(accepted)} ORDER BY 1"
            ).fetchall()
        ]
        for m in months:
            final = root / f"period={m}" / DATA
            tmp = final.with_name(DATA + ".tmp")
            _copy(
                con,
                f"SELECT * FROM {q(accepted)} WHERE strftime(date_trunc('month', {col}), '%Y-%m') = {lit(m)} "
                f"ORDER BY {order}",
                tmp,
            )
            pending.moves.append((tmp, final))
        return {"layout": "monthly", "periods_written": months}

    final = root / DATA
    tmp = final.with_name(DATA + ".tmp")
    existing = stored_relation(raw, table)
    if existing:
        keys = ", ".join(q(k) for k in table.key)
        select = (
            f"SELECT * FROM (SELECT s.* FROM {existing} s ANTI JOIN {q(accepted)} a USING ({keys}) "
            f"UNION ALL SELECT * FROM {q(accepted)}) ORDER BY {order}"
        )
    else:
        select = f"SELECT * FROM {q(accepted)} ORDER BY {order}"
    _copy(con, select, tmp)
    pending.moves.append((tmp, final))
    return {"layout": "merged by key"}

