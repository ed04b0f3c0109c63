"""Propensity models trained from the bank's own history (倾向模型), and the scores the build uses.

A model for target ``t`` answers: of the customers who did not have ``t`` at a cut-off, who takes it
within ``marketing.horizon_days`` after it? From the published snapshot:

- **cut-offs** are month ends. The validation cut-off is the latest month end whose label window
  (cut-off, cut-off + horizon] ends on or before the snapshot's as-of date; the training cut-offs
  are up to :data:`TRAIN_CUTOFFS` earlier month ends whose windows end on or before the validation
  cut-off — so the model is judged on a later period it never saw, as it will be used;
- **population** at a cut-off: individual customers, not lost, who had not acquired ``t`` by then
  (``product_adoption.first_t_on`` empty or later);
- **features**: the cut-off month's row of ``propensity_features`` (as of that month's end, no
  later data);
- **label**: ``first_t_on`` within (cut-off, cut-off + horizon].

The fitted model, its report and metadata go to the registry (``model_registry``); ``scoring_hook``
gives the build the active models.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pandas as pd
import pyarrow as pa

from finecrm.core.errors import FinecrmError
from finecrm.core.progress import SILENT, Progress
from finecrm.core.settings import PropensityTarget, Workspace
from finecrm.engine import snapshots
from finecrm.engine.model import month_end
from finecrm.ml.propensity import ALGORITHMS, PropensityModel, evaluate, mart_spec
from finecrm.ml.propensity.scoring import Scorer, score_table
from finecrm.services.marketing import model_registry
from finecrm.services.marketing.outputs import TrainedModel
from finecrm.services.snapshot.console import as_of, mart_tables, open_snapshot

FEATURES_MART = "propensity_features"
ADOPTION_MART = "product_adoption"
#: Earlier cut-offs pooled for training (more months: more takers to learn from, older behaviour too).
TRAIN_CUTOFFS = 3
#: Training rows kept at most (a uniform, reproducible sample above it): fitting time and memory stay bounded.
MAX_TRAIN_ROWS = 400_000
#: Fewer takers than this in training (or validation) and the model would learn noise: refuse.
MIN_TRAIN_TAKERS = 20
MIN_VALIDATION_TAKERS = 5


class PropensityError(FinecrmError):
    """A model cannot be trained (no snapshot, too little history, too few takers) — the message says why."""


@dataclass(frozen=True)
class Snapshot:
    """The published snapshot training reads: which build, as of which day."""

    build_id: str
    as_of: date


def published(ws: Workspace) -> Snapshot:
    """The published snapshot, checked to have the marts training reads."""
    build_id = snapshots.published(ws.snapshots)
    if not build_id:
        raise PropensityError("还没有发布的快照 / no snapshot is published yet: run 'finecrm build' first")
    marts = mart_tables(ws, build_id)
    for mart in (FEATURES_MART, ADOPTION_MART):
        if mart not in marts:
            raise PropensityError(f"快照 {build_id} 没有 {mart} / snapshot {build_id} has no {mart} mart (built by an "
                                  "older finecrm): run 'finecrm build' again")
    return Snapshot(build_id, as_of(ws, build_id))


def plan_cutoffs(as_of: date, horizon_days: int, months: list[date],
                 train: int = TRAIN_CUTOFFS) -> tuple[list[date], date]:
    """(training cut-offs, latest first; validation cut-off) among the month ends of ``months``."""
    horizon = timedelta(days=horizon_days)
    ends = sorted({month_end(m) for m in months})
    valid = [e for e in ends if e + horizon <= as_of]
    if not valid:
        raise PropensityError(
            f"历史太短 / not enough history: no month end in the features ({_span(ends)}) is {horizon_days} days "
            f"before the snapshot date {as_of}, so there is no period to validate on")
    validation = valid[-1]
    earlier = [e for e in ends if e + horizon <= validation]
    if not earlier:
        raise PropensityError(
            f"历史太短 / not enough history: training needs a month end at least {horizon_days} days before the "
            f"validation cut-off {validation}; the features cover {_span(ends)} (marketing.history_months, or "
            "load more months of data)")
    return sorted(earlier, reverse=True)[:train], validation


def _span(ends: list[date]) -> str:
    return f"{ends[0]} … {ends[-1]}" if ends else "no months"


def population_sql(code: str, *, sample: float = 1.0) -> str:
    """Feature rows at a cut-off with the label (parameters: cut-off month, cut-off day, window end)."""
    first = f'a."first_{code}_on"'
    keep = "" if sample >= 1.0 else f" AND hash(f.customer_id, f.month) % 1000000 < {int(sample * 1_000_000)}"
    return (
        f"SELECT f.*, coalesce({first} > $cut AND {first} <= $stop, false) AS label "
        f"FROM {FEATURES_MART} f JOIN {ADOPTION_MART} a USING (customer_id) "
        f"WHERE f.month = $month AND f.lifecycle <> 'lost' AND ({first} IS NULL OR {first} > $cut){keep} "
        "ORDER BY f.customer_id"
    )


def population(con: Any, code: str, cutoff: date, horizon_days: int, *,
               sample: float = 1.0) -> pd.DataFrame:
    params = {"cut": cutoff, "stop": cutoff + timedelta(days=horizon_days), "month": cutoff.replace(day=1)}
    return con.sql(population_sql(code, sample=sample), params=params).to_arrow_table().to_pandas()


def _count(con: Any, code: str, cutoff: date, horizon_days: int) -> int:
    params = {"cut": cutoff, "stop": cutoff + timedelta(days=horizon_days), "month": cutoff.replace(day=1)}
    return int(con.sql(f"SELECT count(*) FROM ({population_sql(code)})", params=params).fetchall()[0][0])


def train_target(
    ws: Workspace,
    code: str,
    *,
    actor: str,
    algorithm: str = "logistic",
    activate: bool = False,
    max_train_rows: int = MAX_TRAIN_ROWS,
    progress: Progress = SILENT,
) -> TrainedModel:
    """Train, validate and store a new version for target ``code``; returns its metadata (with report)."""
    if algorithm not in ALGORITHMS:
        raise PropensityError(f"--algorithm: expected one of {', '.join(ALGORITHMS)}, got {algorithm!r}")
    target = ws.settings.marketing.target(code)
    horizon = ws.settings.marketing.horizon_days
    snap = published(ws)
    con, _ = open_snapshot(ws, snap.build_id)
    try:
        months = [r[0] for r in con.sql(
            f"SELECT DISTINCT month FROM {FEATURES_MART} ORDER BY 1").fetchall()]
        train_cuts, valid_cut = plan_cutoffs(snap.as_of, horizon, months)
        with progress.task(f"训练 training {code}", total=len(train_cuts) + 3) as task:
            total = sum(_count(con, code, c, horizon) for c in train_cuts)
            fraction = min(1.0, max_train_rows / total) if total else 1.0
            parts = []
            for cut in train_cuts:
                parts.append(population(con, code, cut, horizon, sample=fraction))
                task.advance()
            train = pd.concat(parts, ignore_index=True)
            valid = population(con, code, valid_cut, horizon)
            task.advance()
            y_train = train["label"].to_numpy(dtype=int)
            y_valid = valid["label"].to_numpy(dtype=int)
            window = f"{train_cuts[-1]} … {train_cuts[0]} + {horizon} 天 days"
            if y_train.sum() < MIN_TRAIN_TAKERS:
                raise PropensityError(
                    f"{code}: 训练期只有 {int(y_train.sum())} 位客户办理 / only {int(y_train.sum())} customers took "
                    f"{target.en} in the training windows ({window}); at least {MIN_TRAIN_TAKERS} are needed")
            if y_valid.sum() < MIN_VALIDATION_TAKERS:
                raise PropensityError(
                    f"{code}: 验证期只有 {int(y_valid.sum())} 位客户办理 / only {int(y_valid.sum())} customers took "
                    f"{target.en} in the validation window ({valid_cut} + {horizon} days); at least "
                    f"{MIN_VALIDATION_TAKERS} are needed to judge a model")
            spec = mart_spec(train.columns)
            model = PropensityModel(spec, algorithm, seed=ws.settings.marketing.seed).fit(train, y_train)
            task.advance()
            report = {
                "train": evaluate(y_train, model.score(train)),
                "validation": evaluate(y_valid, model.score(valid)),
                "top_features": model.top_features(10),
            }
            task.advance()
    finally:
        con.close()
    meta = _meta(ws, target, snap, model, report, actor=actor,
                 training={"cutoffs": [c.isoformat() for c in train_cuts],
                           "label_windows": [[c.isoformat(), (c + timedelta(days=horizon)).isoformat()]
                                             for c in train_cuts],
                           "rows": len(train), "takers": int(y_train.sum()), "sample_fraction": fraction,
                           "rows_before_sample": total},
                 validation={"cutoff": valid_cut.isoformat(),
                             "label_window": [valid_cut.isoformat(),
                                              (valid_cut + timedelta(days=horizon)).isoformat()],
                             "rows": len(valid), "takers": int(y_valid.sum())})
    version = model_registry.save(ws, code, model, meta)
    meta["version"] = version
    model_registry.record(ws, actor=actor, action="model_train", target=f"{code} {version}",
                          details={"target": code, "version": version, "algorithm": algorithm,
                                   "validation_auc": meta["metrics"]["auc"], "build_id": snap.build_id,
                                   "train_rows": len(train), "validation_rows": len(valid)})
    meta["activated"] = model_registry.activate(ws, code, version, actor=actor) if activate else None
    return cast(TrainedModel, meta)  # what _meta wrote to meta.json, with the version and the activation


def _meta(ws: Workspace, target: PropensityTarget, snap: Snapshot, model: PropensityModel, report: dict[str, Any],
          *, actor: str, training: dict[str, Any], validation: dict[str, Any]) -> dict[str, Any]:
    import sklearn

    v = report["validation"]
    return {
        "source": "snapshot",
        "target": target.code,
        "target_definition": target.model_dump(mode="json"),
        "question": {"zh": f"截止日后 {ws.settings.marketing.horizon_days} 天内是否办理{target.zh}",
                     "en": f"takes {target.en} within {ws.settings.marketing.horizon_days} days after the cut-off"},
        "horizon_days": ws.settings.marketing.horizon_days,
        "algorithm": model.algorithm,
        "features": model.spec.to_dict(),
        "explain": model.explain_,
        "training": training,
        "validation": validation,
        "metrics": {"auc": v["auc"], "train_auc": report["train"]["auc"], "validation_rows": v["rows"],
                    "validation_takers": v["takers"], "validation_base_rate": v["base_rate"],
                    "train_rows": report["train"]["rows"], "train_base_rate": report["train"]["base_rate"],
                    "top_decile_lift": v["deciles"][0]["lift"], "top3_capture": v["deciles"][2]["cum_capture"]},
        "report": report,
        "data": {"build_id": snap.build_id, "as_of": snap.as_of.isoformat()},
        "created_by": actor,
        "created_at": datetime.now(UTC).isoformat(),
        "sklearn_version": sklearn.__version__,
        "python_version": platform.python_version(),
    }


def train_targets(ws: Workspace, codes: list[str], *, actor: str, algorithm: str = "logistic",
                  activate: bool = False, progress: Progress = SILENT) -> dict[str, Any]:
    """Train several targets; one that cannot be trained is skipped with its reason, the others go on."""
    for c in codes:
        ws.settings.marketing.target(c)
    trained, skipped = [], []
    for c in codes:
        try:
            trained.append(train_target(ws, c, actor=actor, algorithm=algorithm, activate=activate,
                                        progress=progress))
        except PropensityError as exc:
            if len(codes) == 1:
                raise
            skipped.append({"target": c, "reason": str(exc)})
            progress.log(f"跳过 skipped {c}: {exc}")
    return {"trained": trained, "skipped": skipped}


def scoring_hook(ws: Workspace) -> Callable[[pa.Table], pa.Table] | None:
    """What the build calls to score the build month's features: the active models (None: none active)."""
    loaded = model_registry.load_active(ws)
    if not loaded:
        return None
    scorers = {t: Scorer(t, m.version, m.model) for t, m in loaded.items()}

    def score(features: pa.Table) -> pa.Table:
        missing = sorted({c for s in scorers.values() for c in s.model.spec.columns} - set(features.column_names))
        if missing:
            raise PropensityError(
                f"启用的模型需要的特征在本次构建中不存在 / the active models need feature columns this build does not "
                f"produce: {', '.join(missing)}; retrain them ('finecrm model train --product all --activate')")
        return score_table(scorers, features)

    return score
