"""The build use case: settings and hooks from the layers above the engine, then the engine's runner."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
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

    # The loan category changes people made (maker-checker, in the operational database) are read when the build
    # has its snapshot folder (so a disk that refuses the build is reported as such first), once per build: every
    # snapshot applies the changes in force when it started.
    def ctx_factory(day: date) -> BuildContext:
        return BuildContext(as_of=day, settings=s,
                            fit_segments=fit_segments_hook(s.segments.clusters, s.segments.seed),
                            custom_segments=custom, score_propensity=score,
                            loan_category_overrides=category_overrides(ws))

    # The web pages read a sorted copy of the marts (services/snapshot/serving.py). It is made inside the
    # snapshot's folder before the snapshot is published, so a published snapshot always has it and a copy
    # that cannot be made (a full disk) stops the publication instead of breaking the pages afterwards.
    from finecrm.services.snapshot.serving import account_currencies, make_copy

    def before_publish(folder: Path) -> dict[str, Any]:
        started = time.perf_counter()
        with progress.task("serving copy / 查询副本"):
            make_copy(folder, s.build.memory_limit)
        seconds = round(time.perf_counter() - started, 2)
        return {"serving_seconds": seconds, "currency": s.bank.currency,
                "warnings": currency_warnings(s.bank.currency, account_currencies(folder))}

    manifest = run_build(raw=ws.raw, root=ws.snapshots, work_root=ws.warehouse / "tmp", ctx_factory=ctx_factory,
                         engine=engine or s.build.engine, as_of=as_of, keep=s.warehouse.keep_snapshots,
                         memory_limit=s.build.memory_limit, progress=progress, before_publish=before_publish)
    if s.collections.assignment.after_build:
        with progress.task("collections / 催收分案"):
            manifest["collections"] = assign_collections(ws)
    return manifest


def assign_collections(ws: Workspace) -> dict[str, Any] | None:
    """The collection queue of the snapshot just published given out to collectors by the rules
    (``services.collections.assignment``); None when the database predates the collections tables."""
    from sqlalchemy import inspect

    from finecrm.db.session import make_engine, session_factory
    from finecrm.services.collections import QUEUE, assign
    from finecrm.services.snapshot.serving import opened

    engine = make_engine(ws.database_url)
    try:
        if "collection_assignments" not in inspect(engine).get_table_names():
            return None
        with session_factory(engine)() as session, session.begin(), opened(ws) as serving:
            if not serving.has_table(QUEUE):
                return None
            return dict(assign(session, serving, ws))
    finally:
        engine.dispose()


def category_overrides(ws: Workspace) -> pa.Table | None:
    """The loan category changes in force (services.credit), as the table the classification mart takes."""
    from sqlalchemy import inspect

    from finecrm.db.session import make_engine, session_factory
    from finecrm.services.credit import overrides_for_build

    # Read only: a build changes nothing in the operational database, and a database older than the table has
    # no changes to apply.
    engine = make_engine(ws.database_url)
    try:
        if "credit_category_overrides" not in inspect(engine).get_table_names():
            return None
        with session_factory(engine)() as session:
            rows = overrides_for_build(session)
    finally:
        engine.dispose()
    if not rows:
        return None
    return pa.Table.from_pylist(rows, schema=pa.schema([(c, pa.string()) for c in
                                                        ("loan_id", "direction", "category", "system_category",
                                                         "reason")]))


def currency_warnings(currency: str, found: dict[str, int]) -> list[str]:
    """A warning when accounts are in another currency than the workspace's (its thresholds are in that one)."""
    other = {code: n for code, n in found.items() if code != currency}
    if not other:
        return []
    codes = ", ".join(f"{code} ({n:,})" for code, n in sorted(other.items(), key=lambda kv: -kv[1]))
    return [f"账户币种 {codes} 与工作区币种 {currency} 不同：金额按 {currency} 显示，分层和预警门槛按 {currency} 设定，"
            f"请在 finecrm.yaml 中设置 bank.currency 及门槛 / accounts in {codes} (open accounts) are not in the "
            f"workspace's currency {currency}: amounts are shown as {currency} and the tier and watch thresholds "
            f"are read as {currency}; set bank.currency (and the thresholds) in finecrm.yaml to the data's currency"]


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
