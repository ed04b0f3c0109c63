"""Tables of the operational database (people's work and the record of what was done).

Analytics never live here: they are Parquet snapshots built by the engine. This database holds what
people and commands do: ingest runs, the append-only audit log, users with their sign-in sessions and
login attempts (later: campaigns, visits, cases). Schema changes go through Alembic migrations in
``db/migrations``.

Timestamps are timezone-aware and stored in UTC. SQLite gives them back without a time zone; callers that
compare them in Python treat a naive value as UTC (``finecrm.services.access.auth`` does).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class IngestRun(Base):
    """One ``finecrm ingest``: what was read, accepted and quarantined per table."""

    __tablename__ = "ingest_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(Text)
    mapping: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # ok | partial | failed
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_quarantined: Mapped[int] = mapped_column(BigInteger, default=0)
    report: Mapped[dict] = mapped_column(JSON)


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


class Audience(Base):
    """A saved target list (目标客群): a name and its versions. The rule lives in the versions; an edit
    adds a version, so a campaign keeps pointing at exactly the list it was drawn from."""

    __tablename__ = "audiences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AudienceVersion(Base):
    """One version of an audience's rule (a boolean expression checked by ``finecrm.rules``), with the
    count and AUM it had against the snapshot it was saved on."""

    __tablename__ = "audience_versions"

    audience_id: Mapped[int] = mapped_column(ForeignKey("audiences.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    build_id: Mapped[str | None] = mapped_column(String(64))  # snapshot the counts below were taken on
    customers: Mapped[int | None] = mapped_column(BigInteger)
    aum: Mapped[float | None] = mapped_column(JSON)  # a float; JSON keeps SQLite and PostgreSQL alike


class Campaign(Base):
    """A marketing campaign (营销活动): product, list, control group, channel, period and cost.

    ``status``: draft (members drawn) → assigned (tasks handed out) → closed. The seed, control share and
    the snapshot the list was drawn from are kept, so the draw can be repeated and checked.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    target: Mapped[str] = mapped_column(String(40))  # marketing.targets[].code
    offer_product: Mapped[str | None] = mapped_column(String(40))
    audience_id: Mapped[int | None] = mapped_column(ForeignKey("audiences.id"))
    audience_version: Mapped[int | None] = mapped_column(Integer)
    top_n: Mapped[int | None] = mapped_column(Integer)  # the N highest propensities (within the audience)
    size_cap: Mapped[int | None] = mapped_column(Integer)
    control_share: Mapped[float] = mapped_column(JSON)
    seed: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(20))  # phone | sms | visit | wechat | lobby
    start_date: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_date: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cost_per_contact: Mapped[float] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    build_id: Mapped[str | None] = mapped_column(String(64))  # snapshot the list was drawn from
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    details: Mapped[dict | None] = mapped_column(JSON)  # counts by arm and stratum, draw parameters


class CampaignMember(Base):
    """One customer of a campaign: the arm drawn for them, who works them, and what happened.

    Control members are never assigned or contacted. ``outcome`` is what the manager recorded
    (contacted / interested / converted / refused / unreachable); ``converted_on`` is what later data
    shows (the product or signup appeared on or after the campaign's start), so the evaluation does not
    rest on self-reporting.
    """

    __tablename__ = "campaign_members"
    __table_args__ = (
        Index("ix_campaign_members_assignee", "assigned_to", "campaign_id"),
        Index("ix_campaign_members_branch", "campaign_id", "branch_id"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    arm: Mapped[str] = mapped_column(String(10))  # treatment | control
    stratum: Mapped[str] = mapped_column(String(40))  # tier at draw time
    branch_id: Mapped[str | None] = mapped_column(String(40))
    grid_id: Mapped[str | None] = mapped_column(String(40))
    manager_id: Mapped[str | None] = mapped_column(String(40))  # the customer's own manager at draw time
    score: Mapped[float | None] = mapped_column(JSON)  # propensity at draw time
    decile: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)  # talking points: why this customer, which product
    assigned_to: Mapped[str | None] = mapped_column(String(40))  # staff_id
    assigned_by: Mapped[str | None] = mapped_column(String(64))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    outcome_by: Mapped[str | None] = mapped_column(String(64))
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    converted_on: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
