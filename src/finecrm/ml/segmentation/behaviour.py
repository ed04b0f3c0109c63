"""Behaviour segments: k-means on standardised features, each cluster labelled by what it really is.

Fitting happens on a sample; applying is a nearest-centroid rule that the engine evaluates inside
the database as a plain expression (so it runs on DuckDB and Spark alike).

A label is a claim about the customers in a cluster, so it is given only when the cluster's centroid
bears it out — "stands out" means at least ``STANDS_OUT`` standard deviations from the sample's mean
on a feature that varies at all, *and* a real amount of that behaviour in the cluster's own means:

- 消费型 consumer: consumption's share of outflows stands out high (and is at least ``MIN_SHARE``);
- 高增长型 growth: AUM growth (grown, not only less shrunk) or the investment share stands out high;
- 稳妥型 steady: the time-deposit share stands out high (and is at least ``MIN_SHARE``);
  of these, the one the cluster stands out on most;
- 无活动 inactive: otherwise, a cluster whose customers average under one customer-initiated transaction
  in 90 days (often customers with no account or no balance yet): nothing to say about their behaviour;
- 低活跃型 low activity: activity stands out low (but there is some);
- 活跃型 active: activity stands out high;
- 均衡型 balanced: nothing stands out.

Several clusters may get the same label (two kinds of active customers); a label no cluster bears out is
simply not given — a bank without consumption data has no 消费型. Each cluster's reason names what its
label rests on and the other features it stands out on, with the cluster's own means, so reason, label
and numbers always agree.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

FEATURES = ("time_deposit_share", "investment_share", "aum_growth", "consumption_share", "activity")
FEATURE_LABELS = {
    "time_deposit_share": ("定期占比", "time-deposit share"),
    "investment_share": ("理财基金保险占比", "investment share"),
    "aum_growth": ("资产增长", "AUM growth"),
    "consumption_share": ("消费占比", "consumption share"),
    "activity": ("活跃度", "activity"),
}
#: Labels in both languages (the Chinese ones are the marts' ``segment_label``, engine/labels.py).
LABELS = {
    "consumer": ("消费型", "consumer"),
    "growth": ("高增长型", "growth"),
    "steady": ("稳妥型", "steady"),
    "inactive": ("无活动", "no activity"),
    "low_activity": ("低活跃型", "low activity"),
    "active": ("活跃型", "active"),
    "balanced": ("均衡型", "balanced"),
}
#: Standard deviations from the sample mean at which a cluster "stands out" on a feature.
STANDS_OUT = 0.5
#: The least share (of outflows, of AUM) that makes a consumer or a steady cluster.
MIN_SHARE = 0.1
#: Below this many customer-initiated transactions in 90 days on average, a cluster shows no behaviour.
MIN_TRANSACTIONS = 1.0


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
        self.varies_ = std > 1e-9
        self.std_ = np.where(self.varies_, std, 1.0)
        z = (x - self.mean_) / self.std_
        from sklearn.cluster import KMeans  # imported here: it takes seconds, and most commands never cluster

        km = KMeans(n_clusters=self.clusters, n_init=10, random_state=self.seed).fit(z)
        # Order clusters deterministically (by their first coordinates) before labelling.
        order = np.lexsort(km.cluster_centers_.T[::-1])
        self.centroids_ = km.cluster_centers_[order]
        assigned = np.argsort(order)[km.labels_]
        self.sizes_ = np.bincount(assigned, minlength=self.clusters)
        # The clusters' own means in the features' units, and their average number of transactions
        # (activity is ln(1 + transactions), so the count is averaged from the customers, not the log).
        self.cluster_means_ = np.array([x[assigned == k].mean(axis=0) if self.sizes_[k] else self.mean_
                                        for k in range(self.clusters)])
        act = FEATURES.index("activity")
        self.cluster_transactions_ = np.array([np.expm1(x[assigned == k, act]).mean() if self.sizes_[k] else 0.0
                                               for k in range(self.clusters)])
        self.labels_ = [self._label(k) for k in range(self.clusters)]
        return self

    # -- labelling -----------------------------------------------------------------------------------

    def _z(self, k: int, feature: str) -> float:
        """Cluster ``k``'s standardised centroid on ``feature``; 0 for a feature that does not vary."""
        i = FEATURES.index(feature)
        return float(self.centroids_[k, i]) if self.varies_[i] else 0.0

    def _raw(self, k: int, feature: str) -> float:
        return float(self.cluster_means_[k, FEATURES.index(feature)])

    def _claims(self, k: int) -> dict[str, float]:
        """The characterising labels cluster ``k`` bears out, with how far it stands out on them."""
        claims: dict[str, float] = {}
        if self._z(k, "consumption_share") >= STANDS_OUT and self._raw(k, "consumption_share") >= MIN_SHARE:
            claims["consumer"] = self._z(k, "consumption_share")
        grows = self._z(k, "aum_growth") if self._raw(k, "aum_growth") > 0 else 0.0
        invests = self._z(k, "investment_share") if self._raw(k, "investment_share") > 0 else 0.0
        if max(grows, invests) >= STANDS_OUT:
            claims["growth"] = max(grows, invests)
        if self._z(k, "time_deposit_share") >= STANDS_OUT and self._raw(k, "time_deposit_share") >= MIN_SHARE:
            claims["steady"] = self._z(k, "time_deposit_share")
        return claims

    def _label(self, k: int) -> str:
        claims = self._claims(k)
        if claims:
            return max(claims, key=lambda code: claims[code])
        if self.cluster_transactions_[k] < MIN_TRANSACTIONS:
            return "inactive"
        if self._z(k, "activity") <= -STANDS_OUT:
            return "low_activity"
        if self._z(k, "activity") >= STANDS_OUT:
            return "active"
        return "balanced"

    #: The features each label rests on, named first in its reason.
    _RESTS_ON: ClassVar[dict[str, tuple[str, ...]]] = {"consumer": ("consumption_share",), "growth": ("aum_growth", "investment_share"),
                 "steady": ("time_deposit_share",), "low_activity": ("activity",), "active": ("activity",)}

    def standing_out(self, k: int) -> list[tuple[str, float]]:
        """The features cluster ``k`` stands out on (|z| ≥ STANDS_OUT), its label's first, then strongest first."""
        found = [(f, self._z(k, f)) for f in FEATURES if abs(self._z(k, f)) >= STANDS_OUT]
        first = self._RESTS_ON.get(self.labels_[k], ())
        return sorted(found, key=lambda fz: (fz[0] not in first, -abs(fz[1])))

    def describe(self, k: int) -> list[tuple[str, float]]:
        """Every feature of cluster ``k`` by how far it stands out (standardised centroid values)."""
        return sorted(((f, self._z(k, f)) for f in FEATURES), key=lambda fz: -abs(fz[1]))

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
            "cluster_means": self.cluster_means_.tolist(),
            "cluster_transactions_90d": self.cluster_transactions_.tolist(),
            "reasons": [self._reason(k) for k in range(len(self.centroids_))],
            "seed": self.seed,
        }

    def _value(self, k: int, feature: str) -> tuple[str, str]:
        """Cluster ``k``'s own mean of ``feature``, as a manager reads it (zh, en)."""
        if feature == "activity":
            n = self.cluster_transactions_[k]
            return f"{n:.1f} 笔/90天", f"{n:.1f} transactions in 90 days"
        if feature == "aum_growth":
            ratio = f"×{np.exp(self._raw(k, feature)):.2f}"
            return f"半年 {ratio}", f"{ratio} in 6 months"
        share = f"{self._raw(k, feature) * 100:.0f}%"
        return share, share

    def _reason(self, k: int) -> str:
        """What the label rests on, as a sentence a manager can say, with the cluster's own figures."""
        if self.labels_[k] == "inactive":
            n = self.cluster_transactions_[k]
            return (f"近90天平均主动交易 {n:.1f} 笔，数据不足以判断行为 / {n:.1f} customer-initiated transactions "
                    "in 90 days on average: not enough data to tell a behaviour")
        zh_parts, en_parts = [], []
        for feat, value in self.standing_out(k)[:2]:
            zh, en = FEATURE_LABELS[feat]
            high = value > 0
            v_zh, v_en = self._value(k, feat)
            zh_parts.append(f"{zh}{'高' if high else '低'}（{v_zh}）")
            en_parts.append(f"{'high' if high else 'low'} {en} ({v_en})")
        if not zh_parts:
            return "各项特征接近全行平均 / close to the bank's average on every feature"
        # "中文 / English" with one separator, as every bilingual text of the marts (core.formats.in_language)
        return "，".join(zh_parts) + " / " + "; ".join(en_parts)
