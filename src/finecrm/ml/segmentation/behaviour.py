"""Behaviour segments: k-means on standardised features, labelled from the centroids.

Fitting happens on a sample; applying is a nearest-centroid rule that the engine evaluates inside
the database as a plain expression (so it runs on DuckDB and Spark alike). Labels come from what
each centroid stands out on, so they stay meaningful when the bank's data moves:

- 消费型 consumer: the highest consumption share of outflows;
- 高增长型 growth: then the highest AUM growth plus investment share;
- 稳妥型 steady: then the highest time-deposit share relative to activity;
- 低活跃型 low activity: then the lowest activity;
- 均衡型 balanced: any further cluster.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FEATURES = ("time_deposit_share", "investment_share", "aum_growth", "consumption_share", "activity")
FEATURE_LABELS = {
    "time_deposit_share": ("定期占比", "time-deposit share"),
    "investment_share": ("理财基金保险占比", "investment share"),
    "aum_growth": ("资产增长", "AUM growth"),
    "consumption_share": ("消费占比", "consumption share"),
    "activity": ("活跃度", "activity"),
}


class BehaviourSegments:
    """k-means behaviour segmentation with sklearn's estimator conventions."""

    def __init__(self, clusters: int = 4, seed: int = 7) -> None:
        self.clusters = clusters
        self.seed = seed

    def fit(self, x: np.ndarray) -> BehaviourSegments:
        if x.ndim != 2 or x.shape[1] != len(FEATURES):
            raise ValueError(f"expected a matrix with {len(FEATURES)} feature columns, got shape {x.shape}")
        if len(x) < self.clusters * 5:
            raise ValueError(f"need at least {self.clusters * 5} customers to form {self.clusters} segments")
        self.mean_ = x.mean(axis=0)
        std = x.std(axis=0)
        self.std_ = np.where(std > 1e-9, std, 1.0)
        z = (x - self.mean_) / self.std_
        from sklearn.cluster import KMeans  # imported here: it takes seconds, and most commands never cluster

        km = KMeans(n_clusters=self.clusters, n_init=10, random_state=self.seed).fit(z)
        # Order clusters deterministically (by their first coordinates) before labelling.
        order = np.lexsort(km.cluster_centers_.T[::-1])
        self.centroids_ = km.cluster_centers_[order]
        self.labels_ = self._label(self.centroids_)
        self.sizes_ = np.bincount(np.argsort(order)[km.labels_], minlength=self.clusters)
        return self

    @staticmethod
    def _label(c: np.ndarray) -> list[str]:
        idx = {f: i for i, f in enumerate(FEATURES)}
        free = list(range(len(c)))
        labels = ["balanced"] * len(c)

        def take(score: np.ndarray, code: str, highest: bool = True) -> None:
            if not free:
                return
            pick = max(free, key=lambda k: score[k]) if highest else min(free, key=lambda k: score[k])
            labels[pick] = code
            free.remove(pick)

        take(c[:, idx["consumption_share"]], "consumer")
        take(c[:, idx["aum_growth"]] + c[:, idx["investment_share"]], "growth")
        take(c[:, idx["time_deposit_share"]] - c[:, idx["activity"]], "steady")
        take(c[:, idx["activity"]], "low_activity", highest=False)
        return labels

    def describe(self, k: int) -> list[tuple[str, float]]:
        """The features cluster ``k`` stands out on, strongest first (standardised centroid values)."""
        c = self.centroids_[k]
        order = np.argsort(-np.abs(c))
        return [(FEATURES[i], float(c[i])) for i in order]

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.mean_) / self.std_
        d = ((z[:, None, :] - self.centroids_[None, :, :]) ** 2).sum(axis=2)
        return np.asarray(d.argmin(axis=1))

    def to_dict(self) -> dict[str, Any]:
        """What the engine needs to apply the model, and what the manifest records."""
        return {
            "features": list(FEATURES),
            "mean": self.mean_.tolist(),
            "std": self.std_.tolist(),
            "centroids": self.centroids_.tolist(),
            "labels": self.labels_,
            "sizes_in_sample": self.sizes_.tolist(),
            "reasons": [self._reason(k) for k in range(len(self.centroids_))],
            "seed": self.seed,
        }

    def _reason(self, k: int) -> str:
        parts = []
        for feat, value in self.describe(k)[:2]:
            zh, en = FEATURE_LABELS[feat]
            word = ("高", "high") if value > 0 else ("低", "low")
            parts.append(f"{zh}{word[0]} / {word[1]} {en} (z={value:+.1f})")
        return "; ".join(parts)
