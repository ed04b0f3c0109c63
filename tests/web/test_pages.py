"""The workbench's pages and API tell the truth: numbers checked against the marts computed independently
(plain DuckDB over the snapshot's Parquet files), pagination, languages, data status, audit browsing."""

from __future__ import annotations

import json
import re
from html import unescape
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest

from finecrm.engine import snapshots
from finecrm.web.i18n import LANGUAGES, catalog

WEB = Path(__file__).resolve().parents[2] / "src" / "finecrm" / "web"


def _mart(web_bank, name: str) -> str:
    build_id = snapshots.published(web_bank.ws.snapshots)
    return f"read_parquet('{web_bank.ws.snapshots / build_id / 'marts' / name}/**/*.parquet')"


def _one(sql: str):
    return duckdb.sql(sql).fetchall()[0][0]


def test_dashboard_of_the_whole_bank_matches_the_marts(login, web_bank):
    d = login("analyst").get("/api/dashboard").json()
    kpi = {k["code"]: k for k in d["kpis"]}
    c360 = _mart(web_bank, "customer_360")
    assert kpi["customers"]["value"] == _one(f"SELECT count(*) FROM {c360} WHERE lifecycle <> 'lost'")
    branch = _mart(web_bank, "branch_summary")
    month = _one(f"SELECT max(month) FROM {branch}")
    assert d["month"] == month.isoformat()[:7]
    aum = _one(f"SELECT sum(aum_avg) FROM {branch} WHERE month = DATE '{month}'")
    assert kpi["aum"]["value"] == pytest.approx(aum, rel=1e-9)
    prev_customers = _one(f"SELECT sum(customers) FROM {branch} WHERE month = DATE '{month}' - INTERVAL 1 MONTH")
    assert kpi["customers"]["previous"] == prev_customers
    assert kpi["new_customers"]["value"] == _one(f"SELECT sum(new_customers) FROM {branch} WHERE month = DATE '{month}'")
    pyramid = {(r["kind"], r["tier"]): r["customers"] for r in d["tier_pyramid"]}
    expected = dict(((k, t), n) for k, t, n in duckdb.sql(
        f"SELECT kind, tier, count(*) FROM {c360} WHERE lifecycle <> 'lost' GROUP BY 1, 2").fetchall())
    assert pyramid == expected
    # every customer-initiated transaction is in the mix, through whatever channel (the off-counter rate counts them all)
    assert sum(d["channel_mix"].values()) == _one(f"SELECT sum(txn_ci_90d) FROM {c360}")
    pareto = d["pareto"]
    assert pareto[0] == {"customer_share": 0.0, "aum_share": 0.0} and pareto[-1]["aum_share"] == pytest.approx(1.0)
    assert all(a["aum_share"] <= b["aum_share"] for a, b in pairwise(pareto))
    assert set(d["definitions"]) >= {k["code"] for k in d["kpis"]}
    hist = _mart(web_bank, "customer_tier_history")
    flows = {(f, t): n for f, t, n in duckdb.sql(
        f"WITH h AS (SELECT * FROM {hist}), m AS (SELECT max(month) AS m FROM h) "
        f"SELECT coalesce(b.lifecycle, 'entered'), a.lifecycle, count(*) FROM h a JOIN m ON a.month = m.m "
        f"LEFT JOIN h b ON b.customer_id = a.customer_id AND b.month = m.m - INTERVAL 1 MONTH GROUP BY 1, 2"
    ).fetchall()}
    assert {(r["from"], r["to"]): r["customers"] for r in d["lifecycle_flow"]} == flows


def test_dashboard_of_a_customer_manager_adds_up_their_customers(login, web_bank):
    manager = login("customer_manager")
    d = manager.get("/api/dashboard").json()
    ids = set()
    page = 1
    while True:
        body = manager.get(f"/api/customers?page_size=200&page={page}").json()
        ids |= {r["customer_id"] for r in body["rows"]}
        if page >= body["pages"]:
            break
        page += 1
    c360 = _mart(web_bank, "customer_360")
    id_list = ",".join(f"'{i}'" for i in sorted(ids))
    expected = _one(f"SELECT count(*) FROM {c360} WHERE lifecycle <> 'lost' AND customer_id IN ({id_list})")
    kpis = {k["code"]: k["value"] for k in d["kpis"]}
    assert kpis["customers"] == expected
    aum = _one(f"SELECT sum(aum_avg) FROM {c360} WHERE lifecycle <> 'lost' AND customer_id IN ({id_list})")
    assert kpis["aum"] == pytest.approx(aum, rel=1e-6)
    assert d["comparison"]["by"] == "grid"
    whole = login("analyst").get("/api/dashboard").json()
    assert kpis["customers"] < {k["code"]: k["value"] for k in whole["kpis"]}["customers"]


def test_search_by_last_four_digits_and_pagination(login, web_bank):
    # Part of a value (the last 4 digits) is searched by those who may reveal personal data (a compliance
    # officer sees the whole bank); everyone else searches the whole value (tests/web/test_personal_data.py).
    compliance, analyst = login("compliance_officer"), login("analyst")
    c360 = _mart(web_bank, "customer_360")
    phone = _one(f"SELECT phone FROM {c360} WHERE phone IS NOT NULL ORDER BY customer_id LIMIT 1")
    last4 = phone[-4:]
    hits = compliance.get(f"/api/customers?q={last4}&page_size=200").json()
    expected = _one(f"SELECT count(*) FROM {c360} WHERE right(phone, 4) = '{last4}' OR right(id_number, 4) = "
                    f"'{last4}' OR customer_id = '{last4}' OR contains(name, '{last4}')")
    assert hits["total"] == expected >= 1
    first, second = (analyst.get(f"/api/customers?page={p}&page_size=7").json() for p in (1, 2))
    assert first["total"] == second["total"] == _one(f"SELECT count(*) FROM {c360}")
    assert {r["customer_id"] for r in first["rows"]}.isdisjoint(r["customer_id"] for r in second["rows"])
    assert first["rows"][0]["customer_id"] < second["rows"][0]["customer_id"]
    html = unescape(analyst.get("/customers?q=&page=2").text)
    assert "/customers?q=&page=3" in html and "/customers?q=&page=1" in html


def test_customer_360_holds_every_part(login, web_bank):
    analyst = login("analyst")
    c360 = _mart(web_bank, "customer_360")
    cid = _one(f"SELECT customer_id FROM {c360} WHERE products_held >= 2 AND txn_ci_90d > 3 ORDER BY customer_id LIMIT 1")
    d = analyst.get(f"/api/customers/{cid}").json()
    months = _one(f"SELECT count(*) FROM {_mart(web_bank, 'customer_tier_history')} WHERE customer_id = '{cid}'")
    assert len(d["tier_history"]) == months > 0
    accounts = _one(f"SELECT count(*) FROM {_mart(web_bank, 'customer_accounts')} WHERE customer_id = '{cid}'")
    assert len(d["accounts"]) == accounts >= 2
    assert d["customer"]["tier_reason"] and d["customer"]["lifecycle_reason"]
    tx = analyst.get(f"/api/customers/{cid}/transactions?page_size=5").json()
    n = _one(f"SELECT count(*) FROM {_mart(web_bank, 'customer_recent_transactions')} WHERE customer_id = '{cid}'")
    assert tx["total"] == n and len(tx["rows"]) == min(5, n)
    stamps = [r["ts"] for r in tx["rows"]]
    assert stamps == sorted(stamps, reverse=True)
    html = analyst.get(f"/customers/{cid}").text
    for part in ("customer.holdings", "customer.tier_history", "customer.signups", "customer.channels"):
        assert catalog("zh")[part] in html


def test_segment_explorer_counts_and_rules(login, web_bank):
    analyst = login("analyst")
    c360 = _mart(web_bank, "customer_360")
    tier = _one(f"SELECT tier FROM {c360} GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    d = analyst.get("/api/segments", params={"tier": tier, "rule": "age < 40 AND txn_ci_30d >= 2"}).json()
    expected = _one(f"SELECT count(*) FROM {c360} WHERE tier = '{tier}' AND age < 40 AND txn_ci_30d >= 2")
    assert d["customers"] == expected
    assert sum(b["customers"] for b in d["breakdown"]) == expected
    branch_head = login("branch_head")
    scoped = branch_head.get("/api/segments", params={"tier": tier}).json()
    everyone = analyst.get("/api/segments", params={"tier": tier}).json()
    assert 0 < scoped["customers"] < everyone["customers"]


def test_data_status_names_the_published_snapshot(login, web_bank):
    d = login("analyst").get("/api/status").json()
    assert d["published"] == snapshots.published(web_bank.ws.snapshots)
    assert d["manifest"]["checks_passed"] is True
    assert {m["name"] for m in d["marts"]} >= {"customer_360", "portfolio_summary", "customer_accounts"}
    assert all(m["checks_passed"] == m["checks"] for m in d["marts"])
    assert d["from_ingest"] == d["ingests"][0]["id"]
    assert "customer_360" in login("admin").get("/status").text


def test_audit_browsing_filters_and_pages(login, web_bank):
    compliance = login("compliance_officer")
    logins = compliance.get("/api/audit?action=login&page_size=3").json()
    assert logins["total"] >= 3 and all(e["action"] == "login" for e in logins["rows"])
    mine = compliance.get(f"/api/audit?actor={compliance.account.username}&action=login").json()
    assert mine["total"] >= 1 and all(e["actor"] == compliance.account.username for e in mine["rows"])
    assert compliance.get("/api/audit?since=2999-01-01").json()["total"] == 0
    assert "login" in login("admin").get("/audit?action=login").text


def test_language_switch_and_catalogs(login):
    client = login("analyst")
    assert catalog("zh")["nav.dashboard"] in client.get("/dashboard").text
    client.get("/lang/en?next=/dashboard")
    assert catalog("en")["nav.dashboard"] in client.get("/dashboard").text
    client.get("/lang/zh")


def test_catalogs_agree_and_cover_every_key_used():
    zh, en = (set(catalog(lang)) for lang in LANGUAGES)
    assert zh == en, f"only zh: {sorted(zh - en)}; only en: {sorted(en - zh)}"
    used = set()
    for f in [*WEB.rglob("*.html"), *WEB.rglob("*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_][a-z0-9_.\-]*)["']\s*[,)]""", f.read_text(encoding="utf-8")))
    missing = used - zh
    assert len(used) > 100 and not missing, f"keys used but missing from the catalogs: {sorted(missing)}"
    # Keys built from codes (t("lifecycle." ~ code)): every code of the data contract and of authz has one.
    from finecrm.authz import ROLES, Scope
    from finecrm.contract import tables

    def codes(pairs):
        return {code for code, _ in pairs}

    families = {"role": set(ROLES), "scope": {s.value for s in Scope}, "channel": codes(tables.CHANNELS),
                "category": codes(tables.PRODUCT_CATEGORIES), "txn": codes(tables.TXN_KINDS),
                "status": codes(tables.ACCOUNT_STATUSES), "kind": codes(tables.CUSTOMER_KINDS),
                "lifecycle": {"new", "stable", "growing", "declining", "dormant", "lost", "potential", "entered"},
                "signup": codes(tables.SERVICES), "direction": codes(tables.DIRECTIONS)}
    for family, codes in families.items():
        absent = {c for c in codes if f"{family}.{c}" not in zh}
        assert not absent, f"{family}: no message for {sorted(absent)}"
    for lang in LANGUAGES:
        raw = json.loads((WEB / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
        assert all(isinstance(v, str) and v.strip() for v in raw.values())


def test_openapi_lists_the_required_endpoints(login):
    spec = login("analyst").get("/api/openapi.json").json()
    paths = spec["paths"]
    for path, method in (("/api/auth/login", "post"), ("/api/customers", "get"),
                         ("/api/customers/{customer_id}", "get"), ("/api/dashboard", "get"), ("/api/audit", "get")):
        assert method in paths[path], path
    docs = login("analyst").get("/api/docs").text
    assert "/static/vendor/swagger-ui" in docs and "cdn" not in docs.lower()


def test_pages_load_nothing_from_outside(login):
    client = login("analyst")
    for path in ("/dashboard", "/customers", "/segments", "/status"):
        html = client.get(path).text
        srcs = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
        assert srcs and all(s.startswith(("/", "#", "?")) for s in srcs), (path, [s for s in srcs if "//" in s])


def test_admin_page_adds_disables_and_resets(login, web_bank):
    from tests.web.conftest import form_csrf

    admin = login("admin")
    page = admin.get("/admin/users")
    token = form_csrf(page.text)
    branch = web_bank.logins["branch_head"].branch_id
    r = admin.post("/admin/users", data={"username": "wang.wei", "role": "branch_head", "branch_id": branch,
                                         "display_name": "王伟", "csrf_token": token})
    assert r.status_code == 200 and "wang.wei" in r.text
    password = re.search(r"<code>([^<]+)</code>", r.text).group(1)
    assert admin.post("/admin/users/wang.wei/disable", data={"csrf_token": token}).status_code == 200
    users = {u["username"]: u for u in _users(web_bank)}
    assert users["wang.wei"]["active"] is False
    assert admin.post("/admin/users/wang.wei/enable", data={"csrf_token": token}).status_code == 200
    reset = admin.post("/admin/users/wang.wei/reset-password", data={"csrf_token": token})
    assert re.search(r"<code>([^<]+)</code>", reset.text).group(1) != password
    bad = admin.post("/admin/users", data={"username": "x", "role": "nobody", "csrf_token": token})
    assert bad.status_code == 400


def _users(web_bank):
    from finecrm.services.access.users import describe_user, list_users

    with web_bank.app.state.finecrm.sessions() as s:
        return [describe_user(u) for u in list_users(s)]


def test_first_sign_in_must_change_the_password(web_bank):
    from finecrm.services.access.users import add_user
    from tests.web.conftest import form_csrf, sign_in, web_client

    with web_bank.app.state.finecrm.sessions() as s, s.begin():
        add_user(s, username="li.na", role="analyst", password="Initial-Pass-77", actor="test")
    client = web_client(web_bank.app)
    r = sign_in(client, "li.na", "Initial-Pass-77")
    assert r.headers["location"] == "/account/password"
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == "/account/password"
    token = form_csrf(client.get("/account/password").text)
    done = client.post("/account/password", data={"current": "Initial-Pass-77", "new": "Brand-New-Pass-88",
                                                  "repeat": "Brand-New-Pass-88", "csrf_token": token})
    assert done.status_code == 200
    assert client.get("/dashboard", follow_redirects=False).status_code == 200
