"""Creating and ending a campaign in a real browser, and rules typed with a Chinese input method.

An analyst fills the campaign form, sees how many customers each step of the list keeps (checked against
counts computed here in SQL on the marts), confirms the draw, then closes the campaign with a reason. In the
audience form, a rule with full-width operators and Chinese quotes counts the same customers as its ASCII
twin, and a bare Chinese value is refused with a caret under it. Screenshots of the form, the preview and the
rule help in both languages go to test-artifacts/screenshots/.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
from sqlalchemy import select

from finecrm.db.models import Campaign, CampaignMember
from tests.web.browser import parse_count, shoot
from tests.web.test_pages import _mart

TARGET = "mobile_banking"


def _steps(web_bank, top_n: int) -> list[int]:
    """all customers → in scope (the analyst: all) → eligible → never held → scored → top N, in SQL."""
    base = (f"FROM {_mart(web_bank, 'customer_360')} c LEFT JOIN {_mart(web_bank, 'customer_propensity')} p "
            f"USING (customer_id) LEFT JOIN {_mart(web_bank, 'product_adoption')} a USING (customer_id) WHERE TRUE")
    conds = ["", f"AND coalesce(p.eligible_{TARGET}, false)", f"AND a.first_{TARGET}_on IS NULL",
             f"AND p.p_{TARGET} IS NOT NULL"]
    counts = [int(duckdb.sql(f"SELECT count(*) {base} {' '.join(conds[: i + 1])}").fetchall()[0][0])
              for i in range(len(conds))]
    return [counts[0], counts[0], *counts[1:], min(top_n, counts[-1])]


def _fill(page, name: str, start: date) -> None:
    page.fill("[data-testid=campaign-name]", name)
    page.select_option("[data-testid=campaign-target]", TARGET)
    page.fill("[data-testid=campaign-top]", "30")
    page.fill("[data-testid=campaign-control]", "20")
    page.fill("[data-testid=campaign-start]", start.isoformat())
    page.fill("[data-testid=campaign-end]", (start + timedelta(days=20)).isoformat())


def test_an_analyst_previews_confirms_and_closes_a_campaign(tabs, web_bank):
    from playwright.sync_api import expect

    state = web_bank.app.state.finecrm
    page = tabs.open("analyst")
    page.goto("/campaigns/new")
    expect(page.locator("[data-testid=campaign-form]")).to_be_visible()
    # Laid out: each label sits above its own input (not run together on one line).
    label = page.locator("[data-testid=campaign-name]").locator("xpath=..")
    assert page.locator("[data-testid=campaign-name]").bounding_box()["y"] > label.bounding_box()["y"] + 5
    shoot(page, "campaign-form-zh")

    start = date.today() - timedelta(days=1)  # started, so it can be closed afterwards
    _fill(page, "浏览器预览确认活动", start)
    page.click("[data-testid=campaign-preview]")
    expect(page.locator("[data-testid=campaign-steps]")).to_be_visible()
    shown = [parse_count(t) for t in page.locator("[data-testid=step-count]").all_inner_texts()]
    assert shown == _steps(web_bank, 30)
    with state.sessions() as s:
        assert s.scalars(select(Campaign).where(Campaign.name == "浏览器预览确认活动")).first() is None
    shoot(page, "campaign-preview-zh")

    page.click("[data-testid=campaign-confirm]")
    expect(page.locator("[data-testid=campaign-title]")).to_contain_text("浏览器预览确认活动")
    with state.sessions() as s:
        c = s.scalars(select(Campaign).where(Campaign.name == "浏览器预览确认活动")).one()
        n = len(list(s.scalars(select(CampaignMember).where(CampaignMember.campaign_id == c.id))))
    assert n == shown[-1]

    page.fill("[data-testid=ending-reason]", "目标客户已全部联系")
    page.click("[data-testid=close-campaign]")
    expect(page.locator("[data-testid=campaign-closing]")).to_contain_text("目标客户已全部联系")
    with state.sessions() as s:
        assert s.get(Campaign, c.id).status == "closed"
    tabs.assert_clean(page)

    # The same form and preview in English.
    with page.expect_navigation():
        page.click(".lang a[href^='/lang/en']")
    page.goto("/campaigns/new")
    _fill(page, "browser preview (en)", start)
    page.click("[data-testid=campaign-preview]")
    expect(page.locator("[data-testid=campaign-steps]")).to_contain_text("Customers left")
    shoot(page, "campaign-preview-en")
    page.goto("/rules/help")
    expect(page.locator("[data-testid=rule-columns]")).to_contain_text("age")
    shoot(page, "rules-help-en")
    with page.expect_navigation():
        page.click(".lang a[href^='/lang/zh']")
    page.goto("/rules/help")
    expect(page.locator("[data-testid=rule-columns]")).to_contain_text("年龄")
    shoot(page, "rules-help-zh")


def test_a_full_width_rule_is_accepted_in_the_audience_form(tabs, web_bank):
    from playwright.sync_api import expect

    expected = duckdb.sql(f"SELECT count(*) FROM {_mart(web_bank, 'customer_360')} "
                          "WHERE age > 30 AND tier = '贵宾'").fetchall()[0][0]
    page = tabs.open("analyst")
    page.goto("/audiences")
    page.fill("[data-testid=audience-rule]", "age ＞ 30 AND tier ＝ “贵宾”")
    page.click("[data-testid=audience-preview]")
    expect(page.locator("[data-testid=audience-count]")).to_be_visible()
    assert parse_count(page.inner_text("[data-testid=audience-count]")) == expected

    page.fill("[data-testid=audience-rule]", "age ＞ 30 AND tier = 贵宾")
    page.click("[data-testid=audience-preview]")
    error = page.locator("[data-testid=rule-error]")
    expect(error).to_contain_text("是否要加引号：'贵宾'？")
    assert error.inner_text().splitlines()[-1].strip().startswith("^")
    shoot(page, "audience-rule-error-zh")
