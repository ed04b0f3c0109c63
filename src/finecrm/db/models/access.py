"""Access: users, their sign-in sessions and login attempts, and the append-only audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from finecrm.db.models.base import Base


class AuditEvent(Base):
    """Append-only record of who did what, when and why (个人信息保护法, 反洗钱 record keeping).

    The migration installs database triggers that refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)


class User(Base):
    """A person who signs in. One role (a code of ``finecrm.authz.roles``), adjusted per user by
    ``extra_actions`` / ``denied_actions`` and, for branch-scoped roles, narrowed by ``given_branches``.

    Users are never deleted, only disabled (``active``): the audit log keeps naming them.
    ``password_hash`` is an argon2 hash (PHC string); the password itself is stored nowhere.
    ``demo`` users exist for ``make demo`` and can sign in only when the server runs in demo mode.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True, unique=True)  # stored lower-case
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    branch_id: Mapped[str | None] = mapped_column(String(40))  # home branch (branches.branch_id)
    staff_id: Mapped[str | None] = mapped_column(String(40))  # 工号: staff.staff_id, customers.manager_id
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    password_hash: Mapped[str] = mapped_column(Text)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # consecutive failures since last success
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    extra_actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    denied_actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    given_branches: Mapped[list[str] | None] = mapped_column(JSON)  # None: the role's default scope


class UserSession(Base):
    """One signed-in browser. ``id`` is the sha256 (hex) of the random token held by the cookie: the
    database never holds a token that could be replayed, so a copy of it signs nobody in."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # absolute limit
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # for the idle limit
    csrf_token: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """Every sign-in attempt, successful or not: the data behind lockout and per-address throttling.

    ``username`` is what was typed (normalised), whether or not such a user exists. ``reason`` says why an
    attempt failed: bad_credentials, locked, ip_throttled, disabled, demo_refused (``ok`` on success).
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(20))
