"""用户管理 / the administrator's page: add users, disable, enable, unlock, reset passwords.

The same operations as ``finecrm user …`` (``services.users``), each audited there. A generated
password is shown once on the page that created it, never again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from finecrm.authz import ROLES, declare
from finecrm.services import users as user_service
from finecrm.services.auth import generate_password
from finecrm.web.deps import Ctx, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Field100 = Annotated[str, Form(max_length=100)]


def _page(ctx: Ctx, *, message: str | None = None, error: str | None = None, password: str | None = None,
          password_for: str | None = None, status: int = 200) -> Response:
    users = [user_service.describe_user(u) for u in user_service.list_users(ctx.db)]
    return ctx.render("admin/users.html", status_code=status, users=users, roles=ROLES, message=message,
                      error=error, password=password, password_for=password_for)


@router.get("/admin/users", include_in_schema=False)
@declare("manage_users")
def users_page(ctx: C) -> Response:
    return _page(ctx)


@router.post("/admin/users", include_in_schema=False)
@declare("manage_users")
def add_user(ctx: C, username: Field100 = "", role: Field100 = "", branch_id: Field100 = "", staff_id: Field100 = "",
             display_name: Field100 = "") -> Response:
    branches, _ = ctx.state.org()
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


def _act(ctx: Ctx, username: str, what: str) -> Response:
    actor = ctx.me().username
    password = None
    try:
        if what == "disable":
            user_service.disable_user(ctx.db, username=username, actor=actor)
        elif what == "enable":
            user_service.enable_user(ctx.db, username=username, actor=actor)
        elif what == "unlock":
            user_service.unlock_user(ctx.db, username=username, actor=actor)
        else:
            password = user_service.reset_password(ctx.db, username=username, actor=actor)
    except user_service.UserError as exc:
        ctx.db.rollback()
        return _page(ctx, error=str(exc), status=400)
    ctx.db.commit()
    return _page(ctx, message=ctx.t(f"admin.done.{what}", name=username), password=password,
                 password_for=username if password else None)


@router.post("/admin/users/{username}/disable", include_in_schema=False)
@declare("manage_users")
def disable(ctx: C, username: str) -> Response:
    return _act(ctx, username, "disable")


@router.post("/admin/users/{username}/enable", include_in_schema=False)
@declare("manage_users")
def enable(ctx: C, username: str) -> Response:
    return _act(ctx, username, "enable")


@router.post("/admin/users/{username}/unlock", include_in_schema=False)
@declare("manage_users")
def unlock(ctx: C, username: str) -> Response:
    return _act(ctx, username, "unlock")


@router.post("/admin/users/{username}/reset-password", include_in_schema=False)
@declare("manage_users")
def reset(ctx: C, username: str) -> Response:
    return _act(ctx, username, "reset")
