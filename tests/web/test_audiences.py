"""Audiences: live counts against the snapshot, versions, scope, escapes refused, masked audited export."""

from __future__ import annotations

import io
import json
import os
import subprocess

import duckdb
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from finecrm.authz import make_principal
from finecrm.authz.errors import Forbidden
from finecrm.db.models import AuditEvent
from finecrm.services.marketing import audiences
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workspace import database_session, known_branches
from tests.web.test_pages import _mart

EXAMPLE = "signed_online AND NOT signed_mobile AND age < 40 AND txn_ci_30d >= 5"


@pytest.fixture(scope="module")
def serving(web_bank):
    return Serving(web_bank.ws)


def _analyst(web_bank):
    return make_principal("ana", "analyst", branches=known_branches(web_bank.ws) or {})


def _independent(web_bank, where: str, branch: str | None = None) -> tuple[int, float]:
    sql = f"SELECT count(*), coalesce(sum(aum_avg), 0) FROM {_mart(web_bank, 'customer_360')} WHERE {where}"
    if branch:
        sql += f" AND branch_id = '{branch}'"
    n, aum = duckdb.sql(sql).fetchall()[0]
    return int(n), float(aum)


def test_preview_counts_the_rule_like_plain_sql(web_bank, serving):
    doc = audiences.preview(serving, _analyst(web_bank), EXAMPLE)
    n, aum = _independent(web_bank, EXAMPLE)
    assert n > 0, "the example rule should select someone in the generated bank"
    assert doc["customers"] == n
    assert doc["aum"] == pytest.approx(aum, abs=0.05 * max(n, 1))
    assert sum(r["customers"] for r in doc["tier_mix"]) == n
    tiers = dict(duckdb.sql(f"SELECT tier, count(*) FROM {_mart(web_bank, 'customer_360')} WHERE {EXAMPLE} "
                            "GROUP BY 1").fetchall())
    assert {r["tier"]: r["customers"] for r in doc["tier_mix"]} == tiers


def test_a_branch_head_counts_only_the_branch(web_bank, serving):
    account = web_bank.logins["branch_head"]
    head = make_principal("head", "branch_head", branches=known_branches(web_bank.ws) or {},
                          branch_id=account.branch_id, extra_actions=["manage_campaigns"])
    whole = audiences.preview(serving, _analyst(web_bank), "age >= 18")["customers"]
    mine = audiences.preview(serving, head, "age >= 18")["customers"]
    ids = {r[0] for r in duckdb.sql(f"SELECT customer_id FROM {_mart(web_bank, 'customer_360')} "
                                    "WHERE age >= 18").fetchall()}
    page = audiences.members(serving, head, "age >= 18", page=1, page_size=200)
    assert 0 < mine < whole
    assert {r["customer_id"] for r in page.rows} <= ids
    # a branch head has no manage_campaigns by role: refused
    plain = make_principal("head2", "branch_head", branches=known_branches(web_bank.ws) or {},
                           branch_id=account.branch_id)
    with pytest.raises(Forbidden):
        audiences.preview(serving, plain, "age >= 18")


@pytest.mark.parametrize("rule", [
    "customer_id IN (SELECT customer_id FROM customer_360)",      # subquery
    "EXISTS (SELECT 1)",                                           # subquery
    "age > 30; DROP TABLE customer_360",                            # a second statement / DDL
    "DROP TABLE customer_360",                                      # DDL
    "customers.age > 30",                                           # another table
    "read_csv('/etc/passwd') IS NOT NULL",                          # a disallowed function
    "phone LIKE '138%'",                                            # personal data
    "age > 30 -- AND 1=1",                                          # a comment
    "no_such_column = 1",                                           # unknown column
])
def test_escapes_are_refused_with_a_clear_message(web_bank, serving, rule):
    with pytest.raises(audiences.AudienceError) as exc:
        audiences.preview(serving, _analyst(web_bank), rule)
    assert "规则" in str(exc.value) and "rule" in str(exc.value)


def test_versions_keep_earlier_rules_and_are_audited(web_bank, serving):
    ana = _analyst(web_bank)
    with database_session(web_bank.ws) as s:
        a = audiences.create_audience(s, serving, ana, name="年轻未签手机银行", rule=EXAMPLE, description="e-banking")
        with pytest.raises(audiences.AudienceError):
            audiences.create_audience(s, serving, ana, name="年轻未签手机银行", rule="age < 30")
        b = audiences.new_version(s, serving, ana, audience_id=a["id"], rule="age < 30 AND NOT signed_mobile",
                                  note="wider")
        first = audiences.get_audience(s, a["id"], 1)
        events = s.scalars(select(AuditEvent).where(AuditEvent.target == f"audience:{a['id']}")).all()
    assert a["version"] == 1 and b["version"] == 2 and b["latest_version"] == 2
    assert first["rule"] == a["rule"] and "age < 40" in first["rule"]
    assert [v["version"] for v in b["versions"]] == [1, 2]
    assert b["customers"] == _independent(web_bank, "age < 30 AND NOT signed_mobile")[0]
    assert [e.action for e in events] == ["audience_create", "audience_version"]


def test_export_is_masked_and_audited(web_bank, serving):
    ana = _analyst(web_bank)
    with database_session(web_bank.ws) as s:
        a = audiences.create_audience(s, serving, ana, name="导出测试", rule="age BETWEEN 30 AND 35")
        data, n = audiences.export_xlsx(s, serving, ana, audience_id=a["id"])
        event = s.scalars(select(AuditEvent).where(AuditEvent.target == f"audience:{a['id']}:v1")).one()
    sheet = load_workbook(io.BytesIO(data), read_only=True)["目标客群 audience"]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == n == _independent(web_bank, "age BETWEEN 30 AND 35")[0]
    phones = [r[header.index("phone")] for r in body if r[header.index("phone")] is not None]
    clear = {r[0] for r in duckdb.sql(f"SELECT phone FROM {_mart(web_bank, 'customer_360')}").fetchall()}
    assert phones and all("*" in p for p in phones) and not set(phones) & clear
    assert event.action == "export_list" and event.details["rows"] == n and event.details["masked"] is True


def test_cli_create_list_and_show(web_bank):
    env = {**os.environ, "FINECRM_CLI_ROLE": "analyst", "FINECRM_HOME": str(web_bank.home)}
    run = [os.path.join(os.path.dirname(os.sys.executable), "finecrm"), "audience"]
    made = subprocess.run([*run, "create", "命令行客群", "--rule", EXAMPLE, "--json"], env=env,
                          capture_output=True, text=True, check=True)
    doc = json.loads(made.stdout)
    shown = json.loads(subprocess.run([*run, "show", str(doc["id"]), "--json"], env=env, capture_output=True,
                                      text=True, check=True).stdout)
    assert shown["live"]["customers"] == doc["customers"] == _independent(web_bank, EXAMPLE)[0]
    bad = subprocess.run([*run, "preview", "--rule", "age > (SELECT 1)"], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "rule" in bad.stderr
    refused = subprocess.run([*run, "list"], env={**env, "FINECRM_CLI_ROLE": "customer_manager"},
                             capture_output=True, text=True)
    assert refused.returncode != 0


def test_pages_preview_save_and_version(login, web_bank):
    analyst = login("analyst")
    page = analyst.get("/audiences", params={"rule": EXAMPLE})
    n = _independent(web_bank, EXAMPLE)[0]
    assert page.status_code == 200 and f'data-testid="audience-count">{n:,}<' in page.text
    made = analyst.post("/audiences", data={"name": "页面客群", "rule": EXAMPLE, "csrf_token": analyst.csrf},
                        follow_redirects=False)
    assert made.status_code == 303
    detail = analyst.get(made.headers["location"])
    assert detail.status_code == 200 and "页面客群" in detail.text and "v1" in detail.text
    bad = analyst.post(made.headers["location"], data={"rule": "age > (SELECT 1)", "csrf_token": analyst.csrf})
    assert bad.status_code == 400 and 'data-testid="rule-error"' in bad.text
    ok = analyst.post(made.headers["location"], data={"rule": "age < 30", "csrf_token": analyst.csrf},
                      follow_redirects=False)
    assert ok.status_code == 303
    assert "v2" in analyst.get(made.headers["location"]).text


def test_api_refuses_escapes_and_roles_without_the_action(login):
    analyst = login("analyst")
    h = {"X-CSRF-Token": analyst.csrf}
    r = analyst.post("/api/audiences/preview", json={"rule": "1=1 UNION SELECT * FROM users"}, headers=h)
    assert r.status_code == 400 and "rule" in r.json()["message"]
    for role in ("customer_manager", "branch_head", "lobby_manager", "admin"):
        client = login(role)
        assert client.post("/api/audiences/preview", json={"rule": "age > 1"},
                           headers={"X-CSRF-Token": client.csrf}).status_code == 403
        assert client.get("/audiences").status_code == 403
