"""Signing in: password hashing, login with lockout and throttling, sessions, and the principal.

The web layer calls four things (see docs/access.md, "账户与登录 / Accounts and sign-in"):

    result = login(s, username=..., password=..., ip=..., user_agent=..., demo_mode=app_in_demo_mode)
    if result.ok: set the cookie to result.token (HttpOnly, SameSite=Lax, Secure behind TLS),
                  put result.csrf_token in forms; if result.must_change_password: send to the change page
    else:         show result.message (bilingual; never says whether the username exists)
    found = resolve_session(s, token=cookie, demo_mode=...)   # each request: (user, session_row) or None
    principal = principal_for(user, branches=..., grids=..., assigned_loans=...)
    logout(s, token=cookie)

Every function takes the caller's SQLAlchemy session and only flushes: the caller commits. ``login``
*returns* its failures instead of raising them, so that the caller's transaction commits the failure
counter, the attempt and the audit rows (an exception would roll them back and disable the lockout).

Sessions: the cookie holds a random 256-bit token; the database holds only its sha256, so a copy of the
database (or of a backup) signs nobody in. The CSRF token is per session, random, compared in constant time.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from finecrm.authz import Principal, make_principal
from finecrm.core.clock import utc
from finecrm.db import repositories
from finecrm.db.models import User, UserSession

# --- policy -------------------------------------------------------------------------------------------
#: Consecutive failed sign-ins (wrong password) after which an account is locked. Five is the usual
#: figure in banks' information-security rules: enough for typos, too few for guessing.
MAX_FAILED_LOGINS = 5
#: How long a lock lasts. It ends by itself (or an administrator unlocks it); a new run of failures
#: starts from zero after it.
LOCKOUT_DURATION = timedelta(minutes=15)
#: Failed sign-ins from one address within IP_WINDOW after which that address is refused for a while,
#: whatever username it tries (guessing across many accounts, which the per-account lock cannot see).
#: Generous, because a whole outlet often shares one address behind NAT.
IP_MAX_FAILURES = 20
IP_WINDOW = timedelta(minutes=10)
#: A session ends after this long without a request (a terminal left open in the banking hall) ...
IDLE_TIMEOUT = timedelta(minutes=30)
#: ... and in any case this long after sign-in (one working day), however active it was.
ABSOLUTE_TIMEOUT = timedelta(hours=12)
#: The idle clock (last_seen_at) is written at most this often, not on every request: one write per
#: minute per user instead of one per page keeps SQLite free of lock contention. The idle limit is
#: therefore exact to within this interval.
SEEN_WRITE_INTERVAL = timedelta(minutes=1)
#: Bytes of randomness in a session token and in a CSRF token (256 bits).
TOKEN_BYTES = 32

#: Attempt reasons (login_attempts.reason). "lockout" is a wrong password that locked the account.
OK = "ok"
BAD_CREDENTIALS = "bad_credentials"
LOCKOUT = "lockout"
LOCKED = "locked"
IP_THROTTLED = "ip_throttled"
DISABLED = "disabled"
DEMO_REFUSED = "demo_refused"
#: A wrong current password on the change-password page (a signed-in session guessing the password).
BAD_CURRENT_PASSWORD = "bad_current_password"
# What counts against an address: guesses, including guesses at a locked account.
_IP_COUNTED = (BAD_CREDENTIALS, LOCKOUT, LOCKED, BAD_CURRENT_PASSWORD)

#: Messages shown to the person signing in (a "lockout" attempt shows the LOCKED message). None of the
#: messages reachable without the right password (bad credentials, locked, throttled) depends on whether
#: the username exists.
MESSAGES: Mapping[str, str] = {
    OK: "登录成功 / Signed in.",
    BAD_CREDENTIALS: "用户名或密码错误 / Wrong username or password.",
    LOCKED: (
        f"连续登录失败次数过多，账户已临时锁定，请 {LOCKOUT_DURATION.seconds // 60} 分钟后再试或联系系统管理员 / "
        f"Too many failed sign-ins: the account is locked for now. Try again in "
        f"{LOCKOUT_DURATION.seconds // 60} minutes or ask an administrator."
    ),
    IP_THROTTLED: (
        f"此地址登录失败次数过多，请 {IP_WINDOW.seconds // 60} 分钟后再试 / "
        f"Too many failed sign-ins from this address: try again in {IP_WINDOW.seconds // 60} minutes."
    ),
    BAD_CURRENT_PASSWORD: (
        f"当前密码不正确（连续 {MAX_FAILED_LOGINS} 次错误将锁定账户）/ The current password is wrong "
        f"({MAX_FAILED_LOGINS} wrong in a row lock the account)."
    ),
    # Only said to someone who gave the right password.
    DISABLED: "该账户已停用，请联系系统管理员 / This account is disabled: ask an administrator.",
    DEMO_REFUSED: (
        "演示账户只能在演示模式下使用（finecrm serve --demo） / "
        "Demo accounts work only in demo mode (finecrm serve --demo)."
    ),
}


# --- passwords ----------------------------------------------------------------------------------------
#: argon2id with argon2-cffi's defaults (RFC 9106 "low memory" profile: t=3, m=64 MiB, p=4). When these
#: parameters change, a user's hash is upgraded at their next successful sign-in (``needs_rehash``).
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash (PHC string, salt included) of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; a malformed hash never matches."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's (then re-hash at sign-in)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@functools.cache
def _dummy_hash() -> str:
    # Verified against for unknown usernames, so they cost the same argon2 time as real ones.
    return _HASHER.hash(secrets.token_urlsafe(24))


#: zxcvbn's score (0–4) a new password needs. zxcvbn (Dropbox's estimator, the Python port) knows the
#: common and breached passwords and how people vary them — Password123, P@ssw0rd2024, Summer2024!,
#: keyboard runs, dates, repeats, the username — and scores by the guesses an attacker would need. 3 is
#: "safely unguessable": about 10^8 guesses or more, beyond any online attack and costly offline against argon2.
MIN_PASSWORD_SCORE = 3
#: zxcvbn's work grows with the length; longer passwords are judged by their first this many characters.
_STRENGTH_CHARS = 128
#: Words of the product every user knows and an attacker would try first.
_PRODUCT_WORDS = ("finecrm", "crm")


def password_score(password: str, *, user_inputs: Sequence[str] = ()) -> int:
    """zxcvbn's score of ``password`` (0 = guessed at once … 4 = very hard), with ``user_inputs`` (the
    username and its parts) treated as words an attacker knows."""
    if not password:
        return 0
    words = [w for text in user_inputs for w in (text, *re.split(r"[._\-]+", text)) if w]
    result = zxcvbn(password[:_STRENGTH_CHARS], user_inputs=[*words, *_PRODUCT_WORDS], max_length=_STRENGTH_CHARS)
    return int(result["score"])


def easily_guessed(password: str, *, username: str = "") -> bool:
    """Whether ``password`` is too easy to guess (a score below :data:`MIN_PASSWORD_SCORE`)."""
    return password_score(password, user_inputs=[normalize_username(username)] if username else []) < MIN_PASSWORD_SCORE


_PASSWORD_CLASSES = ("abcdefghijkmnpqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "-_.!@#%+=")


def generate_password(*, length: int = 16, username: str = "") -> str:
    """A random password meeting the policy (all four character classes; no look-alikes such as l/1/O/0;
    never one zxcvbn finds easy to guess — 16 random characters practically never are, but it is checked)."""
    if length < 12:
        raise ValueError("generated passwords are at least 12 characters long")
    alphabet = "".join(_PASSWORD_CLASSES)
    rand = secrets.SystemRandom()
    while True:
        chars = [rand.choice(c) for c in _PASSWORD_CLASSES]
        chars += [rand.choice(alphabet) for _ in range(length - len(chars))]
        rand.shuffle(chars)
        password = "".join(chars)
        if (not username or username.lower() not in password.lower()) and not easily_guessed(
                password, username=username):
            return password


def normalize_username(username: str) -> str:
    """Usernames are case-insensitive: compared and stored stripped and lower-case."""
    return (username or "").strip().lower()


# --- time ---------------------------------------------------------------------------------------------


def _aware(at: datetime | None) -> datetime | None:
    return None if at is None else utc(at)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def is_locked(user: User, *, now: datetime | None = None) -> bool:
    """Whether ``user`` is locked out right now (for the user list of the admin pages)."""
    until = _aware(user.locked_until)
    return until is not None and utc(now) < until


# --- login --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    """The outcome of :func:`login`. ``token`` is the only copy of the session token there will ever be:
    put it in the cookie; it cannot be read back from the database."""

    ok: bool
    reason: str  # OK or one of the failure codes above
    message: str  # bilingual, safe to show to the person signing in
    user: User | None = None  # only on success
    token: str | None = None
    csrf_token: str | None = None
    expires_at: datetime | None = None  # absolute end of the session

    @property
    def must_change_password(self) -> bool:
        return self.user is not None and self.user.must_change_password


def _clip(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value[:limit] or None


def login(
    session: Session,
    *,
    username: str,
    password: str,
    ip: str | None,
    user_agent: str | None,
    now: datetime | None = None,
    demo_mode: bool = False,
) -> LoginResult:
    """Check a username and password; on success open a session. Never raises for a failed sign-in.

    Order: the address throttle (independent of the username); then exactly one argon2 verification,
    against the user's hash or a dummy one, so known and unknown usernames take the same time; then the
    lock, the password, the account state. Unknown usernames are locked out exactly like real ones (their
    state is kept in login_attempts), so the lock message does not reveal which usernames exist.
    ``demo_mode`` is True only when the server runs as ``finecrm serve --demo``; demo users are refused
    otherwise.
    """
    at = utc(now)
    name = normalize_username(username)[:100]
    ip = _clip(ip, 64)
    agent = _clip(user_agent, 400)
    ctx = _Attempt(session, name, ip, agent, at)

    if ip is not None and (
        repositories.count_login_failures(session, since=at - IP_WINDOW, reasons=_IP_COUNTED, ip=ip)
        >= IP_MAX_FAILURES
    ):
        return ctx.fail(IP_THROTTLED, user=None)

    user = repositories.get_user(session, username=name) if name else None
    password_ok = verify_password(user.password_hash if user is not None else _dummy_hash(), password or "")

    if user is None:
        return _unknown_user_failure(ctx)
    # Re-read the counters under a row lock (PostgreSQL; SQLite has one writer anyway), so parallel
    # guesses cannot each see four failures and slip past the lockout. Taken after the slow argon2 step.
    session.refresh(user, with_for_update=True)

    if _still_locked(user, at):
        return ctx.fail(LOCKED, user=user)

    if not password_ok:
        until = _count_wrong_password(user, at)
        if until is not None:
            ctx.lock(user.failed_logins, until)
            return ctx.fail(LOCKOUT, user=user)
        return ctx.fail(BAD_CREDENTIALS, user=user)
    if not user.active:
        return ctx.fail(DISABLED, user=user)
    if user.demo and not demo_mode:
        return ctx.fail(DEMO_REFUSED, user=user)

    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = at
    token, row = _open_session(session, user=user, ip=ip, user_agent=agent, at=at)
    repositories.record_login_attempt(session, username=name, at=at, ip=ip, success=True, reason=OK)
    repositories.record_audit(
        session, actor=user.username, action="login", target=user.username,
        details={"ip": ip, "user_agent": agent, "session": row.id[:16], "demo": user.demo},
    )
    return LoginResult(
        ok=True, reason=OK, message=MESSAGES[OK], user=user, token=token, csrf_token=row.csrf_token,
        expires_at=row.expires_at,
    )


def _still_locked(user: User, at: datetime) -> bool:
    """Whether ``user`` is locked at ``at``; a lock that has been served is cleared (a new run begins)."""
    until = _aware(user.locked_until)
    if until is not None and at >= until:
        user.locked_until = None
        user.failed_logins = 0
        return False
    return until is not None


def _count_wrong_password(user: User, at: datetime) -> datetime | None:
    """One more wrong password for ``user``; the end of the lock when it locks the account
    (MAX_FAILED_LOGINS in a row), else None."""
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = at + LOCKOUT_DURATION
        return user.locked_until
    return None


@dataclass(frozen=True)
class CurrentPasswordCheck:
    """The outcome of :func:`check_current_password`: ``reason`` is OK, BAD_CURRENT_PASSWORD, LOCKOUT (this
    guess locked the account) or LOCKED; ``message`` is bilingual, safe to show."""

    reason: str
    message: str
    sessions_revoked: int = 0

    @property
    def ok(self) -> bool:
        return self.reason == OK

    @property
    def locked(self) -> bool:
        return self.reason in (LOCKOUT, LOCKED)


#: Said on the change-password page when a wrong current password locked the account (or it was locked).
CHANGE_LOCKED_MESSAGE = (
    f"当前密码错误次数过多，账户已临时锁定，本账户的所有会话均已结束；请 {LOCKOUT_DURATION.seconds // 60} 分钟后"
    f"重新登录或联系系统管理员 / Too many wrong current passwords: the account is locked for now and all its "
    f"sessions have ended. Sign in again in {LOCKOUT_DURATION.seconds // 60} minutes or ask an administrator."
)


def check_current_password(
    session: Session,
    *,
    user: User,
    password: str,
    ip: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> CurrentPasswordCheck:
    """Check the current password a signed-in user gives to change it, counted like a sign-in.

    A wrong one counts towards the same lockout as failed sign-ins (MAX_FAILED_LOGINS in a row lock the
    account for LOCKOUT_DURATION; the address throttle counts it too), is recorded in login_attempts and
    audited (``password_change_failed``; ``account_locked`` when it locks). While the account is locked
    even the right password is refused. A guess that locks the account also ends every session of the
    user, the one guessing included: whoever sat down at an unattended session is put out. Never raises
    for a wrong password: the caller commits, or the count would be rolled back.
    """
    at = utc(now)
    ip = _clip(ip, 64)
    agent = _clip(user_agent, 400)
    session.refresh(user, with_for_update=True)  # parallel guesses must not each see four failures
    if _still_locked(user, at):
        reason = LOCKED
    elif verify_password(user.password_hash, password or ""):
        return CurrentPasswordCheck(OK, MESSAGES[OK])
    else:
        reason = BAD_CURRENT_PASSWORD if _count_wrong_password(user, at) is None else LOCKOUT
    repositories.record_login_attempt(session, username=user.username, at=at, ip=ip, success=False, reason=reason)
    repositories.record_audit(
        session, actor=user.username, action="password_change_failed", target=user.username,
        details={"reason": reason, "failed_logins": user.failed_logins, "ip": ip, "user_agent": agent},
    )
    revoked = 0
    if reason == LOCKOUT:
        assert user.locked_until is not None
        revoked = revoke_user_sessions(session, user=user, now=at)
        repositories.record_audit(
            session, actor="system:auth", action="account_locked", target=user.username,
            details={"failed_logins": user.failed_logins, "locked_until": utc(user.locked_until).isoformat(),
                     "ip": ip, "by": "password_change", "sessions_revoked": revoked},
        )
    session.flush()
    message = MESSAGES[BAD_CURRENT_PASSWORD] if reason == BAD_CURRENT_PASSWORD else CHANGE_LOCKED_MESSAGE
    return CurrentPasswordCheck(reason, message, revoked)


def _unknown_user_failure(ctx: _Attempt) -> LoginResult:
    """The same state machine as a real account, kept in login_attempts: a lock starts at the attempt
    recorded as "lockout" and lasts LOCKOUT_DURATION; the run of failures restarts after it."""
    last_lock = repositories.last_login_attempt_at(ctx.session, username=ctx.name, reason=LOCKOUT)
    if last_lock is not None and ctx.at < last_lock + LOCKOUT_DURATION:
        return ctx.fail(LOCKED, user=None)
    failures = repositories.count_login_failures(
        ctx.session, since=last_lock or _EPOCH, reasons=(BAD_CREDENTIALS,), username=ctx.name
    ) if ctx.name else 0
    if ctx.name and failures + 1 >= MAX_FAILED_LOGINS:
        return ctx.fail(LOCKOUT, user=None)
    return ctx.fail(BAD_CREDENTIALS, user=None)


@dataclass
class _Attempt:
    session: Session
    name: str
    ip: str | None
    agent: str | None
    at: datetime

    def fail(self, reason: str, *, user: User | None) -> LoginResult:
        repositories.record_login_attempt(
            self.session, username=self.name, at=self.at, ip=self.ip, success=False, reason=reason
        )
        # What was typed as an unknown username is often a password typed in the wrong box: the
        # append-only audit log keeps it masked (login_attempts, which is pruned, keeps it whole).
        shown = self.name if user is not None else _mask_unknown(self.name)
        repositories.record_audit(
            self.session, actor=shown or "(empty)", action="login_failed", target=shown or None,
            details={"reason": reason, "ip": self.ip, "user_agent": self.agent, "known_user": user is not None},
        )
        shown = LOCKED if reason == LOCKOUT else reason
        return LoginResult(ok=False, reason=reason, message=MESSAGES[shown])

    def lock(self, failures: int, until: datetime) -> None:
        repositories.record_audit(
            self.session, actor="system:auth", action="account_locked", target=self.name,
            details={"failed_logins": failures, "locked_until": until.isoformat(), "ip": self.ip},
        )


def _mask_unknown(name: str) -> str:
    """An unknown username as the audit log shows it: the first two characters, the rest masked."""
    return name[:2] + "*" * (len(name) - 2) if len(name) > 4 else "*" * len(name)


# --- sessions -----------------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    """The database key of a session token: its sha256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _open_session(
    session: Session, *, user: User, ip: str | None, user_agent: str | None, at: datetime
) -> tuple[str, UserSession]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = UserSession(
        id=hash_token(token), user_id=user.id, created_at=at, expires_at=at + ABSOLUTE_TIMEOUT,
        last_seen_at=at, csrf_token=secrets.token_urlsafe(TOKEN_BYTES), ip=ip, user_agent=user_agent,
    )
    repositories.add_session(session, row=row)
    return token, row


def resolve_session(
    session: Session, *, token: str | None, now: datetime | None = None, demo_mode: bool = False
) -> tuple[User, UserSession] | None:
    """The signed-in user of a cookie token and the session row, or None when the token is unknown,
    revoked, idle for IDLE_TIMEOUT, older than ABSOLUTE_TIMEOUT, or its user is disabled (or a demo user
    outside demo mode). Sliding expiry: each use moves the idle clock forward (see SEEN_WRITE_INTERVAL).

    A user with ``must_change_password`` still resolves: the web layer sends them to the change page.
    """
    if not token or len(token) > 256:
        return None
    row = repositories.get_session(session, token_hash=hash_token(token))
    if row is None or row.revoked_at is not None:
        return None
    at = utc(now)
    last_seen = utc(row.last_seen_at)
    if at >= utc(row.expires_at) or at - last_seen >= IDLE_TIMEOUT:
        return None
    user = repositories.get_user_by_id(session, user_id=row.user_id)
    if user is None or not user.active or (user.demo and not demo_mode):
        return None
    if at - last_seen >= SEEN_WRITE_INTERVAL:
        row.last_seen_at = at
        session.flush()
    return user, row


def check_csrf(row: UserSession, submitted: str | None) -> bool:
    """Whether a form's CSRF token is the session's (constant-time comparison)."""
    if not submitted:
        return False
    return hmac.compare_digest(row.csrf_token.encode("utf-8"), submitted.encode("utf-8"))


def logout(session: Session, *, token: str | None, now: datetime | None = None) -> bool:
    """Revoke the session of ``token``; True if an open session was revoked (and audited)."""
    if not token:
        return False
    row = repositories.get_session(session, token_hash=hash_token(token))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utc(now)
    user = repositories.get_user_by_id(session, user_id=row.user_id)
    repositories.record_audit(
        session, actor=user.username if user else "(deleted user)", action="logout",
        target=user.username if user else None, details={"session": row.id[:16]},
    )
    session.flush()
    return True


def revoke_user_sessions(
    session: Session, *, user: User, now: datetime | None = None, keep_token: str | None = None
) -> int:
    """End every open session of ``user`` (but the one of ``keep_token``); returns how many."""
    keep = hash_token(keep_token) if keep_token else None
    return repositories.revoke_user_sessions(session, user_id=user.id, at=utc(now), keep_id=keep)


# --- the principal ------------------------------------------------------------------------------------


def principal_for(
    user: User,
    *,
    branches: Mapping[str, str | None],
    grids: Mapping[str, str | None] | None = None,
    assigned_loans: Mapping[str, str] | None = None,
) -> Principal:
    """The user as access control sees them, with the scope resolved from data.

    ``branches`` is ``{branch_id: parent_id}`` of the published snapshot; ``grids`` is
    ``{grid_id: manager_staff_id}`` (customer managers see their grid cells); ``assigned_loans`` is
    ``{loan_id: customer_id}`` of the loans assigned to this user (collectors). Raises
    ``finecrm.authz.ScopeError`` when the user's home branch is not in the branch table.
    """
    return make_principal(
        user.username,
        user.role,
        branches=branches,
        branch_id=user.branch_id,
        staff_id=user.staff_id,
        extra_actions=user.extra_actions or (),
        denied_actions=user.denied_actions or (),
        given_branches=user.given_branches,
        grids=grids,
        assigned_loans=assigned_loans,
    )
