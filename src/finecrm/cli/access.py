"""The access area's commands: users (add, list, disable, reset passwords), all under ``manage_users``."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from finecrm.authz import AUTHENTICATED
from finecrm.cli.common import Home, Json, command_context, emit, out, requires
from finecrm.cli.present import access as present
from finecrm.core.errors import FinecrmError

user_app = typer.Typer(help="用户 / users: add, list, disable, reset passwords (action: manage_users); whoami.",
                       no_args_is_help=True)

PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码 / read the password "
                                                                      "from standard input (else one is generated).")]


def _read_password(from_stdin: bool) -> str | None:
    if not from_stdin:
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise FinecrmError("--password-stdin: no password on standard input")
    return line


@user_app.command("add")
@requires("manage_users")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名 / username.")],
    role: Annotated[str, typer.Option(help="角色 / role: analyst, branch_head, customer_manager, lobby_manager, "
                                      "risk_officer, collector, compliance_officer, admin.")],
    branch: Annotated[str | None, typer.Option(help="所属机构 / home branch id.")] = None,
    staff: Annotated[str | None, typer.Option(help="工号 / staff id (links to the customers they manage).")] = None,
    display_name: Annotated[str | None, typer.Option(help="显示名 / display name.")] = None,
    password_stdin: PasswordStdin = False,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """新增用户 / Add a user (they change the password at first sign-in)."""
    from finecrm.services.access import auth, users
    from finecrm.services.workspace import known_branches

    with command_context(home) as c:
        password = _read_password(password_stdin)
        shown = password is None
        password = password or auth.generate_password(username=username)
        user = users.add_user(c.session, username=username, role=role, password=password, actor=c.actor,
                              branch_id=branch, staff_id=staff, display_name=display_name,
                              branches=known_branches(c.ws))
        doc = users.describe_user(user)
    if shown:
        doc["initial_password"] = password  # shown once, never stored in clear or logged
    if as_json:
        emit(True, doc)
        return
    out.print(f"已新增 added {doc['username']} ({doc['role']})")
    if shown:
        out.print(f"初始密码 initial password (shown once, must be changed at first sign-in): {password}")


@user_app.command("whoami")
@requires(AUTHENTICATED)
def user_whoami(home: Home = None, as_json: Json = False) -> None:
    """我是谁 / Who the shell acts as: FINECRM_CLI_USER (as the web signs them in) or the FINECRM_CLI_ROLE role."""
    from finecrm.services.access.principals import describe

    with command_context(home) as c:
        doc = describe(c.principal)
    if as_json:
        emit(True, doc)
        return
    present.print_identity(doc)


@user_app.command("list")
@requires("manage_users")
def user_list(home: Home = None, as_json: Json = False) -> None:
    """列出用户 / List users."""
    from finecrm.services.access import users

    with command_context(home) as c:
        rows = [users.describe_user(u) for u in users.list_users(c.session)]
    if as_json:
        emit(True, rows)
        return
    present.print_users(rows)


@user_app.command("disable")
@requires("manage_users")
def user_disable(
    username: Annotated[str, typer.Argument(help="用户名 / username.")],
    reason: Annotated[str | None, typer.Option(help="原因 / reason (kept in the audit log).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """停用用户 / Disable a user: they cannot sign in and their sessions end."""
    from finecrm.services.access import users

    with command_context(home) as c:
        users.disable_user(c.session, username=username, actor=c.actor, reason=reason)
    emit(as_json, {"username": username, "active": False})
    if not as_json:
        out.print(f"已停用 disabled {username}")


@user_app.command("reset-password")
@requires("manage_users")
def user_reset_password(
    username: Annotated[str, typer.Argument(help="用户名 / username.")],
    password_stdin: PasswordStdin = False,
    reason: Annotated[str | None, typer.Option(help="原因 / reason (kept in the audit log).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """重置密码 / Reset a password (to be changed at the next sign-in; open sessions end)."""
    from finecrm.services.access import users

    with command_context(home) as c:
        chosen = _read_password(password_stdin)
        password = users.reset_password(c.session, username=username, actor=c.actor, new_password=chosen,
                                        reason=reason)
    doc: dict[str, Any] = {"username": username}
    if chosen is None:
        doc["temporary_password"] = password
    if as_json:
        emit(True, doc)
        return
    out.print(f"已重置 reset {username}" + (f"; 临时密码 temporary password (shown once): {password}"
                                            if chosen is None else ""))
