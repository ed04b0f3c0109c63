"""A generated bank, built once per session, with one demo login per role, served by the real app.

``login(role)`` gives a TestClient signed in as that role's demo user (over https, so the Secure cookie
is sent back), with ``client.csrf`` set. ``live_server`` runs the same app under uvicorn on a free port
for the browser tests.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from finecrm.services.access.demo_accounts import demo_logins
from finecrm.services.data.build import build
from finecrm.services.data.ingest import ingest
from finecrm.services.marketing.propensity import train_targets
from finecrm.services.workspace import init_workspace, open_workspace
from finecrm.synth import generate
from tests.conftest import _free_port, in_ci
from tests.web.browser import CHROMIUM, DESKTOP, LAUNCH_ARGS, TIMEOUT_MS
from tests.web.browser import sign_in as browser_sign_in

N_CUSTOMERS = 1500


@dataclass
class WebBank:
    home: Path
    ws: Any
    logins: dict[str, Any]  # role → DemoAccount (username, password, branch_id, staff_id)
    app: Any


@pytest.fixture(scope="session")
def web_bank(tmp_path_factory) -> WebBank:
    base = tmp_path_factory.mktemp("webbank")
    bank = base / "bank"
    generate(bank, customers=N_CUSTOMERS, months=12, seed=5)
    home = base / "ws"
    init_workspace(home)
    ws = open_workspace(home)
    report = ingest(ws, bank)
    assert not report["unusable"], report["unusable"]
    build(ws)
    # The marketing pages need scores: train the propensity models on this bank, then build again so the
    # customer_propensity mart is filled (as make demo does).
    trained = train_targets(ws, [t.code for t in ws.settings.marketing.targets], actor="tests", activate=True)
    assert any(m["target"] == "mobile_banking" for m in trained["trained"]), trained["skipped"]
    build(ws)
    logins = {a.role: a for a in demo_logins(ws) if not a.checker}  # the second risk officer is not a role
    from finecrm.web.main import create_app

    return WebBank(home, ws, logins, create_app(home, demo=True))


@pytest.fixture(scope="module")
def pg_app(web_bank, postgres_url):
    """The session's bank served with a new database of its own on the real PostgreSQL server (one per test
    module): ``(app, logins, url)``. Only FINECRM_DATABASE_URL differs from the SQLite app."""
    from finecrm.services.access.demo_accounts import demo_logins
    from finecrm.web.main import create_app
    from tests.conftest import new_postgres_database

    url = new_postgres_database(postgres_url)
    mp = pytest.MonkeyPatch()
    mp.setenv("FINECRM_DATABASE_URL", url)
    app = create_app(web_bank.home, demo=True)  # migrates the new database
    logins = {a.role: a for a in demo_logins(web_bank.ws) if not a.checker}
    yield app, logins, url
    mp.undo()
    app.state.finecrm.engine.dispose()


def pg_client(app: Any, account: Any) -> Any:
    """A signed-in client of ``pg_app`` for a demo account (with its CSRF token)."""
    from fastapi.testclient import TestClient

    c = TestClient(app, base_url="https://testserver")
    r = c.post("/api/auth/login", json={"username": account.username, "password": account.password})
    assert r.status_code == 200, r.text
    c.csrf = r.json()["csrf_token"]
    c.account = account
    return c


_peers = itertools.count(1)


def web_client(app: Any, **kwargs: Any) -> Any:
    """A TestClient over https from an address of its own.

    The sign-in throttle counts failures per address for ten minutes, and the session bank is shared by
    every web test: from one shared address, the tests that guess wrong on purpose would, late in a full
    run, lock out the sign-ins of the tests after them. Each client is its own workstation instead.
    """
    from fastapi.testclient import TestClient

    n = next(_peers)
    kwargs.setdefault("client", (f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}", 50000))
    return TestClient(app, base_url="https://testserver", **kwargs)


def form_csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert m, "no CSRF field in the form"
    return m.group(1)


def sign_in(client: Any, username: str, password: str) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": form_csrf(page.text)}, follow_redirects=False)


@pytest.fixture(scope="session")
def login(web_bank) -> Callable[[str], Any]:
    def make(role: str) -> Any:
        account = web_bank.logins[role]
        client = web_client(web_bank.app)
        r = client.post("/api/auth/login", json={"username": account.username, "password": account.password})
        assert r.status_code == 200, r.text
        client.csrf = r.json()["csrf_token"]
        client.account = account
        return client

    return make


@pytest.fixture(scope="session")
def live_server(web_bank) -> Iterator[str]:
    """The app under uvicorn in a thread: the base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(web_bank.app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, proxy_headers=False))  # as finecrm serve runs it
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# --- the browser (shared by every browser test module: one Chromium per session) ----------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session: the system's, never a downloaded one."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        msg = (f"Chromium not found at {CHROMIUM}; scripts/setup.sh installs Debian's chromium and "
               "fonts-noto-cjk as root (never run `playwright install`)")
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


class Tabs:
    """Opens pages in fresh browser contexts (one cookie jar each) and records their script errors."""

    def __init__(self, browser: Any, base_url: str, web_bank: Any) -> None:
        self.browser, self.base_url, self.web_bank = browser, base_url, web_bank
        self.contexts: list[Any] = []
        self.errors: dict[int, list[str]] = {}

    def open(self, role: str | None = None, *, viewport: dict[str, int] | None = None, **options: Any) -> Any:
        context = self.browser.new_context(base_url=self.base_url, viewport=viewport or DESKTOP, locale="zh-CN",
                                           accept_downloads=True, **options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        errors = self.errors.setdefault(id(page), [])
        page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
        page.on("console", lambda msg: errors.append(f"console: {msg.text}")
                if msg.type == "error" and "Failed to load resource" not in msg.text else None)
        if role is not None:
            account = self.web_bank.logins[role]
            browser_sign_in(page, self.base_url, account.username, account.password)
        return page

    def assert_clean(self, page: Any) -> None:
        """No script error and no content-security-policy refusal on this page so far."""
        assert not self.errors.get(id(page)), self.errors[id(page)]

    def close(self) -> None:
        for c in self.contexts:
            c.close()


@pytest.fixture
def tabs(browser, live_server, web_bank) -> Iterator[Tabs]:
    t = Tabs(browser, live_server, web_bank)
    yield t
    t.close()


def campaigns_or_one(login: Callable[[str], Any]) -> list[dict[str, Any]]:
    """The campaigns the analyst sees; one is drawn through the API when the bank has none yet (tests that need
    a campaign but not a particular one)."""
    analyst = login("analyst")
    campaigns = analyst.get("/api/campaigns").json()
    if not campaigns:
        r = analyst.post("/api/campaigns", headers={"X-CSRF-Token": analyst.csrf}, json={
            "name": "scope check", "target": "mobile_banking", "channel": "phone", "start_date": "2026-10-01",
            "end_date": "2026-10-31"})
        assert r.status_code == 200, r.text
        campaigns = analyst.get("/api/campaigns").json()
    return campaigns
