"""Running a build: every model in dependency order, marts written and checked, then published.

Staging models stay lazy (views over the raw Parquet); intermediates marked ``materialize`` are kept
in scratch and all marts are written to Parquet and read back, which keeps each query plan small on
any backend. How each of those is done on DuckDB or Spark is the backend object's business
(``backends.py``); the runner names no engine.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import ibis

from finecrm.contract.store import warehouse_lock
from finecrm.contract.tables import TABLES
from finecrm.core.errors import BusyError, FinecrmError, storage_error
from finecrm.core.progress import SILENT, Progress
from finecrm.engine import snapshots
from finecrm.engine.backends import DEFAULT_ENGINE, connect, disk_error
from finecrm.engine.checks import run_checks
from finecrm.engine.model import BuildContext, Model, month_end
from finecrm.engine.registry import MODELS
from finecrm.engine.sources import load_sources


class BuildError(FinecrmError):
    """A build could not run, or its checks failed (then nothing was published)."""


class BuildBusy(BuildError, BusyError):
    """Another build holds the workspace (exit code 75, as for a running ingest)."""


def order(models: tuple[Model, ...], sources: set[str], targets: tuple[str, ...] | None = None) -> list[Model]:
    """Models in dependency order (all, or only ``targets`` and what they need); refuses unknown dependencies
    and cycles."""
    by_name = {m.name: m for m in models}
    done: set[str] = set(sources)
    out: list[Model] = []
    visiting: set[str] = set()

    def visit(m: Model) -> None:
        if m.name in done:
            return
        if m.name in visiting:
            raise BuildError(f"model graph has a cycle through {m.name}")
        visiting.add(m.name)
        for dep in m.deps:
            if dep in done:
                continue
            if dep not in by_name:
                raise BuildError(f"{m.name} depends on {dep}, which is neither a model nor a source table")
            visit(by_name[dep])
        visiting.discard(m.name)
        done.add(m.name)
        out.append(m)

    if targets is not None:
        unknown = [t for t in targets if t not in by_name]
        if unknown:
            raise BuildError(f"no model named {', '.join(unknown)}")
    for m in (models if targets is None else [by_name[t] for t in targets]):
        visit(m)
    return out


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".build.lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildBusy("另一个构建正在运行，请等待其完成 / another build is running in this workspace; "
                            "wait for it to finish") from None
        yield


def _clean_scratch(work_root: Path) -> None:
    """Scratch folders of builds that died (a killed build never reaches its own cleanup); under the build lock."""
    if work_root.is_dir():
        for p in work_root.glob("build-*"):
            shutil.rmtree(p, ignore_errors=True)


class Step:
    """What the build is doing now, for the one line a refusing disk turns into."""

    def __init__(self) -> None:
        self.now = "starting the build"


def _as_date(value: Any) -> date | None:
    """Backends return a date, a datetime or a pandas Timestamp (or NaT/None): normalise."""
    text = str(value)[:10] if value is not None else ""
    return date.fromisoformat(text) if text[:1].isdigit() else None


def balance_months(sources: dict[str, ibis.Table]) -> tuple[date, date]:
    """First and last month with balances, in one query."""
    m = sources["account_month"]
    row = m.aggregate(first=m.month.min(), last=m.month.max()).execute().iloc[0]
    first, last = _as_date(row["first"]), _as_date(row["last"])
    if first is None or last is None:
        raise BuildError("no monthly balances (account_month) in the warehouse: run 'finecrm ingest' first")
    return first, last


def compute_plan(plan: list[Model], sources: dict[str, ibis.Table], backend: Any, ctx: BuildContext,
                 marts_dir: Path, work: Path, task: Any, step: Step) -> dict[str, Any]:
    """Every model of ``plan`` in order: marts written under ``marts_dir`` and checked; returns what each mart
    holds (rows, grain, key, columns, checks, seconds)."""
    tables: dict[str, ibis.Table] = dict(sources)
    marts: dict[str, Any] = {}
    # Materialise an intermediate only when more than one model in this plan reads it;
    # with a single reader it is cheaper for the backend to fuse it into that query.
    readers = {m.name: sum(m.name in other.deps for other in plan) for m in plan}
    for m in plan:
        t0 = time.perf_counter()
        step.now = f"building {m.name}"
        expr = m.build({d: tables[d] for d in m.deps}, ctx)
        if m.layer == "mart":
            step.now = f"writing mart {m.name}"
            tables[m.name] = backend.write(expr, marts_dir / m.name)
            rows, checks = run_checks(tables[m.name], m)
            marts[m.name] = {
                "rows": rows,
                "grain": m.grain, "key": list(m.key), "doc": m.doc,
                "columns": {c: str(t) for c, t in tables[m.name].schema().items()},
                "checks": checks, "seconds": round(time.perf_counter() - t0, 2),
            }
        elif m.materialize and readers[m.name] > 1:
            step.now = f"keeping {m.name} in the scratch folder"
            tables[m.name] = backend.scratch(expr, m.name, work / "intermediate" / m.name)
        else:
            tables[m.name] = expr
        task.advance()
    return marts


def run_build(
    *,
    raw: Path,
    root: Path,
    work_root: Path,
    ctx_factory: Any,
    engine: str = DEFAULT_ENGINE,
    as_of: date | None = None,
    keep: int = 5,
    memory_limit: str = "",
    progress: Progress = SILENT,
    models: tuple[Model, ...] = MODELS,
    before_publish: Callable[[Path], dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """Build every model and publish the snapshot; returns its manifest.

    ``ctx_factory(as_of) -> BuildContext`` lets the caller (the build service) supply settings and the
    hooks that live in higher layers (segment fitting, custom segment predicates). ``before_publish(folder)``
    runs once every check passed, on the snapshot's folder before it is moved into place: what it writes
    there (the serving copy) is part of the snapshot, what it returns is added to the manifest, and if it
    fails nothing is published.

    A disk that refuses (full, read-only) at any step ends in one :class:`StorageError` naming the step;
    whatever the build had written is removed and the published snapshot is unchanged.
    """
    step = Step()
    try:
        return _run_build(raw=raw, root=root, work_root=work_root, ctx_factory=ctx_factory, engine=engine,
                          as_of=as_of, keep=keep, memory_limit=memory_limit, progress=progress, models=models,
                          before_publish=before_publish, step=step)
    except FinecrmError:
        raise
    except Exception as exc:
        disk = disk_error(exc)
        if disk is None:
            raise
        current = snapshots.published(root) if root.is_dir() else None
        kept = ((f"已发布的快照 {current} 未变", f"snapshot {current} is still the published one") if current
                else ("仍无已发布的快照", "nothing is published"))
        raise storage_error(disk, step.now, (f"未发布新快照，{kept[0]}", f"no new snapshot was published, {kept[1]}"))\
            from exc


def _run_build(
    *,
    raw: Path,
    root: Path,
    work_root: Path,
    ctx_factory: Any,
    engine: str,
    as_of: date | None,
    keep: int,
    memory_limit: str,
    progress: Progress,
    models: tuple[Model, ...],
    before_publish: Callable[[Path], dict[str, Any] | None] | None,
    step: Step,
) -> dict[str, Any]:
    started = time.perf_counter()
    step.now = "taking the build lock"
    # The warehouse lock too: an ingest and a build exclude each other (contract/store.py).
    with build_lock(root), warehouse_lock(raw, "build"):
        step.now = "removing what killed builds left behind"
        snapshots.clean_stale(root)
        _clean_scratch(work_root)
        build_id = snapshots.new_build_id()
        step.now = "starting the snapshot folder"
        building = snapshots.start(root, build_id)
        work = work_root / f"build-{build_id}"
        backend = None
        try:
            step.now = "reading the warehouse"
            data_bytes = sum(f.stat().st_size for f in raw.rglob("*.parquet")) if raw.is_dir() else 0
            backend = connect(engine, work, memory_limit=memory_limit, data_bytes=data_bytes)
            contract = {t.name for t in TABLES}
            plan = order(models, contract)
            # Register only the source tables the plan reads (and account_month, for the date).
            needed = {d for m in plan for d in m.deps if d in contract} | {"account_month"}
            sources, files = load_sources(backend, raw, needed)
            first_month, last_month = balance_months(sources)
            day = as_of or month_end(last_month)
            ctx: BuildContext = ctx_factory(day)
            ctx.data_from = first_month
            with progress.task(f"构建 building ({engine}, as of {day})", len(plan)) as task:
                marts = compute_plan(plan, sources, backend, ctx, building / "marts", work, task, step)
            passed = all(c["passed"] for m in marts.values() for c in m["checks"])
            manifest = {
                "build_id": build_id, "as_of": day.isoformat(), "engine": engine,
                "finished_at": datetime.now(UTC).isoformat(), "seconds": round(time.perf_counter() - started, 1),
                "checks_passed": passed, "source_files": files, "marts": marts,
                "artifacts": ctx.artifacts, "settings": ctx.settings.model_dump(mode="json"),
            }
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        finally:
            if backend is not None:
                backend.close()
            shutil.rmtree(work, ignore_errors=True)
        if not passed:
            # Keep it for inspection, never publish it.
            step.now = "keeping the failed build for inspection"
            final = root / f"{snapshots.FAILED}{build_id}"
            try:
                (building / snapshots.MANIFEST).write_text(json.dumps(manifest, default=str, indent=2))
                building.rename(final)
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
            failing = [f"{name}: {c['check']} ({c['failing']} rows)" for name, m in marts.items()
                       for c in m["checks"] if not c["passed"]]
            raise BuildError("checks failed, the snapshot was not published: " + "; ".join(failing)
                             + f". Details: {final / snapshots.MANIFEST}")
        if before_publish is not None:
            step.now = "making the serving copy for the pages"
            try:
                manifest.update(before_publish(building) or {})
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
        step.now = f"publishing snapshot {build_id}"
        snapshots.finish(root, building, manifest)
        step.now = "removing old snapshots"
        manifest["pruned"] = snapshots.prune(root, keep)
        return manifest
