"""The customer manager's workbench through the real app: the month's visit plan against the visit_plan mart and
the contact log read here with plain SQL, the work log (recorded from the 360, a task, the plan; listed,
filtered, exported), the daily standard, and the refusals (scope, bad input, roles without the function).

Expectations come from the snapshot's files (DuckDB) and the operational database (SQL), never from the
services under test.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from finecrm.core import formats
from tests.web.test_pages import _mart

TZ = "Asia/Shanghai"


def _sql(web_bank, query: str, **params: Any) -> list[Any]:
    with web_bank.app.state.finecrm.engine.connect() as c:
        return list(c.execute(text(query), params))


def _plan_of(web_bank, staff_id: str) -> list[dict]:
    return duckdb.sql(f"SELECT * FROM {_mart(web_bank, 'visit_plan')} WHERE manager_id = '{staff_id}' "
                      "ORDER BY customer_id").to_arrow_table().to_pylist()


def _visits_since(web_bank, day: date) -> dict[str, date]:
    """The last visit or meeting per customer since ``day`` (the bank's midnight), as bank days."""
    since = datetime.combine(day, datetime.min.time(), tzinfo=formats.zone(TZ)).astimezone(UTC)
    out: dict[str, date] = {}
    for cid, at in _sql(web_bank, "SELECT customer_id, at FROM contacts WHERE kind IN ('visit', 'meeting')"):
        seen = formats.local(at if isinstance(at, datetime) else datetime.fromisoformat(str(at)), TZ)
        if seen >= since and (cid not in out or seen.date() > out[cid]):
            out[cid] = seen.date()
    return out


def _expected_status(row: dict, last: date | None) -> str:
    if last is not None and last >= row["cycle_start"]:
        return "done"
    if row["due_last_cycle"] and (last is None or last < row["previous_cycle_start"]):
        return "overdue"
    return "due"


def _entry(customer_id: str, **kw: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "kind": "visit", "place": "客户家中", "purpose": "relationship",
            "note": "了解近况", "outcome": "reached", "next_step": "下月再访", **kw}


def _plan_api(client) -> dict:
    r = client.get("/api/workbench/plan", params={"page": 1})
    assert r.status_code == 200, r.text
    return r.json()


def _all_plan_rows(client) -> list[dict]:
    rows, page = [], 1
    while True:
        doc = client.get("/api/workbench/plan", params={"page": page}).json()
        rows += doc["rows"]
        if page >= doc["pages"]:
            return rows
        page += 1


@pytest.fixture(scope="module")
def manager(login):
    return login("customer_manager")


def test_the_plan_is_the_mart_with_the_log_joined(manager, web_bank):
    staff_id = manager.account.staff_id
    plan = _plan_of(web_bank, staff_id)
    assert plan, "the demo manager has customers due a visit"
    rows = _all_plan_rows(manager)
    assert [r["customer_id"] for r in sorted(rows, key=lambda r: r["customer_id"])] == [p["customer_id"] for p in plan]
    last = _visits_since(web_bank, min(p["previous_cycle_start"] for p in plan))
    want = {p["customer_id"]: _expected_status(p, last.get(p["customer_id"])) for p in plan}
    assert {r["customer_id"]: r["status"] for r in rows} == want
    stats = _plan_api(manager)["stats"]
    assert len(stats) == 1 and stats[0]["manager_id"] == staff_id
    assert stats[0]["planned"] == len(plan)
    assert stats[0]["done"] == sum(s == "done" for s in want.values())
    assert stats[0]["overdue"] == sum(s == "overdue" for s in want.values())
    # overdue first, names masked
    order = [r["status"] for r in rows]
    assert order == sorted(order, key={"overdue": 0, "due": 1, "done": 2}.__getitem__)
    named = [r["name"] for r in rows if r["name"]]
    assert named and all("*" in n for n in named)


def test_a_visit_from_the_plan_marks_it_done_and_counts_in_the_daily_standard(manager, web_bank):
    h = {"X-CSRF-Token": manager.csrf}
    rows = _all_plan_rows(manager)
    todo = [r for r in rows if r["status"] != "done"]
    assert todo
    target = todo[0]["customer_id"]
    before = manager.get("/api/workbench/standard").json()[-1]
    first_time = not _sql(web_bank, "SELECT 1 FROM contacts WHERE customer_id = :c AND kind IN ('visit', 'meeting')",
                          c=target)
    r = manager.post("/api/workbench/log", headers=h, json=_entry(target, source="plan"))
    assert r.status_code == 200, r.text
    assert r.json()["counts_as"] == ("new_visit" if first_time else "existing_visit")
    # the row is in the operational database with the log's own fields, and audited
    row = _sql(web_bank, "SELECT kind, staff_id, place, purpose, outcome, next_step, source, recorded_by FROM contacts "
                         "WHERE id = :i", i=r.json()["id"])[0]
    assert tuple(row) == ("visit", manager.account.staff_id, "客户家中", "relationship", "reached", "下月再访", "plan",
                          manager.account.username)
    assert _sql(web_bank, "SELECT count(*) FROM audit_events WHERE action = 'work_log' AND target = :t",
                t=f"customer:{target}")[0][0] >= 1
    after_plan = {x["customer_id"]: x for x in _all_plan_rows(manager)}
    assert after_plan[target]["status"] == "done"
    assert after_plan[target]["last_visit"] == formats.today(TZ).isoformat()
    after = manager.get("/api/workbench/standard").json()[-1]
    key = "new_visits" if first_time else "existing_visits"
    assert after[key] == before[key] + 1
    # a second visit to the same customer is an existing-customer visit; a call is a call
    again = manager.post("/api/workbench/log", headers=h, json=_entry(target))
    assert again.json()["counts_as"] == "existing_visit"
    call = manager.post("/api/workbench/log", headers=h, json=_entry(target, kind="call"))
    assert call.json()["counts_as"] == "call"
    last = manager.get("/api/workbench/standard").json()[-1]
    assert last["calls"] == before["calls"] + 1
    assert last["existing_visits"] == after["existing_visits"] + 1


def test_the_daily_standard_is_the_log_counted_here(manager, web_bank):
    staff_id = manager.account.staff_id
    today = formats.today(TZ)
    days = manager.get("/api/workbench/standard").json()
    assert days[-1]["day"] == today.isoformat() and len(days) == today.weekday() + 1
    visits = _sql(web_bank, "SELECT id, customer_id, kind, at FROM contacts WHERE kind IN ('visit', 'meeting', 'call') "
                            "ORDER BY at, id")
    first: dict[str, Any] = {}
    for i, cid, kind, _at in visits:
        if kind != "call":
            first.setdefault(cid, i)
    mine = _sql(web_bank, "SELECT id, customer_id, kind, at FROM contacts WHERE staff_id = :s AND kind IN "
                          "('visit', 'meeting', 'call')", s=staff_id)
    for d in days:
        on_day = [m for m in mine if formats.local(m[3] if isinstance(m[3], datetime) else
                                                   datetime.fromisoformat(str(m[3])), TZ).date().isoformat() == d["day"]]
        assert d["calls"] == sum(m[2] == "call" for m in on_day)
        assert d["new_visits"] == sum(m[2] != "call" and first[m[1]] == m[0] for m in on_day)
        assert d["existing_visits"] == sum(m[2] != "call" and first[m[1]] != m[0] for m in on_day)
        working = date.fromisoformat(d["day"]).isoweekday() <= 5
        assert d["new_visits_target"] == (2 if working else 0) and d["calls_target"] == (4 if working else 0)


def test_the_log_lists_filters_and_exports_masked_and_audited(manager, web_bank):
    h = {"X-CSRF-Token": manager.csrf}
    cid = _plan_of(web_bank, manager.account.staff_id)[-1]["customer_id"]
    assert manager.post("/api/workbench/log", headers=h, json=_entry(cid, kind="message", purpose="service",
                                                                      outcome="interested")).status_code == 200
    doc = manager.get("/api/workbench/log", params={"kind": "message", "customer_id": cid}).json()
    want = _sql(web_bank, "SELECT count(*) FROM contacts WHERE kind = 'message' AND customer_id = :c AND staff_id = :s",
                c=cid, s=manager.account.staff_id)[0][0]
    assert doc["total"] == want >= 1 and {r["kind"] for r in doc["rows"]} == {"message"}
    assert all(r["customer_id"] == cid for r in doc["rows"])
    future = (formats.today(TZ) + timedelta(days=1)).isoformat()
    assert manager.get("/api/workbench/log", params={"date_from": future}).json()["total"] == 0
    page = manager.get("/workbench/log", params={"kind": "message"})
    assert page.status_code == 200 and "user-text" in page.text
    r = manager.post("/api/workbench/log/export", params={"kind": "message"}, headers=h)
    assert r.status_code == 200, r.text
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    cells = list(sheet.iter_rows(values_only=True))
    header = cells[0]
    names = [row[header.index("姓名 name")] for row in cells[1:] if row[header.index("姓名 name")]]
    assert len(cells) - 1 == _sql(web_bank, "SELECT count(*) FROM contacts WHERE kind = 'message' AND staff_id = :s",
                                  s=manager.account.staff_id)[0][0]
    assert all("*" in n for n in names)
    assert _sql(web_bank, "SELECT count(*) FROM audit_events WHERE action = 'export_list' AND target = 'work_log'")[0][0]


def test_the_pages_and_the_form_from_the_360(manager, web_bank):
    cid = _plan_of(web_bank, manager.account.staff_id)[0]["customer_id"]
    home = manager.get("/workbench")
    assert home.status_code == 200 and 'data-testid="daily-standard"' in home.text
    assert manager.get("/workbench/plan").status_code == 200
    profile = manager.get(f"/customers/{cid}")
    assert f"/workbench/log/new?customer_id={cid}&amp;source=customer" in profile.text
    form = manager.get("/workbench/log/new", params={"customer_id": cid, "source": "customer"})
    assert form.status_code == 200 and cid in form.text
    r = manager.post("/workbench/log", data={
        "csrf_token": manager.csrf, "customer_id": cid, "kind": "meeting", "at": "", "place": "网点", "purpose":
        "marketing", "note": "面谈理财", "outcome": "agreed", "next_step": "", "follow_up_on": "", "source": "customer",
        "back": f"/customers/{cid}"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/customers/{cid}?notice=")
    shown = manager.get(r.headers["location"])
    assert "面谈理财" in shown.text and 'data-testid="log-notice"' in shown.text
    # never a redirect elsewhere
    r = manager.post("/workbench/log", data={
        "csrf_token": manager.csrf, "customer_id": cid, "kind": "call", "purpose": "service", "outcome": "reached",
        "back": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"].startswith("/workbench/log?")


def test_refusals(manager, login, web_bank):
    h = {"X-CSRF-Token": manager.csrf}
    staff_id = manager.account.staff_id
    other = duckdb.sql(f"SELECT customer_id FROM {_mart(web_bank, 'customer_360')} WHERE manager_id <> '{staff_id}' "
                       f"AND (grid_id IS NULL OR grid_id NOT IN (SELECT grid_id FROM {_mart(web_bank, 'customer_360')} "
                       f"WHERE manager_id = '{staff_id}')) LIMIT 1").fetchall()
    mine = _plan_of(web_bank, staff_id)[0]["customer_id"]
    n = _sql(web_bank, "SELECT count(*) FROM contacts")[0][0]
    if other:
        assert manager.post("/api/workbench/log", headers=h, json=_entry(other[0][0])).status_code == 404
        assert manager.get("/workbench/log/new", params={"customer_id": other[0][0]}).status_code == 404
    assert manager.post("/api/workbench/log", headers=h, json=_entry("NO-SUCH")).status_code == 404
    assert manager.post("/api/workbench/log", headers=h, json=_entry(mine, kind="telepathy")).status_code == 400
    assert manager.post("/api/workbench/log", headers=h, json=_entry(mine, outcome="maybe")).status_code == 400
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert manager.post("/api/workbench/log", headers=h, json=_entry(mine, at=later)).status_code == 400
    long_ago = (datetime.now(UTC) - timedelta(days=60)).isoformat()
    assert manager.post("/api/workbench/log", headers=h, json=_entry(mine, at=long_ago)).status_code == 400
    past = (formats.today(TZ) - timedelta(days=1)).isoformat()
    assert manager.post("/api/workbench/log", headers=h, json=_entry(mine, follow_up_on=past)).status_code == 400
    # a task that is not the manager's
    assert manager.post("/api/workbench/log", headers=h, json=_entry(mine, campaign_id=999999)).status_code == 404
    assert manager.get("/api/workbench/plan", params={"status": "sleeping"}).status_code == 400
    assert _sql(web_bank, "SELECT count(*) FROM contacts")[0][0] == n  # nothing was written
    for role in ("lobby_manager", "analyst", "collector"):
        c = login(role)
        assert c.get("/workbench").status_code == 403
        assert c.post("/api/workbench/log", headers={"X-CSRF-Token": c.csrf}, json=_entry(mine)).status_code == 403


def test_reminders_are_the_managers_rows_of_the_mart_nearest_first(manager, web_bank):
    staff_id = manager.account.staff_id
    want = duckdb.sql(f"SELECT customer_id, kind, ref FROM {_mart(web_bank, 'customer_reminders')} "
                      f"WHERE manager_id = '{staff_id}'").fetchall()
    got, page = [], 1
    while True:
        doc = manager.get("/api/workbench/reminders", params={"page": page}).json()
        got += doc["rows"]
        if page >= doc["pages"]:
            break
        page += 1
    assert sorted((r["customer_id"], r["kind"], r["ref"]) for r in got) == sorted(want)
    assert want, "the demo manager has something to be reminded of"
    ahead = [r["days_left"] for r in got if r["days_left"] > 0]
    assert ahead == sorted(ahead)
    assert all(r["reason_zh"] and r["reason_en"] for r in got)
    named = [r["name"] for r in got if r["name"]]
    assert all("*" in n for n in named)
    kinds = {r["kind"] for r in got}
    only = next(iter(kinds))
    assert {r["kind"] for r in manager.get("/api/workbench/reminders", params={"kind": only}).json()["rows"]} == {only}
    assert manager.get("/api/workbench/reminders", params={"kind": "comet"}).status_code == 400
    page = manager.get("/workbench/reminders")
    assert page.status_code == 200 and "source=reminder" in page.text
    home = manager.get("/workbench")
    assert 'data-testid="home-reminders"' in home.text and "source=reminder" in home.text
