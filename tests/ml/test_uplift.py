"""The uplift statistics: checked against textbook numbers, independent formulas and simulation."""

from __future__ import annotations

import json
import math
from statistics import NormalDist

import numpy as np
import pytest

from finecrm.ml import uplift


def test_wilson_interval_matches_the_textbook_example():
    # n = 20, x = 4 (Agresti & Coull 1998; Newcombe 1998): 0.0807 to 0.4160
    lo, hi = uplift.wilson_interval(4, 20)
    assert lo == pytest.approx(0.0807, abs=1e-4) and hi == pytest.approx(0.4160, abs=1e-4)
    # the ends are exact and the interval stays inside [0, 1]
    assert uplift.wilson_interval(0, 20)[0] == 0.0 and uplift.wilson_interval(20, 20)[1] == 1.0
    assert 0 < uplift.wilson_interval(0, 20)[1] < 0.2
    # a higher confidence gives a wider interval
    lo99, hi99 = uplift.wilson_interval(4, 20, confidence=0.99)
    assert lo99 < lo and hi99 > hi


def test_wilson_interval_against_the_formula_written_out():
    x, n = 37, 412
    z = NormalDist().inv_cdf(0.975)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert uplift.wilson_interval(x, n) == pytest.approx((centre - half, centre + half), abs=1e-12)


@pytest.mark.parametrize(("counts", "expected"), [
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score)
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
])
def test_newcombe_interval_matches_the_published_examples(counts, expected):
    assert uplift.newcombe_interval(*counts) == pytest.approx(expected, abs=1e-4)


def test_hand_checked_campaign():
    """control 1000/100, treated 1000/150: uplift 0.05; z and p from the textbook formula."""
    ev = uplift.evaluate({"control": (1000, 100), "sms": (1000, 150)}, "control", cost_per_contact=5.0)
    c = ev.comparisons[0]
    pooled = 250 / 2000
    z = 0.05 / math.sqrt(pooled * (1 - pooled) * (1 / 1000 + 1 / 1000))
    p = 2 * (1 - NormalDist().cdf(z))
    assert c.uplift == pytest.approx(0.05)
    assert c.z == pytest.approx(z, rel=1e-9) and c.z == pytest.approx(3.3806, abs=1e-4)
    assert c.p_value == pytest.approx(p, rel=1e-6) and c.p_value_holm == c.p_value and c.significant
    assert c.relative_uplift == pytest.approx(0.5)
    assert c.incremental_conversions == pytest.approx(50.0)
    assert c.incremental_ci == pytest.approx((c.uplift_ci[0] * 1000, c.uplift_ci[1] * 1000))
    assert c.total_cost == 5000.0 and c.cost_per_incremental == pytest.approx(100.0)  # 5000 yuan / 50 extra
    lo, hi = c.uplift_ci
    assert c.cost_per_incremental_range == pytest.approx((5.0 / hi, 5.0 / lo))
    # with large counts the score interval agrees with the unpooled Wald interval to a few 1e-4
    se = math.sqrt(0.15 * 0.85 / 1000 + 0.1 * 0.9 / 1000)
    assert lo == pytest.approx(0.05 - 1.959964 * se, abs=5e-4) and hi == pytest.approx(0.05 + 1.959964 * se, abs=5e-4)
    assert [a.rate for a in ev.arms] == [0.1, 0.15] and [a.role for a in ev.arms] == ["control", "treatment"]
    assert ev.arms[0].rate_ci == pytest.approx(uplift.wilson_interval(100, 1000))


def test_z_value_and_confidence_parameter():
    assert uplift.z_value() == pytest.approx(1.959964, abs=1e-6)
    assert uplift.z_value(0.90) == pytest.approx(1.644854, abs=1e-6)
    narrow = uplift.evaluate({"c": (500, 50), "t": (500, 70)}, "c", confidence=0.80).comparisons[0]
    wide = uplift.evaluate({"c": (500, 50), "t": (500, 70)}, "c", confidence=0.99).comparisons[0]
    assert wide.uplift_ci[0] < narrow.uplift_ci[0] < narrow.uplift_ci[1] < wide.uplift_ci[1]
    with pytest.raises(ValueError, match="confidence"):
        uplift.evaluate({"c": (500, 50), "t": (500, 70)}, "c", confidence=95)


def test_no_cost_per_incremental_conversion_without_uplift():
    c = uplift.evaluate({"control": (800, 80), "mail": (800, 72)}, "control", cost_per_contact=3.0).comparisons[0]
    assert c.uplift < 0 and c.cost_per_incremental is None
    assert any("undefined" in n for n in c.notes)
    assert c.total_cost == 2400.0  # the money was still spent
    assert not c.significant
    # and exactly zero uplift is no better
    z = uplift.evaluate({"control": (100, 10), "mail": (100, 10)}, "control", cost_per_contact=3.0).comparisons[0]
    assert z.uplift == 0 and z.cost_per_incremental is None and z.z == 0 and z.p_value == 1.0


def test_identical_arms_that_never_convert_have_p_one():
    c = uplift.evaluate({"control": (50, 0), "t": (60, 0)}, "control").comparisons[0]
    assert c.p_value == 1.0 and c.relative_uplift is None and c.uplift_ci[0] < 0 < c.uplift_ci[1]


def test_holm_adjustment():
    assert uplift.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert uplift.holm([0.2]) == [0.2] and uplift.holm([]) == []
    rng = np.random.default_rng(5)
    for _ in range(200):
        p = rng.uniform(0, 0.2, size=rng.integers(2, 8))
        adj = np.array(uplift.holm(list(p)))
        m = len(p)
        # the definition written out: max over the smaller p-values of (m - rank) * p, capped at 1
        ranks = np.argsort(np.argsort(p, kind="stable"), kind="stable")
        brute = [min(1.0, max((m - ranks[j]) * p[j] for j in range(m) if ranks[j] <= ranks[i])) for i in range(m)]
        assert adj == pytest.approx(brute)
        assert np.all(adj >= p) and np.all(adj <= 1)
        order = np.argsort(p)
        assert np.all(np.diff(adj[order]) >= 0)  # monotone in the raw p-values


def test_several_treatment_arms_use_holm_for_the_verdict():
    # sms alone would be significant at 5 % (p ≈ 0.045) but not after adjusting for three arms
    ev = uplift.evaluate({"control": (2000, 200), "sms": (2000, 240), "call": (2000, 300), "mail": (2000, 205)},
                         "control")
    by = {c.arm: c for c in ev.comparisons}
    assert [c.arm for c in ev.comparisons] == ["sms", "call", "mail"]
    assert by["sms"].p_value < 0.05 and by["sms"].p_value_holm >= 0.05 and not by["sms"].significant
    assert by["call"].significant and by["call"].p_value_holm == pytest.approx(3 * by["call"].p_value)
    raw = [c.p_value for c in ev.comparisons]
    assert [c.p_value_holm for c in ev.comparisons] == pytest.approx(uplift.holm(raw))
    for a, b in zip(sorted(ev.comparisons, key=lambda c: c.p_value), sorted(ev.comparisons, key=lambda c: c.p_value)[1:],
                    strict=False):
        assert a.p_value_holm <= b.p_value_holm


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="not among the arms"):
        uplift.evaluate({"a": (10, 1), "b": (10, 2)}, "control")
    with pytest.raises(ValueError, match="no treatment arm"):
        uplift.evaluate({"control": (10, 1)}, "control")
    with pytest.raises(ValueError, match="conversions"):
        uplift.evaluate({"control": (10, 11), "t": (10, 2)}, "control")
    with pytest.raises(ValueError, match="cost"):
        uplift.evaluate({"control": (10, 1), "t": (10, 2)}, "control", cost_per_contact=-1)


def test_coverage_of_the_uplift_interval_in_simulated_experiments():
    """Simulate randomised campaigns with a known uplift: the 95 % interval covers it about 95 % of the time."""
    rng = np.random.default_rng(20240601)
    k = 4000  # Monte Carlo standard error of a coverage near 0.95: about 0.0034
    for n_t, n_c, p_t, p_c in [(400, 200, 0.12, 0.08), (3000, 1000, 0.05, 0.03), (750, 250, 0.127, 0.087)]:
        x_t = rng.binomial(n_t, p_t, k)
        x_c = rng.binomial(n_c, p_c, k)
        lo, hi = uplift.newcombe_interval(x_t, n_t, x_c, n_c)
        covered = float(np.mean((lo <= p_t - p_c) & (p_t - p_c <= hi)))
        assert 0.93 <= covered <= 0.97, (n_t, n_c, p_t, p_c, covered)
        # and the same through the scalar API on a few of them
        for i in range(5):
            c = uplift.evaluate({"c": (n_c, int(x_c[i])), "t": (n_t, int(x_t[i]))}, "c").comparisons[0]
            assert c.uplift_ci == pytest.approx((lo[i], hi[i]))


def test_why_newcombe_rather_than_wald_at_campaign_sized_counts():
    """Small control group, rates of a few per cent: Wald undercovers, the score interval does not."""
    rng = np.random.default_rng(7)
    k = 4000
    n_t, n_c, p_t, p_c = 200, 50, 0.04, 0.02
    x_t, x_c = rng.binomial(n_t, p_t, k), rng.binomial(n_c, p_c, k)
    d = p_t - p_c
    lo, hi = uplift.newcombe_interval(x_t, n_t, x_c, n_c)
    wlo, whi = uplift.wald_interval(x_t, n_t, x_c, n_c)
    assert float(np.mean((lo <= d) & (d <= hi))) >= 0.95
    assert float(np.mean((wlo <= d) & (d <= whi))) < 0.945
    # and with no conversions at all the Wald interval has zero width
    assert uplift.wald_interval(0, 200, 0, 50) == (0.0, 0.0)
    lo0, hi0 = uplift.newcombe_interval(0, 200, 0, 50)
    assert lo0 < -0.05 and hi0 > 0.01


def test_the_test_rejects_about_five_percent_of_null_experiments():
    rng = np.random.default_rng(11)
    k = 4000
    x_t = rng.binomial(600, 0.1, k)
    x_c = rng.binomial(300, 0.1, k)
    _, p = uplift.two_proportion_z_test(x_t, 600, x_c, 300)
    assert 0.035 <= float(np.mean(p < 0.05)) <= 0.065
    # and it has power against a real uplift of 5 points
    _, p1 = uplift.two_proportion_z_test(rng.binomial(600, 0.15, k), 600, x_c, 300)
    assert float(np.mean(p1 < 0.05)) > 0.5


def test_breakdown_by_group_flags_small_groups_and_agrees_with_the_whole():
    rng = np.random.default_rng(3)
    n = 3000
    groups = np.where(rng.random(n) < 0.97, np.where(rng.random(n) < 0.5, "north", "south"), "hill")
    arms = np.where(rng.random(n) < 0.25, "control", "offer")
    converted = rng.random(n) < np.where(arms == "offer", 0.14, 0.10)
    rows = uplift.breakdown(groups, arms, converted, "control", min_count=30)
    assert [r.group for r in rows] == ["hill", "north", "south"]
    by = {r.group: r for r in rows}
    assert by["hill"].too_small and "too small to judge" in (by["hill"].note or "")
    assert not by["north"].too_small and not by["south"].too_small
    assert sum(r.n_treated for r in rows) == int(np.sum(arms == "offer"))
    for g, r in by.items():
        sel = groups == g
        whole = uplift.evaluate_arrays(arms[sel], converted[sel], "control").comparisons[0]
        assert r.uplift == pytest.approx(whole.uplift) and r.p_value == pytest.approx(whole.p_value)
        assert r.uplift_ci == pytest.approx(whole.uplift_ci)


def test_breakdown_keeps_a_group_missing_an_arm_and_orders_numbers_numerically():
    groups = np.array(["10"] * 40 + ["2"] * 80 + ["1"] * 5)
    arms = np.array(["t"] * 40 + ["t", "c"] * 40 + ["c"] * 5)
    converted = np.zeros(groups.size, bool)
    converted[::7] = True
    rows = uplift.breakdown(groups, arms, converted, "c")
    assert [r.group for r in rows] == ["1", "2", "10"]
    assert rows[0].n_treated == 0 and rows[0].uplift is None and rows[0].too_small
    assert rows[2].n_control == 0 and rows[2].rate_control is None and rows[2].p_value is None


def test_results_serialise_to_json():
    ev = uplift.evaluate({"control": (300, 30), "a": (300, 45), "b": (300, 20)}, "control", cost_per_contact=2.5)
    doc = json.loads(json.dumps(ev.to_dict()))
    assert doc["control"] == "control" and len(doc["comparisons"]) == 2 and doc["methods"]["multiple_arms"] == "holm"
    assert doc["comparisons"][1]["cost_per_incremental"] is None and len(doc["comparisons"][0]["uplift_ci"]) == 2
    counts = uplift.count_arms(np.array(["b", "a", "b", "c"]), np.array([True, False, False, True]))
    assert counts == {"b": (2, 1), "a": (1, 0), "c": (1, 1)}


# ---- the statsmodels implementation against the formulas it replaced --------------------------------------
# The statistics come from statsmodels; these are the hand-written formulas they replaced, kept here as an
# independent reference. Both must agree to 1e-12 on a grid of counts that includes 0 and n conversions.


def _ref_z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _ref_wilson(x, n, confidence=0.95):
    z = _ref_z(confidence)
    x, n = np.asarray(x, np.float64), np.asarray(n, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = n + z * z
        centre = (x + z * z / 2) / denom
        half = z * np.sqrt(n) / denom * np.sqrt(p * (1 - p) + z * z / (4 * n))
        low, high = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    low, high = np.where(x == 0, 0.0, low), np.where(x == n, 1.0, high)
    return np.where(n == 0, np.nan, low), np.where(n == 0, np.nan, high)


def _ref_newcombe(xt, nt, xc, nc, confidence=0.95):
    xt, nt, xc, nc = (np.asarray(v, np.float64) for v in (xt, nt, xc, nc))
    lt, ut = _ref_wilson(xt, nt, confidence)
    lc, uc = _ref_wilson(xc, nc, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        pt, pc = xt / nt, xc / nc
        d = pt - pc
        return d - np.sqrt((pt - lt) ** 2 + (uc - pc) ** 2), d + np.sqrt((ut - pt) ** 2 + (pc - lc) ** 2)


def _ref_wald(xt, nt, xc, nc, confidence=0.95):
    z = _ref_z(confidence)
    xt, nt, xc, nc = (np.asarray(v, np.float64) for v in (xt, nt, xc, nc))
    with np.errstate(divide="ignore", invalid="ignore"):
        pt, pc = xt / nt, xc / nc
        se = np.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
        return pt - pc - z * se, pt - pc + z * se


def _ref_z_test(xt, nt, xc, nc):
    xt, nt, xc, nc = (np.asarray(v, np.float64) for v in (xt, nt, xc, nc))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (xt + xc) / (nt + nc)
        se = np.sqrt(pooled * (1 - pooled) * (1 / nt + 1 / nc))
        z = np.where(se > 0, (xt / nt - xc / nc) / np.where(se > 0, se, 1.0), 0.0)
    bad = (nt == 0) | (nc == 0)
    z = np.where(bad, np.nan, z)
    erfc = np.vectorize(math.erfc, otypes=[np.float64])
    return z, np.where(bad, np.nan, erfc(np.abs(np.nan_to_num(z)) / math.sqrt(2)))


def _ref_holm(p_values):
    p = np.asarray(p_values, np.float64)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, p[order] * (m - np.arange(m)))
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return [float(v) for v in adjusted]


def _grid() -> tuple[np.ndarray, np.ndarray]:
    """(x, n) pairs: every x for small n, and 0, 1, 2, n/2, n − 2, n − 1, n for larger n (and n = 0)."""
    pairs = {(0, 0)}
    for n in range(1, 13):
        pairs |= {(x, n) for x in range(n + 1)}
    for n in (20, 29, 50, 137, 1000, 4321, 100_000, 1_000_000):
        pairs |= {(x, n) for x in (0, 1, 2, n // 7, n // 2, n - 2, n - 1, n)}
    x, n = zip(*sorted(pairs), strict=True)
    return np.array(x, np.float64), np.array(n, np.float64)


def _same(new, ref) -> None:
    np.testing.assert_allclose(np.asarray(new, np.float64), np.asarray(ref, np.float64), rtol=0, atol=1e-12,
                               equal_nan=True)


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_wilson_interval_is_the_formula_it_replaced(confidence):
    x, n = _grid()
    lo, hi = uplift.wilson_interval(x, n, confidence)
    ref_lo, ref_hi = _ref_wilson(x, n, confidence)
    _same(lo, ref_lo)
    _same(hi, ref_hi)
    # the ends stay exact, and an empty arm stays undefined
    assert np.all(lo[x == 0][n[x == 0] > 0] == 0.0) and np.all(hi[(x == n) & (n > 0)] == 1.0)
    assert np.isnan(lo[n == 0]).all() and np.isnan(hi[n == 0]).all()
    # the scalar API gives Python floats, the same numbers
    for xi, ni in [(0, 20), (4, 20), (20, 20), (37, 412), (1, 1_000_000)]:
        got = uplift.wilson_interval(xi, ni, confidence)
        assert all(type(v) is float for v in got)
        _same(got, [float(v) for v in _ref_wilson(xi, ni, confidence)])


def _pairs() -> tuple[np.ndarray, ...]:
    x, n = _grid()
    i, j = np.meshgrid(np.arange(x.size), np.arange(x.size), indexing="ij")
    i, j = i.ravel(), j.ravel()
    return x[i], n[i], x[j], n[j]


@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_newcombe_and_wald_intervals_are_the_formulas_they_replaced(confidence):
    xt, nt, xc, nc = _pairs()
    for new, ref in [(uplift.newcombe_interval, _ref_newcombe), (uplift.wald_interval, _ref_wald)]:
        lo, hi = new(xt, nt, xc, nc, confidence)
        ref_lo, ref_hi = ref(xt, nt, xc, nc, confidence)
        _same(lo, ref_lo)
        _same(hi, ref_hi)
    # all treated and no control converted (and the reverse): exactly 1 (−1) at the end, as before
    lo, hi = uplift.newcombe_interval(10, 10, 0, 20, confidence)
    assert hi == 1.0 == _ref_newcombe(10, 10, 0, 20, confidence)[1]
    lo, hi = uplift.newcombe_interval(0, 20, 10, 10, confidence)
    assert lo == -1.0 == _ref_newcombe(0, 20, 10, 10, confidence)[0]
    for counts in [(56, 70, 48, 80), (0, 10, 0, 20), (5, 56, 0, 29), (3, 1000, 0, 1)]:
        got = uplift.newcombe_interval(*counts, confidence)
        assert all(type(v) is float for v in got)
        _same(got, [float(v) for v in _ref_newcombe(*counts, confidence)])


def test_z_test_is_the_formula_it_replaced():
    xt, nt, xc, nc = _pairs()
    z, p = uplift.two_proportion_z_test(xt, nt, xc, nc)
    ref_z, ref_p = _ref_z_test(xt, nt, xc, nc)
    _same(z, ref_z)
    _same(p, ref_p)
    # identical arms (p̄ of 0 or 1): z = 0 and p = 1 exactly; an empty arm: undefined
    assert uplift.two_proportion_z_test(0, 50, 0, 60) == (0.0, 1.0)
    assert uplift.two_proportion_z_test(50, 50, 60, 60) == (0.0, 1.0)
    assert all(math.isnan(v) for v in uplift.two_proportion_z_test(0, 0, 1, 10))
    for counts in [(150, 1000, 100, 1000), (1, 3, 0, 2), (7, 7, 0, 1)]:
        got = uplift.two_proportion_z_test(*counts)
        assert all(type(v) is float for v in got)
        _same(got, [float(v) for v in _ref_z_test(*counts)])


def test_holm_is_the_formula_it_replaced():
    rng = np.random.default_rng(17)
    cases = [[], [0.2], [1.0], [0.0], [0.01, 0.04, 0.03], [0.5, 0.5, 0.5], [0.01, 0.01, 0.3, 0.01], [0.0, 1.0, 0.4]]
    for _ in range(40):  # few: each call of the library's Holm runs a full garbage collection
        p = rng.uniform(0, 0.5, size=rng.integers(2, 10))
        if rng.random() < 0.3:  # ties
            p[rng.integers(p.size)] = p[0]
        cases.append(list(p))
    for p in cases:
        got = uplift.holm(p)
        assert all(type(v) is float for v in got)
        _same(got, _ref_holm(p))
