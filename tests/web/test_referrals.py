"""Referrals from the lobby through the real app: a lobby manager refers a prospect (masked after entry) and an
existing customer to the demo customer manager, the follow-up deadline is the next working day, the day's count
stands against the quota; the manager takes one, reveals the prospect's phone (audited) and records the
follow-up (an existing customer's contact lands in the contact history); a referral past its deadline is
overdue; refusals. Expectations are read here from the database with plain SQL and the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pytest
from sqlalchemy import text

from finecrm.core import formats
from tests.web.test_pages import _mart

TZ = "Asia/Shanghai"


def _sql(web_bank, query: str, **params: Any) -> list[Any]:
    with web_bank.app.state.finecrm.engine.begin() as c:
        result = c.execute(text(query), params)
        return list(result) if result.returns_rows else []


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture(scope="module")
def people(login):
    return login("lobby_manager"), login("customer_manager")


def test_a_lobby_referral_is_taken_revealed_and_followed_up(people, web_bank):
    lobby, manager = people
    to = manager.account.staff_id
    before = lobby.get("/api/workbench/referrals").json()
    assert before["quota"] == 1
    h = {"X-CSRF-Token": lobby.csrf}
    r = lobby.post("/api/workbench/referrals", headers=h, json={
        "prospect_name": "王小明", "prospect_phone": "138-0013-8000", "interest": "wealth", "to_staff_id": to,
        "note": "咨询理财"})
    assert r.status_code == 200, r.text
    made = r.json()
    today = formats.today(TZ)
    assert made["due_on"] == _next_working_day(today).isoformat()
    assert made["name"] != "王小明" and "*" in made["name"] and "*" in made["phone"] and "8000" not in made["phone"][:7]
    stored = _sql(web_bank, "SELECT prospect_name, prospect_phone, referrer_staff_id, status FROM referrals WHERE id = :i",
                  i=made["id"])[0]
    assert tuple(stored) == ("王小明", "13800138000", lobby.account.staff_id, "open")
    details = _sql(web_bank, "SELECT details FROM audit_events WHERE action = 'referral_record' AND target = :t",
                   t=f"referral:{made['id']}")[0][0]
    assert "13800138000" not in str(details) and "王小明" not in str(details)
    after = lobby.get("/api/workbench/referrals").json()
    assert after["today_count"] == before["today_count"] + 1
    assert made["id"] in {x["id"] for x in after["made"]}

    # an existing customer of the lobby's branch
    customer = duckdb.sql(f"SELECT customer_id FROM {_mart(web_bank, 'customer_360')} WHERE branch_id = "
                          f"'{lobby.account.branch_id}' AND lifecycle <> 'lost' ORDER BY customer_id LIMIT 1").fetchall()
    assert customer
    existing = lobby.post("/api/workbench/referrals", headers=h, json={
        "customer_id": customer[0][0], "interest": "time_deposit", "to_staff_id": to}).json()
    assert existing["customer_id"] == customer[0][0]

    # the manager sees both, takes the prospect, reveals the phone (audited) and follows up the customer
    m = {"X-CSRF-Token": manager.csrf}
    mine = {x["id"]: x for x in manager.get("/api/workbench/referrals").json()["to_me"]}
    assert {made["id"], existing["id"]} <= set(mine) and mine[made["id"]]["state"] == "due"
    assert manager.post(f"/api/workbench/referrals/{made['id']}/accept", headers=m).json()["status"] == "accepted"
    page = manager.post(f"/workbench/referrals/{made['id']}/phone", headers=m)
    assert page.status_code == 200 and "13800138000" in page.text
    assert _sql(web_bank, "SELECT count(*) FROM audit_events WHERE action = 'reveal_pii' AND target = :t",
                t=f"referral:{made['id']}")[0][0] == 1
    done = manager.post(f"/api/workbench/referrals/{existing['id']}/work", headers=m,
                        json={"outcome": "interested", "kind": "call", "note": "约周五面谈"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "worked"
    contact = _sql(web_bank, "SELECT kind, source, staff_id, outcome FROM contacts WHERE customer_id = :c AND "
                             "source = 'referral' ORDER BY id DESC", c=customer[0][0])[0]
    assert tuple(contact) == ("call", "referral", manager.account.staff_id, "interested")
    states = {x["id"]: x["state"] for x in manager.get("/api/workbench/referrals").json()["to_me"]}
    assert states[existing["id"]] == "done" and states[made["id"]] == "due"
    # twice is refused; the lobby sees the outcome
    assert manager.post(f"/api/workbench/referrals/{existing['id']}/work", headers=m,
                        json={"outcome": "agreed"}).status_code == 400
    seen = {x["id"]: x for x in lobby.get("/api/workbench/referrals").json()["made"]}
    assert seen[existing["id"]]["outcome"] == "interested"
    # the pages
    assert 'data-testid="referral-form"' in lobby.get("/workbench/referrals").text
    assert f'data-testid="referral-{made["id"]}"' in manager.get("/workbench/referrals").text


def test_a_referral_past_its_deadline_is_overdue(people, web_bank):
    lobby, manager = people
    long_ago = datetime.now(UTC) - timedelta(days=10)
    _sql(web_bank, "INSERT INTO referrals (created_at, created_by, referrer_staff_id, branch_id, prospect_name, "
                   "prospect_phone, interest, to_staff_id, due_on, status) VALUES (:t, :u, :s, :b, '李四', '13900000000', "
                   "'loan', :to, :due, 'open')", t=long_ago, u=lobby.account.username, s=lobby.account.staff_id,
         b=lobby.account.branch_id, to=manager.account.staff_id,
         due=_next_working_day(formats.local(long_ago, TZ).date()))
    rid = _sql(web_bank, "SELECT max(id) FROM referrals")[0][0]
    rows = manager.get("/api/workbench/referrals").json()["to_me"]
    assert {x["id"]: x["state"] for x in rows}[rid] == "overdue"
    assert rows[0]["state"] == "overdue"  # overdue first


def test_refusals(people, login, web_bank):
    lobby, manager = people
    h = {"X-CSRF-Token": lobby.csrf}
    to = manager.account.staff_id
    n = _sql(web_bank, "SELECT count(*) FROM referrals")[0][0]
    both = {"customer_id": "X", "prospect_name": "赵六", "prospect_phone": "13700000000", "interest": "loan",
            "to_staff_id": to}
    assert lobby.post("/api/workbench/referrals", headers=h, json=both).status_code == 400
    base = {"prospect_name": "赵六", "interest": "loan", "to_staff_id": to}
    assert lobby.post("/api/workbench/referrals", headers=h, json={**base, "prospect_phone": "12ab"}).status_code == 400
    assert lobby.post("/api/workbench/referrals", headers=h,
                      json={**base, "prospect_phone": "13700000000", "interest": "gold"}).status_code == 400
    assert lobby.post("/api/workbench/referrals", headers=h,
                      json={**base, "prospect_phone": "13700000000", "to_staff_id": "NOBODY"}).status_code == 404
    assert lobby.post("/api/workbench/referrals", headers=h,
                      json={**base, "prospect_phone": "13700000000",
                            "to_staff_id": lobby.account.staff_id}).status_code == 400  # not a customer manager
    assert _sql(web_bank, "SELECT count(*) FROM referrals")[0][0] == n
    # the lobby manager cannot take or work a referral; nobody can touch one that is not theirs
    rid = _sql(web_bank, "SELECT max(id) FROM referrals")[0][0]
    assert lobby.post(f"/api/workbench/referrals/{rid}/accept", headers=h).status_code == 403
    assert manager.post("/api/workbench/referrals/999999/accept",
                        headers={"X-CSRF-Token": manager.csrf}).status_code == 404
    assert login("analyst").get("/workbench/referrals").status_code == 403
