"""Who is asking, as access control sees them: the one way the web app and the CLI build a principal.

A principal's scope is resolved from the bank's organisation data (:class:`Org`): the branch tree, the
grid cells and their managers, and the loans assigned to collectors. The web app builds it for the
signed-in user on each request (:func:`principal_of`, from an ``Org`` it caches until an ingest changes
the data); the CLI builds it the same way for ``FINECRM_CLI_USER`` (:func:`cli_principal`), so that a
person gets the same rows from a page and from a command.

Without ``FINECRM_CLI_USER`` the shell acts as a role (``FINECRM_CLI_ROLE``, default admin) with no
person behind it: bank-wide roles see the bank; a role scoped by branch, grid or loans sees no rows,
because there is no branch, grid or loan that is its own (it fails closed).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from finecrm.authz import Principal, ScopeError, granted_actions, make_principal
from finecrm.authz.roles import Scope, get_role
from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Workspace
from finecrm.db import repositories
from finecrm.db.models import User
from finecrm.services.access import auth
from finecrm.services.access.outputs import Identity
from finecrm.services.collections import assigned_loans
from finecrm.services.workspace import (
    cli_actor,
    database_session,
    known_branches,
    known_grids,
    open_workspace,
    org_stamp,
)

#: The role the shell acts with. Shell access to the server is the system administrator's
#: (系统管理员) by default; the head office's data team sets FINECRM_CLI_ROLE=analyst for the SQL
#: console. Either way every command asks authz for its action, as the web app does.
CLI_ROLE_ENV = "FINECRM_CLI_ROLE"
#: A workbench user the shell acts as, with that user's role, grants and scope (as on the web).
CLI_USER_ENV = "FINECRM_CLI_USER"

#: The shell's placeholder home branch: a branch-bound role resolves, and no row is in it.
_SHELL_BRANCH = "_shell"


class CliUserError(FinecrmError):
    """FINECRM_CLI_USER names nobody who may act (the message says why). Exit code 77 (EX_NOPERM), as a
    refused action."""

    exit_code = 77


@dataclass(frozen=True)
class Org:
    """The organisation data a scope is resolved from.

    ``branches`` is ``{branch_id: parent_id}``, ``grids`` ``{grid_id: manager_staff_id}``, ``loans``
    ``{staff_id: {loan_id: customer_id}}`` of the loans assigned to each collector. The bank's exports
    carry no loan assignment: the collections area assigns loans in the operational database, and
    :func:`principal_of` reads a collector's loans from there when given a session (the web and the CLI both do),
    so ``loans`` stays empty here.
    """

    branches: Mapping[str, str | None] = field(default_factory=dict)
    grids: Mapping[str, str | None] = field(default_factory=dict)
    loans: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: When the data was read (``workspace.org_stamp``): a cache re-reads when an ingest changes it.
    stamp: float = 0.0


def load_org(ws: Workspace) -> Org:
    """The organisation data of the workspace's warehouse (empty before the first ingest)."""
    stamp = org_stamp(ws)  # before the reads: an ingest in between leaves the cache stale-marked, not stale
    return Org(branches=known_branches(ws) or {}, grids=known_grids(ws) or {}, loans={}, stamp=stamp)


def principal_of(user: User, org: Org, session: Session | None = None) -> Principal:
    """``user`` as access control sees them, with the scope resolved from ``org``.

    A collector's loans are the open collection assignments with their staff id, read from ``session`` on every
    call (not cached: a reassignment moves access at once); without a session, ``org.loans``.
    Raises ``finecrm.authz.ScopeError`` when the user's home branch is not in the branch table.
    """
    if session is not None and get_role(user.role).scope is Scope.ASSIGNED_LOANS:
        assigned: Mapping[str, str] = assigned_loans(session, user.staff_id)
    else:
        assigned = org.loans.get(user.staff_id or "", {}) if user.staff_id else {}
    return auth.principal_for(user, branches=org.branches, grids=org.grids, assigned_loans=assigned)


def shell_principal(role: str) -> Principal:
    """The shell acting as ``role`` with no person behind it (see the module's docstring)."""
    return make_principal(cli_actor(), role, branches={_SHELL_BRANCH: None}, branch_id=_SHELL_BRANCH,
                          staff_id=_SHELL_BRANCH)


def cli_principal(home: Path | str | None = None) -> Principal:
    """Who runs a command from the server's shell: ``FINECRM_CLI_USER`` built as the web builds them, else
    the role of ``FINECRM_CLI_ROLE`` (default admin). Raises :class:`CliUserError` when the user is
    unknown, disabled or has no resolvable scope."""
    username = os.environ.get(CLI_USER_ENV, "").strip()
    if not username:
        return shell_principal(os.environ.get(CLI_ROLE_ENV, "").strip() or "admin")
    ws = open_workspace(home)
    with database_session(ws) as session:
        user = repositories.get_user(session, username=auth.normalize_username(username))
        if user is None:
            raise CliUserError(f"{CLI_USER_ENV}={username!r}: 没有这个用户 / no such user")
        if not user.active:
            raise CliUserError(f"{CLI_USER_ENV}={username!r}: 该用户已停用 / the user is disabled")
        try:
            return principal_of(user, load_org(ws), session)
        except ScopeError as exc:
            raise CliUserError(f"{CLI_USER_ENV}={username!r}: 权限范围无法确定 / the access scope cannot be "
                               f"resolved: {exc}") from None


def cli_actor_of(principal: Principal) -> str:
    """How the audit log names who ran a command: the workbench user when ``FINECRM_CLI_USER`` is set
    (their trail is one, from the web and the shell), else the shell's login (``cli:<login>``)."""
    return principal.username if os.environ.get(CLI_USER_ENV, "").strip() else cli_actor()


def describe(principal: Principal) -> Identity:
    """What ``/api/me`` and ``finecrm user whoami`` show of a principal."""
    return {"username": principal.username, "role": principal.role, "branch_id": principal.branch_id,
            "scope": principal.scope.value, "actions": sorted(granted_actions(principal)),
            "branches": None if principal.branch_scope is None else len(principal.branch_scope),
            "grids": len(principal.grid_ids), "loans": len(principal.assigned_loan_ids)}
