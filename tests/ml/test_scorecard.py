"""The scorecard estimator: contract, points, monotonic bins, missing and special values, reasons, master
scale, report and card files — each checked against a computation done here another way."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from finecrm.ml.scorecard import CardFileError, Scorecard, load_card, save_card
from finecrm.ml.scorecard.binning import readable_splits
from finecrm.ml.scorecard.card import Scale
from finecrm.ml.scorecard.report import discrimination, evaluate, psi, stability
from tests.ml.scorecard_data import applicants


@pytest.fixture(scope="module")
def data():
    x, y = applicants(4000, seed=7)
    return x.iloc[:3000].reset_index(drop=True), y[:3000], x.iloc[3000:].reset_index(drop=True), y[3000:]


@pytest.fixture(scope="module")
def fitted(data):
    x, y, _, _ = data
    return Scorecard(special_codes=[-999]).fit(x, y)


def test_estimator_contract(data):
    x, y, _, _ = data
    sc = Scorecard(pdo=40, base_score=500, n_grades=7)
    assert sc.get_params()["pdo"] == 40 and not hasattr(sc, "card_")
    with pytest.raises(ValueError, match="not fitted"):
        sc.score(x)
    twin = clone(sc)
    assert twin.get_params() == sc.get_params()
    assert sc.fit(x, y) is sc
    assert {"card_", "logistic_", "selection_", "binning_process_", "n_features_in_"} <= set(vars(sc))
    assert not hasattr(twin, "card_")
    # parameters are checked in fit, not in __init__ (scikit-learn's rule)
    bad = Scorecard(pdo=-1)
    with pytest.raises(ValueError, match="pdo"):
        bad.fit(x, y)
    with pytest.raises(ValueError, match="one class"):
        Scorecard().fit(x, np.zeros(len(x), dtype=int))


def test_selection_keeps_the_signal_and_drops_noise(fitted, data):
    _, _, xt, yt = data
    chosen = {r["variable"] for r in fitted.selection_ if r["selected"]}
    assert {"age", "utilisation", "delinquencies", "housing"} <= chosen
    assert "noise" not in chosen
    why = next(r for r in fitted.selection_ if r["variable"] == "noise")["reason"]
    assert why.startswith("IV")
    # every kept variable: a higher WoE (a safer bin) lowers the modelled risk
    assert all(v.coefficient < 0 for v in fitted.card_.variables)
    assert roc_auc_score(yt, -fitted.score(xt)) > 0.7


def test_points_follow_the_scale(data):
    x, y, xt, _ = data
    sc = Scorecard(points_decimals=None, pdo=20, base_score=600, base_odds=50).fit(x, y)
    card = sc.card_
    woe = np.column_stack([np.asarray([b.woe for b in v.bins])[v.bin_index(xt[v.name])] for v in card.variables])
    logit_bad = sc.logistic_.decision_function(woe)
    factor = 20 / math.log(2)
    expected = 600 - factor * math.log(50) + factor * (-logit_bad)
    assert np.allclose(sc.score(xt), expected, atol=1e-9)
    assert np.allclose(sc.predict_proba(xt)[:, 1], sc.logistic_.predict_proba(woe)[:, 1])
    s = Scale(20, 600, 50)
    odds = lambda score: (1 - s.probability_of_bad(score)) / s.probability_of_bad(score)  # noqa: E731
    assert odds(np.array([600.0]))[0] == pytest.approx(50)
    assert odds(np.array([620.0]))[0] == pytest.approx(100)
    # whole points by default, and the score is their sum
    rounded = Scorecard().fit(x, y)
    pts = rounded.points(xt).to_numpy()
    assert np.all(pts == np.round(pts)) and np.array_equal(pts.sum(axis=1), rounded.score(xt))


def test_numerical_bins_are_monotonic_and_readable(fitted, data):
    x, _, _, _ = data
    for v in fitted.card_.variables:
        if v.dtype != "numerical":
            continue
        ranges = [b for b in v.bins if b.kind == "range"]
        rates = np.array([b.bad_rate for b in ranges])
        pts = np.array([b.points for b in ranges])
        assert np.all(np.diff(rates) >= 0) or np.all(np.diff(rates) <= 0), v.name
        assert np.all(np.diff(pts) <= 0) or np.all(np.diff(pts) >= 0), v.name
        assert sum(b.count for b in v.bins) == len(x)
        for edge in v.splits:  # short decimals, e.g. 26 rather than 25.5 when no value lies between
            assert len(repr(edge)) <= 12, (v.name, edge)


def test_readable_splits_keep_every_training_value_in_its_bin():
    rng = np.random.default_rng(3)
    for _ in range(200):
        values = np.round(rng.normal(rng.uniform(-1e4, 1e4), rng.uniform(0.01, 5e3), 300), rng.integers(0, 6))
        distinct = np.unique(values)
        raw = np.sort(rng.choice((distinct[:-1] + distinct[1:]) / 2, size=min(5, len(distinct) - 1), replace=False))
        nice = readable_splits(raw, values)
        assert len(nice) == len(raw)
        assert np.array_equal(np.searchsorted(raw, values, side="right"), np.searchsorted(nice, values, side="right"))


def test_missing_special_and_unseen_values_have_their_bins(fitted):
    card = fitted.card_
    months = next(v for v in card.variables if v.name == "months_on_book")
    housing = next(v for v in card.variables if v.name == "housing")
    by_kind = lambda v, k: next(b for b in v.bins if b.kind == k)  # noqa: E731
    assert by_kind(months, "special").count > 0 and by_kind(months, "special").values == [-999.0]
    rows = pd.DataFrame({c: [np.nan] * 3 for c in ("age", "monthly income", "utilisation", "delinquencies", "noise")})
    rows["months_on_book"] = [-999.0, np.nan, 12.0]
    rows["housing"] = ["own", None, "boat"]
    pts = fitted.points(rows)
    assert pts.loc[0, "months_on_book"] == by_kind(months, "special").points
    assert pts.loc[1, "months_on_book"] == by_kind(months, "missing").points
    assert pts.loc[1, "housing"] == by_kind(housing, "missing").points
    assert pts.loc[2, "housing"] == by_kind(housing, "other").points
    own = next(b for b in housing.bins if b.kind == "categories" and "own" in (b.categories or []))
    assert pts.loc[0, "housing"] == own.points
    # an unseen category is worth the points of WoE 0 (average risk)
    assert by_kind(housing, "other").woe == 0.0


def test_reason_codes_are_the_largest_losses_against_the_best_bin(fitted, data):
    _, _, xt, _ = data
    pts = fitted.points(xt)
    best = {v.name: max(b.points for b in v.bins) for v in fitted.card_.variables}
    reasons = fitted.reasons(xt, k=3)
    for i in range(0, len(xt), 37):
        lost = sorted(((best[c] - pts.loc[i, c], c) for c in pts.columns if best[c] - pts.loc[i, c] > 0),
                      key=lambda t: -t[0])
        got = reasons[i]
        assert [r["lost"] for r in got] == [t[0] for t in lost[:3]]
        assert {r["variable"] for r in got} <= {c for _, c in lost}
    # an applicant in every variable's best bin has no reason; one bin worse gives exactly that reason
    row = {}
    for v in fitted.card_.variables:
        b = max(v.bins, key=lambda b: b.points)
        if b.kind == "range":
            row[v.name] = b.lower if b.lower is not None else b.upper - 1
        elif b.kind == "categories":
            row[v.name] = b.categories[0]
        elif b.kind == "special":
            row[v.name] = b.values[0]
        else:
            row[v.name] = None
    best_row = pd.DataFrame([row])
    assert fitted.reasons(best_row, k=3) == [[]]
    age = next(v for v in fitted.card_.variables if v.name == "age")
    worst = min((b for b in age.bins if b.kind == "range"), key=lambda b: b.points)
    worse = best_row.assign(age=worst.lower if worst.lower is not None else worst.upper - 1)
    [[reason]] = fitted.reasons(worse, k=3)
    assert reason["variable"] == "age" and reason["lost"] == max(b.points for b in age.bins) - worst.points


def test_master_scale_is_monotonic_and_covers_every_score(fitted, data):
    x, y, _, _ = data
    grades = fitted.card_.grades
    assert 2 <= len(grades) <= 10
    pds = [g.pd for g in grades]
    assert all(a < b for a, b in itertools.pairwise(pds)), pds  # best first: PD strictly rises
    assert grades[0].max_score is None and grades[-1].min_score is None
    assert all(g.min_score == h.max_score for g, h in itertools.pairwise(grades))
    s = fitted.score(x)
    assert sum(g.count for g in grades) == len(x)
    labels = fitted.grade(x)
    for g in grades:
        inside = (s >= (g.min_score if g.min_score is not None else -np.inf)) & \
                 (s < (g.max_score if g.max_score is not None else np.inf))
        assert np.all(labels[inside] == g.label) and inside.sum() == g.count
        assert int(y[inside].sum()) == g.bads
        assert g.pd == pytest.approx(max((g.bads + 0.5) / (g.count + 1), 0.0003))


def test_report_measures(fitted, data):
    _, _, xt, yt = data
    s = fitted.score(xt)
    d = discrimination(yt, s)
    assert d["auc"] == pytest.approx(roc_auc_score(yt, -s))
    assert d["gini"] == pytest.approx(2 * d["auc"] - 1)
    # KS by brute force over every threshold
    ks = max(abs((s[yt == 1] <= t).mean() - (s[yt == 0] <= t).mean()) for t in np.unique(s))
    assert d["ks"] == pytest.approx(ks)
    assert psi([10, 20, 30], [1, 2, 3]) == pytest.approx(0.0)
    shifted = psi([50, 50], [90, 10])
    assert shifted == pytest.approx(0.4 * math.log(0.9 / 0.5) + (-0.4) * math.log(0.1 / 0.5))
    same = stability(fitted.card_, xt, xt)
    assert same["score_psi"] == pytest.approx(0.0) and all(v == pytest.approx(0) for v in same["variables"].values())
    older = xt.copy()
    older["utilisation"] = older["utilisation"] * 0.3
    assert stability(fitted.card_, xt, older)["variables"]["utilisation"] > 0.25
    ev = evaluate(fitted.card_, xt, yt)
    assert sum(g["rows"] for g in ev["grades"]) == len(xt)


def test_card_files_round_trip_and_refuse_tampering(fitted, data, tmp_path: Path):
    _, _, xt, _ = data
    save_card(fitted, tmp_path / "c1")
    loaded = load_card(tmp_path / "c1")
    assert np.array_equal(loaded.score(xt), fitted.score(xt))
    assert list(loaded.grade(xt)) == list(fitted.grade(xt))
    assert loaded.reasons(xt.head(20)) == fitted.reasons(xt.head(20))
    doc = json.loads((tmp_path / "c1" / "card.json").read_text(encoding="utf-8"))
    assert {"variables", "scale", "grades", "intercept"} <= set(doc)
    assert doc["scale"]["pdo"] == 20 and doc["variables"][0]["bins"][0]["label"]
    doc["variables"][0]["bins"][0]["points"] += 100
    (tmp_path / "c1" / "card.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CardFileError, match="differs"):
        load_card(tmp_path / "c1")
    import skops.io as sio

    (tmp_path / "c2").mkdir()
    sio.dump({"card": "{}", "params": "{}", "x": Path("/etc")}, tmp_path / "c2" / "card.skops")
    with pytest.raises(CardFileError, match="types finecrm does not load"):
        load_card(tmp_path / "c2")
    (tmp_path / "c3").mkdir()
    (tmp_path / "c3" / "card.skops").write_bytes(b"not a zip")
    with pytest.raises(CardFileError, match="not a readable"):
        load_card(tmp_path / "c3")
