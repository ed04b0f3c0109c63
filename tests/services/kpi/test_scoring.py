"""Scores to full marks and competition ranking on hand-made numbers (docs/kpi.md)."""

from __future__ import annotations

import pytest

from finecrm.services.kpi.scoring import achievement, competition_ranks, score


def test_higher_is_better_scores_up_to_full_marks():
    assert score(50.0, 100.0, "higher", 100.0) == (0.5, 50.0)
    assert score(150.0, 100.0, "higher", 100.0) == (1.5, 100.0)  # capped at full marks
    assert score(-20.0, 100.0, "higher", 100.0) == (-0.2, 0.0)  # a fall scores nothing, never below 0
    assert score(30.0, 40.0, "higher", 20.0) == (0.75, 15.0)  # full marks other than 100


def test_lower_is_better_inverts_the_ratio():
    assert score(0.04, 0.02, "lower", 100.0) == (0.5, 50.0)  # twice the NPL ratio allowed: half the marks
    assert score(0.01, 0.02, "lower", 100.0)[1] == 100.0
    assert score(0.0, 0.02, "lower", 100.0) == (1.0, 100.0)  # no bad loans at all meets the target


def test_no_target_or_no_value_scores_zero():
    assert score(50.0, None, "higher", 100.0) == (None, 0.0)
    assert score(None, 100.0, "higher", 100.0) == (None, 0.0)
    assert achievement(10.0, 0.0, "higher") is None


def test_ties_share_the_rank_and_the_next_skips():
    assert competition_ranks([90.0, 95.0, 90.0, 80.0]) == [2, 1, 2, 4]
    assert competition_ranks([5.0, 5.0, 3.0]) == [1, 1, 3]
    assert competition_ranks([0.02, 0.01, None, 0.01], higher_is_better=False) == [3, 1, None, 1]
    assert competition_ranks([]) == []


@pytest.mark.parametrize("weights", [(0.25, 0.75), (0.5, 0.5)])
def test_total_is_the_weighted_sum(weights):
    scores = [score(80.0, 100.0, "higher", 100.0)[1], score(0.03, 0.03, "lower", 100.0)[1]]
    assert sum(w * s for w, s in zip(weights, scores, strict=True)) == pytest.approx(weights[0] * 80 + weights[1] * 100)
