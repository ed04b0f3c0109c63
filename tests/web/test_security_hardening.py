"""Hardening of the workbench against the attacks of issue 11, each reproduced through the real server (a
``finecrm serve`` process or the real app under TestClient) or the real CLI.

Forwarded headers, weak passwords, guessing the current password, oversized ids and dates, the rule
limit, the principal of web and CLI, and other sessions of the same user.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from finecrm.services.access.auth import IP_MAX_FAILURES
from tests.conftest import _free_port
from tests.web.conftest import web_client

FINECRM = Path(sys.executable).with_name("finecrm")


def _fresh_workspace(home: Path, **config: Any) -> Path:
    """An initialised workspace without bank data (sign-in needs only the database), with ``config``
    merged into its finecrm.yaml."""
    from finecrm.services.workspace import init_workspace

    init_workspace(home)
    if config:
        cfg = home / "finecrm.yaml"
        doc = yaml.safe_load(cfg.read_text(encoding="utf-8"))
        for section, values in config.items():
            doc.setdefault(section, {}).update(values)
        cfg.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return home


def _audit_rows(home: Path, action: str) -> list[Any]:
    from sqlalchemy import select

    from finecrm.db.models import AuditEvent
    from finecrm.db.session import make_engine, session_factory
    from finecrm.services.workspace import open_workspace

    engine = make_engine(open_workspace(home).database_url)
    try:
        with session_factory(engine)() as s:
            return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
    finally:
        engine.dispose()


# --- 4. X-Forwarded-For is believed only from the proxies named in finecrm.yaml ------------------------


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, Path]]:
    """``finecrm serve`` as a real process on a fresh workspace: (base URL, home)."""
    home = _fresh_workspace(tmp_path / "ws")
    port = _free_port()
    env = {**os.environ, "NO_COLOR": "1", "FINECRM_DATABASE_URL": ""}
    proc = subprocess.Popen([str(FINECRM), "serve", "--home", str(home), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise AssertionError(f"serve did not start: {proc.stdout.read() if proc.stdout else ''}")
            time.sleep(0.1)
        yield base, home
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


def test_a_forged_forwarded_for_neither_hides_the_address_nor_escapes_the_throttle(served):
    """A local client that changes X-Forwarded-For with every guess is still one address: the per-address
    throttle stops it, and the audit log names the connection's address, not the forged ones."""
    base, home = served
    codes = []
    for i in range(IP_MAX_FAILURES + 1):
        r = httpx.post(f"{base}/api/auth/login", json={"username": f"guess{i}", "password": "wrong-password"},
                       headers={"X-Forwarded-For": f"203.0.113.{i + 1}"})
        codes.append((r.status_code, r.json()["error"]))
    assert codes[-1] == (429, "ip_throttled"), codes
    ips = {row.details["ip"] for row in _audit_rows(home, "login_failed")}
    assert ips == {"127.0.0.1"}, ips


def test_forwarded_for_is_believed_from_a_trusted_proxy_only(tmp_path):
    """Behind the proxies named in web.trusted_proxies the client is the first hop from the right that is
    not one of them; from any other address the header is ignored."""
    from finecrm.web.main import create_app

    home = _fresh_workspace(tmp_path / "ws", web={"trusted_proxies": ["10.0.0.0/24"]})
    app = create_app(home)
    cases = [
        (("10.0.0.1", 4000), ["203.0.113.9"], "203.0.113.9"),  # nginx on 10.0.0.1
        (("10.0.0.1", 4000), ["198.51.100.1, 203.0.113.9, 10.0.0.7"], "203.0.113.9"),  # two proxies; a forged hop
        (("10.0.0.1", 4000), ["not-an-address, 203.0.113.9"], "203.0.113.9"),
        (("10.0.0.1", 4000), ["203.0.113.9, garbage"], "10.0.0.1"),  # the proxy's own hop is unreadable
        (("10.0.0.1", 4000), [], "10.0.0.1"),
        (("192.0.2.44", 4000), ["203.0.113.9"], "192.0.2.44"),  # not a proxy: its header is its own text
    ]
    for n, (peer, forwarded, expected) in enumerate(cases):
        client = TestClient(app, base_url="https://testserver", client=peer)
        headers = [("x-forwarded-for", f) for f in forwarded]
        r = client.post("/api/auth/login", json={"username": f"case{n}", "password": "wrong-password"},
                        headers=headers)
        assert r.status_code == 401
        assert _audit_rows(home, "login_failed")[-1].details["ip"] == expected, (peer, forwarded)


def test_trusted_proxies_are_validated_at_load(tmp_path):
    from finecrm.core.errors import ConfigError
    from finecrm.services.workspace import open_workspace

    home = _fresh_workspace(tmp_path / "ws", web={"trusted_proxies": ["10.0.0.0/24", "nginx.local"]})
    with pytest.raises(ConfigError) as err:
        open_workspace(home)
    assert "web.trusted_proxies" in str(err.value) and "nginx.local" in str(err.value)
    ok = _fresh_workspace(tmp_path / "ok", web={"trusted_proxies": ["10.0.0.5", "fd00::/8"]})
    assert open_workspace(ok).settings.web.trusted_proxies == ["10.0.0.5/32", "fd00::/8"]


# --- 6. common passwords and their usual variations are refused ---------------------------------------


def _user_client(web_bank, username: str, password: str, role: str = "analyst", **kw: Any) -> TestClient:
    """A new account in the shared bank, signed in through the sign-in form."""
    from finecrm.services.access.users import add_user
    from tests.web.conftest import sign_in

    state = web_bank.app.state.finecrm
    with state.sessions() as s, s.begin():
        add_user(s, username=username, role=role, password=password, actor="test", must_change_password=False,
                 **kw)
    client = web_client(web_bank.app)
    assert sign_in(client, username, password).status_code == 303
    return client


def _change_password(client: TestClient, current: str, new: str) -> Any:
    from tests.web.conftest import form_csrf

    token = form_csrf(client.get("/account/password").text)
    return client.post("/account/password", data={"current": current, "new": new, "repeat": new,
                                                  "csrf_token": token})


@pytest.mark.parametrize("weak", ["Password123", "P@ssw0rd2024", "Summer2024!"])
def test_a_common_password_is_refused_on_the_password_page(web_bank, weak):
    """Long enough and of three character classes, so the old policy let each through."""
    name = f"weak.{abs(hash(weak)) % 10**6}"
    client = _user_client(web_bank, name, "Initial-Pass-77")
    r = _change_password(client, "Initial-Pass-77", weak)
    assert r.status_code == 400, r.text[:300]
    assert "太容易被猜到" in r.text and "too easy to guess" in r.text
    # Still the old password: the weak one signs nobody in.
    fresh = web_client(web_bank.app)
    assert fresh.post("/api/auth/login", json={"username": name, "password": weak}).status_code == 401
    assert _change_password(client, "Initial-Pass-77", "Zebra-Quilt-Harbor-9").status_code == 200


def test_the_cli_refuses_a_common_password_and_demo_logins_pass_the_policy(tmp_path, web_bank):
    from finecrm.services.access.users import password_problems

    home = _fresh_workspace(tmp_path / "ws")
    r = subprocess.run([str(FINECRM), "user", "add", "zhao.li", "--role", "analyst", "--password-stdin",
                        "--home", str(home)], input="Password123\n", capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "too easy to guess" in r.stdout + r.stderr
    for account in web_bank.logins.values():  # generated by auth.generate_password for make demo
        assert password_problems(account.password, username=account.username) == []


# --- 7. guessing the current password on the password page is counted like sign-in failures ----------


def test_guessing_the_current_password_locks_the_account(web_bank):
    """Someone at an unattended session guesses the password on /account/password: after
    MAX_FAILED_LOGINS wrong ones the account is locked (even the right password is refused), every session
    ends, and each guess is audited."""
    from finecrm.services.access.auth import MAX_FAILED_LOGINS

    client = _user_client(web_bank, "guess.me", "Initial-Pass-77")
    other = web_client(web_bank.app)
    assert other.post("/api/auth/login", json={"username": "guess.me", "password": "Initial-Pass-77"}
                      ).status_code == 200
    codes = [_change_password(client, f"Guess-{i}-Wrong", "Zebra-Quilt-Harbor-9").status_code
             for i in range(MAX_FAILED_LOGINS - 1)]
    assert codes == [400] * (MAX_FAILED_LOGINS - 1)
    from tests.web.conftest import form_csrf

    token = form_csrf(client.get("/account/password").text)
    last = client.post("/account/password", data={"current": "Guess-last", "new": "Zebra-Quilt-Harbor-9",
                                                  "repeat": "Zebra-Quilt-Harbor-9", "csrf_token": token})
    assert last.status_code == 429 and "账户已临时锁定" in last.text and "locked" in last.text
    # Every session of the user has ended, the guessing one too.
    assert client.get("/account/password", follow_redirects=False).status_code == 303
    assert other.get("/api/me").status_code == 401
    # Locked: the right password signs nobody in, nor changes the password.
    r = web_client(web_bank.app).post(
        "/api/auth/login", json={"username": "guess.me", "password": "Initial-Pass-77"})
    assert r.status_code == 429 and r.json()["error"] == "locked"
    failed = [e for e in _audit_rows(web_bank.home, "password_change_failed") if e.target == "guess.me"]
    assert [e.details["reason"] for e in failed] == ["bad_current_password"] * (MAX_FAILED_LOGINS - 1) + ["lockout"]
    [locked] = [e for e in _audit_rows(web_bank.home, "account_locked") if e.target == "guess.me"]
    assert locked.details["by"] == "password_change" and locked.details["sessions_revoked"] == 2


def test_a_right_current_password_ends_the_run_of_failures(web_bank):
    from finecrm.services.access.auth import MAX_FAILED_LOGINS

    client = _user_client(web_bank, "typo.me", "Initial-Pass-77")
    for i in range(MAX_FAILED_LOGINS - 1):
        assert _change_password(client, f"Typo-{i}", "Zebra-Quilt-Harbor-9").status_code == 400
    assert _change_password(client, "Initial-Pass-77", "Zebra-Quilt-Harbor-9").status_code == 200
    assert _change_password(client, "Typo-again", "Other-Quilt-Harbor-8").status_code == 400  # not locked
    assert client.get("/api/me").status_code == 200


# --- 12. an earlier session does not outlive a password change, and can be ended from the password page ----


def _second_sign_in(web_bank, username: str, password: str) -> TestClient:
    """The same user signed in again from another browser (its own address)."""
    other = web_client(web_bank.app)
    assert other.post("/api/auth/login", json={"username": username, "password": password}).status_code == 200
    assert other.get("/api/me").status_code == 200
    return other


def test_a_password_change_ends_every_other_session(web_bank):
    """Someone who learnt the old password and signed in keeps no session once the owner changes it."""
    client = _user_client(web_bank, "change.ends", "Initial-Pass-77")
    intruder = _second_sign_in(web_bank, "change.ends", "Initial-Pass-77")
    third = _second_sign_in(web_bank, "change.ends", "Initial-Pass-77")
    assert 'data-testid="sign-out-others"' in client.get("/account/password").text
    r = _change_password(client, "Initial-Pass-77", "Zebra-Quilt-Harbor-9")
    assert r.status_code == 200 and "其他浏览器" in r.text
    assert intruder.get("/api/me").status_code == 401 and third.get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 200  # the session the change was made from stays
    [event] = [e for e in _audit_rows(web_bank.home, "password_change") if e.target == "change.ends"]
    assert event.details["sessions_revoked"] == 2


def test_sign_out_other_sessions_from_the_password_page(web_bank):
    client = _user_client(web_bank, "ends.others", "Initial-Pass-77")
    other = _second_sign_in(web_bank, "ends.others", "Initial-Pass-77")
    page = client.get("/account/password").text
    assert page.count("<tr>") == 1 + 2 and "当前会话" in page  # the header and both sessions
    from tests.web.conftest import form_csrf

    # A cross-site form without the session's CSRF token ends nothing.
    assert client.post("/account/sessions/sign-out-others", data={"csrf_token": "forged"}).status_code == 403
    assert other.get("/api/me").status_code == 200
    r = client.post("/account/sessions/sign-out-others", data={"csrf_token": form_csrf(page)})
    assert r.status_code == 200 and 'data-testid="sessions-ended">已退出 1 个其他会话' in r.text
    assert 'data-testid="no-other-sessions"' in r.text
    assert other.get("/api/me").status_code == 401 and client.get("/api/me").status_code == 200
    # The JSON way, from the remaining session: nothing else is open now.
    again = client.post("/api/me/sessions/sign-out-others", headers={"X-CSRF-Token": client.get("/api/me").json()
                                                                  ["csrf_token"]})
    assert again.status_code == 200 and again.json() == {"ended": 0}
    [mine] = client.get("/api/me/sessions").json()
    assert mine["current"] is True and "token" not in mine and "id" not in mine
    events = [e for e in _audit_rows(web_bank.home, "sessions_revoked") if e.target == "ends.others"]
    assert [e.details["sessions_revoked"] for e in events] == [1, 0]


# --- 8. oversized ids, dates and page numbers: a 4xx with a clear message, never a 500 ----------------

#: What an attacker sends for a parameter of each kind: 20- and 23-digit numbers, out-of-range and odd dates.
BAD_INTS = ("99999999999999999999", "1" + "0" * 22, str(2**31), "-1", "0")
BAD_DATES = ("9999-12-31", "0001-01-01", "99999-01-01", "2026-02-30")
BAD_TEXT = ("9" * 20, "x" * 300)
SECURITY_HEADERS = {"content-security-policy": "frame-ancestors 'none'", "x-frame-options": "DENY",
                    "x-content-type-options": "nosniff", "cache-control": "no-store"}


def _assert_safe(r: Any, what: Any) -> None:
    assert r.status_code < 500, (what, r.status_code, r.text[:300])
    for header, value in SECURITY_HEADERS.items():
        assert value in r.headers.get(header, ""), (what, r.status_code, header, dict(r.headers))


def _params(route: Any) -> tuple[list[Any], list[Any]]:
    """The route's path and query parameters, looking into its dependencies too."""
    path, query, todo = [], [], [route.dependant]
    while todo:
        d = todo.pop()
        path += d.path_params
        query += d.query_params
        todo += d.dependencies
    return path, query


def _bad_values(param: Any) -> tuple[str, ...]:
    from datetime import date

    annotation = str(param.field_info.annotation)
    if "int" in annotation:
        return BAD_INTS
    if date.__name__ in annotation and "datetime.date" in annotation:
        return BAD_DATES
    return BAD_TEXT


def _clients_for(route: Any, signed_in: dict[str, Any], web_bank: Any) -> list[tuple[str, Any]]:
    """Signed-in clients of every role the route's action allows (anyone signed in: one role; public: nobody)."""
    from finecrm.authz import AUTHENTICATED, PUBLIC, declared_action

    action = declared_action(route.endpoint)
    if action == PUBLIC:
        return [("public", web_client(web_bank.app))]
    if action == AUTHENTICATED:
        return [("analyst", signed_in["analyst"])]
    return [(role, c) for role, c in sorted(signed_in.items()) if action in c.actions]


def test_oversized_ids_dates_and_pages_never_answer_500_on_any_route(web_bank, login):
    from fastapi.routing import APIRoute

    from finecrm.authz import ROLES
    from finecrm.web.main import iter_routes

    signed_in = {role: login(role) for role in ROLES}
    for client in signed_in.values():
        client.actions = set(client.get("/api/me").json()["actions"])
    routes = [r for r in iter_routes(web_bank.app.routes) if isinstance(r, APIRoute)]
    pool = web_bank.app.state.finecrm.engine.pool
    sent, covered = 0, 0
    for route in routes:
        path_params, query_params = _params(route)
        if not path_params and not query_params:
            continue
        covered += 1
        for role, client in _clients_for(route, signed_in, web_bank):
            for method in sorted(route.methods):
                variants = []
                if path_params:
                    for i in range(max(len(_bad_values(p)) for p in path_params)):
                        path = route.path
                        for p in path_params:
                            values = _bad_values(p)
                            path = path.replace("{" + p.name + "}", values[i % len(values)])
                        variants.append((path, {}))
                base = route.path
                for p in path_params:
                    base = base.replace("{" + p.name + "}", _bad_values(p)[0])
                for q in query_params:
                    variants += [(base, {q.name: v}) for v in _bad_values(q)]
                for path, query in variants:
                    if method == "GET":
                        r = client.get(path, params=query, follow_redirects=False)
                    elif path.startswith("/api/"):
                        r = client.request(method, path, params=query, json={}, follow_redirects=False,
                                           headers={"X-CSRF-Token": getattr(client, "csrf", "")})
                    else:
                        r = client.request(method, path, params=query, follow_redirects=False,
                                           data={"csrf_token": getattr(client, "csrf", "")})
                    _assert_safe(r, (role, method, path[:80], query))
                    # A refused request gives its database connection back (an error page once drew the
                    # menu's count through a closed session and kept a connection until the pool ran dry).
                    assert pool.checkedout() == 0, (role, method, path[:80], query, r.status_code)
                    sent += 1
    assert covered >= 40 and sent >= 500, (covered, sent)


def test_every_number_a_route_takes_is_bounded(web_bank):
    """The mechanism behind the test above: each whole-number path or query parameter of every route has
    an upper bound the database can hold (web.deps.Id / IdQuery / PageNo), so no new route forgets it."""
    from annotated_types import Le
    from fastapi.routing import APIRoute

    from finecrm.services.common import MAX_ID
    from finecrm.web.main import iter_routes

    numbers = 0
    for route in (r for r in iter_routes(web_bank.app.routes) if isinstance(r, APIRoute)):
        path, query = _params(route)
        for p in path + query:
            if "int" in str(p.field_info.annotation):
                bounds = [m.le for m in p.field_info.metadata if isinstance(m, Le)]
                assert bounds and bounds[0] <= MAX_ID, (route.path, p.name)
                numbers += 1
    assert numbers >= 20


def test_the_examples_of_the_report_get_a_clear_4xx(login):
    compliance, analyst, manager = login("compliance_officer"), login("analyst"), login("customer_manager")
    r = compliance.get("/api/audit", params={"until": "9999-12-31"})
    assert r.status_code == 200  # the end of time is a valid upper bound: everything
    r = compliance.get("/api/audit", params={"since": "2026-03-01", "until": "2026-02-01"})
    assert r.status_code == 400 and "since" in r.json()["message"] and "开始日期" in r.json()["message"]
    r = compliance.get("/api/audit", params={"page": "99999999999999999999"})
    assert r.status_code == 422 and "page" in r.text and "请求参数" in r.json()["message"]
    assert analyst.get("/api/campaigns/99999999999999999999").status_code == 422
    r = manager.post("/api/tasks/99999999999999999999/C1", json={"outcome": "contacted"},
                     headers={"X-CSRF-Token": manager.csrf})
    assert r.status_code == 422 and "campaign_id" in r.text
    assert analyst.get("/api/audiences/" + "1" + "0" * 22).status_code == 422
    html = analyst.get("/campaigns/99999999999999999999")
    assert html.status_code == 422 and "campaign_id" in html.text and "<html" in html.text


def test_every_error_keeps_the_security_headers(web_bank, login):
    """401, 403, 404, CSRF, 422 and an unexpected 500, as JSON and as pages."""
    from finecrm.authz import AUTHENTICATED, declare
    from finecrm.web.main import create_app

    anonymous = web_client(web_bank.app)
    lobby = login("lobby_manager")
    answers = {
        "401": anonymous.get("/api/customers"),
        "login redirect": anonymous.get("/dashboard", follow_redirects=False),
        "403 api": lobby.get("/api/audit"),
        "403 page": lobby.get("/audit"),
        "csrf": lobby.post("/api/auth/logout"),
        "404 api": lobby.get("/api/customers/NO-SUCH-CUSTOMER"),
        "404 page": lobby.get("/no/such/page"),
        "422": lobby.get("/api/customers", params={"page": "x"}),
    }
    app = create_app(web_bank.home, demo=True)

    @app.get("/api/boom")
    @declare(AUTHENTICATED)
    def boom_api() -> None:
        raise RuntimeError("secret internals")

    @app.get("/boom")
    @declare(AUTHENTICATED)
    def boom_page() -> None:
        raise RuntimeError("secret internals")

    account = web_bank.logins["analyst"]
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    assert client.post("/api/auth/login", json={"username": account.username, "password": account.password}
                       ).status_code == 200
    answers["500 api"], answers["500 page"] = client.get("/api/boom"), client.get("/boom")
    for what, r in answers.items():
        _assert_safe(r, what) if not what.startswith("500") else None
        for header, value in SECURITY_HEADERS.items():
            assert value in r.headers.get(header, ""), (what, header, dict(r.headers))
    for what in ("500 api", "500 page"):
        r = answers[what]
        assert r.status_code == 500 and "secret internals" not in r.text and "RuntimeError" not in r.text
        assert "内部错误" in r.text and "internal error" in r.text.lower()
    assert answers["500 api"].json()["error"] == "internal_error"


# --- 9. one rule length everywhere: a long rule is applied whole or refused, never cut -----------------


def test_a_long_rule_is_applied_whole_and_an_over_long_one_is_refused(login):
    from finecrm.core.limits import RULE_MAX_LENGTH

    analyst = login("analyst")
    everyone = analyst.get("/api/segments").json()["customers"]
    # Its first 2,000 characters select nobody; the whole rule selects everyone. Cut, it would change the list.
    head = "age < 0"
    long_rule = head + " " * (3000 - len(head)) + " OR age >= 0 OR age IS NULL"
    assert len(long_rule) <= RULE_MAX_LENGTH
    r = analyst.get("/api/segments", params={"rule": long_rule})
    assert r.status_code == 200 and r.json()["customers"] == everyone > 0
    count = analyst.post("/api/audiences/preview", json={"rule": long_rule}, headers={"X-CSRF-Token": analyst.csrf})
    assert count.status_code == 200, count.text
    over = head + " " * RULE_MAX_LENGTH + " OR age >= 0"
    for answer in (analyst.get("/api/segments", params={"rule": over}),
                   analyst.post("/api/segments/export", json={"rule": over}, headers={"X-CSRF-Token": analyst.csrf}),
                   analyst.post("/api/audiences/preview", json={"rule": over}, headers={"X-CSRF-Token": analyst.csrf}),
                   analyst.get("/segments", params={"rule": over})):
        assert answer.status_code in (400, 422), (answer.request.url, answer.status_code)
        assert str(RULE_MAX_LENGTH) in answer.text, answer.text[:300]
        assert "xlsx" not in answer.headers.get("content-type", "")


def test_a_custom_segment_rule_over_the_limit_is_a_config_error(tmp_path):
    from finecrm.core.errors import ConfigError
    from finecrm.core.limits import RULE_MAX_LENGTH
    from finecrm.core.settings import load_workspace

    home = _fresh_workspace(tmp_path / "ws")
    cfg = home / "finecrm.yaml"
    doc = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    doc.setdefault("segments", {})["custom"] = [{"name": "long", "rule": "age > 1 OR " + "x" * RULE_MAX_LENGTH}]
    cfg.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="rule") as err:
        load_workspace(home)
    assert "finecrm.yaml" in str(err.value) and str(RULE_MAX_LENGTH) in str(err.value)
