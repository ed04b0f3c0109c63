"""A generated bank, built once per session, with one demo login per role, served by the real app.

``login(role)`` gives a TestClient signed in as that role's demo user (over https, so the Secure cookie
is sent back), with ``client.csrf`` set. ``live_server`` runs the same app under uvicorn on a free port
for the browser tests.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from finecrm.services.build import build
from finecrm.services.demo import demo_logins
from finecrm.services.ingest import ingest
from finecrm.services.propensity import train_targets
from finecrm.services.workspace import init_workspace, open_workspace
from finecrm.synth import generate
from tests.conftest import _free_port

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
    logins = {a.role: a for a in demo_logins(ws)}
    from finecrm.web.main import create_app

    return WebBank(home, ws, logins, create_app(home, demo=True))


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
    from fastapi.testclient import TestClient

    def make(role: str) -> Any:
        account = web_bank.logins[role]
        client = TestClient(web_bank.app, base_url="https://testserver")
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
                                           access_log=False))
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
