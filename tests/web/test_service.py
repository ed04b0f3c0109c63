"""Complaints through the real app on the generated bank: intake (form and API) for a customer and for an
unidentified caller, the queue with its filters and Excel export, the detail with its history, handling by the
branch (assign, reply, close, appeal), escalation seen when the app's clock is moved past the deadline, the
complaint on the customer's 360, both languages, and refusals (roles, scopes, bad input)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from finecrm.db.models import AuditEvent
from finecrm.db.session import make_engine, session_factory
from finecrm.services.service.workdays import WorkCalendar
from finecrm.services.snapshot.serving import Serving
from tests.web.conftest import form_csrf


@pytest.fixture
def clock(web_bank):
    """The app's clock, set by the test and put back afterwards (the bank is shared by the session)."""
    state = web_bank.app.state.finecrm
    original = state.clock

    def set_to(at: datetime) -> None:
        state.clock = lambda: at

    yield set_to
    state.clock = original


def _customer_of(web_bank: Any, branch_id: str) -> str:
    rows = Serving(web_bank.ws).sql("SELECT customer_id FROM customer_360 WHERE branch_id = ? ORDER BY customer_id "
                                    "LIMIT 1", [branch_id])
    return str(rows[0]["customer_id"])


def _audit(web_bank: Any, target: str) -> list[tuple[str, str]]:
    engine = make_engine(web_bank.ws.database_url)
    try:
        with session_factory(engine)() as s:
            return [(e.action, e.actor) for e in s.scalars(select(AuditEvent).where(AuditEvent.target == target)
                                                            .order_by(AuditEvent.id))]
    finally:
        engine.dispose()


def _bank_date(at: datetime) -> date:
    return (at + timedelta(hours=8)).date()  # the demo bank's Asia/Shanghai


def test_lobby_records_a_customer_complaint_that_goes_overdue_and_escalates(web_bank, login, clock):
    lobby, analyst = login("lobby_manager"), login("analyst")
    branch = lobby.account.branch_id
    customer = _customer_of(web_bank, branch)
    received = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # Friday 10:00 in the bank
    clock(received)
    form = lobby.get(f"/service/complaints/new?customer_id={customer}")
    assert form.status_code == 200 and "受理投诉" in form.text
    r = lobby.post("/service/complaints", data={
        "csrf_token": form_csrf(form.text), "channel": "lobby", "customer_id": customer, "category": "waiting_time",
        "description": "排队一个多小时无人引导"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    cid = int(r.headers["location"].split("/")[-1].split("?")[0])
    detail = lobby.get(f"/api/service/complaints/{cid}").json()
    c = detail["complaint"]
    expected_due = WorkCalendar.of().add_working_days(_bank_date(received), 3)  # waiting_time: 3 working days
    assert (c["customer_id"], c["branch_id"], c["due_on"], c["status"]) == (customer, branch, expected_due.isoformat(),
                                                                           "open")
    assert [e["kind"] for e in detail["events"]] == ["recorded"]
    # On the 360, in both languages.
    page = lobby.get(f"/customers/{customer}")
    assert 'data-testid="customer-complaint"' in page.text and f"/service/complaints/{cid}" in page.text
    assert lobby.get(f"/api/service/customers/{customer}/complaints").json()[0]["id"] == cid
    # The clock moves past the deadline: reading the queue escalates it, overdue first.
    clock(datetime.combine(expected_due + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(hours=2))
    queue = lobby.get("/api/service/complaints").json()
    mine = next(r for r in queue["rows"] if r["id"] == cid)
    assert (mine["overdue"], mine["escalation_level"]) == (True, 1)
    assert queue["rows"][0]["overdue"] is True
    html = lobby.get("/service/complaints?overdue=1")
    assert f'data-testid="escalated-{cid}"' in html.text and "已升级至支行行长" in html.text
    assert "escalated to the branch head" in lobby.get("/service/complaints?overdue=1&lang=en").text
    # A week later still unanswered: the head office's.
    clock(datetime.combine(expected_due + timedelta(days=7), datetime.min.time(), tzinfo=UTC) + timedelta(hours=2))
    assert analyst.get(f"/api/service/complaints/{cid}").json()["complaint"]["escalation_level"] == 2
    assert _audit(web_bank, f"complaint:{cid}") == [
        ("complaint_recorded", lobby.account.username), ("complaint_escalated", "system:escalation"),
        ("complaint_escalated", "system:escalation")]
    # The lobby manager cannot answer it; the head office can, late, and the customer appeals.
    h = {"X-CSRF-Token": lobby.csrf}
    assert lobby.post(f"/api/service/complaints/{cid}/reply", json={"reply": "已致歉"}, headers=h).status_code == 403
    ha = {"X-CSRF-Token": analyst.csrf}
    r = analyst.post(f"/api/service/complaints/{cid}/reply", json={"reply": "已向客户致歉并增开窗口"}, headers=ha)
    assert r.status_code == 200 and r.json()["replied_on_time"] is False
    r = lobby.post(f"/api/service/complaints/{cid}/appeal", json={"note": "客户认为仍未解决"}, headers=h)
    assert r.status_code == 200 and (r.json()["status"], r.json()["appeals"]) == ("appealed", 1)


def test_the_branch_handles_a_caller_complaint_through_the_pages(web_bank, login, clock):
    head = login("branch_head")
    clock(datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    r = head.post("/api/service/complaints", headers={"X-CSRF-Token": head.csrf}, json={
        "channel": "phone", "caller_name": "刘女士", "caller_phone": "13900001111", "category": "fees",
        "description": "短信通知费未经同意扣收"})
    assert r.status_code == 200, r.text
    row = r.json()
    cid = row["id"]
    assert row["branch_id"] == head.account.branch_id and "13900001111" not in str(row) and "刘女士" not in str(row)
    page = head.get(f"/service/complaints/{cid}")
    assert page.status_code == 200 and "13900001111" not in page.text
    csrf = form_csrf(page.text)
    r = head.post(f"/service/complaints/{cid}/assign", data={"csrf_token": csrf, "assignee": head.account.username},
                  follow_redirects=False)
    assert r.status_code == 303
    r = head.post(f"/service/complaints/{cid}/close", data={"csrf_token": csrf, "note": "认可"},
                  follow_redirects=False)
    assert r.status_code == 400  # not answered yet
    for step, fields in (("reply", {"reply": "已退还短信费并道歉"}), ("close", {"note": "客户表示认可"})):
        r = head.post(f"/service/complaints/{cid}/{step}", data={"csrf_token": csrf, **fields}, follow_redirects=False)
        assert r.status_code == 303, (step, r.text[:300])
    d = head.get(f"/api/service/complaints/{cid}").json()
    assert d["complaint"]["status"] == "closed" and d["complaint"]["replied_on_time"] is True
    assert [e["kind"] for e in d["events"]] == ["recorded", "assigned", "replied", "accepted"]
    en = head.get(f"/service/complaints/{cid}?lang=en")
    assert "Accepted by the customer, closed" in en.text and "已结案" not in en.text
    # The closed list and its Excel file (masked, audited).
    closed = head.get("/api/service/complaints", params={"status": "closed", "category": "fees"}).json()
    assert cid in [r["id"] for r in closed["rows"]]
    x = head.post("/api/service/complaints/export", params={"status": "closed"}, headers={"X-CSRF-Token": head.csrf})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(x.content)).worksheets[0]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][0] == "id" and cid in [v[0] for v in values[1:]]
    assert not any("13900001111" in str(v) for r in values for v in r)


def test_refusals(web_bank, login, clock):
    clock(datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    collector, lobby, manager = login("collector"), login("lobby_manager"), login("customer_manager")
    assert collector.get("/service/complaints").status_code == 403
    assert collector.get("/api/service/complaints").status_code == 403
    assert lobby.get("/api/service/complaints/2147483000").status_code == 404
    h = {"X-CSRF-Token": lobby.csrf}
    r = lobby.post("/api/service/complaints", headers=h, json={"channel": "lobby", "caller_name": "王先生",
                                                              "category": "weather", "description": "天气不好"})
    assert r.status_code == 400 and "weather" in r.json()["message"]
    r = lobby.post("/api/service/complaints", headers=h, json={"channel": "lobby", "category": "fees",
                                                              "description": "没有留姓名"})
    assert r.status_code == 400
    # A customer of another branch is not the lobby manager's to name (the same answer as no such customer).
    other = Serving(web_bank.ws).sql("SELECT customer_id FROM customer_360 WHERE branch_id <> ? LIMIT 1",
                                     [lobby.account.branch_id])[0]["customer_id"]
    r = lobby.post("/api/service/complaints", headers=h, json={"channel": "lobby", "customer_id": other,
                                                              "category": "fees", "description": "收费不清楚"})
    assert r.status_code == 400 and "找不到客户" in r.json()["message"]
    # The form shows a refused intake again with what was typed and the reason.
    form = lobby.get("/service/complaints/new")
    r = lobby.post("/service/complaints", data={"csrf_token": form_csrf(form.text), "channel": "lobby",
                                                "category": "fees", "description": "没有留姓名的投诉"})
    assert r.status_code == 400 and 'data-testid="form-error"' in r.text and "没有留姓名的投诉" in r.text
    # The manager's queue holds their own customers' complaints and what they recorded, nothing else.
    rows = manager.get("/api/service/complaints", params={"status": "all"}).json()["rows"]
    assert all(r["recorded_by"] == manager.account.username or r["customer_id"] for r in rows)


def test_service_quality_indicators_agree_with_the_records(web_bank, login, clock):
    import duckdb

    now = datetime(2026, 12, 31, 4, 0, tzinfo=UTC)
    clock(now)
    analyst = login("analyst")
    r = analyst.get("/api/service/quality", params={"since": "2026-12-01", "until": "2026-12-31"})
    assert r.status_code == 200, r.text
    report = {b["branch_id"]: b for b in r.json()["branches"]}
    customers = dict(duckdb.sql(f"SELECT branch_id, count(*) FROM read_parquet('{web_bank.ws.raw}/customers/*.parquet')"
                                " GROUP BY 1").fetchall())
    engine = make_engine(web_bank.ws.database_url)
    try:
        with engine.connect() as c:
            rows = c.exec_driver_sql("SELECT branch_id, received_at, due_on, status, replied_on_time, "
                                     "first_replied_at, appeals FROM service_complaints").fetchall()
    finally:
        engine.dispose()
    assert rows, "the tests before recorded complaints"
    today = _bank_date(now)
    for branch, n_customers in customers.items():
        mine = [x for x in rows if x[0] == branch
                and date(2026, 12, 1) <= _bank_date(datetime.fromisoformat(str(x[1])).replace(tzinfo=UTC))
                <= date(2026, 12, 31)]
        got = report[branch]
        assert got["customers"] == n_customers
        assert got["complaints"] == len(mine)
        assert got["per_10k"] == pytest.approx(len(mine) * 10_000 / n_customers)
        due = [x for x in mine if x[5] is not None or today > date.fromisoformat(str(x[2]))]
        assert (got["due"], got["on_time"]) == (len(due), sum(1 for x in due if x[4]))
        assert got["appeals"] == sum(x[6] for x in mine)
        assert got["overdue_now"] == sum(1 for x in rows if x[0] == branch and x[3] in ("open", "assigned", "appealed")
                                         and today > date.fromisoformat(str(x[2])))
    page = analyst.get("/service/quality?since=2026-12-01&until=2026-12-31")
    assert page.status_code == 200 and "每万客户投诉" in page.text
    assert "Per 10,000 customers" in analyst.get("/service/quality?lang=en").text
    assert analyst.get("/api/service/quality", params={"since": "2026-12-31", "until": "2026-12-01"}).status_code == 400
    assert login("lobby_manager").get("/api/service/quality").status_code == 403


def test_a_need_from_a_complaint_reaches_the_product_team_and_comes_back(web_bank, login, clock):
    clock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    lobby, analyst = login("lobby_manager"), login("analyst")
    h = {"X-CSRF-Token": lobby.csrf}
    cid = lobby.post("/api/service/complaints", headers=h, json={
        "channel": "lobby", "caller_name": "周先生", "category": "e_banking",
        "description": "手机银行字太小看不清"}).json()["id"]
    detail = lobby.get(f"/service/complaints/{cid}")
    assert f"/service/feedback?complaint_id={cid}" in detail.text
    board = lobby.get(f"/service/feedback?complaint_id={cid}")
    assert board.status_code == 200 and f'value="{cid}"' in board.text
    r = lobby.post("/service/feedback", data={"csrf_token": lobby.csrf, "source": "complaint",
                                              "product_category": "e_banking", "need": "老年客户需要手机银行大字版",
                                              "complaint_id": str(cid)}, follow_redirects=False)
    assert r.status_code == 303
    item = next(f for f in lobby.get("/api/service/feedback").json() if f["complaint_id"] == cid)
    assert (item["branch_id"], item["owner"], item["status"]) == (lobby.account.branch_id, None, "open")
    assert lobby.post(f"/api/service/feedback/{item['id']}/answer", headers=h,
                      json={"status": "answered", "answer": "好的好的"}).status_code == 403
    r = analyst.post(f"/service/feedback/{item['id']}/answer", data={
        "csrf_token": analyst.csrf, "status": "answered", "answer": "下个版本上线关怀模式"}, follow_redirects=False)
    assert r.status_code == 303
    back = next(f for f in lobby.get("/api/service/feedback").json() if f["id"] == item["id"])
    assert (back["status"], back["answer"], back["answered_by"]) == ("answered", "下个版本上线关怀模式",
                                                                     analyst.account.username)
    en = lobby.get("/service/feedback?lang=en").text
    assert "Needs and feedback" in en and "需求反馈" not in en
    assert login("collector").get("/service/feedback").status_code == 403
