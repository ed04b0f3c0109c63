"""Scoring many customers with several models: an Arrow table in, an Arrow table out.

The build hands the build month's feature rows (one per customer) as Arrow; each model scores them
in chunks, so memory stays bounded at a million customers (a chunk is converted to pandas, scored,
explained, and dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from finecrm.ml.propensity.model import PropensityModel, frame
from finecrm.ml.propensity.reasons import linear_reasons_of, reasons

CHUNK = 200_000


@dataclass(frozen=True)
class Scorer:
    """An active model of one target: the model and its version label (e.g. ``v003``)."""

    target: str
    version: str
    model: PropensityModel


def score_table(scorers: Mapping[str, Scorer], table: pa.Table, *, chunk: int = CHUNK,
                with_reasons: bool = True) -> pa.Table:
    """``customer_id`` and per target ``p_<t>``, ``reason_<t>``, ``model_<t>``, in the input's order."""
    needed = sorted({c for s in scorers.values() for c in s.model.spec.columns})
    missing = [c for c in needed if c not in table.column_names]
    if missing:
        raise ValueError(f"the feature table lacks columns the models need: {', '.join(missing)}")
    n = table.num_rows
    p = {t: np.empty(n) for t in scorers}
    why = {t: np.empty(n, dtype=object) for t in scorers}
    for start in range(0, n, chunk):
        part = table.select(needed).slice(start, chunk).to_pandas()
        stop = start + len(part)
        frames: dict[tuple[tuple[str, str], ...], pd.DataFrame] = {}  # models with the same features share one
        for t, s in scorers.items():
            key = tuple(s.model.spec.kinds.items())
            xf = frames.get(key)
            if xf is None:
                xf = frames[key] = frame(part, s.model.spec)
            p[t][start:stop], reasons_ = _score(s.model, xf, with_reasons)
            if reasons_ is not None:
                why[t][start:stop] = reasons_
    cols: dict[str, pa.Array] = {"customer_id": table.column("customer_id")}
    for t, s in scorers.items():
        cols[f"p_{t}"] = pa.array(p[t], pa.float64())
        cols[f"reason_{t}"] = pa.array(why[t], pa.string()) if with_reasons else pa.nulls(n, pa.string())
        cols[f"model_{t}"] = pa.repeat(pa.scalar(s.version, pa.string()), n)
    return pa.table(cols)


def _score(model: PropensityModel, xf: pd.DataFrame, with_reasons: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Probabilities and reasons; a logistic model's matrices are computed once for both."""
    if model.algorithm != "logistic":
        return model.pipeline_.predict_proba(xf)[:, 1], (reasons(model, xf) if with_reasons else None)
    steps = model.pipeline_.named_steps
    prepared = steps["prepare"].transform(xf)
    z = steps["scale"].transform(prepared)
    p = steps["model"].predict_proba(z)[:, 1]
    return p, (linear_reasons_of(model, prepared, z) if with_reasons else None)
