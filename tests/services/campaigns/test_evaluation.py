"""Conversion detection and the evaluation, checked against computations of our own from the raw exports,
and end to end on a bank whose later data carry a planted effect of known size."""

from __future__ import annotations

import io
import math
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from finecrm.authz import NotFound
from finecrm.core.settings import Workspace
from finecrm.db import repositories
from finecrm.services.marketing import campaigns
from finecrm.services.marketing import conversions as campaign_conversions
from finecrm.services.marketing import evaluation as campaign_evaluation
from finecrm.services.marketing import tasks as campaign_tasks
from finecrm.services.marketing.inputs import CampaignSpec
from finecrm.services.marketing.sources import CampaignDataError
from finecrm.services.snapshot.serving import Serving
from tests.services.campaigns.bank import LATE, CampaignBank, built_workspace, raw

HORIZON = 90
Z = NormalDist().inv_cdf(0.975)


def first_mobile(ws: Workspace) -> dict[str, date]:
    """The first mobile-banking signup of every customer, straight from the raw exports (cancelled or not)."""
    return dict(raw(ws, "signups").filter("service = 'mobile'").aggregate(
        "customer_id, min(signed_on)").fetchall())


def expected_conversions(first: dict[str, date], ids: list[str], start: date, end: date) -> dict[str, date | None]:
    last = end + timedelta(days=HORIZON)
    return {i: (first[i] if i in first and start <= first[i] <= last else None) for i in ids}


def wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    centre = (x + Z * Z / 2) / (n + Z * Z)
    half = Z * math.sqrt(n) / (n + Z * Z) * math.sqrt(p * (1 - p) + Z * Z / (4 * n))
    return max(0.0, centre - half) if x else 0.0, min(1.0, centre + half) if x < n else 1.0


# --- detection against the raw data ------------------------------------------------------------------


def test_detection_matches_the_raw_exports_and_is_idempotent(campaign_bank, campaign_db):
    start, end = date(2026, 5, 1), date(2026, 5, 31)  # drawn on 03-31: April signups come before the start
    analyst = campaign_bank.analyst()
    with campaign_db() as s, s.begin():
        c = campaigns.create_campaign(s, campaign_bank.serving("early"), analyst, CampaignSpec(name="may mobile",
                                      target="mobile_banking", channel="sms", start_date=start, end_date=end))
        with pytest.raises(NotFound):
            campaign_conversions.detect_conversions(s, campaign_bank.serving("late"), analyst, 999)
        first_run = campaign_conversions.detect_conversions(s, campaign_bank.serving("late"), analyst, c["id"])
        members = repositories.list_campaign_members(s, campaign_id=c["id"])
        again = campaign_conversions.detect_conversions(s, campaign_bank.serving("late"), analyst, c["id"])
        stored = repositories.get_campaign(s, campaign_id=c["id"]).details["detection"]
        events = repositories.list_audit(s, action="campaign_detect")
    first = first_mobile(campaign_bank.late)
    want = expected_conversions(first, [m.customer_id for m in members], start, end)
    got = {m.customer_id: campaigns.day_of(m.converted_on) for m in members}
    assert got == want
    assert sum(v is not None for v in want.values()) > 10  # the generator's customers do sign up later
    arms = {m.customer_id: m.arm for m in members}
    assert first_run["converted"] == {a: sum(v is not None and arms[k] == a for k, v in want.items())
                                      for a in ("treatment", "control")}
    before = sum(1 for m in members if m.customer_id in first and first[m.customer_id] < start)
    after = sum(1 for m in members if m.customer_id in first and first[m.customer_id] > end + timedelta(days=HORIZON))
    assert (first_run["adopted_before_start"], first_run["adopted_after_window"]) == (before, after)
    assert before > 0 and after > 0  # all three cases occur
    assert first_run["window"] == {"start": "2026-05-01", "end": "2026-08-29", "horizon_days": HORIZON}
    assert first_run["complete"] is True and first_run["as_of"] == LATE.isoformat()
    assert again["changed"] == 0 and again["converted"] == first_run["converted"]
    assert stored["snapshot"] == campaign_bank.serving("late").build_id
    assert len(events) == 2


def test_detection_on_a_snapshot_before_the_window_ends_says_so(campaign_bank, campaign_db):
    analyst = campaign_bank.analyst()
    serving = campaign_bank.serving("early")
    with campaign_db() as s, s.begin():
        c = campaigns.create_campaign(s, serving, analyst, CampaignSpec(name="open window", target="mobile_banking",
                                      channel="phone", start_date=date(2026, 3, 1), end_date=date(2026, 3, 31)))
        r = campaign_conversions.detect_conversions(s, serving, analyst, c["id"])
        doc = campaign_evaluation.evaluate_campaign(s, serving, analyst, c["id"])
    assert r["complete"] is False and r["converted"] == {"treatment": 0, "control": 0}
    assert any("not final" in w["en"] for w in doc["warnings"])


# --- a campaign whose later data carry a planted effect -----------------------------------------------


@dataclass
class Planted:
    campaign: dict[str, Any]
    db: Any  # session factory
    ws: Workspace  # built from the exports with the planted signups
    arms: dict[str, str]
    coin: dict[str, bool]  # the planting coin of every member (applied to the treatment arm only)
    natural: dict[str, bool]  # converted in the window without any planting (from the untouched exports)
    true_uplift: float
    start: date
    end: date


PLANT_RATE = 0.12
PLANT_DAY = date(2026, 5, 20)


@pytest.fixture(scope="module")
def planted(campaign_bank: CampaignBank, tmp_path_factory) -> Planted:
    """Draw a campaign on the March snapshot; then make the later exports show a treatment effect: every
    member tosses a coin (12 %), and treated members whose coin fell sign up for mobile banking on 20 May.
    The true effect in this list is the share of members whose coin fell and who would not have converted
    in the window anyway — known exactly, because the untouched exports say who converted naturally."""
    from finecrm.db.session import make_engine, migrate, session_factory

    base = tmp_path_factory.mktemp("planted")
    engine = make_engine(f"sqlite:///{base / 'ops.db'}")
    migrate(engine)
    db = session_factory(engine)
    start, end = date(2026, 4, 1), date(2026, 4, 30)
    with db() as s, s.begin():
        c = campaigns.create_campaign(s, campaign_bank.serving("early"), campaign_bank.analyst(), CampaignSpec(name="planted",
                                      target="mobile_banking", channel="phone", start_date=start, end_date=end,
                                      control_share=0.3, seed=17, cost_per_contact=5.0))
        members = repositories.list_campaign_members(s, campaign_id=c["id"])
    ids = sorted(m.customer_id for m in members)
    arms = {m.customer_id: m.arm for m in members}
    rng = np.random.default_rng(123)
    coin = dict(zip(ids, (rng.random(len(ids)) < PLANT_RATE).tolist(), strict=True))
    natural = {k: v is not None for k, v in expected_conversions(first_mobile(campaign_bank.late), ids, start,
                                                                 end).items()}
    true_uplift = sum(coin[i] and not natural[i] for i in ids) / len(ids)

    bank = base / "bank"
    shutil.copytree(campaign_bank.bank, bank)
    part = next((bank / "signups").glob("*.parquet"))
    schema = pq.read_schema(part)
    planted_ids = [i for i in ids if coin[i] and arms[i] == "treatment"]
    extra = {f.name: [None] * len(planted_ids) for f in schema}
    extra["customer_id"] = planted_ids
    extra["service"] = ["mobile"] * len(planted_ids)
    extra["signed_on"] = [PLANT_DAY] * len(planted_ids)
    pq.write_table(pa.table(extra, schema=schema), bank / "signups" / "part-planted.parquet")
    ws = built_workspace(base / "ws", bank)
    return Planted(c, db, ws, arms, coin, natural, true_uplift, start, end)


def _evaluate(p: Planted, principal=None) -> dict[str, Any]:
    serving = Serving(p.ws)
    with p.db() as s, s.begin():
        return campaign_evaluation.evaluate_campaign(s, serving, principal or _analyst(p), p.campaign["id"])


def _analyst(p: Planted):
    from finecrm.authz import make_principal
    from finecrm.services.workspace import known_branches

    return make_principal("ana", "analyst", branches=known_branches(p.ws) or {})


def test_the_planted_effect_is_recovered(planted):
    with planted.db() as s, s.begin():
        campaign_conversions.detect_conversions(s, Serving(planted.ws), _analyst(planted), planted.campaign["id"])
    doc = _evaluate(planted)
    comp = doc["comparison"]
    low, high = comp["uplift_ci"]
    assert 0.05 < planted.true_uplift < 0.2
    assert low <= planted.true_uplift <= high, (planted.true_uplift, comp["uplift"], comp["uplift_ci"])
    assert comp["significant"] and low > 0
    # Without the planting the two arms differ by chance only: the effect must come from the later data.
    natural_t = np.mean([planted.natural[i] for i, a in planted.arms.items() if a == "treatment"])
    natural_c = np.mean([planted.natural[i] for i, a in planted.arms.items() if a == "control"])
    assert abs(comp["uplift"] - (natural_t - natural_c)) > 0.05


def test_the_evaluation_numbers_match_an_independent_count(planted):
    with planted.db() as s, s.begin():
        campaign_conversions.detect_conversions(s, Serving(planted.ws), _analyst(planted), planted.campaign["id"])
    doc = _evaluate(planted)
    converted = {i: planted.natural[i] or (planted.coin[i] and a == "treatment") for i, a in planted.arms.items()}
    n = {a: sum(v == a for v in planted.arms.values()) for a in ("treatment", "control")}
    x = {a: sum(converted[i] for i, v in planted.arms.items() if v == a) for a in ("treatment", "control")}
    arms = {a["arm"]: a for a in doc["arms"]}
    for a in ("treatment", "control"):
        assert (arms[a]["customers"], arms[a]["conversions"]) == (n[a], x[a])
        assert arms[a]["rate_ci"] == pytest.approx(wilson(x[a], n[a]), abs=1e-12)
    pt, pc = x["treatment"] / n["treatment"], x["control"] / n["control"]
    lt, ut = wilson(x["treatment"], n["treatment"])
    lc, uc = wilson(x["control"], n["control"])
    comp = doc["comparison"]
    assert comp["uplift"] == pytest.approx(pt - pc)
    assert comp["uplift_ci"] == pytest.approx([pt - pc - math.sqrt((pt - lt) ** 2 + (uc - pc) ** 2),
                                               pt - pc + math.sqrt((ut - pt) ** 2 + (pc - lc) ** 2)])
    assert comp["incremental_conversions"] == pytest.approx((pt - pc) * n["treatment"])
    assert comp["total_cost"] == pytest.approx(5.0 * n["treatment"])
    assert comp["cost_per_incremental"] == pytest.approx(5.0 / (pt - pc))

    with planted.db() as s:
        members = repositories.list_campaign_members(s, campaign_id=planted.campaign["id"])
    tiers = next(b for b in doc["breakdowns"] if b["by"] == "stratum")
    assert tiers["label"]["en"].startswith("exploratory")
    for row in tiers["rows"]:
        group = [m for m in members if m.stratum == row["group"]]
        for arm, key in (("treatment", "treated"), ("control", "control")):
            in_arm = [m for m in group if m.arm == arm]
            assert row[f"n_{key}"] == len(in_arm)
            assert row[f"conversions_{key}"] == sum(converted[m.customer_id] for m in in_arm)
        assert row["too_small"] == (min(row["n_treated"], row["n_control"]) < 30)
    assert sum(r["n_treated"] + r["n_control"] for r in tiers["rows"]) == len(members)
    deciles = next(b for b in doc["breakdowns"] if b["by"] == "decile")
    groups = [r["group"] for r in deciles["rows"]]
    assert groups[:-1] == sorted(groups[:-1], key=int) and {"1", "10"} <= set(groups)  # 1 … 10, then unscored
    assert sum(r["n_treated"] + r["n_control"] for r in deciles["rows"]) == len(members)
    assert set(doc["charts"]["breakdowns"]) == {"branch_id", "manager_id", "stratum", "decile"}


def test_self_reported_outcomes_stay_apart_from_detected_conversions(planted, campaign_bank):
    analyst = _analyst(planted)
    serving = Serving(campaign_bank.early)
    with planted.db() as s, s.begin():
        campaign_tasks.assign_campaign(s, serving, analyst, planted.campaign["id"])
        by: dict[str, list] = {}
        for m in repositories.list_campaign_members(s, campaign_id=planted.campaign["id"], assigned=True):
            by.setdefault(m.assigned_to, []).append(m)
        sid = max(by, key=lambda k: len(by[k]))
        people = dict(raw(campaign_bank.late, "staff").select("staff_id, branch_id").fetchall())
        me = campaign_bank.manager(sid, people[sid])
        said = by[sid][:6]
        for m in said[:4]:
            campaign_tasks.record_outcome(s, me, planted.campaign["id"], m.customer_id, outcome="converted",
                                          today=planted.start)
        campaign_tasks.record_outcome(s, me, planted.campaign["id"], said[4].customer_id, outcome="refused",
                                      today=planted.start)
        campaign_tasks.record_outcome(s, me, planted.campaign["id"], said[5].customer_id, outcome="unreachable",
                                      today=planted.start)
        campaign_conversions.detect_conversions(s, Serving(planted.ws), analyst, planted.campaign["id"])
        confirmed = sum(repositories.get_campaign_member(s, campaign_id=planted.campaign["id"],
                                                         customer_id=m.customer_id).converted_on is not None
                        for m in said[:4])
        assigned = sum(len(v) for v in by.values())
    doc = _evaluate(planted)
    sr = doc["self_reported"]
    assert sr["converted"] == 4 and sr["confirmed_by_data"] == confirmed and "self-reported" in sr["label"]["en"]
    funnel = {f["stage"]: f["count"] for f in doc["funnel"]}
    n_t = sum(a == "treatment" for a in planted.arms.values())
    assert funnel == {"treated": n_t, "assigned": assigned, "recorded": 6, "reached": 5, "interested": 4,
                      "converted": 4}
    # the detected rate is unchanged by what managers said
    assert doc["arms"][1]["conversions"] == sum(
        planted.natural[i] or planted.coin[i] for i, a in planted.arms.items() if a == "treatment")


def test_before_after_is_descriptive_and_matches_the_features(planted):
    import duckdb

    doc = _evaluate(planted)
    ba = doc["before_after"]
    assert ba["available"] and ba["label"]["en"].startswith("descriptive")
    assert ba["before_months"] == ["2026-01", "2026-02", "2026-03"]
    assert ba["after_months"] == ["2026-04", "2026-05", "2026-06"]
    serving = Serving(planted.ws)
    marts = planted.ws.snapshots / serving.build_id / "marts"
    members = pa.table({"customer_id": list(planted.arms), "arm": list(planted.arms.values())})
    con = duckdb.connect()
    con.register("members", members)
    rows = con.execute(
        f"SELECT strftime(f.month, '%Y-%m') AS m, arm, count(DISTINCT customer_id), avg(txn_ci::DOUBLE), "
        f"avg(txn_amount::DOUBLE), avg(CASE WHEN txn_ci > 0 THEN 1.0 ELSE 0 END)::DOUBLE, avg(aum_avg::DOUBLE) "
        f"FROM read_parquet('{marts}/propensity_features/*.parquet') f JOIN members USING (customer_id) "
        "GROUP BY ALL").fetchall()
    assert rows
    for m, arm, n, txn, amount, active, aum in rows:
        i = ba["months"].index(m)
        assert ba["series"]["customers"][arm][i] == n
        assert ba["series"]["txn_ci"][arm][i] == pytest.approx(txn)
        assert ba["series"]["txn_amount"][arm][i] == pytest.approx(amount)
        assert ba["series"]["active_share"][arm][i] == pytest.approx(active)
        assert ba["series"]["aum_avg"][arm][i] == pytest.approx(aum)
    txn = {(r["arm"]): r for r in ba["summary"] if r["metric"] == "txn_ci"}
    series = ba["series"]["txn_ci"]["treatment"]
    before = np.mean([series[ba["months"].index(m)] for m in ba["before_months"]])
    assert txn["treatment"]["before"] == pytest.approx(before)


def test_branch_heads_see_their_branch_only(planted, campaign_bank):
    head = campaign_bank.branch_head("800100")
    doc = _evaluate(planted, head)
    with planted.db() as s:
        members = repositories.list_campaign_members(s, campaign_id=planted.campaign["id"])
    mine = [m for m in members if m.branch_id in head.branch_scope]
    assert doc["scope"] == "branch"
    assert sum(a["customers"] for a in doc["arms"]) == len(mine) < len(members)
    assert {r["group"] for r in next(b for b in doc["breakdowns"] if b["by"] == "branch_id")["rows"]} <= \
        head.branch_scope
    outsider = campaign_bank.manager("100015", "800100")
    from finecrm.authz import Forbidden

    with pytest.raises(Forbidden):
        _evaluate(planted, outsider)


def test_the_export_is_masked_and_audited(planted):
    from openpyxl import load_workbook

    serving = Serving(planted.ws)
    with planted.db() as s, s.begin():
        data, n = campaign_evaluation.export_evaluation_xlsx(s, serving, _analyst(planted), planted.campaign["id"],
                                                             ip="10.0.0.9")
        events = repositories.list_audit(s, action="export_list")
    assert n == len(planted.arms)
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert {"评估 evaluation", "细分 breakdowns", "漏斗 funnel", "前后对比 before-after", "名单 members"} <= \
        set(wb.sheetnames)
    rows = list(wb["名单 members"].iter_rows(values_only=True))
    assert len(rows) == n + 1
    real = {r["customer_id"]: r["name"] for r in serving.sql("SELECT customer_id, name FROM customer_360")}
    assert all(r[1] != real[r[0]] and "*" in r[1] for r in rows[1:])
    assert events[0].target == f"campaign:{planted.campaign['id']}:evaluation" and events[0].details["rows"] == n
    assert events[0].details["masked"] is True


def test_detection_without_the_adoption_mart_fails_clearly(campaign_bank, campaign_db, tmp_path):
    """A published snapshot without product_adoption (as built before the mart existed): detection stops with
    a message naming the mart and what to run, in both languages."""
    from finecrm.services.workspace import open_workspace

    old = tmp_path / "old"
    shutil.copytree(campaign_bank.late.home, old)
    build_id = Serving(campaign_bank.late).build_id
    shutil.rmtree(old / "warehouse" / "snapshots" / build_id / "marts" / "product_adoption")
    (old / "warehouse" / "snapshots" / build_id / "serving.duckdb").unlink()
    serving = Serving(open_workspace(old))
    analyst = campaign_bank.analyst()
    with campaign_db() as s, s.begin():
        c = campaigns.create_campaign(s, campaign_bank.serving("early"), analyst, CampaignSpec(name="old snapshot",
                                      target="mobile_banking", channel="phone", start_date=date(2026, 4, 1),
                                      end_date=date(2026, 4, 30)))
        with pytest.raises(CampaignDataError, match=r"product_adoption.*finecrm build") as err:
            campaign_conversions.detect_conversions(s, serving, analyst, c["id"])
    assert "识别转化" in str(err.value) and "conversion detection" in str(err.value)
