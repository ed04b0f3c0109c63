"""Propensity models on a generated bank: features without leakage, labels, the later-period AUC,
the registry, and the scores, eligibility and next best product of the build — each checked against
a computation of its own from the raw tables."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from finecrm.db import repositories
from finecrm.db.session import make_engine, session_factory
from finecrm.ml.propensity import ModelFileError
from finecrm.services.marketing import model_registry
from finecrm.services.marketing.propensity import (
    PropensityError,
    plan_cutoffs,
    population,
    published,
    scoring_hook,
)
from finecrm.services.snapshot.console import open_snapshot
from tests.services import propensity_bank as bank_fixture
from tests.services.propensity_bank import CUTOFF, PropensityBank

propensity_bank = bank_fixture.propensity_bank

HORIZON = 90


def test_features_at_a_cut_off_do_not_change_when_later_data_arrives(propensity_bank: PropensityBank):
    """The snapshot built as of the cut-off never saw the six months after it; its feature rows
    must equal the full snapshot's rows for the same months, column by column."""
    b = propensity_bank
    early = b.parquet(b.early, "propensity_features")
    late = b.parquet(b.plain, "propensity_features")
    cut_month = CUTOFF.replace(day=1)
    a = duckdb.sql(f"SELECT * FROM {early} WHERE month <= DATE '{cut_month}'")
    f = duckdb.sql(f"SELECT * FROM {late} WHERE month <= DATE '{cut_month}' "
                   f"AND month >= (SELECT min(month) FROM {early})")
    assert a.shape[0] == f.shape[0] > 0 and a.columns == f.columns
    months = duckdb.sql("SELECT count(DISTINCT month) FROM a").fetchall()[0][0]
    assert months >= 6  # the data start: October to March
    for col, typ in zip(a.columns, a.types, strict=True):
        if col in ("customer_id", "month"):
            continue
        cond = (f"abs(coalesce(a.{col}, 0) - coalesce(f.{col}, 0)) > 1e-6 OR (a.{col} IS NULL) <> (f.{col} IS NULL)"
                if str(typ) == "DOUBLE" else f"a.{col} IS DISTINCT FROM f.{col}")
        bad = duckdb.sql(f"SELECT count(*) FROM a JOIN f USING (customer_id, month) WHERE {cond}").fetchall()[0][0]
        assert bad == 0, f"{col}: {bad} rows differ once later data exists (leakage)"
    joined = duckdb.sql("SELECT count(*) FROM a JOIN f USING (customer_id, month)").fetchall()[0][0]
    assert joined == a.shape[0]


def test_three_month_activity_matches_the_raw_transactions(propensity_bank: PropensityBank):
    b = propensity_bank
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    mine = duckdb.sql(f"""SELECT customer_id, txn_ci_3m, txn_mobile_3m, consumption_3m
                          FROM {b.parquet(b.plain, "propensity_features")} WHERE month = DATE '2026-03-01'""")
    raw = duckdb.sql(f"""
        SELECT a.customer_id,
               count(*) FILTER (WHERE t.kind NOT IN ('interest','fee','salary','pension','loan_disbursement')
                                AND t.channel <> 'batch') AS ci,
               count(*) FILTER (WHERE t.kind NOT IN ('interest','fee','salary','pension','loan_disbursement')
                                AND t.channel = 'mobile') AS mob,
               sum(CASE WHEN t.direction = 'out' AND t.kind = 'consumption' THEN t.amount ELSE 0 END)::DOUBLE AS cons
        FROM {b.raw('transactions')} t JOIN {b.raw('accounts')} a USING (account_id)
        WHERE t.ts >= DATE '{start}' AND t.ts < DATE '{end}' + INTERVAL 1 DAY GROUP BY 1""")
    diff = mine.set_alias("m").join(raw.set_alias("r"), "customer_id", how="left").query("j", """
        SELECT count(*) FROM j
        WHERE txn_ci_3m <> coalesce(ci, 0) OR txn_mobile_3m <> coalesce(mob, 0)
           OR abs(consumption_3m - coalesce(cons, 0)) > 0.01""").fetchall()[0][0]
    assert diff == 0 and mine.shape[0] > 4000


def _independent_population(b: PropensityBank, cut: date) -> dict[str, int]:
    """Individuals opened by the cut-off, not lost then, without mobile banking ever by then; label =
    first mobile signup within the 90 days after it — from the raw tables."""
    stop = cut + timedelta(days=HORIZON)
    rows = duckdb.sql(f"""
        WITH acc AS (
            SELECT customer_id, count(*) FILTER (WHERE open_date <= DATE '{cut}') AS opened,
                   count(*) FILTER (WHERE open_date <= DATE '{cut}'
                                    AND (close_date IS NULL OR close_date > DATE '{cut}')) AS open_now
            FROM {b.raw('accounts')} GROUP BY 1),
        mob AS (SELECT customer_id, min(signed_on) AS first_on FROM {b.raw('signups')}
                WHERE service = 'mobile' GROUP BY 1)
        SELECT c.customer_id, coalesce(m.first_on > DATE '{cut}' AND m.first_on <= DATE '{stop}', false)
        FROM {b.raw('customers')} c LEFT JOIN acc USING (customer_id) LEFT JOIN mob m USING (customer_id)
        WHERE c.kind = 'individual' AND c.open_date <= DATE '{cut}'
          AND NOT (coalesce(acc.opened, 0) > 0 AND coalesce(acc.open_now, 0) = 0)
          AND (m.first_on IS NULL OR m.first_on > DATE '{cut}')""").fetchall()
    return {cid: int(label) for cid, label in rows}


def test_population_and_labels_match_the_raw_signups(propensity_bank: PropensityBank):
    b = propensity_bank
    con, _ = open_snapshot(b.ws, published(b.ws).build_id)  # the locked read path training uses
    for cut in (date(2026, 3, 31), date(2026, 6, 30)):
        mine = population(con, "mobile_banking", cut, HORIZON)
        expected = _independent_population(b, cut)
        got = dict(zip(mine["customer_id"], mine["label"].astype(int), strict=True))
        assert got == expected
        assert 20 < sum(got.values()) < len(got) / 5


def test_cut_offs_leave_a_later_period_for_validation():
    months = [date(2025, m, 1) for m in range(10, 13)] + [date(2026, m, 1) for m in range(1, 10)]
    train, valid = plan_cutoffs(date(2026, 9, 30), 90, months)
    assert valid == date(2026, 6, 30)
    assert train == [date(2026, 3, 31), date(2026, 2, 28), date(2026, 1, 31)]
    assert all(t + timedelta(days=90) <= valid for t in train)  # training labels end before validation starts
    train, valid = plan_cutoffs(date(2026, 9, 15), 30, months)
    assert valid == date(2026, 7, 31) and train[0] == date(2026, 6, 30)  # 31 Aug + 30 days is after 15 Sep
    with pytest.raises(PropensityError, match="not enough history"):
        plan_cutoffs(date(2026, 9, 30), 90, [date(2026, m, 1) for m in range(6, 10)])
    with pytest.raises(PropensityError, match="no period to validate"):
        plan_cutoffs(date(2026, 9, 30), 180, [date(2026, 8, 1), date(2026, 9, 1)])


def test_mobile_banking_ranks_the_later_period(propensity_bank: PropensityBank):
    """Acceptance: AUC ≥ 0.75 on the later-period holdout, recomputed here from the raw labels."""
    b = propensity_bank
    meta = model_registry.show(b.ws, "mobile_banking")
    assert meta["validation"]["cutoff"] == "2026-06-30"
    assert all(date.fromisoformat(w[1]) <= date(2026, 6, 30) for w in meta["training"]["label_windows"])
    loaded = model_registry.load(b.ws, "mobile_banking", meta["version"])
    rows = duckdb.sql(f"SELECT * FROM {b.parquet(b.plain, 'propensity_features')} WHERE month = DATE '2026-06-01' "
                      "ORDER BY customer_id").df()
    labels = _independent_population(b, date(2026, 6, 30))
    rows = rows[rows["customer_id"].isin(labels)]
    y = rows["customer_id"].map(labels).to_numpy()
    auc = roc_auc_score(y, loaded.model.score(rows))
    assert auc == pytest.approx(meta["metrics"]["auc"], abs=1e-9)
    assert auc >= 0.75, f"mobile-banking AUC on the later period: {auc:.3f}"
    top = meta["report"]["validation"]["deciles"][0]
    assert top["lift"] > 2 and meta["metrics"]["validation_rows"] == len(y)


def test_registry_versions_one_active_per_target_and_audit(propensity_bank: PropensityBank, tmp_path):
    b = propensity_bank
    ws = b.ws
    trained = {m["target"] for m in b.training["trained"]}
    assert {"mobile_banking", "wealth"} <= trained
    assert [s["target"] for s in b.training["skipped"]] == sorted(set(t.code for t in ws.settings.marketing.targets)
                                                                 - trained)
    rows = model_registry.list_models(ws)
    for target in trained:
        mine = [r for r in rows if r["target"] == target]
        assert sum(r["active"] for r in mine) == 1
    # a second version: stored beside the first, active only once activated, audited
    from finecrm.services.marketing.propensity import train_target

    before = model_registry.active(ws)["credit_card"]["version"]
    new = train_target(ws, "credit_card", actor="test:analyst")
    assert new["version"] == f"v{int(before[1:]) + 1:03d}" and new["activated"] is None
    assert model_registry.active(ws)["credit_card"]["version"] == before
    model_registry.activate(ws, "credit_card", new["version"], actor="test:analyst")
    model_registry.activate(ws, "credit_card", before, actor="test:analyst")  # and back
    active = model_registry.active(ws)
    assert active["credit_card"]["version"] == before and set(active) == trained
    with pytest.raises(model_registry.RegistryError, match="no model credit_card v099"):
        model_registry.activate(ws, "credit_card", "v099", actor="test:analyst")
    with pytest.raises(model_registry.RegistryError, match="not a configured marketing target"):
        model_registry.activate(ws, "savings", "v001", actor="test:analyst")
    engine = make_engine(ws.database_url)
    with session_factory(engine)() as s:
        trains = repositories.list_audit(s, action="model_train", limit=1000)
        activations = repositories.list_audit(s, action="model_activate", limit=1000)
    engine.dispose()
    assert len([e for e in trains if e.details.get("target") == "credit_card"]) >= 2
    last = activations[0]
    assert last.target == f"credit_card {before}" and last.details["previous"] == new["version"]
    assert last.actor == "test:analyst"


def test_a_doctored_active_model_stops_the_build(propensity_bank: PropensityBank, tmp_path):
    import shutil

    import skops.io as sio

    from finecrm.core.settings import Workspace

    b = propensity_bank
    copy = Workspace(tmp_path, b.ws.settings)
    shutil.copytree(b.ws.models, copy.models)
    version = model_registry.active(copy)["mobile_banking"]["version"]
    sio.dump({"x": __import__("fractions").Fraction(1, 3)}, copy.models / "mobile_banking" / version / "model.skops")
    with pytest.raises(ModelFileError, match=r"fractions\.Fraction"):
        scoring_hook(copy)


# --- the propensity mart -----------------------------------------------------------------------------------

def _offers(target, catalogue: dict[str, tuple[str, int | None]]) -> dict[int | None, str | None] | None:
    """Per risk tolerance the product offered (None: nothing suitable); None when no risk check applies."""
    if target.offer_product is None or catalogue.get(target.offer_product, ("", None))[1] is None:
        return None
    risk = catalogue[target.offer_product][1]
    out: dict[int | None, str | None] = {None: None}
    for tol in range(1, 6):
        if risk <= tol:
            out[tol] = target.offer_product
        elif target.kind == "category":
            fits = sorted((-r, code) for code, (cat, r) in catalogue.items()
                          if cat == target.match and r is not None and r <= tol)
            out[tol] = fits[0][1] if fits else None
        else:
            out[tol] = None
    return out


def test_scores_eligibility_and_next_best_product(propensity_bank: PropensityBank):
    b = propensity_bank
    ws = b.ws
    targets = ws.settings.marketing.targets
    as_of = date.fromisoformat(b.scored["as_of"])
    mart = b.mart(b.scored, "customer_propensity").df().set_index("customer_id").sort_index()
    catalogue = {c: (cat, None if r is None else int(r)) for c, cat, r in duckdb.sql(
        f"SELECT product_code, category, risk_level FROM {b.raw('products')}").fetchall()}
    people = duckdb.sql(f"""
        SELECT customer_id, kyc_risk_level, risk_tolerance,
               date_diff('year', birth_date, DATE '{as_of}')
                 - CASE WHEN strftime(birth_date, '%m%d') > strftime(DATE '{as_of}', '%m%d') THEN 1 ELSE 0 END AS age
        FROM {b.raw('customers')}""").df().set_index("customer_id").loc[mart.index]
    held = {}
    for t in targets:
        if t.kind == "service":
            sql = (f"SELECT DISTINCT customer_id FROM {b.raw('signups')} WHERE service = '{t.match}' AND signed_on <= "
                   f"DATE '{as_of}' AND (cancelled_on IS NULL OR cancelled_on > DATE '{as_of}')")
        else:
            col = "p.category" if t.kind == "category" else "a.product_code"
            sql = (f"SELECT DISTINCT a.customer_id FROM {b.raw('accounts')} a JOIN {b.raw('products')} p "
                   f"USING (product_code) WHERE {col} = '{t.match}' AND a.open_date <= DATE '{as_of}' "
                   f"AND (a.close_date IS NULL OR a.close_date > DATE '{as_of}')")
        held[t.code] = mart.index.isin([r[0] for r in duckdb.sql(sql).fetchall()])
    rows = duckdb.sql(f"SELECT * FROM {b.parquet(b.scored, 'propensity_features')} "
                      f"WHERE month = DATE '{as_of.replace(day=1)}'").df()
    rows = rows.set_index("customer_id").loc[mart.index].reset_index()
    active = model_registry.load_active(ws)
    assert len(active) >= 3
    tol = people["risk_tolerance"]
    ev = {}
    offer_of = {}
    for t in targets:
        p = mart[f"p_{t.code}"].to_numpy(dtype=float)
        if t.code in active:
            expected = active[t.code].model.score(rows)
            expected[held[t.code]] = np.nan
            assert np.allclose(p, expected, equal_nan=True, atol=1e-12), t.code
            assert (mart.loc[~np.isnan(p), f"model_{t.code}"] == active[t.code].version).all()
            assert mart.loc[~np.isnan(p), f"reason_{t.code}"].str.contains(" / ").all()
        else:
            assert np.isnan(p).all() and mart[f"reason_{t.code}"].isna().all()
        # deciles: NTILE(10) over the scored customers, highest first, ties by customer id
        scored = np.flatnonzero(~np.isnan(p))
        order = scored[np.lexsort((mart.index.to_numpy()[scored], -p[scored]))]
        n = len(order)
        sizes = [n // 10 + (1 if k < n % 10 else 0) for k in range(10)]
        expected_decile = np.full(len(p), np.nan)
        expected_decile[order] = np.repeat(np.arange(1, 11), sizes)
        got = mart[f"decile_{t.code}"].to_numpy(dtype=float)
        assert np.array_equal(got, expected_decile, equal_nan=True), t.code
        # eligibility: not held, age, KYC, and suitability of the product offered
        offers = _offers(t, catalogue)
        offer = (pd_series_map(tol, offers) if offers is not None
                 else np.full(len(p), t.offer_product, dtype=object))
        ok = (~held[t.code] & people["age"].between(t.min_age, t.max_age).to_numpy()
              & ~people["kyc_risk_level"].isin(t.kyc_excluded).to_numpy())
        if offers is not None:
            ok &= np.array([o is not None for o in offer])
        assert np.array_equal(mart[f"eligible_{t.code}"].to_numpy(dtype=bool), ok), t.code
        ev[t.code] = np.where(ok & ~np.isnan(p), p * t.value, -1.0)
        offer_of[t.code] = offer
    # the rules bite on both sides in this bank
    assert 0 < mart["eligible_equity_fund"].sum() < len(mart) / 2
    assert ((tol < 3) & mart["eligible_wealth"]).any()  # offered a fallback product within the tolerance
    codes = [t.code for t in targets]
    stacked = np.column_stack([ev[c] for c in codes])
    best = stacked.max(axis=1)
    choice = np.argmax(stacked, axis=1)  # ties: the first target in finecrm.yaml
    has = best >= 0
    assert has.sum() > len(mart) / 2
    got_target = mart["nbp_target"].to_numpy(dtype=object)
    assert pd.isna(got_target[~has]).all()
    expected_target = np.array(codes, dtype=object)[choice]
    assert (got_target[has] == expected_target[has]).all()
    assert np.allclose(mart["nbp_value"].to_numpy(dtype=float)[has], np.round(best[has], 2), atol=0.006)
    expected_offer = np.array([offer_of[codes[c]][i] for i, c in enumerate(choice)], dtype=object)
    got_offer = pd.Series(mart["nbp_offer"].to_numpy(dtype=object)[has]).fillna("(none)")
    assert (got_offer.to_numpy() == pd.Series(expected_offer[has]).fillna("(none)").to_numpy()).all()
    for cid, row in mart[has].head(200).iterrows():
        target = next(t for t in targets if t.code == row["nbp_target"])
        assert row["nbp_reason"].startswith(f"{target.zh} ")
        if _offers(target, catalogue) is not None:
            r = catalogue[row["nbp_offer"]][1]
            assert f"风险等级 R{r} ≤ " in row["nbp_reason"] and f"C{int(tol[cid])}" in row["nbp_reason"]
            if row["nbp_offer"] != target.offer_product:
                assert "改荐" in row["nbp_reason"] and "instead" in row["nbp_reason"]


def pd_series_map(tol, offers) -> np.ndarray:
    return np.array([offers.get(None if v != v else int(v)) for v in tol.to_numpy(dtype=float)], dtype=object)


def test_without_models_the_mart_is_built_with_eligibility(propensity_bank: PropensityBank):
    b = propensity_bank
    counts = duckdb.sql(f"""SELECT count(*), count(p_mobile_banking), count(decile_wealth), count(nbp_target),
                                   sum(eligible_mobile_banking::INT), sum(eligible_wealth::INT)
                            FROM {b.parquet(b.plain, "customer_propensity")}""").fetchall()[0]
    assert counts[1:4] == (0, 0, 0) and counts[4] > 0 and counts[5] > 0
    individuals = duckdb.sql(f"SELECT count(*) FROM {b.parquet(b.plain, 'customer_360')} "
                             "WHERE kind = 'individual' AND lifecycle <> 'lost'")
    assert counts[0] == individuals.fetchall()[0][0] > 4000
