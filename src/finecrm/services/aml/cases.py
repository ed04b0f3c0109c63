"""Alerts → cases → reports (预警研判、立案、可疑交易报告), in the operational database.

An officer triages an alert of the snapshot (``aml_alerts``): dismisses it with a reason, opens a case with it,
or adds it to an open case; a dismissed alert can be reopened with a reason. A case gathers alerts and their
parties, notes and a deadline (``aml.cases.deadline_working_days``, Monday to Friday). The decision — report as
suspicious, with the report's narrative, or close without a report, with the reason — is proposed by one officer
and approved by another, never the same person: closing without a report lowers risk as much as reporting raises
the bank's. A decided case is kept until ``retain_until`` (``aml.cases.retention_years`` after the decision);
nothing in the product deletes a case. Every step is audited.

Services never commit: the route that calls these owns the transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import ibis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finecrm.authz import Principal, insider_filter, require, scope_alerts, scope_customers
from finecrm.authz.errors import Forbidden, NotFound
from finecrm.core import formats
from finecrm.core.clock import utc
from finecrm.core.settings import AmlCaseSettings
from finecrm.db import repositories
from finecrm.db.models import AlertTriage, AmlCase, CaseEvent
from finecrm.services.aml import alerts as aml
from finecrm.services.aml.inputs import CaseDecision, CaseNote, CaseProposal, Triage
from finecrm.services.aml.outputs import AlertRow, CaseEventRow, CaseFile, CaseRow, PartyRow, TriageState
from finecrm.services.common import Page, clamp_page
from finecrm.services.exports import add_about, sheet, to_bytes
from finecrm.services.snapshot.serving import Serving

ACTION = "work_case"
OPEN, PROPOSED, REPORTED, CLOSED = "open", "proposed", "reported", "closed"
STATUSES = {
    OPEN: ("调查中", "under investigation"),
    PROPOSED: ("待复核", "awaiting approval"),
    REPORTED: ("已上报", "reported"),
    CLOSED: ("不上报结案", "closed without a report"),
}
DECISIONS = {"report": ("上报可疑交易", "report as suspicious"), "no_report": ("不上报，结案", "close without a report")}


class CaseError(aml.AmlError):
    """A step on an alert or a case that cannot be taken as asked (the message says why, in both languages)."""


def _iso(at: datetime | None) -> str | None:
    u = None if at is None else utc(at)
    return u.isoformat() if u is not None else None


def add_working_days(start: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``start``. Public holidays are not known to the product:
    a bank that needs them sets a longer deadline."""
    d = start
    while days > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            days -= 1
    return d


def _audit(session: Session, principal: Principal, action: str, case_id: int | None, alert_id: str | None = None,
           reason: str | None = None, **details: Any) -> None:
    target = f"aml_case:{case_id}" if case_id is not None else f"aml_alert:{alert_id}"
    repositories.record_audit(session, actor=principal.username, action=action, target=target, reason=reason,
                              details={k: v for k, v in {"alert": alert_id, **details}.items() if v is not None})


# --- alerts ----------------------------------------------------------------------------------------------------

def triage_states(session: Session, alert_ids: list[str]) -> dict[str, TriageState]:
    """The latest triage decision of each alert (absent: new)."""
    if not alert_ids:
        return {}
    out: dict[str, TriageState] = {}
    for t in session.scalars(select(AlertTriage).where(AlertTriage.alert_id.in_(alert_ids)).order_by(AlertTriage.id)):
        state = {"dismissed": "dismissed", "case": "case", "reopened": "new"}[t.decision]
        out[t.alert_id] = {"state": state, "case_id": t.case_id if state == "case" else None, "reason": t.reason,
                           "by": t.by, "at": _iso(t.at)}
    return out


def _new_state() -> TriageState:
    return {"state": "new", "case_id": None, "reason": None, "by": None, "at": None}


def triage(session: Session, serving: Serving, principal: Principal, alert_id: str, given: Triage,
           settings: AmlCaseSettings, *, tz: str | None = None, now: datetime | None = None) -> TriageState:
    """Dismiss an alert, open a case with it, add it to an open case, or reopen it; audited."""
    require(principal, ACTION)
    row = aml.alert(serving, principal, alert_id)["alert"]  # in scope, or NotFound
    state = triage_states(session, [alert_id]).get(alert_id, _new_state())
    at = now or datetime.now(UTC)
    reason = given.reason.strip() or None
    if given.action == "reopen":
        if state["state"] != "dismissed":
            raise CaseError("只有已排除的预警可以重开 / only a dismissed alert can be reopened")
        if not reason or len(reason) < 4:
            raise CaseError("重开须写明原因 / reopening needs a reason")
        session.add(AlertTriage(alert_id=alert_id, rule=row["rule"], customer_id=row["customer_id"],
                                branch_id=row["branch_id"], decision="reopened", reason=reason, by=principal.username,
                                at=at))
        _audit(session, principal, "aml_alert_reopened", None, alert_id, reason, rule=row["rule"])
        session.flush()
        return triage_states(session, [alert_id])[alert_id]
    if state["state"] != "new":
        raise CaseError("预警已研判（已排除或已立案）/ the alert has been triaged already (dismissed or in a case)")
    if given.action == "dismiss":
        if not reason or len(reason) < 4:
            raise CaseError("排除须写明原因（至少几个字）/ dismissing needs a reason (at least a few words)")
        session.add(AlertTriage(alert_id=alert_id, rule=row["rule"], customer_id=row["customer_id"],
                                branch_id=row["branch_id"], decision="dismissed", reason=reason,
                                by=principal.username, at=at))
        _audit(session, principal, "aml_alert_dismissed", None, alert_id, reason, rule=row["rule"])
    else:
        if given.action == "open_case":
            title = given.title.strip()
            if len(title) < 2:
                raise CaseError("请填写案件名称 / give the case a title")
            case = AmlCase(title=title, status=OPEN, customer_id=row["customer_id"], branch_id=row["branch_id"],
                           opened_by=principal.username, opened_at=at,
                           due_on=add_working_days(formats.today(tz), settings.deadline_working_days))
            session.add(case)
            session.flush()
            session.add(CaseEvent(case_id=case.id, kind="opened", text=title, by=principal.username, at=at))
            _audit(session, principal, "aml_case_opened", case.id, alert_id, title=title, due_on=str(case.due_on))
        else:
            if given.case_id is None:
                raise CaseError("请选择案件 / choose the case")
            case = _case(session, serving, principal, given.case_id)
            if case.status != OPEN:
                raise CaseError("只能加入调查中的案件 / alerts join only a case under investigation")
        session.add(AlertTriage(alert_id=alert_id, rule=row["rule"], customer_id=row["customer_id"],
                                branch_id=row["branch_id"], decision="case", case_id=case.id, reason=reason,
                                by=principal.username, at=at))
        session.add(CaseEvent(case_id=case.id, kind="alert_added", alert_id=alert_id, by=principal.username, at=at))
        _audit(session, principal, "aml_alert_to_case", case.id, alert_id, reason, rule=row["rule"])
    session.flush()
    return triage_states(session, [alert_id])[alert_id]


# --- cases -----------------------------------------------------------------------------------------------------

def _case(session: Session, serving: Serving, principal: Principal, case_id: int) -> AmlCase:
    require(principal, ACTION)
    case = session.get(AmlCase, case_id)
    if case is None or case_id in hidden_cases(session, serving, principal):
        raise NotFound("案件", "case", str(case_id))
    return case


def hidden_cases(session: Session, serving: Serving, principal: Principal) -> set[int]:
    """Cases holding an alert on ``principal`` or a colleague of their outlet: such a case does not exist for
    them (404), as the alert does not (authz.insider_filter)."""
    if not serving.has_table(aml.ALERTS):
        return set()
    t = scope_customers(principal, serving.table(aml.ALERTS))
    pred = insider_filter(principal, t)
    if pred is None:
        return set()
    hidden = {r["alert_id"] for r in serving.query(t.filter(~pred).select("alert_id"))}
    if not hidden:
        return set()
    rows = session.execute(select(AlertTriage.alert_id, AlertTriage.decision, AlertTriage.case_id)
                           .where(AlertTriage.alert_id.in_(sorted(hidden))).order_by(AlertTriage.id))
    latest: dict[str, int | None] = {}
    for alert_id, decision, cid in rows:
        latest[alert_id] = cid if decision == "case" else None
    return {cid for cid in latest.values() if cid is not None}


def _alert_ids(session: Session, case_id: int) -> list[str]:
    rows = session.execute(select(AlertTriage.alert_id, AlertTriage.decision, AlertTriage.case_id)
                           .order_by(AlertTriage.id))
    latest: dict[str, int | None] = {}
    for alert_id, decision, cid in rows:
        latest[alert_id] = cid if decision == "case" else None
    return sorted(a for a, cid in latest.items() if cid == case_id)


def _row(case: AmlCase, alerts: int, tz: str | None = None) -> CaseRow:
    return {
        "id": case.id, "title": case.title, "status": case.status, "customer_id": case.customer_id,
        "branch_id": case.branch_id, "opened_by": case.opened_by, "opened_at": _iso(case.opened_at) or "",
        "due_on": case.due_on.isoformat(), "overdue": case.status in (OPEN, PROPOSED) and case.due_on < formats.today(tz),
        "alerts": alerts, "proposal": case.proposal, "proposal_text": case.proposal_text,
        "proposed_by": case.proposed_by, "proposed_at": _iso(case.proposed_at), "decided_by": case.decided_by,
        "decided_at": _iso(case.decided_at), "decision_note": case.decision_note,
        "retain_until": case.retain_until.isoformat() if case.retain_until else None,
    }


def list_cases(session: Session, serving: Serving, principal: Principal, *, status: str | None = None,
               page: int = 1, page_size: int = 20, tz: str | None = None) -> Page[CaseRow]:
    """Cases, the nearest deadline first (decided ones: the latest decision first)."""
    require(principal, ACTION)
    if status and status not in STATUSES:
        raise CaseError(f"状态只能是 {', '.join(STATUSES)} / status must be one of {', '.join(STATUSES)}")
    q = select(AmlCase)
    hidden = hidden_cases(session, serving, principal)
    if hidden:
        q = q.where(AmlCase.id.not_in(sorted(hidden)))
    if status:
        q = q.where(AmlCase.status == status)
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    page, page_size = clamp_page(page, page_size)
    cases = list(session.scalars(q.order_by(AmlCase.status.in_((REPORTED, CLOSED)), AmlCase.due_on, AmlCase.id)
                                 .limit(page_size).offset((page - 1) * page_size)))
    counts = {c.id: len(_alert_ids(session, c.id)) for c in cases}
    return Page([_row(c, counts[c.id], tz) for c in cases], page, page_size, total)


def open_cases(session: Session, serving: Serving, principal: Principal) -> list[CaseRow]:
    """The cases an alert can still join (under investigation), newest first."""
    require(principal, ACTION)
    hidden = hidden_cases(session, serving, principal)
    cases = session.scalars(select(AmlCase).where(AmlCase.status == OPEN).order_by(AmlCase.id.desc()).limit(100))
    return [_row(c, 0) for c in cases if c.id not in hidden]


def case_file(session: Session, serving: Serving, principal: Principal, case_id: int,
              tz: str | None = None) -> CaseFile:
    """A case with its alerts as the snapshot has them, every party of those alerts, and its history."""
    case = _case(session, serving, principal, case_id)
    ids = _alert_ids(session, case_id)
    alerts: list[AlertRow] = []
    parties: list[PartyRow] = []
    if ids and serving.has_table(aml.ALERTS):
        t = scope_alerts(principal, serving.table(aml.ALERTS))
        alerts = cast(list[AlertRow], serving.query(t.filter(t.alert_id.isin(ids)).select(*aml.ALERT_COLUMNS)
                                                    .order_by([ibis.desc("score"), "alert_id"])))
        if serving.has_table(aml.PARTIES):
            p = serving.table(aml.PARTIES)
            seen: set[str] = set()
            for r in serving.query(p.filter(p.alert_id.isin(ids)).select(
                    "party_id", "role", "party_type", "account_id", "customer_id", "staff_id", "in_bank")
                    .order_by(["role", "party_id"])):
                if r["party_id"] not in seen:  # a party of several alerts is listed once
                    seen.add(r["party_id"])
                    parties.append(cast(PartyRow, r))
    events: list[CaseEventRow] = [
        {"id": e.id, "kind": e.kind, "alert_id": e.alert_id, "text": e.text, "by": e.by, "at": _iso(e.at) or ""}
        for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))]
    return {"snapshot": serving.build_id, "case": _row(case, len(ids), tz), "alerts": alerts, "parties": parties,
            "events": events}


def note(session: Session, serving: Serving, principal: Principal, case_id: int, given: CaseNote, *,
         now: datetime | None = None) -> None:
    case = _case(session, serving, principal, case_id)
    if case.status in (REPORTED, CLOSED):
        raise CaseError("案件已结案，不能再记录 / the case is decided: no more notes")
    session.add(CaseEvent(case_id=case.id, kind="note", text=given.text, by=principal.username,
                          at=now or datetime.now(UTC)))
    _audit(session, principal, "aml_case_note", case.id, reason=given.text[:200])
    session.flush()


def propose(session: Session, serving: Serving, principal: Principal, case_id: int, given: CaseProposal, *,
            now: datetime | None = None) -> None:
    """Propose the case's decision; it waits for a second officer."""
    case = _case(session, serving, principal, case_id)
    if case.status != OPEN:
        raise CaseError("只有调查中的案件可以提出处理意见 / a decision is proposed only for a case under investigation")
    if not _alert_ids(session, case_id):
        raise CaseError("案件中没有预警 / the case holds no alert")
    at = now or datetime.now(UTC)
    case.status, case.proposal, case.proposal_text = PROPOSED, given.decision, given.text
    case.proposed_by, case.proposed_at = principal.username, at
    session.add(CaseEvent(case_id=case.id, kind="proposed", text=f"{given.decision}: {given.text}",
                          by=principal.username, at=at))
    _audit(session, principal, "aml_case_proposed", case.id, reason=given.text[:200], decision=given.decision)
    session.flush()


def decide(session: Session, serving: Serving, principal: Principal, case_id: int, given: CaseDecision, settings: AmlCaseSettings,
           *, tz: str | None = None, now: datetime | None = None) -> None:
    """A second officer approves the proposal (the case is reported or closed and kept for the retention period)
    or sends it back for more investigation. The proposer cannot decide."""
    case = _case(session, serving, principal, case_id)
    if case.status != PROPOSED:
        raise CaseError("案件没有待复核的处理意见 / the case has no proposal awaiting approval")
    if case.proposed_by == principal.username:
        raise Forbidden(ACTION, username=principal.username, zh="不能复核本人提出的处理意见（须另一人复核）",
                        en="you cannot approve your own proposal: a second officer decides")
    at = now or datetime.now(UTC)
    case.decided_by, case.decided_at, case.decision_note = principal.username, at, given.note
    if given.approve:
        case.status = REPORTED if case.proposal == "report" else CLOSED
        decided_on = formats.today(tz)
        try:
            case.retain_until = decided_on.replace(year=decided_on.year + settings.retention_years)
        except ValueError:  # 29 February
            case.retain_until = decided_on.replace(year=decided_on.year + settings.retention_years, day=28)
        kind, action = "approved", "aml_case_approved"
    else:
        case.status, kind, action = OPEN, "rejected", "aml_case_rejected"
    session.add(CaseEvent(case_id=case.id, kind=kind, text=given.note, by=principal.username, at=at))
    _audit(session, principal, action, case.id, reason=given.note, decision=case.proposal,
           proposed_by=case.proposed_by, status=case.status)
    session.flush()


def report_workbook(session: Session, serving: Serving, principal: Principal, case_id: int) -> bytes:
    """The suspicious-transaction report of a reported case as .xlsx: the case and its narrative, the parties,
    the alerts with their evidence and the transactions they name. Needs export_list; audited."""
    require(principal, "export_list")
    data = case_file(session, serving, principal, case_id)
    c = data["case"]
    if c["status"] != REPORTED:
        raise CaseError("只有已上报的案件可以导出报告 / only a reported case has a report to export")
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = sheet(wb, "可疑交易报告 report")
    for k, v in (("案件 case", c["id"]), ("名称 title", c["title"]), ("主要客户 customer", c["customer_id"]),
                 ("机构 branch", c["branch_id"]), ("立案 opened", c["opened_at"]), ("提出 proposed by", c["proposed_by"]),
                 ("复核 approved by", c["decided_by"]), ("复核时间 approved at", c["decided_at"]),
                 ("保存至 kept until", c["retain_until"]), ("报告正文 narrative", c["proposal_text"])):
        ws.append([k, v])
    ps = sheet(wb, "涉及主体 parties")
    ps.append(["party_id", "role", "party_type", "account_id", "customer_id", "staff_id", "in_bank"])
    for p in data["parties"]:
        ps.append([p["party_id"], p["role"], p["party_type"], p["account_id"], p["customer_id"], p["staff_id"],
                   p["in_bank"]])
    al = sheet(wb, "预警 alerts")
    al.append(["alert_id", "rule", "customer_id", "account_id", "first_date", "last_date", "amount_in", "amount_out",
               "score", "evidence_zh", "evidence_en"])
    txns: list[tuple[str, str]] = []
    for a in data["alerts"]:
        al.append([a["alert_id"], a["rule"], a["customer_id"], a["account_id"], a["first_date"], a["last_date"],
                   a["amount_in"], a["amount_out"], a["score"], a["evidence_zh"], a["evidence_en"]])
        detail = aml.alert(serving, principal, a["alert_id"])
        txns += [(a["alert_id"], x) for x in detail["txn_ids"]]
    ts = sheet(wb, "交易 transactions")
    ts.append(["alert_id", "txn_id"])
    for row in txns:
        ts.append(list(row))
    add_about(wb, build_id=serving.build_id, exported_by=principal.username)
    _audit(session, principal, "aml_report_exported", case_id, parties=len(data["parties"]), alerts=len(data["alerts"]),
           transactions=len(txns))
    return to_bytes(wb)
