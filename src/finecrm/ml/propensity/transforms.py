"""Transforms for skewed money and counts, as small scikit-learn transformers.

Balances and amounts are skewed over six orders of magnitude (a few yuan to millions) and can be
negative (an overdrawn card); counts are skewed too. A logistic regression on raw values would be
ruled by a handful of rich customers, so money goes through a signed log and counts through
log(1 + x), and every numeric column is clipped to the quantiles seen in training, so one extreme
customer at scoring time cannot produce an extreme score.

They are our own classes (not FunctionTransformer with a lambda) so that model files hold no code:
skops stores their parameters and the loader trusts these names only (see ``persist.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin


class SignedLog1p(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """sign(x) · log(1 + |x|): money on a log scale, sign kept."""

    def fit(self, x: Any, y: Any = None) -> SignedLog1p:
        self.n_features_in_ = np.asarray(x).shape[1]
        return self

    def transform(self, x: Any) -> np.ndarray:
        a = np.asarray(x, dtype=float)
        return np.sign(a) * np.log1p(np.abs(a))


class Log1p(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """log(1 + max(x, 0)): counts (a negative count is a data error and counts as zero)."""

    def fit(self, x: Any, y: Any = None) -> Log1p:
        self.n_features_in_ = np.asarray(x).shape[1]
        return self

    def transform(self, x: Any) -> np.ndarray:
        return np.log1p(np.maximum(np.asarray(x, dtype=float), 0.0))


class QuantileClip(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clip every column to the ``lower`` and ``upper`` quantiles seen in training."""

    def __init__(self, lower: float = 0.001, upper: float = 0.999) -> None:
        self.lower = lower
        self.upper = upper

    def fit(self, x: Any, y: Any = None) -> QuantileClip:
        a = np.asarray(x, dtype=float)
        self.n_features_in_ = a.shape[1]
        if a.shape[0] == 0:
            self.low_ = np.full(a.shape[1], -np.inf)
            self.high_ = np.full(a.shape[1], np.inf)
            return self
        with np.errstate(all="ignore"):
            self.low_ = np.nanquantile(a, self.lower, axis=0)
            self.high_ = np.nanquantile(a, self.upper, axis=0)
        self.low_ = np.where(np.isnan(self.low_), -np.inf, self.low_)
        self.high_ = np.where(np.isnan(self.high_), np.inf, self.high_)
        return self

    def transform(self, x: Any) -> np.ndarray:
        return np.clip(np.asarray(x, dtype=float), self.low_, self.high_)
