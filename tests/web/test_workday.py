"""A customer manager's day and a branch head's view of it, through the real app on SQLite and PostgreSQL:
the call from a task (a reveal audited with the task as its reason), outcomes with follow-up dates, due and
upcoming tasks, the menu's count, managers' progress, and the lists that sort and export.

Expected values come from the operational database (read with plain SQL here) and the snapshot's own tables
(read with DuckDB), never from the services under test.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from finecrm.core import formats
from tests.conftest import new_postgres_database
from tests.web.conftest import web_client
from tests.web.test_pages import _mart

TODAY = formats.today()  # the bank's day (Asia/Shanghai in the demo bank)
DONE = {"contacted", "converted", "refused", "unreachable"}


@dataclass
class Bank:
    app: Any
    logins: dict[str, Any]
    web_bank: Any
    started: dict[str, Any]  # a campaign running since 10 days ago, assigned
    later: dict[str, Any]  # a campaign starting in 5 days, assigned

    def client(self, role: str) -> Any:
        account = self.logins[role]
        c = web_client(self.app) if self.app is self.web_bank.app else TestClient(self.app,
                                                                                   base_url="https://testserver")
        r = c.post("/api/auth/login", json={"username": account.username, "password": account.password})
        assert r.status_code == 200, r.text
        c.csrf = r.json()["csrf_token"]
        c.account = account
        return c

    def sql(self, query: str, **params: Any) -> list[Any]:
        with self.app.state.finecrm.engine.connect() as c:
            return list(c.execute(text(query), params))


def _campaign(analyst: Any, name: str, start: date, end: date) -> dict[str, Any]:
    h = {"X-CSRF-Token": analyst.csrf}
    r = analyst.post("/api/campaigns", headers=h, json={
        "name": name, "target": "credit_card", "channel": "phone", "start_date": start.isoformat(),
        "end_date": end.isoformat(), "control_share": 0.2, "seed": 7})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert analyst.post(f"/api/campaigns/{doc['id']}/assign", headers=h).status_code == 200
    return doc


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bank(request, web_bank) -> Any:
    from finecrm.services.access.demo_accounts import demo_logins

    mp = pytest.MonkeyPatch()
    if request.param == "sqlite":
        app, logins = web_bank.app, web_bank.logins
    else:
        from finecrm.web.main import create_app

        mp.setenv("FINECRM_DATABASE_URL", new_postgres_database(request.getfixturevalue("postgres_url")))
        app = create_app(web_bank.home, demo=True)
        logins = {a.role: a for a in demo_logins(web_bank.ws)}
    b = Bank(app, logins, web_bank, {}, {})
    analyst = b.client("analyst")
    b.started = _campaign(analyst, "工作台：信用卡（进行中）", TODAY - timedelta(days=10), TODAY + timedelta(days=20))
    b.later = _campaign(analyst, "工作台：信用卡（下周开始）", TODAY + timedelta(days=5), TODAY + timedelta(days=35))
    yield b
    mp.undo()
    if app is not web_bank.app:
        app.state.finecrm.engine.dispose()


def _mine(bank: Bank, campaign_id: int, staff_id: str) -> list[Any]:
    return bank.sql("SELECT customer_id, manager_id, grid_id, branch_id, outcome FROM campaign_members WHERE "
                    "campaign_id = :c AND arm = 'treatment' AND assigned_to = :s ORDER BY customer_id",
                    c=campaign_id, s=staff_id)


def _all_pages(client: Any, url: str, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        got = client.get(url, params={**params, "page": page})
        assert got.status_code == 200, got.text
        body = got.json()
        rows += body["rows"]
        if page >= body["pages"]:
            return rows
        page += 1


def _raw(web_bank: Any, table: str) -> str:
    """A table of the warehouse as the ingest stored it (the bank's own directory: branches, staff)."""
    return f"read_parquet('{web_bank.ws.raw / table / 'data.parquet'}')"


def _snapshot_phones(web_bank: Any) -> dict[str, str | None]:
    return dict(duckdb.sql(f"SELECT customer_id, phone FROM {_mart(web_bank, 'customer_360')}").fetchall())


def _audits(bank: Bank, action: str) -> list[Any]:
    return bank.sql("SELECT actor, action, target, reason, details FROM audit_events WHERE action = :a ORDER BY id",
                    a=action)


def _details(value: Any) -> dict[str, Any]:
    import json

    return value if isinstance(value, dict) else json.loads(value)


def test_a_call_from_a_task_reveals_the_phone_audited_with_the_task(bank):
    manager = bank.client("customer_manager")
    staff_id = manager.account.staff_id
    mine = _mine(bank, bank.started["id"], staff_id)
    assert mine, "the demo manager holds tasks in the campaign"
    task = next(m for m in mine if m.manager_id == staff_id)
    phones = _snapshot_phones(bank.web_bank)
    before = len(_audits(bank, "reveal_pii"))
    h = {"X-CSRF-Token": manager.csrf}
    r = manager.post(f"/api/tasks/{bank.started['id']}/{task.customer_id}/call", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["phone"] == phones[task.customer_id] and "*" not in (r.json()["phone"] or "")
    events = _audits(bank, "reveal_pii")
    assert len(events) == before + 1
    e = events[-1]
    d = _details(e.details)
    assert (e.actor, e.target) == (manager.account.username, task.customer_id)
    assert bank.started["name"] in e.reason and d["task"] == f"campaign:{bank.started['id']}:{task.customer_id}"
    assert d["fields"] == ["phone"]
    # the page's button: the number swapped in as a tel: link, audited the same way
    page = manager.post(f"/tasks/{bank.started['id']}/{task.customer_id}/call", headers={**h, "HX-Request": "true"})
    assert page.status_code == 200 and f'href="tel:{phones[task.customer_id]}"' in page.text
    assert len(_audits(bank, "reveal_pii")) == before + 2

    # another manager's task, a control member and a customer the manager does not look after: not found,
    # and nothing revealed or audited
    other = bank.sql("SELECT customer_id FROM campaign_members WHERE campaign_id = :c AND arm = 'treatment' AND "
                     "assigned_to IS NOT NULL AND assigned_to <> :s LIMIT 1", c=bank.started["id"], s=staff_id)
    control = bank.sql("SELECT customer_id FROM campaign_members WHERE campaign_id = :c AND arm = 'control' LIMIT 1",
                       c=bank.started["id"])
    for (cid,) in other + control + [("C000000000",)]:
        assert manager.post(f"/api/tasks/{bank.started['id']}/{cid}/call", headers=h).status_code == 404
    assert len(_audits(bank, "reveal_pii")) == before + 2
    # a branch head may not reveal (no reveal_pii): forbidden, whatever the task
    head = bank.client("branch_head")
    assert head.post(f"/api/tasks/{bank.started['id']}/{task.customer_id}/call",
                     headers={"X-CSRF-Token": head.csrf}).status_code == 403


def _due_count(bank: Bank, staff_id: str, day: date) -> int:
    """Tasks due on ``day``, counted here from the rows (the rule of the task state's definition)."""
    rows = bank.sql("SELECT m.outcome, m.follow_up_on, c.start_date FROM campaign_members m JOIN campaigns c ON "
                    "c.id = m.campaign_id WHERE m.arm = 'treatment' AND m.assigned_to = :s", s=staff_id)
    n = 0
    for outcome, follow_up, start in rows:
        start_day = start.date() if isinstance(start, datetime) else date.fromisoformat(str(start)[:10])
        follow = follow_up if isinstance(follow_up, date) or follow_up is None else date.fromisoformat(str(follow_up))
        if outcome in DONE or start_day > day or (follow is not None and follow > day):
            continue
        n += 1
    return n


def test_interested_needs_a_follow_up_and_keeps_the_task_until_it_is_due(bank):
    manager = bank.client("customer_manager")
    staff_id = manager.account.staff_id
    cid = bank.started["id"]
    task = next(m for m in _mine(bank, cid, staff_id) if m.outcome is None and m.manager_id == staff_id)
    h = {"X-CSRF-Token": manager.csrf}
    url = f"/api/tasks/{cid}/{task.customer_id}"
    due_before = _due_count(bank, staff_id, TODAY)
    # bad input: 4xx with a bilingual message, nothing recorded
    for body in ({"outcome": "interested"}, {"outcome": "interested", "follow_up_on": TODAY.isoformat()},
                 {"outcome": "interested", "follow_up_on": (TODAY + timedelta(days=400)).isoformat()},
                 {"outcome": "bought"}):
        r = manager.post(url, json=body, headers=h)
        assert r.status_code == 400, (body, r.text)
        assert " / " in r.json()["message"]
    assert manager.post(url, json={"outcome": "interested", "follow_up_on": "明天"}, headers=h).status_code == 422
    form = manager.post(f"/tasks/{cid}/{task.customer_id}", data={"outcome": "interested", "follow_up_on": "2026/13/40",
                                                                 "csrf_token": manager.csrf}, follow_redirects=False)
    assert form.status_code == 400 and "2026-12-31" in form.text
    assert bank.sql("SELECT count(*) FROM contacts WHERE customer_id = :c AND campaign_id = :k", c=task.customer_id,
                    k=cid)[0][0] == 0

    follow = TODAY + timedelta(days=3)
    r = manager.post(f"/tasks/{cid}/{task.customer_id}", data={
        "outcome": "interested", "follow_up_on": follow.isoformat(), "note": "想了解额度，周四再联系",
        "csrf_token": manager.csrf, "back": f"/tasks?status=open&campaign_id={cid}"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/tasks?status=open&campaign_id={cid}")
    stored = bank.sql("SELECT outcome, follow_up_on FROM campaign_members WHERE campaign_id = :c AND customer_id = :k",
                      c=cid, k=task.customer_id)[0]
    assert stored.outcome == "interested" and str(stored.follow_up_on)[:10] == follow.isoformat()

    def ids(**params: Any) -> set[str]:
        return {t["customer_id"] for t in _all_pages(manager, "/api/tasks", campaign_id=cid, **params)}

    assert task.customer_id in ids(status="open") and task.customer_id in ids(status="upcoming")
    assert task.customer_id not in ids(status="due") and task.customer_id not in ids(status="done")
    # due again from the follow-up day: a list of what is due by then holds it, one by the day before not
    assert task.customer_id in ids(due_by=follow.isoformat())
    assert task.customer_id not in ids(due_by=(follow - timedelta(days=1)).isoformat())
    row = next(t for t in _all_pages(manager, "/api/tasks", campaign_id=cid, status="open")
               if t["customer_id"] == task.customer_id)
    assert row["state"] == "upcoming" and row["follow_up_on"] == follow.isoformat() == row["due_on"]
    page = manager.get("/tasks", params={"status": "open", "campaign_id": cid, "sort": "-due"})
    assert f"{follow.isoformat()} 跟进" in page.text

    # the menu's count: what is due today, one fewer than before
    assert _due_count(bank, staff_id, TODAY) == due_before - 1
    badge = f'data-testid="nav-badge" title="今日应办 {due_before - 1} 项">{due_before - 1}<'
    assert badge in manager.get("/tasks").text

    # the contact history: one contact with who, when, what; the 360 shows it and the open task
    contacts = bank.sql("SELECT kind, channel, staff_id, recorded_by, outcome, note, follow_up_on, campaign_id "
                        "FROM contacts WHERE customer_id = :c AND campaign_id = :k", c=task.customer_id, k=cid)
    assert [(k.kind, k.channel, k.staff_id, k.recorded_by, k.outcome, k.note, k.campaign_id) for k in contacts] == [
        ("campaign_task", "phone", staff_id, manager.account.username, "interested", "想了解额度，周四再联系", cid)]
    staff_name = duckdb.sql(f"SELECT name FROM {_raw(bank.web_bank, 'staff')} WHERE staff_id = ?",
                            params=[staff_id]).fetchall()[0][0]
    view = manager.get(f"/customers/{task.customer_id}").text
    history = view.split('data-testid="contact-history"')[1]
    assert staff_name in history and "有意向" in history and "想了解额度" in history and bank.started["name"] in history
    assert f'data-testid="customer-task-{cid}"' in view
    # recorded again from the 360: a second contact, the history keeps both
    r = manager.post(f"/tasks/{cid}/{task.customer_id}", data={"outcome": "converted", "csrf_token": manager.csrf,
                                                              "back": f"/customers/{task.customer_id}"},
                     follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/customers/{task.customer_id}?notice=recorded"
    assert [k.outcome for k in bank.sql("SELECT outcome FROM contacts WHERE customer_id = :c AND campaign_id = :k "
                                        "ORDER BY id", c=task.customer_id, k=cid)] == ["interested", "converted"]
    assert bank.sql("SELECT follow_up_on FROM campaign_members WHERE campaign_id = :c AND customer_id = :k",
                    c=cid, k=task.customer_id)[0][0] is None
    # a customer outside the scope: the history is not found either (as the 360 itself)
    outside = bank.sql("SELECT customer_id FROM campaign_members WHERE campaign_id = :c AND manager_id <> :s "
                       "AND (grid_id IS NULL OR grid_id NOT IN (SELECT grid_id FROM campaign_members WHERE "
                       "manager_id = :s AND grid_id IS NOT NULL)) LIMIT 1", c=cid, s=staff_id)
    if outside:
        assert manager.get(f"/customers/{outside[0][0]}").status_code == 404


def test_tasks_of_a_campaign_not_started_are_upcoming_not_due(bank):
    manager = bank.client("customer_manager")
    staff_id = manager.account.staff_id
    later = bank.later["id"]
    mine = {m.customer_id for m in _mine(bank, later, staff_id)}
    assert mine
    upcoming = _all_pages(manager, "/api/tasks", campaign_id=later, status="upcoming")
    assert {t["customer_id"] for t in upcoming} == mine
    assert all(t["state"] == "upcoming" and t["due_on"] == bank.later["start_date"][:10] for t in upcoming)
    assert manager.get("/api/tasks", params={"campaign_id": later, "status": "due"}).json()["total"] == 0
    one = sorted(mine)[0]
    r = manager.post(f"/api/tasks/{later}/{one}", json={"outcome": "contacted"},
                     headers={"X-CSRF-Token": manager.csrf})
    assert r.status_code == 400 and "starts on" in r.json()["message"]
    page = manager.get("/tasks", params={"campaign_id": later, "status": "upcoming"}).text
    assert f"活动 {bank.later['start_date'][:10]} 开始" in page and 'data-testid="task-call"' not in page


def _subtree(web_bank: Any, root: str) -> set[str]:
    rows = duckdb.sql(f"SELECT branch_id, parent_id FROM {_raw(web_bank, 'branches')}").fetchall()
    found, grew = {root}, True
    while grew:
        more = {b for b, p in rows if p in found} - found
        found |= more
        grew = bool(more)
    return found


def test_a_branch_heads_progress_per_manager_equals_the_database(bank):
    head = bank.client("branch_head")
    cid = bank.started["id"]
    branches = _subtree(bank.web_bank, head.account.branch_id)
    rows = bank.sql("SELECT m.assigned_to, m.branch_id, m.outcome, m.follow_up_on, m.converted_on, c.end_date FROM "
                    "campaign_members m JOIN campaigns c ON c.id = m.campaign_id WHERE m.campaign_id = :c AND "
                    "m.arm = 'treatment' AND m.assigned_to IS NOT NULL", c=cid)
    mine = [r for r in rows if r.branch_id in branches]
    expected = {s: {"assigned": n} for s, n in Counter(r.assigned_to for r in mine).items()}
    for s, e in expected.items():
        theirs = [r for r in mine if r.assigned_to == s]
        e["contacted"] = sum(r.outcome is not None and r.outcome != "unreachable" for r in theirs)
        e["converted"] = sum(r.converted_on is not None for r in theirs)
        e["interested"] = sum(r.outcome == "interested" for r in theirs)
    r = head.get(f"/api/campaigns/{cid}/progress")
    if not mine:
        assert r.status_code == 404 or r.json() == []
        return
    assert r.status_code == 200, r.text
    got = {p["staff_id"]: p for p in r.json()}
    assert set(got) == set(expected)
    for s, e in expected.items():
        assert {k: got[s][k] for k in e} == e
        assert got[s]["overdue"] == 0  # the campaign runs until after today and no follow-up has passed
    names = dict(duckdb.sql(f"SELECT staff_id, name FROM {_raw(bank.web_bank, 'staff')}").fetchall())
    assert all(p["name"] == names[s] for s, p in got.items())
    page = head.get(f"/campaigns/{cid}").text
    table = page.split('data-testid="progress-table"')[1].split("</table>")[0]
    assert all(names[s] in table for s in expected)
    dashboard = head.get("/dashboard").text
    assert 'data-testid="dashboard-progress"' in dashboard and all(names[s] in dashboard for s in expected)
    # the analyst sees every manager of the campaign
    analyst = bank.client("analyst").get(f"/api/campaigns/{cid}/progress").json()
    assert sum(p["assigned"] for p in analyst) == len(rows)


def _sheet(content: bytes) -> list[dict[str, Any]]:
    ws = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    values = list(ws.iter_rows(values_only=True))
    width = len(values[0])  # a read-only sheet drops a row's empty cells at its end
    return [dict(zip(values[0], (*v, *(None,) * (width - len(v))), strict=True)) for v in values[1:]]


def test_the_task_export_holds_the_pages_rows_masked_named_and_audited(bank):
    manager = bank.client("customer_manager")
    cid = bank.started["id"]
    listed = _all_pages(manager, "/api/tasks", campaign_id=cid, status="open", sort="customer_id")
    r = manager.post("/tasks/export", data={"campaign_id": str(cid), "status": "open", "sort": "customer_id",
                                            "csrf_token": manager.csrf})
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
    rows = _sheet(r.content)
    assert [x["客户号 customer id"] for x in rows] == [t["customer_id"] for t in listed]
    phones = _snapshot_phones(bank.web_bank)
    assert all(x["手机号 phone"] is None or ("*" in x["手机号 phone"] and x["手机号 phone"] != phones[x["客户号 customer id"]])
               for x in rows)
    assert all("*" in (x["姓名 name"] or "*") for x in rows)
    branch_names = dict(duckdb.sql(f"SELECT branch_id, name FROM {_raw(bank.web_bank, 'branches')}").fetchall())
    members = {m.customer_id: m for m in _mine(bank, cid, manager.account.staff_id)}
    assert all(x["机构 branch"] == branch_names[members[x["客户号 customer id"]].branch_id] for x in rows)
    assert {x["活动 campaign"] for x in rows} == {bank.started["name"]}
    e = _audits(bank, "export_list")[-1]
    d = _details(e.details)
    assert (e.actor, e.target, d["rows"], d["campaign_id"], d["status"], d["masked"]) == (
        manager.account.username, "tasks", len(rows), cid, "open", True)


def test_the_member_list_filters_sorts_and_exports_by_manager_and_outcome(bank):
    head = bank.client("branch_head")
    cid = bank.started["id"]
    progress = head.get(f"/api/campaigns/{cid}/progress").json()
    if not progress:
        pytest.skip("the demo branch holds no assigned member of this campaign")
    staff = max(progress, key=lambda p: p["assigned"])["staff_id"]
    branches = _subtree(bank.web_bank, head.account.branch_id)
    expected = sorted(m.customer_id for m in bank.sql(
        "SELECT customer_id, branch_id, outcome FROM campaign_members WHERE campaign_id = :c AND assigned_to = :s",
        c=cid, s=staff) if m.branch_id in branches and m.outcome is None)
    page = head.get(f"/campaigns/{cid}", params={"assigned_to": staff, "outcome": "none", "sort": "-customer_id"})
    assert page.status_code == 200
    shown = [i for i in re.findall(r'data-testid="member-([^"]+)"', page.text)
             if i not in ("filters", "total", "manager", "outcome")]
    assert shown == sorted(expected, reverse=True)[:20]
    r = head.post(f"/campaigns/{cid}/members/export", data={"assigned_to": staff, "outcome": "none",
                                                           "sort": "-customer_id", "csrf_token": head.csrf})
    assert r.status_code == 200
    rows = _sheet(r.content)
    assert [x["客户号 customer id"] for x in rows] == sorted(expected, reverse=True)
    name = next(p["name"] for p in progress if p["staff_id"] == staff)
    assert {x["负责客户经理 assigned to"] for x in rows} <= {name}
    assert all(x["姓名 name"] is None or "*" in x["姓名 name"] for x in rows)
    e = _audits(bank, "export_list")[-1]
    d = _details(e.details)
    assert (e.target, d["rows"], d["assigned_to"], d["outcome"]) == (f"campaign:{cid}:members", len(rows), staff,
                                                                      "none")
    # sorted by decile (1 = the top tenth first), across pages as on the first
    by_decile = head.get(f"/campaigns/{cid}", params={"assigned_to": staff, "sort": "decile"}).text
    first = [i for i in re.findall(r'data-testid="member-([^"]+)"', by_decile)
             if i not in ("filters", "total", "manager", "outcome")]
    deciles = dict(bank.sql("SELECT customer_id, decile FROM campaign_members WHERE campaign_id = :c", c=cid))
    shown_deciles = [deciles[i] for i in first if deciles[i] is not None]
    assert shown_deciles == sorted(shown_deciles)


def test_the_audit_log_sorts_and_exports_what_it_shows(bank):
    compliance = bank.client("compliance_officer")
    since = datetime.now(UTC).date().isoformat()  # the log's date filter reads days in UTC, as it stores them
    listed = _all_pages(compliance, "/api/audit", since=since, sort="actor", page_size=200)
    actors = [e["actor"] for e in listed]
    assert len(set(actors)) > 1, "several people signed in today"
    assert actors == sorted(actors)
    newest = [e["id"] for e in _all_pages(compliance, "/api/audit", since=since, page_size=200)]
    assert newest == sorted(newest, reverse=True) and sorted(newest) == sorted(e["id"] for e in listed)
    r = compliance.post("/audit/export", data={"since": since, "sort": "actor",
                                               "csrf_token": compliance.csrf})
    assert r.status_code == 200
    rows = _sheet(r.content)
    assert [x["编号 id"] for x in rows] == [e["id"] for e in listed]
    e = _audits(bank, "export_list")[-1]
    assert (e.actor, e.target, _details(e.details)["rows"]) == (compliance.account.username, "audit_log", len(rows))
    # admin browses the log but exports nothing (no export_list)
    admin = bank.client("admin")
    assert admin.post("/audit/export", data={"csrf_token": admin.csrf}).status_code == 403


@pytest.mark.parametrize(("url", "params", "status"), [
    ("/api/tasks", {"status": "bogus"}, 400),
    ("/api/tasks", {"sort": "name"}, 400),
    ("/api/tasks", {"sort": "due; drop"}, 422),
    ("/api/tasks", {"due_by": "tomorrow"}, 422),
    ("/tasks", {"status": "bogus"}, 400),
    ("/tasks", {"campaign_id": "99999999999"}, 422),
    ("/api/audit", {"sort": "details"}, 400),
])
def test_bad_list_parameters_are_4xx_with_a_message(bank, url, params, status):
    role = "compliance_officer" if "audit" in url else "customer_manager"
    r = bank.client(role).get(url, params=params)
    assert r.status_code == status, r.text
    assert "Internal" not in r.text


def test_bad_member_filters_are_400(bank):
    head = bank.client("analyst")
    cid = bank.started["id"]
    for params in ({"outcome": "bought"}, {"sort": "name"}, {"arm": "both"}):
        r = head.get(f"/campaigns/{cid}", params=params)
        assert r.status_code == 400, (params, r.text)


def test_sort_orders_follow_the_column(bank):
    manager = bank.client("customer_manager")
    cid = bank.started["id"]
    by_decile = _all_pages(manager, "/api/tasks", campaign_id=cid, status="open", sort="decile")
    deciles = [t["decile"] for t in by_decile if t["decile"] is not None]
    assert deciles == sorted(deciles)
    by_id = _all_pages(manager, "/api/tasks", campaign_id=cid, status="open", sort="-customer_id")
    assert [t["customer_id"] for t in by_id] == sorted((t["customer_id"] for t in by_id), reverse=True)
    due = _all_pages(manager, "/api/tasks", status="open", sort="due")
    days = [t["due_on"] for t in due]
    assert days == sorted(days)
