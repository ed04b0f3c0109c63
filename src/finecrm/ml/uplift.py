"""Uplift of a randomised campaign: treated versus control conversion, with honest uncertainty.

Given a control arm and one or more treatment arms — each with ``n`` customers of whom ``x``
converted — this module computes:

- per arm: the conversion rate ``p = x / n`` with a **Wilson score interval**
  (``(x + z²/2) / (n + z²) ± z·√n / (n + z²) · √(p(1−p) + z²/(4n))``), which stays inside [0, 1]
  and keeps close to its nominal coverage for small ``n`` and rates near 0, where the textbook
  Wald interval ``p ± z·√(p(1−p)/n)`` collapses;
- per treatment arm against the control: the **uplift** ``d = p_t − p_c`` with **Newcombe's hybrid
  score interval** (Newcombe 1998, method 10)::

      low  = d − √((p_t − l_t)² + (u_c − p_c)²)
      high = d + √((u_t − p_t)² + (p_c − l_c)²)

  where ``[l, u]`` are the arms' Wilson intervals. We use it rather than the unpooled Wald
  interval ``d ± z·√(p_t(1−p_t)/n_t + p_c(1−p_c)/n_c)`` because campaign conversion rates are
  often a few per cent and control groups are small: there the Wald interval undercovers, and with
  zero conversions in an arm it has zero width. Newcombe's interval has near-nominal coverage in
  those cases and equals the Wald interval for large counts;
- a **two-sided two-proportion z-test** of "no difference", pooled under the null:
  ``z = d / √(p̄(1−p̄)(1/n_t + 1/n_c))`` with ``p̄ = (x_t + x_c)/(n_t + n_c)``, and
  ``p-value = erfc(|z|/√2)``. When ``p̄`` is 0 or 1 both arms are identical: z = 0 and p = 1;
- the **relative uplift** ``d / p_c`` (None when the control never converted);
- **incremental conversions** ``d × n_t`` — the conversions the treatment caused among the
  treated — with the interval ``[low, high] × n_t``;
- the **cost per incremental conversion** ``cost_per_contact × n_t / (d × n_t) = cost_per_contact / d``,
  assuming every treated customer was contacted at that cost. It is ``None`` when ``d ≤ 0``: the
  campaign bought no extra conversions, so the cost per extra conversion is undefined (not zero,
  and not a negative number that would look like a profit);
- with several treatment arms, **Holm-adjusted p-values** (Holm 1979) across the arm-versus-control
  comparisons: sort the m p-values ascending, multiply the i-th smallest by ``m − i + 1``, cap at 1
  and make the sequence non-decreasing. The verdict "significant" uses the adjusted p-value, so the
  chance of any false "significant" among the arms stays at most ``1 − confidence``.

The p-value and the interval are different methods (a pooled test and an unpooled score
interval): right at the boundary one can say "significant" while the other just touches 0.

Caveats, said plainly:

- **randomisation is assumed.** The numbers mean "what the treatment caused" only if customers were
  assigned to arms at random (and the control group really was left alone). Nothing here can
  check that; a hand-picked control group gives a number, not an effect;
- **breakdowns are exploratory.** :func:`breakdown` compares arms within groups (branch, manager,
  tier, propensity decile); with many groups some will look "significant" by chance. Its
  p-values are not adjusted; use it to form hypotheses for the next campaign, not to claim them;
- **decide the sample size and the end date before looking** — checking again and again and stopping
  when p < 0.05 makes the stated error rate false.

The statistics come from statsmodels (``proportion_confint(method="wilson")``,
``confint_proportions_2indep(method="newcomb")``, ``test_proportions_2indep(method="score",
correction=False)`` — the pooled z-test — and ``multipletests(method="holm")``); this module adds
the guards of the edge cases (an empty arm gives NaN, ``p̄`` of 0 or 1 gives z = 0 and p = 1, the
Wilson ends at x = 0 and x = n are exact) and the campaign arithmetic around them. statsmodels is
imported on first use, so that importing this module (and every page and command that does) does
not load scipy.stats and pandas. The array functions accept scalars or numpy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from statistics import NormalDist
from typing import Any, cast

import numpy as np
from typing_extensions import TypedDict

#: The default confidence level of every interval (and 1 − the significance level of the test).
CONFIDENCE = 0.95
#: A breakdown group with fewer customers than this in either arm is flagged "too small to judge".
MIN_GROUP = 30

INTERVAL_METHOD = "newcombe_hybrid_score"
RATE_INTERVAL_METHOD = "wilson_score"
TEST_METHOD = "two_proportion_z_test_pooled_two_sided"
ADJUSTMENT_METHOD = "holm"

TOO_SMALL = "too small to judge"


def z_value(confidence: float = CONFIDENCE) -> float:
    """The two-sided normal quantile for ``confidence`` (1.959964… for 0.95)."""
    _check_confidence(confidence)
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, int | float) and 0 < confidence < 1):
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")


def _counts(x: Any, n: Any) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype=np.float64)
    na = np.asarray(n, dtype=np.float64)
    if np.any(na < 0) or np.any(xa < 0) or np.any(xa > na):
        raise ValueError("counts must satisfy 0 <= conversions <= customers")
    return xa, na


def wilson_interval(x: Any, n: Any, confidence: float = CONFIDENCE) -> tuple[Any, Any]:
    """Wilson score interval ``(low, high)`` for the proportion ``x / n``; NaN where ``n == 0``."""
    from statsmodels.stats.proportion import proportion_confint

    _check_confidence(confidence)
    xa, na = _counts(x, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = proportion_confint(xa, na, alpha=1 - confidence, method="wilson")
    # exact ends: the formula gives 0 (1) up to rounding when x == 0 (x == n)
    low = np.where(xa == 0, 0.0, low)
    high = np.where(xa == na, 1.0, high)
    bad = na == 0
    return _out(np.where(bad, np.nan, low)), _out(np.where(bad, np.nan, high))


def newcombe_interval(x_t: Any, n_t: Any, x_c: Any, n_c: Any,
                      confidence: float = CONFIDENCE) -> tuple[Any, Any]:
    """Newcombe's hybrid score interval ``(low, high)`` for ``x_t/n_t − x_c/n_c`` (see module doc)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    _check_confidence(confidence)
    xt, nt = _counts(x_t, n_t)
    xc, nc = _counts(x_c, n_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = confint_proportions_2indep(xt, nt, xc, nc, method="newcomb", compare="diff",
                                               alpha=1 - confidence)
    # A difference of proportions lies in [-1, 1]. The library's Wilson ends are 1 − 2e-16 rather than 1 at
    # x == n, which would put the interval of "all treated, no control converted" at 1.0000000000000002.
    return _out(np.clip(low, -1.0, 1.0)), _out(np.clip(high, -1.0, 1.0))


def wald_interval(x_t: Any, n_t: Any, x_c: Any, n_c: Any, confidence: float = CONFIDENCE) -> tuple[Any, Any]:
    """The unpooled Wald interval for the difference, for comparison only (it undercovers for small
    counts and has zero width when both arms have 0 conversions)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    _check_confidence(confidence)
    xt, nt = _counts(x_t, n_t)
    xc, nc = _counts(x_c, n_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = confint_proportions_2indep(xt, nt, xc, nc, method="wald", compare="diff",
                                               alpha=1 - confidence)
    return _out(np.asarray(low)), _out(np.asarray(high))


def two_proportion_z_test(x_t: Any, n_t: Any, x_c: Any, n_c: Any) -> tuple[Any, Any]:
    """``(z, two-sided p-value)`` of the pooled two-proportion z-test of ``p_t == p_c``."""
    from statsmodels.stats.proportion import test_proportions_2indep

    xt, nt = _counts(x_t, n_t)
    xc, nc = _counts(x_c, n_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        # the score test of a zero difference without the N/(N−1) factor is the pooled z-test
        res = test_proportions_2indep(xt, nt, xc, nc, value=0, method="score", compare="diff",
                                      alternative="two-sided", correction=False)
    # p̄ of 0 or 1: both arms are identical, z = 0 and p = 1 (the library gives 0/0)
    same = (xt + xc == 0) | (xt + xc == nt + nc)
    bad = (nt == 0) | (nc == 0)
    z = np.where(bad, np.nan, np.where(same, 0.0, res.statistic))
    p = np.where(bad, np.nan, np.where(same, 1.0, res.pvalue))
    return _out(z), _out(p)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given."""
    p = np.asarray(p_values, dtype=np.float64)
    if p.size < 2:
        # Nothing to adjust: with one comparison Holm leaves the p-value as it is. Skipping the library here
        # matters because its Holm runs a full garbage collection on every call (statsmodels PR #8671, not
        # merged), some 0.05–0.1 s in a web worker; a campaign with one treatment arm is the usual case.
        return [float(v) for v in np.minimum(p, 1.0)]
    from statsmodels.stats.multitest import multipletests

    return [float(v) for v in multipletests(p, method="holm")[1]]


def _out(a: np.ndarray) -> Any:
    """A 0-d result as a Python float, anything else as the array."""
    return float(a) if np.ndim(a) == 0 else a


def _num(v: float | None) -> float | None:
    """NaN (undefined) as None, for results and JSON."""
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


# ---- results ---------------------------------------------------------------------------------


class ArmDict(TypedDict):
    """One arm as plain data: 客户数、转化数、转化率及其 Wilson 区间 / customers, conversions, rate and its Wilson
    interval."""

    arm: str
    role: str
    customers: int
    conversions: int
    rate: float | None
    rate_ci: list[float | None]


class ComparisonDict(TypedDict):
    """One treatment arm against the control as plain data (see :class:`Comparison`). ``uplift`` is the
    difference of rates (提升，百分点差), ``incremental_conversions`` the conversions it caused (增量转化),
    ``cost_per_incremental`` the cost of each (单位增量成本; None when nothing extra was bought)."""

    arm: str
    control: str
    n_treated: int
    n_control: int
    conversions_treated: int
    conversions_control: int
    rate_treated: float | None
    rate_control: float | None
    uplift: float | None
    uplift_ci: list[float | None]
    relative_uplift: float | None
    z: float | None
    p_value: float | None
    p_value_holm: float | None
    significant: bool
    incremental_conversions: float | None
    incremental_ci: list[float | None]
    cost_per_contact: float | None
    total_cost: float | None
    cost_per_incremental: float | None
    cost_per_incremental_range: list[float | None]
    notes: list[str]


class EvaluationDict(TypedDict):
    """A whole experiment as plain data; ``methods`` names the interval, test and adjustment used."""

    control: str
    confidence: float
    methods: dict[str, str]
    arms: list[ArmDict]
    comparisons: list[ComparisonDict]


class GroupRowDict(TypedDict):
    """One group of a breakdown as plain data; ``too_small`` flags groups too small to judge (样本太少)."""

    group: str
    arm: str
    n_treated: int
    n_control: int
    conversions_treated: int
    conversions_control: int
    rate_treated: float | None
    rate_control: float | None
    uplift: float | None
    uplift_ci: list[float | None]
    p_value: float | None
    too_small: bool
    note: str | None


@dataclass(frozen=True)
class ArmResult:
    """One arm: customers, conversions, rate and its Wilson interval."""

    arm: str
    role: str  # "control" | "treatment"
    customers: int
    conversions: int
    rate: float | None
    rate_ci: tuple[float | None, float | None]

    def to_dict(self) -> ArmDict:
        return {"arm": self.arm, "role": self.role, "customers": self.customers, "conversions": self.conversions,
                "rate": self.rate, "rate_ci": list(self.rate_ci)}


@dataclass(frozen=True)
class Comparison:
    """One treatment arm against the control arm (see the module doc for every formula)."""

    arm: str
    control: str
    n_treated: int
    n_control: int
    conversions_treated: int
    conversions_control: int
    rate_treated: float | None
    rate_control: float | None
    uplift: float | None
    uplift_ci: tuple[float | None, float | None]
    relative_uplift: float | None
    z: float | None
    p_value: float | None
    p_value_holm: float | None
    significant: bool
    incremental_conversions: float | None
    incremental_ci: tuple[float | None, float | None]
    cost_per_contact: float | None = None
    total_cost: float | None = None
    cost_per_incremental: float | None = None
    #: cost per incremental conversion at the interval's ends: (cost / high, cost / low); None where
    #: that end is ≤ 0 (no extra conversions bought, so no finite cost).
    cost_per_incremental_range: tuple[float | None, float | None] = (None, None)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> ComparisonDict:
        d = asdict(self)
        for k in ("uplift_ci", "incremental_ci", "cost_per_incremental_range"):
            d[k] = list(getattr(self, k))
        return cast(ComparisonDict, d)  # asdict of these fields, the intervals as lists


@dataclass(frozen=True)
class Evaluation:
    """A whole experiment: every arm and every treatment-versus-control comparison."""

    control: str
    confidence: float
    arms: list[ArmResult]
    comparisons: list[Comparison]
    methods: dict[str, str] = field(default_factory=lambda: {
        "rate_interval": RATE_INTERVAL_METHOD, "uplift_interval": INTERVAL_METHOD,
        "test": TEST_METHOD, "multiple_arms": ADJUSTMENT_METHOD,
    })

    def to_dict(self) -> EvaluationDict:
        return {"control": self.control, "confidence": self.confidence, "methods": dict(self.methods),
                "arms": [a.to_dict() for a in self.arms],
                "comparisons": [c.to_dict() for c in self.comparisons]}


@dataclass(frozen=True)
class GroupRow:
    """One treatment arm against control within one group of a breakdown."""

    group: str
    arm: str
    n_treated: int
    n_control: int
    conversions_treated: int
    conversions_control: int
    rate_treated: float | None
    rate_control: float | None
    uplift: float | None
    uplift_ci: tuple[float | None, float | None]
    p_value: float | None
    too_small: bool
    note: str | None = None

    def to_dict(self) -> GroupRowDict:
        d = asdict(self)
        d["uplift_ci"] = list(self.uplift_ci)
        return cast(GroupRowDict, d)  # asdict of these fields, the interval as a list


# ---- the computations ------------------------------------------------------------------------


def _arm(name: str, role: str, n: int, x: int, confidence: float) -> ArmResult:
    lo, hi = wilson_interval(x, n, confidence)
    return ArmResult(name, role, n, x, _num(x / n) if n else None, (_num(lo), _num(hi)))


def _compare(arm: str, control: str, nt: int, xt: int, nc: int, xc: int, confidence: float,
             cost_per_contact: float | None) -> tuple[Comparison, float]:
    pt, pc = xt / nt, xc / nc
    d = pt - pc
    lo, hi = newcombe_interval(xt, nt, xc, nc, confidence)
    z, p = two_proportion_z_test(xt, nt, xc, nc)
    notes: list[str] = []
    total = cpi = None
    cpi_range: tuple[float | None, float | None] = (None, None)
    if cost_per_contact is not None:
        total = cost_per_contact * nt
        if d > 0:
            cpi = cost_per_contact / d
        else:
            notes.append("no incremental conversions: the uplift is not positive, so the cost per "
                          "incremental conversion is undefined (无增量转化：提升不为正，单位增量成本无意义)")
        cpi_range = (cost_per_contact / hi if hi > 0 else None, cost_per_contact / lo if lo > 0 else None)
    if pc == 0:
        notes.append("the control arm never converted: relative uplift is undefined")
    comp = Comparison(
        arm=arm, control=control, n_treated=nt, n_control=nc, conversions_treated=xt,
        conversions_control=xc, rate_treated=pt, rate_control=pc, uplift=d, uplift_ci=(lo, hi),
        relative_uplift=d / pc if pc > 0 else None, z=_num(z), p_value=_num(p), p_value_holm=None,
        significant=False, incremental_conversions=d * nt, incremental_ci=(lo * nt, hi * nt),
        cost_per_contact=cost_per_contact, total_cost=total, cost_per_incremental=cpi,
        cost_per_incremental_range=cpi_range, notes=notes,
    )
    return comp, float(p)


def evaluate(counts: Mapping[str, tuple[int, int]], control: str, *, cost_per_contact: float | None = None,
             confidence: float = CONFIDENCE) -> Evaluation:
    """Evaluate an experiment from ``{arm: (customers, conversions)}``; ``control`` names the control arm.

    Every other arm is a treatment arm compared with the control. Holm-adjusted p-values decide
    ``significant`` (with one treatment arm they equal the plain p-value).
    """
    _check_confidence(confidence)
    if control not in counts:
        raise ValueError(f"control arm {control!r} is not among the arms {sorted(counts)}")
    if cost_per_contact is not None and (not math.isfinite(cost_per_contact) or cost_per_contact < 0):
        raise ValueError(f"cost per contact must be a non-negative number, got {cost_per_contact!r}")
    for arm, (n, x) in counts.items():
        if n <= 0 or not 0 <= x <= n:
            raise ValueError(f"arm {arm!r}: need customers > 0 and 0 <= conversions <= customers, got {n}, {x}")
    if cost_per_contact is not None:
        cost_per_contact = float(cost_per_contact)
    treatments = [a for a in counts if a != control]
    if not treatments:
        raise ValueError("there is no treatment arm: every customer is in the control arm")
    nc, xc = counts[control]
    arms = [_arm(control, "control", nc, xc, confidence)]
    arms += [_arm(a, "treatment", counts[a][0], counts[a][1], confidence) for a in treatments]
    raw = [_compare(a, control, counts[a][0], counts[a][1], nc, xc, confidence, cost_per_contact)
           for a in treatments]
    adjusted = holm([p for _, p in raw])
    alpha = 1 - confidence
    comparisons = [replace(c, p_value_holm=adj, significant=adj < alpha)
                   for (c, _), adj in zip(raw, adjusted, strict=True)]
    return Evaluation(control=control, confidence=confidence, arms=arms, comparisons=comparisons)


def count_arms(arms: np.ndarray, converted: np.ndarray) -> dict[str, tuple[int, int]]:
    """``{arm: (customers, conversions)}`` from one row per customer, arms in order of first appearance."""
    arms = np.asarray(arms)
    converted = np.asarray(converted, dtype=bool)
    if arms.shape != converted.shape:
        raise ValueError("arms and outcomes must have the same length")
    values, first, inverse = np.unique(arms, return_index=True, return_inverse=True)
    n = np.bincount(inverse, minlength=values.size)
    x = np.bincount(inverse, weights=converted.astype(np.float64), minlength=values.size)
    order = np.argsort(first)
    return {str(values[i]): (int(n[i]), round(float(x[i]))) for i in order}


def evaluate_arrays(arms: np.ndarray, converted: np.ndarray, control: str, *,
                    cost_per_contact: float | None = None, confidence: float = CONFIDENCE) -> Evaluation:
    """:func:`evaluate` from one row per customer: the arm they were in and whether they converted."""
    return evaluate(count_arms(arms, converted), control, cost_per_contact=cost_per_contact, confidence=confidence)


def _group_key(values: Sequence[str]) -> list[str]:
    """Groups in natural order: numerically when every value is a number (deciles 1…10), else as text."""
    try:
        return sorted(values, key=float)
    except ValueError:
        return sorted(values)


def breakdown(groups: np.ndarray, arms: np.ndarray, converted: np.ndarray, control: str, *,
              confidence: float = CONFIDENCE, min_count: int = MIN_GROUP) -> list[GroupRow]:
    """Treatment versus control within each group (one row per group and treatment arm).

    Exploratory: the p-values are not adjusted for the number of groups, and with many groups some
    will look significant by chance. Groups with fewer than ``min_count`` customers in either arm
    are kept and flagged ``too_small`` ("too small to judge"); their interval and p-value are
    still given where defined, but say little.
    """
    _check_confidence(confidence)
    groups = np.asarray(groups).astype(str)
    arms = np.asarray(arms).astype(str)
    converted = np.asarray(converted, dtype=bool)
    if not groups.shape == arms.shape == converted.shape:
        raise ValueError("groups, arms and outcomes must have the same length")
    treatments = [a for a in count_arms(arms, converted) if a != control]
    # one pass: customers and conversions per (group, arm) cell
    gvals, ginv = np.unique(groups, return_inverse=True)
    avals, ainv = np.unique(arms, return_inverse=True)
    cell = ginv * avals.size + ainv
    n_cell = np.bincount(cell, minlength=gvals.size * avals.size).reshape(gvals.size, avals.size)
    x_cell = np.rint(np.bincount(cell, weights=converted.astype(np.float64),
                                 minlength=gvals.size * avals.size)).astype(np.int64).reshape(n_cell.shape)
    col = {str(a): j for j, a in enumerate(avals)}
    row_of = {str(g): i for i, g in enumerate(gvals)}
    cells: list[tuple[str, str, int, int, int, int]] = []  # (group, arm, n_t, x_t, n_c, x_c)
    for g in _group_key(list(row_of)):
        i = row_of[g]
        nc, xc = (int(n_cell[i, col[control]]), int(x_cell[i, col[control]])) if control in col else (0, 0)
        cells += [(g, arm, int(n_cell[i, col[arm]]), int(x_cell[i, col[arm]]), nc, xc) for arm in treatments]
    if not cells:
        return []
    # every group at once (one call of the library rather than one per group)
    n_t, x_t, n_c, x_c = (np.array([c[k] for c in cells], dtype=np.float64) for k in (2, 3, 4, 5))
    lows, highs = (np.atleast_1d(v) for v in newcombe_interval(x_t, n_t, x_c, n_c, confidence))
    p_values = np.atleast_1d(two_proportion_z_test(x_t, n_t, x_c, n_c)[1])
    rows: list[GroupRow] = []
    for k, (g, arm, nt, xt, nc, xc) in enumerate(cells):
        small = nt < min_count or nc < min_count
        note = f"{TOO_SMALL}: fewer than {min_count} customers in an arm (样本太少，不足以判断)" if small else None
        if nt and nc:
            uplift: float | None = xt / nt - xc / nc
            ci: tuple[float | None, float | None] = (_num(float(lows[k])), _num(float(highs[k])))
            pv = _num(float(p_values[k]))
        else:
            uplift, ci, pv = None, (None, None), None
        rows.append(GroupRow(
            group=str(g), arm=arm, n_treated=nt, n_control=nc, conversions_treated=xt,
            conversions_control=xc, rate_treated=xt / nt if nt else None,
            rate_control=xc / nc if nc else None, uplift=uplift, uplift_ci=ci, p_value=pv,
            too_small=small, note=note,
        ))
    return rows


# --- saying what a comparison shows -------------------------------------------------------------------


class Conclusion(TypedDict):
    """Whether the uplift is statistically significant, said in both languages."""

    arm: str
    significant: bool
    zh: str
    en: str


def conclusion(c: Comparison, confidence: float, *, several: bool = False) -> Conclusion:
    """Whether ``c`` is statistically significant at ``confidence``, said in Chinese and English."""
    level = f"{confidence * 100:g}%"
    alpha = f"{1 - confidence:.3g}"
    p = c.p_value_holm if several else c.p_value
    p_name = "Holm-adjusted p" if several else "p"
    p_txt = "—" if p is None else f"{p:.3g}"
    if c.significant and (c.uplift or 0) > 0:
        zh = f"{c.arm} 相对 {c.control} 的转化率提升在 {level} 置信水平下统计显著（{p_name} = {p_txt} < {alpha}）。"
        en = (f"The uplift of {c.arm} over {c.control} is statistically significant at the {level} level "
              f"({p_name} = {p_txt} < {alpha}).")
    elif c.significant:
        zh = f"{c.arm} 的转化率显著低于 {c.control}（{p_name} = {p_txt} < {alpha}）：活动降低了转化。"
        en = (f"{c.arm} converted significantly less than {c.control} at the {level} level "
              f"({p_name} = {p_txt} < {alpha}): the campaign lowered conversion.")
    else:
        zh = (f"{c.arm} 相对 {c.control} 的差异在 {level} 置信水平下不显著（{p_name} = {p_txt} ≥ {alpha}）："
              "不能排除活动没有效果。")
        en = (f"The difference between {c.arm} and {c.control} is not statistically significant at the {level} "
              f"level ({p_name} = {p_txt} ≥ {alpha}): the data do not rule out no effect.")
    return {"arm": c.arm, "significant": c.significant, "zh": zh, "en": en}
