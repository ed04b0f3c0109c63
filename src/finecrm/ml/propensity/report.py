"""How good a propensity model is, on customers it did not learn from.

- **AUC** (ROC): the chance that a random customer who took the product scored higher than a random
  one who did not (0.5 = guessing, 1 = perfect ranking); ties count half.
- **Deciles**: customers sorted by score, highest first, cut into ten groups of (nearly) equal size.
  Per decile: customers, takers, rate, **lift** = rate ÷ base rate (how many times better than
  picking at random), **capture** = share of all takers found in it; and the same cumulatively
  from the top (the top 3 deciles' cumulative capture is "the best 30 % find X % of takers").
- **Calibration**: per decile, the mean predicted probability against the observed rate, and the
  Brier score (mean squared error of the probabilities).
- **Base rate**: share of customers who took the product.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DECILES = 10


def auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """ROC AUC by ranks (Mann–Whitney), ties counted half; None with only one class."""
    y = np.asarray(y).astype(bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return None
    from scipy.stats import rankdata

    ranks = rankdata(np.asarray(p, dtype=float))
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def deciles(y: np.ndarray, p: np.ndarray, groups: int = DECILES) -> list[dict[str, Any]]:
    """Groups of (nearly) equal size by score, highest first (ties broken by row order)."""
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=float)
    n, takers = len(y), int(y.sum())
    base = takers / n if n else 0.0
    order = np.argsort(-p, kind="stable")
    out = []
    cum_n = cum_pos = 0
    for i, idx in enumerate(np.array_split(order, groups), start=1):
        k, pos = len(idx), int(y[idx].sum())
        cum_n += k
        cum_pos += pos
        rate = pos / k if k else 0.0
        cum_rate = cum_pos / cum_n if cum_n else 0.0
        out.append({
            "decile": i, "customers": k, "takers": pos, "rate": rate,
            "lift": rate / base if base else None, "capture": pos / takers if takers else None,
            "cum_customers": cum_n, "cum_takers": cum_pos, "cum_rate": cum_rate,
            "cum_lift": cum_rate / base if base else None, "cum_capture": cum_pos / takers if takers else None,
            "mean_predicted": float(p[idx].mean()) if k else None,
            "min_score": float(p[idx].min()) if k else None, "max_score": float(p[idx].max()) if k else None,
        })
    return out


def calibration(y: np.ndarray, p: np.ndarray, groups: int = DECILES) -> dict[str, Any]:
    """Mean predicted vs observed per score decile (lowest first), and the Brier score."""
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    bins = [{"bin": i, "customers": len(idx), "mean_predicted": float(p[idx].mean()),
             "observed": float(y[idx].mean())}
            for i, idx in enumerate(np.array_split(order, groups), start=1) if len(idx)]
    return {"bins": bins, "brier": float(np.mean((p - y) ** 2)) if len(y) else None,
            "mean_predicted": float(p.mean()) if len(p) else None,
            "observed": float(y.mean()) if len(y) else None}


def evaluate(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """The report on one set of customers: rows, takers, base rate, AUC, deciles, calibration."""
    y = np.asarray(y).astype(int)
    n = len(y)
    return {
        "rows": n, "takers": int(y.sum()), "base_rate": float(y.mean()) if n else None,
        "auc": auc(y, p), "deciles": deciles(y, p), "calibration": calibration(y, p),
    }
