"""Loan early warnings (贷款风险预警) and the work on them: the queue, one warning's file, and its steps.

The warnings are the published snapshot's ``credit_warnings`` mart (rules in docs/credit.md), restricted to the
principal's scope by ``authz`` like every customer table (by branch for risk officers and branch heads). The
work on them lives in the operational database (``WarningStep``, appended, never changed): a risk officer takes
a warning (or gives it to a colleague who may work warnings), notes what was found, and closes it with an
outcome and a reason — or reopens it with a reason. Every step is audited. The mart's ids name the rule, the
loan (or borrower or grid) and the day, so the work stays attached to a warning from build to build.

Services never commit: the route that calls these owns the transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import ibis
from sqlalchemy import select
from sqlalchemy.orm import Session

from finecrm.authz import Principal, allowed, require, scope_customers
from finecrm.authz.errors import NotFound
from finecrm.authz.roles import get_role
from finecrm.core.clock import utc
from finecrm.core.errors import FinecrmError
from finecrm.db import repositories
from finecrm.db.models import WarningStep
from finecrm.engine.labels import CREDIT_WARNINGS
from finecrm.services.common import Page, clamp_page
from finecrm.services.credit.inputs import WarningStepInput
from finecrm.services.credit.outputs import WarningFile, WarningRow, WarningStepRow
from finecrm.services.exports import MAX_EXPORT_ROWS, list_workbook
from finecrm.services.snapshot.serving import Serving

MART = "credit_warnings"
VIEW, WORK = "view_early_warnings", "work_early_warnings"
OPEN, TAKEN, CLOSED = "open", "taken", "closed"
STATUSES = {OPEN: ("待处置", "open"), TAKEN: ("处置中", "being worked"), CLOSED: ("已关闭", "closed")}
OUTCOMES = {
    "resolved": ("风险已化解", "resolved"),
    "no_risk": ("核实无风险", "checked: no risk"),
    "to_collections": ("转入催收", "handed to collections"),
    "other": ("其他", "other"),
}
COLUMNS = ("warning_id", "rule", "loan_id", "customer_id", "grid_id", "branch_id", "manager_id", "warning_date",
           "exposure", "params", "evidence_zh", "evidence_en")
SORTS = ("warning_date", "exposure", "rule")


class WarningError(FinecrmError):
    """A request about warnings that cannot be done as asked (the message says why, in both languages)."""


def _mart(serving: Serving, principal: Principal) -> ibis.Table:
    require(principal, VIEW)
    if not serving.has_table(MART):
        raise WarningError("快照中还没有贷款风险预警：请先构建 / the snapshot has no loan early warnings yet: build first")
    return scope_customers(principal, serving.table(MART))


def _state(session: Session, ids: list[str] | None = None) -> dict[str, tuple[str, str | None]]:
    """warning_id → (status, assignee) from the steps (of ``ids``, or of every warning anyone worked)."""
    q = select(WarningStep.warning_id, WarningStep.step, WarningStep.assignee).order_by(WarningStep.id)
    if ids is not None:
        if not ids:
            return {}
        q = q.where(WarningStep.warning_id.in_(ids))
    state: dict[str, tuple[str, str | None]] = {}
    for wid, step, assignee in session.execute(q):
        status, who = state.get(wid, (OPEN, None))
        if step == "assign":
            status, who = (status if status == CLOSED else TAKEN), assignee
        elif step == "close":
            status = CLOSED
        elif step == "reopen":
            status = TAKEN if who else OPEN
        state[wid] = (status, who)
    return state


def _row(r: dict[str, Any], state: dict[str, tuple[str, str | None]]) -> WarningRow:
    status, who = state.get(r["warning_id"], (OPEN, None))
    return cast(WarningRow, {**{c: r.get(c) for c in COLUMNS}, "warning_date": str(r["warning_date"]),
                             "exposure": round(float(r["exposure"] or 0), 2), "status": status, "assignee": who})


def _filtered(session: Session, serving: Serving, principal: Principal, *, rule: str | None, status: str | None,
              mine: bool) -> tuple[ibis.Table, dict[str, tuple[str, str | None]]]:
    t = _mart(serving, principal)
    if rule:
        if rule not in CREDIT_WARNINGS:
            raise WarningError(f"规则只能是 {', '.join(CREDIT_WARNINGS)} / rule must be one of "
                               f"{', '.join(CREDIT_WARNINGS)}")
        t = t.filter(t.rule == rule)
    if status and status not in STATUSES:
        raise WarningError(f"状态只能是 {', '.join(STATUSES)} / status must be one of {', '.join(STATUSES)}")
    # The worked warnings are few next to the snapshot's: their ids filter the mart.
    state = _state(session)
    by_status = {s: [w for w, (st, _) in state.items() if st == s] for s in STATUSES}
    if status == OPEN:
        t = t.filter(~t.warning_id.isin(by_status[TAKEN] + by_status[CLOSED] or ["\0"]))
    elif status in (TAKEN, CLOSED):
        t = t.filter(t.warning_id.isin(by_status[status] or ["\0"]))
    if mine:
        t = t.filter(t.warning_id.isin([w for w, (st, who) in state.items()
                                        if who == principal.username and st != CLOSED] or ["\0"]))
    return t, state


def browse(session: Session, serving: Serving, principal: Principal, *, rule: str | None = None,
           status: str | None = None, mine: bool = False, sort: str = "-exposure", page: int = 1,
           page_size: int = 20) -> Page[WarningRow]:
    """The warnings in scope, filtered by rule, state (open, taken, closed) or taken by me, and sorted."""
    t, state = _filtered(session, serving, principal, rule=rule, status=status, mine=mine)
    column = sort.lstrip("-")
    if column not in SORTS:
        raise WarningError(f"排序只能按 {', '.join(SORTS)} / sort by one of {', '.join(SORTS)}")
    order = ibis.desc(column) if sort.startswith("-") else ibis.asc(column)
    page, page_size = clamp_page(page, page_size)
    total = int(serving.scalar(t.count()) or 0)
    rows = serving.query(t.select(*COLUMNS).order_by([order, "warning_id"])
                         .limit(page_size, offset=(page - 1) * page_size))
    return Page([_row(r, state) for r in rows], page, page_size, total)


def counts(session: Session, serving: Serving, principal: Principal) -> dict[str, dict[str, int]]:
    """Per rule, how many warnings in scope are open, being worked and closed (the queue's header)."""
    t = _mart(serving, principal)
    state = _state(session)
    out: dict[str, dict[str, int]] = {r: {s: 0 for s in STATUSES} for r in CREDIT_WARNINGS}
    for r in serving.query(t.select("warning_id", "rule")):
        out[r["rule"]][state.get(r["warning_id"], (OPEN, None))[0]] += 1
    return out


def _one(serving: Serving, principal: Principal, warning_id: str) -> dict[str, Any]:
    t = _mart(serving, principal)
    rows = serving.query(t.filter(t.warning_id == warning_id).select(*COLUMNS).limit(1))
    if not rows:  # absent and out of scope answer alike: nothing tells a warning exists elsewhere
        raise NotFound(f"预警 {warning_id} 不存在或不在您的权限范围内 / warning {warning_id} does not exist or is "
                       "outside your scope")
    return rows[0]


def _steps(session: Session, warning_id: str) -> list[WarningStepRow]:
    rows = session.scalars(select(WarningStep).where(WarningStep.warning_id == warning_id).order_by(WarningStep.id))
    return [{"id": s.id, "step": s.step, "assignee": s.assignee, "outcome": s.outcome, "note": s.note, "by": s.by,
             "at": utc(s.at).isoformat()} for s in rows]


def warning_file(session: Session, serving: Serving, principal: Principal, warning_id: str) -> WarningFile:
    """One warning with every step of the work on it."""
    row = _one(serving, principal, warning_id)
    return {"snapshot": serving.build_id, "warning": _row(row, _state(session, [warning_id])),
            "steps": _steps(session, warning_id)}


def for_loan(session: Session, serving: Serving, principal: Principal, loan_id: str,
             customer_id: str | None) -> list[WarningRow]:
    """The warnings about a loan or its borrower (shown on the loan's file); none without the view action."""
    if not allowed(principal, VIEW) or not serving.has_table(MART):
        return []
    t = _mart(serving, principal)
    cond = t.loan_id == loan_id
    if customer_id:
        cond = cond | (t.loan_id.isnull() & (t.customer_id == customer_id))
    rows = serving.query(t.filter(cond).select(*COLUMNS).order_by(ibis.desc("warning_date")))
    state = _state(session, [r["warning_id"] for r in rows])
    return [_row(r, state) for r in rows]


def _may_work(session: Session, username: str) -> bool:
    u = repositories.get_user(session, username=username)
    if u is None or not u.active:
        return False
    granted = (set(get_role(u.role).grants) | set(u.extra_actions or [])) - set(u.denied_actions or [])
    return WORK in granted


def act(session: Session, serving: Serving, principal: Principal, warning_id: str, given: WarningStepInput, *,
        now: datetime | None = None) -> WarningFile:
    """Take a step on a warning in scope: assign, note, close (outcome and reason) or reopen (reason); audited."""
    require(principal, WORK)
    row = _one(serving, principal, warning_id)
    status, who = _state(session, [warning_id]).get(warning_id, (OPEN, None))
    note = given.note.strip()
    assignee = None
    if given.step == "assign":
        assignee = (given.assignee or "").strip().lower() or principal.username
        if status == CLOSED:
            raise WarningError("预警已关闭：先重开再指派 / the warning is closed: reopen it before assigning")
        if assignee != principal.username and not _may_work(session, assignee):
            raise WarningError(f"用户 {assignee} 不存在、已停用或无权处置预警 / user {assignee} does not exist, is "
                               "disabled or may not work warnings")
    elif given.step == "note":
        if len(note) < 2:
            raise WarningError("请填写说明 / write the note")
    elif given.step == "close":
        if status == CLOSED:
            raise WarningError("预警已关闭 / the warning is already closed")
        if given.outcome is None or len(note) < 4:
            raise WarningError("关闭须选择处置结果并填写原因（至少几个字）/ closing needs an outcome and a reason "
                               "(at least a few words)")
    elif given.step == "reopen":
        if status != CLOSED:
            raise WarningError("只有已关闭的预警可以重开 / only a closed warning can be reopened")
        if len(note) < 4:
            raise WarningError("重开须填写原因 / reopening needs a reason")
    at = now or datetime.now(UTC)
    session.add(WarningStep(warning_id=warning_id, rule=row["rule"], branch_id=row["branch_id"], step=given.step,
                            assignee=assignee, outcome=given.outcome if given.step == "close" else None,
                            note=note or None, by=principal.username, at=at))
    repositories.record_audit(
        session, actor=principal.username, action=f"credit_warning_{given.step}", target=f"warning:{warning_id}",
        reason=note or None,
        details={"rule": row["rule"], "loan": row["loan_id"], "customer": row["customer_id"], "grid": row["grid_id"],
                 "assignee": assignee, "outcome": given.outcome if given.step == "close" else None,
                 "was": status, "previous_assignee": who, "snapshot": serving.build_id})
    session.flush()
    return warning_file(session, serving, principal, warning_id)


EXPORT_COLUMNS = ("warning_id", "rule", "rule_zh", "status", "assignee", "loan_id", "customer_id", "grid_id",
                  "branch_id", "manager_id", "warning_date", "exposure", "evidence_zh", "evidence_en")


def export(session: Session, serving: Serving, principal: Principal, *, rule: str | None = None,
           status: str | None = None, mine: bool = False, ip: str | None = None) -> tuple[bytes, int]:
    """The filtered queue (every page, at most MAX_EXPORT_ROWS) as .xlsx; needs export_list; audited."""
    require(principal, "export_list")
    t, state = _filtered(session, serving, principal, rule=rule, status=status, mine=mine)
    rows = serving.query(t.select(*COLUMNS).order_by([ibis.desc("exposure"), "warning_id"]).limit(MAX_EXPORT_ROWS))
    out = [{**_row(r, state), "rule_zh": CREDIT_WARNINGS[r["rule"]][0]} for r in rows]
    content = list_workbook("贷款风险预警 warnings", EXPORT_COLUMNS, out, build_id=serving.build_id,
                            exported_by=principal.username,
                            about=[("筛选 filters", f"rule={rule or ''} status={status or ''} mine={mine}")])
    repositories.record_audit(session, actor=principal.username, action="export_credit_warnings", target=None,
                              details={"rows": len(out), "rule": rule, "status": status, "mine": mine, "ip": ip,
                                       "snapshot": serving.build_id})
    return content, len(out)
