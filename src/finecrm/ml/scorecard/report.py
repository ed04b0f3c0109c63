"""What a scorecard is worth, computed (presenting it is the CLI's and the pages' business).

- ``binning_table``: every bin of every variable with its count, share, bads, bad rate, WoE, IV part, points;
- ``discrimination``: AUC, KS and Gini of scores against outcomes (a higher score must mean fewer bads);
- ``psi``: the population stability index between a reference and a newer distribution over the same bands
  (below 0.1 stable, 0.1–0.25 watch, above 0.25 shifted — the usual reading);
- ``stability``: PSI of the score over the master-scale grades and of each variable over its bins (the
  characteristic stability, CSI);
- ``grade_table``: the master scale on some data: rows, bads and observed bad rate per grade beside its PD.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from finecrm.ml.scorecard.card import Card

PSI_EPS = 1e-4


def binning_table(card: Card) -> list[dict[str, Any]]:
    rows = []
    for v in card.variables:
        total = sum(b.count for b in v.bins)
        goods, bads = sum(b.goods for b in v.bins), sum(b.bads for b in v.bins)
        for b in v.bins:
            g = b.goods / goods if goods else 0.0
            d = b.bads / bads if bads else 0.0
            rows.append({"variable": v.name, "bin": b.label(), "kind": b.kind, "count": b.count,
                         "share": b.count / total if total else 0.0, "bads": b.bads, "bad_rate": b.bad_rate,
                         "woe": b.woe, "iv": (g - d) * b.woe if b.count else 0.0, "points": b.points})
    return rows


def discrimination(y: Any, score: Any) -> dict[str, float | int]:
    """AUC (of the score ranking bads low), KS and Gini; rows, bads and bad rate."""
    from sklearn.metrics import roc_auc_score, roc_curve

    y = np.asarray(y, dtype=int)
    s = np.asarray(score, dtype=float)
    out: dict[str, float | int] = {"rows": len(y), "bads": int(y.sum()), "bad_rate": float(y.mean()) if len(y) else 0.0}
    if len(np.unique(y)) < 2:
        return {**out, "auc": float("nan"), "ks": float("nan"), "gini": float("nan")}
    auc = float(roc_auc_score(y, -s))
    fpr, tpr, _ = roc_curve(y, -s)
    return {**out, "auc": auc, "ks": float(np.max(tpr - fpr)), "gini": 2 * auc - 1}


def psi(expected: Any, actual: Any) -> float:
    """PSI of two distributions over the same bands (counts or shares; empty bands count as a tiny share)."""
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e = np.maximum(e / e.sum(), PSI_EPS) if e.sum() else np.full(len(e), PSI_EPS)
    a = np.maximum(a / a.sum(), PSI_EPS) if a.sum() else np.full(len(a), PSI_EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def grade_counts(card: Card, score: np.ndarray) -> np.ndarray:
    return np.bincount(card.grade_index(score), minlength=len(card.grades))


def stability(card: Card, reference: pd.DataFrame, newer: pd.DataFrame) -> dict[str, Any]:
    """PSI of the score over the grades, and of each variable over its bins, newer against reference."""
    bins_ref, bins_new = card.bin_matrix(reference), card.bin_matrix(newer)
    variables = {}
    for j, v in enumerate(card.variables):
        n = len(v.bins)
        variables[v.name] = psi(np.bincount(bins_ref[:, j], minlength=n), np.bincount(bins_new[:, j], minlength=n))
    return {"score_psi": psi(grade_counts(card, card.score(reference)), grade_counts(card, card.score(newer))),
            "variables": variables, "reference_rows": len(reference), "newer_rows": len(newer)}


def stability_from_counts(card: Card, reference_grade_counts: list[int], newer: pd.DataFrame) -> float:
    """PSI of the score of ``newer`` against the training grade counts stored on the card."""
    return psi(reference_grade_counts, grade_counts(card, card.score(newer)))


def grade_table(card: Card, score: np.ndarray, y: Any | None = None) -> list[dict[str, Any]]:
    idx = card.grade_index(score)
    yy = None if y is None else np.asarray(y, dtype=int)
    rows = []
    for i, g in enumerate(card.grades):
        mask = idx == i
        n = int(mask.sum())
        row: dict[str, Any] = {"grade": g.label, "min_score": g.min_score, "max_score": g.max_score, "pd": g.pd,
                               "rows": n, "share": n / len(idx) if len(idx) else 0.0}
        if yy is not None:
            bads = int(yy[mask].sum())
            row.update(bads=bads, bad_rate=bads / n if n else None)
        rows.append(row)
    return rows


def evaluate(card: Card, x: pd.DataFrame, y: Any) -> dict[str, Any]:
    """Discrimination and the master scale of the card on (x, y)."""
    s = card.score(x)
    return {**discrimination(y, s), "grades": grade_table(card, s, y)}
