"""Browsing the audit log: who did what, when, to what, and why — filtered and paged."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finecrm.authz import Principal, require
from finecrm.core.errors import FinecrmError
from finecrm.db.models import AuditEvent
from finecrm.services.access.outputs import AuditEventRow
from finecrm.services.common import Page, clamp_page

PAGE_SIZE = 50


class AuditQueryError(FinecrmError):
    """A filter of the audit log that selects nothing by construction (the message says why)."""

    http_status = 400


def browse(session: Session, principal: Principal, *, actor: str | None = None, action: str | None = None,
           target: str | None = None, since: date | None = None, until: date | None = None,
           page: int = 1, page_size: int = PAGE_SIZE) -> Page[AuditEventRow]:
    """Audit events, newest first. ``until`` is inclusive (the whole day); ``until`` on the last day of the
    calendar (9999-12-31) means no upper bound. A ``since`` after ``until`` is refused (AuditQueryError)."""
    require(principal, "view_audit")
    if since and until and since > until:
        raise AuditQueryError(f"开始日期 {since} 晚于结束日期 {until} / since ({since}) is after until ({until})")
    page, page_size = clamp_page(page, page_size, PAGE_SIZE)
    stmt = select(AuditEvent)
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor.strip().lower())
    if action:
        stmt = stmt.where(AuditEvent.action == action.strip())
    if target:
        stmt = stmt.where(AuditEvent.target == target.strip())
    if since:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(since, time.min, UTC))
    if until and until < date.max:  # the day after until, exclusive (date.max has none: no bound)
        stmt = stmt.where(AuditEvent.at < datetime.combine(until + timedelta(days=1), time.min, UTC))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(page_size).offset((page - 1) * page_size))
    return Page([_event(e) for e in rows], page, page_size, int(total))


def actions_seen(session: Session) -> list[str]:
    return [a for (a,) in session.execute(select(AuditEvent.action).distinct().order_by(AuditEvent.action))]


def _event(e: AuditEvent) -> AuditEventRow:
    at = e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)
    return {"id": e.id, "at": at.isoformat(timespec="seconds"), "actor": e.actor, "action": e.action,
            "target": e.target, "reason": e.reason, "details": e.details}
