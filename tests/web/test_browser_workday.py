"""A customer manager's day and a branch head's view of it in a real browser (Playwright on Debian's Chromium):

the manager opens today's tasks (the menu counts them) → calls a customer (one click reveals the phone, audited
with the task as the reason) → records 有意向 with a follow-up date → the task shows the follow-up, and the 360
shows the contact; the branch head sees each manager's progress on the campaign page and the dashboard.
Screenshots on a desktop and a 390 px phone. Expectations come from the database and the snapshot.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
from sqlalchemy import select

from finecrm.core import formats
from finecrm.db.models import AuditEvent, CampaignMember, Contact
from tests.web.browser import PHONE, shoot
from tests.web.test_pages import _mart
from tests.web.test_workday import _raw, _subtree

TODAY = formats.today()  # the bank's day (Asia/Shanghai in the demo bank)


def test_a_managers_day_and_the_branch_heads_view(tabs, web_bank, login):
    from playwright.sync_api import expect

    state = web_bank.app.state.finecrm
    analyst = login("analyst")
    h = {"X-CSRF-Token": analyst.csrf}
    r = analyst.post("/api/campaigns", headers=h, json={
        "name": "浏览器：客户经理的一天", "target": "credit_card", "channel": "phone",
        "start_date": (TODAY - timedelta(days=3)).isoformat(), "end_date": (TODAY + timedelta(days=27)).isoformat()})
    assert r.status_code == 200, r.text
    cid = r.json()["id"]
    assert analyst.post(f"/api/campaigns/{cid}/assign", headers=h).status_code == 200
    staff_id = web_bank.logins["customer_manager"].staff_id
    with state.sessions() as s:
        mine = sorted((m for m in s.scalars(select(CampaignMember).where(
            CampaignMember.campaign_id == cid, CampaignMember.assigned_to == staff_id))
            if m.manager_id == staff_id), key=lambda m: m.customer_id)
    assert mine, "the demo manager holds tasks of the campaign"
    phones = dict(duckdb.sql(f"SELECT customer_id, phone FROM {_mart(web_bank, 'customer_360')}").fetchall())
    task = next(m for m in mine if phones.get(m.customer_id))

    # 1. today's tasks: the menu counts them
    manager = tabs.open("customer_manager")
    manager.goto(f"/tasks?status=due&campaign_id={cid}&sort=customer_id")
    badge = manager.locator("[data-testid=nav-badge]")
    expect(badge).to_be_visible()
    card = manager.locator(f"[data-testid=task-{task.customer_id}]")
    expect(card).to_be_visible()
    expect(card.locator("[data-testid=task-state]")).to_have_text("今日应办")
    masked = card.locator("[data-testid=task-phone]").inner_text()
    assert "*" in masked and masked != phones[task.customer_id]

    # 2. call: one click, the number in clear as a tel: link, audited with the task
    card.locator("[data-testid=task-call]").click()
    revealed = card.locator("[data-testid=task-phone-revealed]")
    expect(revealed).to_have_text(phones[task.customer_id])
    assert revealed.get_attribute("href") == f"tel:{phones[task.customer_id]}"
    with state.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "reveal_pii",
                                                   AuditEvent.target == task.customer_id)
                          .order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.details["task"] == f"campaign:{cid}:{task.customer_id}"
    shoot(manager, "workday-task-call")

    # 3. 有意向 with a follow-up date: the task leaves today's list and shows its follow-up in the open list
    follow = TODAY + timedelta(days=3)
    card.locator("[data-testid=outcome-select]").select_option("interested")
    card.locator("[data-testid=outcome-follow-up]").fill(follow.isoformat())
    card.locator("[data-testid=outcome-note]").fill("有兴趣，周四再联系")
    card.locator("[data-testid=outcome-save]").click()
    expect(manager.locator("[data-testid=task-notice]")).to_be_visible()
    expect(manager.locator(f"[data-testid=task-{task.customer_id}]")).to_have_count(0)
    manager.goto(f"/tasks?status=open&campaign_id={cid}&sort=-due")
    shown = manager.locator(f"[data-testid=task-{task.customer_id}]")
    expect(shown.locator("[data-testid=task-state]")).to_have_text(f"{follow.isoformat()} 跟进")
    expect(shown.locator("[data-testid=task-outcome]")).to_have_text("有意向")
    with state.sessions() as s:
        contact = s.scalars(select(Contact).where(Contact.customer_id == task.customer_id,
                                                  Contact.campaign_id == cid)).one()
    assert (contact.outcome, contact.follow_up_on, contact.staff_id) == ("interested", follow, staff_id)
    shoot(manager, "workday-tasks")
    manager.goto(f"/customers/{task.customer_id}")
    history = manager.locator("[data-testid=contact-history]")
    expect(history).to_contain_text("有意向")
    expect(history).to_contain_text("有兴趣，周四再联系")
    shoot(manager, "workday-customer-contacts")
    tabs.assert_clean(manager)

    # the same on a phone
    phone = tabs.open("customer_manager", viewport=PHONE)
    phone.goto(f"/tasks?status=open&campaign_id={cid}&sort=-due")
    expect(phone.locator(f"[data-testid=task-{task.customer_id}] [data-testid=task-state]")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the task list scrolls sideways on a phone ({width}px)"
    shoot(phone, "workday-tasks-phone")
    phone.goto(f"/customers/{task.customer_id}")
    shoot(phone, "workday-customer-contacts-phone")

    # 4. the branch head: each manager's progress by name, as the database counts it
    head_account = web_bank.logins["branch_head"]
    branches = _subtree(web_bank, head_account.branch_id)
    with state.sessions() as s:
        members = [m for m in s.scalars(select(CampaignMember).where(
            CampaignMember.campaign_id == cid, CampaignMember.arm == "treatment",
            CampaignMember.assigned_to.is_not(None))) if m.branch_id in branches]
    names = dict(duckdb.sql(f"SELECT staff_id, name FROM {_raw(web_bank, 'staff')}").fetchall())
    head = tabs.open("branch_head")
    head.goto(f"/campaigns/{cid}")
    table = head.locator("[data-testid=progress-table]")
    expect(table).to_be_visible()
    for sid in {m.assigned_to for m in members}:
        row = table.locator(f"[data-testid=progress-{sid}]")
        expect(row).to_contain_text(names[sid])
        theirs = [m for m in members if m.assigned_to == sid]
        expect(row.locator("[data-col=assigned]")).to_have_text(f"{len(theirs):,}")
        contacted = sum(m.outcome is not None and m.outcome != "unreachable" for m in theirs)
        expect(row.locator("[data-col=contacted]")).to_have_text(f"{contacted:,}")
    shoot(head, "workday-branch-progress")
    head.goto("/dashboard")
    expect(head.locator("[data-testid=dashboard-progress]")).to_be_visible()
    shoot(head, "workday-branch-dashboard")
    tabs.assert_clean(head)
    head_phone = tabs.open("branch_head", viewport=PHONE)
    head_phone.goto(f"/campaigns/{cid}")
    expect(head_phone.locator("[data-testid=progress-table]")).to_be_visible()
    shoot(head_phone, "workday-branch-progress-phone")
