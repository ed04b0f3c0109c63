"""Tables of the operational database (people's work and the record of what was done).

Analytics never live here: they are Parquet snapshots built by the engine. This database holds what
people and commands do: ingest runs and the append-only audit log (later: users, campaigns, visits,
cases). Schema changes go through Alembic migrations in ``db/migrations``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, Text
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
