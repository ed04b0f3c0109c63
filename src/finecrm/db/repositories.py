"""Reading and writing the operational database. Functions take keyword arguments only."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from finecrm.db.models import AuditEvent, IngestRun, LoginAttempt, User, UserSession


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. There is deliberately no update or delete counterpart."""
    event = AuditEvent(
        at=datetime.now(UTC), actor=actor, action=action, target=target, reason=reason, details=details
    )
    session.add(event)
    session.flush()
    return event


def list_audit(session: Session, *, action: str | None = None, limit: int = 100) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(session.scalars(stmt))


def save_ingest_run(session: Session, *, run: IngestRun) -> None:
    session.merge(run)
    session.flush()


def list_ingest_runs(session: Session, *, limit: int = 20) -> list[IngestRun]:
    return list(session.scalars(select(IngestRun).order_by(IngestRun.started_at.desc()).limit(limit)))


def _utc(at: datetime) -> datetime:
    """``at`` in UTC. SQLite stores timestamps as text without a zone, so every bound value must be UTC
    for comparisons in SQL to be right; a naive value is taken to be UTC already."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# --- users ------------------------------------------------------------------------------------------


def get_user(session: Session, *, username: str) -> User | None:
    """The user called ``username`` (exact match; usernames are stored lower-case), or None."""
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def get_user_by_id(session: Session, *, user_id: int) -> User | None:
    return session.get(User, user_id)


def add_user(session: Session, *, user: User) -> User:
    session.add(user)
    session.flush()
    return user


def list_users(
    session: Session,
    *,
    active: bool | None = None,
    role: str | None = None,
    branch_id: str | None = None,
    demo: bool | None = None,
) -> list[User]:
    """Users ordered by username; each filter applies only when given."""
    stmt = select(User).order_by(User.username)
    if active is not None:
        stmt = stmt.where(User.active == active)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if branch_id is not None:
        stmt = stmt.where(User.branch_id == branch_id)
    if demo is not None:
        stmt = stmt.where(User.demo == demo)
    return list(session.scalars(stmt))


def count_active_users(session: Session, *, role: str) -> int:
    stmt = select(func.count()).select_from(User).where(User.role == role, User.active.is_(True))
    return int(session.scalar(stmt) or 0)


# --- sessions ---------------------------------------------------------------------------------------


def add_session(session: Session, *, row: UserSession) -> UserSession:
    session.add(row)
    session.flush()
    return row


def get_session(session: Session, *, token_hash: str) -> UserSession | None:
    """The session whose id is ``token_hash`` (the sha256 of the cookie's token), revoked or not."""
    return session.get(UserSession, token_hash)


def list_user_sessions(session: Session, *, user_id: int, include_revoked: bool = False) -> list[UserSession]:
    stmt = select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.created_at)
    if not include_revoked:
        stmt = stmt.where(UserSession.revoked_at.is_(None))
    return list(session.scalars(stmt))


def revoke_user_sessions(session: Session, *, user_id: int, at: datetime, keep_id: str | None = None) -> int:
    """Revoke every open session of a user (except ``keep_id``); returns how many were open."""
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=_utc(at))
        .execution_options(synchronize_session="fetch")
    )
    if keep_id is not None:
        stmt = stmt.where(UserSession.id != keep_id)
    result = session.execute(stmt)
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


# --- login attempts ---------------------------------------------------------------------------------


def record_login_attempt(
    session: Session, *, username: str, at: datetime, ip: str | None, success: bool, reason: str
) -> LoginAttempt:
    row = LoginAttempt(username=username[:100], at=_utc(at), ip=ip, success=success, reason=reason)
    session.add(row)
    session.flush()
    return row


def count_login_failures(
    session: Session,
    *,
    since: datetime,
    reasons: Collection[str],
    username: str | None = None,
    ip: str | None = None,
) -> int:
    """Failed attempts after ``since`` with one of ``reasons``, for a username and/or an address."""
    if username is None and ip is None:
        raise ValueError("count_login_failures needs a username or an ip")
    stmt = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.success.is_(False), LoginAttempt.at > _utc(since), LoginAttempt.reason.in_(reasons))
    )
    if username is not None:
        stmt = stmt.where(LoginAttempt.username == username)
    if ip is not None:
        stmt = stmt.where(LoginAttempt.ip == ip)
    return int(session.scalar(stmt) or 0)


def last_login_attempt_at(session: Session, *, username: str, reason: str) -> datetime | None:
    """When ``username`` last had an attempt with ``reason`` (UTC), or None."""
    stmt = select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.reason == reason
    )
    at = session.scalar(stmt)
    if at is None:
        return None
    return _utc(at)


def list_login_attempts(
    session: Session, *, username: str | None = None, ip: str | None = None, limit: int = 100
) -> list[LoginAttempt]:
    stmt = select(LoginAttempt).order_by(LoginAttempt.id.desc()).limit(limit)
    if username is not None:
        stmt = stmt.where(LoginAttempt.username == username)
    if ip is not None:
        stmt = stmt.where(LoginAttempt.ip == ip)
    return list(session.scalars(stmt))


def prune_login_attempts(session: Session, *, before: datetime) -> int:
    """Delete attempts older than ``before`` (the audit log keeps the durable record); returns the count."""
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.at < _utc(before)))
    return int(getattr(result, "rowcount", 0) or 0)
