"""The card itself: variables, their bins and the points of each bin — the one definition every scorer reads.

A fitted :class:`~finecrm.ml.scorecard.model.Scorecard` keeps its result as a :class:`Card`. Scoring in
Python (:meth:`Card.points_matrix`), the SQL it compiles to (``sql.py``) and the readable JSON file are all
made from this one object, so they cannot disagree on an edge, a missing value or a rounding.

How a value finds its bin (the same rules the SQL applies):

- numerical variable: empty (None/NaN) → the *missing* bin; one of the special values (e.g. −999 "no
  record") → the *special* bin; else the range bin with ``lower <= x < upper`` (edges are left-closed, as
  optbinning's; the first bin has no lower edge and the last no upper edge);
- categorical variable: empty → *missing*; a category seen in training → the bin that groups it; a category
  never seen in training → the *other* bin, worth the points of average risk (WoE 0) — neither rewarded nor
  punished, because nothing is known about it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

BinKind = Literal["range", "categories", "missing", "special", "other"]
Dtype = Literal["numerical", "categorical"]

#: Format of the card dict (the JSON file and the skops state); raised when its meaning changes.
CARD_FORMAT = 1


def fmt_edge(x: float) -> str:
    """An edge as people (and SQL) read it: 26 rather than 26.0; 1234.5; exact (the shortest text that reads
    back as the same float), so the card, its labels and its SQL name the very same edge."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def numbers(x: pd.Series | np.ndarray) -> np.ndarray:
    """Values as float64, empty and non-numbers as NaN (callers that must refuse text check before)."""
    s = x if isinstance(x, pd.Series) else pd.Series(x)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return np.asarray(s.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    return np.asarray(pd.to_numeric(s.astype(object), errors="coerce"), dtype=float)


@dataclass
class Bin:
    """One row of the card: which values fall here, how many training rows did and what they were worth."""

    kind: BinKind
    lower: float | None = None  # range: inclusive lower edge (None: no lower edge)
    upper: float | None = None  # range: exclusive upper edge (None: no upper edge)
    categories: list[str] | None = None  # categories: the values grouped in this bin
    values: list[float] | None = None  # special: the special codes
    count: int = 0
    bads: int = 0
    woe: float = 0.0
    points: float = 0.0

    @property
    def goods(self) -> int:
        return self.count - self.bads

    @property
    def bad_rate(self) -> float | None:
        return self.bads / self.count if self.count else None

    def label(self) -> str:
        """The bin as a person reads it: ``[26, 35)``, ``{rent, free}``, ``missing``."""
        if self.kind == "range":
            lo = "-inf" if self.lower is None else fmt_edge(self.lower)
            hi = "inf" if self.upper is None else fmt_edge(self.upper)
            return f"[{lo}, {hi})" if self.lower is not None else f"(-inf, {hi})"
        if self.kind == "categories":
            return "{" + ", ".join(self.categories or []) + "}"
        if self.kind == "special":
            return "special {" + ", ".join(fmt_edge(v) for v in self.values or []) + "}"
        return {"missing": "missing", "other": "other (unseen)"}[self.kind]

    def label_zh(self) -> str:
        if self.kind == "missing":
            return "缺失"
        if self.kind == "other":
            return "其他（训练中未出现）"
        if self.kind == "special":
            return "特殊值 {" + ", ".join(fmt_edge(v) for v in self.values or []) + "}"
        return self.label()


@dataclass
class Variable:
    """A variable of the card with its bins, in the order: range or category bins, special, missing, other."""

    name: str
    dtype: Dtype
    bins: list[Bin]
    iv: float = 0.0
    coefficient: float = 0.0  # of the logistic regression on WoE (negative: higher WoE, lower risk)
    trend: str = ""  # numerical: ascending / descending / peak / valley / none (of the bad rate)

    @property
    def splits(self) -> list[float]:
        """Upper edges of every range bin but the last (numerical)."""
        return [b.upper for b in self.bins if b.kind == "range" and b.upper is not None]

    def bin_index(self, x: pd.Series | np.ndarray) -> np.ndarray:
        """The bin of each value (an index into ``bins``)."""
        kinds = [b.kind for b in self.bins]
        missing = kinds.index("missing")
        if self.dtype == "numerical":
            v = numbers(x)
            out = np.searchsorted(np.asarray(self.splits, dtype=float), v, side="right")  # x < upper ⇔ this bin
            if "special" in kinds:
                special = self.bins[kinds.index("special")]
                out = np.where(np.isin(v, np.asarray(special.values, dtype=float)), kinds.index("special"), out)
            return np.where(np.isnan(v), missing, out).astype(np.int64)
        lookup: dict[str, int] = {}
        for i, b in enumerate(self.bins):
            for c in b.categories or []:
                lookup[c] = i
        other = kinds.index("other")
        values = pd.Series(np.asarray(x, dtype=object))
        empty = values.isna().to_numpy()
        idx = values.map(lambda c: lookup.get(str(c), other)).to_numpy(dtype=np.int64)
        return np.where(empty, missing, idx).astype(np.int64)


@dataclass
class Scale:
    """Points scaling: ``score = offset + factor × ln(odds of good)``, ``factor = pdo / ln 2``.

    At ``base_score`` the odds are ``base_odds`` good to 1 bad, and every ``pdo`` points double them.
    """

    pdo: float
    base_score: float
    base_odds: float

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def probability_of_bad(self, score: np.ndarray) -> np.ndarray:
        """The probability of bad a score stands for (the inverse of the scaling)."""
        log_odds_good = (np.asarray(score, dtype=float) - self.offset) / self.factor
        return 1.0 / (1.0 + np.exp(log_odds_good))


@dataclass
class Grade:
    """One grade of the master scale: scores ``min_score <= s < max_score`` and the PD calibrated for them."""

    label: str
    min_score: float | None  # None: no lower bound (the worst grade)
    max_score: float | None  # None: no upper bound (the best grade)
    count: int
    bads: int
    pd: float

    @property
    def bad_rate(self) -> float | None:
        return self.bads / self.count if self.count else None


@dataclass
class Card:
    """A fitted scorecard as data: what the JSON card file holds and every scorer reads."""

    variables: list[Variable]
    scale: Scale
    intercept: float
    grades: list[Grade] = field(default_factory=list)
    points_decimals: int | None = 0
    target: str = ""

    # --- scoring -----------------------------------------------------------------------------------------

    def check_columns(self, columns: Any) -> None:
        missing = [v.name for v in self.variables if v.name not in set(columns)]
        if missing:
            raise KeyError(missing)

    def bin_matrix(self, x: pd.DataFrame) -> np.ndarray:
        """The bin index of every row (rows) for every variable (columns)."""
        return np.column_stack([v.bin_index(x[v.name]) for v in self.variables]) if self.variables else \
            np.zeros((len(x), 0), dtype=np.int64)

    def points_matrix(self, x: pd.DataFrame) -> np.ndarray:
        """Points of every row for every variable."""
        bins = self.bin_matrix(x)
        cols = [np.asarray([b.points for b in v.bins], dtype=float)[bins[:, j]] for j, v in enumerate(self.variables)]
        return np.column_stack(cols) if cols else np.zeros((len(x), 0))

    def score(self, x: pd.DataFrame) -> np.ndarray:
        return self.points_matrix(x).sum(axis=1)

    def grade_index(self, score: np.ndarray) -> np.ndarray:
        """Index into ``grades`` (0 = best) of each score."""
        # grades run best → worst; their lower bounds, worst first, are the cut points
        cuts = np.asarray([g.min_score for g in reversed(self.grades) if g.min_score is not None], dtype=float)
        from_worst = np.searchsorted(cuts, np.asarray(score, dtype=float), side="right")
        return (len(self.grades) - 1 - from_worst).astype(np.int64)

    # --- files ------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        out = {"format": CARD_FORMAT, **asdict(self)}
        out["scale"] = {**asdict(self.scale), "factor": self.scale.factor, "offset": self.scale.offset}
        for v, vd in zip(self.variables, out["variables"], strict=True):
            for b, bd in zip(v.bins, vd["bins"], strict=True):
                bd["label"] = b.label()
                bd["bad_rate"] = b.bad_rate
        return out

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Card:
        if doc.get("format") != CARD_FORMAT:
            raise ValueError(f"card format {doc.get('format')!r} is not {CARD_FORMAT}")
        bin_fields = {"kind", "lower", "upper", "categories", "values", "count", "bads", "woe", "points"}
        variables = [Variable(name=v["name"], dtype=v["dtype"], iv=v["iv"], coefficient=v["coefficient"],
                              trend=v["trend"], bins=[Bin(**{k: b[k] for k in bin_fields}) for b in v["bins"]])
                     for v in doc["variables"]]
        s = doc["scale"]
        return cls(variables=variables, scale=Scale(s["pdo"], s["base_score"], s["base_odds"]),
                   intercept=doc["intercept"], grades=[Grade(**g) for g in doc["grades"]],
                   points_decimals=doc["points_decimals"], target=doc.get("target", ""))
