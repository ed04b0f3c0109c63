"""Demo logins for ``make demo`` / ``finecrm serve --demo``: one user per role, taken from the bank's staff."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from finecrm.authz import ROLES
from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Workspace
from finecrm.db import repositories
from finecrm.db.session import make_engine, session_factory
from finecrm.services.access import users
from finecrm.services.access.auth import generate_password
from finecrm.services.workspace import known_branches

DEMO_PREFIX = "demo_"
#: Roles whose decisions that lower risk need a second person (maker-checker): the demo has a second account of
#: each, so the approval can be shown (a risk officer approves a milder loan category the first one proposed).
CHECKER_ROLES = ("risk_officer", "compliance_officer")


def _is_active(value: Any) -> bool:
    # Staff rows may come from Arrow/pandas (numpy booleans, NA): a missing value counts as active.
    try:
        return value is None or bool(value)
    except (TypeError, ValueError):
        return True


@dataclass(frozen=True)
class DemoAccount:
    """A demo login to print once (``make demo``). The password exists nowhere else."""

    username: str
    password: str
    role: str
    branch_id: str | None
    staff_id: str | None
    display_name: str
    #: The second account of a role (the approver of what the first one proposes).
    checker: bool = False


def create_demo_users(
    session: Session,
    *,
    branches: Mapping[str, str | None],
    staff: Iterable[Mapping[str, Any]],
    actor: str = "demo",
    now: datetime | None = None,
) -> list[DemoAccount]:
    """One demo user per role (``demo_<role>``), and a second one (``demo_<role>_checker``) of each role in
    :data:`CHECKER_ROLES`, each with a fresh random password, returned once.

    Each takes the home branch and staff id of the first active staff member (by staff_id) with the same
    job role in ``staff`` (rows with staff_id, branch_id, role, optionally name and active), so a demo
    customer manager sees real customers of the sample bank. Roles nobody in ``staff`` holds get no staff
    id and, where a branch is required, the first outlet (a branch without children). Running it again
    gives the demo users new passwords. Demo users sign in only in demo mode (``finecrm serve --demo``).
    """
    if not branches:
        raise users.UserError("演示账户需要机构表 / demo users need the branch table (branches is empty)")
    rows = sorted(
        (r for r in staff if _is_active(r.get("active", True)) and r.get("branch_id") in branches),
        key=lambda r: str(r.get("staff_id")),
    )
    parents = {p for p in branches.values() if p is not None}
    outlets = sorted(b for b in branches if b not in parents) or sorted(branches)
    accounts: list[DemoAccount] = []
    wanted = [(code, role, False) for code, role in ROLES.items()] + [(c, ROLES[c], True) for c in CHECKER_ROLES]
    for code, role, checker in wanted:
        holders = [r for r in rows if r.get("role") == code]
        match = (holders[1] if len(holders) > 1 else None) if checker else (holders[0] if holders else None)
        if match is not None:
            branch_id: str | None = str(match["branch_id"])
            staff_id: str | None = str(match["staff_id"])
            who = f"（{match['name']}）" if match.get("name") else ""
        else:
            branch_id = outlets[0] if users.branch_required(code) else None
            staff_id, who = None, ""
        if checker:  # approves what the first proposes: the same home branch, so the same scope
            first = next(a for a in accounts if a.role == code)
            branch_id = first.branch_id
        name = f"{DEMO_PREFIX}{code}" + ("_checker" if checker else "")
        display = f"演示·{role.zh}{'（复核）' if checker else ''}{who}"
        password = generate_password(username=name)
        existing = repositories.get_user(session, username=name)
        if existing is None:
            users.add_user(
                session, username=name, role=code, password=password, branch_id=branch_id, staff_id=staff_id,
                display_name=display, actor=actor, demo=True, must_change_password=False, branches=branches,
                now=now,
            )
        elif not existing.demo:
            raise users.UserError(
                f"用户 {name} 已存在且不是演示账户 / user {name} exists and is not a demo user: rename it first"
            )
        else:
            users.update_user(
                session, username=name, actor=actor, role=code, branch_id=branch_id, staff_id=staff_id,
                display_name=display, extra_actions=[], denied_actions=[], given_branches=None,
                branches=branches, now=now,
            )
            users.enable_user(session, username=name, actor=actor, now=now)
            users.reset_password(
                session, username=name, actor=actor, new_password=password, must_change_password=False, now=now
            )
        accounts.append(DemoAccount(name, password, code, branch_id, staff_id, display, checker))
    return accounts


def demo_logins(ws: Workspace) -> list[DemoAccount]:
    """Create (or refresh) the demo users with new random passwords; returns them to print once."""
    branches = known_branches(ws)
    if not branches:
        raise FinecrmError("演示账户需要先导入机构数据 / demo logins need the bank's branches: ingest data first")
    staff_path = ws.raw / "staff" / "data.parquet"
    staff: list[dict[str, object]] = []
    if staff_path.is_file():
        import pyarrow.parquet as pq

        staff = pq.read_table(staff_path).to_pylist()
    engine = make_engine(ws.database_url)
    try:
        with session_factory(engine)() as s, s.begin():
            return create_demo_users(s, branches=branches, staff=staff, actor="demo")
    finally:
        engine.dispose()
