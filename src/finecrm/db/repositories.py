"""Reading and writing the operational database. Functions take keyword arguments only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from finecrm.db.models import AuditEvent, IngestRun


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
