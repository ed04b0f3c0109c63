"""Alerts → cases → reports through the real app: triage (dismiss and reopen with reasons), a case opened from an
alert with its deadline in working days, another alert added, the report proposed by one officer and approved by
another (never the same), the report exported and every step audited; a decision sent back; roles without the
right refused."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import quote

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from finecrm.core import formats
from finecrm.db.session import make_engine, session_factory
from finecrm.services.access import users
from tests.web.conftest import web_client
from tests.web.test_pages import _mart

PASSWORD = "Hq4#wZn8-Rk2v!"


@pytest.fixture(scope="module")
def reviewer(web_bank):
    """A second compliance officer: the one who approves what the first proposes."""
    engine = make_engine(web_bank.ws.database_url)
    with session_factory(engine)() as s, s.begin():
        users.add_user(s, username="aml_reviewer", role="compliance_officer", password=PASSWORD, actor="tests",
                       must_change_password=False)
    engine.dispose()
    client = web_client(web_bank.app)
    r = client.post("/api/auth/login", json={"username": "aml_reviewer", "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.csrf = r.json()["csrf_token"]
    return client


@pytest.fixture(scope="module")
def alert_ids(web_bank) -> list[str]:
    ids = [r[0] for r in duckdb.sql(f"SELECT alert_id FROM {_mart(web_bank, 'aml_alerts')} "
                                    "ORDER BY score DESC, alert_id").fetchall()]
    assert len(ids) >= 6, "the session's bank raises enough AML alerts to work"
    return ids


def _triage(client, alert_id: str, **body):
    return client.post(f"/api/aml/alerts/{quote(alert_id)}/triage", json=body, headers={"X-CSRF-Token": client.csrf})


def test_an_alert_is_dismissed_with_a_reason_and_reopened(login, alert_ids):
    officer = login("compliance_officer")
    a = alert_ids[-1]
    assert _triage(officer, a, action="dismiss").status_code == 400  # no reason
    r = _triage(officer, a, action="dismiss", reason="交易对手为其本人在他行的工资卡")
    assert r.status_code == 200 and r.json()["state"] == "dismissed"
    assert _triage(officer, a, action="dismiss", reason="again, twice").status_code == 400
    assert r.json()["reason"] == "交易对手为其本人在他行的工资卡"
    page = officer.get(f"/aml/alerts/{quote(a)}").text
    assert 'data-testid="triage-state">已排除' in page and 'data-testid="reopen"' in page
    assert _triage(officer, a, action="reopen").status_code == 400
    back = _triage(officer, a, action="reopen", reason="收到他行协查函")
    assert back.status_code == 200 and back.json()["state"] == "new"
    page = officer.get(f"/aml/alerts/{quote(a)}").text
    assert 'data-testid="triage-state">待研判' in page and 'data-testid="open-case"' in page
    audit = login("compliance_officer").get("/api/audit", params={"target": f"aml_alert:{a}"}).json()["rows"]
    assert {"aml_alert_dismissed", "aml_alert_reopened"} <= {e["action"] for e in audit}


def test_a_case_is_reported_by_two_officers(login, reviewer, alert_ids, web_bank):
    officer = login("compliance_officer")
    first, second = alert_ids[0], alert_ids[1]
    opened = _triage(officer, first, action="open_case", title="疑似快进快出团伙")
    assert opened.status_code == 200 and opened.json()["state"] == "case"
    case_id = opened.json()["case_id"]
    assert _triage(officer, second, action="add_to_case", case_id=case_id).json()["case_id"] == case_id
    assert _triage(officer, first, action="dismiss", reason="已立案的不能再排除").status_code == 400
    doc = officer.get(f"/api/aml/cases/{case_id}").json()
    today = formats.today(web_bank.ws.settings.bank.timezone)
    ten_working_days = pd.bdate_range(pd.Timestamp(today) + pd.Timedelta(days=1), periods=10)[-1].date()
    assert doc["case"]["due_on"] == ten_working_days.isoformat() and doc["case"]["status"] == "open"
    assert {a["alert_id"] for a in doc["alerts"]} == {first, second}
    parties = duckdb.sql(f"SELECT DISTINCT party_id FROM {_mart(web_bank, 'aml_alert_parties')} "
                         f"WHERE alert_id IN ('{first}', '{second}')").fetchall()
    assert {p["party_id"] for p in doc["parties"]} == {p[0] for p in parties}
    h = {"X-CSRF-Token": officer.csrf}
    assert officer.post(f"/api/aml/cases/{case_id}/notes", json={"text": "调取了柜面录像"}, headers=h).status_code == 200
    assert officer.post(f"/api/aml/cases/{case_id}/proposal", json={"decision": "report", "text": "太短"},
                        headers=h).status_code == 422
    narrative = "账户在三日内多次大额转入后迅速转出至多个无关联账户，资金留存不足百分之五，与客户身份不符。"
    r = officer.post(f"/api/aml/cases/{case_id}/proposal", json={"decision": "report", "text": narrative}, headers=h)
    assert r.status_code == 200 and r.json()["case"]["status"] == "proposed"
    # the one who proposed cannot approve; a second officer does
    own = officer.post(f"/api/aml/cases/{case_id}/decision", json={"approve": True, "note": "同意"}, headers=h)
    assert own.status_code == 403
    ok = reviewer.post(f"/api/aml/cases/{case_id}/decision", json={"approve": True, "note": "核实无误，同意上报"},
                       headers={"X-CSRF-Token": reviewer.csrf})
    assert ok.status_code == 200, ok.text
    case = ok.json()["case"]
    assert case["status"] == "reported" and case["decided_by"] == "aml_reviewer"
    assert case["retain_until"] == date(today.year + 10, today.month, min(today.day, 28 if today.month == 2
                                                                       else today.day)).isoformat()
    assert reviewer.post(f"/api/aml/cases/{case_id}/notes", json={"text": "结案后补记"},
                         headers={"X-CSRF-Token": reviewer.csrf}).status_code == 400
    # the report: narrative, parties, alerts, transactions
    x = officer.post(f"/api/aml/cases/{case_id}/report", headers=h)
    assert x.status_code == 200
    wb = load_workbook(io.BytesIO(x.content), read_only=True)
    sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    report = dict(r[:2] for r in sheets["可疑交易报告 report"])
    assert report["报告正文 narrative"] == narrative and report["复核 approved by"] == "aml_reviewer"
    assert {r[0] for r in sheets["涉及主体 parties"][1:]} == {p[0] for p in parties}
    assert {r[0] for r in sheets["预警 alerts"][1:]} == {first, second}
    assert len(sheets["交易 transactions"]) > 1
    events = login("compliance_officer").get("/api/audit", params={"target": f"aml_case:{case_id}"}).json()["rows"]
    assert {"aml_case_opened", "aml_alert_to_case", "aml_case_note", "aml_case_proposed", "aml_case_approved",
            "aml_report_exported"} <= {e["action"] for e in events}
    page = officer.get(f"/aml/cases/{case_id}")
    assert page.status_code == 200 and narrative in page.text and "已上报" in page.text


def test_a_decision_sent_back_reopens_the_investigation(login, reviewer, alert_ids):
    officer = login("compliance_officer")
    h = {"X-CSRF-Token": officer.csrf}
    case_id = _triage(officer, alert_ids[2], action="open_case", title="休眠账户突然启用").json()["case_id"]
    reason = "经核实为客户本人回国后正常使用，资金来源为工资"
    assert officer.post(f"/api/aml/cases/{case_id}/proposal", json={"decision": "no_report", "text": reason},
                        headers=h).status_code == 200
    back = reviewer.post(f"/api/aml/cases/{case_id}/decision", json={"approve": False, "note": "请补充工资流水"},
                         headers={"X-CSRF-Token": reviewer.csrf})
    assert back.status_code == 200 and back.json()["case"]["status"] == "open"
    assert officer.post(f"/api/aml/cases/{case_id}/report", headers=h).status_code == 400  # nothing reported
    assert officer.post(f"/api/aml/cases/{case_id}/proposal", json={"decision": "no_report",
                        "text": reason + "，已补充流水"}, headers=h).status_code == 200
    closed = reviewer.post(f"/api/aml/cases/{case_id}/decision", json={"approve": True, "note": "同意不上报"},
                           headers={"X-CSRF-Token": reviewer.csrf})
    assert closed.json()["case"]["status"] == "closed" and closed.json()["case"]["retain_until"]
    kinds = [e["kind"] for e in closed.json()["events"]]
    assert kinds == ["opened", "alert_added", "proposed", "rejected", "proposed", "approved"]
    listed = officer.get("/api/aml/cases", params={"status": "closed"}).json()["rows"]
    assert case_id in {c["id"] for c in listed}
    assert officer.get("/api/aml/cases", params={"status": "nope"}).status_code == 400
    assert officer.get("/api/aml/cases/999999").status_code == 404


@pytest.mark.parametrize("role", ["risk_officer", "analyst", "branch_head", "collector"])
def test_roles_without_the_right_cannot_triage_or_see_cases(login, role, alert_ids):
    client = login(role)
    assert client.get("/api/aml/cases").status_code == 403
    assert _triage(client, alert_ids[3], action="dismiss", reason="no right to do this").status_code == 403
