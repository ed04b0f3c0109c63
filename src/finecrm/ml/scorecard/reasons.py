"""Reason codes (拒绝/降级原因): why an applicant scored as they did.

For each variable, what the applicant's bin cost against the variable's best bin (``best points − points``).
The reasons are the variables that cost most, largest first; a variable where the applicant is already in
the best bin costs nothing and is never a reason. This is the usual "points below maximum" method of
adverse-action notices: it names what would have raised the score most, in points a person can check on
the card.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from finecrm.ml.scorecard.card import Card


def reason_codes(card: Card, bins: np.ndarray, k: int) -> list[list[dict[str, Any]]]:
    """Up to ``k`` reasons per row of ``bins`` (the bin index of each row for each variable)."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    n, m = bins.shape
    if m == 0 or k == 0:
        return [[] for _ in range(n)]
    points = [np.asarray([b.points for b in v.bins], dtype=float) for v in card.variables]
    lost = np.column_stack([p.max() - p[bins[:, j]] for j, p in enumerate(points)])
    order = np.argsort(-lost, axis=1, kind="stable")[:, :k]
    out: list[list[dict[str, Any]]] = []
    for i in range(n):
        row = []
        for j in order[i]:
            if lost[i, j] <= 0:
                break
            v = card.variables[j]
            b = v.bins[bins[i, j]]
            row.append({"variable": v.name, "bin": b.label(), "bin_zh": b.label_zh(),
                        "points": float(points[j][bins[i, j]]), "lost": float(lost[i, j])})
        out.append(row)
    return out


def reason_text(reason: dict[str, Any], lang: str = "en") -> str:
    """One reason as a sentence: ``age in [-inf, 26): 18 points below the best bin``."""
    if lang == "zh":
        return f"{reason['variable']} 为 {reason['bin_zh']}：比最优分箱少 {reason['lost']:g} 分"
    return f"{reason['variable']} in {reason['bin']}: {reason['lost']:g} points below the best bin"
