"""Optimal WoE binning with optbinning's ``BinningProcess``, turned into the card's own bins.

optbinning finds the splits (a mixed-integer programme under a monotonic trend of the bad rate and a minimum
bin size). The card then owns everything else, so that Python and SQL read one definition:

- **readable edges**: a split such as 25.5 or 2849.5 (a midpoint between training values) is replaced by the
  shortest decimal that puts every training value in the same bin (26, 2850): the card reads "age < 26",
  the SQL compares with a short literal, and no training row moves;
- **counts, bad rates and WoE are recounted** with the card's own bin rule (``Variable.bin_index``);
- WoE follows optbinning's (and the industry's) sign: ``ln(share of goods / share of bads)``, so a higher WoE
  is a safer bin. A bin without goods or without bads gets half a row of each (a smoothed WoE) instead of
  an infinite one; an empty bin (e.g. no missing values in training) gets WoE 0, the average risk.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from finecrm.ml.scorecard.card import Bin, Dtype, Variable, numbers


def _nice(split: float, below: float, at_or_above: float) -> float:
    """The shortest decimal ``c`` with ``below < c <= at_or_above`` (keeps every training value's bin)."""
    for digits in range(1, 16):
        c = float(f"{split:.{digits}g}")
        if below < c <= at_or_above:
            return c
    return float(split)


def readable_splits(splits: np.ndarray, values: np.ndarray) -> list[float]:
    """optbinning's splits moved to short decimals that leave every training value in its bin."""
    seen = np.unique(values[~np.isnan(values)])
    out: list[float] = []
    for s in np.sort(np.asarray(splits, dtype=float)):
        i = int(np.searchsorted(seen, s, side="left"))  # seen[i-1] < s <= seen[i]
        below = float(seen[i - 1]) if i > 0 else -math.inf
        above = float(seen[i]) if i < len(seen) else math.inf
        c = _nice(float(s), below, above) if math.isfinite(above) else float(f"{s:.15g}")
        if not out or c > out[-1]:
            out.append(c)
    return out


def woe_table(bins: list[Bin], goods_total: int, bads_total: int) -> float:
    """Fill each bin's WoE from its counts; returns the variable's information value (IV)."""
    iv = 0.0
    for b in bins:
        if b.count == 0:
            b.woe = 0.0
            continue
        goods, bads = float(b.goods), float(b.bads)
        if goods == 0 or bads == 0:
            goods, bads = goods + 0.5, bads + 0.5
        g, d = goods / goods_total, bads / bads_total
        b.woe = math.log(g / d)
        iv += (g - d) * b.woe
    return iv


def trend_of(bins: list[Bin]) -> str:
    rates = [b.bad_rate for b in bins if b.kind == "range" and b.count]
    diffs = np.diff(np.asarray(rates, dtype=float))
    if len(rates) < 2:
        return "none"
    if np.all(diffs >= 0):
        return "ascending"
    if np.all(diffs <= 0):
        return "descending"
    turn = int(np.argmax(np.asarray(rates)))
    return "peak" if 0 < turn < len(rates) - 1 else "valley"


def recount(var: Variable, x: pd.Series, y: np.ndarray) -> Variable:
    """Counts, bads, WoE, IV and trend of ``var`` on the training data."""
    idx = var.bin_index(x)
    for i, b in enumerate(var.bins):
        mask = idx == i
        b.count, b.bads = int(mask.sum()), int(y[mask].sum())
    var.iv = woe_table(var.bins, int(len(y) - y.sum()), int(y.sum()))
    var.trend = trend_of(var.bins) if var.dtype == "numerical" else "by bad rate"
    return var


def fit_binning(x: pd.DataFrame, y: np.ndarray, dtypes: dict[str, Dtype], *, special_codes: list[float],
                max_n_bins: int | None, min_bin_size: float, monotonic_trend: str | None) -> tuple[Any, list[Variable]]:
    """Fit optbinning's BinningProcess on ``x`` and return it with one :class:`Variable` per column."""
    from optbinning import BinningProcess

    names = list(dtypes)
    categorical = [c for c in names if dtypes[c] == "categorical"]
    params: dict[str, dict[str, Any]] = {}
    for c in names:
        p: dict[str, Any] = {}
        if dtypes[c] == "numerical":
            p["monotonic_trend"] = monotonic_trend
            if special_codes:
                p["special_codes"] = list(special_codes)
        params[c] = p
    frame = pd.DataFrame({c: (numbers(x[c]) if dtypes[c] == "numerical" else
                              x[c].astype(object).where(x[c].notna(), np.nan)) for c in names}, index=x.index)
    bp = BinningProcess(names, categorical_variables=categorical or None, max_n_bins=max_n_bins,
                        min_bin_size=min_bin_size, binning_fit_params=params, n_jobs=1)
    with warnings.catch_warnings():
        # optbinning 1.0 builds its summary table in a way pandas 3 warns about; nothing for a user to act on
        warnings.filterwarnings("ignore", message="Setting an item of incompatible dtype")
        bp.fit(frame, y)
    variables = []
    for c in names:
        ob = bp.get_binned_variable(c)
        bins: list[Bin] = []
        if dtypes[c] == "numerical":
            edges = readable_splits(np.asarray(ob.splits, dtype=float), frame[c].to_numpy(dtype=float))
            lowers: list[float | None] = [None, *edges]
            uppers: list[float | None] = [*edges, None]
            bins = [Bin("range", lower=lo, upper=hi) for lo, hi in zip(lowers, uppers, strict=True)]
            if special_codes:
                bins.append(Bin("special", values=sorted(float(v) for v in special_codes)))
            bins.append(Bin("missing"))
        else:
            groups = [sorted(str(v) for v in group) for group in ob.splits]
            bins = [Bin("categories", categories=g) for g in groups if g]
            bins += [Bin("missing"), Bin("other")]
        variables.append(recount(Variable(c, dtypes[c], bins), frame[c], y))
    return bp, variables
