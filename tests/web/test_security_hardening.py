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
    client = TestClient(web_bank.app, base_url="https://testserver")
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
    fresh = TestClient(web_bank.app, base_url="https://testserver")
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
    other = TestClient(web_bank.app, base_url="https://testserver")
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
    r = TestClient(web_bank.app, base_url="https://testserver").post(
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
