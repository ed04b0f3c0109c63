"""Complaints and requests (投诉与诉求) handled to a deadline: intake, assignment, replies, escalation when overdue,
closing with the customer's acceptance or an appeal (申诉) that reopens it.

The deadline is counted in the bank's working days (``workdays.WorkCalendar`` from ``service.holidays`` and
``service.extra_working_days``) from the day the complaint was received, by its category
(``service.complaints.categories``). A complaint still to answer after its deadline is overdue and goes up one
level (1: the branch head's; 2: the head office's once ``second_level_after_working_days`` more have passed).

Escalation runs in two places with the same function, :func:`escalate_overdue`: ``finecrm service escalate``
(a nightly job) and every read of the queue, so nobody ever looks at a queue whose levels are stale. Every use case
takes ``now`` (the web passes the app's clock, tests a fixed one): nothing here reads the wall clock itself.

Every step appends an event to the complaint's history and a row to the audit log in the caller's transaction
(services never commit). Rows are scoped like customers (``authz.customer_in_scope`` on the branch concerned and
the customer's manager and grid as recorded); a user also always sees what they recorded themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from finecrm.authz import (
    NotFound,
    Principal,
    allowed,
    customer_in_scope,
    get_role,
    mask_name,
    mask_phone,
    require,
)
from finecrm.authz.roles import BRANCH_SCOPES
from finecrm.core.clock import utc
from finecrm.core.errors import FinecrmError
from finecrm.core.settings import ServiceSettings
from finecrm.db import repositories
from finecrm.db.models import Complaint, ComplaintEvent, User
from finecrm.db.models.service import CHANNELS as CHANNELS  # the web names the channels from here
from finecrm.services.common import Page, clamp_page
from finecrm.services.names import load_names
from finecrm.services.service.inputs import (
    AppealComplaint,
    AssignComplaint,
    CloseComplaint,
    ComplaintFilters,
    ComplaintIntake,
    ReplyComplaint,
)
from finecrm.services.service.outputs import (
    ComplaintDetail,
    ComplaintEventRow,
    ComplaintRow,
    EscalationRun,
)
from finecrm.services.service.workdays import WorkCalendar
from finecrm.services.snapshot.serving import Serving

#: Still waiting for an answer: these can be overdue and escalate.
TO_ANSWER = ("open", "assigned", "appealed")
STATUSES = {
    "open": ("待分派", "to assign"),
    "assigned": ("处理中", "being handled"),
    "replied": ("已答复，待客户确认", "answered, awaiting the customer"),
    "appealed": ("客户申诉，重新处理", "appealed, reopened"),
    "closed": ("已结案", "closed"),
}
#: The actor of what the escalation does by itself (the audit log shows it as the system's).
ESCALATION_ACTOR = "system:escalation"


class ComplaintError(FinecrmError):
    """A step that cannot be taken as asked (the message says why, in both languages)."""


def calendar(settings: ServiceSettings) -> WorkCalendar:
    return WorkCalendar.of(settings.holidays, settings.extra_working_days)


def categories(settings: ServiceSettings) -> dict[str, tuple[str, str, int]]:
    """``{code: (zh, en, deadline_working_days)}`` of the configured categories, in their order."""
    return {c.code: (c.zh, c.en, c.deadline_working_days) for c in settings.complaints.categories}


def bank_day(now: datetime, tz: str) -> date:
    """The bank's date at ``now`` (deadlines are dates of the bank's calendar, not UTC's)."""
    return utc(now).astimezone(ZoneInfo(tz)).date()


def _iso(at: datetime | None) -> str | None:
    return utc(at).isoformat() if at is not None else None


def _scope_row(c: Complaint) -> dict[str, Any]:
    return {"customer_id": c.customer_id, "branch_id": c.branch_id, "manager_id": c.manager_id, "grid_id": c.grid_id}


def _may_see(principal: Principal, c: Complaint) -> bool:
    return c.recorded_by == principal.username or customer_in_scope(principal, _scope_row(c))


def _branch_allowed(principal: Principal, branch: str) -> bool:
    """May the principal record a complaint of a caller who is no customer of theirs against ``branch``? Branch
    roles: within their branches; the others (customer managers): their own branch."""
    if principal.scope in BRANCH_SCOPES:
        return principal.branch_scope is None or branch in principal.branch_scope
    return branch == principal.branch_id


def _require_any(principal: Principal) -> None:
    if not allowed(principal, "handle_complaints"):
        require(principal, "record_complaint")


def _row(c: Complaint, today: date, cal: WorkCalendar) -> ComplaintRow:
    late = c.status in TO_ANSWER and today > c.due_on
    return {
        "id": c.id, "channel": c.channel, "customer_id": c.customer_id,
        "caller_name": mask_name(c.caller_name), "caller_phone": mask_phone(c.caller_phone),
        "category": c.category, "branch_id": c.branch_id, "staff_id": c.staff_id, "description": c.description,
        "recorded_by": c.recorded_by, "received_at": _iso(c.received_at) or "", "due_on": c.due_on.isoformat(),
        "status": c.status, "assignee": c.assignee, "escalation_level": c.escalation_level or 0,
        "escalated_at": _iso(c.escalated_at), "first_replied_at": _iso(c.first_replied_at),
        "replied_on_time": c.replied_on_time, "appeals": c.appeals or 0, "closed_at": _iso(c.closed_at),
        "overdue": late, "overdue_working_days": cal.working_days_between(c.due_on, today) if late else 0,
    }


def _event(session: Session, c: Complaint, *, kind: str, actor: str, at: datetime, note: str | None = None,
           details: Mapping[str, Any] | None = None, audit: str | None = None) -> None:
    """Append the step to the complaint's history and to the audit log (same transaction as the change)."""
    session.add(ComplaintEvent(complaint_id=c.id, at=at, kind=kind, actor=actor, note=note,
                               details=dict(details) if details else None))
    repositories.record_audit(session, actor=actor, action=audit or f"complaint_{kind}", target=f"complaint:{c.id}",
                              reason=None, details={"status": c.status, "branch_id": c.branch_id,
                                                    "customer_id": c.customer_id, **(details or {})})
    session.flush()


def _get(session: Session, principal: Principal, complaint_id: int) -> Complaint:
    c = session.get(Complaint, complaint_id)
    if c is None or not _may_see(principal, c):
        raise NotFound("投诉", "complaint", str(complaint_id))
    return c


# --- intake -------------------------------------------------------------------------------------------------


def record(session: Session, serving: Serving, principal: Principal, settings: ServiceSettings, intake: ComplaintIntake,
           *, now: datetime, tz: str, received_at: datetime | None = None) -> ComplaintRow:
    """Take a complaint down: the customer (in scope) or an unidentified caller, the category and its deadline,
    the branch and staff concerned. ``received_at`` is when the customer complained, when that was before now
    (a file of the hotline's complaints); the deadline counts from it."""
    require(principal, "record_complaint")
    cats = categories(settings)
    if intake.category not in cats:
        raise ComplaintError(f"没有这个投诉类别：{intake.category} / no such category: {intake.category} "
                             f"(service.complaints.categories: {', '.join(cats)})")
    names = load_names(serving.ws)
    customer: Mapping[str, Any] = {}
    if intake.customer_id:
        rows = serving.sql("SELECT customer_id, branch_id, manager_id, grid_id FROM customer_360 WHERE customer_id = ?",
                           [intake.customer_id])
        if not rows or not customer_in_scope(principal, rows[0]):
            raise ComplaintError(f"找不到客户 {intake.customer_id}（或不在您的权限范围内）/ no customer "
                                 f"{intake.customer_id} in your scope")
        customer = rows[0]
    elif not (intake.caller_name or intake.caller_phone):
        raise ComplaintError("请填写客户号，或身份不明来电人的称呼或电话 / give the customer, or an unidentified "
                             "caller's name or phone number")
    branch = intake.branch_id or customer.get("branch_id") or principal.branch_id
    if not branch or names.of("branch", branch) is None:
        raise ComplaintError("请选择被投诉机构 / choose the branch concerned")
    if not customer and not _branch_allowed(principal, branch):
        raise ComplaintError("被投诉机构不在您的权限范围内 / the branch concerned is outside your scope")
    if intake.staff_id and names.of("staff", intake.staff_id) is None:
        raise ComplaintError(f"没有这名员工：{intake.staff_id} / no staff member {intake.staff_id}")
    at = utc(received_at or now)
    if at > utc(now):
        raise ComplaintError("受理时间不能晚于现在 / a complaint cannot be received in the future")
    due = calendar(settings).add_working_days(bank_day(at, tz), cats[intake.category][2])
    c = Complaint(channel=intake.channel, customer_id=intake.customer_id or None,
                  caller_name=None if intake.customer_id else intake.caller_name or None,
                  caller_phone=None if intake.customer_id else intake.caller_phone or None,
                  category=intake.category, branch_id=branch, staff_id=intake.staff_id or None,
                  manager_id=customer.get("manager_id"), grid_id=customer.get("grid_id"),
                  description=intake.description, recorded_by=principal.username, received_at=at, due_on=due,
                  status="open", assignee=None, escalation_level=0, appeals=0)
    session.add(c)
    session.flush()
    _event(session, c, kind="recorded", actor=principal.username, at=at, note=intake.description,
           details={"category": c.category, "channel": c.channel, "due_on": due.isoformat(), "staff_id": c.staff_id})
    return _row(c, bank_day(now, tz), calendar(settings))


# --- handling -----------------------------------------------------------------------------------------------


def handlers(session: Session, c: Complaint) -> list[str]:
    """Active users who may handle the complaint: holding ``handle_complaints`` and working at its branch or at
    the head office (no home branch)."""
    out = []
    for u in session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)):
        grants = (set(get_role(u.role).grants) | set(u.extra_actions or [])) - set(u.denied_actions or [])
        if "handle_complaints" in grants and u.branch_id in (None, c.branch_id):
            out.append(u.username)
    return out


def assign(session: Session, principal: Principal, settings: ServiceSettings, complaint_id: int, body: AssignComplaint,
           *, now: datetime, tz: str) -> ComplaintRow:
    require(principal, "handle_complaints")
    c = _get(session, principal, complaint_id)
    if c.status not in TO_ANSWER:
        raise ComplaintError("已答复或已结案的投诉不能再分派 / an answered or closed complaint cannot be assigned")
    if body.assignee not in handlers(session, c):
        raise ComplaintError(f"{body.assignee} 不能处理这件投诉（须有处理投诉的权限，在被投诉机构或总行）/ "
                             f"{body.assignee} cannot handle it (needs handle_complaints, at its branch or head office)")
    before = c.assignee
    c.assignee = body.assignee
    if c.status == "open":
        c.status = "assigned"
    _event(session, c, kind="assigned", actor=principal.username, at=utc(now), note=body.note,
           details={"assignee": body.assignee, "before": before})
    return _row(c, bank_day(now, tz), calendar(settings))


def reply(session: Session, principal: Principal, settings: ServiceSettings, complaint_id: int, body: ReplyComplaint,
          *, now: datetime, tz: str) -> ComplaintRow:
    """Record the answer given to the customer: the deadline's clock stops; the customer accepts or appeals."""
    require(principal, "handle_complaints")
    c = _get(session, principal, complaint_id)
    if c.status not in TO_ANSWER:
        raise ComplaintError("这件投诉已答复或已结案 / this complaint is already answered or closed")
    at, today = utc(now), bank_day(now, tz)
    on_time = today <= c.due_on
    if c.first_replied_at is None:
        c.first_replied_at, c.replied_on_time = at, on_time
    c.status = "replied"
    c.assignee = c.assignee or principal.username
    _event(session, c, kind="replied", actor=principal.username, at=at, note=body.reply,
           details={"on_time": on_time, "due_on": c.due_on.isoformat()})
    return _row(c, today, calendar(settings))


def close(session: Session, principal: Principal, settings: ServiceSettings, complaint_id: int, body: CloseComplaint,
          *, now: datetime, tz: str) -> ComplaintRow:
    """The customer accepted the answer (客户认可): closed."""
    require(principal, "handle_complaints")
    c = _get(session, principal, complaint_id)
    if c.status != "replied":
        raise ComplaintError("只有已答复的投诉才能在客户认可后结案 / only an answered complaint can be closed on the "
                             "customer's acceptance")
    at = utc(now)
    c.status, c.closed_at = "closed", at
    _event(session, c, kind="accepted", actor=principal.username, at=at, note=body.note)
    return _row(c, bank_day(now, tz), calendar(settings))


def appeal(session: Session, principal: Principal, settings: ServiceSettings, complaint_id: int, body: AppealComplaint,
           *, now: datetime, tz: str) -> ComplaintRow:
    """The customer does not accept the answer (申诉): reopened with a new deadline of
    ``appeal_deadline_working_days``, its escalation starting again from level 0 against that deadline."""
    _require_any(principal)
    c = _get(session, principal, complaint_id)
    if c.status not in ("replied", "closed"):
        raise ComplaintError("只有已答复或已结案的投诉才能申诉 / only an answered or closed complaint can be appealed")
    at, today = utc(now), bank_day(now, tz)
    cal = calendar(settings)
    before = c.due_on
    c.due_on = cal.add_working_days(today, settings.complaints.appeal_deadline_working_days)
    c.status, c.closed_at, c.escalation_level, c.escalated_at = "appealed", None, 0, None
    c.appeals = (c.appeals or 0) + 1
    _event(session, c, kind="appealed", actor=principal.username, at=at, note=body.note,
           details={"due_on": c.due_on.isoformat(), "previous_due_on": before.isoformat(), "appeals": c.appeals})
    return _row(c, today, cal)


def escalation_level(due_on: date, today: date, cal: WorkCalendar, second_after: int) -> int:
    """The level a complaint still to answer is at on ``today``: 0 within its deadline, 1 once past it, 2 once
    more than ``second_after`` working days past it."""
    if today <= due_on:
        return 0
    return 2 if cal.working_days_between(due_on, today) > second_after else 1


def escalate_overdue(session: Session, settings: ServiceSettings, *, now: datetime, tz: str) -> EscalationRun:
    """Raise every complaint still to answer to the level its lateness asks (never lower: an answer ends the wait,
    an appeal starts a new one). Each raise is a step of the complaint and an audit row by ``system:escalation``."""
    today, cal = bank_day(now, tz), calendar(settings)
    second = settings.complaints.second_level_after_working_days
    late = session.scalars(select(Complaint).where(Complaint.status.in_(TO_ANSWER), Complaint.due_on < today)
                           .order_by(Complaint.id)).all()
    raised = []
    for c in late:
        level = escalation_level(c.due_on, today, cal, second)
        if level > (c.escalation_level or 0):
            c.escalation_level, c.escalated_at = level, utc(now)
            _event(session, c, kind="escalated", actor=ESCALATION_ACTOR, at=utc(now),
                   details={"level": level, "due_on": c.due_on.isoformat(),
                            "overdue_working_days": cal.working_days_between(c.due_on, today)})
            raised.append({"complaint_id": c.id, "level": level})
    return {"checked": len(late), "escalated": raised}


# --- reading ------------------------------------------------------------------------------------------------


def _filtered(session: Session, principal: Principal, f: ComplaintFilters, today: date) -> list[Complaint]:
    q = select(Complaint)
    if f.status == "active":
        q = q.where(Complaint.status.in_(TO_ANSWER))
    elif f.status != "all":
        q = q.where(Complaint.status == f.status)
    if f.category:
        q = q.where(Complaint.category == f.category)
    if f.branch_id:
        q = q.where(Complaint.branch_id == f.branch_id)
    if f.channel:
        q = q.where(Complaint.channel == f.channel)
    if f.overdue:
        q = q.where(Complaint.status.in_(TO_ANSWER), Complaint.due_on < today)
    if principal.branch_scope is not None:
        q = q.where((Complaint.branch_id.in_(sorted(principal.branch_scope)))
                    | (Complaint.recorded_by == principal.username))
    rows = [c for c in session.scalars(q).all() if _may_see(principal, c)]
    # Overdue first (the most escalated, then the longest late), then by deadline: the order work is done in.
    return sorted(rows, key=lambda c: (not (c.status in TO_ANSWER and today > c.due_on),
                                       -(c.escalation_level or 0), c.due_on, c.id))


def queue(session: Session, principal: Principal, settings: ServiceSettings, filters: ComplaintFilters, *,
          now: datetime, tz: str, page: int = 1, page_size: int = 20) -> Page[ComplaintRow]:
    """The complaints in the principal's scope, overdue first; the escalation is brought up to date first."""
    _require_any(principal)
    escalate_overdue(session, settings, now=now, tz=tz)
    today, cal = bank_day(now, tz), calendar(settings)
    rows = _filtered(session, principal, filters, today)
    page, page_size = clamp_page(page, page_size)
    start = (page - 1) * page_size
    return Page([_row(c, today, cal) for c in rows[start:start + page_size]], page, page_size, len(rows))


def detail(session: Session, principal: Principal, settings: ServiceSettings, complaint_id: int, *, now: datetime,
           tz: str) -> ComplaintDetail:
    """One complaint with its history, oldest step first (404 outside the scope)."""
    _require_any(principal)
    escalate_overdue(session, settings, now=now, tz=tz)
    c = _get(session, principal, complaint_id)
    events = session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id)
                             .order_by(ComplaintEvent.id)).all()
    history: list[ComplaintEventRow] = [
        {"id": e.id, "at": _iso(e.at) or "", "kind": e.kind, "actor": e.actor, "note": e.note, "details": e.details}
        for e in events]
    may_handle = allowed(principal, "handle_complaints")
    return {"complaint": _row(c, bank_day(now, tz), calendar(settings)), "events": history,
            "handlers": handlers(session, c) if may_handle else []}


def of_customer(session: Session, principal: Principal, settings: ServiceSettings, customer_id: str, *,
                now: datetime, tz: str, limit: int = 50) -> list[ComplaintRow]:
    """A customer's complaints for the 360, newest first. The caller has checked the customer is in scope
    (``view_customer``); a role without the complaint actions sees none."""
    require(principal, "view_customer")
    if not (allowed(principal, "record_complaint") or allowed(principal, "handle_complaints")):
        return []
    today, cal = bank_day(now, tz), calendar(settings)
    rows = session.scalars(select(Complaint).where(Complaint.customer_id == customer_id)
                           .order_by(Complaint.id.desc()).limit(limit)).all()
    return [_row(c, today, cal) for c in rows]


EXPORT_COLUMNS = ("id", "status", "overdue", "overdue_working_days", "escalation_level", "category", "channel",
                  "branch_id", "staff_id", "customer_id", "caller_name", "caller_phone", "received_at", "due_on",
                  "assignee", "first_replied_at", "replied_on_time", "appeals", "closed_at", "description")


def export(session: Session, principal: Principal, settings: ServiceSettings, filters: ComplaintFilters, *,
           now: datetime, tz: str, ip: str | None = None) -> tuple[bytes, int]:
    """The queue as filtered, as an Excel file: callers' names and phones masked, the export audited first."""
    from finecrm.services.exports import list_workbook

    _require_any(principal)
    require(principal, "export_list")
    escalate_overdue(session, settings, now=now, tz=tz)
    today, cal = bank_day(now, tz), calendar(settings)
    rows = [_row(c, today, cal) for c in _filtered(session, principal, filters, today)]
    repositories.record_audit(session, actor=principal.username, action="export_list", target="service:complaints",
                              details={"rows": len(rows), "filters": filters.model_dump(), "masked": True, "ip": ip})
    content = list_workbook("投诉 complaints", EXPORT_COLUMNS, [dict(r) for r in rows], build_id="-",
                            exported_by=principal.username, about=[["筛选 filters", str(filters.model_dump())]])
    return content, len(rows)


def import_file(session: Session, serving: Serving, principal: Principal, settings: ServiceSettings,
                rows: list[dict[str, str]], *, now: datetime, tz: str) -> list[ComplaintRow]:
    """Complaints from a file of the bank's hotline or an outsourced channel (channel ``import``): one row each with
    customer_id (or caller_name / caller_phone), category, received_on (a date; 09:00 in the bank's time) and
    optionally branch_id, staff_id, description. All or nothing: the first bad row stops the import, naming its line."""
    from datetime import time as clock_time

    out = []
    zone = ZoneInfo(tz)
    for line, r in enumerate(rows, start=2):
        try:
            day = date.fromisoformat((r.get("received_on") or "").strip())
            received = datetime.combine(day, clock_time(9, 0), tzinfo=zone).astimezone(UTC)
            intake = ComplaintIntake(channel="import", customer_id=r.get("customer_id") or None,
                                     caller_name=r.get("caller_name") or None, caller_phone=r.get("caller_phone") or None,
                                     category=(r.get("category") or "").strip(), branch_id=r.get("branch_id") or None,
                                     staff_id=r.get("staff_id") or None,
                                     description=r.get("description") or "（由投诉热线导入，无详细内容）")
            out.append(record(session, serving, principal, settings, intake, now=now, tz=tz, received_at=received))
        except (ValueError, ComplaintError) as exc:
            raise ComplaintError(f"第 {line} 行 / line {line}: {exc}") from None
    return out
