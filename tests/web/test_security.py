"""Security of the workbench, tested through the real app: route coverage, the role × route matrix,
CSRF, lockout, masking in HTML / API / Excel, audit rows for reveals and exports, cookies."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from finecrm.authz import AUTHENTICATED, PUBLIC, ROLES, allowed, declared_action, undeclared
from finecrm.services.access.auth import MAX_FAILED_LOGINS
from finecrm.web.main import iter_routes
from tests.web.conftest import form_csrf, sign_in, web_client

MASKED_PHONE = re.compile(r"^\d{3}\*+\d{4}$")


def _routes(app):
    return [r for r in iter_routes(app.routes) if isinstance(r, APIRoute)]


# --- route coverage ------------------------------------------------------------------------------------


def test_every_route_declares_its_action(web_bank):
    app = web_bank.app
    routes = _routes(app)
    assert len(routes) >= 25, "the app should expose its pages and API"
    assert undeclared(r.endpoint for r in routes) == []
    # Anything that is not an APIRoute must be the static files mount (public, like the login page).
    others = [r for r in iter_routes(app.routes) if not isinstance(r, APIRoute)]
    assert all(isinstance(r, Mount) and r.path == "/static" for r in others), others


def test_only_sign_in_health_and_language_are_public(web_bank):
    public = sorted(r.path for r in _routes(web_bank.app) if declared_action(r.endpoint) == PUBLIC)
    # … and the customer's survey page opened from a link (issue 19: no sign-in, one use per token, rate-limited).
    assert public == ["/api/auth/login", "/api/s/{token}", "/healthz", "/lang/{code}", "/login", "/login", "/s/{token}",
                      "/s/{token}"]


def test_an_undeclared_route_is_refused_at_runtime(web_bank):
    """Defence in depth: a route added without @declare answers 500, never its content."""
    from finecrm.web.main import create_app

    app = create_app(web_bank.home, demo=True)

    @app.get("/sneaky")
    def sneaky() -> dict[str, str]:
        return {"secret": "yes"}

    r = TestClient(app, base_url="https://testserver").get("/sneaky")
    assert r.status_code == 500 and "secret" not in r.text


#: Values for the other path parameters: records that need not exist (an allowed role may get 404).
PATH_VALUES = {"{username}": "demo_analyst", "{code}": "en", "{audience_id}": "1", "{campaign_id}": "1",
               "{target}": "mobile_banking", "{version}": "1", "{what}": "disable", "{complaint_id}": "1",
               "{survey_id}": "1", "{member_id}": "1", "{feedback_id}": "1", "{case_id}": "1"}


def _concrete(path: str, customer_id: str) -> str:
    path = path.replace("{customer_id}", customer_id)
    for key, value in PATH_VALUES.items():
        path = path.replace(key, value)
    return path


@pytest.fixture(scope="module")
def some_customer(login):
    rows = login("analyst").get("/api/customers?page_size=5").json()["rows"]
    return rows[0]["customer_id"]


@pytest.mark.parametrize("role", sorted(ROLES))
def test_role_route_matrix(role, web_bank, login, some_customer):
    """Every GET route, for every role: 403 exactly where the role lacks the route's action."""
    from finecrm.services.access.auth import principal_for
    from finecrm.services.access.users import get_user

    client = login(role)
    org = web_bank.app.state.finecrm.org()
    branches, grids = org.branches, org.grids
    with web_bank.app.state.finecrm.sessions() as s:
        principal = principal_for(get_user(s, username=client.account.username), branches=branches, grids=grids)
    checked = 0
    for route in _routes(web_bank.app):
        if "GET" not in route.methods or declared_action(route.endpoint) in (PUBLIC,):
            continue
        action = declared_action(route.endpoint)
        r = client.get(_concrete(route.path, some_customer), follow_redirects=False)
        if action == AUTHENTICATED or allowed(principal, action):
            # Allowed: never 403; a customer route may still answer 404 when the customer is out of scope.
            assert r.status_code in (200, 303, 404), (role, route.path, r.status_code, r.text[:200])
        else:
            assert r.status_code == 403, (role, route.path, r.status_code)
        checked += 1
    assert checked >= 15


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_post_route_refuses_a_role_without_its_action(role, web_bank, login, some_customer):
    """Every state-changing route, for every role that lacks its action: 403 before anything happens
    (with a valid CSRF token, so the refusal is the role's)."""
    from finecrm.services.access.auth import principal_for
    from finecrm.services.access.users import get_user

    client = login(role)
    org = web_bank.app.state.finecrm.org()
    branches, grids = org.branches, org.grids
    with web_bank.app.state.finecrm.sessions() as s:
        principal = principal_for(get_user(s, username=client.account.username), branches=branches, grids=grids)
    refused = 0
    for route in _routes(web_bank.app):
        action = declared_action(route.endpoint)
        if "POST" not in route.methods or action in (PUBLIC, AUTHENTICATED) or allowed(principal, action):
            continue
        path = _concrete(route.path, some_customer)
        if path.startswith("/api/"):
            r = client.post(path, json={}, headers={"X-CSRF-Token": client.csrf}, follow_redirects=False)
        else:
            r = client.post(path, data={"csrf_token": client.csrf}, follow_redirects=False)
        assert r.status_code == 403, (role, route.path, r.status_code)
        refused += 1
    assert role == "analyst" or refused > 0


def test_post_routes_refuse_roles_without_the_action(login, some_customer):
    lobby = login("lobby_manager")
    h = {"X-CSRF-Token": lobby.csrf}
    assert lobby.post(f"/api/customers/{some_customer}/reveal", json={"reason": "checking it"}, headers=h
                      ).status_code == 403
    assert lobby.post("/api/segments/export", json={}, headers=h).status_code == 403
    assert lobby.post("/admin/users", data={"username": "x", "role": "admin", "csrf_token": lobby.csrf}
                      ).status_code == 403
    assert lobby.post("/admin/users/demo_analyst/disable", data={"csrf_token": lobby.csrf}).status_code == 403


def test_out_of_scope_customer_is_not_found_like_a_missing_one(login, web_bank):
    manager = login("customer_manager")
    mine = {r["customer_id"] for r in manager.get("/api/customers?page_size=200").json()["rows"]}
    assert mine, "the demo customer manager should manage customers"
    analyst = login("analyst")
    other = next(r["customer_id"] for p in range(1, 20)
                 for r in analyst.get(f"/api/customers?page_size=200&page={p}").json()["rows"]
                 if r["customer_id"] not in mine)
    for path in (f"/api/customers/{other}", f"/customers/{other}", f"/api/customers/{other}/transactions"):
        hidden, missing = manager.get(path), manager.get(path.replace(other, "NO-SUCH-CUSTOMER"))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.text.replace(other, "X") == missing.text.replace("NO-SUCH-CUSTOMER", "X")
    assert manager.get(f"/api/customers/{next(iter(mine))}").status_code == 200


def test_search_shows_only_the_scope(login, web_bank):
    manager = login("customer_manager")
    staff = manager.account.staff_id
    grids = web_bank.app.state.finecrm.org().grids
    own_grids = {g for g, m in grids.items() if m == staff}
    rows = manager.get("/api/customers?page_size=200").json()["rows"]
    assert rows and all(r["manager_id"] == staff or r["grid_id"] in own_grids for r in rows)
    branch_head = login("branch_head")
    branches = web_bank.app.state.finecrm.org().branches
    from finecrm.authz import branch_subtree

    subtree = branch_subtree(branch_head.account.branch_id, branches)
    page = branch_head.get("/api/customers?page_size=200").json()
    assert page["total"] > 0 and all(r["branch_id"] in subtree for r in page["rows"])
    assert page["total"] < login("analyst").get("/api/customers").json()["total"]


# --- authentication ---------------------------------------------------------------------------------


def test_not_signed_in(web_bank):
    client = web_client(web_bank.app)
    assert client.get("/api/customers").status_code == 401
    r = client.get("/dashboard", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/dashboard")
    assert client.get("/api/openapi.json").status_code == 401
    assert client.get("/api/docs", follow_redirects=False).status_code == 401
    assert client.get("/healthz").status_code == 200


def test_session_cookie_flags(web_bank):
    account = web_bank.logins["analyst"]
    client = web_client(web_bank.app)
    r = sign_in(client, account.username, account.password)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "finecrm_session=" in cookie and "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie


def test_csrf_is_required_for_state_changes(login, some_customer):
    analyst = login("analyst")
    no_token = analyst.post("/api/segments/export", json={"tier": "大众"})
    wrong = analyst.post("/api/segments/export", json={"tier": "大众"}, headers={"X-CSRF-Token": "forged"})
    assert no_token.status_code == wrong.status_code == 403
    assert no_token.json()["error"] == "csrf"
    # The page's logout form without the token is refused too, and the session survives.
    assert analyst.post("/logout", data={}).status_code == 403
    assert analyst.get("/api/me").status_code == 200
    ok = analyst.post("/api/segments/export", json={"tier": "大众"}, headers={"X-CSRF-Token": analyst.csrf})
    assert ok.status_code == 200


def test_login_form_needs_its_own_token(web_bank):
    account = web_bank.logins["analyst"]
    client = web_client(web_bank.app)
    client.get("/login")
    r = client.post("/login", data={"username": account.username, "password": account.password,
                                    "csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 400 and "finecrm_session" not in r.headers.get("set-cookie", "")


def test_json_login_requires_json(web_bank):
    client = web_client(web_bank.app)
    account = web_bank.logins["analyst"]
    r = client.post("/api/auth/login", data={"username": account.username, "password": account.password})
    assert r.status_code in (415, 422)


def test_lockout_after_repeated_failures(web_bank):
    from finecrm.services.access.users import add_user

    state = web_bank.app.state.finecrm
    with state.sessions() as s, s.begin():
        add_user(s, username="lock.me", role="analyst", password="Correct-Horse-42", actor="test",
                 must_change_password=False)
    client = web_client(web_bank.app)
    codes = [client.post("/api/auth/login", json={"username": "lock.me", "password": "wrong-password"}).status_code
             for _ in range(MAX_FAILED_LOGINS)]
    assert codes[:-1] == [401] * (MAX_FAILED_LOGINS - 1) and codes[-1] == 429
    # Locked: even the right password is refused now, and the form says so without saying why exactly.
    r = client.post("/api/auth/login", json={"username": "lock.me", "password": "Correct-Horse-42"})
    assert r.status_code == 429 and r.json()["error"] == "locked"
    page = sign_in(client, "lock.me", "Correct-Horse-42")
    assert page.status_code == 401
    browse = web_client(web_bank.app)
    compliance_events = _audit(browse, web_bank, action="account_locked")
    assert any(e["target"] == "lock.me" for e in compliance_events)


def _audit(_client, web_bank, **filters):
    from finecrm.services.access.audit_log import browse
    from finecrm.services.access.auth import principal_for
    from finecrm.services.access.users import get_user

    state = web_bank.app.state.finecrm
    org = state.org()
    branches, grids = org.branches, org.grids
    with state.sessions() as s:
        p = principal_for(get_user(s, username=web_bank.logins["compliance_officer"].username), branches=branches,
                          grids=grids)
        return browse(s, p, page_size=200, **filters).rows


def test_demo_logins_only_in_demo_mode(web_bank):
    from finecrm.web.main import create_app

    normal = TestClient(create_app(web_bank.home, demo=False), base_url="https://testserver")
    account = web_bank.logins["analyst"]
    r = normal.post("/api/auth/login", json={"username": account.username, "password": account.password})
    assert r.status_code == 401


def test_logout_ends_the_session(web_bank, login):
    client = login("risk_officer")
    assert client.get("/api/me").status_code == 200
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": client.csrf}).status_code == 200
    assert client.get("/api/me").status_code == 401


# --- personal data ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["analyst", "branch_head", "lobby_manager", "risk_officer", "compliance_officer",
                                  "customer_manager"])
def test_personal_data_is_masked_in_the_api_and_html(role, login, web_bank):
    client = login(role)
    page = client.get("/api/customers?page_size=50").json()
    assert page["rows"], role
    phones = [r["phone"] for r in page["rows"] if r["phone"] is not None]
    assert phones and all(MASKED_PHONE.match(p) for p in phones), role
    assert all("*" in r["name"] and (r["id_number"] is None or "*" in r["id_number"]) for r in page["rows"])
    cid = next(r["customer_id"] for r in page["rows"] if r["phone"] is not None and r["id_number"] is not None)
    detail = client.get(f"/api/customers/{cid}").json()["customer"]
    assert "*" in detail["name"] and MASKED_PHONE.match(detail["phone"])
    html = client.get(f"/customers/{cid}").text
    assert detail["phone"] in html
    clear = _clear_record(web_bank, cid)
    assert clear["phone"] not in html and clear["id_number"] not in html and clear["name"] not in html


def _clear_record(web_bank, customer_id: str) -> dict:
    import duckdb

    from finecrm.engine import snapshots

    ws = web_bank.ws
    build_id = snapshots.published(ws.snapshots)
    path = ws.snapshots / build_id / "serving.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT name, phone, id_number FROM customer_360 WHERE customer_id = ?",
                          [customer_id]).fetchall()[0]
    finally:
        con.close()
    return {"name": row[0], "phone": row[1], "id_number": row[2]}


def test_lobby_manager_sees_no_money(login):
    lobby = login("lobby_manager")
    row = lobby.get("/api/customers").json()["rows"][0]
    assert "aum_avg" not in row
    detail = lobby.get(f"/api/customers/{row['customer_id']}").json()
    assert "aum_avg" not in detail["customer"] and not detail["shows_money"]
    assert all("balance_end" not in a for a in detail["accounts"])


def test_reveal_needs_a_reason_and_is_audited(login, web_bank):
    manager = login("customer_manager")
    cid = next(r["customer_id"] for r in manager.get("/api/customers").json()["rows"] if r["phone"])
    h = {"X-CSRF-Token": manager.csrf}
    refused = manager.post(f"/api/customers/{cid}/reveal", json={"reason": ""}, headers=h)
    assert refused.status_code == 400
    before = len(_audit(None, web_bank, action="reveal_pii", target=cid))
    r = manager.post(f"/api/customers/{cid}/reveal", json={"reason": "客户来电核实身份"}, headers=h)
    assert r.status_code == 200
    shown = r.json()["customer"]
    assert shown["phone"] == _clear_record(web_bank, cid)["phone"] and r.json()["revealed"]
    events = _audit(None, web_bank, action="reveal_pii", target=cid)
    assert len(events) == before + 1
    assert events[0]["actor"] == manager.account.username and events[0]["reason"] == "客户来电核实身份"
    # The next plain view is masked again.
    assert "*" in manager.get(f"/api/customers/{cid}").json()["customer"]["phone"]


def test_reveal_is_refused_to_roles_without_it(login, some_customer):
    analyst = login("analyst")
    r = analyst.post(f"/api/customers/{some_customer}/reveal", json={"reason": "just curious"},
                     headers={"X-CSRF-Token": analyst.csrf})
    assert r.status_code == 403


def test_excel_export_is_masked_and_audited(login, web_bank):
    from openpyxl import load_workbook

    analyst = login("analyst")
    explore = analyst.get("/api/segments?lifecycle=stable").json()
    before = len(_audit(None, web_bank, action="export_list"))
    r = analyst.post("/api/segments/export", json={"lifecycle": "stable"}, headers={"X-CSRF-Token": analyst.csrf})
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert len(data) == explore["customers"] > 0
    phone, name, id_number = header.index("phone"), header.index("name"), header.index("id_number")
    assert all((row[phone] is None or MASKED_PHONE.match(row[phone])) and "*" in row[name]
               and (row[id_number] is None or "*" in row[id_number]) for row in data)
    assert sum(row[phone] is not None for row in data) > len(data) / 2
    events = _audit(None, web_bank, action="export_list")
    assert len(events) == before + 1
    assert events[0]["actor"] == analyst.account.username and events[0]["details"]["rows"] == len(data)


def test_export_from_the_page_form(login):
    analyst = login("analyst")
    page = analyst.get("/segments?lifecycle=stable")
    token = form_csrf(page.text)
    r = analyst.post("/segments/export", data={"lifecycle": "stable", "csrf_token": token})
    assert r.status_code == 200 and r.content[:2] == b"PK"


def test_rule_expressions_cannot_escape(login):
    analyst = login("analyst")
    for rule in ("1=1; DROP TABLE customer_360", "customer_id IN (SELECT customer_id FROM customer_360)",
                 "read_csv('/etc/passwd') IS NOT NULL", "name = '张三'"):
        r = analyst.get("/api/segments", params={"rule": rule})
        assert r.status_code == 400, (rule, r.text[:200])
        assert "rule" in r.json()["message"] or "规则" in r.json()["message"]
    ok = analyst.get("/api/segments", params={"rule": "age >= 30 AND aum_avg > 10000"})
    assert ok.status_code == 200 and ok.json()["customers"] > 0


def test_security_headers(login):
    r = login("analyst").get("/dashboard")
    assert r.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
