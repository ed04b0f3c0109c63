"""Points and the rating master scale (主标尺).

**Points.** The logistic regression gives ``logit P(bad) = b0 + Σ b_j·WoE_j``. With
``score = offset + factor·ln(odds of good)`` (``Scale``), a bin of variable *j* is worth
``offset/n − factor·(b_j·WoE + b0/n)`` points, ``n`` the number of variables, so a card's points add up to
the score and nothing is left in a separate constant. Points are rounded to ``decimals`` (whole points by
default, as banks print them); the score is the sum of the rounded points.

**Master scale.** The training scores are cut into ``n_grades`` bands of (about) equal numbers of rows. The
bad rate must fall strictly from each band to the next better one; where it does not, the two bands are
merged (pool-adjacent-violators) and the scale has fewer grades — an honest scale over an invented one. Each
grade's PD is its training bad rate smoothed by half a bad and half a good (``(bads + 0.5) / (rows + 1)``,
Jeffreys' prior) and at least ``pd_floor``: a band without a bad in training is not riskless, and a small
band's rate is not taken at face value.
"""

from __future__ import annotations

import numpy as np

from finecrm.ml.scorecard.card import Grade, Scale, Variable

#: Labels of up to 10 grades, best first (the scale is cut into at most as many as asked and as labels given).
DEFAULT_LABELS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")


def assign_points(variables: list[Variable], intercept: float, scale: Scale, decimals: int | None) -> None:
    n = len(variables)
    for v in variables:
        for b in v.bins:
            raw = scale.offset / n - scale.factor * (v.coefficient * b.woe + intercept / n)
            b.points = float(round(raw, decimals)) if decimals is not None else float(raw)


def _pd(rows: int, bads: int, floor: float) -> float:
    return max((bads + 0.5) / (rows + 1), floor)


def master_scale(score: np.ndarray, y: np.ndarray, n_grades: int, labels: list[str] | None = None,
                 pd_floor: float = 0.0003) -> list[Grade]:
    """Grades best first: score bands with a PD each, the PD strictly rising from the best to the worst."""
    score = np.asarray(score, dtype=float)
    y = np.asarray(y, dtype=int)
    distinct = np.unique(score)
    qs = np.quantile(score, np.linspace(0, 1, n_grades + 1)[1:-1], method="lower") if n_grades > 1 else []
    # A cut c means "score >= c is the better band"; cut at distinct scores above the lowest one.
    cuts = sorted({float(distinct[np.searchsorted(distinct, q, side="right")]) for q in qs
                   if np.searchsorted(distinct, q, side="right") < len(distinct)})

    def bands(cs: list[float]) -> list[tuple[int, int]]:
        idx = np.searchsorted(np.asarray(cs), score, side="right")  # 0 = the worst band
        return [(int((idx == i).sum()), int(y[idx == i].sum())) for i in range(len(cs) + 1)]

    # pool adjacent violators: from the worst band up, each better band must have a lower (floored) bad rate
    while True:
        counts = bands(cuts)
        rates = [_pd(c, b, pd_floor) if c else None for c, b in counts]
        bad = next((i for i in range(len(rates) - 1)
                    if rates[i] is None or rates[i + 1] is None or rates[i + 1] >= rates[i]), None)  # type: ignore[operator]
        if bad is None:
            break
        del cuts[bad]  # merge band ``bad`` with the one above it
    names = list(labels) if labels else list(DEFAULT_LABELS)
    grades = []
    n = len(counts)
    for rank in range(n):  # rank 0: the best band (highest scores)
        i = n - 1 - rank
        c, b = counts[i]
        grades.append(Grade(label=names[rank] if rank < len(names) else str(rank + 1),
                            min_score=cuts[i - 1] if i > 0 else None,
                            max_score=cuts[i] if i < len(cuts) else None,
                            count=c, bads=b, pd=_pd(c, b, pd_floor)))
    return grades
