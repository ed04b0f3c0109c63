"""One principal builder for the web and the CLI (issue 11, finding 10): a person gets the same scope and
the same rows from a page and from a command, and a CLI user who cannot be resolved is refused clearly.

Runs the real ``finecrm`` command in a fresh process against the session bank the web tests serve.
"""

from __future__ import annotations

import json
from typing import Any

from tests.cli.shell import run
from tests.web.conftest import campaigns_or_one

RULE = "age >= 30"


def _cli(web_bank: Any, *args: str, **env: str) -> Any:
    return run(*args, "--home", str(web_bank.home), env={"FINECRM_CLI_ROLE": "", **env})


def test_every_demo_login_is_the_same_person_on_the_web_and_in_the_shell(web_bank, login):
    for role, account in web_bank.logins.items():
        web = login(role).get("/api/me").json()
        web.pop("csrf_token")
        shell = _cli(web_bank, "user", "whoami", "--json", FINECRM_CLI_USER=account.username)
        assert shell.returncode == 0, (role, shell.stderr)
        assert json.loads(shell.stdout) == web, role


def test_each_role_counts_the_same_campaign_members_from_a_page_and_from_a_command(web_bank, login):
    """The rows, not just the labels: every role's campaign list (members counted in its scope) is the same on
    the web and in the CLI; a role the page refuses is refused by the command too (exit 77)."""
    whole = {c["id"]: c["counts"]["members"] for c in campaigns_or_one(login)}
    seen: dict[str, dict[int, int]] = {}
    for role, account in web_bank.logins.items():
        web = login(role).get("/api/campaigns")
        shell = _cli(web_bank, "campaign", "list", "--json", FINECRM_CLI_USER=account.username)
        if web.status_code == 403:
            assert shell.returncode == 77, (role, shell.stderr)
            continue
        assert web.status_code == 200 and shell.returncode == 0, (role, web.text, shell.stderr)
        seen[role] = {c["id"]: c["counts"]["members"] for c in web.json()}
        assert {c["id"]: c["counts"]["members"] for c in json.loads(shell.stdout)} == seen[role], role
    # the comparison means something: the analyst counts the whole bank, the branch head exactly the members
    # whose customer banks in their branch or below it (counted here from the database and the snapshot)
    assert seen["analyst"] == whole
    assert seen["branch_head"] and seen["branch_head"] == _members_in_branch(web_bank, login, whole)


def _members_in_branch(web_bank: Any, login: Any, campaign_ids: Any) -> dict[int, int]:
    import duckdb
    from sqlalchemy import select

    from finecrm.db.models import CampaignMember
    from tests.web.test_pages import _mart

    parents = web_bank.app.state.finecrm.org().branches
    below = {login("branch_head").get("/api/me").json()["branch_id"]}
    while grown := {b for b, p in parents.items() if p in below} - below:
        below |= grown
    home = dict(duckdb.sql(f"SELECT customer_id, branch_id FROM {_mart(web_bank, 'customer_360')}").fetchall())
    out: dict[int, int] = {}
    with web_bank.app.state.finecrm.sessions() as s:
        for cid in campaign_ids:
            ids = s.scalars(select(CampaignMember.customer_id).where(CampaignMember.campaign_id == cid)).all()
            if n := sum(home.get(i) in below for i in ids):
                out[cid] = n
    return out


def test_an_audience_preview_is_the_same_count_from_a_page_and_from_a_command(web_bank, login):
    for role, account in web_bank.logins.items():
        client = login(role)
        web = client.post("/api/audiences/preview", json={"rule": RULE}, headers={"X-CSRF-Token": client.csrf})
        shell = _cli(web_bank, "audience", "preview", "--rule", RULE, "--json", FINECRM_CLI_USER=account.username)
        if web.status_code == 403:
            assert shell.returncode == 77, (role, shell.stderr)
            continue
        assert web.status_code == 200 and shell.returncode == 0, (role, web.text, shell.stderr)
        assert json.loads(shell.stdout)["customers"] == web.json()["customers"] > 0, role


def test_a_collector_is_built_the_same_with_the_loans_assigned_to_them(web_bank, login):
    """The build assigned the queue to collectors (collections.assignment.after_build): the web and the shell both
    read the collector's open assignments, and see no branch."""
    from sqlalchemy import func, select

    from finecrm.db.models import CollectionAssignment

    account = web_bank.logins["collector"]
    with web_bank.app.state.finecrm.sessions() as s:
        held = s.scalar(select(func.count()).select_from(CollectionAssignment).where(
            CollectionAssignment.staff_id == account.staff_id, CollectionAssignment.ended_at.is_(None)))
    web = login("collector").get("/api/me").json()
    shell = json.loads(_cli(web_bank, "user", "whoami", "--json", FINECRM_CLI_USER=account.username).stdout)
    assert shell["scope"] == web["scope"] == "assigned_loans"
    assert shell["loans"] == web["loans"] == held > 0 and shell["branches"] == 0


def test_an_unknown_cli_user_is_a_clear_refusal(web_bank):
    res = _cli(web_bank, "audience", "preview", "--rule", RULE, FINECRM_CLI_USER="nobody_here")
    assert res.returncode == 77 and "FINECRM_CLI_USER" in res.stderr and "no such user" in res.stderr
    assert "Traceback" not in res.stderr
    blank = _cli(web_bank, "user", "whoami", "--json", FINECRM_CLI_USER="  ")  # blank is unset: the shell's role
    assert blank.returncode == 0 and json.loads(blank.stdout)["role"] == "admin"
    assert json.loads(blank.stdout)["username"].startswith("cli:")


def test_a_disabled_user_cannot_act_from_the_shell(web_bank):
    from finecrm.services.access import users
    from finecrm.services.access.auth import generate_password

    with web_bank.app.state.finecrm.sessions() as s, s.begin():
        users.add_user(s, username="cli_gone", role="analyst", password=generate_password(username="cli_gone"),
                       actor="tests")
    ok = _cli(web_bank, "user", "whoami", "--json", FINECRM_CLI_USER="cli_gone")
    assert ok.returncode == 0 and json.loads(ok.stdout)["role"] == "analyst"
    with web_bank.app.state.finecrm.sessions() as s, s.begin():
        users.disable_user(s, username="cli_gone", actor="tests")
    gone = _cli(web_bank, "user", "whoami", FINECRM_CLI_USER="cli_gone")
    assert gone.returncode == 77 and "disabled" in gone.stderr
