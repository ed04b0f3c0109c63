"""The warehouse's canonical tables (``warehouse/raw/<table>/``): how accepted rows are stored, and
how the warehouse moves from one ingest to the next **as a whole**.

* Tables with a period column are partitioned by month (``period=2026-09/data.parquet``). An
  ingest replaces exactly the months present in its input and leaves the others alone, so loading
  a later period adds it and reloading a period replaces it.
* Other tables are merged by key: an incoming row replaces the stored row with the same key;
  stored rows the input does not mention stay.

Versions. ``warehouse/raw`` is a symbolic link to one complete version of every table::

    warehouse/
      raw -> raw-versions/<ingest_id>      the current version; readers go through the link
      raw-versions/
        <ingest_id>/                        <table>/data.parquet, <table>/period=…/data.parquet, VERSION.json
        .next-<ingest_id>/                  the version an ingest is writing
      .raw.lock                             held by the ingest or the build that is running

An ingest writes the next version beside the current one: the files it changes are written new, the
others are hard links to the current version's files (no copy; files are never modified in place).
Only when every file is written and synced does one ``rename`` of the link make the new version
current. A kill or a failure at any moment before that leaves the current version untouched, and
the next ingest removes what was left; a build reads the one version the link named when it
started (and holds the lock, so no ingest can move it meanwhile). The previous version is kept
until the next ingest, so a reader that opened it may finish. Files are written sorted by key, so
re-ingesting the same input leaves byte-identical files.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from finecrm.contract.types import Table
from finecrm.contract.validation import lit, q
from finecrm.core.errors import BusyError
from finecrm.core.testhooks import pause_point

DATA = "data.parquet"
VERSION_FILE = "VERSION.json"
NEXT = ".next-"
LEGACY = ".legacy-"
LINK_TMP = ".raw-link.tmp"
LOCK = ".raw.lock"


def versions_root(raw: Path) -> Path:
    return raw.with_name(raw.name + "-versions")


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


def stored_rows(raw: Path, table: Table) -> int:
    """Rows stored for ``table`` (from the Parquet footers: no data is read)."""
    return sum(pq.ParquetFile(p).metadata.num_rows for p in stored_files(raw, table))


def stored_relation(raw: Path, table: Table) -> str | None:
    """SQL for the stored rows of ``table`` (None when nothing is stored)."""
    files = stored_files(raw, table)
    if not files:
        return None
    return "read_parquet([" + ", ".join(lit(str(f)) for f in files) + "], hive_partitioning = false)"


def current_version(raw: Path) -> Path | None:
    """The folder ``raw`` names now (resolved once: read every table from it), or None when empty."""
    if raw.is_symlink() or raw.is_dir():
        target = raw.resolve()
        return target if target.is_dir() else None
    return None


def version_id(raw: Path) -> str | None:
    """The ingest that made the current version (None before the first ingest)."""
    folder = current_version(raw)
    if folder is None or not (folder / VERSION_FILE).is_file():
        return None
    return str(json.loads((folder / VERSION_FILE).read_text(encoding="utf-8"))["ingest_id"])


# -- the lock ---------------------------------------------------------------------------------------

_WHO = {"ingest": ("导入", "an ingest"), "build": ("构建", "a build")}


@contextlib.contextmanager
def warehouse_lock(raw: Path, command: str) -> Iterator[None]:
    """Hold the warehouse for ``command`` ("ingest" or "build"); refuse at once if another holds it.

    An ingest and a build exclude each other (and two ingests): the build reads one version of the
    warehouse from start to end, and an ingest moves the warehouse only when no one reads it. The lock
    is an ``flock`` on ``warehouse/.raw.lock``, released by the kernel when its process dies.
    """
    raw.parent.mkdir(parents=True, exist_ok=True)
    path = raw.with_name(LOCK)
    with path.open("a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            raise BusyError(_busy_message(fh.read(), command)) from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"command": command, "pid": os.getpid(),
                             "since": datetime.now().astimezone().isoformat(timespec="seconds")}))
        fh.flush()
        try:
            yield
        finally:
            fh.truncate(0)


def _busy_message(text: str, command: str) -> str:
    try:
        holder = json.loads(text)
        who, pid, since = str(holder["command"]), holder["pid"], str(holder["since"])
    except (ValueError, KeyError, TypeError):
        who, pid, since = "", "?", "?"
    zh, en = _WHO.get(who, ("其他命令", "another command"))
    if who == command:
        zh, en = f"另一个{zh}", f"another {who}"
    then = "" if who == command else f", then run the {command}"
    return (f"{zh}正在运行，请等待其完成 / {en} is running in this workspace (pid {pid}, since {since}); "
            f"wait for it to finish{then}")


# -- writing the next version -----------------------------------------------------------------------


@dataclass
class NextVersion:
    """The version an ingest is writing: new files go here; :meth:`commit` makes it current."""

    raw: Path
    ingest_id: str
    folder: Path
    current: Path | None
    written: set[str] = field(default_factory=set)  # paths relative to the version, written new

    @classmethod
    def begin(cls, raw: Path, ingest_id: str) -> NextVersion:
        root = versions_root(raw)
        root.mkdir(parents=True, exist_ok=True)
        folder = root / f"{NEXT}{ingest_id}"
        folder.mkdir()
        return cls(raw, ingest_id, folder, current_version(raw))

    def path(self, table: Table, period: str | None = None) -> Path:
        rel = f"{table.name}/period={period}/{DATA}" if period else f"{table.name}/{DATA}"
        self.written.add(rel)
        target = self.folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _carry_over(self) -> None:
        """Every current file this ingest did not write, as a hard link (a copy where links fail)."""
        if self.current is None:
            return
        for src in sorted(self.current.rglob(DATA)):
            rel = src.relative_to(self.current).as_posix()
            if rel in self.written:
                continue
            dst = self.folder / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst)
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                    raise
                shutil.copyfile(src, dst)

    def commit(self, summary: dict[str, Any], tables: tuple[Table, ...]) -> dict[str, Any]:
        """Complete the version and make it current in one atomic step; returns its VERSION.json."""
        self._carry_over()
        version = {
            "ingest_id": self.ingest_id,
            "committed_at": datetime.now(UTC).isoformat(),
            "previous": version_id(self.raw),
            "tables": {t.name: {"files": len(stored_files(self.folder, t)), "rows": stored_rows(self.folder, t)}
                       for t in tables if stored_files(self.folder, t)},
            "report": summary,
        }
        (self.folder / VERSION_FILE).write_text(json.dumps(version, ensure_ascii=False, indent=2, default=str),
                                                encoding="utf-8")
        _sync(self.folder, [*self.written, VERSION_FILE])
        final = self.folder.with_name(self.ingest_id)
        os.rename(self.folder, final)
        self.folder = final
        _fsync_dir(final.parent)
        pause_point("ingest.swap")
        _point_link(self.raw, final)
        pause_point("ingest.committed")
        return version


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync(folder: Path, files: list[str]) -> None:
    """Flush the files written new and every folder entry (links included) to disk."""
    for rel in files:
        with (folder / rel).open("rb") as fh:
            os.fsync(fh.fileno())
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        _fsync_dir(path)


def _point_link(raw: Path, version: Path) -> None:
    """Make ``raw`` name ``version``: one rename of a fresh link over the old one (atomic).

    A workspace from before versions (or a fresh one) has ``raw`` as a real folder: it is moved aside
    first; were the process killed between the two renames, :func:`recover` moves it back.
    """
    tmp = raw.with_name(LINK_TMP)
    tmp.unlink(missing_ok=True)
    os.symlink(Path(version.parent.name) / version.name, tmp)
    if raw.is_dir() and not raw.is_symlink():
        aside = version.parent / f"{LEGACY}{version.name}"
        os.rename(raw, aside)
        pause_point("ingest.aside")
        os.replace(tmp, raw)
        _fsync_dir(raw.parent)
        shutil.rmtree(aside, ignore_errors=True)
        return
    os.replace(tmp, raw)
    _fsync_dir(raw.parent)


def recover(raw: Path, keep_previous: bool = True) -> list[str]:
    """Tidy what killed or failed ingests left; call it holding the lock. Returns what was removed.

    * ``raw`` missing with a moved-aside folder beside the versions: a kill between the two renames of
      a first commit; the folder is moved back (the warehouse is as it was before that ingest);
    * ``.next-*`` versions and the link's temporary name: unfinished commits;
    * versions other than the current and the one before it (newer ones were never made current);
    * ``*.tmp`` files left in ``raw`` by earlier versions of finecrm.
    """
    removed: list[str] = []
    root = versions_root(raw)
    if not raw.exists() and not raw.is_symlink() and root.is_dir():
        aside = sorted(root.glob(f"{LEGACY}*"))
        if aside:
            os.rename(aside[-1], raw)
            removed.append(f"restored {raw.name} from {aside[-1].name}")
    tmp = raw.with_name(LINK_TMP)
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
        removed.append(tmp.name)
    current = current_version(raw)
    if raw.is_dir() and not raw.is_symlink():
        for leftover in sorted(raw.rglob("*.tmp")):
            leftover.unlink()
            removed.append(str(leftover.relative_to(raw.parent)))
    if root.is_dir():
        finished = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        keep: set[Path] = set()
        if current is not None and current.parent == root.resolve():
            keep.add(current)
            older = [p for p in finished if p.name < current.name]
            if keep_previous and older:
                keep.add(older[-1].resolve())
        for p in root.iterdir():
            if p.resolve() in keep:
                continue
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
            removed.append(f"{root.name}/{p.name}")
    return removed


# -- staging a table's new files ------------------------------------------------------------------


def _copy(con: duckdb.DuckDBPyConnection, select: str, target: Path) -> None:
    con.execute(
        f"COPY ({select}) TO {lit(str(target))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
    )


def _month(col: str) -> str:
    return f"strftime(date_trunc('month', {q(col)}), '%Y-%m')"


@dataclass
class PeriodChange:
    """One month of a period table: rows stored now and rows this ingest brings."""

    period: str
    rows_before: int
    rows_after: int

    @property
    def action(self) -> str:
        return "replaced" if self.rows_before else "added"


def period_changes(con: duckdb.DuckDBPyConnection, current: Path | None, table: Table,
                   accepted: str) -> list[PeriodChange]:
    """Per month in relation ``accepted``: its rows, and the rows stored for that month now."""
    assert table.period
    counts = con.execute(
        f"SELECT {_month(table.period)} AS m, count(*) FROM {q(accepted)} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    out = []
    for month, n in counts:
        before = 0
        if current is not None:
            stored = current / table.name / f"period={month}" / DATA
            if stored.is_file():
                before = pq.ParquetFile(stored).metadata.num_rows
        out.append(PeriodChange(str(month), before, int(n)))
    return out


def stage_write(
    con: duckdb.DuckDBPyConnection, nxt: NextVersion, table: Table, accepted: str,
    *, months: list[str] | None = None,
) -> dict[str, object]:
    """Write the new stored files for ``table`` from relation ``accepted`` into the next version.

    For a period table, ``months`` are the months to write (the others in ``accepted`` are held
    back); every other stored month is carried over unchanged at commit.
    """
    order = ", ".join(q(k) for k in table.key)
    if table.period:
        for m in months or []:
            _copy(con, f"SELECT * FROM {q(accepted)} WHERE {_month(table.period)} = {lit(m)} ORDER BY {order}",
                  nxt.path(table, m))
        return {"layout": "monthly", "periods_written": list(months or [])}

    existing = stored_relation(nxt.current, table) if nxt.current else None
    before = stored_rows(nxt.current, table) if nxt.current else 0
    if existing:
        keys = ", ".join(q(k) for k in table.key)
        select = (
            f"SELECT * FROM (SELECT s.* FROM {existing} s ANTI JOIN {q(accepted)} a USING ({keys}) "
            f"UNION ALL SELECT * FROM {q(accepted)}) ORDER BY {order}"
        )
    else:
        select = f"SELECT * FROM {q(accepted)} ORDER BY {order}"
    target = nxt.path(table)
    _copy(con, select, target)
    return {"layout": "merged by key", "rows_before": before, "rows_after": pq.ParquetFile(target).metadata.num_rows}
