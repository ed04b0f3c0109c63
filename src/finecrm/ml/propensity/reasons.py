"""Why a customer got their score: the top features that raised it, in Chinese and English.

Logistic models: the contribution of a prepared column is ``coef × standardised value`` (the score's
log-odds are the intercept plus the sum of these). The reasons are the columns with the largest
positive contributions — for a one-hot column or a missing-value indicator only when it is the
customer's own (the customer *is* a teacher), so a reason never says "not a farmer".

Gradient-boosted models have no coefficients, so a reason is "what if": the rise in log-odds over
the score the customer would get were the feature at its typical training value (median, or the
most common value of a flag), over the most important non-category features (by permutation
importance at fit). Honest, if slower: one extra prediction per feature.

Texts are built once per distinct combination of reasons (there are few), not once per customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finecrm.ml.propensity.features import phrases
from finecrm.ml.propensity.model import PropensityModel

TOP = 3
NOTHING = "无突出因素 / nothing stands out"


def _text(parts: list[tuple[str, str]]) -> str:
    if not parts:
        return NOTHING
    return "、".join(p[0] for p in parts) + " / " + "; ".join(p[1] for p in parts)


def _top(contrib: np.ndarray, phrase_id: np.ndarray, table: list[tuple[str, str]], top: int) -> np.ndarray:
    """Per row the texts of the ``top`` largest positive contributions."""
    n, d = contrib.shape
    out = np.empty(n, dtype=object)
    if n == 0:
        return out
    if d == 0:
        out[:] = NOTHING
        return out
    k = min(top, d)
    idx = np.argpartition(-contrib, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(contrib, idx, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    ids = np.take_along_axis(phrase_id, idx, axis=1).astype(np.int64)
    ids[~(vals > 0)] = -1
    base = len(table) + 1
    key = np.zeros(n, dtype=np.int64)
    for i in range(k):
        key = key * base + (ids[:, i] + 1)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    texts = np.array([_text([table[j] for j in ids[r] if j >= 0]) for r in first], dtype=object)
    out[:] = texts[inverse]
    return out


def _phrase_table(model: PropensityModel) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray]:
    """Per prepared column: the phrase ids for "high" and "low"."""
    table: list[tuple[str, str]] = []
    hi, lo = [], []
    for col in model.columns_:
        labels = model.column_label(col)
        if col.kind == "value":
            up, down = phrases(col.source, model.spec.kinds[col.source], labels)
        else:
            zh, en = labels
            up = down = ((zh.replace("=", "："), en.replace("=", ": ")) if col.kind == "category" else (zh, en))
        hi.append(len(table))
        table.append(up)
        lo.append(len(table))
        table.append(down)
    return table, np.asarray(hi), np.asarray(lo)


def linear_reasons(model: PropensityModel, xf: pd.DataFrame, top: int = TOP) -> np.ndarray:
    pipe = model.pipeline_
    prepared = pipe.named_steps["prepare"].transform(xf)
    return linear_reasons_of(model, prepared, pipe.named_steps["scale"].transform(prepared), top)


def linear_reasons_of(model: PropensityModel, prepared: np.ndarray, z: np.ndarray, top: int = TOP) -> np.ndarray:
    """The reasons from the prepared and the standardised matrix (when the caller has them already)."""
    coef = model.pipeline_.named_steps["model"].coef_[0]
    contrib = z * coef
    own = np.array([c.kind != "value" for c in model.columns_])
    if own.any():  # one-hot and indicator columns count only when they are the customer's own
        contrib[:, own] = np.where(prepared[:, own] > 0.5, contrib[:, own], 0.0)
    pooled = np.array([c.kind == "category" and c.value == "other" for c in model.columns_])
    if pooled.any():  # "occupation: other" explains nothing to a customer manager
        contrib[:, pooled] = 0.0
    table, hi, lo = _phrase_table(model)
    phrase_id = np.where(z > 0, hi[None, :], lo[None, :])
    return _top(contrib, phrase_id, table, top)


def what_if_reasons(model: PropensityModel, xf: pd.DataFrame, top: int = TOP) -> np.ndarray:
    feats: list[str] = list(model.explain_.get("features", []))
    ref: dict[str, float] = model.explain_.get("reference", {})
    pipe = model.pipeline_

    def logit(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-9, 1 - 1e-9)
        return np.log(p / (1 - p))

    base = logit(pipe.predict_proba(xf)[:, 1])
    contrib = np.zeros((len(xf), len(feats)))
    phrase_id = np.zeros((len(xf), len(feats)), dtype=np.int64)
    table: list[tuple[str, str]] = []
    for j, f in enumerate(feats):
        x2 = xf.copy()
        x2[f] = ref[f]
        contrib[:, j] = base - logit(pipe.predict_proba(x2)[:, 1])
        up, down = phrases(f, model.spec.kinds[f], model.spec.label(f))
        table += [up, down]
        values = xf[f].to_numpy(dtype=float)
        phrase_id[:, j] = np.where(values > ref[f], 2 * j, 2 * j + 1)
    return _top(contrib, phrase_id, table, top)


def reasons(model: PropensityModel, xf: pd.DataFrame, top: int = TOP) -> np.ndarray:
    """Texts "中文 / English" of the top reasons for each row of ``xf`` (a prepared ``frame``)."""
    if model.algorithm == "logistic":
        return linear_reasons(model, xf, top)
    return what_if_reasons(model, xf, top)
