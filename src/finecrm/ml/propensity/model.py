"""The propensity model: a scikit-learn pipeline over a :class:`FeatureSpec`.

Default (``algorithm="logistic"``): per kind of feature a transform (money: signed log and clip;
counts: log(1 + x) and clip; numbers: median for missing values plus a missing indicator, clip;
flags: 0/1; categories: one-hot with rare values pooled), then a StandardScaler over everything and
a LogisticRegression. Standardised inputs make ``coef × value`` comparable across features, which
is what the per-customer reasons use. ``algorithm="gbm"`` swaps the last step for a
HistGradientBoostingClassifier (often a little better on ranking; reasons then come from "what if
this feature were typical", see ``reasons.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from finecrm.ml.propensity.features import FeatureSpec, value_label
from finecrm.ml.propensity.transforms import Log1p, QuantileClip, SignedLog1p

Algorithm = Literal["logistic", "gbm"]
ALGORITHMS: tuple[Algorithm, ...] = ("logistic", "gbm")
MISSING = "(missing)"
#: Categories seen in less than this share of training rows are pooled into one "other" column.
MIN_CATEGORY_SHARE = 0.005
MAX_CATEGORIES = 30
#: Features a what-if reason looks at (gradient boosting), and the rows used to rank them.
WHAT_IF_FEATURES = 8
IMPORTANCE_ROWS = 20_000


@dataclass(frozen=True)
class Column:
    """One column of the transformed matrix: the source feature and what the column stands for."""

    source: str
    kind: str  # "value", "missing" (indicator) or "category"
    value: str | None = None  # the category value ("other" for pooled rare values)


def frame(x: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """The spec's columns with the dtypes the pipeline expects (numbers as float, categories as text)."""
    missing = [c for c in spec.columns if c not in x.columns]
    if missing:
        raise ValueError(f"the data lacks feature columns: {', '.join(missing)}")
    out = {}
    for c, kind in spec.kinds.items():
        col = x[c]
        if kind == "category":
            out[c] = col.astype(object).where(col.notna(), MISSING).astype(str)
            continue
        try:  # numbers, flags and nullable columns: straight to float, missing as NaN
            out[c] = pd.Series(col.to_numpy(dtype=float, na_value=np.nan), index=x.index)
        except (TypeError, ValueError):  # text that may hold numbers
            out[c] = pd.to_numeric(col.astype(object).where(col.notna(), np.nan), errors="coerce").astype(float)
    return pd.DataFrame(out, index=x.index)


#: Inverse regularisation strength of the logistic regression. Takers are rare (a few percent), so
#: a fairly strong penalty: on generated banks of 3,000–20,000 customers it ranked the later period
#: as well as or better than C = 1 for every target.
C_DEFAULT = 0.1


def build_pipeline(spec: FeatureSpec, algorithm: Algorithm = "logistic", c: float = C_DEFAULT,
                   seed: int = 0) -> Pipeline:
    parts: list[tuple[str, Any, list[str]]] = []
    if spec.of("money"):
        parts.append(("money", Pipeline([("impute", SimpleImputer(strategy="constant", fill_value=0.0)),
                                         ("log", SignedLog1p()), ("clip", QuantileClip())]), spec.of("money")))
    if spec.of("count"):
        parts.append(("count", Pipeline([("impute", SimpleImputer(strategy="constant", fill_value=0.0)),
                                         ("log", Log1p()), ("clip", QuantileClip())]), spec.of("count")))
    if spec.of("numeric"):
        parts.append(("numeric", Pipeline([
            ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
            ("clip", QuantileClip())]), spec.of("numeric")))
    if spec.of("flag"):
        parts.append(("flag", SimpleImputer(strategy="constant", fill_value=0.0, keep_empty_features=True),
                      spec.of("flag")))
    if spec.of("category"):
        parts.append(("category", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=MIN_CATEGORY_SHARE,
                                                max_categories=MAX_CATEGORIES, sparse_output=False),
                      spec.of("category")))
    if not parts:
        raise ValueError("no feature columns to learn from")
    if algorithm == "logistic":
        final: Any = LogisticRegression(C=c, max_iter=2000)
    elif algorithm == "gbm":
        # Small trees and large leaves: takers are a few percent of customers, deep trees memorise them.
        final = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_leaf_nodes=15,
                                               min_samples_leaf=100, l2_regularization=1.0, early_stopping=True,
                                               validation_fraction=0.15, n_iter_no_change=15, random_state=seed)
    else:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}")
    return Pipeline([("prepare", ColumnTransformer(parts, remainder="drop")), ("scale", StandardScaler()),
                     ("model", final)])


def expanded_columns(pipeline: Pipeline) -> list[Column]:
    """What each column of the prepared matrix stands for, in order."""
    ct: ColumnTransformer = pipeline.named_steps["prepare"]
    out: list[Column] = []
    for name, step, cols in ct.transformers_:
        if name == "remainder" or step == "drop":
            continue
        if name == "category":
            enc: OneHotEncoder = step
            infrequent = getattr(enc, "infrequent_categories_", None) or [None] * len(cols)
            for i, col in enumerate(cols):
                rare = set(infrequent[i]) if infrequent[i] is not None else set()
                out += [Column(col, "category", str(v)) for v in enc.categories_[i] if v not in rare]
                if rare:
                    out.append(Column(col, "category", "other"))
            continue
        names = list(step.get_feature_names_out(cols))
        for n in names:
            if n.startswith("missingindicator_"):
                out.append(Column(n.removeprefix("missingindicator_"), "missing"))
            else:
                out.append(Column(n, "value"))
    width = len(pipeline.named_steps["scale"].mean_)
    if len(out) != width:  # a change in scikit-learn's naming would make reasons wrong: refuse
        raise RuntimeError(f"expected {width} prepared columns, mapped {len(out)}")
    return out


class PropensityModel:
    """Probability of taking a product within the horizon, with the reasons of each score.

    scikit-learn conventions: ``fit(x, y)`` returns self; fitted attributes end in ``_``;
    ``predict_proba(x)`` gives two columns (not taking, taking).
    """

    def __init__(self, spec: FeatureSpec, algorithm: Algorithm = "logistic", c: float = C_DEFAULT,
                 seed: int = 0) -> None:
        self.spec = spec
        self.algorithm = algorithm
        self.c = c
        self.seed = seed

    def fit(self, x: pd.DataFrame, y: Any) -> PropensityModel:
        y = np.asarray(y).astype(int)
        if len(np.unique(y)) < 2:
            raise ValueError("the training data has only one class: nobody (or everybody) took the product")
        xf = frame(x, self.spec)
        self.pipeline_ = build_pipeline(self.spec, self.algorithm, self.c, self.seed).fit(xf, y)
        self.columns_ = expanded_columns(self.pipeline_)
        self.explain_: dict[str, Any] = {}
        if self.algorithm == "gbm":
            self.explain_ = fit_what_if(self, xf, y)
        return self

    @classmethod
    def from_fitted(cls, pipeline: Pipeline, spec: FeatureSpec, algorithm: Algorithm,
                    explain: dict[str, Any] | None = None) -> PropensityModel:
        """A model around a pipeline loaded from a file (``persist.load_pipeline``)."""
        m = cls(spec, algorithm)
        m.pipeline_ = pipeline
        m.columns_ = expanded_columns(pipeline)
        m.explain_ = explain or {}
        return m

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.pipeline_.predict_proba(frame(x, self.spec)))

    def score(self, x: pd.DataFrame) -> np.ndarray:
        """Probability of taking the product (the second column of predict_proba)."""
        return self.predict_proba(x)[:, 1]

    def column_label(self, col: Column) -> tuple[str, str]:
        zh, en = self.spec.label(col.source)
        if col.kind == "category":
            vzh, ven = value_label(col.source, col.value or "")
            if col.value == "other":
                vzh, ven = "其他", "other"
            return f"{zh}={vzh}", f"{en}={ven}"
        if col.kind == "missing":
            return f"{zh}未知", f"{en} unknown"
        return zh, en

    def top_features(self, k: int = 10) -> list[dict[str, Any]]:
        """The features that move the score most.

        Logistic: coefficients on the standardised scale (a one-standard-deviation change), signed.
        GBM: the drop in validation-like AUC when the feature is shuffled (permutation importance,
        computed at fit on a sample of the training rows).
        """
        if self.algorithm == "logistic":
            coef = self.pipeline_.named_steps["model"].coef_[0]
            order = np.argsort(-np.abs(coef), kind="stable")[:k]
            out = []
            for i in order:
                zh, en = self.column_label(self.columns_[i])
                out.append({"feature": self.columns_[i].source, "column": self.columns_[i].kind,
                            "value": self.columns_[i].value, "zh": zh, "en": en,
                            "weight": round(float(coef[i]), 4), "effect": "+" if coef[i] > 0 else "-",
                            "measure": "coefficient per standard deviation"})
            return out
        imp = self.explain_.get("importance", {})
        ranked = sorted(imp.items(), key=lambda kv: -kv[1])[:k]
        return [{"feature": f, "column": "value", "value": None, "zh": self.spec.label(f)[0],
                 "en": self.spec.label(f)[1], "weight": round(float(v), 4), "effect": "",
                 "measure": "permutation importance (AUC drop)"} for f, v in ranked]


def fit_what_if(model: PropensityModel, xf: pd.DataFrame, y: np.ndarray) -> dict[str, Any]:
    """Permutation importance on a sample, and the reference values of the features reasons look at."""
    from sklearn.inspection import permutation_importance

    rng = np.random.default_rng(model.seed)
    take = rng.choice(len(xf), size=min(len(xf), IMPORTANCE_ROWS), replace=False)
    xs, ys = xf.iloc[np.sort(take)], y[np.sort(take)]
    importance: dict[str, float] = {c: 0.0 for c in model.spec.columns}
    if len(np.unique(ys)) == 2:
        r = permutation_importance(model.pipeline_, xs, ys, scoring="roc_auc", n_repeats=3,
                                   random_state=model.seed)
        importance = {c: float(v) for c, v in zip(xs.columns, r.importances_mean, strict=True)}
    candidates = [c for c, _ in sorted(importance.items(), key=lambda kv: -kv[1])
                  if model.spec.kinds[c] != "category" and importance[c] > 0][:WHAT_IF_FEATURES]
    reference = {}
    for c in candidates:
        col = xf[c].dropna()
        if model.spec.kinds[c] == "flag":
            reference[c] = float(col.mode().iloc[0]) if len(col) else 0.0
        else:
            reference[c] = float(col.median()) if len(col) else 0.0
    return {"importance": importance, "features": candidates, "reference": reference}
