"""Needs fed back (需求反馈, 信息反馈制度): what customers need, heard by staff on visits, in complaints or by grid
members, noted with its product category and routed to that category's product owner (``service.feedback_owners``,
else the head office's team: everyone who may answer feedback), who answers it back to the branch.

Whoever may note needs sees their branches' items (and their own); product owners (``answer_feedback``) see all.
No customer is named here: a need is about a product, so the board holds no personal data.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from finecrm.authz import NotFound, Principal, allowed, require
from finecrm.core.errors import FinecrmError
from finecrm.core.settings import ServiceSettings
from finecrm.db import repositories
from finecrm.db.models import Complaint, FeedbackItem
from finecrm.services.service.inputs import AnswerNeed, NoteNeed
from finecrm.services.service.outputs import FeedbackRow

STATUSES = {"open": ("待答复", "awaiting an answer"), "answered": ("已答复", "answered"),
            "declined": ("不采纳", "declined")}
CATEGORIES = {"deposit": ("活期存款", "demand deposits"), "time_deposit": ("定期存款", "time deposits"),
              "wealth": ("理财", "wealth products"), "fund": ("基金", "funds"), "insurance": ("保险", "insurance"),
              "loan": ("贷款", "loans"), "credit_card": ("信用卡", "credit cards"), "e_banking": ("电子银行", "e-banking"),
              "payroll": ("代发工资", "payroll"), "other": ("其他", "other")}
SOURCES = {"work_log": ("走访/工作日志", "a visit or call"), "complaint": ("投诉", "a complaint"),
           "grid": ("网格员", "a grid member"), "staff": ("员工建议", "staff")}


class FeedbackError(FinecrmError):
    """A need that cannot be noted or answered as asked (the message says why, in both languages)."""


def _row(f: FeedbackItem) -> FeedbackRow:
    def iso(at: datetime | None) -> str | None:
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat() if at else None

    return {"id": f.id, "source": f.source, "complaint_id": f.complaint_id, "product_category": f.product_category,
            "need": f.need, "branch_id": f.branch_id, "raised_by": f.raised_by, "raised_at": iso(f.raised_at) or "",
            "owner": f.owner, "status": f.status, "answer": f.answer, "answered_by": f.answered_by,
            "answered_at": iso(f.answered_at)}


def _sees(principal: Principal, f: FeedbackItem) -> bool:
    if allowed(principal, "answer_feedback") or f.raised_by == principal.username:
        return True
    return principal.branch_scope is None or f.branch_id in principal.branch_scope


def note(session: Session, principal: Principal, settings: ServiceSettings, body: NoteNeed, *,
         now: datetime) -> FeedbackRow:
    """Note a need and route it to its category's product owner."""
    require(principal, "record_feedback")
    branch = principal.branch_id
    if body.complaint_id is not None:
        c = session.get(Complaint, body.complaint_id)
        if c is None:
            raise FeedbackError(f"没有投诉 {body.complaint_id} / no complaint {body.complaint_id}")
        branch = c.branch_id
    f = FeedbackItem(source=body.source, complaint_id=body.complaint_id, product_category=body.product_category,
                     need=body.need, branch_id=branch, raised_by=principal.username, raised_at=now,
                     owner=settings.feedback_owners.get(body.product_category), status="open")
    session.add(f)
    session.flush()
    repositories.record_audit(session, actor=principal.username, action="feedback_recorded", target=f"feedback:{f.id}",
                              details={"category": f.product_category, "owner": f.owner, "source": f.source})
    return _row(f)


def answer(session: Session, principal: Principal, feedback_id: int, body: AnswerNeed, *, now: datetime) -> FeedbackRow:
    """The product owner's answer (or the team's, for an item routed to no one): answered or declined, with why."""
    require(principal, "answer_feedback")
    f = session.get(FeedbackItem, feedback_id)
    if f is None:
        raise NotFound("需求反馈", "feedback", str(feedback_id))
    if f.status != "open":
        raise FeedbackError("这条需求已经答复过了 / this need has been answered already")
    if f.owner is not None and f.owner != principal.username:
        raise FeedbackError(f"这条需求由产品经理 {f.owner} 答复 / the product owner {f.owner} answers this need")
    f.status, f.answer, f.answered_by, f.answered_at = body.status, body.answer, principal.username, now
    session.flush()
    repositories.record_audit(session, actor=principal.username, action="feedback_answered", target=f"feedback:{f.id}",
                              details={"status": f.status, "category": f.product_category})
    return _row(f)


def board(session: Session, principal: Principal, *, status: str | None = None,
          category: str | None = None) -> list[FeedbackRow]:
    """The needs the principal sees, open first, newest first."""
    if not allowed(principal, "answer_feedback"):
        require(principal, "record_feedback")
    q = select(FeedbackItem).order_by(FeedbackItem.id.desc())
    if status:
        q = q.where(FeedbackItem.status == status)
    if category:
        q = q.where(FeedbackItem.product_category == category)
    rows = [f for f in session.scalars(q) if _sees(principal, f)]
    return [_row(f) for f in sorted(rows, key=lambda f: f.status != "open")]
