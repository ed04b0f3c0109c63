"""Real data must make sense: the Berka bank through docs/examples/berka, built and shown as its staff would see it.

The workspace is the mapping's example (docs/examples/berka/finecrm.yaml: amounts in Czech crowns). Expected
values come from the marts' own rows and from Berka's files, never from the segmentation model's numbers.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from finecrm.ml.segmentation.behaviour import FEATURE_LABELS
from finecrm.services.data.build import build
from finecrm.services.data.ingest import ingest
from finecrm.services.workspace import init_workspace, open_workspace

from ..conftest import BERKA_MAPPING

pytestmark = pytest.mark.slow


def _workspace(home: Path, berka_dir: Path, config: Path | None) -> tuple[Any, dict[str, Any]]:
    home.mkdir(parents=True)
    if config is not None:
        shutil.copy(config, home / "finecrm.yaml")
    init_workspace(home)
    ws = open_workspace(home)
    report = ingest(ws, berka_dir, mapping_dir=BERKA_MAPPING)
    assert not report["unusable"], report["unusable"]
    return ws, build(ws)


@pytest.fixture(scope="module")
def berka(berka_dir, tmp_path_factory):
    """(workspace, manifest) of the Berka example workspace, built."""
    return _workspace(tmp_path_factory.mktemp("berka-build") / "ws", berka_dir, BERKA_MAPPING / "finecrm.yaml")


def _mart(ws: Any, manifest: dict[str, Any], name: str) -> str:
    return f"read_parquet('{ws.snapshots / manifest['build_id'] / 'marts' / name}/**/*.parquet')"


FEATURES = tuple(FEATURE_LABELS)


def test_segment_labels_follow_from_what_each_cluster_is(berka):
    ws, manifest = berka
    seg, c360 = _mart(ws, manifest, "customer_segment"), _mart(ws, manifest, "customer_360")
    means = ", ".join(f"avg({f}) AS {f}" for f in FEATURES)
    overall = duckdb.sql(f"SELECT {means} FROM {seg}").fetchall()[0]
    everyone = dict(zip(FEATURES, overall, strict=True))
    clusters = duckdb.sql(
        f"SELECT s.segment_cluster, any_value(s.segment), any_value(s.segment_reason), count(*), "
        f"avg(c.txn_ci_90d), {', '.join(f'avg(s.{f})' for f in FEATURES)} "
        f"FROM {seg} s JOIN {c360} c USING (customer_id) GROUP BY 1 ORDER BY 1").fetchall()
    assert len(clusters) >= 3
    labels = set()
    for _k, label, reason, _n, txn, *values in clusters:
        mean = dict(zip(FEATURES, values, strict=True))
        labels.add(label)
        # every "high"/"low" the reason says is what the cluster's customers are, against everyone's mean
        for feature, (zh, en) in FEATURE_LABELS.items():
            if f"{zh}高" in reason or f"high {en}" in reason:
                assert mean[feature] > everyone[feature], (label, reason, feature, mean[feature])
            if f"{zh}低" in reason or f"low {en}" in reason:
                assert mean[feature] < everyone[feature], (label, reason, feature, mean[feature])
        # and the label is what the cluster is
        if label == "consumer":
            assert mean["consumption_share"] >= 0.1 and mean["consumption_share"] > everyone["consumption_share"]
        elif label == "steady":
            assert mean["time_deposit_share"] >= 0.1 and mean["time_deposit_share"] > everyone["time_deposit_share"]
        elif label == "growth":
            assert (mean["aum_growth"] > 0 and mean["aum_growth"] > everyone["aum_growth"]) or \
                mean["investment_share"] > everyone["investment_share"]
        elif label == "inactive":
            assert txn < 1, (reason, txn)
            assert "not enough data" in reason
        elif label == "low_activity":
            assert mean["activity"] < everyone["activity"] and "低活跃" not in reason and "活跃度低" in reason
        elif label == "active":
            assert mean["activity"] > everyone["activity"] and "活跃度高" in reason
        else:
            assert label == "balanced" and "close to the bank's average" in reason, (label, reason)
    # Berka has no consumption and no time deposits: nobody may be called 消费型 or 稳妥型
    assert duckdb.sql(f"SELECT max(consumption_share), max(time_deposit_share) FROM {seg}").fetchall()[0] == (0, 0)
    assert not labels & {"consumer", "steady"}
    # customers with nothing (no open account, no AUM, no transaction) are said to be just that
    nothing = duckdb.sql(
        f"SELECT s.segment, count(*) FROM {seg} s JOIN {c360} c USING (customer_id) "
        f"WHERE c.accounts_open = 0 AND coalesce(c.aum_avg, 0) = 0 AND c.txn_ci_90d = 0 GROUP BY 1").fetchall()
    assert nothing and dict(nothing).get("inactive", 0) >= 0.95 * sum(n for _, n in nothing), nothing
    labelled = dict(duckdb.sql(f"SELECT segment, any_value(segment_label) FROM {seg} GROUP BY 1").fetchall())
    assert labelled.get("inactive") in (None, "无活动")


def test_loans_that_started_have_their_balance(berka, berka_dir):
    ws, manifest = berka
    as_of = manifest["as_of"]
    loans = duckdb.sql(
        f"SELECT 'L' || loan_id AS account_id, amount, payments, duration, strptime(date::VARCHAR, '%y%m%d') AS start "
        f"FROM read_csv('{berka_dir / 'loan.asc'}', delim=';', header=true) "
        f"WHERE strptime(date::VARCHAR, '%y%m%d') <= DATE '{as_of}'").fetchall()
    assert len(loans) == 38
    accounts = _mart(ws, manifest, "customer_accounts")
    balances = dict(duckdb.sql(f"SELECT account_id, balance_end FROM {accounts} WHERE category = 'loan'").fetchall())
    for account_id, amount, payment, months, start in loans:
        # still to repay at the as-of month's end: the amount less the monthly payments due since the start month
        due = min((int(as_of[:4]) - start.year) * 12 + int(as_of[5:7]) - start.month, months)
        assert balances[account_id] == pytest.approx(float(amount) - float(payment) * due), account_id
    c360 = _mart(ws, manifest, "customer_360")
    borrowers, total = duckdb.sql(f"SELECT count(*) FILTER (WHERE loans_end > 0), sum(loan_avg) FROM {c360}").fetchall()[0]
    assert borrowers == 38 and total > 0


@pytest.fixture(scope="module")
def analyst(berka):
    from fastapi.testclient import TestClient

    from finecrm.services.access.demo_accounts import demo_logins
    from finecrm.web.main import create_app

    ws, _ = berka
    account = next(a for a in demo_logins(ws) if a.role == "analyst")
    client = TestClient(create_app(ws.home, demo=True), base_url="https://testserver")
    r = client.post("/api/auth/login", json={"username": account.username, "password": account.password})
    assert r.status_code == 200, r.text
    return client


def test_the_dashboard_shows_czech_crowns_loans_and_every_channel(berka, analyst):
    ws, manifest = berka
    d = analyst.get("/api/dashboard").json()
    kpi = {k["code"]: k for k in d["kpis"]}
    assert d["currency"] == {"code": "CZK", "zh": "捷克克朗", "en": "CZK"}
    assert "捷克克朗" in d["definitions"]["aum"]["zh"] and "CZK" in d["definitions"]["aum"]["en"]
    from finecrm.core.formats import money

    for band in ws.settings.tiers.retail:  # the workspace's own thresholds, in its currency (CZK 16.5万)
        if band.min:
            assert f"{band.name} ≥ {money(band.min, 'zh', 'CZK')}" in d["definitions"]["tier_pyramid"]["zh"]
    assert any(b.min == 165_000 for b in ws.settings.tiers.retail)  # the Berka example's, not the default
    assert kpi["loans"]["value"] and kpi["loans"]["value"] > 0
    page = analyst.get("/dashboard").text
    for code in ("aum", "deposits", "loans"):
        card = page.split(f'data-testid="kpi-{code}"', 1)[1].split('class="kpi-value">', 1)[1].split("</div>", 1)[0]
        assert card.strip().startswith("CZK "), (code, card)
    assert 'data-testid="loans-unknown"' not in page
    # every channel the off-counter rate counts is drawn: the mix adds up to all customer-initiated transactions
    c360 = _mart(ws, manifest, "customer_360")
    ci, off = duckdb.sql(f"SELECT sum(txn_ci_90d), sum(txn_off_counter_90d) FROM {c360}").fetchall()[0]
    mix = d["channel_mix"]
    assert sum(mix.values()) == ci and mix["other"] > 0
    assert sum(n for ch, n in mix.items() if ch != "counter") == off


def test_the_build_says_its_currency_and_warns_when_the_data_is_in_another(berka, berka_dir, tmp_path):
    ws, manifest = berka
    from finecrm.services.data.summary import snapshot_summary

    assert manifest["currency"] == "CZK" and manifest["warnings"] == []
    summary = snapshot_summary(ws, manifest["build_id"])
    assert summary["currency"] == "CZK" and summary["thresholds"]["retail"][2] == {"tier": "贵宾", "min": 165000}
    # the same export in a workspace left at the default currency (yuan): the build says so
    _, default = _workspace(tmp_path / "cny", berka_dir, None)
    assert default["currency"] == "CNY"
    assert len(default["warnings"]) == 1 and "CZK" in default["warnings"][0] and "bank.currency" in default["warnings"][0]
