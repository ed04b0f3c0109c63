"""`finecrm serve --demo` as make demo runs it: a real server process prints a login per role, and each works."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from finecrm.authz import ROLES
from tests.conftest import _free_port, copy_home

FINECRM = Path(sys.executable).with_name("finecrm")


def test_serve_demo_prints_a_working_login_per_role(web_bank, tmp_path):
    home = tmp_path / "ws"
    copy_home(web_bank.home, home)  # serve --demo renews demo passwords: leave the shared bank alone
    port = _free_port()
    # A narrow terminal, as make demo may run in: the printed passwords must still be whole.
    env = {**os.environ, "COLUMNS": "60", "NO_COLOR": "1", "FINECRM_DATABASE_URL": ""}
    proc = subprocess.Popen([str(FINECRM), "serve", "--demo", "--home", str(home), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    output = ""
    try:
        deadline = time.time() + 90
        while "http://127.0.0.1" not in output:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"serve stopped: {output}")
            output += line
            assert time.time() < deadline, output
        logins = dict(re.findall(r"^  (demo_[a-z_]+) +(\S+)  ", output, flags=re.MULTILINE))
        from finecrm.services.access.demo_accounts import CHECKER_ROLES

        # One login per role, and the second person of the roles whose decisions two people make.
        assert set(logins) == {f"demo_{r}" for r in ROLES} | {f"demo_{r}_checker" for r in CHECKER_ROLES}, output
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        for username, password in logins.items():
            r = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": password})
            assert r.status_code == 200, (username, r.text)
            assert username.startswith(f"demo_{r.json()['role']}"), (username, r.json())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
