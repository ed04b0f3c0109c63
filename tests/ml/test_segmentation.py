"""Behaviour segments are labelled by what each cluster is: constructed customers with known behaviour."""

from __future__ import annotations

import numpy as np

from finecrm.ml.segmentation import FEATURES, BehaviourSegments
from finecrm.ml.segmentation.behaviour import FEATURE_LABELS

TD, INV, GROWTH, CONS, ACT = range(len(FEATURES))


def _group(rng: np.random.Generator, n: int, **means: float) -> np.ndarray:
    x = np.zeros((n, len(FEATURES)))
    for name, value in means.items():
        i = FEATURES.index(name)
        x[:, i] = np.clip(value + rng.normal(0, 0.03 if i != ACT else 0.2, n), 0 if i != GROWTH else -2, None)
    return x


def _fit(x: np.ndarray, clusters: int) -> dict:
    return BehaviourSegments(clusters=clusters, seed=3).fit(x).to_dict()


def _agree(model: dict, x: np.ndarray) -> None:
    """Every "high"/"low" in a cluster's reason is what its customers are, against the sample's mean."""
    fitted = BehaviourSegments(clusters=len(model["labels"]), seed=3).fit(x)
    assigned = fitted.predict(x)
    for k, reason in enumerate(model["reasons"]):
        mine = x[assigned == k].mean(axis=0)
        for i, (zh, _en) in enumerate(FEATURE_LABELS.values()):
            if f"{zh}高" in reason:
                assert mine[i] > x[:, i].mean(), (reason, FEATURES[i])
            if f"{zh}低" in reason:
                assert mine[i] < x[:, i].mean(), (reason, FEATURES[i])


def test_each_kind_of_customer_gets_its_own_label():
    rng = np.random.default_rng(1)
    x = np.vstack([
        _group(rng, 200, time_deposit_share=0.7, activity=2.0),          # 稳妥型: most of it in time deposits
        _group(rng, 200, consumption_share=0.6, activity=3.5),           # 消费型: spends through the card
        _group(rng, 200, investment_share=0.5, aum_growth=0.8, activity=2.5),  # 高增长型
        _group(rng, 200, activity=0.0),                                  # nothing at all
        _group(rng, 200, consumption_share=0.05, activity=2.5),          # ordinary
    ])
    model = _fit(x, 5)
    assert sorted(model["labels"]) == sorted(["steady", "consumer", "growth", "inactive", "balanced"])
    inactive = model["labels"].index("inactive")
    n = model["cluster_transactions_90d"][inactive]
    assert n < 1 and f"{n:.1f} customer-initiated" in model["reasons"][inactive] and "not enough data" in \
        model["reasons"][inactive]
    steady = model["labels"].index("steady")
    zh, en = model["reasons"][steady].split(" / ")  # one Chinese sentence, one English (core.formats.in_language)
    assert zh.startswith("定期占比高（70%）") and en.startswith("high time-deposit share (70%)")
    _agree(model, x)


def test_a_behaviour_nobody_shows_is_never_a_label():
    """A bank with no consumption and no time deposits in its data (Berka): neither 消费型 nor 稳妥型, and
    no cluster called low-activity while its customers are among the more active."""
    rng = np.random.default_rng(2)
    x = np.vstack([
        _group(rng, 300, activity=2.8, aum_growth=-0.2),
        _group(rng, 250, activity=0.1),
        _group(rng, 300, activity=2.2, aum_growth=0.1),
        _group(rng, 100, activity=2.3, aum_growth=1.6),
    ])
    model = _fit(x, 4)
    assert not {"consumer", "steady"} & set(model["labels"])
    assert "inactive" in model["labels"] and "growth" in model["labels"]
    for label, reason in zip(model["labels"], model["reasons"], strict=True):
        assert "消费" not in reason and "定期" not in reason, reason
        if label == "low_activity":
            assert "活跃度低" in reason
        if label == "active":
            assert "活跃度高" in reason
    _agree(model, x)


def test_low_activity_is_some_activity_below_the_rest():
    rng = np.random.default_rng(3)
    x = np.vstack([_group(rng, 300, activity=3.5), _group(rng, 300, activity=3.0), _group(rng, 300, activity=1.2)])
    model = _fit(x, 3)
    low = model["labels"].index("low_activity")
    assert model["cluster_transactions_90d"][low] >= 1 and "活跃度低" in model["reasons"][low]
    assert "active" in model["labels"]
    _agree(model, x)
