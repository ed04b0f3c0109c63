"""The customer's voice in a real browser (Playwright on Debian's Chromium):

1. a lobby manager records a walk-in customer's complaint from the 360 through the intake form; the app's clock
   moves past the deadline; the queue shows it overdue first and escalated to the branch head, the complaint's
   history shows the escalation, and the 360 lists it;
2. an analyst draws a survey sample on the survey page, a customer opens a link from the send list (no sign-in),
   answers, cannot answer again, and the results page shows the five dimensions.
Screenshots on a desktop and a 390 px phone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from finecrm.core import formats
from finecrm.services.service.workdays import WorkCalendar
from finecrm.services.snapshot.serving import Serving
from tests.web.browser import PHONE, shoot


def test_a_lobby_complaint_goes_overdue_and_escalates(tabs, web_bank):
    from playwright.sync_api import expect

    state = web_bank.app.state.finecrm
    original = state.clock
    received = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in the bank
    state.clock = lambda: received
    try:
        branch = web_bank.logins["lobby_manager"].branch_id
        customer = Serving(web_bank.ws).sql("SELECT customer_id FROM customer_360 WHERE branch_id = ? AND kind = "
                                            "'individual' ORDER BY customer_id DESC LIMIT 1", [branch])[0]["customer_id"]
        lobby = tabs.open("lobby_manager")
        lobby.goto(f"/customers/{customer}")
        lobby.locator("[data-testid=complaint-for-customer]").click()
        expect(lobby.locator("[data-testid=intake]")).to_be_visible()
        assert lobby.locator("[data-testid=customer-id]").input_value() == customer
        lobby.locator("[data-testid=category]").select_option("service_attitude")
        lobby.locator("[data-testid=description]").fill("柜员办理挂失时态度生硬，客户等候四十分钟")
        shoot(lobby, "service-intake")
        lobby.locator("[data-testid=record]").click()
        expect(lobby.locator("[data-testid=notice]")).to_be_visible()
        cid = int(lobby.url.split("/")[-1].split("?")[0])
        due = WorkCalendar.of().add_working_days((received + timedelta(hours=8)).date(), 3)
        expect(lobby.locator("[data-testid=due-on]")).to_have_text(due.isoformat())
        expect(lobby.locator(f"[data-testid=status-{cid}]")).to_have_text("待分派")

        # The Monday after a Friday deadline (1 working day late): the queue, read by the lobby manager, escalates
        # it and puts it first.
        assert due.isoweekday() == 5
        state.clock = lambda: datetime.combine(due + timedelta(days=3), datetime.min.time(), tzinfo=UTC) \
            + timedelta(hours=2)
        lobby.goto("/service/complaints")
        first = lobby.locator("[data-testid=complaints] tbody tr").first
        expect(first).to_have_attribute("data-testid", f"complaint-{cid}")
        expect(lobby.locator(f"[data-testid=escalated-{cid}]")).to_have_text("已升级至支行行长")
        expect(lobby.locator(f"[data-testid=overdue-{cid}]")).to_have_text("逾期 1 个工作日")
        shoot(lobby, "service-queue-overdue")
        lobby.locator(f"[data-testid=open-{cid}]").click()
        expect(lobby.locator("[data-testid=event-escalated]")).to_contain_text("逾期升级")
        expect(lobby.locator("[data-testid=event-escalated]")).to_contain_text("系统按时限自动")
        shoot(lobby, "service-complaint-escalated")
        lobby.goto(f"/customers/{customer}")
        expect(lobby.locator("[data-testid=customer-complaint]").first).to_contain_text("逾期")

        phone = tabs.open("lobby_manager", viewport=PHONE)
        phone.goto("/service/complaints")
        expect(phone.locator(f"[data-testid=complaint-{cid}]")).to_be_visible()
        shoot(phone, "service-queue-phone")
        tabs.assert_clean(lobby)
    finally:
        state.clock = original


def test_a_survey_drawn_answered_through_a_link_and_its_results(tabs, web_bank):
    from playwright.sync_api import expect

    analyst = tabs.open("analyst")
    analyst.goto("/service/surveys")
    analyst.locator("[data-testid=survey-name]").fill("十二月网点服务满意度")
    analyst.locator("[data-testid=survey-size]").fill("40")
    analyst.locator("[data-testid=survey-strata]").select_option("branch")
    analyst.locator("[data-testid=draw-submit]").click()
    expect(analyst.locator("[data-testid=links-once]")).to_be_visible()
    links = analyst.locator("[data-testid=link]")
    expect(links).to_have_count(40)
    href = links.first.get_attribute("href")
    assert href and href.startswith("/s/")
    shoot(analyst, "service-survey-drawn")

    customer = tabs.open()  # no sign-in
    customer.goto(href)
    expect(customer.locator("[data-testid=public-survey]")).to_be_visible()
    assert customer.locator("[data-testid=logout]").count() == 0
    for q, score in (("rel_1", 5), ("rel_2", 4), ("res_1", 2), ("res_2", 3), ("ass_1", 5), ("ass_2", 5),
                     ("emp_1", 4), ("emp_2", 4), ("tan_1", 3), ("tan_2", 4)):
        customer.locator(f"[data-testid=q-{q}-{score}]").check()
    customer.locator("[data-testid=q-comment]").fill("希望周末多开一个窗口")
    shoot(customer, "service-survey-public")
    customer.locator("[data-testid=submit-answers]").click()
    expect(customer.locator("[data-testid=survey-thanks]")).to_be_visible()
    customer.goto(href)
    expect(customer.locator("[data-testid=survey-refused]")).to_be_visible()

    small = tabs.open(viewport=PHONE)
    small.goto(links.nth(1).get_attribute("href") or "")
    expect(small.locator("[data-testid=public-survey]")).to_be_visible()
    shoot(small, "service-survey-public-phone")

    analyst.locator("[data-testid=to-results]").click()
    table = analyst.locator("[data-testid=dimensions]")
    for code, name in (("reliability", "可靠性"), ("responsiveness", "响应性"), ("assurance", "保证性"),
                       ("empathy", "同情性"), ("tangibles", "有形性")):
        expect(table.locator(f"[data-testid=dim-{code}]")).to_contain_text(name)
    # One respondent: satisfied on reliability (4.5), assurance (5), empathy (4); not on responsiveness (2.5) or
    # tangibles (3.5).
    expect(table.locator("[data-testid=dim-reliability] td").nth(2)).to_have_text("100%")
    expect(table.locator("[data-testid=dim-responsiveness] td").nth(2)).to_have_text("0%")
    expect(analyst.locator("[data-testid=response-rate] .kpi-value")).to_have_text(formats.pct(1 / 40))
    analyst.wait_for_timeout(500)  # the chart draws
    shoot(analyst, "service-survey-results")
    tabs.assert_clean(analyst)
