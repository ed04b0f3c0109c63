"""A customer manager's day on the workbench in a real browser (Playwright on Debian's Chromium): sign-in lands on
the workbench → the month's visit plan → the customer's 360 → a visit logged from there → the plan shows the
customer visited and the daily standard counts the visit. And the lobby manager's referral page. Screenshots on
a desktop and a 390 px phone. Expectations come from the database (plain SQL) and the snapshot (DuckDB)."""

from __future__ import annotations

from typing import Any

import duckdb
from sqlalchemy import text

from tests.web.browser import PHONE, parse_count, shoot
from tests.web.test_pages import _mart


def _sql(web_bank: Any, query: str, **params: Any) -> list[Any]:
    with web_bank.app.state.finecrm.engine.connect() as c:
        return list(c.execute(text(query), params))


def test_a_managers_day_on_the_workbench(tabs, web_bank):
    from playwright.sync_api import expect

    staff_id = web_bank.logins["customer_manager"].staff_id
    planned = {r[0] for r in duckdb.sql(f"SELECT customer_id FROM {_mart(web_bank, 'visit_plan')} "
                                        f"WHERE manager_id = '{staff_id}'").fetchall()}
    assert planned

    # 1. sign-in lands on the workbench: the daily standard and today's plan
    page = tabs.open("customer_manager")
    page.goto("/")
    expect(page).to_have_url(f"{tabs.base_url}/workbench")
    expect(page.locator("[data-testid=daily-standard]")).to_be_visible()
    new_before = parse_count(page.locator("[data-testid=standard-new_visits-done]").inner_text())
    old_before = parse_count(page.locator("[data-testid=standard-existing_visits-done]").inner_text())
    shoot(page, "routine-home")

    # 2. the month's plan: statistics and the customers due, overdue first
    page.locator("[data-testid=plan-link]").click()
    expect(page).to_have_url(f"{tabs.base_url}/workbench/plan")
    stats = page.locator(f"[data-testid=stats-{staff_id}]")
    assert parse_count(stats.locator("[data-testid=stats-planned]").inner_text()) == len(planned)
    done_before = parse_count(stats.locator("[data-testid=stats-done]").inner_text())
    first = page.locator("[data-testid=plan-table] tbody tr").first
    customer_id = first.get_attribute("data-testid").removeprefix("plan-")
    assert customer_id in planned
    assert first.locator("[data-testid=plan-state]").inner_text() in ("待走访", "逾期")
    shoot(page, "routine-plan")
    visited_before = bool(_sql(web_bank, "SELECT 1 FROM contacts WHERE customer_id = :c AND kind IN ('visit', "
                                         "'meeting')", c=customer_id))

    # 3. the customer's 360 → log a visit from there
    first.locator("a.code").click()
    expect(page).to_have_url(f"{tabs.base_url}/customers/{customer_id}")
    page.locator("[data-testid=log-entry-new]").click()
    expect(page.locator("[data-testid=form-customer]")).to_contain_text(customer_id)
    page.locator("[data-testid=log-form-kind]").select_option("visit")
    page.locator("[data-testid=log-form-place]").fill("客户家中")
    page.locator("[data-testid=log-form-note]").fill("上门走访，了解理财到期安排")
    page.locator("[data-testid=log-form-outcome]").select_option("interested")
    page.locator("[data-testid=log-form-next]").fill("下周送产品资料")
    shoot(page, "routine-log-form")
    page.locator("[data-testid=log-form-save]").click()
    expect(page).to_have_url(f"{tabs.base_url}/customers/{customer_id}?notice="
                             + ("existing_visit" if visited_before else "new_visit"))
    expect(page.locator("[data-testid=log-notice]")).to_be_visible()
    expect(page.locator("[data-testid=contact-history]")).to_contain_text("上门走访，了解理财到期安排")
    row = _sql(web_bank, "SELECT kind, place, outcome, next_step, source, staff_id FROM contacts WHERE customer_id = :c "
                         "ORDER BY id DESC", c=customer_id)[0]
    assert tuple(row) == ("visit", "客户家中", "interested", "下周送产品资料", "customer", staff_id)
    shoot(page, "routine-360-logged")

    # 4. the plan shows the customer visited, one more done
    page.goto("/workbench/plan?status=done")
    expect(page.locator(f"[data-testid=plan-{customer_id}] [data-testid=plan-state]")).to_have_text("已走访")
    stats = page.locator(f"[data-testid=stats-{staff_id}]")
    assert parse_count(stats.locator("[data-testid=stats-done]").inner_text()) == done_before + 1

    # 5. the daily standard counts the visit (new: nobody had visited the customer before)
    page.goto("/workbench")
    new_after = parse_count(page.locator("[data-testid=standard-new_visits-done]").inner_text())
    old_after = parse_count(page.locator("[data-testid=standard-existing_visits-done]").inner_text())
    assert (new_after, old_after) == ((new_before, old_before + 1) if visited_before else (new_before + 1, old_before))
    tabs.assert_clean(page)

    # the home on a phone
    small = tabs.open("customer_manager", viewport=PHONE)
    small.goto("/workbench")
    expect(small.locator("[data-testid=daily-standard]")).to_be_visible()
    shoot(small, "routine-home-phone")


def test_the_lobby_managers_referral_page(tabs, web_bank):
    from playwright.sync_api import expect

    page = tabs.open("lobby_manager")
    page.goto("/")
    expect(page).to_have_url(f"{tabs.base_url}/workbench/referrals")
    before = parse_count(page.locator("[data-testid=referral-today]").inner_text())
    page.locator("[data-testid=referral-name]").fill("陈晓华")
    page.locator("[data-testid=referral-phone]").fill("13912345678")
    page.locator("[data-testid=referral-interest]").select_option("wealth")
    page.locator("[data-testid=referral-to]").select_option(web_bank.logins["customer_manager"].staff_id)
    page.locator("[data-testid=referral-save]").click()
    expect(page.locator("[data-testid=referral-notice]")).to_be_visible()
    assert parse_count(page.locator("[data-testid=referral-today]").inner_text()) == before + 1
    made = page.locator("[data-testid=referrals-made]")
    expect(made).to_contain_text("139****5678")  # masked once entered
    expect(made).not_to_contain_text("13912345678")
    expect(made).not_to_contain_text("陈晓华")
    shoot(page, "routine-referrals-lobby")
    tabs.assert_clean(page)
