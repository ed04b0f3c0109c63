"""Managing user accounts: add, change, disable, enable, unlock, reset and change passwords.

Use cases for the admin pages and ``finecrm users ...`` commands. Whoever calls them has already asked
``authz`` (``manage_users`` for everything but :func:`change_password`, which is ``AUTHENTICATED``: a
user changes their own). Every change writes an audit event (``user_add``, ``user_update``,
``user_disable``, ``user_enable``, ``user_unlock``, ``password_reset``, ``password_change``) naming the
actor; no audit event ever holds a password or a hash.

Functions flush and leave the commit to the caller. Bad input raises :class:`UserError` (a
``FinecrmError``, bilingual message) before anything is written.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from finecrm.authz import ACTION_CODES, ROLES, NotFound, Scope, get_role
from finecrm.authz.roles import BRANCH_SCOPES
from finecrm.core.errors import FinecrmError
from finecrm.db import repositories
from finecrm.db.models import User
from finecrm.services.access import auth

#: 3–32 characters: lower-case letters, digits and . _ - , starting with a letter or digit (bank staff
#: numbers such as 010203 are common usernames). Usernames are case-insensitive (stored lower-case).
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128  # argon2 takes any length; a cap keeps a megabyte "password" from costing time
MIN_PASSWORD_CLASSES = 3  # of: lower-case, upper-case, digits, symbols (anything else)

#: Scopes whose users need a home branch. Branch scopes resolve from it; customer managers belong to an
#: outlet (their KPIs and visits roll up by branch); a risk officer's default scope is the home subtree
#: (a head-office risk officer has the head office as home branch, which gives the whole bank).
#: All-bank roles (analyst, compliance, admin) and collectors (assigned loans) may have none.
BRANCH_REQUIRED_SCOPES = frozenset({Scope.BRANCH_SUBTREE, Scope.BRANCH, Scope.GIVEN, Scope.OWN_CUSTOMERS})


class UserError(FinecrmError):
    """A user-management request that cannot be done as asked (the message says why, in both languages)."""

    http_status = 400


class PasswordPolicyError(UserError):
    """A new password breaks the policy; ``problems`` lists every rule broken, each bilingual."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("密码不符合要求 / the password does not meet the policy: " + "；".join(problems))


class CurrentPasswordRefused(UserError):
    """The current password given to change it was wrong, or the account is locked. The failure has been
    counted (lockout, login_attempts, audit): unlike other :class:`UserError` s, the caller must **commit**
    before showing the message, or the count is rolled back and guessing is unlimited again."""

    def __init__(self, check: auth.CurrentPasswordCheck) -> None:
        self.check = check
        self.http_status = 429 if check.locked else 400
        super().__init__(check.message)


class _Keep(enum.Enum):
    KEEP = "keep"


#: Default of :func:`update_user` arguments: leave the field as it is.
KEEP = _Keep.KEEP


# --- validation ---------------------------------------------------------------------------------------


def check_username(username: str) -> str:
    """The normalised username, or :class:`UserError` saying what a username may be."""
    name = auth.normalize_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise UserError(
            f"用户名 {username!r} 不合规：须为 3–32 位小写字母、数字或 . _ -，以字母或数字开头 / "
            f"invalid username {username!r}: use 3–32 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        allowed_zh = "、".join(f"{code}（{r.zh}）" for code, r in ROLES.items())
        allowed_en = ", ".join(ROLES)
        raise UserError(
            f"未知角色 {role!r}，可用角色：{allowed_zh} / unknown role {role!r}; allowed roles: {allowed_en}"
        )
    return role


def branch_required(role: str) -> bool:
    """Whether users of ``role`` must have a home branch (see BRANCH_REQUIRED_SCOPES)."""
    return get_role(role).scope in BRANCH_REQUIRED_SCOPES


def password_problems(password: str, *, username: str) -> list[str]:
    """Every rule of the password policy that ``password`` breaks (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"密码至少 {MIN_PASSWORD_LENGTH} 个字符 / at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"密码最多 {MAX_PASSWORD_LENGTH} 个字符 / at most {MAX_PASSWORD_LENGTH} characters")
    classes = sum((
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not (c.islower() or c.isupper() or c.isdigit()) for c in password),
    ))
    if classes < MIN_PASSWORD_CLASSES:
        problems.append(
            f"须包含小写字母、大写字母、数字、符号中的至少 {MIN_PASSWORD_CLASSES} 类（现有 {classes} 类） / "
            f"at least {MIN_PASSWORD_CLASSES} of: lower-case letters, upper-case letters, digits, symbols "
            f"(it has {classes})"
        )
    name = auth.normalize_username(username)
    if name and name in password.lower():
        problems.append("密码不能包含用户名 / must not contain the username")
    if auth.easily_guessed(password, username=name):
        problems.append(
            "密码太容易被猜到：常见密码及其常见变形（如 Password123、P@ssw0rd2024、Summer2024!）、键盘顺序、"
            "重复字符、日期和用户名的变形都会被拒绝，请用几个不相关的词组成更长的密码 / too easy to guess: "
            "common passwords and their usual variations (such as Password123, P@ssw0rd2024, Summer2024!), "
            "keyboard runs, repeats, dates and variations of the username are refused; use a longer "
            "password of a few unrelated words"
        )
    return problems


def check_password(password: str, *, username: str) -> None:
    problems = password_problems(password, username=username)
    if problems:
        raise PasswordPolicyError(problems)


def _clean_id(value: str | None, what_zh: str, what_en: str) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    if len(value) > 40:
        raise UserError(f"{what_zh}过长（最多 40 个字符）/ {what_en} is too long (at most 40 characters)")
    return value or None


def _check_actions(codes: Iterable[str], which: str) -> list[str]:
    if isinstance(codes, str):
        raise UserError(f"{which} 须为操作代码列表 / {which} must be a list of action codes, not a string")
    codes = sorted(set(codes))
    unknown = [c for c in codes if c not in ACTION_CODES]
    if unknown:
        raise UserError(
            f"{which} 中有未声明的操作 {unknown}，见 docs/access.md / {which}: unknown action codes {unknown}; "
            f"known: {', '.join(sorted(ACTION_CODES))}"
        )
    return codes


def _check_access(
    *,
    role: str,
    branch_id: str | None,
    given_branches: list[str] | None,
    branches: Mapping[str, str | None] | None,
) -> None:
    r = get_role(role)
    if branch_id is None and branch_required(role):
        raise UserError(
            f"角色 {role}（{r.zh}）须指定所属机构 branch_id（范围：{r.scope.zh}） / "
            f"role {role} ({r.en}) needs a home branch (branch_id): its scope is {r.scope.en}"
        )
    if given_branches is not None and r.scope not in BRANCH_SCOPES:
        raise UserError(
            f"角色 {role} 按人员划定范围，不能授予机构范围 / role {role} is scoped by person: "
            "given_branches does not apply"
        )
    if branches is not None:
        for b in [branch_id, *(given_branches or [])]:
            if b is not None and b not in branches:
                raise UserError(f"机构 {b!r} 不在机构表中 / branch {b!r} is not in the branch table")


def _clean_given(given: Iterable[str] | None) -> list[str] | None:
    if given is None:
        return None
    if isinstance(given, str):
        raise UserError("given_branches 须为机构代码列表 / given_branches must be a list of branch ids")
    out = sorted({str(b).strip() for b in given if str(b).strip()})
    return out


# --- reading ------------------------------------------------------------------------------------------


def get_user(session: Session, *, username: str) -> User:
    """The user called ``username`` (case-insensitive); ``finecrm.authz.NotFound`` (404) if none."""
    user = repositories.get_user(session, username=auth.normalize_username(username))
    if user is None:
        raise NotFound("用户", "user", key=username)
    return user


def list_users(
    session: Session,
    *,
    active: bool | None = None,
    role: str | None = None,
    branch_id: str | None = None,
) -> list[User]:
    """Users by username, optionally only active (or disabled) ones, one role, one branch."""
    if role is not None:
        check_role(role)
    return repositories.list_users(session, active=active, role=role, branch_id=branch_id)


def describe_user(user: User, *, now: datetime | None = None) -> dict[str, Any]:
    """What an admin page or ``--json`` shows of a user: everything but the password hash."""
    def iso(at: datetime | None) -> str | None:
        return None if at is None else auth.utc(at).isoformat()

    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "branch_id": user.branch_id,
        "staff_id": user.staff_id,
        "active": user.active,
        "demo": user.demo,
        "must_change_password": user.must_change_password,
        "locked": auth.is_locked(user, now=now),
        "locked_until": iso(user.locked_until),
        "failed_logins": user.failed_logins,
        "last_login_at": iso(user.last_login_at),
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
        "extra_actions": list(user.extra_actions or []),
        "denied_actions": list(user.denied_actions or []),
        "given_branches": None if user.given_branches is None else list(user.given_branches),
    }


# --- changing -----------------------------------------------------------------------------------------


def add_user(
    session: Session,
    *,
    username: str,
    role: str,
    password: str,
    actor: str,
    branch_id: str | None = None,
    staff_id: str | None = None,
    display_name: str | None = None,
    extra_actions: Iterable[str] = (),
    denied_actions: Iterable[str] = (),
    given_branches: Iterable[str] | None = None,
    must_change_password: bool = True,
    demo: bool = False,
    branches: Mapping[str, str | None] | None = None,
    now: datetime | None = None,
) -> User:
    """Create a user. By default they must change the password at first sign-in (an administrator set it).

    ``branches`` (``{branch_id: parent_id}``), when given, checks that the home branch and given branches
    exist. ``demo`` users sign in only in demo mode (see ``demo_accounts.create_demo_users``).
    """
    name = check_username(username)
    check_role(role)
    branch = _clean_id(branch_id, "机构代码", "branch_id")
    staff = _clean_id(staff_id, "工号", "staff_id")
    given = _clean_given(given_branches)
    _check_access(role=role, branch_id=branch, given_branches=given, branches=branches)
    extra = _check_actions(extra_actions, "extra_actions")
    denied = _check_actions(denied_actions, "denied_actions")
    check_password(password, username=name)
    if repositories.get_user(session, username=name) is not None:
        raise UserError(f"用户名 {name} 已存在 / username {name} is already taken")
    shown = (display_name or "").strip()[:100] or name
    at = auth.utc(now)
    user = repositories.add_user(session, user=User(
        username=name, display_name=shown, role=role, branch_id=branch, staff_id=staff, active=True,
        demo=demo, password_hash=auth.hash_password(password), must_change_password=must_change_password,
        created_at=at, updated_at=at, failed_logins=0, locked_until=None, last_login_at=None,
        extra_actions=extra, denied_actions=denied, given_branches=given,
    ))
    repositories.record_audit(
        session, actor=actor, action="user_add", target=name,
        details={
            "role": role, "branch_id": branch, "staff_id": staff, "display_name": shown,
            "extra_actions": extra, "denied_actions": denied, "given_branches": given, "demo": demo,
            "must_change_password": must_change_password,
        },
    )
    return user


def update_user(
    session: Session,
    *,
    username: str,
    actor: str,
    role: str | _Keep = KEEP,
    branch_id: str | _Keep | None = KEEP,
    staff_id: str | _Keep | None = KEEP,
    display_name: str | _Keep = KEEP,
    extra_actions: Iterable[str] | _Keep = KEEP,
    denied_actions: Iterable[str] | _Keep = KEEP,
    given_branches: Iterable[str] | _Keep | None = KEEP,
    reason: str | None = None,
    branches: Mapping[str, str | None] | None = None,
    now: datetime | None = None,
) -> User:
    """Change a user's role, branch, staff id, name or per-user grants; arguments left at ``KEEP`` stay.

    A change of access (anything but the display name) ends the user's open sessions, so it applies at
    once. The audit event lists each changed field with its old and new value.
    """
    user = get_user(session, username=username)
    new_role = user.role if isinstance(role, _Keep) else check_role(role)
    new_branch = user.branch_id if isinstance(branch_id, _Keep) else _clean_id(branch_id, "机构代码", "branch_id")
    new_staff = user.staff_id if isinstance(staff_id, _Keep) else _clean_id(staff_id, "工号", "staff_id")
    new_name = user.display_name if isinstance(display_name, _Keep) else (display_name.strip()[:100] or user.username)
    new_extra = list(user.extra_actions or []) if isinstance(extra_actions, _Keep) else _check_actions(
        extra_actions, "extra_actions")
    new_denied = list(user.denied_actions or []) if isinstance(denied_actions, _Keep) else _check_actions(
        denied_actions, "denied_actions")
    new_given = user.given_branches if isinstance(given_branches, _Keep) else _clean_given(given_branches)
    _check_access(role=new_role, branch_id=new_branch, given_branches=new_given, branches=branches)
    if user.role == "admin" and new_role != "admin" and user.active:
        _refuse_last_admin(session, user)

    new = {
        "role": new_role, "branch_id": new_branch, "staff_id": new_staff, "display_name": new_name,
        "extra_actions": new_extra, "denied_actions": new_denied, "given_branches": new_given,
    }
    changes = {k: [getattr(user, k), v] for k, v in new.items() if getattr(user, k) != v}
    if not changes:
        return user
    for k, v in new.items():
        setattr(user, k, v)
    at = auth.utc(now)
    user.updated_at = at
    revoked = 0
    if set(changes) - {"display_name"}:
        revoked = auth.revoke_user_sessions(session, user=user, now=at)
    repositories.record_audit(
        session, actor=actor, action="user_update", target=user.username, reason=reason,
        details={"changes": changes, "sessions_revoked": revoked},
    )
    session.flush()
    return user


def _refuse_last_admin(session: Session, user: User) -> None:
    if repositories.count_active_users(session, role="admin") <= 1:
        raise UserError(
            f"{user.username} 是最后一个启用的系统管理员，不能停用或改为其他角色 / {user.username} is the last "
            "active administrator: add another administrator first"
        )


def disable_user(
    session: Session, *, username: str, actor: str, reason: str | None = None, now: datetime | None = None
) -> User:
    """Disable a user (never deleted: the audit log keeps naming them) and end their sessions at once."""
    user = get_user(session, username=username)
    if not user.active:
        return user
    if auth.normalize_username(actor) == user.username:
        raise UserError("不能停用自己的账户 / you cannot disable your own account")
    if user.role == "admin":
        _refuse_last_admin(session, user)
    at = auth.utc(now)
    user.active = False
    user.updated_at = at
    revoked = auth.revoke_user_sessions(session, user=user, now=at)
    repositories.record_audit(
        session, actor=actor, action="user_disable", target=user.username, reason=reason,
        details={"sessions_revoked": revoked},
    )
    session.flush()
    return user


def enable_user(
    session: Session, *, username: str, actor: str, reason: str | None = None, now: datetime | None = None
) -> User:
    """Enable a disabled user again (and clear any lock)."""
    user = get_user(session, username=username)
    if user.active:
        return user
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    user.updated_at = auth.utc(now)
    repositories.record_audit(session, actor=actor, action="user_enable", target=user.username, reason=reason)
    session.flush()
    return user


def unlock_user(
    session: Session, *, username: str, actor: str, reason: str | None = None, now: datetime | None = None
) -> User:
    """End a lockout before its time (the person called the administrator and was identified)."""
    user = get_user(session, username=username)
    details = {"failed_logins": user.failed_logins, "was_locked": auth.is_locked(user, now=now)}
    user.failed_logins = 0
    user.locked_until = None
    user.updated_at = auth.utc(now)
    repositories.record_audit(
        session, actor=actor, action="user_unlock", target=user.username, reason=reason, details=details
    )
    session.flush()
    return user


def reset_password(
    session: Session,
    *,
    username: str,
    actor: str,
    new_password: str | None = None,
    must_change_password: bool = True,
    reason: str | None = None,
    now: datetime | None = None,
) -> str:
    """Set a new password chosen by an administrator (or a random one when ``new_password`` is None) and
    return it, to hand to the person. They must change it at their next sign-in; the lock is cleared and
    every open session of the user ends."""
    user = get_user(session, username=username)
    generated = new_password is None
    password = auth.generate_password(username=user.username) if new_password is None else new_password
    check_password(password, username=user.username)
    at = auth.utc(now)
    user.password_hash = auth.hash_password(password)
    user.must_change_password = must_change_password
    user.failed_logins = 0
    user.locked_until = None
    user.updated_at = at
    revoked = auth.revoke_user_sessions(session, user=user, now=at)
    repositories.record_audit(
        session, actor=actor, action="password_reset", target=user.username, reason=reason,
        details={"generated": generated, "must_change_password": must_change_password, "sessions_revoked": revoked},
    )
    session.flush()
    return password


def change_password(
    session: Session,
    *,
    username: str,
    current_password: str,
    new_password: str,
    keep_token: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> User:
    """A signed-in user changes their own password. The current one must be given and the new one must
    differ from it and meet the policy. Every other session of the user ends (``keep_token``: the session
    the change was made from stays).

    A wrong current password is counted like a failed sign-in (``auth.check_current_password``: lockout,
    audit) and raises :class:`CurrentPasswordRefused` — commit before showing it. Other refusals raise a
    :class:`UserError` after writing nothing."""
    user = get_user(session, username=username)
    checked = auth.check_current_password(session, user=user, password=current_password, ip=ip,
                                          user_agent=user_agent, now=now)
    if not checked.ok:
        raise CurrentPasswordRefused(checked)
    check_password(new_password, username=user.username)
    if new_password == current_password:
        raise PasswordPolicyError(["新密码不能与当前密码相同 / must differ from the current password"])
    at = auth.utc(now)
    user.password_hash = auth.hash_password(new_password)
    user.must_change_password = False
    user.failed_logins = 0  # the right current password ends a run of failures, as a sign-in does
    user.updated_at = at
    revoked = auth.revoke_user_sessions(session, user=user, now=at, keep_token=keep_token)
    repositories.record_audit(
        session, actor=user.username, action="password_change", target=user.username,
        details={"sessions_revoked": revoked},
    )
    session.flush()
    return user
