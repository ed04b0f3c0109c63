"""Building a few marts into a folder of the caller's, never published: what a backtest runs.

A trial reads the same warehouse version as a build would, with the settings the caller hands it (an AML
backtest changes the rules' parameters), builds only the named marts and what they need, and writes them under
``out``; nothing is listed as a snapshot and the published one is untouched. It holds the warehouse lock as a
build does, so an ingest cannot move the warehouse under it (and a trial during a build is refused at once).
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

from finecrm.contract.store import warehouse_lock
from finecrm.contract.tables import TABLES
from finecrm.core.progress import SILENT, Progress
from finecrm.engine.backends import DEFAULT_ENGINE, connect
from finecrm.engine.model import Model, month_end
from finecrm.engine.registry import MODELS
from finecrm.engine.runner import Step, balance_months, compute_plan, order
from finecrm.engine.sources import load_sources


def run_trial(
    *,
    raw: Path,
    work_root: Path,
    out: Path,
    ctx_factory: Any,
    marts: tuple[str, ...],
    engine: str = DEFAULT_ENGINE,
    memory_limit: str = "",
    progress: Progress = SILENT,
    models: tuple[Model, ...] = MODELS,
) -> dict[str, Any]:
    """Build ``marts`` (and the marts they read) under ``out/<name>``; returns the as-of day and each mart's
    rows and checks. ``ctx_factory(as_of) -> BuildContext`` as for a build."""
    contract = {t.name for t in TABLES}
    plan = order(models, contract, targets=marts)
    work = work_root / f"trial-{uuid.uuid4().hex[:12]}"
    with warehouse_lock(raw, "backtest"):
        backend = None
        try:
            data_bytes = sum(f.stat().st_size for f in raw.rglob("*.parquet")) if raw.is_dir() else 0
            backend = connect(engine, work, memory_limit=memory_limit, data_bytes=data_bytes)
            needed = {d for m in plan for d in m.deps if d in contract} | {"account_month"}
            sources, _files = load_sources(backend, raw, needed)
            first_month, last_month = balance_months(sources)
            day = month_end(last_month)
            ctx = ctx_factory(day)
            ctx.data_from = first_month
            with progress.task(f"试算 trial ({engine}, as of {day})", len(plan)) as task:
                built = compute_plan(plan, sources, backend, ctx, out, work, task, Step())
        finally:
            if backend is not None:
                backend.close()
            shutil.rmtree(work, ignore_errors=True)
    return {"as_of": day.isoformat(), "engine": engine, "data_from": first_month.isoformat(),
            "marts": {name: {"rows": m["rows"], "checks": m["checks"]} for name, m in built.items()}}
