"""The scorecard estimator (评分卡): optimal WoE binning, logistic regression, points, master scale.

scikit-learn's contract, as optbinning keeps it: ``__init__`` only stores the parameters, ``fit`` checks
them and learns, fitted attributes end in ``_``, ``fit`` returns ``self``.

How it learns (``fit(x, y)``, ``y`` 1 for bad):

1. every column is binned by optbinning's ``BinningProcess`` (numbers under a monotonic trend of the bad
   rate, text by grouping categories), then turned into the card's own bins (``binning.py``);
2. variables are kept when their information value reaches ``min_iv``; of two whose WoE correlate beyond
   ``max_correlation`` the one with the lower IV goes (collinear WoE make coefficients unstable);
3. a logistic regression on the WoE; a variable whose coefficient comes out with the wrong sign (a safer bin
   scored as riskier, which no credit officer can defend) is dropped and the regression fitted again;
4. points by ``pdo``, ``base_score`` and ``base_odds`` (``scale.py``) and the master scale on the training
   scores.

``selection_`` says for every column whether it is on the card and, if not, why.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from finecrm.ml.scorecard.binning import fit_binning
from finecrm.ml.scorecard.card import Card, Dtype, Scale, Variable
from finecrm.ml.scorecard.reasons import reason_codes
from finecrm.ml.scorecard.scale import assign_points, master_scale

TRENDS = ("auto", "auto_heuristic", "auto_asc_desc", "ascending", "descending", "peak", "valley", "convex",
          "concave")


def column_dtypes(x: pd.DataFrame) -> dict[str, Dtype]:
    """Numbers are numerical variables; text (and anything else) categorical."""
    return {str(c): ("numerical" if pd.api.types.is_numeric_dtype(x[c]) and not pd.api.types.is_bool_dtype(x[c])
                     else "categorical") for c in x.columns}


class Scorecard(ClassifierMixin, BaseEstimator):
    """A credit scorecard: probability of bad, points, grade and reasons of each applicant.

    Parameters: ``pdo`` points to double the odds (20), ``base_score`` (600) where the odds of good are
    ``base_odds`` (50, i.e. 50:1); ``n_grades`` of the master scale (10) and their ``grade_labels`` (best
    first; default 1…10); ``min_iv`` (0.02) and ``max_correlation`` (0.8) of variable selection;
    ``monotonic_trend`` of numerical bins (``auto_asc_desc``: ascending or descending, whichever fits);
    ``max_n_bins`` (None) and ``min_bin_size`` (a share of rows, 0.05); ``special_codes`` (numbers meaning
    "no record" rather than an amount, each numerical variable gets a bin for them); ``c`` of the logistic
    regression (1.0); ``points_decimals`` (0: whole points; None: unrounded); ``pd_floor`` (0.0003).
    """

    def __init__(self, *, pdo: float = 20.0, base_score: float = 600.0, base_odds: float = 50.0,
                 n_grades: int = 10, grade_labels: list[str] | None = None, min_iv: float = 0.02,
                 max_correlation: float = 0.8, monotonic_trend: str = "auto_asc_desc",
                 max_n_bins: int | None = None, min_bin_size: float = 0.05,
                 special_codes: list[float] | None = None, c: float = 1.0, points_decimals: int | None = 0,
                 pd_floor: float = 0.0003) -> None:
        self.pdo = pdo
        self.base_score = base_score
        self.base_odds = base_odds
        self.n_grades = n_grades
        self.grade_labels = grade_labels
        self.min_iv = min_iv
        self.max_correlation = max_correlation
        self.monotonic_trend = monotonic_trend
        self.max_n_bins = max_n_bins
        self.min_bin_size = min_bin_size
        self.special_codes = special_codes
        self.c = c
        self.points_decimals = points_decimals
        self.pd_floor = pd_floor

    # --- checks -----------------------------------------------------------------------------------------

    def _check_params(self) -> None:
        if not self.pdo > 0:
            raise ValueError(f"pdo must be > 0, got {self.pdo!r}")
        if not self.base_odds > 0:
            raise ValueError(f"base_odds must be > 0, got {self.base_odds!r}")
        if not np.isfinite(self.base_score):
            raise ValueError(f"base_score must be a finite number, got {self.base_score!r}")
        if not (isinstance(self.n_grades, int) and 2 <= self.n_grades <= 30):
            raise ValueError(f"n_grades must be a whole number from 2 to 30, got {self.n_grades!r}")
        if self.grade_labels is not None and len(self.grade_labels) < self.n_grades:
            raise ValueError(f"grade_labels has {len(self.grade_labels)} labels for {self.n_grades} grades")
        if not 0 <= self.min_iv < 10:
            raise ValueError(f"min_iv must be from 0 to 10, got {self.min_iv!r}")
        if not 0 < self.max_correlation <= 1:
            raise ValueError(f"max_correlation must be in (0, 1], got {self.max_correlation!r}")
        if self.monotonic_trend not in TRENDS:
            raise ValueError(f"monotonic_trend must be one of {', '.join(TRENDS)}, got {self.monotonic_trend!r}")
        if not 0 < self.min_bin_size < 0.5:
            raise ValueError(f"min_bin_size must be a share in (0, 0.5), got {self.min_bin_size!r}")
        if self.max_n_bins is not None and not (isinstance(self.max_n_bins, int) and self.max_n_bins >= 2):
            raise ValueError(f"max_n_bins must be a whole number of at least 2, got {self.max_n_bins!r}")
        if not self.c > 0:
            raise ValueError(f"c must be > 0, got {self.c!r}")
        if self.points_decimals is not None and not (isinstance(self.points_decimals, int)
                                                     and 0 <= self.points_decimals <= 6):
            raise ValueError(f"points_decimals must be None or 0–6, got {self.points_decimals!r}")
        if not 0 <= self.pd_floor < 0.5:
            raise ValueError(f"pd_floor must be in [0, 0.5), got {self.pd_floor!r}")

    # --- learning ---------------------------------------------------------------------------------------

    def fit(self, x: pd.DataFrame, y: Any) -> Scorecard:
        self._check_params()
        if not isinstance(x, pd.DataFrame):
            raise TypeError("x must be a pandas DataFrame (the column names become the card's variables)")
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(x):
            raise ValueError(f"y must be one value per row of x ({len(x)}), got shape {y.shape}")
        if not np.isin(y, [0, 1]).all():
            raise ValueError("y must be 1 (bad) or 0 (good) for every row")
        y = y.astype(int)
        if y.sum() == 0 or y.sum() == len(y):
            raise ValueError("the training data has only one class: no bads (or no goods) to learn from")
        x = x.reset_index(drop=True)
        self.feature_names_in_ = np.asarray([str(c) for c in x.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        dtypes = column_dtypes(x)
        self.binning_process_, candidates = fit_binning(
            x, y, dtypes, special_codes=list(self.special_codes or []), max_n_bins=self.max_n_bins,
            min_bin_size=self.min_bin_size, monotonic_trend=self.monotonic_trend)
        by_name = {v.name: v for v in candidates}
        woe = pd.DataFrame({v.name: np.asarray([b.woe for b in v.bins])[v.bin_index(x[v.name])]
                            for v in candidates})
        selection: dict[str, dict[str, Any]] = {v.name: {"variable": v.name, "dtype": v.dtype, "iv": v.iv,
                                                         "bins": len(v.bins), "selected": False, "reason": ""}
                                                for v in candidates}
        kept = [v.name for v in sorted(candidates, key=lambda v: -v.iv)]
        for name in list(kept):
            if by_name[name].iv < self.min_iv:
                kept.remove(name)
                selection[name]["reason"] = f"IV {by_name[name].iv:.4f} < {self.min_iv}"
        corr = woe[kept].corr().abs()
        final: list[str] = []
        for name in kept:  # highest IV first: of two collinear variables the stronger stays
            clash = next((o for o in final if np.isfinite(corr.loc[name, o]) and corr.loc[name, o] > self.max_correlation),
                         None)
            if clash is None:
                final.append(name)
            else:
                selection[name]["reason"] = f"WoE correlates {corr.loc[name, clash]:.2f} with {clash} (higher IV)"
        kept = final
        while True:
            if not kept:
                raise ValueError("no variable is left on the card: none reaches the minimum information value "
                                 f"({self.min_iv}) with a sensible coefficient")
            lr = LogisticRegression(C=self.c, max_iter=1000).fit(woe[kept].to_numpy(), y)
            coef = lr.coef_[0]
            wrong = [n for n, b in zip(kept, coef, strict=True) if b >= 0]  # higher WoE must lower the risk
            if not wrong:
                break
            worst = wrong[int(np.argmax([coef[kept.index(n)] for n in wrong]))]
            kept.remove(worst)
            selection[worst]["reason"] = "coefficient of the wrong sign (a safer bin would score as riskier)"
        variables: list[Variable] = []
        for name, b in zip(kept, coef, strict=True):
            v = by_name[name]
            v.coefficient = float(b)
            variables.append(v)
            selection[name]["selected"] = True
            selection[name]["coefficient"] = float(b)
        scale = Scale(float(self.pdo), float(self.base_score), float(self.base_odds))
        intercept = float(lr.intercept_[0])
        assign_points(variables, intercept, scale, self.points_decimals)
        self.logistic_ = lr
        self.card_ = Card(variables=variables, scale=scale, intercept=intercept,
                          points_decimals=self.points_decimals)
        self.card_.grades = master_scale(self.card_.score(x), y, self.n_grades, self.grade_labels, self.pd_floor)
        self.selection_ = sorted(selection.values(), key=lambda r: (not r["selected"], -r["iv"]))
        self.classes_ = np.array([0, 1])
        return self

    @classmethod
    def from_card(cls, card: Card, params: dict[str, Any] | None = None) -> Scorecard:
        """A fitted scorecard around a card read from a file (scores, grades and reasons; no refitting)."""
        sc = cls(**(params or {}))
        sc.card_ = card
        sc.classes_ = np.array([0, 1])
        sc.feature_names_in_ = np.asarray([v.name for v in card.variables], dtype=object)
        sc.n_features_in_ = len(card.variables)
        return sc

    # --- scoring ----------------------------------------------------------------------------------------

    def _frame(self, x: pd.DataFrame) -> pd.DataFrame:
        if not hasattr(self, "card_"):
            raise ValueError("this Scorecard is not fitted yet: call fit first")
        try:
            self.card_.check_columns(x.columns)
        except KeyError as exc:
            raise ValueError(f"the data lacks the card's columns: {', '.join(exc.args[0])}") from None
        return x.reset_index(drop=True)

    def points(self, x: pd.DataFrame) -> pd.DataFrame:
        """Points of every row for every variable of the card."""
        x = self._frame(x)
        return pd.DataFrame(self.card_.points_matrix(x), columns=[v.name for v in self.card_.variables])

    def score(self, x: pd.DataFrame, y: Any = None) -> Any:
        """The score (sum of points) of every row; with ``y``, scikit-learn's meaning: the AUC on (x, y)."""
        x = self._frame(x)
        s = self.card_.score(x)
        if y is None:
            return s
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(np.asarray(y, dtype=int), -s))

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        """Probability of good and of bad, from the score (what the points say, rounding included)."""
        x = self._frame(x)
        p = self.card_.scale.probability_of_bad(self.card_.score(x))
        return np.column_stack([1 - p, p])

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(x)[:, 1] >= 0.5).astype(int)

    def grade(self, x: pd.DataFrame) -> np.ndarray:
        """Master-scale grade label of every row."""
        x = self._frame(x)
        idx = self.card_.grade_index(self.card_.score(x))
        return np.asarray([g.label for g in self.card_.grades], dtype=object)[idx]

    def reasons(self, x: pd.DataFrame, k: int = 3) -> list[list[dict[str, Any]]]:
        """Per row, up to ``k`` variables whose bins cost the most points against the variable's best bin."""
        x = self._frame(x)
        return reason_codes(self.card_, self.card_.bin_matrix(x), k)
