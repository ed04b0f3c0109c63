"""Creating a campaign with a preview of every step of the list, confirming it, and ending it (close, cancel).

The preview's figures are checked against counts computed here, in SQL straight on the snapshot's marts
with the audience's rule (not through the services), and the draw's members against the preview's last
figure. Closing and cancelling are checked through the audit log and the managers' task lists.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pytest
from sqlalchemy import select

from finecrm.db.models import AuditEvent, Campaign, CampaignMember
from tests.web.test_marketing import _as_of
from tests.web.test_pages import _mart

TARGET = "mobile_banking"  # a service signup: no product risk level, so no suitability step


#: The audience's rule, and the same condition in SQL over customer_360 (alias c), written out here.
RULE = "kind = 'individual' AND age < 50"
RULE_SQL = "c.kind = 'individual' AND c.age < 50"


def _independent_steps(web_bank: Any, top_n: int, cap: int) -> dict[str, int]:
    """Each step's count from the marts, in SQL written here (the analyst sees the whole bank)."""
    base = (f"FROM {_mart(web_bank, 'customer_360')} c LEFT JOIN {_mart(web_bank, 'customer_propensity')} p "
            f"USING (customer_id) LEFT JOIN {_mart(web_bank, 'product_adoption')} a USING (customer_id) "
            f"WHERE ({RULE_SQL})")

    def n(extra: str = "") -> int:
        return int(duckdb.sql(f"SELECT count(*) {base} {extra}").fetchall()[0][0])

    audience = n()
    eligible = n(f"AND coalesce(p.eligible_{TARGET}, false)")
    never_held = n(f"AND coalesce(p.eligible_{TARGET}, false) AND a.first_{TARGET}_on IS NULL")
    scored = n(f"AND coalesce(p.eligible_{TARGET}, false) AND a.first_{TARGET}_on IS NULL AND p.p_{TARGET} IS NOT NULL")
    return {"audience": audience, "in_scope": audience, "eligible": eligible, "never_held": never_held,
            "scored": scored, "top_n": min(top_n, scored), "size_cap": min(cap, top_n, scored)}


def _top_ids(web_bank: Any, k: int) -> set[str]:
    rows = duckdb.sql(
        f"SELECT customer_id FROM {_mart(web_bank, 'customer_360')} c "
        f"JOIN {_mart(web_bank, 'customer_propensity')} p USING (customer_id) "
        f"LEFT JOIN {_mart(web_bank, 'product_adoption')} a USING (customer_id) "
        f"WHERE ({RULE_SQL}) AND p.eligible_{TARGET} AND a.first_{TARGET}_on IS NULL AND p.p_{TARGET} IS NOT NULL "
        f"ORDER BY p.p_{TARGET} DESC, customer_id LIMIT {k}").fetchall()
    return {r[0] for r in rows}


@pytest.fixture(scope="module")
def audience(login, web_bank) -> dict[str, Any]:
    analyst = login("analyst")
    r = analyst.post("/api/audiences", headers={"X-CSRF-Token": analyst.csrf},
                     json={"name": "预览测试客群", "rule": RULE})
    assert r.status_code == 200, r.text
    return r.json()


def test_the_preview_counts_every_step_and_the_draw_keeps_its_last_figure(login, web_bank, audience):
    analyst = login("analyst")
    h = {"X-CSRF-Token": analyst.csrf}
    start = _as_of(web_bank) + timedelta(days=5)
    body = {"name": "预览与抽取一致", "target": TARGET, "channel": "sms", "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=20)).isoformat(), "audience": str(audience["id"]), "top_n": 120,
            "size_cap": 80, "control_share": 0.25, "seed": 7}
    preview = analyst.post("/api/campaigns/preview", headers=h, json=body)
    assert preview.status_code == 200, preview.text
    p = preview.json()
    expected = _independent_steps(web_bank, 120, 80)
    assert [s["step"] for s in p["steps"]] == list(expected)
    assert {s["step"]: s["remaining"] for s in p["steps"]} == expected
    assert all(s["removed"] == a["remaining"] - s["remaining"] for a, s in zip(p["steps"], p["steps"][1:], strict=False))
    assert p["error"] is None and p["members"] == expected["size_cap"] == p["treatment"] + p["control"]
    # The preview wrote nothing.
    with web_bank.app.state.finecrm.sessions() as s:
        assert s.scalars(select(Campaign).where(Campaign.name == body["name"])).first() is None

    created = analyst.post("/api/campaigns", headers=h, json=body)
    assert created.status_code == 200, created.text
    doc = created.json()
    assert doc["details"]["counts"]["members"] == p["steps"][-1]["remaining"]
    assert doc["details"]["counts"]["control"] == p["control"]
    assert doc["details"]["steps"] == p["steps"]
    with web_bank.app.state.finecrm.sessions() as s:
        members = {m.customer_id for m in s.scalars(select(CampaignMember).where(CampaignMember.campaign_id == doc["id"]))}
    # top 120 by propensity, then capped to the 80 highest: the 80 highest.
    assert members == _top_ids(web_bank, 80)


def test_a_list_that_cannot_be_drawn_still_shows_where_the_customers_went(login, web_bank):
    analyst = login("analyst")
    h = {"X-CSRF-Token": analyst.csrf}
    r = analyst.post("/api/audiences", headers=h, json={"name": "一人客群", "rule": "age < 0"})
    assert r.status_code == 200, r.text
    body = {"name": "空名单", "target": TARGET, "channel": "sms", "start_date": "2026-10-01",
            "end_date": "2026-10-31", "audience": str(r.json()["id"])}
    p = analyst.post("/api/campaigns/preview", headers=h, json=body).json()
    assert p["steps"][0]["remaining"] == 0 and p["members"] == 0
    assert "名单为空" in p["error"] and "empty" in p["error"]
    assert analyst.post("/api/campaigns", headers=h, json=body).status_code == 400


def test_the_form_previews_then_confirms(login, web_bank, audience):
    analyst = login("analyst")
    start = _as_of(web_bank) + timedelta(days=3)
    form = {"csrf_token": analyst.csrf, "name": "表单预览确认", "target": TARGET, "channel": "phone",
            "audience": str(audience["id"]), "top_n": "40", "control_percent": "20", "seed": "3",
            "start_date": start.isoformat(), "end_date": (start + timedelta(days=9)).isoformat(),
            "cost_per_contact": "2"}
    page = analyst.post("/campaigns/preview", data=form)
    assert page.status_code == 200, page.text
    assert 'data-testid="campaign-steps"' in page.text and "确认抽取" in page.text
    assert 'data-testid="step-top_n"' in page.text
    with web_bank.app.state.finecrm.sessions() as s:
        assert s.scalars(select(Campaign).where(Campaign.name == form["name"])).first() is None
    done = analyst.post("/campaigns", data=form, follow_redirects=False)
    assert done.status_code == 303
    with web_bank.app.state.finecrm.sessions() as s:
        c = s.scalars(select(Campaign).where(Campaign.name == form["name"])).one()
        assert c.control_share == pytest.approx(0.2)  # typed as 20 (%)
        assert c.details["counts"]["members"] == min(40, _independent_steps(web_bank, 40, 40)["scored"])
    # Bad input on the preview: a clear 400 with the form again, never a 500.
    bad = analyst.post("/campaigns/preview", data={**form, "end_date": "2020-01-01"})
    assert bad.status_code == 400 and "早于" in bad.text


def _own_campaign(login, web_bank, name: str, start: date) -> dict[str, Any]:
    """A campaign over the demo manager's own customers, drawn and assigned (so the manager has tasks)."""
    analyst = login("analyst")
    h = {"X-CSRF-Token": analyst.csrf}
    staff = web_bank.logins["customer_manager"].staff_id
    a = analyst.post("/api/audiences", headers=h, json={"name": f"{name}客群", "rule": f"manager_id = '{staff}'"})
    assert a.status_code == 200, a.text
    r = analyst.post("/api/campaigns", headers=h, json={
        "name": name, "target": TARGET, "channel": "phone", "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=30)).isoformat(), "audience": str(a.json()["id"]), "control_share": 0.2})
    assert r.status_code == 200, r.text
    assert analyst.post(f"/api/campaigns/{r.json()['id']}/assign", headers=h).status_code == 200
    return r.json()


def _open_tasks(login, campaign_id: int) -> int:
    manager = login("customer_manager")
    return manager.get("/api/tasks", params={"campaign_id": campaign_id, "status": "open"}).json()["total"]


def _audit(web_bank, action: str, campaign_id: int) -> list[AuditEvent]:
    with web_bank.app.state.finecrm.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                       AuditEvent.target == f"campaign:{campaign_id}")))


def test_closing_ends_the_campaign_and_its_due_tasks_but_keeps_outcomes(login, web_bank):
    c = _own_campaign(login, web_bank, "结束测试", date.today() - timedelta(days=3))
    manager = login("customer_manager")
    tasks = manager.get("/api/tasks", params={"campaign_id": c["id"], "status": "open"}).json()
    assert tasks["total"] >= 2, tasks
    first = tasks["rows"][0]["customer_id"]
    done = manager.post(f"/api/tasks/{c['id']}/{first}", headers={"X-CSRF-Token": manager.csrf},
                        json={"outcome": "contacted", "note": ""})
    assert done.status_code == 200, done.text
    open_before = _open_tasks(login, c["id"])

    analyst = login("analyst")
    h = {"X-CSRF-Token": analyst.csrf}
    assert analyst.post(f"/api/campaigns/{c['id']}/close", headers=h, json={"reason": " "}).status_code == 400
    assert manager.post(f"/api/campaigns/{c['id']}/close", headers={"X-CSRF-Token": manager.csrf},
                        json={"reason": "x"}).status_code == 403
    assert analyst.post(f"/api/campaigns/{c['id']}/cancel", headers=h, json={"reason": "晚了"}).status_code == 400
    r = analyst.post(f"/api/campaigns/{c['id']}/close", headers=h, json={"reason": "提前完成目标"})
    assert r.status_code == 200, r.text
    assert r.json()["tasks_withdrawn"] == open_before and r.json()["status"] == "closed"
    [event] = _audit(web_bank, "campaign_close", c["id"])
    assert event.actor == web_bank.logins["analyst"].username and "提前完成目标" in str(event.details)
    doc = analyst.get(f"/api/campaigns/{c['id']}").json()
    assert doc["status"] == "closed" and doc["end_date"] == date.today().isoformat()
    # Open tasks are no longer due; the recorded outcome stays; the evaluation still works.
    assert _open_tasks(login, c["id"]) == 0
    kept = manager.get("/api/tasks", params={"campaign_id": c["id"], "status": "done"}).json()
    assert [row["customer_id"] for row in kept["rows"]] == [first]
    assert analyst.get(f"/api/campaigns/{c['id']}/evaluation").status_code == 200
    # Ended is ended: no second close, no assignment, no more outcomes.
    assert analyst.post(f"/api/campaigns/{c['id']}/close", headers=h, json={"reason": "再次"}).status_code == 400
    assert manager.post(f"/api/tasks/{c['id']}/{first}", headers={"X-CSRF-Token": manager.csrf},
                        json={"outcome": "converted", "note": ""}).status_code == 400


def test_cancelling_a_campaign_that_has_not_started_withdraws_its_tasks(login, web_bank):
    c = _own_campaign(login, web_bank, "取消测试", date.today() + timedelta(days=10))
    assert _open_tasks(login, c["id"]) >= 2
    analyst = login("analyst")
    h = {"X-CSRF-Token": analyst.csrf}
    assert analyst.post(f"/api/campaigns/{c['id']}/close", headers=h, json={"reason": "未开始"}).status_code == 400
    r = analyst.post(f"/campaigns/{c['id']}/cancel", data={"csrf_token": analyst.csrf, "reason": "产品下架"},
                     follow_redirects=False)
    assert r.status_code == 303
    assert _open_tasks(login, c["id"]) == 0
    all_tasks = login("customer_manager").get("/api/tasks", params={"campaign_id": c["id"]}).json()
    assert all_tasks["total"] == 0
    [event] = _audit(web_bank, "campaign_cancel", c["id"])
    assert "产品下架" in str(event.details)
    page = analyst.get(f"/campaigns/{c['id']}").text
    assert "已取消" in page and "产品下架" in page


def test_bad_ids_and_roles_get_clear_refusals(login):
    analyst = login("analyst")
    h = {"X-CSRF-Token": analyst.csrf}
    assert analyst.post("/api/campaigns/99999999/close", headers=h, json={"reason": "x"}).status_code == 404
    assert analyst.post("/api/campaigns/abc/cancel", headers=h, json={"reason": "x"}).status_code in (400, 404, 422)
    assert analyst.post("/campaigns/0/close", data={"csrf_token": analyst.csrf, "reason": "x"}).status_code in (400, 404, 422)
    head = login("branch_head")
    assert head.post("/api/campaigns/preview", headers={"X-CSRF-Token": head.csrf}, json={
        "name": "x", "target": TARGET, "channel": "sms", "start_date": "2026-10-01",
        "end_date": "2026-10-02"}).status_code == 403


def test_the_rule_help_lists_every_rule_column(login, web_bank):
    from finecrm.services.customers.columns import CUSTOMER_360_RULE_COLUMNS, RULE_COLUMN_LABELS

    assert set(RULE_COLUMN_LABELS) == set(CUSTOMER_360_RULE_COLUMNS)  # every column has its name for staff
    manager = login("customer_manager")
    page = manager.get("/rules/help")
    assert page.status_code == 200
    doc = manager.get("/api/rules/help").json()
    names = [c["name"] for c in doc["columns"]]
    cols = duckdb.sql(f"DESCRIBE SELECT * FROM {_mart(web_bank, 'customer_propensity')}").fetchall()
    assert {c[0] for c in cols if c[0].startswith(("p_", "decile_", "eligible_"))} <= set(names)
    assert all(c["zh"] != c["name"] for c in doc["columns"]), [c["name"] for c in doc["columns"] if c["zh"] == c["name"]]
    assert "age" in names and "年龄" in page.text


def test_segments_accept_the_propensity_columns_audiences_accept(login, web_bank):
    """One set of rule columns: the segment explorer counts a rule on p_*, decile_* and eligible_* too."""
    rule = f"p_{TARGET} > 0.3 AND decile_{TARGET} <= 5 AND eligible_{TARGET}"
    expected = int(duckdb.sql(f"SELECT count(*) FROM {_mart(web_bank, 'customer_propensity')} "
                              f"WHERE p_{TARGET} > 0.3 AND decile_{TARGET} <= 5 AND eligible_{TARGET}").fetchall()[0][0])
    analyst = login("analyst")
    seg = analyst.get("/api/segments", params={"rule": rule})
    assert seg.status_code == 200, seg.text
    assert seg.json()["customers"] == expected
    aud = analyst.post("/api/audiences/preview", headers={"X-CSRF-Token": analyst.csrf}, json={"rule": rule})
    assert aud.status_code == 200 and aud.json()["customers"] == expected
    wrong = analyst.get("/api/segments", params={"rule": "tier = 贵宾"})
    assert wrong.status_code == 400 and "是否要加引号" in wrong.text
