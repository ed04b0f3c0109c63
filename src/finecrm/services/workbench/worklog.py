"""The work log (工作日志): visits, calls, messages and meetings, and the daily standard they make up.

**Recording** (``record_entry``): a customer manager logs a contact with a customer in their scope — kind,
time, place, purpose, what was said, the outcome, the next step and a follow-up date — from the 360, a
campaign task, the visit plan or a reminder (``source``). Entries are rows of the one contact history
(``contacts``) the 360 shows, beside campaign tasks' outcomes; they are appended, never edited, and each is
written to the audit log (``work_log``). An entry from a task names its campaign and must be the manager's
own task.

**The list** (``list_log``, ``export_log``): the manager's own entries, newest first, filtered by dates,
kind and customer; names masked; the Excel file is masked and audited (``export_list``).

**The daily standard** (``standard_days``; 每日工作标准, ``workbench.daily_standard``, default 2 new + 3
existing visits + 4 calls per working day): per day, the manager's visits (``plan.VISIT_KINDS``) split into
**new** — the first visit ever recorded for that customer, by anyone — and **existing**, and their calls.
Days are the bank's days (``bank.timezone``); a day that is not a working day (``workbench.working_weekdays``)
has no target.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from finecrm.authz import Principal, require, require_customer
from finecrm.authz.errors import NotFound
from finecrm.authz.masking import mask_table
from finecrm.core import formats
from finecrm.core.errors import FinecrmError
from finecrm.db import repositories, workbench_repositories
from finecrm.db.models import Contact
from finecrm.services.common import Page, clamp_page
from finecrm.services.exports import MAX_EXPORT_ROWS, list_workbook
from finecrm.services.names import load_names
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workbench.contacts import record_contact
from finecrm.services.workbench.inputs import LogEntry
from finecrm.services.workbench.outputs import LogRecorded, LogRow, StandardDay
from finecrm.services.workbench.plan import VISIT_KINDS, _labels, start_of

#: The kinds of the work log (the contact kinds besides a campaign task's outcome), with the channel each is.
KINDS = {"visit": "visit", "call": "phone", "message": "wechat", "meeting": "lobby"}
PURPOSES = ("relationship", "marketing", "service", "maturity", "collection", "other")
OUTCOMES = ("reached", "interested", "agreed", "declined", "unreachable")
SOURCES = ("customer", "task", "plan", "reminder", "referral", "log")
CALL_KINDS = ("call",)
#: How far back an entry may be dated: last month's visits written up late, not last year's.
BACKDATE_DAYS = 31
#: How far ahead a follow-up may be set.
MAX_FOLLOW_UP_DAYS = 180
#: A minute's grace for a clock a little ahead of the server's.
_FUTURE_GRACE = timedelta(minutes=5)

_KIND_WORDS = {"visit": "走访 visit", "call": "电话 call", "message": "信息 message", "meeting": "面谈 meeting"}
_PURPOSE_WORDS = {"relationship": "客户维护 relationship", "marketing": "产品营销 marketing",
                  "service": "服务 service", "maturity": "到期提醒 maturity", "collection": "催收 collection",
                  "other": "其他 other"}
_OUTCOME_WORDS = {"reached": "已沟通 reached", "interested": "有意向 interested", "agreed": "已办理 agreed",
                  "declined": "暂无需求 declined", "unreachable": "未联系上 unreachable"}


class WorkLogError(FinecrmError):
    """An entry or a filter of the work log that is not what it should be (the message names it)."""


def _choice(value: str, choices: tuple[str, ...] | dict[str, str], zh: str, en: str) -> str:
    value = (value or "").strip()
    if value not in choices:
        names = ", ".join(choices)
        raise WorkLogError(f"{zh}须为 {names} 之一 / the {en} must be one of {names}, got {value[:20]!r}")
    return value


def _one_line(text: str, most: int, zh: str, en: str) -> str | None:
    clean = " ".join((text or "").split())  # one line: no control characters or layout tricks in the log
    if len(clean) > most:
        raise WorkLogError(f"{zh}最多 {most} 个字，当前 {len(clean)} 个 / the {en} may have at most {most} characters; "
                           f"it has {len(clean)}")
    return clean or None


def customer_row(serving: Serving, principal: Principal, customer_id: str) -> dict[str, Any]:
    """The customer's scoping columns, or NotFound when absent or outside the principal's scope."""
    rows = serving.sql("SELECT customer_id, branch_id, manager_id, grid_id FROM customer_360 WHERE customer_id = ?",
                       [customer_id])
    require_customer(principal, rows[0] if rows else None, customer_id)
    return rows[0]


def _staff_id(principal: Principal) -> str:
    if principal.staff_id is None:
        raise WorkLogError("您的账号没有关联员工号，不能登记工作日志 / your account has no staff id: it cannot keep a work log")
    return principal.staff_id


def record_entry(session: Session, serving: Serving, principal: Principal, entry: LogEntry, *,
                 now: datetime | None = None, ip: str | None = None) -> LogRecorded:
    """Append one entry of the principal's work log (see the module doc); audited. Returns what it counts as."""
    require(principal, "record_visit")
    staff_id = _staff_id(principal)
    tz = serving.ws.settings.bank.timezone
    customer = customer_row(serving, principal, entry.customer_id.strip())
    kind = _choice(entry.kind, KINDS, "方式", "kind")
    purpose = _choice(entry.purpose, PURPOSES, "目的", "purpose")
    outcome = _choice(entry.outcome, OUTCOMES, "结果", "outcome")
    source = _choice(entry.source or "customer", SOURCES, "来源", "source")
    moment = now or datetime.now(UTC)
    if entry.at is not None:
        _in_range(entry.at.date(), "时间 time")
    _in_range(entry.follow_up_on, "跟进日期 follow-up date")
    at = moment if entry.at is None else (
        entry.at.replace(tzinfo=formats.zone(tz)) if entry.at.tzinfo is None else entry.at).astimezone(UTC)
    if at > moment + _FUTURE_GRACE:
        raise WorkLogError("时间不能晚于现在 / the time cannot be in the future")
    if at < moment - timedelta(days=BACKDATE_DAYS):
        raise WorkLogError(f"最多补登 {BACKDATE_DAYS} 天内的记录 / entries can be dated at most {BACKDATE_DAYS} days back")
    day = formats.local(at, tz).date()
    if entry.follow_up_on is not None and not day < entry.follow_up_on <= day + timedelta(days=MAX_FOLLOW_UP_DAYS):
        raise WorkLogError(f"跟进日期须在记录日之后 {MAX_FOLLOW_UP_DAYS} 天以内 / the follow-up date must be after the "
                           f"day of the entry and within {MAX_FOLLOW_UP_DAYS} days, got {entry.follow_up_on}")
    if entry.campaign_id is not None:
        m = repositories.get_campaign_member(session, campaign_id=entry.campaign_id, customer_id=customer["customer_id"])
        if m is None or m.assigned_to != staff_id:
            raise NotFound("任务", "task", f"{entry.campaign_id}/{customer['customer_id']}")
    earlier_visit = bool(workbench_repositories.first_contacts(session, kinds=VISIT_KINDS,
                                                     customer_ids=[customer["customer_id"]]))
    contact = record_contact(
        session, customer_id=customer["customer_id"], kind=kind, channel=KINDS[kind], staff_id=staff_id,
        recorded_by=principal.username, at=at, outcome=outcome,
        note=_one_line(entry.note, 2000, "内容", "note"), follow_up_on=entry.follow_up_on,
        campaign_id=entry.campaign_id, branch_id=customer["branch_id"],
        place=_one_line(entry.place, 200, "地点", "place"), purpose=purpose,
        next_step=_one_line(entry.next_step, 500, "下一步", "next step"), source=source)
    repositories.record_audit(session, actor=principal.username, action="work_log",
                              target=f"customer:{customer['customer_id']}",
                              details={"contact_id": contact.id, "kind": kind, "source": source, "ip": ip,
                                       "campaign_id": entry.campaign_id})
    counts_as = None
    if kind in VISIT_KINDS:
        # New when no visit was recorded for the customer before this one (a back-dated entry is judged the same).
        counts_as = "existing_visit" if earlier_visit else "new_visit"
    elif kind in CALL_KINDS:
        counts_as = "call"
    return {"id": contact.id, "customer_id": contact.customer_id, "kind": kind, "at": at, "counts_as": counts_as}


def _log_row(c: Contact, names: Any, labels: dict[str, str | None]) -> LogRow:
    return {"id": c.id, "at": c.at, "kind": c.kind, "customer_id": c.customer_id, "name": labels.get(c.customer_id),
            "staff_id": c.staff_id, "staff_name": names.of("staff", c.staff_id), "place": c.place,
            "purpose": c.purpose, "outcome": c.outcome, "note": c.note, "next_step": c.next_step,
            "follow_up_on": c.follow_up_on, "campaign_id": c.campaign_id, "source": c.source}


#: The dates a filter may name: anything outside is a typing mistake (and would overflow the time zone shift).
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


def _in_range(day: date | None, what: str) -> None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise WorkLogError(f"{what}须在 {EARLIEST} 至 {LATEST} 之间 / {what}: between {EARLIEST} and {LATEST}, got {day}")


def _filters(serving: Serving, *, date_from: date | None, date_to: date | None, kind: str | None
             ) -> tuple[tuple[str, ...], datetime | None, datetime | None]:
    _in_range(date_from, "开始日期 from")
    _in_range(date_to, "结束日期 to")
    if date_from and date_to and date_from > date_to:
        raise WorkLogError(f"开始日期 {date_from} 晚于结束日期 {date_to} / the start {date_from} is after the end {date_to}")
    kinds = (_choice(kind, KINDS, "方式", "kind"),) if kind else tuple(KINDS)
    tz = serving.ws.settings.bank.timezone
    return (kinds, start_of(date_from, tz) if date_from else None,
            start_of(date_to + timedelta(days=1), tz) if date_to else None)


def list_log(session: Session, serving: Serving, principal: Principal, *, date_from: date | None = None,
             date_to: date | None = None, kind: str | None = None, customer_id: str | None = None, page: int = 1,
             page_size: int = 20) -> Page[LogRow]:
    """The principal's own entries, newest first, of the bank days ``date_from`` … ``date_to``; names masked."""
    require(principal, "record_visit")
    page, page_size = clamp_page(page, page_size)
    kinds, since, until = _filters(serving, date_from=date_from, date_to=date_to, kind=kind)
    if principal.staff_id is None:
        return Page([], page, page_size, 0)
    rows, total = workbench_repositories.list_work_log(session, kinds=kinds, staff_id=principal.staff_id,
                                             customer_id=(customer_id or "").strip() or None, since=since,
                                             until=until, limit=page_size, offset=(page - 1) * page_size)
    labels = _labels(serving, principal, [c.customer_id for c in rows])
    names = load_names(serving.ws)
    return Page([_log_row(c, names, labels) for c in rows], page, page_size, total)


LOG_COLUMNS = ("时间 time", "方式 kind", "客户号 customer id", "姓名 name", "地点 place", "目的 purpose", "内容 note",
               "结果 outcome", "下一步 next step", "跟进日期 follow-up on", "营销活动 campaign", "客户经理 manager")


def export_log(session: Session, serving: Serving, principal: Principal, *, date_from: date | None = None,
               date_to: date | None = None, kind: str | None = None, customer_id: str | None = None,
               ip: str | None = None) -> tuple[bytes, int]:
    """The list of the filter (every page) as a workbook: names masked, labels not codes, audited."""
    require(principal, "record_visit")
    require(principal, "export_list")
    kinds, since, until = _filters(serving, date_from=date_from, date_to=date_to, kind=kind)
    rows: list[Contact] = []
    if principal.staff_id is not None:
        rows, n = workbench_repositories.list_work_log(session, kinds=kinds, staff_id=principal.staff_id,
                                             customer_id=(customer_id or "").strip() or None, since=since,
                                             until=until, limit=MAX_EXPORT_ROWS + 1)
        if n > MAX_EXPORT_ROWS:
            raise WorkLogError(f"一次最多导出 {MAX_EXPORT_ROWS:,} 行，当前 {n:,} 行，请缩小日期范围 / at most "
                               f"{MAX_EXPORT_ROWS:,} rows can be exported, the filter has {n:,}: narrow the dates")
    tz = serving.ws.settings.bank.timezone
    labels = _labels(serving, principal, [c.customer_id for c in rows])
    names = load_names(serving.ws)
    out = [dict(zip(LOG_COLUMNS, (
        formats.moment(c.at, tz), _KIND_WORDS.get(c.kind, c.kind), c.customer_id, labels.get(c.customer_id),
        c.place, _PURPOSE_WORDS.get(c.purpose or "", c.purpose), c.note, _OUTCOME_WORDS.get(c.outcome or "", c.outcome),
        c.next_step, c.follow_up_on, c.campaign_id, names.of("staff", c.staff_id) or c.staff_id), strict=True))
        for c in rows]
    filters = {"date_from": date_from.isoformat() if date_from else None,
               "date_to": date_to.isoformat() if date_to else None, "kind": kind or None,
               "customer_id": customer_id or None}
    repositories.record_audit(session, actor=principal.username, action="export_list", target="work_log",
                              details={**filters, "rows": len(out), "columns": list(LOG_COLUMNS), "masked": True,
                                       "ip": ip, "snapshot": serving.build_id})
    content = list_workbook("工作日志 work log", LOG_COLUMNS, out, build_id=serving.build_id,
                            exported_by=principal.username,
                            about=[["筛选 filter", str({k: v for k, v in filters.items() if v})]])
    return content, len(out)


def standard_days(session: Session, serving: Serving, principal: Principal, days: list[date]) -> list[StandardDay]:
    """The principal's daily standard on each of ``days`` (bank days): new and existing visits, calls, targets."""
    require(principal, "record_visit")
    settings = serving.ws.settings.workbench
    target = settings.daily_standard
    tz = serving.ws.settings.bank.timezone
    counts: dict[date, dict[str, int]] = {d: {"new_visits": 0, "existing_visits": 0, "calls": 0} for d in days}
    if principal.staff_id is not None and days:
        rows, _ = workbench_repositories.list_work_log(session, kinds=(*VISIT_KINDS, *CALL_KINDS), staff_id=principal.staff_id,
                                             since=start_of(min(days), tz),
                                             until=start_of(max(days) + timedelta(days=1), tz), limit=None)
        visited = [c.customer_id for c in rows if c.kind in VISIT_KINDS]
        first = workbench_repositories.first_contacts(session, kinds=VISIT_KINDS, customer_ids=visited) if visited else {}
        for c in rows:
            day = formats.local(c.at, tz).date()
            if day not in counts:
                continue
            if c.kind in CALL_KINDS:
                counts[day]["calls"] += 1
            elif first.get(c.customer_id) is not None and _same(first[c.customer_id], c.at):
                counts[day]["new_visits"] += 1
            else:
                counts[day]["existing_visits"] += 1
    out: list[StandardDay] = []
    for d in days:
        work = settings.is_working_day(d)
        n = counts[d]
        goal = (target.new_visits, target.existing_visits, target.calls) if work else (0, 0, 0)
        out.append({"day": d, "working_day": work, **n,  # type: ignore[typeddict-item]
                    "new_visits_target": goal[0], "existing_visits_target": goal[1], "calls_target": goal[2],
                    "met": n["new_visits"] >= goal[0] and n["existing_visits"] >= goal[1] and n["calls"] >= goal[2]})
    return out


def _same(a: datetime, b: datetime) -> bool:
    """Two moments read back from the database (naive UTC on SQLite, aware on PostgreSQL) are the same."""
    return (a if a.tzinfo else a.replace(tzinfo=UTC)) == (b if b.tzinfo else b.replace(tzinfo=UTC))


def week_days(today: date) -> list[date]:
    """Monday of ``today``'s week up to ``today``."""
    return [today - timedelta(days=i) for i in range(today.weekday(), -1, -1)]


def form_customer(serving: Serving, principal: Principal, customer_id: str) -> dict[str, Any]:
    """The customer a new entry is for, as the form heads it (masked name, tier); NotFound outside the scope."""
    require(principal, "record_visit")
    row = customer_row(serving, principal, customer_id.strip())
    t = serving.table("customer_360")
    t = t.filter(t.customer_id == row["customer_id"]).select("customer_id", "kind", "name", "tier")
    return serving.query(mask_table(principal, t))[0]
