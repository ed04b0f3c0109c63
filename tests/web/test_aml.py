"""The compliance officer's AML pages through the real app: the alert queue and the large-value list equal the
snapshot's marts, an alert shows its evidence and every party, and roles without ``work_case`` are refused."""

from __future__ import annotations

import duckdb

from tests.web.test_pages import _mart


def test_the_alert_queue_equals_the_mart(login, web_bank):
    officer = login("compliance_officer")
    mart = _mart(web_bank, "aml_alerts")
    by_rule = dict(duckdb.sql(f"SELECT rule, count(*) FROM {mart} GROUP BY 1").fetchall())
    assert sum(by_rule.values()) > 0, "the generated bank injects AML cases: its alerts should be here"
    counts = {c["rule"]: c["alerts"] for c in officer.get("/api/aml/rules").json()}
    assert {k: v for k, v in counts.items() if v} == by_rule
    page = officer.get("/api/aml/alerts?page_size=200&sort=-score").json()
    assert page["total"] == sum(by_rule.values())
    scores = [r["score"] for r in page["rows"]]
    assert scores == sorted(scores, reverse=True)
    rule = next(iter(by_rule))
    only = officer.get(f"/api/aml/alerts?rule={rule}&page_size=200").json()
    assert only["total"] == by_rule[rule] and {r["rule"] for r in only["rows"]} == {rule}
    html = officer.get("/aml")
    assert html.status_code == 200 and "可疑交易预警" in html.text


def test_an_alert_shows_its_evidence_and_parties(login, web_bank):
    officer = login("compliance_officer")
    alerts, parties = _mart(web_bank, "aml_alerts"), _mart(web_bank, "aml_alert_parties")
    alert_id, evidence = duckdb.sql(f"SELECT alert_id, evidence_zh FROM {alerts} ORDER BY score DESC, alert_id "
                                    f"LIMIT 1").fetchall()[0]
    expected = {r[0] for r in duckdb.sql(f"SELECT party_id FROM {parties} WHERE alert_id = '{alert_id}'").fetchall()}
    doc = officer.get(f"/api/aml/alerts/{alert_id}").json()
    assert {p["party_id"] for p in doc["parties"]} == expected and expected
    page = officer.get(f"/aml/alerts/{alert_id}")
    assert page.status_code == 200 and evidence in page.text
    assert officer.get("/api/aml/alerts/no-such-alert").status_code == 404


def test_large_value_reports_equal_the_mart(login, web_bank):
    officer = login("compliance_officer")
    mart = _mart(web_bank, "aml_large_value")
    total, cash = duckdb.sql(f"SELECT count(*), count(*) FILTER (WHERE report_kind = 'cash') FROM {mart}"
                             ).fetchall()[0]
    assert officer.get("/api/aml/large-value").json()["total"] == total
    assert officer.get("/api/aml/large-value?kind=cash").json()["total"] == cash
    assert officer.get("/aml/large-value").status_code == 200
    assert officer.get("/api/aml/large-value?since=2026-10-01&until=2026-09-01").status_code == 400


def test_bad_requests_and_roles_without_the_right(login):
    officer = login("compliance_officer")
    assert officer.get("/api/aml/alerts?sort=name").status_code == 400
    assert officer.get("/api/aml/alerts?rule=nope").status_code == 400
    assert officer.get("/api/aml/alerts?min_score=500").status_code == 422
    for role in ("analyst", "risk_officer", "customer_manager", "admin"):
        assert login(role).get("/aml").status_code == 403, role
        assert login(role).get("/api/aml/alerts").status_code == 403, role
