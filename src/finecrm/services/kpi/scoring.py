"""Scores to full marks and rankings with ties (pure functions: the rules of docs/kpi.md).

- **achievement** 完成率 = value ÷ target when higher is better, target ÷ value when lower is better; none without a
  target (the page says so) or without a value (e.g. no loans for an NPL ratio);
- **score** 得分 = min(full marks, full marks × achievement), never below 0 (0 without an achievement);
- **total** 总分 = Σ weight × score;
- **ranking**: competition ranking, ties share the rank and the next one skips (1, 1, 3); units without a figure
  come last without a rank.
"""

from __future__ import annotations

from collections.abc import Sequence


def achievement(value: float | None, target: float | None, direction: str) -> float | None:
    """Completion against the target (see the module doc); None when it cannot be said."""
    if value is None or target is None:
        return None
    if direction == "lower":
        if value <= 0:
            return 1.0 if target >= 0 else 0.0  # nothing bad at all meets any target at or above nothing
        return max(target, 0.0) / value
    if target <= 0:
        return None
    return value / target


def score(value: float | None, target: float | None, direction: str, full_marks: float) -> tuple[float | None, float]:
    """(achievement, score): the score is min(full marks, full marks × achievement), at least 0."""
    a = achievement(value, target, direction)
    if a is None:
        return None, 0.0
    return round(a, 6), round(min(full_marks, max(0.0, full_marks * a)), 2)


def competition_ranks(values: Sequence[float | None], *, higher_is_better: bool = True) -> list[int | None]:
    """The rank of each value (1 = best); equal values share a rank and the next rank skips (1, 1, 3).
    ``None`` values get no rank."""
    known = [v for v in values if v is not None]
    ordered = sorted(known, reverse=higher_is_better)
    first: dict[float, int] = {}
    for i, v in enumerate(ordered, start=1):
        first.setdefault(v, i)
    return [None if v is None else first[v] for v in values]
