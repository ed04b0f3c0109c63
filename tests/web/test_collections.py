"""Collections through the real app on the session's bank: the build assigned the queue to collectors by the
rules; a collector sees exactly their assigned loans (404 for every other one, on the web and in the CLI), records a
contact with a promise, renders a letter; a risk officer reassigns a loan and the access moves with it.

Expectations are counted here from the published marts and the operational database, not from the code under test.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import pytest
from sqlalchemy import select

from finecrm.db.models import AuditEvent, CollectionAssignment
from finecrm.db.session import make_engine, session_factory
from finecrm.services.collections import assignment
from tests.cli.shell import run
from tests.web.test_pages import _mart


def _open_assignments(web_bank) -> dict[str, str]:
    engine = make_engine(web_bank.ws.database_url)
    try:
        with session_factory(engine)() as s:
            return {a.loan_id: a.staff_id for a in s.scalars(
                select(CollectionAssignment).where(CollectionAssignment.ended_at.is_(None)))}
    finally:
        engine.dispose()


def _rules_assignments(web_bank) -> dict[str, str]:
    """What the build's rules assigned, including assignments a person has since moved (other tests reassign)."""
    engine = make_engine(web_bank.ws.database_url)
    try:
        with session_factory(engine)() as s:
            return {a.loan_id: a.staff_id for a in s.scalars(
                select(CollectionAssignment).where(CollectionAssignment.assigned_by == "rules")
                .order_by(CollectionAssignment.id))}
    finally:
        engine.dispose()


def _audit(web_bank, action: str) -> list[AuditEvent]:
    engine = make_engine(web_bank.ws.database_url)
    try:
        with session_factory(engine)() as s:
            return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))
    finally:
        engine.dispose()


def _queue_ids(client) -> list[str]:
    ids, page = [], 1
    while True:
        doc = client.get("/api/collections/queue", params={"page": page}).json()
        ids += [r["loan_id"] for r in doc["rows"]]
        if page * doc["page_size"] >= doc["total"]:
            return ids
        page += 1


def test_the_build_assigned_the_queue_by_the_rules(web_bank):
    queue = dict(duckdb.sql(f"SELECT loan_id, priority_rank FROM {_mart(web_bank, 'collection_queue')}").fetchall())
    held = _rules_assignments(web_bank)
    staff = [c.staff_id for c in assignment.collectors(web_bank.ws)]
    cap = web_bank.ws.settings.collections.assignment.capacity_per_collector
    assert len(staff) >= 2 and queue
    assert set(held) <= set(queue)  # only loans of the queue are held
    assert len(held) == min(len(queue), cap * len(staff))  # every loan, up to the collectors' capacity
    counts = [list(held.values()).count(s) for s in staff]
    assert max(counts) - min(counts) <= 1  # the fewest-held collector takes the next loan


def test_a_collector_sees_exactly_their_loans_and_404_for_the_others(web_bank, login):
    me = web_bank.logins["collector"].staff_id
    held = _open_assignments(web_bank)
    mine = {k for k, v in held.items() if v == me}
    assert mine, "the demo collector holds no loan"
    collector = login("collector")
    ids = _queue_ids(collector)
    assert set(ids) == mine and len(ids) == len(mine)
    ranks = [r["priority_rank"] for r in collector.get("/api/collections/queue").json()["rows"]]
    assert ranks == sorted(ranks)
    other = next(k for k, v in held.items() if v != me)
    for path in (f"/api/collections/loans/{other}", f"/collections/loans/{other}", "/api/collections/loans/NOPE"):
        assert collector.get(path).status_code == 404, path
    assert collector.get(f"/api/collections/loans/{sorted(mine)[0]}").status_code == 200
    # the borrower of another collector's loan is not visible either
    q = {r[0]: r[1] for r in duckdb.sql(f"SELECT loan_id, customer_id FROM {_mart(web_bank, 'collection_queue')}")
         .fetchall()}
    borrowers = {q[k] for k in mine}
    stranger = next(q[k] for k in held if held[k] != me and q[k] not in borrowers)
    assert collector.get(f"/api/customers/{stranger}").status_code == 404
    # the start page of a collector is the queue
    assert collector.get("/", follow_redirects=False).headers.get("location", "").endswith("/collections")


def test_the_cli_gives_a_collector_the_same_loans(web_bank):
    me = web_bank.logins["collector"]
    held = _open_assignments(web_bank)
    mine = sorted(k for k, v in held.items() if v == me.staff_id)
    other = next(k for k, v in held.items() if v != me.staff_id)
    env = {"FINECRM_CLI_ROLE": "", "FINECRM_CLI_USER": me.username}
    r = run("collections", "queue", "--json", "--home", str(web_bank.home), env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["total"] == len(mine)
    r = run("collections", "loan", other, "--home", str(web_bank.home), env=env)
    assert r.returncode != 0 and "no such loan" in (r.stdout + r.stderr)  # the same answer as a loan that never was
    r = run("collections", "loan", mine[0], "--json", "--home", str(web_bank.home), env=env)
    assert r.returncode == 0 and json.loads(r.stdout)["loan"]["loan_id"] == mine[0]


def test_a_contact_with_a_promise_and_a_letter_are_kept(web_bank, login):
    collector = login("collector")
    loan_id = collector.get("/api/collections/queue").json()["rows"][0]["loan_id"]
    h = {"X-CSRF-Token": collector.csrf}
    before = len(_audit(web_bank, "reveal_pii"))
    r = collector.post(f"/api/collections/loans/{loan_id}/call", headers=h, json={"reason": ""})
    assert r.status_code == 200 and r.json()["text"]
    assert len(_audit(web_bank, "reveal_pii")) == before + 1
    on = (date.today() + timedelta(days=7)).isoformat()
    r = collector.post(f"/api/collections/loans/{loan_id}/contacts", headers=h, json={
        "channel": "phone", "result": "promise", "notes": "答应下周还", "promise_amount": 500, "promise_on": on,
        "template": "sms"})
    assert r.status_code == 200, r.text
    assert loan_id in r.json()["rendered_text"]
    # a promise without its day is refused with a clear 4xx
    bad = collector.post(f"/api/collections/loans/{loan_id}/contacts", headers=h,
                         json={"channel": "phone", "result": "promise"})
    assert bad.status_code == 422
    card = collector.get(f"/api/collections/loans/{loan_id}").json()
    assert card["contacts"][0]["result"] == "promise"
    assert card["promises"][0]["amount"] == 500 and card["promises"][0]["status"] == "pending"
    letter = collector.post(f"/collections/loans/{loan_id}/letter", data={"csrf_token": collector.csrf,
                                                                           "template": "letter"})
    assert letter.status_code == 200 and "催收函" in letter.text and loan_id in letter.text


def test_a_risk_officer_reassigns_and_the_access_moves(web_bank, login):
    me = web_bank.logins["collector"].staff_id
    held = _open_assignments(web_bank)
    other_loan = next(k for k, v in held.items() if v != me)
    collector = login("collector")
    assert collector.get(f"/api/collections/loans/{other_loan}").status_code == 404
    officer = login("risk_officer")
    assert officer.get("/api/collections/oversight").status_code == 200
    assert collector.get("/api/collections/oversight").status_code == 403
    h = {"X-CSRF-Token": officer.csrf}
    assert officer.post(f"/api/collections/loans/{other_loan}/assignment", headers=h,
                        json={"staff_id": me, "reason": "x"}).status_code == 422  # a reason is required
    r = officer.post(f"/api/collections/loans/{other_loan}/assignment", headers=h,
                     json={"staff_id": me, "reason": "原催收员休假，临时改派"})
    assert r.status_code == 200, r.text
    assert _open_assignments(web_bank)[other_loan] == me
    assert collector.get(f"/api/collections/loans/{other_loan}").status_code == 200
    events = _audit(web_bank, "collections_reassigned")
    assert events and events[-1].target == f"loan:{other_loan}" and events[-1].details["to"] == me
    # and back: the collector loses it again at once
    back = held[other_loan]
    r = officer.post(f"/api/collections/loans/{other_loan}/assignment", headers=h,
                     json={"staff_id": back, "reason": "休假结束，交回原催收员"})
    assert r.status_code == 200
    assert collector.get(f"/api/collections/loans/{other_loan}").status_code == 404
    # a collector may not reassign
    assert collector.post(f"/api/collections/loans/{other_loan}/assignment", headers={"X-CSRF-Token": collector.csrf},
                          json={"staff_id": me, "reason": "我来负责"}).status_code == 403


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pages_answer(web_bank, login, lang):
    collector = login("collector")
    loan_id = collector.get("/api/collections/queue").json()["rows"][0]["loan_id"]
    assert collector.get(f"/collections?lang={lang}").status_code == 200
    assert collector.get(f"/collections/loans/{loan_id}?lang={lang}").status_code == 200
    officer = login("risk_officer")
    page = officer.get(f"/collections/oversight?lang={lang}")
    assert page.status_code == 200 and 'data-testid="rolls"' in page.text
    r = officer.post("/api/collections/export", headers={"X-CSRF-Token": officer.csrf})
    assert r.status_code == 200 and r.content[:2] == b"PK"
