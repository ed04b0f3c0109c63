"""The workbench's operational parts on a real PostgreSQL server: a visit logged from the plan marks it done and
counts in the daily standard, the log lists and exports it, and a lobby referral is taken and followed up —
the same app as on SQLite, only FINECRM_DATABASE_URL differs. Expectations read the database with plain SQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from finecrm.core import formats
from tests.web.conftest import pg_client

pytestmark = pytest.mark.postgres


def test_the_routine_runs_on_postgresql(pg_app):
    app, logins, _url = pg_app
    assert app.state.finecrm.engine.dialect.name == "postgresql"
    manager = pg_client(app, logins["customer_manager"])
    h = {"X-CSRF-Token": manager.csrf}
    plan = manager.get("/api/workbench/plan").json()
    assert plan["stats"][0]["done"] == 0  # a fresh database: nothing visited
    target = plan["rows"][0]["customer_id"]
    r = manager.post("/api/workbench/log", headers=h, json={
        "customer_id": target, "kind": "visit", "place": "客户单位", "purpose": "relationship", "outcome": "reached",
        "note": "年度走访", "source": "plan"})
    assert r.status_code == 200, r.text
    assert r.json()["counts_as"] == "new_visit"
    assert manager.post("/api/workbench/log", headers=h, json={
        "customer_id": target, "kind": "call", "purpose": "service", "outcome": "reached"}).json()["counts_as"] == "call"
    rows = {x["customer_id"]: x for x in manager.get("/api/workbench/plan", params={"status": "done"}).json()["rows"]}
    assert rows[target]["last_visit"] == formats.today("Asia/Shanghai").isoformat()
    today = manager.get("/api/workbench/standard").json()[-1]
    assert (today["new_visits"], today["existing_visits"], today["calls"]) == (1, 0, 1)
    log = manager.get("/api/workbench/log").json()
    with app.state.finecrm.engine.connect() as c:
        n = c.execute(text("SELECT count(*) FROM contacts WHERE staff_id = :s AND kind IN ('visit', 'call')"),
                      {"s": manager.account.staff_id}).scalar()
    assert log["total"] == n == 2
    assert manager.post("/api/workbench/log/export", headers=h).status_code == 200

    lobby = pg_client(app, logins["lobby_manager"])
    made = lobby.post("/api/workbench/referrals", headers={"X-CSRF-Token": lobby.csrf}, json={
        "prospect_name": "周敏", "prospect_phone": "13600001111", "interest": "loan",
        "to_staff_id": manager.account.staff_id}).json()
    assert lobby.get("/api/workbench/referrals").json()["today_count"] == 1
    assert manager.post(f"/api/workbench/referrals/{made['id']}/accept", headers=h).json()["status"] == "accepted"
    done = manager.post(f"/api/workbench/referrals/{made['id']}/work", headers=h, json={"outcome": "agreed"}).json()
    assert done["status"] == "worked" and datetime.fromisoformat(done["worked_at"]) <= datetime.now(UTC)
