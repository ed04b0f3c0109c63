"""Insider monitoring is for compliance, not for the people it concerns (issue 16, item 8): an alert that names a
staff member — and a case holding one — does not exist for a compliance officer who is that staff member or works
at the same outlet (404 everywhere, absent from lists and counts), while the head office's officer works it as any
other. The scoping rule itself is checked on hand-made rows: the Ibis filter and the row check agree."""

from __future__ import annotations

from urllib.parse import quote

import duckdb
import ibis
import pytest

from finecrm.authz import alert_in_scope, make_principal, scope_alerts
from finecrm.db.session import make_engine, session_factory
from finecrm.services.access import users
from finecrm.services.aml import cases
from tests.web.conftest import web_client
from tests.web.test_pages import _mart

PASSWORD = "Hq4#wZn8-Rk2v!"


def test_the_filter_and_the_row_check_agree_on_hand_made_alerts():
    rows = [
        {"alert_id": "a1", "customer_id": "C1", "branch_id": "B1", "staff_id": None, "staff_branch_id": None},
        {"alert_id": "a2", "customer_id": "C2", "branch_id": "B1", "staff_id": "S9", "staff_branch_id": "B2"},
        {"alert_id": "a3", "customer_id": "C3", "branch_id": "B2", "staff_id": "S7", "staff_branch_id": "B3"},
    ]
    table = ibis.memtable(rows)
    cases_ = {
        # (branch, staff) of the officer → the alerts they see
        (None, None): {"a1", "a2", "a3"},  # head office, no staff number
        (None, "S9"): {"a1", "a3"},  # the staff member named by a2
        ("B2", None): {"a1", "a3"},  # a colleague of a2's outlet
        ("B3", "S1"): {"a1", "a2"},  # a colleague of a3's outlet
    }
    for (branch, staff), want in cases_.items():
        p = make_principal("officer", "compliance_officer", branches={"B1": None, "B2": None, "B3": None},
                           branch_id=branch, staff_id=staff)
        got = set(scope_alerts(p, table).alert_id.to_pyarrow().to_pylist())
        assert got == want, (branch, staff)
        assert {r["alert_id"] for r in rows if alert_in_scope(p, r)} == want, (branch, staff)


@pytest.fixture(scope="module")
def insider(web_bank) -> dict:
    rows = duckdb.sql(f"SELECT alert_id, staff_id, staff_branch_id FROM {_mart(web_bank, 'aml_alerts')} "
                      "WHERE rule = 'insider_ebanking' ORDER BY alert_id").fetchall()
    assert rows, "the session's bank has an insider case"
    alert_id, staff_id, branch_id = rows[0]
    assert staff_id and branch_id
    return {"alert_id": alert_id, "staff_id": staff_id, "branch_id": branch_id}


def _officer(web_bank, username: str, **where) -> object:
    engine = make_engine(web_bank.ws.database_url)
    with session_factory(engine)() as s, s.begin():
        users.add_user(s, username=username, role="compliance_officer", password=PASSWORD, actor="tests",
                       must_change_password=False, **where)
    engine.dispose()
    client = web_client(web_bank.app)
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.csrf = r.json()["csrf_token"]
    return client


def _all(client, path: str, **params) -> list[dict]:
    rows, page = [], 1
    while True:
        doc = client.get(path, params={**params, "page": page}).json()
        rows += doc["rows"]
        if page * doc["page_size"] >= doc["total"]:
            return rows
        page += 1


def _case_of(web_bank, alert_id: str) -> int | None:
    engine = make_engine(web_bank.ws.database_url)
    try:
        with session_factory(engine)() as s:
            state = cases.triage_states(s, [alert_id]).get(alert_id)
            return state["case_id"] if state else None
    finally:
        engine.dispose()


def test_an_insider_alert_and_its_case_do_not_exist_for_the_staff_member_and_their_outlet(web_bank, login, insider):
    head_office = login("compliance_officer")
    a = insider["alert_id"]
    # the head office's officer sees the alert and puts it into a case (or finds the case it is in)
    assert head_office.get(f"/api/aml/alerts/{quote(a)}").status_code == 200
    case_id = _case_of(web_bank, a)
    if case_id is None:
        r = head_office.post(f"/api/aml/alerts/{quote(a)}/triage", json={"action": "open_case", "title": "员工代客开通网银"},
                             headers={"X-CSRF-Token": head_office.csrf})
        assert r.status_code == 200, r.text
        case_id = r.json()["case_id"]
    listed = {c["id"] for c in _all(head_office, "/api/aml/cases")}
    assert head_office.get(f"/api/aml/cases/{case_id}").status_code == 200

    themselves = _officer(web_bank, "aml_insider_self", staff_id=insider["staff_id"], branch_id=insider["branch_id"])
    colleague = _officer(web_bank, "aml_insider_colleague", branch_id=insider["branch_id"])
    for client in (themselves, colleague):
        assert a not in {r["alert_id"] for r in _all(client, "/api/aml/alerts", rule="insider_ebanking")}
        assert client.get(f"/api/aml/alerts/{quote(a)}").status_code == 404
        assert client.get(f"/aml/alerts/{quote(a)}").status_code == 404
        h = {"X-CSRF-Token": client.csrf}
        assert client.post(f"/api/aml/alerts/{quote(a)}/triage", json={"action": "dismiss", "reason": "与我无关的预警"},
                           headers=h).status_code == 404
        counts = {c["rule"]: c["alerts"] for c in client.get("/api/aml/rules").json()}
        full = {c["rule"]: c["alerts"] for c in head_office.get("/api/aml/rules").json()}
        assert counts["insider_ebanking"] < full["insider_ebanking"]
        # the case holding it: not listed, 404 to read, to note, to propose and to export
        mine = {c["id"] for c in _all(client, "/api/aml/cases")}
        assert case_id in listed and case_id not in mine
        assert client.get(f"/api/aml/cases/{case_id}").status_code == 404
        assert client.post(f"/api/aml/cases/{case_id}/notes", json={"text": "查看一下这个案件"},
                           headers=h).status_code == 404
        assert client.post(f"/api/aml/cases/{case_id}/report", headers=h).status_code == 404
    # nothing else is hidden from the colleague: every other alert stays
    other = head_office.get("/api/aml/alerts").json()["total"]
    assert colleague.get("/api/aml/alerts").json()["total"] == other - sum(
        1 for r in duckdb.sql(f"SELECT staff_branch_id FROM {_mart(web_bank, 'aml_alerts')}").fetchall()
        if r[0] == insider["branch_id"])
