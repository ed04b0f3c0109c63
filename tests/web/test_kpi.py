"""KPIs on the session's generated bank: every indicator of the ranking against an independent computation, visit
completion against the contact log, scoping per role, targets set and imported (good and bad files), the report's
Excel figures equal to the page's, and the CLI command."""

from __future__ import annotations

import io
from datetime import UTC

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from finecrm.core import formats
from finecrm.db.models import AuditEvent, Contact, KpiTarget
from finecrm.engine import snapshots
from finecrm.services.workspace import database_session, known_staff
from tests.cli.shell import ANALYST, run
from tests.engine.test_kpi_values import _expected


def _published(web_bank) -> str:
    return snapshots.published(web_bank.ws.snapshots)


def _mart(web_bank, name: str) -> pd.DataFrame:
    import duckdb

    path = web_bank.ws.snapshots / _published(web_bank) / "marts" / name
    return duckdb.sql(f"SELECT * FROM read_parquet('{path}/**/*.parquet')").df()


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    sheet = wb.active
    for r in rows:
        sheet.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _import(client, content: bytes):
    return client.post("/kpi/targets/import", files={"file": ("t.xlsx", content, "application/octet-stream")},
                       data={"csrf_token": client.csrf}, follow_redirects=False)


@pytest.fixture(scope="module")
def period(web_bank, login) -> str:
    r = login("analyst").get("/api/kpi", params={"level": "branch"})
    assert r.status_code == 200, r.text
    assert r.json()["period"]
    return r.json()["period"]


def _visit_completion(web_bank, level: str) -> dict[str, float]:
    """Independently: the plan's customers with a visit or meeting logged on or after their cycle's first day (bank
    time) ÷ the customers planned, per manager or per the customers' branch."""
    plan = _mart(web_bank, "visit_plan")
    plan["cycle_start"] = pd.to_datetime(plan.cycle_start).dt.date
    tz = web_bank.ws.settings.bank.timezone
    with database_session(web_bank.ws) as s:
        contacts = [(c, formats.local(at if at.tzinfo else at.replace(tzinfo=UTC), tz).date()) for c, at in s.execute(
            select(Contact.customer_id, Contact.at).where(Contact.kind.in_(["visit", "meeting"])))]
    out: dict[str, float] = {}
    key = "manager_id" if level == "manager" else "branch_id"
    for unit, g in plan.groupby(key):
        done = sum(any(c == r.customer_id and d >= r.cycle_start for c, d in contacts) for r in g.itertuples())
        out[str(unit)] = round(done / len(g), 4)
    return out


def test_every_indicator_equals_an_independent_computation(web_bank, login, period):
    manager = login("customer_manager")
    plan = manager.get("/api/workbench/plan").json()
    assert plan["rows"], "the demo manager has a visit plan"
    # One visit logged today makes visit completion something to count.
    r = manager.post("/api/workbench/log", json={"customer_id": plan["rows"][0]["customer_id"], "kind": "visit",
                                                  "purpose": "relationship", "outcome": "reached", "source": "plan"},
                       headers={"X-CSRF-Token": manager.csrf})
    assert r.status_code == 200, r.text
    exp = _expected(web_bank.ws, _published(web_bank), web_bank.home.parent / "bank")
    analyst = login("analyst")
    for level in ("branch", "manager"):
        got = analyst.get("/api/kpi", params={"level": level}).json()
        assert got["rows"] and len(got["rows"]) == got["units"]
        visits = _visit_completion(web_bank, level)
        codes = [i["code"] for i in got["indicators"]]
        assert set(codes) == set(exp) | {"visit_completion"}
        for row in got["rows"]:
            key = (level, row["unit_id"])
            for item in row["items"]:
                code = item["indicator"]
                if code == "visit_completion":
                    assert item["result"] == visits.get(row["unit_id"]), key
                elif code == "deposit_growth":
                    value, base = exp[code].get(key, (0.0, 0.0))
                    assert item["result"] == pytest.approx(value - base, abs=0.02), (code, key)
                elif code == "npl_ratio":
                    want = exp[code].get(key)
                    assert (item["result"] is None) if want is None else item["result"] == pytest.approx(want, abs=1e-4)
                else:
                    assert item["result"] == pytest.approx(exp[code].get(key, 0.0), abs=0.01), (code, key)
        assert any(v > 0 for v in visits.values()) or level == "branch"


def test_scores_and_ranks_follow_the_targets(web_bank, login, period):
    analyst = login("analyst")
    before = analyst.get("/api/kpi", params={"level": "branch"}).json()
    unit = before["rows"][0]["unit_id"]
    item = next(i for i in before["rows"][0]["items"] if i["indicator"] == "loans_disbursed")
    target = max(item["result"], 1.0) * 2  # half the target: half the marks
    r = analyst.post("/api/kpi/targets", json={"indicator": "loans_disbursed", "period": period, "level": "branch",
                                               "unit_id": unit, "target": target},
                     headers={"X-CSRF-Token": analyst.csrf})
    assert r.status_code == 200, r.text
    after = analyst.get("/api/kpi", params={"level": "branch"}).json()
    row = next(r for r in after["rows"] if r["unit_id"] == unit)
    scored = next(i for i in row["items"] if i["indicator"] == "loans_disbursed")
    assert scored["target"] == target
    assert scored["score"] == pytest.approx(round(100 * item["result"] / target, 2), abs=0.01)
    assert row["total"] == pytest.approx(round(sum(i["weighted"] for i in row["items"]), 2), abs=0.01)
    totals = sorted((r["total"] for r in after["rows"]), reverse=True)
    for r in after["rows"]:
        assert r["rank"] == 1 + sum(t > r["total"] for t in totals)  # competition ranking over every branch
    with database_session(web_bank.ws) as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "kpi_target_set",
                                                 AuditEvent.target.like(f"kpi:loans_disbursed:{period}:branch:{unit}")))


def test_each_role_sees_its_own_scope(web_bank, login, period):
    staff = known_staff(web_bank.ws)
    everyone = login("analyst").get("/api/kpi", params={"level": "manager"}).json()
    cm = login("customer_manager")
    me = cm.account.staff_id
    mine = cm.get("/api/kpi", params={"level": "manager"}).json()
    assert [r["unit_id"] for r in mine["rows"]] == [me]
    assert mine["rows"][0]["rank"] == next(r["rank"] for r in everyone["rows"] if r["unit_id"] == me)
    assert cm.get("/api/kpi", params={"level": "branch"}).json()["rows"] == []
    page = cm.get("/kpi")
    assert page.status_code == 200 and 'data-testid="kpi-mine"' in page.text
    head = login("branch_head")
    # The head's subtree, read independently from the bank's branch table.
    tree = pd.read_parquet(web_bank.home.parent / "bank" / "branches.parquet")
    parent = dict(zip(tree.branch_id.astype(str), tree.parent_id, strict=True))

    def under(b: str | None) -> bool:
        while b is not None and not pd.isna(b):
            if b == head.account.branch_id:
                return True
            b = parent.get(str(b))
        return False

    all_branches = login("analyst").get("/api/kpi", params={"level": "branch"}).json()["rows"]
    scope = head.get("/api/kpi", params={"level": "branch"}).json()["rows"]
    assert scope and {r["unit_id"] for r in scope} == {r["unit_id"] for r in all_branches if under(r["unit_id"])}
    managers = head.get("/api/kpi", params={"level": "manager"}).json()["rows"]
    assert managers and {r["unit_id"] for r in managers} == {
        r["unit_id"] for r in everyone["rows"] if under(staff[r["unit_id"]]["branch_id"])}
    assert len(managers) < len(everyone["rows"])
    collector = login("collector")
    assert collector.get("/api/kpi").json()["rows"] == []
    for role in ("risk_officer", "compliance_officer", "admin"):
        assert login(role).get("/api/kpi").status_code == 403, role
    for role in ("customer_manager", "branch_head", "collector"):
        assert login(role).get("/api/kpi/targets").status_code == 403, role
    assert head.get("/api/kpi", params={"level": "grid"}).status_code == 400
    assert head.get("/api/kpi", params={"period": "1999-01"}).status_code == 400


def test_targets_import_all_or_nothing(web_bank, login, period):
    analyst = login("analyst")
    branch = analyst.get("/api/kpi", params={"level": "branch"}).json()["rows"][0]["unit_id"]
    manager = analyst.get("/api/kpi", params={"level": "manager"}).json()["rows"][0]["unit_id"]
    good = _xlsx([["indicator", "period", "level", "unit_id", "target"],
                  ["wealth_sales", period, "branch", branch, 123456],
                  ["npl_ratio", period, "manager", manager, 0.02]])
    r = _import(analyst, good)
    assert r.status_code == 303 and "imported=2" in r.headers["location"], r.text
    with database_session(web_bank.ws) as s:
        got = {(t.indicator, t.unit_id): t.target for t in s.scalars(select(KpiTarget).where(KpiTarget.period == period))}
    assert got[("wealth_sales", branch)] == 123456 and got[("npl_ratio", manager)] == 0.02
    bad = _xlsx([["指标", "月份", "层级", "单位", "目标"],
                 ["wealth_sales", period, "branch", branch, 999],  # fine alone
                 ["nonsense", period, "branch", branch, 1],  # row 3: no such indicator
                 ["wealth_sales", period, "branch", "NOPE", 1],  # row 4: no such branch
                 ["wealth_sales", "2026-13", "branch", branch, 1],  # row 5: bad month
                 ["npl_ratio", period, "manager", manager, 5]])  # row 6: a ratio above 1
    r = _import(analyst, bad)
    assert r.status_code == 400
    for row in (3, 4, 5, 6):
        assert f"row {row}" in r.text, row
    with database_session(web_bank.ws) as s:
        still = s.scalar(select(KpiTarget.target).where(KpiTarget.indicator == "wealth_sales",
                                                         KpiTarget.unit_id == branch, KpiTarget.period == period))
    assert still == 123456  # nothing of the bad file was taken
    assert _import(analyst, b"not a workbook").status_code == 400
    assert _import(login("branch_head"), good).status_code == 403
    page = analyst.get("/kpi/targets")
    assert page.status_code == 200 and 'data-testid="target-wealth_sales-' in page.text


def test_the_report_equals_the_page(web_bank, login, period):
    head = login("branch_head")
    r = head.post("/api/kpi/export", headers={"X-CSRF-Token": head.csrf})
    assert r.status_code == 200, r.text
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    for level, title in (("branch", "网点 branches"), ("manager", "客户经理 managers")):
        page = head.get("/api/kpi", params={"level": level}).json()
        lines = list(wb[title].iter_rows(values_only=True))
        assert len(lines) == 1 + len(page["rows"])
        for line, row in zip(lines[1:], page["rows"], strict=True):
            assert line[:4] == (row["rank"], row["unit_id"], row["name"], row["total"])
            flat = []
            for i in row["items"]:
                flat += [i["result"], i["target"], i["score"], i["rank"]]
            assert list(line[4:]) == flat
    with database_session(web_bank.ws) as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "export_list", AuditEvent.target == "kpi:report",
                                                 AuditEvent.actor == head.account.username))
    html = head.get("/kpi", params={"level": "branch", "sort": "loans_disbursed"})
    assert html.status_code == 200 and 'data-testid="kpi-table"' in html.text


def test_the_cli_writes_the_report(web_bank, period, tmp_path):
    out = tmp_path / "report.xlsx"
    done = run("kpi", "report", "--period", period, "--out", str(out), "--home", str(web_bank.home), env=ANALYST)
    assert done.returncode == 0, done.stderr
    wb = load_workbook(out, read_only=True)
    assert {"网点 branches", "客户经理 managers", "说明 about"} <= set(wb.sheetnames)
    assert len(list(wb["网点 branches"].iter_rows(values_only=True))) > 1
    bad = run("kpi", "report", "--period", "1999-01", "--out", str(out), "--home", str(web_bank.home), env=ANALYST)
    assert bad.returncode == 2, bad.stderr
    denied = run("kpi", "targets", "draft", "--out", str(tmp_path / "d.xlsx"), "--home", str(web_bank.home),
                 env={"FINECRM_CLI_ROLE": "branch_head"})
    assert denied.returncode == 77
