"""The workbench on a real PostgreSQL server as its operational database: sign-in, lockout, an audited
reveal and export, audit browsing — the same app, only FINECRM_DATABASE_URL differs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.web.conftest import pg_client

pytestmark = pytest.mark.postgres


def test_the_workbench_runs_on_postgresql(pg_app):
    app, logins, url = pg_app
    assert app.state.finecrm.engine.dialect.name == "postgresql"
    manager = pg_client(app, logins["customer_manager"])
    cid = next(r["customer_id"] for r in manager.get("/api/customers").json()["rows"] if r["phone"])
    r = manager.post(f"/api/customers/{cid}/reveal", json={"reason": "上门走访前核实"},
                     headers={"X-CSRF-Token": manager.csrf})
    assert r.status_code == 200 and "*" not in r.json()["customer"]["phone"]
    analyst = pg_client(app, logins["analyst"])
    assert analyst.post("/api/segments/export", json={"lifecycle": "stable"},
                        headers={"X-CSRF-Token": analyst.csrf}).status_code == 200
    compliance = pg_client(app, logins["compliance_officer"])
    reveals = compliance.get(f"/api/audit?action=reveal_pii&target={cid}").json()["rows"]
    assert reveals and reveals[0]["reason"] == "上门走访前核实"
    assert compliance.get("/api/audit?action=export_list").json()["total"] == 1
    # The audit log is append-only on PostgreSQL too (a trigger refuses changes).
    from finecrm.db.session import make_engine

    engine = make_engine(url)
    with pytest.raises(Exception, match=r"append-only|audit"), engine.begin() as c:
        c.execute(text("UPDATE audit_events SET reason = 'changed'"))
    engine.dispose()


def test_lockout_on_postgresql(pg_app):
    app, logins, _ = pg_app
    client = TestClient(app, base_url="https://testserver")
    name = logins["risk_officer"].username
    codes = [client.post("/api/auth/login", json={"username": name, "password": "not-the-password"}).status_code
             for _ in range(5)]
    assert codes[-1] == 429
    right = client.post("/api/auth/login", json={"username": name, "password": logins["risk_officer"].password})
    assert right.status_code == 429


def test_a_campaign_is_previewed_drawn_closed_and_cancelled_on_postgresql(pg_app, web_bank):
    from datetime import date, timedelta

    app, logins, _ = pg_app
    analyst = pg_client(app, logins["analyst"])
    h = {"X-CSRF-Token": analyst.csrf}
    staff = logins["customer_manager"].staff_id
    a = analyst.post("/api/audiences", headers=h, json={"name": "PG 客群", "rule": f"manager_id = '{staff}'"})
    assert a.status_code == 200, a.text

    def body(name: str, start: date) -> dict:
        return {"name": name, "target": "mobile_banking", "channel": "phone", "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=20)).isoformat(), "audience": str(a.json()["id"])}

    started = body("PG 结束", date.today() - timedelta(days=1))
    preview = analyst.post("/api/campaigns/preview", headers=h, json=started).json()
    created = analyst.post("/api/campaigns", headers=h, json=started)
    assert created.status_code == 200, created.text
    cid = created.json()["id"]
    assert created.json()["details"]["counts"]["members"] == preview["steps"][-1]["remaining"] == preview["members"]
    assert analyst.post(f"/api/campaigns/{cid}/assign", headers=h).status_code == 200
    manager = pg_client(app, logins["customer_manager"])
    open_tasks = manager.get("/api/tasks", params={"campaign_id": cid, "status": "open"}).json()["total"]
    assert open_tasks > 0
    closed = analyst.post(f"/api/campaigns/{cid}/close", headers=h, json={"reason": "PG 上提前结束"})
    assert closed.status_code == 200 and closed.json()["tasks_withdrawn"] == open_tasks
    assert manager.get("/api/tasks", params={"campaign_id": cid, "status": "open"}).json()["total"] == 0
    assert analyst.get(f"/api/campaigns/{cid}/evaluation").status_code == 200

    future = analyst.post("/api/campaigns", headers=h, json=body("PG 取消", date.today() + timedelta(days=9)))
    fid = future.json()["id"]
    assert analyst.post(f"/api/campaigns/{fid}/assign", headers=h).status_code == 200
    assert manager.get("/api/tasks", params={"campaign_id": fid}).json()["total"] > 0
    assert analyst.post(f"/api/campaigns/{fid}/cancel", headers=h, json={"reason": "预算调整"}).status_code == 200
    assert manager.get("/api/tasks", params={"campaign_id": fid}).json()["total"] == 0
    compliance = pg_client(app, logins["compliance_officer"])
    for action, target in (("campaign_close", cid), ("campaign_cancel", fid)):
        rows = compliance.get(f"/api/audit?action={action}&target=campaign:{target}").json()["rows"]
        assert len(rows) == 1, rows
