"""What access's use cases and sign-in answer (typed once for the pages, the CLI and the JSON API).

``TypedDict``s: plain dicts at run time, checked by mypy, validated and documented by the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict

from finecrm.services.common import PageInfo


class AuditEventRow(TypedDict):
    """One audit event (审计事件): who did what, when, to what, and why.

    ``details`` is what the action recorded (counts, parameters, the snapshot, the address), different for
    every action and kept as written: an open object. It never holds customers' personal data.
    """

    id: int
    at: Annotated[str, Field(description="时间（ISO 8601，UTC）/ when, ISO 8601 in UTC, to the second")]
    actor: Annotated[str, Field(description="操作人 / the user name")]
    action: str
    target: Annotated[str | None, Field(description="对象 / what it was done to (a customer id, campaign:7, …)")]
    reason: Annotated[str | None, Field(description="原因 / the reason given (a reveal, a reassignment)")]
    details: dict[str, Any] | None


class AuditPage(PageInfo):
    """A page of audit events, newest first."""

    rows: list[AuditEventRow]


class Identity(TypedDict):
    """Who is asking, as access control sees them: role, branch, scope and the actions granted. The same
    from ``GET /api/me`` and ``finecrm user whoami`` (one principal builder, services.access.principals)."""

    username: str
    role: str
    branch_id: str | None
    scope: Annotated[str, Field(description="数据范围 / which rows the role sees (all, branch_subtree, "
                                            "own_customers, …)")]
    actions: Annotated[list[str], Field(description="可执行的操作 / the actions the role grants")]
    branches: Annotated[int | None, Field(description="范围内机构数 / branches in scope (None: the whole bank)")]
    grids: Annotated[int, Field(description="管辖网格数 / grid cells the user manages")]
    loans: Annotated[int, Field(description="分配的贷款数 / loans assigned to the user (collectors)")]


class Me(Identity):
    """The signed-in user, and the CSRF token to send back."""

    csrf_token: Annotated[str, Field(description="请求头 X-CSRF-Token 的值 / send it as X-CSRF-Token on POST")]


class SignedIn(TypedDict):
    """A JSON sign-in that succeeded (the session cookie is set too)."""

    username: str
    role: str
    csrf_token: Annotated[str | None, Field(description="之后的修改请求放在 X-CSRF-Token / send it as X-CSRF-Token "
                                                        "on later state-changing calls")]
    expires_at: Annotated[str | None, Field(description="会话最迟到期 / the session's absolute end, ISO 8601")]
    must_change_password: Annotated[bool, Field(description="须先修改密码 / the password must be changed first "
                                                            "(/account/password)")]


class SignInRefused(TypedDict):
    """A sign-in that was refused: the reason code (bad_credentials, locked, …) and a bilingual message."""

    error: str
    message: str


class SignedOut(TypedDict):
    """The session was ended."""

    ok: bool


class OtherSessionsEnded(TypedDict):
    """How many other sessions of yours "sign out other sessions" ended."""

    ended: int


class OpenSession(TypedDict):
    """One signed-in browser as its owner sees it (never the token or its hash)."""

    current: bool
    created_at: datetime
    last_seen_at: datetime
    ip: str | None
    user_agent: str | None
