"""A collector's round and a risk officer's oversight in a real browser at 390 px (Playwright on Debian's Chromium):

the collector opens the queue (their assigned loans by priority) → a loan's card → calls (one click reveals the
phone as a tel: link, audited with the loan as the task) → records a promise to pay → renders the reminder letter as
a printable page; the risk officer reassigns a loan to the collector (who can then open it) and sees the broken
promises list. A promise made in the past is written to the database directly (the form only takes days to come),
and whether it is broken is worked out here from the generated schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
from sqlalchemy import select

from finecrm.core import formats
from finecrm.db.models import AuditEvent, CollectionAssignment, CollectionContact, CollectionPromise
from tests.web.browser import PHONE, shoot
from tests.web.test_pages import _mart
from tests.web.test_workday import _raw


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{page.url} scrolls sideways on a phone ({width}px)"


def test_a_collectors_round_and_the_oversight_on_a_phone(tabs, web_bank, login):
    from playwright.sync_api import expect

    state = web_bank.app.state.finecrm
    me = web_bank.logins["collector"].staff_id
    with state.sessions() as s:
        held = {a.loan_id: a.staff_id for a in s.scalars(select(CollectionAssignment).where(
            CollectionAssignment.ended_at.is_(None)))}
    queue = {r[0]: r[1:] for r in duckdb.sql(
        f"SELECT loan_id, customer_id, priority_rank, dpd, as_of_date FROM {_mart(web_bank, 'collection_queue')}")
        .fetchall()}
    phones = dict(duckdb.sql(f"SELECT customer_id, phone FROM {_mart(web_bank, 'customer_360')}").fetchall())
    mine = sorted((k for k, v in held.items() if v == me), key=lambda k: queue[k][1])
    first = mine[0]

    # 1. the queue: the collector's start page, their loans by priority
    collector = tabs.open("collector", viewport=PHONE)
    collector.goto("/")
    expect(collector).to_have_url(f"{collector.url.split('/collections')[0]}/collections")
    cards = collector.locator("[data-testid=queue] li.queue-item")
    expect(cards.first).to_have_attribute("data-testid", f"queue-{first}")
    _fits(collector)
    shoot(collector, "collections-queue-phone")

    # 2. the loan's card; the call reveals the phone, audited with the loan as the task
    loan_id = next(k for k in mine if phones.get(queue[k][0]))
    collector.goto(f"/collections/loans/{loan_id}")
    expect(collector.locator("[data-testid=dpd]")).to_have_text(f"{queue[loan_id][2]:,}")
    collector.locator("[data-testid=call]").click()
    revealed = collector.locator("[data-testid=phone-revealed]")
    expect(revealed).to_have_text(phones[queue[loan_id][0]])
    assert revealed.get_attribute("href") == f"tel:{phones[queue[loan_id][0]]}"
    with state.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "reveal_pii",
                                                   AuditEvent.target == queue[loan_id][0])
                          .order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.details["task"] == f"collections:{loan_id}"
    assert event.details["fields"] == ["phone"]

    # 3. a promise to pay
    promised = formats.today(web_bank.ws.settings.bank.timezone) + timedelta(days=5)
    collector.locator("[data-testid=result]").select_option("promise")
    collector.locator("[data-testid=promise-amount]").fill("1200")
    collector.locator("[data-testid=promise-on]").fill(promised.isoformat())
    collector.locator("[data-testid=notes]").fill("借款人答应五天内先还一部分")
    collector.locator("[data-testid=record]").click()
    expect(collector.locator("[data-testid=notice]")).to_be_visible()
    promises = collector.locator("[data-testid=promises] tbody tr")
    expect(promises.first).to_contain_text("承诺待兑现")
    expect(collector.locator("[data-testid=contacts]")).to_contain_text("借款人答应五天内先还一部分")
    with state.sessions() as s:
        p = s.scalars(select(CollectionPromise).where(CollectionPromise.loan_id == loan_id)
                      .order_by(CollectionPromise.id.desc())).first()  # other tests of the session may promise too
    assert p is not None
    assert (float(p.amount), p.promised_on, p.staff_id) == (1200.0, promised, me)
    _fits(collector)
    shoot(collector, "collections-loan-phone")

    # 4. the reminder letter as a printable page (nothing is sent)
    with collector.expect_popup() as popup:
        collector.locator("[data-testid=letter]").click()
    letter = popup.value
    letter.wait_for_load_state()
    body = letter.locator("[data-testid=letter]")
    expect(body).to_contain_text("催收函")
    expect(body).to_contain_text(loan_id)
    expect(body).to_contain_text(f"已逾期 {queue[loan_id][2]} 天")
    _fits(letter)
    shoot(letter, "collections-letter-phone")
    tabs.assert_clean(collector)

    # 5. a broken promise: made in the past on a loan with no repayment since its first unpaid instalment
    api = login("risk_officer")
    other = next(k for k, v in sorted(held.items()) if v != me and queue[k][2] >= 10
                 and api.get(f"/api/credit/loans/{k}").status_code == 200)  # in the officer's scope
    as_of = queue[other][3]
    made, due = as_of - timedelta(days=queue[other][2] - 1), as_of - timedelta(days=1)
    paid = duckdb.sql(f"SELECT count(*) FROM {_raw(web_bank, 'loan_schedule')} WHERE loan_id = ? AND paid_date "
                      f"BETWEEN ? AND ?", params=[other, made, due]).fetchall()[0][0]
    assert paid == 0  # worked out here: nothing was repaid in the window, so the promise is broken
    with state.sessions() as s, s.begin():
        c = CollectionContact(loan_id=other, customer_id=queue[other][0], staff_id=held[other], username="tests",
                              at=datetime.now(UTC), channel="phone",
                              result="promise")
        s.add(c)
        s.flush()
        s.add(CollectionPromise(contact_id=c.id, loan_id=other, customer_id=queue[other][0], staff_id=held[other],
                                amount=800, made_on=made, promised_on=due))

    # 6. the risk officer: broken promises, then reassigns that loan to the collector
    officer = tabs.open("risk_officer", viewport=PHONE)
    officer.goto("/collections/oversight")
    expect(officer.locator(f"[data-testid=broken-{other}]")).to_be_visible()
    expect(officer.locator("[data-testid=rolls]")).to_contain_text("M1")
    _fits(officer)
    shoot(officer, "collections-oversight-phone")
    officer.locator("[data-testid=reassign-loan]").fill(other)
    officer.locator("[data-testid=reassign-staff]").select_option(me)
    officer.locator("[data-testid=reassign-reason]").fill("原催收员休假，临时改派")
    officer.locator("[data-testid=reassign-submit]").click()
    expect(officer.locator("[data-testid=notice]")).to_be_visible()
    tabs.assert_clean(officer)
    with state.sessions() as s:
        assert s.scalars(select(CollectionAssignment.staff_id).where(
            CollectionAssignment.loan_id == other, CollectionAssignment.ended_at.is_(None))).one() == me
    collector.goto(f"/collections/loans/{other}")
    expect(collector.locator("[data-testid=loan-title]")).to_contain_text(other)
    expect(collector.locator("[data-testid=promises]")).to_contain_text("承诺未兑现")
    shoot(collector, "collections-reassigned-phone")
