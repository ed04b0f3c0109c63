"""Marketing in the workbench over HTTP: models, campaigns, tasks and evaluation, per role, against the
services' own records (the database and the snapshot), never typed-in numbers."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import duckdb
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from finecrm.db.models import AuditEvent, CampaignMember
from finecrm.engine import snapshots
from finecrm.services.marketing import model_registry
from tests.web.test_pages import _mart

TARGET = "credit_card"


def _as_of(web_bank) -> date:
    build_id = snapshots.published(web_bank.ws.snapshots)
    return date.fromisoformat(str(snapshots.manifest(web_bank.ws.snapshots, build_id)["as_of"])[:10])


@pytest.fixture(scope="module")
def campaign(login, web_bank):
    """A campaign over the whole bank for one product, drawn and assigned through the API."""
    analyst = login("analyst")
    h = {"X-CSRF-Token": analyst.csrf}
    start = _as_of(web_bank) - timedelta(days=60)
    r = analyst.post("/api/campaigns", headers=h, json={
        "name": "信用卡推广（测试）", "target": TARGET, "channel": "phone", "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=30)).isoformat(), "control_share": 0.3, "seed": 11,
        "cost_per_contact": 4})
    assert r.status_code == 200, r.text
    doc = r.json()
    assigned = analyst.post(f"/api/campaigns/{doc['id']}/assign", headers=h)
    assert assigned.status_code == 200, assigned.text
    return {**doc, "assignment": assigned.json()}


def _members(web_bank, campaign_id: int) -> list[CampaignMember]:
    with web_bank.app.state.finecrm.sessions() as s:
        return list(s.scalars(select(CampaignMember).where(CampaignMember.campaign_id == campaign_id)))


def test_models_page_shows_the_registry(login, web_bank):
    analyst = login("analyst")
    rows = model_registry.list_models(web_bank.ws)
    active = next(r for r in rows if r["target"] == "mobile_banking" and r["active"])
    page = analyst.get("/models")
    assert page.status_code == 200 and 'data-testid="active-mobile_banking"' in page.text
    detail = analyst.get(f"/models/mobile_banking/{active['version']}")
    assert detail.status_code == 200
    assert f'data-testid="model-auc">{active["auc"]:.3f}<' in detail.text
    api = analyst.get(f"/api/models/mobile_banking/{active['version']}").json()
    assert api["metrics"]["auc"] == pytest.approx(active["auc"])
    assert analyst.get("/models/mobile_banking/v999").status_code == 404
    for role in ("branch_head", "customer_manager", "admin"):
        assert login(role).get("/models").status_code == 403


def test_activation_is_audited(login, web_bank):
    analyst = login("analyst")
    version = model_registry.active(web_bank.ws)["mobile_banking"]["version"]
    r = analyst.post(f"/models/mobile_banking/{version}/activate", data={"csrf_token": analyst.csrf},
                     follow_redirects=False)
    assert r.status_code == 303
    with web_bank.app.state.finecrm.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "model_activate")).all()
    assert any(e.actor == analyst.account.username and "mobile_banking" in (e.target or "") for e in events)


def test_the_draw_and_assignment_follow_the_rules(campaign, web_bank):
    members = _members(web_bank, campaign["id"])
    eligible = {r[0] for r in duckdb.sql(
        f"SELECT p.customer_id FROM {_mart(web_bank, 'customer_propensity')} p "
        f"JOIN {_mart(web_bank, 'product_adoption')} a USING (customer_id) "
        f"WHERE p.eligible_{TARGET} AND (a.first_{TARGET}_on IS NULL "
        f"OR a.first_{TARGET}_on >= DATE '{campaign['start_date']}')").fetchall()}
    ids = {m.customer_id for m in members}
    assert ids and ids <= eligible
    control = [m for m in members if m.arm == "control"]
    assert 0.2 < len(control) / len(members) < 0.4
    assert all(m.assigned_to is None for m in control)
    treated = [m for m in members if m.arm == "treatment"]
    assert sum(m.assigned_to is not None for m in treated) == campaign["assignment"]["assigned"]
    own = [m for m in treated if m.assigned_to is not None and m.assigned_to == m.manager_id]
    assert len(own) == campaign["assignment"]["own_manager"]


def test_a_manager_sees_and_works_only_own_tasks(campaign, login, web_bank):
    manager = login("customer_manager")
    staff_id = manager.account.staff_id
    mine = [m for m in _members(web_bank, campaign["id"]) if m.assigned_to == staff_id]
    rows, page = [], 1
    while True:
        got = manager.get("/api/tasks", params={"campaign_id": campaign["id"], "status": "open",
                                                "page": page}).json()
        rows += got["rows"]
        if page >= got["pages"]:
            break
        page += 1
    assert len(rows) == got["total"]
    assert {t["customer_id"] for t in rows} == {m.customer_id for m in mine}
    assert all(t["talking_points"] for t in rows)
    other = next(m for m in _members(web_bank, campaign["id"])
                 if m.arm == "treatment" and m.assigned_to not in (None, staff_id))
    h = {"X-CSRF-Token": manager.csrf}
    assert manager.post(f"/api/tasks/{campaign['id']}/{other.customer_id}", json={"outcome": "converted"},
                        headers=h).status_code == 404
    if mine:
        r = manager.post(f"/tasks/{campaign['id']}/{mine[0].customer_id}",
                         data={"outcome": "interested", "note": "周末到网点面谈", "csrf_token": manager.csrf,
                               "follow_up_on": (date.today() + timedelta(days=5)).isoformat()},
                         follow_redirects=False)
        assert r.status_code == 303
        done = manager.get("/api/tasks", params={"campaign_id": campaign["id"], "status": "interested"}).json()
        assert [t["customer_id"] for t in done["rows"]] == [mine[0].customer_id]
    assert login("analyst").get("/tasks").status_code == 403


def test_a_branch_head_sees_and_reassigns_within_the_branch(campaign, login, web_bank):
    head = login("branch_head")
    doc = head.get(f"/api/campaigns/{campaign['id']}", params={"page_size": 100})
    members = _members(web_bank, campaign["id"])
    from finecrm.authz import customer_in_scope
    from finecrm.services.access.auth import principal_for
    from finecrm.services.access.users import get_user

    org = web_bank.app.state.finecrm.org()
    branches, grids = org.branches, org.grids
    with web_bank.app.state.finecrm.sessions() as s:
        me = principal_for(get_user(s, username=head.account.username), branches=branches, grids=grids)
    in_scope = [m for m in members if customer_in_scope(me, {"branch_id": m.branch_id, "manager_id": m.manager_id,
                                                            "grid_id": m.grid_id})]
    if not in_scope:
        assert doc.status_code == 404
        return
    assert doc.status_code == 200 and doc.json()["counts"]["members"] == len(in_scope)
    page = head.get(f"/campaigns/{campaign['id']}").text
    options = re.findall(r'<option value="([^"]+)">', page.split('name="to_staff_id"')[1].split("</select>")[0])
    assert options, "the branch head's campaign page offers staff to reassign to"
    h = {"X-CSRF-Token": head.csrf}
    inside = next((m for m in in_scope if m.arm == "treatment"), None)
    if inside is not None:
        r = head.post(f"/api/campaigns/{campaign['id']}/reassign", headers=h,
                      json={"customer_ids": [inside.customer_id], "to_staff_id": options[0], "reason": "就近服务"})
        assert r.status_code == 200, r.text
        moved = next(m for m in _members(web_bank, campaign["id"]) if m.customer_id == inside.customer_id)
        assert moved.assigned_to == options[0] and moved.assigned_by == head.account.username
    outside = next((m for m in members if m not in in_scope and m.arm == "treatment"), None)
    if outside is not None:
        r = head.post(f"/api/campaigns/{campaign['id']}/reassign", headers=h,
                      json={"customer_ids": [outside.customer_id], "to_staff_id": options[0]})
        assert r.status_code == 404


def test_evaluation_matches_the_members_and_export_is_masked(campaign, login, web_bank):
    analyst = login("analyst")
    h = {"X-CSRF-Token": analyst.csrf}
    detected = analyst.post(f"/api/campaigns/{campaign['id']}/detect", headers=h)
    assert detected.status_code == 200, detected.text
    e = analyst.get(f"/api/campaigns/{campaign['id']}/evaluation").json()
    members = _members(web_bank, campaign["id"])
    for arm in e["arms"]:
        mine = [m for m in members if m.arm == arm["arm"]]
        assert arm["customers"] == len(mine)
        assert arm["conversions"] == sum(m.converted_on is not None for m in mine)
    page = analyst.get(f"/campaigns/{campaign['id']}/evaluation")
    assert page.status_code == 200
    assert 'data-testid="arm-treatment"' in page.text and 'data-testid="arm-control"' in page.text
    r = analyst.post(f"/campaigns/{campaign['id']}/export", data={"csrf_token": analyst.csrf})
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content), read_only=True)
    texts = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    clear = {p for (p,) in duckdb.sql(f"SELECT phone FROM {_mart(web_bank, 'customer_360')} "
                                      "WHERE phone IS NOT NULL").fetchall()}
    assert not clear & set(texts)
    with web_bank.app.state.finecrm.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "export_list")).all()
    assert any(str(campaign["id"]) in (e.target or "") for e in events)


def test_the_360_page_shows_the_next_best_product(login, web_bank):
    row = duckdb.sql(f"SELECT customer_id, nbp_target, nbp_offer, nbp_score FROM "
                     f"{_mart(web_bank, 'customer_propensity')} WHERE nbp_target IS NOT NULL "
                     "ORDER BY customer_id LIMIT 1").fetchall()
    assert row, "some customer has a next best product on the generated bank"
    customer_id, target, offer, score = row[0]
    analyst = login("analyst")
    api = analyst.get(f"/api/customers/{customer_id}").json()["propensity"]
    assert api["next_best"]["code"] == target and api["next_best"]["offer"] == offer
    assert api["next_best"]["score"] == pytest.approx(score)
    held = {p["code"] for p in api["products"] if p["score"] is None}
    assert target not in held
    page = analyst.get(f"/customers/{customer_id}")
    labels = {t.code: t.zh for t in web_bank.ws.settings.marketing.targets}
    assert f'data-testid="nbp-product">{labels[target]}<' in page.text
