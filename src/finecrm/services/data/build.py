"""The build use case: settings and hooks from the layers above the engine, then the engine's runner."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from finecrm.core.progress import SILENT, Progress
from finecrm.core.settings import Workspace
from finecrm.engine.model import BuildContext
from finecrm.engine.runner import run_build
from finecrm.ml.segmentation import FEATURES, BehaviourSegments


def fit_segments_hook(clusters: int, seed: int) -> Any:
    def fit(sample: pa.Table) -> dict[str, Any]:
        x = np.column_stack([np.asarray(sample.column(f).to_numpy(zero_copy_only=False), dtype=float)
                             for f in FEATURES])
        x = np.nan_to_num(x)
        if len(x) < clusters * 5:
            # Too few customers to cluster (a tiny bank or a test): one segment, said plainly.
            return {"features": list(FEATURES), "mean": [0.0] * len(FEATURES), "std": [1.0] * len(FEATURES),
                    "centroids": [[0.0] * len(FEATURES)], "labels": ["balanced"],
                    "reasons": ["客户太少，未分群 / too few customers to segment"], "sample_rows": len(x)}
        model = BehaviourSegments(clusters=clusters, seed=seed).fit(x)
        out = model.to_dict()
        out["sample_rows"] = len(x)
        return out

    return fit


def build(
    ws: Workspace,
    *,
    engine: str | None = None,
    as_of: date | None = None,
    progress: Progress = SILENT,
) -> dict[str, Any]:
    s = ws.settings
    custom = custom_segment_predicates(ws)
    # The active propensity models are loaded now, so a missing or refused model file stops the build
    # before any work; with none active the propensity mart is built without scores.
    from finecrm.services.marketing import scoring_hook

    score = scoring_hook(ws)

    def ctx_factory(day: date) -> BuildContext:
        return BuildContext(as_of=day, settings=s,
                            fit_segments=fit_segments_hook(s.segments.clusters, s.segments.seed),
                            custom_segments=custom, score_propensity=score)

    manifest = run_build(raw=ws.raw, root=ws.snapshots, work_root=ws.warehouse / "tmp", ctx_factory=ctx_factory,
                         engine=engine or s.build.engine, as_of=as_of, keep=s.warehouse.keep_snapshots,
                         memory_limit=s.build.memory_limit, progress=progress)
    if manifest.get("checks_passed"):
        # The web pages read a sorted copy of the marts; making it now spares the first visitor the wait.
        from finecrm.services.snapshot.serving import prepare

        started = time.perf_counter()
        with progress.task("serving copy / 查询副本"):
            prepare(ws, manifest["build_id"])
        manifest["serving_seconds"] = round(time.perf_counter() - started, 2)
    return manifest


def custom_segment_predicates(ws: Workspace) -> list[tuple[str, Any]]:
    """Parse every custom segment rule now, so a bad rule fails before any work (naming its key)."""
    if not ws.settings.segments.custom:
        return []
    from finecrm.core.errors import ConfigError
    from finecrm.rules import RuleError, parse_rule
    from finecrm.services.customers import customer_360_columns

    cols = customer_360_columns()
    out = []
    for i, seg in enumerate(ws.settings.segments.custom):
        try:
            rule = parse_rule(seg.rule, cols)
        except RuleError as exc:
            raise ConfigError(str(ws.config_path), f"segments.custom[{i}].rule", f"a valid rule ({exc})",
                              seg.rule) from None
        out.append((seg.name, rule.to_ibis))
    return out
