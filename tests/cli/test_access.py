"""`finecrm user …`: the administrator's commands for accounts, checked by authz and audited."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from finecrm.db.models import AuditEvent, User
from finecrm.db.session import make_engine, session_factory
from finecrm.services.workspace import open_workspace
from tests.cli.shell import FINECRM, run

STRONG = "Qingshui-2026!river"


def _run_in(args: list[str], stdin: str, home: Path):
    import os
    import subprocess

    return subprocess.run([*FINECRM, *args, "--home", str(home)], input=stdin, capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)


def test_add_list_disable_reset(tmp_path: Path):
    home = tmp_path / "ws"
    assert run("init", "--home", str(home)).returncode == 0
    added = _run_in(["user", "add", "wangfang", "--role", "analyst", "--password-stdin", "--json"], STRONG + "\n",
                    home)
    assert added.returncode == 0, added.stderr
    doc = json.loads(added.stdout)
    assert doc["username"] == "wangfang" and doc["role"] == "analyst" and "initial_password" not in doc
    generated = json.loads(run("user", "add", "lisi", "--role", "compliance_officer", "--json",
                               "--home", str(home)).stdout)
    assert len(generated["initial_password"]) >= 12  # shown once to the administrator
    listed = json.loads(run("user", "list", "--json", "--home", str(home)).stdout)
    assert {u["username"] for u in listed} == {"wangfang", "lisi"}
    assert not any("password" in k and k != "must_change_password" for u in listed for k in u)
    assert run("user", "disable", "lisi", "--reason", "离职 left the bank", "--home", str(home)).returncode == 0
    reset = json.loads(run("user", "reset-password", "wangfang", "--json", "--home", str(home)).stdout)
    assert len(reset["temporary_password"]) >= 12

    ws = open_workspace(home)
    with session_factory(make_engine(ws.database_url))() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        assert users["lisi"].active is False and users["wangfang"].must_change_password is True
        assert STRONG not in users["wangfang"].password_hash  # stored as an argon2 hash
        events = [(e.action, e.target) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert ("user_add", "wangfang") in events and ("user_disable", "lisi") in events
        assert ("password_reset", "wangfang") in events
        for e in s.scalars(select(AuditEvent)):
            assert STRONG not in json.dumps(e.details or {}, ensure_ascii=False)
            assert reset["temporary_password"] not in json.dumps(e.details or {}, ensure_ascii=False)


def test_bad_input_is_refused_with_a_reason(tmp_path: Path):
    home = tmp_path / "ws"
    run("init", "--home", str(home))
    bad_role = run("user", "add", "zhao", "--role", "superuser", "--home", str(home))
    assert bad_role.returncode == 2 and "customer_manager" in bad_role.stderr  # lists the roles
    weak = _run_in(["user", "add", "zhao", "--role", "analyst", "--password-stdin"], "123456\n", home)
    assert weak.returncode == 2 and "10" in weak.stderr  # the policy says what is missing
    no_branch = run("user", "add", "qian", "--role", "customer_manager", "--home", str(home))
    assert no_branch.returncode == 2 and "branch" in no_branch.stderr
    missing = run("user", "disable", "nobody", "--home", str(home))
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
