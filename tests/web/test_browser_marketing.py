"""A campaign end to end in a real browser (Playwright on Debian's Chromium):

an analyst counts and saves an audience → creates a campaign from it (list drawn, control held back) →
assigns it → the customer manager finds the tasks with their talking points and records outcomes →
the analyst detects conversions and the evaluation page shows treated versus control with its charts.

Every expectation comes from the database or the snapshot, never typed in.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest
from sqlalchemy import select

from finecrm.db.models import Audience, Campaign, CampaignMember
from finecrm.engine import snapshots
from tests.web.browser import canvas_report, parse_count, shoot, wait_charts
from tests.web.test_pages import _mart


def _best_target(web_bank, staff_id: str) -> tuple[str, int]:
    """The product with the most suitable, not-yet-held customers of this manager (the rule's list)."""
    best = ("", -1)
    for t in web_bank.ws.settings.marketing.targets:
        n = duckdb.sql(
            f"SELECT count(*) FROM {_mart(web_bank, 'customer_propensity')} p "
            f"JOIN {_mart(web_bank, 'product_adoption')} a USING (customer_id) "
            f"WHERE p.manager_id = '{staff_id}' AND p.eligible_{t.code} AND a.first_{t.code}_on IS NULL"
        ).fetchall()[0][0]
        if n > best[1]:
            best = (t.code, int(n))
    return best


def test_campaign_end_to_end_in_the_browser(tabs, web_bank):
    from playwright.sync_api import expect

    state = web_bank.app.state.finecrm
    staff_id = web_bank.logins["customer_manager"].staff_id
    target, candidates = _best_target(web_bank, staff_id)
    assert candidates >= 6, f"the demo manager {staff_id} has too few candidates ({candidates}) for a campaign"
    rule = f"manager_id = '{staff_id}' AND kind = 'individual'"
    expected = duckdb.sql(f"SELECT count(*) FROM {_mart(web_bank, 'customer_360')} WHERE {rule}").fetchall()[0][0]

    # 1. the analyst counts the rule and saves it as an audience
    analyst = tabs.open("analyst")
    analyst.goto("/audiences")
    analyst.fill("[data-testid=audience-rule]", rule)
    analyst.click("[data-testid=audience-preview]")
    expect(analyst.locator("[data-testid=audience-count]")).to_be_visible()
    assert parse_count(analyst.inner_text("[data-testid=audience-count]")) == expected
    wait_charts(analyst)
    analyst.fill("[data-testid=audience-name]", "浏览器测试客群")
    analyst.click("[data-testid=audience-save]")
    expect(analyst.locator("[data-testid=audience-title]")).to_contain_text("浏览器测试客群")
    with state.sessions() as s:
        audience = s.scalars(select(Audience).where(Audience.name == "浏览器测试客群")).one()

    # 2. a campaign from the audience, started 60 days before the data's date so later data can show
    #    conversions; at most 40 customers, 30 % held back as control
    build_id = snapshots.published(web_bank.ws.snapshots)
    as_of = date.fromisoformat(str(snapshots.manifest(web_bank.ws.snapshots, build_id)["as_of"])[:10])
    start = as_of - timedelta(days=60)
    analyst.click("[data-testid=new-campaign-from-audience]")
    analyst.fill("[data-testid=campaign-name]", "浏览器端到端活动")
    analyst.select_option("[data-testid=campaign-target]", target)
    assert analyst.input_value("[data-testid=campaign-audience]") == f"{audience.id}:1"
    cap = min(candidates, 40)  # within one manager's capacity, so the own manager takes every task
    assert cap <= web_bank.ws.settings.marketing.capacity_per_manager
    analyst.fill("[name=size_cap]", str(cap))
    analyst.fill("[data-testid=campaign-control]", "30")  # typed as a percentage
    analyst.select_option("[data-testid=campaign-channel]", "visit")
    analyst.fill("[data-testid=campaign-start]", start.isoformat())
    analyst.fill("[data-testid=campaign-end]", (start + timedelta(days=30)).isoformat())
    analyst.fill("[data-testid=campaign-cost]", "12")
    analyst.click("[data-testid=campaign-preview]")  # the list step by step first, then the confirmation
    analyst.click("[data-testid=campaign-confirm]")
    expect(analyst.locator("[data-testid=campaign-title]")).to_contain_text("浏览器端到端活动")
    with state.sessions() as s:
        campaign = s.scalars(select(Campaign).where(Campaign.name == "浏览器端到端活动")).one()
        members = list(s.scalars(select(CampaignMember).where(CampaignMember.campaign_id == campaign.id)))
    treated = [m for m in members if m.arm == "treatment"]
    assert campaign.control_share == pytest.approx(0.3)  # "30" in the form is 30%
    assert len(members) == cap and treated and len(treated) < len(members)
    assert parse_count(analyst.inner_text("[data-testid=n-treatment]")) == len(treated)
    assert parse_count(analyst.inner_text("[data-testid=n-control]")) == len(members) - len(treated)

    # 3. assignment: the customers' own manager takes them (within the capacity)
    analyst.click("[data-testid=assign]")
    expect(analyst.locator("[data-testid=campaign-notice]")).to_be_visible()
    with state.sessions() as s:
        assigned = [m for m in s.scalars(select(CampaignMember).where(CampaignMember.campaign_id == campaign.id))
                    if m.assigned_to == staff_id]
    assert {m.customer_id for m in assigned} == {m.customer_id for m in treated}
    assert parse_count(analyst.inner_text("[data-testid=n-assigned]")) == len(treated)

    # 4. the manager works the tasks: talking points shown, outcomes recorded
    manager = tabs.open("customer_manager")
    manager.goto(f"/tasks?status=open&campaign_id={campaign.id}")
    first = treated[0].customer_id
    card = manager.locator(f"[data-testid=task-{first}]")
    expect(card).to_be_visible()
    assert card.locator("ul.points li").count() >= 3
    card.locator("[data-testid=outcome-select]").select_option("converted")
    card.locator("[data-testid=outcome-note]").fill("客户已在网点办理")
    card.locator("[data-testid=outcome-save]").click()
    expect(manager.locator("[data-testid=task-notice]")).to_be_visible()
    if len(treated) > 1:
        second = manager.locator(f"[data-testid=task-{treated[1].customer_id}]")
        second.locator("[data-testid=outcome-select]").select_option("refused")
        second.locator("[data-testid=outcome-save]").click()
        expect(manager.locator("[data-testid=task-notice]")).to_be_visible()
    with state.sessions() as s:
        outcomes = {m.customer_id: m.outcome for m in s.scalars(
            select(CampaignMember).where(CampaignMember.campaign_id == campaign.id))}
    assert outcomes[first] == "converted"
    shoot(manager, "tasks")
    tabs.assert_clean(manager)

    # 5. conversions from data, then the evaluation: treated versus control with charts
    analyst.goto(f"/campaigns/{campaign.id}")
    analyst.click("[data-testid=detect]")
    expect(analyst.locator("[data-testid=evaluation-title]")).to_be_visible()
    with state.sessions() as s:
        members = list(s.scalars(select(CampaignMember).where(CampaignMember.campaign_id == campaign.id)))
    for arm in ("treatment", "control"):
        row = analyst.locator(f"[data-testid=arm-{arm}] td")
        mine = [m for m in members if m.arm == arm]
        assert parse_count(row.nth(1).inner_text()) == len(mine)
        assert int(row.nth(2).inner_text().replace(",", "")) == sum(m.converted_on is not None for m in mine)
    expect(analyst.locator("[data-testid=uplift]")).to_be_visible()
    expect(analyst.locator("[data-testid=conclusion]")).to_be_visible()
    charts = wait_charts(analyst)
    assert charts >= 3
    assert all(c["canvas"] and c["painted"] > 0 for c in canvas_report(analyst)), canvas_report(analyst)
    shoot(analyst, "campaign-evaluation")
    tabs.assert_clean(analyst)
