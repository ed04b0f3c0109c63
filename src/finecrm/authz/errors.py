"""The errors access control raises.

``Forbidden`` is for a missing *function* (the user may know the function exists: 403).
``NotFound`` is for a record outside the user's *scope*: callers raise the very same error for a record
that does not exist, so nobody learns that a customer exists at another branch (404, never 403).
The others are programming or configuration mistakes and must fail loudly.
"""

from __future__ import annotations

from finecrm.core.errors import FinecrmError


class Forbidden(FinecrmError):
    """The principal may not perform ``action``. The web layer answers 403, the CLI exits 77."""

    http_status = 403
    exit_code = 77  # sysexits EX_NOPERM: scripts can tell "not allowed" from "bad input"

    def __init__(self, action: str, *, username: str | None = None, zh: str = "", en: str = "") -> None:
        self.action = action
        self.username = username
        who = f"{username}: " if username else ""
        zh_part = f"{zh}（{action}）" if zh else action
        en_part = f"{en} ({action})" if en else action
        super().__init__(f"{who}无权执行此操作：{zh_part} / not allowed to {en_part}")


class NotFound(FinecrmError):
    """No such record *for this principal*: missing, or outside the principal's scope (deliberately alike)."""

    http_status = 404

    def __init__(self, what_zh: str = "记录", what_en: str = "record", key: str | None = None) -> None:
        self.key = key
        key_part = f" {key}" if key else ""
        super().__init__(f"{what_zh}{key_part} 不存在 / no such {what_en}{key_part}")


class UnknownAction(FinecrmError):
    """An action code that is not declared in ``finecrm.authz.actions`` (usually a typo in a route)."""

    def __init__(self, code: object) -> None:
        self.code = code
        super().__init__(
            f"未声明的操作 {code!r}：请在 finecrm/authz/actions.py 中声明 / "
            f"unknown action {code!r}: declare it in finecrm/authz/actions.py"
        )


class UnknownRole(FinecrmError):
    """A role code that is not declared in ``finecrm.authz.roles``."""

    def __init__(self, code: object) -> None:
        self.code = code
        super().__init__(
            f"未定义的角色 {code!r}：请使用 finecrm/authz/roles.py 中的角色 / "
            f"unknown role {code!r}: use one of the roles in finecrm/authz/roles.py"
        )


class ScopeError(FinecrmError):
    """A scope cannot be resolved or applied (missing branch, missing column, tree with a cycle)."""
