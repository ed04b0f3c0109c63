"""Loan early warnings through the real app: the queue equals the snapshot's mart in the officer's scope, a
warning is taken, noted, closed with an outcome and a reason and reopened (each step audited and in the state
filters), refused to roles without the right, and exported to Excel."""

from __future__ import annotations

import io
from urllib.parse import quote

import duckdb
import pytest
from openpyxl import load_workbook

from tests.web.test_pages import _mart


def _in_scope(web_bank, role: str) -> list[tuple]:
    mart = _mart(web_bank, "credit_warnings")
    scope = web_bank.logins[role]
    rows = duckdb.sql(f"SELECT warning_id, rule, branch_id, exposure FROM {mart}").fetchall()
    if role == "analyst":
        return rows
    from finecrm.services.workspace import known_branches

    branches = known_branches(web_bank.ws) or {}
    under = {scope.branch_id}
    grew = True
    while grew:  # the branch and every branch below it
        more = {b for b, parent in branches.items() if parent in under} - under
        under |= more
        grew = bool(more)
    return [r for r in rows if r[2] in under]


def test_the_queue_is_the_mart_in_scope(login, web_bank):
    officer = login("risk_officer")
    expected = _in_scope(web_bank, "risk_officer")
    assert expected, "the session's bank raises warnings in the risk officer's branch"
    doc = officer.get("/api/credit/warnings", params={"page_size": 200}).json()
    assert doc["total"] == len(expected)
    assert {r["warning_id"] for r in doc["rows"]} == {r[0] for r in expected}
    exposures = [r["exposure"] for r in doc["rows"]]
    assert exposures == sorted(exposures, reverse=True)  # the largest exposure first
    by_rule = officer.get("/api/credit/warnings", params={"rule": expected[0][1], "page_size": 200}).json()
    assert {r["rule"] for r in by_rule["rows"]} == {expected[0][1]}
    page = officer.get("/credit/warnings")
    assert page.status_code == 200 and "贷款风险预警" in page.text and 'data-testid="warning-row"' in page.text
    assert officer.get("/api/credit/warnings", params={"rule": "nope"}).status_code == 400
    assert officer.get("/api/credit/warnings", params={"status": "nope"}).status_code == 400
    assert officer.get("/api/credit/warnings", params={"sort": "customer_id"}).status_code == 400


def _never_worked(web_bank) -> set[str]:
    """The warnings nobody has worked yet (the browser test works one of the same officer's warnings)."""
    from sqlalchemy import select

    from finecrm.db.models import WarningStep
    from finecrm.db.session import make_engine, session_factory

    engine = make_engine(web_bank.ws.database_url)
    try:
        with session_factory(engine)() as s:
            worked = set(s.scalars(select(WarningStep.warning_id)))
    finally:
        engine.dispose()
    return {r[0] for r in _in_scope(web_bank, "risk_officer")} - worked


def test_a_warning_is_taken_noted_closed_and_reopened(login, web_bank):
    officer = login("risk_officer")
    fresh = _never_worked(web_bank)
    wid = next(r[0] for r in _in_scope(web_bank, "risk_officer") if r[0] in fresh)
    url = f"/api/credit/warnings/{quote(wid)}"
    h = {"X-CSRF-Token": officer.csrf}
    took = officer.post(f"{url}/steps", json={"step": "assign"}, headers=h)
    assert took.status_code == 200, took.text
    assert took.json()["warning"]["status"] == "taken"
    assert took.json()["warning"]["assignee"] == web_bank.logins["risk_officer"].username
    mine = officer.get("/api/credit/warnings", params={"mine": "true", "page_size": 200}).json()
    assert wid in {r["warning_id"] for r in mine["rows"]}
    assert officer.post(f"{url}/steps", json={"step": "note", "note": "已电话联系借款人，称下周还款"},
                        headers=h).status_code == 200
    # closing needs an outcome and a reason
    assert officer.post(f"{url}/steps", json={"step": "close", "note": "已还款入账"}, headers=h).status_code == 400
    assert officer.post(f"{url}/steps", json={"step": "close", "outcome": "resolved", "note": "好"},
                        headers=h).status_code == 400
    closed = officer.post(f"{url}/steps", json={"step": "close", "outcome": "resolved", "note": "借款人已还清逾期款项"},
                          headers=h)
    assert closed.status_code == 200 and closed.json()["warning"]["status"] == "closed"
    assert officer.post(f"{url}/steps", json={"step": "close", "outcome": "other", "note": "再次关闭"},
                        headers=h).status_code == 400
    assert wid in {r["warning_id"] for r in officer.get("/api/credit/warnings", params={
        "status": "closed", "page_size": 200}).json()["rows"]}
    assert wid not in {r["warning_id"] for r in officer.get("/api/credit/warnings", params={
        "status": "open", "page_size": 200}).json()["rows"]}
    reopened = officer.post(f"{url}/steps", json={"step": "reopen", "note": "再次逾期"}, headers=h)
    assert reopened.status_code == 200 and reopened.json()["warning"]["status"] == "taken"
    assert [s["step"] for s in reopened.json()["steps"] if s["by"] == web_bank.logins["risk_officer"].username][-4:] \
        == ["assign", "note", "close", "reopen"]
    audit = login("compliance_officer").get("/api/audit", params={"target": f"warning:{wid}"}).json()["rows"]
    assert {"credit_warning_assign", "credit_warning_note", "credit_warning_close", "credit_warning_reopen"} <= {
        e["action"] for e in audit}
    html = officer.get(f"/credit/warnings/{quote(wid)}")
    assert html.status_code == 200 and "借款人已还清逾期款项" in html.text and 'data-testid="reopen"' not in html.text


def test_a_warning_goes_only_to_a_colleague_who_may_work_it(login, web_bank):
    officer = login("risk_officer")
    wid = _in_scope(web_bank, "risk_officer")[-1][0]
    url = f"/api/credit/warnings/{quote(wid)}/steps"
    h = {"X-CSRF-Token": officer.csrf}
    checker = web_bank.logins["risk_officer"].username + "_checker"  # the demo's second risk officer
    ok = officer.post(url, json={"step": "assign", "assignee": checker}, headers=h)
    assert ok.status_code == 200 and ok.json()["warning"]["assignee"] == checker
    manager = web_bank.logins["customer_manager"].username
    refused = officer.post(url, json={"step": "assign", "assignee": manager}, headers=h)
    assert refused.status_code == 400 and manager in refused.json()["message"]
    assert officer.post(url, json={"step": "assign", "assignee": "nobody_here"}, headers=h).status_code == 400


@pytest.mark.parametrize("role", ["lobby_manager", "collector", "compliance_officer", "analyst"])
def test_roles_without_the_right_see_no_warnings(login, role):
    assert login(role).get("/api/credit/warnings").status_code == 403


def test_a_branch_head_sees_the_warnings_but_does_not_work_them(login, web_bank):
    head = login("branch_head")
    doc = head.get("/api/credit/warnings", params={"page_size": 200}).json()
    assert {r["warning_id"] for r in doc["rows"]} == {r[0] for r in _in_scope(web_bank, "branch_head")}
    if doc["rows"]:
        wid = doc["rows"][0]["warning_id"]
        r = head.post(f"/api/credit/warnings/{quote(wid)}/steps", json={"step": "assign"},
                      headers={"X-CSRF-Token": head.csrf})
        assert r.status_code == 403


def test_a_warning_outside_the_scope_is_not_found(login, web_bank):
    officer = login("risk_officer")
    inside = {r[0] for r in _in_scope(web_bank, "risk_officer")}
    outside = [r[0] for r in _in_scope(web_bank, "analyst") if r[0] not in inside]
    assert officer.get(f"/api/credit/warnings/{quote('first_missed:NOPE:2026-01-01')}").status_code == 404
    if outside:
        assert officer.get(f"/api/credit/warnings/{quote(outside[0])}").status_code == 404


def test_the_export_is_the_filtered_queue_and_is_audited(login, web_bank):
    officer = login("risk_officer")
    r = officer.post("/api/credit/warnings/export", headers={"X-CSRF-Token": officer.csrf})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("warning_id", "rule", "rule_zh")
    assert {row[0] for row in rows[1:]} == {w[0] for w in _in_scope(web_bank, "risk_officer")}
    audit = login("compliance_officer").get("/api/audit", params={"action": "export_credit_warnings"}).json()["rows"]
    assert audit and audit[0]["actor"] == web_bank.logins["risk_officer"].username


def test_the_loan_file_lists_its_warnings(login, web_bank):
    officer = login("risk_officer")
    mart = _mart(web_bank, "credit_warnings")
    inside = {r[0] for r in _in_scope(web_bank, "risk_officer")}
    loans = [r for r in duckdb.sql(f"SELECT warning_id, loan_id FROM {mart} WHERE loan_id IS NOT NULL").fetchall()
             if r[0] in inside]
    assert loans, "the session's bank raises loan warnings in the risk officer's scope"
    wid, loan_id = loans[0]
    doc = officer.get(f"/api/credit/loans/{loan_id}").json()
    assert wid in {w["warning_id"] for w in doc["warnings"]}
    page = officer.get(f"/credit/loans/{loan_id}").text
    assert 'data-testid="loan-warnings"' in page and loan_id in page
