"""用户管理 / the administrator's page: add users, disable, enable, unlock, reset passwords.

The same operations as ``finecrm user …`` (``services.users``), each audited there. A generated
password is shown once on the page that created it, never again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from finecrm.authz import ROLES, declare
from finecrm.services.access import users as user_service
from finecrm.services.access.auth import generate_password
from finecrm.web.deps import Ctx, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Field100 = Annotated[str, Form(max_length=100)]


def _page(ctx: Ctx, *, message: str | None = None, error: str | None = None, password: str | None = None,
          password_for: str | None = None, status: int = 200) -> Response:
    users = [user_service.describe_user(u) for u in user_service.list_users(ctx.db)]
    return ctx.render("access/users/index.html", status_code=status, users=users, roles=ROLES, message=message,
                      error=error, password=password, password_for=password_for)


@router.get("/admin/users", include_in_schema=False)
@declare("manage_users")
def users_page(ctx: C) -> Response:
    return _page(ctx)


@router.post("/admin/users", include_in_schema=False)
@declare("manage_users")
def add_user(ctx: C, username: Field100 = "", role: Field100 = "", branch_id: Field100 = "", staff_id: Field100 = "",
             display_name: Field100 = "") -> Response:
    branches = ctx.state.org().branches
    password = generate_password(username=username)
    try:
        user_service.add_user(ctx.db, username=username, role=role, password=password, actor=ctx.me().username,
                              branch_id=branch_id or None, staff_id=staff_id or None,
                              display_name=display_name or None, branches=branches or None)
    except user_service.UserError as exc:
        ctx.db.rollback()
        return _page(ctx, error=str(exc), status=400)
    ctx.db.commit()
    return _page(ctx, message=ctx.t("admin.added", name=username), password=password, password_for=username)


#: The account actions of the page: path segment → service function (each audits itself).
_ACTIONS: dict[str, Callable[..., Any]] = {
    "disable": user_service.disable_user,
    "enable": user_service.enable_user,
    "unlock": user_service.unlock_user,
    "reset-password": user_service.reset_password,
}


@router.post("/admin/users/{username}/{what}", include_in_schema=False)
@declare("manage_users")
def account_action(ctx: C, username: str, what: Literal["disable", "enable", "unlock", "reset-password"]
                   ) -> Response:
    result = None
    try:
        result = _ACTIONS[what](ctx.db, username=username, actor=ctx.me().username)
    except user_service.UserError as exc:
        ctx.db.rollback()
        return _page(ctx, error=str(exc), status=400)
    ctx.db.commit()
    password = result if what == "reset-password" else None  # reset returns the new password, shown once
    return _page(ctx, message=ctx.t(f"admin.done.{what}", name=username), password=password,
                 password_for=username if password else None)
