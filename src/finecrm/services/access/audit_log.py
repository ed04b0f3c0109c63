"""Browsing the audit log: who did what, when, to what, and why — filtered and paged."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finecrm.authz import Principal, require
from finecrm.core.errors import FinecrmError
from finecrm.db import repositories
from finecrm.db.models import AuditEvent
from finecrm.services.access.outputs import AuditEventRow
from finecrm.services.common import Page, clamp_page
from finecrm.services.exports import list_workbook

PAGE_SIZE = 50


class AuditQueryError(FinecrmError):
    """A filter of the audit log that selects nothing by construction (the message says why)."""

    http_status = 400


#: How the log sorts ("-" first: descending); newest first by default. Ties are broken by the event's id.
AUDIT_SORTS = ("at", "actor", "action", "target")
#: The most events one export holds.
MAX_EXPORT_EVENTS = 50_000


def _statement(principal: Principal, *, actor: str | None, action: str | None, target: str | None,
               since: date | None, until: date | None, sort: str | None) -> Any:
    require(principal, "view_audit")
    if since and until and since > until:
        raise AuditQueryError(f"开始日期 {since} 晚于结束日期 {until} / since ({since}) is after until ({until})")
    key = (sort or "-at").strip()
    column, descending = key.removeprefix("-"), key.startswith("-")
    if column not in AUDIT_SORTS:
        choices = ", ".join(AUDIT_SORTS)
        raise AuditQueryError(f"不能按 {key!r} 排序，可选 {choices} / cannot sort the log by {key!r}: one of {choices}")
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
    # events are appended in time order, so the id orders by time too (and never ties)
    col = AuditEvent.id if column == "at" else getattr(AuditEvent, column)
    first = col.desc().nulls_last() if descending else col.asc().nulls_last()
    return stmt, [first, AuditEvent.id.desc()] if column != "at" else [first]


def browse(session: Session, principal: Principal, *, actor: str | None = None, action: str | None = None,
           target: str | None = None, since: date | None = None, until: date | None = None,
           page: int = 1, page_size: int = PAGE_SIZE, sort: str | None = None) -> Page[AuditEventRow]:
    """Audit events, newest first unless ``sort`` (one of :data:`AUDIT_SORTS`) says otherwise. ``until`` is
    inclusive (the whole day); ``until`` on the last day of the calendar (9999-12-31) means no upper bound. A
    ``since`` after ``until`` is refused (AuditQueryError)."""
    stmt, order = _statement(principal, actor=actor, action=action, target=target, since=since, until=until,
                             sort=sort)
    page, page_size = clamp_page(page, page_size, PAGE_SIZE)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(*order).limit(page_size).offset((page - 1) * page_size))
    return Page([_event(e) for e in rows], page, page_size, int(total))


EXPORT_COLUMNS = ("编号 id", "时间 at (UTC)", "操作人 actor", "操作 action", "对象 target", "事由 reason", "详情 details")


def export(session: Session, principal: Principal, *, actor: str | None = None, action: str | None = None,
           target: str | None = None, since: date | None = None, until: date | None = None,
           sort: str | None = None, ip: str | None = None) -> tuple[bytes, int]:
    """The events of the page's filter (every page) as a workbook; the export is itself audited first.

    The log holds customer ids and reasons, never customers' personal data in clear, so nothing is masked;
    it still needs ``export_list`` besides ``view_audit``.
    """
    require(principal, "export_list")
    stmt, order = _statement(principal, actor=actor, action=action, target=target, since=since, until=until,
                             sort=sort)
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    if total > MAX_EXPORT_EVENTS:
        raise AuditQueryError(f"一次最多导出 {MAX_EXPORT_EVENTS:,} 条，当前 {total:,} 条，请缩小日期范围 / at most "
                              f"{MAX_EXPORT_EVENTS:,} events per export; this filter has {total:,}: narrow the dates")
    events = [_event(e) for e in session.scalars(stmt.order_by(*order))]
    filters = {"actor": actor, "action": action, "target": target, "since": since.isoformat() if since else None,
               "until": until.isoformat() if until else None, "sort": sort}
    repositories.record_audit(session, actor=principal.username, action="export_list", target="audit_log",
                              details={**filters, "rows": total, "ip": ip})
    rows = [dict(zip(EXPORT_COLUMNS, (e["id"], e["at"], e["actor"], e["action"], e["target"], e["reason"],
                                      json.dumps(e["details"], ensure_ascii=False) if e["details"] else None),
                     strict=True)) for e in events]
    content = list_workbook("审计日志 audit log", EXPORT_COLUMNS, rows, build_id="—", exported_by=principal.username,
                            about=[["筛选 filter", str({k: v for k, v in filters.items() if v})]])
    return content, total


def actions_seen(session: Session) -> list[str]:
    return [a for (a,) in session.execute(select(AuditEvent.action).distinct().order_by(AuditEvent.action))]


def _event(e: AuditEvent) -> AuditEventRow:
    at = e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)
    return {"id": e.id, "at": at.isoformat(timespec="seconds"), "actor": e.actor, "action": e.action,
            "target": e.target, "reason": e.reason, "details": e.details}
