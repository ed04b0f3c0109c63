"""A risk officer's round in a real browser (Playwright on Debian's Chromium): the portfolio → a loan past due →
a milder category proposed with a reason → a second officer approves it → the loan shows the category in force;
then an early warning is taken, noted and closed with an outcome and a reason. Screenshots on a desktop and a
390 px phone. Expectations come from the snapshot and the database.
"""

from __future__ import annotations

import duckdb
from sqlalchemy import select

from finecrm.core import formats
from finecrm.db import repositories
from finecrm.db.models import AuditEvent, CategoryOverride, WarningStep
from finecrm.db.session import make_engine, session_factory
from finecrm.services.access import users
from finecrm.services.workspace import known_branches
from tests.web.browser import PHONE, shoot
from tests.web.browser import sign_in as browser_sign_in
from tests.web.test_pages import _mart

REVIEWER, REVIEWER_PASSWORD = "risk_reviewer_web", "Vb8#qLm3-Tz6w!"


def _reviewer(web_bank) -> None:
    engine = make_engine(web_bank.ws.database_url)
    with session_factory(engine)() as s, s.begin():
        if repositories.get_user(s, username=REVIEWER) is None:
            users.add_user(s, username=REVIEWER, role="risk_officer", password=REVIEWER_PASSWORD, actor="tests",
                           must_change_password=False, branches=known_branches(web_bank.ws) or {},
                           branch_id=web_bank.logins["risk_officer"].branch_id)
    engine.dispose()


def test_a_risk_officers_round(tabs, web_bank):
    from playwright.sync_api import expect

    state = web_bank.app.state.finecrm
    _reviewer(web_bank)
    with state.sessions() as s:
        touched = set(s.scalars(select(CategoryOverride.loan_id)))
        worked = set(s.scalars(select(WarningStep.warning_id)))
    loans = duckdb.sql(f"SELECT loan_id, final_category FROM {_mart(web_bank, 'loan_classification')} "
                       "WHERE final_category IN ('special_mention', 'substandard') ORDER BY loan_id DESC").fetchall()
    loan_id = next(lid for lid, _ in loans if lid not in touched)

    # 1. the portfolio: counts by category as the snapshot has them
    officer = tabs.open("risk_officer")
    officer.goto("/credit")
    expect(officer.locator("[data-testid=loans]")).to_have_text(formats.number(
        duckdb.sql(f"SELECT count(*) FROM {_mart(web_bank, 'loan_classification')}").fetchall()[0][0]))
    shoot(officer, "credit-portfolio")

    # 2. a loan past due: propose the milder 正常 with a reason — it waits for a second officer
    officer.goto(f"/credit/loans/{loan_id}")
    expect(officer.locator("[data-testid=loan-title]")).to_contain_text(loan_id)
    officer.select_option("[data-testid=new-category]", "normal")
    officer.fill("[data-testid=reason]", "借款人已结清逾期款项，银行流水可证")
    officer.click("[data-testid=propose-submit]")
    expect(officer.locator("[data-testid=notice]")).to_contain_text("复核")
    expect(officer.locator("[data-testid=pending]")).to_be_visible()
    shoot(officer, "credit-loan-proposed")

    # 3. the second officer approves it from the queue
    reviewer = tabs.open()
    browser_sign_in(reviewer, tabs.base_url, REVIEWER, REVIEWER_PASSWORD)
    reviewer.goto("/credit/approvals")
    with state.sessions() as s:
        change = s.scalars(select(CategoryOverride).where(CategoryOverride.loan_id == loan_id)).one()
    row = reviewer.locator(f"[data-testid=change-{change.id}]")
    expect(row).to_contain_text("借款人已结清逾期款项")
    row.locator(f"[data-testid=note-{change.id}]").fill("核对流水无误，同意")
    row.locator(f"[data-testid=approve-{change.id}]").click()
    expect(reviewer.locator("[data-testid=notice]")).to_be_visible()
    with state.sessions() as s:
        decided = s.get(CategoryOverride, change.id)
        assert decided.status == "approved" and decided.decided_by == REVIEWER

    # 4. the loan now shows 正常 in force (in the totals after the next build)
    officer.goto(f"/credit/loans/{loan_id}")
    expect(officer.locator(".badges")).to_contain_text("正常")
    expect(officer.locator("[data-testid=changes]")).to_contain_text("核对流水无误，同意")

    # 5. an early warning: take it, note what was found, close it with an outcome and a reason
    mart = _mart(web_bank, "credit_warnings")
    wid = next(w for (w,) in duckdb.sql(f"SELECT warning_id FROM {mart} ORDER BY exposure DESC").fetchall()
               if w not in worked)
    officer.goto("/credit/warnings")
    expect(officer.locator("[data-testid=warnings-table]")).to_be_visible()
    shoot(officer, "credit-warnings")
    officer.goto(f"/credit/warnings/{wid}")
    officer.click("[data-testid=take]")
    expect(officer.locator("[data-testid=notice]")).to_have_text("已指派。")
    expect(officer.locator("[data-testid=warning-status]")).to_contain_text("处置中")
    officer.fill("[data-testid=note]", "已约借款人面谈")
    officer.click("[data-testid=add-note]")
    officer.select_option("[data-testid=outcome]", "resolved")
    officer.fill("[data-testid=close-note]", "借款人补足存款，风险已化解")
    officer.click("[data-testid=close]")
    expect(officer.locator("[data-testid=warning-status]")).to_contain_text("已关闭")
    expect(officer.locator("[data-testid=warning-steps]")).to_contain_text("借款人补足存款，风险已化解")
    shoot(officer, "credit-warning-closed")
    with state.sessions() as s:
        steps = [w.step for w in s.scalars(select(WarningStep).where(WarningStep.warning_id == wid)
                                           .order_by(WarningStep.id))]
        audited = {e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.target == f"warning:{wid}"))}
    assert steps == ["assign", "note", "close"]
    assert audited == {"credit_warning_assign", "credit_warning_note", "credit_warning_close"}

    # 6. the warnings on a phone: one column, readable
    phone = tabs.open("risk_officer", viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto("/credit/warnings")
    expect(phone.locator("[data-testid=warnings-table]")).to_be_visible()
    shoot(phone, "credit-warnings-phone")
    for page in (officer, reviewer, phone):
        tabs.assert_clean(page)
