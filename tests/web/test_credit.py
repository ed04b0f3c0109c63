"""The risk officer's loan book through the real app: the portfolio equals an independent count of the snapshot,
the loan list filters and sorts, and a category change is made by two people (maker-checker) — on the session's
bank (SQLite) and refused to roles without the right."""

from __future__ import annotations

import duckdb
import pytest

from finecrm.db.session import make_engine, session_factory
from finecrm.services.access import users
from finecrm.services.workspace import known_branches
from tests.web.conftest import web_client
from tests.web.test_pages import _mart


@pytest.fixture(scope="module")
def reviewer(web_bank):
    """A second risk officer, as a bank has: the one who approves what the first proposes."""
    engine = make_engine(web_bank.ws.database_url)
    password = "Kq7#vRm2-Lp9x!"
    with session_factory(engine)() as s, s.begin():
        users.add_user(s, username="risk_reviewer", role="risk_officer", password=password, actor="tests",
                       must_change_password=False, branches=known_branches(web_bank.ws) or {},
                       branch_id=web_bank.logins["risk_officer"].branch_id)
    engine.dispose()
    client = web_client(web_bank.app)
    r = client.post("/api/auth/login", json={"username": "risk_reviewer", "password": password})
    assert r.status_code == 200, r.text
    client.csrf = r.json()["csrf_token"]
    return client


def test_the_portfolio_equals_the_snapshot(login, web_bank):
    officer = login("risk_officer")
    doc = officer.get("/api/credit/portfolio").json()
    mart = _mart(web_bank, "loan_classification")
    expected = dict(duckdb.sql(f"SELECT final_category, count(*) FROM {mart} GROUP BY 1").fetchall())
    assert {c["category"]: c["loans"] for c in doc["categories"] if c["loans"]} == expected
    npl, total = duckdb.sql(f"SELECT sum(outstanding_principal) FILTER (WHERE final_category IN ('substandard', "
                            f"'doubtful', 'loss')), sum(outstanding_principal) FROM {mart}").fetchall()[0]
    assert doc["npl_ratio"] == pytest.approx((npl or 0) / total)
    page = officer.get("/credit")
    assert page.status_code == 200 and "不良率" in page.text


def test_the_loan_list_filters_and_sorts(login, web_bank):
    officer = login("risk_officer")
    rows = officer.get("/api/credit/loans?overdue=true&sort=-dpd&page_size=200").json()["rows"]
    assert rows and all(r["dpd"] > 0 for r in rows)
    assert [r["dpd"] for r in rows] == sorted((r["dpd"] for r in rows), reverse=True)
    assert officer.get("/api/credit/loans?sort=name").status_code == 400
    assert officer.get("/api/credit/loans?category=bad").status_code == 400
    assert officer.get("/credit/loans?overdue=1").status_code == 200


def test_a_milder_category_needs_a_second_officer(login, reviewer, web_bank):
    officer = login("risk_officer")
    mart = _mart(web_bank, "loan_classification")
    loan_id = duckdb.sql(f"SELECT loan_id FROM {mart} WHERE final_category = 'substandard' OR "
                         f"final_category = 'special_mention' ORDER BY loan_id LIMIT 1").fetchall()[0][0]
    r = officer.post(f"/api/credit/loans/{loan_id}/category", json={"category": "normal", "reason": "已结清，待入账"},
                     headers={"X-CSRF-Token": officer.csrf})
    assert r.status_code == 200, r.text
    change = r.json()
    assert change["status"] == "pending"
    # the proposer cannot approve; the second officer can, once
    own = officer.post(f"/api/credit/approvals/{change['id']}", json={"approve": True, "note": "同意"},
                       headers={"X-CSRF-Token": officer.csrf})
    assert own.status_code == 403
    queue = reviewer.get("/credit/approvals")
    assert f'data-testid="change-{change["id"]}"' in queue.text
    ok = reviewer.post(f"/api/credit/approvals/{change['id']}", json={"approve": True, "note": "核实无误"},
                       headers={"X-CSRF-Token": reviewer.csrf})
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    again = reviewer.post(f"/api/credit/approvals/{change['id']}", json={"approve": True, "note": "再次"},
                          headers={"X-CSRF-Token": reviewer.csrf})
    assert again.status_code == 400
    file = officer.get(f"/api/credit/loans/{loan_id}").json()
    assert file["current_category"] == "normal"
    assert [c["status"] for c in file["changes"]] == ["approved"]
    audit = login("compliance_officer").get("/api/audit?page_size=50&action=loan_category_approved").json()["rows"]
    assert any(e["actor"] == "risk_reviewer" and e["target"] == f"loan:{loan_id}" for e in audit)


def test_a_more_severe_category_applies_at_once_from_the_form(login, web_bank):
    from tests.web.conftest import form_csrf

    officer = login("risk_officer")
    mart = _mart(web_bank, "loan_classification")
    loan_id = duckdb.sql(f"SELECT loan_id FROM {mart} WHERE final_category = 'normal' ORDER BY loan_id DESC "
                         f"LIMIT 1").fetchall()[0][0]
    page = officer.get(f"/credit/loans/{loan_id}")
    assert page.status_code == 200
    r = officer.post(f"/credit/loans/{loan_id}/category", data={"category": "doubtful", "reason": "借款人涉诉，抵押物查封",
                                                                "csrf_token": form_csrf(page.text)},
                     follow_redirects=False)
    assert r.status_code == 303, r.text
    after = officer.get(f"/api/credit/loans/{loan_id}").json()
    assert after["current_category"] == "doubtful" and after["changes"][0]["status"] == "applied"


def test_roles_without_the_right_are_refused(login):
    assert login("lobby_manager").get("/credit").status_code == 403
    assert login("analyst").get("/api/credit/portfolio").status_code == 403
    head = login("branch_head")
    assert head.get("/credit").status_code == 200  # a branch head sees the branch's loan book
    assert head.get("/credit/approvals").status_code == 403
    assert head.post("/api/credit/loans/X/category", json={"category": "loss", "reason": "不应允许"},
                     headers={"X-CSRF-Token": head.csrf}).status_code == 403
