"""The propensity model, its reasons, report and model files, on data with a known structure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.metrics import brier_score_loss, roc_auc_score

from finecrm.ml.propensity import FeatureSpec, ModelFileError, PropensityModel, load_pipeline, save_pipeline
from finecrm.ml.propensity.model import frame
from finecrm.ml.propensity.reasons import NOTHING, reasons
from finecrm.ml.propensity.report import calibration, deciles, evaluate
from finecrm.ml.propensity.transforms import Log1p, QuantileClip, SignedLog1p

SPEC = FeatureSpec({"aum_avg": "money", "txn_ci_3m": "count", "age": "numeric", "signed_online": "flag",
                    "occupation": "category"})


def bank(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Younger, online-banking, active customers take the product more; occupation 'teacher' too."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({
        "aum_avg": rng.lognormal(10, 1.5, n),
        "txn_ci_3m": rng.poisson(6, n),
        "age": rng.integers(18, 85, n).astype(float),
        "signed_online": rng.random(n) < 0.5,
        "occupation": rng.choice(["farmer", "teacher", "clerk", "retired"], n, p=[0.4, 0.2, 0.3, 0.1]),
    })
    x.loc[rng.random(n) < 0.05, "age"] = np.nan
    z = (-2.5 - 0.06 * (x["age"].fillna(50) - 45) + 1.2 * x["signed_online"] + 0.25 * np.log1p(x["txn_ci_3m"])
         + 0.8 * (x["occupation"] == "teacher"))
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return x, y


@pytest.fixture(scope="module")
def fitted() -> tuple[PropensityModel, pd.DataFrame, np.ndarray]:
    x, y = bank(6000, 1)
    return PropensityModel(SPEC).fit(x, y), x, y


def test_it_ranks_unseen_customers_and_learns_the_signs(fitted):
    model, _, _ = fitted
    x, y = bank(4000, 2)
    p = model.score(x)
    assert roc_auc_score(y, p) > 0.75
    coef = {(f["feature"], f["column"], f["value"]): f["weight"] for f in model.top_features(20)}
    assert coef[("age", "value", None)] < 0 and coef[("signed_online", "value", None)] > 0
    assert coef[("occupation", "category", "teacher")] > 0


def test_report_matches_an_independent_computation():
    rng = np.random.default_rng(3)
    p = rng.random(1003)
    y = (rng.random(1003) < p * 0.5).astype(int)
    p[:50] = 0.5  # ties
    doc = evaluate(y, p)
    assert doc["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert doc["base_rate"] == pytest.approx(y.mean()) and doc["rows"] == 1003 and doc["takers"] == y.sum()
    # deciles by hand: sort by score (highest first, stable), ten nearly equal groups
    order = np.argsort(-p, kind="stable")
    sizes = [101, 101, 101, 100, 100, 100, 100, 100, 100, 100]
    start, cum_pos = 0, 0
    for d, size in zip(doc["deciles"], sizes, strict=True):
        idx = order[start:start + size]
        start += size
        pos = y[idx].sum()
        cum_pos += pos
        assert d["customers"] == size and d["takers"] == pos
        assert d["lift"] == pytest.approx((pos / size) / y.mean())
        assert d["capture"] == pytest.approx(pos / y.sum())
        assert d["cum_capture"] == pytest.approx(cum_pos / y.sum())
        assert d["cum_lift"] == pytest.approx((cum_pos / start) / y.mean())
    assert doc["deciles"][-1]["cum_capture"] == pytest.approx(1.0)
    cal = calibration(y, p)
    assert cal["brier"] == pytest.approx(brier_score_loss(y, p))
    lowest = np.argsort(p, kind="stable")[:101]
    assert cal["bins"][0]["mean_predicted"] == pytest.approx(p[lowest].mean())
    assert cal["bins"][0]["observed"] == pytest.approx(y[lowest].mean())
    assert len(deciles(y, p, groups=4)) == 4


def test_auc_is_none_with_one_class():
    assert evaluate(np.zeros(10), np.linspace(0, 1, 10))["auc"] is None


def test_reasons_are_the_largest_positive_contributions(fitted):
    model, x, _ = fitted
    sample = x.iloc[:300]
    xf = frame(sample, SPEC)
    texts = reasons(model, xf)
    pipe = model.pipeline_
    prepared = pipe.named_steps["prepare"].transform(xf)
    z = pipe.named_steps["scale"].transform(prepared)
    contrib = z * pipe.named_steps["model"].coef_[0]
    for i in range(len(sample)):
        row = contrib[i].copy()
        for j, col in enumerate(model.columns_):
            if col.kind != "value" and prepared[i, j] < 0.5:
                row[j] = 0.0  # only the customer's own category counts
        best = int(np.argmax(row))
        if row[best] <= 0:
            assert texts[i] == NOTHING
            continue
        col = model.columns_[best]
        zh, _ = model.column_label(col)
        if col.kind == "category":
            assert texts[i].startswith(zh.replace("=", "：")), (texts[i], col)
            assert sample["occupation"].iloc[i] == col.value  # never a category the customer is not in
        elif col.kind == "missing":
            assert texts[i].startswith(f"{zh}") and np.isnan(sample[col.source].iloc[i])
        elif col.source == "age":
            assert texts[i].startswith("年龄较低" if z[i, best] < 0 else "年龄较高")
        assert " / " in texts[i]


def test_gradient_boosting_scores_and_explains(fitted):
    _, x, y = fitted
    model = PropensityModel(SPEC, "gbm").fit(x, y)
    xt, yt = bank(3000, 4)
    p = model.score(xt)
    assert ((p >= 0) & (p <= 1)).all() and roc_auc_score(yt, p) > 0.7
    assert model.top_features(3)[0]["feature"] in ("age", "signed_online")
    texts = reasons(model, frame(xt.iloc[:50], SPEC))
    assert all(" / " in t for t in texts)


def test_transforms():
    a = np.array([[-1000.0, 0.0, 9.0]]).T
    assert SignedLog1p().fit(a).transform(a).ravel() == pytest.approx(np.sign(a.ravel()) * np.log1p(np.abs(a.ravel())))
    assert Log1p().fit(a).transform(a).ravel() == pytest.approx([0.0, 0.0, np.log(10)])
    clip = QuantileClip(0.1, 0.9).fit(np.arange(101, dtype=float)[:, None])
    assert clip.transform(np.array([[-5.0], [50.0], [500.0]])).ravel() == pytest.approx([10.0, 50.0, 90.0])


def test_model_file_round_trip(fitted, tmp_path: Path):
    model, x, _ = fitted
    path = tmp_path / "model.skops"
    save_pipeline(model.pipeline_, path)
    again = PropensityModel.from_fitted(load_pipeline(path), SPEC, "logistic")
    assert np.array_equal(again.score(x), model.score(x))
    assert list(reasons(again, frame(x.iloc[:20], SPEC))) == list(reasons(model, frame(x.iloc[:20], SPEC)))


class Intruder:
    """A type no allow-list knows: what a doctored model file would smuggle in."""

    def __init__(self) -> None:
        self.payload = "anything"


def test_a_file_with_an_untrusted_type_is_refused(fitted, tmp_path: Path):
    model, _, _ = fitted
    path = tmp_path / "doctored.skops"
    sio.dump({"pipeline": model.pipeline_, "extra": Intruder()}, path)
    with pytest.raises(ModelFileError, match="Intruder") as err:
        load_pipeline(path)
    assert "不受信任" in str(err.value)
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"\x80\x04not a model")  # e.g. a pickle renamed
    with pytest.raises(ModelFileError, match="not a readable skops model file"):
        load_pipeline(junk)
    with pytest.raises(ModelFileError, match="no such model file"):
        load_pipeline(tmp_path / "missing.skops")


def test_one_class_is_refused():
    x, _ = bank(100, 5)
    with pytest.raises(ValueError, match="only one class"):
        PropensityModel(SPEC).fit(x, np.zeros(100))
