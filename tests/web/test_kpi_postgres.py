"""KPI targets and scores on a real PostgreSQL server: a target set, replaced, imported (and a bad file refused
whole), and the ranking scoring against it — the same app as on SQLite, only FINECRM_DATABASE_URL differs.
Expectations read the database with plain SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.web.conftest import pg_client
from tests.web.test_kpi import _import, _xlsx

pytestmark = pytest.mark.postgres


def test_targets_and_scores_on_postgresql(pg_app):
    app, logins, _url = pg_app
    assert app.state.finecrm.engine.dialect.name == "postgresql"
    analyst = pg_client(app, logins["analyst"])
    h = {"X-CSRF-Token": analyst.csrf}
    ranking = analyst.get("/api/kpi", params={"level": "branch"}).json()
    period, unit = ranking["period"], ranking["rows"][0]["unit_id"]
    item = next(i for i in ranking["rows"][0]["items"] if i["indicator"] == "new_effective_customers")
    for target in (1000.0, max(item["result"], 1.0) * 4):  # set, then replaced
        r = analyst.post("/api/kpi/targets", headers=h, json={"indicator": "new_effective_customers", "period": period,
                                                              "level": "branch", "unit_id": unit, "target": target})
        assert r.status_code == 200, r.text
    with app.state.finecrm.engine.connect() as c:
        rows = c.execute(text("SELECT target FROM kpi_targets WHERE indicator = 'new_effective_customers' "
                              "AND unit_id = :u AND period = :p"), {"u": unit, "p": period}).scalars().all()
    assert rows == [target]
    scored = next(i for r in analyst.get("/api/kpi", params={"level": "branch"}).json()["rows"] if r["unit_id"] == unit
                  for i in r["items"] if i["indicator"] == "new_effective_customers")
    assert scored["score"] == pytest.approx(round(100 * item["result"] / target, 2), abs=0.01)
    bad = _xlsx([["indicator", "period", "level", "unit_id", "target"],
                 ["wealth_sales", period, "branch", unit, 5],
                 ["wealth_sales", period, "branch", unit, 6]])  # row 3 repeats row 2
    r = _import(analyst, bad)
    assert r.status_code == 400 and "row 3" in r.text
    good = _xlsx([["indicator", "period", "level", "unit_id", "target"], ["wealth_sales", period, "branch", unit, 5]])
    assert _import(analyst, good).status_code == 303
    with app.state.finecrm.engine.connect() as c:
        assert c.execute(text("SELECT target FROM kpi_targets WHERE indicator = 'wealth_sales' AND unit_id = :u"),
                         {"u": unit}).scalar() == 5
