"""Drawing a campaign: the list, the stratified random control group, reproducibility from the seed, scope."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import numpy as np
import pytest

from finecrm.authz import Forbidden
from finecrm.db import repositories
from finecrm.services.marketing import campaigns
from finecrm.services.marketing.campaigns import CampaignError
from finecrm.services.marketing.draw import draw_control, sample_cap
from finecrm.services.marketing.inputs import CampaignSpec
from tests.services.campaigns.bank import EARLY, raw

START, END = date(2026, 4, 1), date(2026, 4, 30)


def _create(s, serving, principal, name, **kw):
    args = {"target": "mobile_banking", "channel": "phone", "start_date": START, "end_date": END} | kw
    # Unvalidated on purpose: the use case's own checks are under test, with their bilingual messages.
    return campaigns.create_campaign(s, serving, principal, CampaignSpec.model_construct(name=name, **args))


def _arms(s, campaign_id):
    return {m.customer_id: m.arm for m in repositories.list_campaign_members(s, campaign_id=campaign_id)}


# --- the draw itself (pure) -----------------------------------------------------------------------


def test_draw_is_reproducible_and_depends_on_the_seed():
    ids = [f"C{i:05d}" for i in range(3000)]
    strata = [("大众", "贵宾", "财富")[i % 3] for i in range(3000)]
    a = draw_control(ids, strata, 0.2, seed=7)
    assert draw_control(list(reversed(ids)), list(reversed(strata)), 0.2, seed=7) == a  # input order is irrelevant
    b = draw_control(ids, strata, 0.2, seed=8)
    assert a != b and sum(a.values()) == sum(b.values())


def test_each_stratum_gets_its_share_within_one_customer():
    rng = np.random.default_rng(1)
    ids = [f"C{i:05d}" for i in range(5000)]
    strata = list(rng.choice(["A", "B", "C", "D"], size=5000, p=[0.7, 0.2, 0.09, 0.01]))
    for share in (0.1, 0.2, 0.35):
        control = draw_control(ids, strata, share, seed=3)
        n = Counter(strata)
        k = Counter(s for cid, s in zip(ids, strata, strict=True) if control[cid])
        for stratum, size in n.items():
            assert abs(k[stratum] - size * share) < 1, (share, stratum, size, k[stratum])


def test_small_strata_are_not_all_rounded_down():
    # 200 strata of 3 customers at 20 %: rounding each stratum down would give no control at all; the
    # randomised remainder gives 0.6 per stratum on average.
    ids = [f"C{i:04d}" for i in range(600)]
    strata = [f"s{i // 3}" for i in range(600)]
    total = sum(draw_control(ids, strata, 0.2, seed=11).values())
    assert 90 <= total <= 150  # 120 expected; binomial sd ≈ 6.9


def test_a_stratum_does_not_change_when_another_one_grows():
    ids = [f"C{i:04d}" for i in range(400)]
    strata = ["A" if i % 2 else "B" for i in range(400)]
    before = draw_control(ids, strata, 0.25, seed=5)
    after = draw_control([*ids, "C9999"], [*strata, "B"], 0.25, seed=5)
    assert {c: v for c, v in before.items() if c in ids[1::2]} == {c: after[c] for c in ids[1::2]}


def test_the_control_share_is_unbiased_across_seeds():
    ids = [f"C{i:03d}" for i in range(37)]
    strata = ["x"] * 37
    shares = [sum(draw_control(ids, strata, 0.3, seed=s).values()) for s in range(2000)]
    assert abs(np.mean(shares) - 37 * 0.3) < 0.1
    assert set(shares) == {11, 12}


def test_cap_sample_is_reproducible():
    ids = [f"C{i:04d}" for i in range(1000)]
    a = sample_cap(ids, 100, seed=1)
    assert len(a) == len(set(a)) == 100 and a == sample_cap(list(reversed(ids)), 100, seed=1)
    assert a != sample_cap(ids, 100, seed=2)
    assert sample_cap(ids, 5000, seed=1) == sorted(ids)


# --- a campaign drawn from the generated bank ------------------------------------------------------------


def test_the_list_is_eligible_never_held_and_in_strata(campaign_bank, campaign_db):
    serving = campaign_bank.serving("early")
    with campaign_db() as s, s.begin():
        c = _create(s, serving, campaign_bank.analyst(), "mobile spring", control_share=0.25, seed=99)
        members = repositories.list_campaign_members(s, campaign_id=c["id"])
    ids = [m.customer_id for m in members]
    assert c["details"]["counts"]["members"] == len(ids) > 300
    assert c["seed"] == 99 and c["details"]["draw"]["seed"] == 99 and c["build_id"] == serving.build_id

    # Independently from the raw exports: nobody on the list had mobile banking by the snapshot date ...
    signed = {r[0] for r in raw(campaign_bank.early, "signups").filter(
        f"service = 'mobile' AND signed_on <= DATE '{EARLY}'").select("customer_id").fetchall()}
    assert not signed & set(ids)
    # ... every member is an individual of an allowed age (16–80 for mobile banking) ...
    people = {r[0]: r[1:] for r in raw(campaign_bank.early, "customers").select(
        "customer_id, kind, date_diff('year', birth_date, DATE '2026-03-31') - "
        "CASE WHEN strftime(birth_date, '%m%d') > '0331' THEN 1 ELSE 0 END").fetchall()}
    assert all(people[i][0] == "individual" and 16 <= people[i][1] <= 80 for i in ids)
    # ... and the list is everyone the propensity mart calls eligible who never had it (no cap, no top N),
    # counted here straight from the snapshot's files.
    import duckdb

    marts = campaign_bank.early.snapshots / serving.build_id / "marts"
    expected = {r[0] for r in duckdb.sql(
        f"SELECT p.customer_id FROM read_parquet('{marts}/customer_propensity/*.parquet') p "
        f"JOIN read_parquet('{marts}/product_adoption/*.parquet') a USING (customer_id) "
        "WHERE p.eligible_mobile_banking AND a.first_mobile_banking_on IS NULL").fetchall()}
    assert set(ids) == expected

    strata = Counter(m.stratum for m in members)
    control = Counter(m.stratum for m in members if m.arm == "control")
    for stratum, n in strata.items():
        assert abs(control[stratum] - 0.25 * n) < 1
    tiers = {r["customer_id"]: r["tier"] for r in serving.sql("SELECT customer_id, tier FROM customer_360")}
    assert all(m.stratum == (tiers[m.customer_id] or campaigns.UNTIERED) for m in members)
    assert all(m.assigned_to is None for m in members)


def test_same_inputs_and_seed_give_the_same_arms(campaign_bank, campaign_db):
    serving = campaign_bank.serving("early")
    with campaign_db() as s, s.begin():
        a = _create(s, serving, campaign_bank.analyst(), "a", seed=2024)
        b = _create(s, serving, campaign_bank.analyst(), "b", seed=2024)
        other = _create(s, serving, campaign_bank.analyst(), "c", seed=2025)
        arms_a, arms_b, arms_c = _arms(s, a["id"]), _arms(s, b["id"]), _arms(s, other["id"])
    assert arms_a == arms_b
    assert set(arms_c) == set(arms_a) and arms_c != arms_a
    assert a["details"]["strata"] == b["details"]["strata"]


def test_default_share_and_seed_come_from_the_settings(campaign_bank, campaign_db):
    serving = campaign_bank.serving("early")
    with campaign_db() as s, s.begin():
        c = _create(s, serving, campaign_bank.analyst(), "defaults", target="wealth")
    m = campaign_bank.early.settings.marketing
    assert c["seed"] == m.seed and c["control_share"] == m.control_share
    assert c["offer_product"] == "WM05" and c["details"]["horizon_days"] == m.horizon_days


def test_a_cap_keeps_a_random_subset_reproducibly(campaign_bank, campaign_db):
    serving = campaign_bank.serving("early")
    with campaign_db() as s, s.begin():
        full = _create(s, serving, campaign_bank.analyst(), "full", target="credit_card")
        c1 = _create(s, serving, campaign_bank.analyst(), "cap1", target="credit_card", size_cap=300, seed=4)
        c2 = _create(s, serving, campaign_bank.analyst(), "cap2", target="credit_card", size_cap=300, seed=4)
        a, b, everyone = _arms(s, c1["id"]), _arms(s, c2["id"]), _arms(s, full["id"])
    assert len(a) == 300 and a == b and set(a) <= set(everyone)
    ids = sorted(everyone)
    assert sorted(a) != ids[:300]  # not simply the first customers by id


def test_the_creator_scope_limits_the_list(campaign_bank, campaign_db):
    serving = campaign_bank.serving("early")
    narrowed = campaign_bank.analyst(given_branches=["800100"])
    with campaign_db() as s, s.begin():
        c = _create(s, serving, narrowed, "city only")
        branches = {m.branch_id for m in repositories.list_campaign_members(s, campaign_id=c["id"])}
    assert branches and branches <= narrowed.branch_scope
    assert c["details"]["list"]["scope"] == "creator's scope"


def test_an_audience_restricts_the_list(campaign_bank, campaign_db):
    from finecrm.services.marketing import audiences

    serving = campaign_bank.serving("early")
    p = campaign_bank.analyst()
    with campaign_db() as s, s.begin():
        aud = audiences.create_audience(s, serving, p, name="young online", rule="age < 40 AND signed_online")
        c = _create(s, serving, p, "from audience", audience_id=aud["id"])
        ids = set(_arms(s, c["id"]))
    young = {r["customer_id"] for r in serving.sql(
        "SELECT customer_id FROM customer_360 WHERE age < 40 AND signed_online")}
    assert ids and ids <= young
    assert c["audience_id"] == aud["id"] and c["audience_version"] == 1
    assert c["details"]["audience"]["rule"] == aud["rule"]


def test_creation_is_audited_and_needs_manage_campaigns(campaign_bank, campaign_db):
    serving = campaign_bank.serving("early")
    with campaign_db() as s, s.begin():
        with pytest.raises(Forbidden):
            _create(s, serving, campaign_bank.branch_head("800100"), "not mine")
        c = _create(s, serving, campaign_bank.analyst(), "audited")
        events = repositories.list_audit(s, action="campaign_create")
    assert len(events) == 1 and events[0].target == f"campaign:{c['id']}" and events[0].actor == "ana"
    assert events[0].details["seed"] == c["seed"] and events[0].details["counts"]["members"] > 0


@pytest.mark.parametrize(("kw", "words"), [
    ({"target": "gold_bars"}, "mobile_banking"),
    ({"channel": "fax"}, "channel"),
    ({"start_date": date(2026, 5, 1)}, "before the start"),
    ({"control_share": 1.5}, "control share"),
    ({"seed": -1}, "seed"),
    ({"size_cap": 0}, "size cap"),
    ({"cost_per_contact": -3}, "cost per contact"),
    ({"target": "wealth", "offer_product": "CC01"}, "not a wealth product"),
    ({"offer_product": "EB02"}, "service signup"),
    ({"audience_version": 2}, "audience id"),
])
def test_bad_requests_are_refused_with_a_reason(campaign_bank, sqlite_db, kw, words):
    serving = campaign_bank.serving("early")
    with sqlite_db() as s, s.begin(), pytest.raises(Exception) as err:
        _create(s, serving, campaign_bank.analyst(), "bad", **kw)
    message = str(err.value)
    assert words in message and "/" in message and re.search(r"[\u4e00-\u9fff]", message)  # both languages


def test_a_name_is_used_once(campaign_bank, campaign_db):
    serving = campaign_bank.serving("early")
    with campaign_db() as s, s.begin():
        _create(s, serving, campaign_bank.analyst(), "once")
        with pytest.raises(CampaignError, match="exists"):
            _create(s, serving, campaign_bank.analyst(), "once")


def test_a_riskier_offer_is_checked_against_risk_tolerance(campaign_bank, campaign_db):
    serving = campaign_bank.serving("early")
    with campaign_db() as s, s.begin():
        c = _create(s, serving, campaign_bank.analyst(), "equity wealth", target="wealth", offer_product="WM04")
        ids = list(_arms(s, c["id"]))
    tolerance = {r["customer_id"]: r["risk_tolerance"] for r in serving.sql(
        "SELECT customer_id, risk_tolerance FROM customer_360")}
    assert ids and all(tolerance[i] is not None and tolerance[i] >= 4 for i in ids)


def test_branch_heads_see_campaigns_through_their_branch(campaign_bank, campaign_db):
    serving = campaign_bank.serving("early")
    head = campaign_bank.branch_head("800100")
    with campaign_db() as s, s.begin():
        c = _create(s, serving, campaign_bank.analyst(), "visible")
        members = repositories.list_campaign_members(s, campaign_id=c["id"])
        shown = campaigns.get_campaign(s, serving, head, c["id"])
        listed = campaigns.list_campaigns(s, serving, head)
        page = campaigns.campaign_members(s, serving, head, c["id"], page_size=500)
    mine = [m for m in members if m.branch_id in head.branch_scope]
    assert shown["counts"]["members"] == len(mine) < len(members)
    assert [x["id"] for x in listed] == [c["id"]]
    assert page.total == len(mine) and {r["branch_id"] for r in page.rows} <= head.branch_scope
    assert all("*" in r["name"] for r in page.rows)  # masked


def _scored(bank, serving):
    """Eligible customers who never had mobile banking, with their score, read straight from the snapshot."""
    import duckdb

    marts = bank.early.snapshots / serving.build_id / "marts"
    return duckdb.sql(
        f"SELECT p.customer_id, p.p_mobile_banking, p.decile_mobile_banking, p.reason_mobile_banking "
        f"FROM read_parquet('{marts}/customer_propensity/*.parquet') p "
        f"JOIN read_parquet('{marts}/product_adoption/*.parquet') a USING (customer_id) "
        "WHERE p.eligible_mobile_banking AND a.first_mobile_banking_on IS NULL AND p.p_mobile_banking IS NOT NULL "
        "ORDER BY p.p_mobile_banking DESC, p.customer_id").fetchall()


def test_top_n_takes_the_highest_propensities(campaign_bank, campaign_db):
    serving = campaign_bank.serving("early")
    ranked = _scored(campaign_bank, serving)
    assert len(ranked) > 300
    with campaign_db() as s, s.begin():
        top = _create(s, serving, campaign_bank.analyst(), "top", top_n=200)
        capped = _create(s, serving, campaign_bank.analyst(), "top capped", top_n=200, size_cap=80)
        members = {m.customer_id: m for m in repositories.list_campaign_members(s, campaign_id=top["id"])}
        capped_ids = set(_arms(s, capped["id"]))
    assert set(members) == {r[0] for r in ranked[:200]}
    assert capped_ids == {r[0] for r in ranked[:80]}  # the cap keeps the highest, not a random subset
    assert top["details"]["list"]["order"] == "p_mobile_banking descending"
    by_id = {r[0]: r for r in ranked}
    for cid, m in members.items():
        assert m.score == pytest.approx(by_id[cid][1]) and m.decile == by_id[cid][2]
        why = campaigns.talking_points_of(m)
        assert why["model_reason"] == by_id[cid][3] and why["score"] == pytest.approx(by_id[cid][1])


def test_top_n_needs_scores(campaign_bank, sqlite_db):
    serving = campaign_bank.serving("early")  # only mobile banking has an active model
    with sqlite_db() as s, s.begin(), pytest.raises(CampaignError, match="finecrm model"):
        _create(s, serving, campaign_bank.analyst(), "no model", target="credit_card", top_n=50)


def test_an_older_snapshot_without_the_propensity_marts_uses_the_yaml_limits(campaign_bank, sqlite_db, tmp_path):
    """A snapshot built before customer_propensity and product_adoption existed: eligibility falls back to the
    target's age and KYC limits and "never held" to customer_360's current holdings; top N is refused."""
    import shutil

    from finecrm.services.marketing.sources import CampaignDataError
    from finecrm.services.snapshot.serving import Serving
    from finecrm.services.workspace import open_workspace

    old = tmp_path / "old"
    shutil.copytree(campaign_bank.early.home, old)
    build_id = campaign_bank.serving("early").build_id
    snap = old / "warehouse" / "snapshots" / build_id
    for mart in ("customer_propensity", "product_adoption"):
        shutil.rmtree(snap / "marts" / mart)
    (snap / "serving.duckdb").unlink()
    serving = Serving(open_workspace(old))
    with sqlite_db() as s, s.begin():
        c = _create(s, serving, campaign_bank.analyst(), "old", target="wealth")
        ids = set(_arms(s, c["id"]))
        with pytest.raises(CampaignDataError, match="customer_propensity"):
            _create(s, serving, campaign_bank.analyst(), "old top", top_n=10)
    rows = serving.sql("SELECT customer_id, kind, lifecycle, age, kyc_risk_level, risk_tolerance, has_wealth "
                       "FROM customer_360")
    want = {r["customer_id"] for r in rows if r["kind"] == "individual" and r["lifecycle"] != "lost"
            and r["age"] is not None and 18 <= r["age"] <= 75 and r["kyc_risk_level"] != "high"
            and (r["risk_tolerance"] or 0) >= 2 and not r["has_wealth"]}  # WM05 has risk level 2
    assert ids == want and len(ids) > 100
    assert c["details"]["list"]["eligibility"].startswith("customer_360")
