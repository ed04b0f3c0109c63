"""Changing a loan's five-category classification (五级分类调整) with two people where it lowers risk.

A risk officer (``classify_loans``) proposes a category for a loan with a reason. Toward a more severe
category the change applies at once — nobody needs a second opinion to be more careful. Toward a less severe
one it waits until a second officer (``approve_credit``), never the one who proposed it, approves or rejects
it. Every step is written to the audit log, the rows are kept for good (the loan's category history), and the
build hands the changes in force to the ``loan_classification`` mart, so they survive every rebuild.

Services never commit: the route or command that calls these owns the transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from finecrm.authz import Principal, allowed, loan_in_scope, require, require_loan
from finecrm.authz.errors import Forbidden, NotFound
from finecrm.core.clock import utc
from finecrm.core.errors import FinecrmError
from finecrm.core.formats import build_time
from finecrm.db import repositories
from finecrm.db.models import CategoryOverride
from finecrm.services.common import Page, clamp_page
from finecrm.services.credit.categories import CATEGORIES, LESS_SEVERE, direction
from finecrm.services.credit.inputs import OverrideDecision, OverrideProposal
from finecrm.services.credit.outputs import OverrideRow
from finecrm.services.snapshot.serving import Serving

MART = "loan_classification"
APPLIED, PENDING, APPROVED, REJECTED = "applied", "pending", "approved", "rejected"
IN_FORCE = (APPLIED, APPROVED)
STATUSES = {
    APPLIED: ("已生效", "in force"),
    PENDING: ("待复核", "awaiting approval"),
    APPROVED: ("复核通过", "approved"),
    REJECTED: ("复核退回", "rejected"),
}


class OverrideError(FinecrmError):
    """A change that cannot be made as asked (the message says why, in both languages)."""


def _row(o: CategoryOverride) -> OverrideRow:
    return {
        "id": o.id, "loan_id": o.loan_id, "customer_id": o.customer_id, "branch_id": o.branch_id,
        "system_category": o.system_category, "from_category": o.from_category, "to_category": o.to_category,
        "direction": o.direction, "reason": o.reason, "proposed_by": o.proposed_by,
        "proposed_at": o.proposed_at.isoformat(), "snapshot": o.snapshot, "status": o.status,
        "decided_by": o.decided_by, "decided_at": o.decided_at.isoformat() if o.decided_at else None,
        "decision_note": o.decision_note,
    }


def _loan(serving: Serving, principal: Principal, loan_id: str) -> dict[str, Any]:
    """The loan's row of the published classification, if it exists and is in the principal's scope."""
    if not serving.has_table(MART):
        raise OverrideError("快照中还没有五级分类：请先构建 / the snapshot has no loan classification yet: build first")
    t = serving.table(MART)
    rows = serving.query(t.filter(t.loan_id == loan_id).limit(1))
    return dict(require_loan(principal, rows[0] if rows else None, loan_id))


def in_force(session: Session, loan_id: str) -> CategoryOverride | None:
    """The latest change in force for a loan (applied, or approved), if any."""
    return session.scalars(
        select(CategoryOverride)
        .where(CategoryOverride.loan_id == loan_id, CategoryOverride.status.in_(IN_FORCE))
        .order_by(CategoryOverride.id.desc()).limit(1)
    ).first()


def current_category(session: Session, loan: dict[str, Any], build_id: str) -> str:
    """The category in force now: the published snapshot's final category, unless a change took effect after
    that snapshot's build started (the build reads the changes when it starts; the next one applies it, and until
    then the decision itself is what holds)."""
    o = in_force(session, str(loan["loan_id"]))
    built = build_time(build_id)
    if o is not None:
        effective = utc(o.decided_at or o.proposed_at)
        if built is None or effective >= built:
            return o.to_category
    return str(loan["final_category"])


def propose(session: Session, serving: Serving, principal: Principal, proposal: OverrideProposal, *,
            now: datetime | None = None) -> OverrideRow:
    """Propose ``proposal.category`` for a loan. More severe: in force at once. Less severe: awaits approval."""
    require(principal, "classify_loans")
    loan = _loan(serving, principal, proposal.loan_id)
    system_now = str(loan["system_category"])
    current = current_category(session, loan, serving.build_id)
    way = direction(current, proposal.category)
    if way is None:
        zh, en = CATEGORIES[current]
        raise OverrideError(f"该笔贷款现在就是“{zh}”类，无需调整 / the loan is already {en}: nothing to change")
    if session.scalars(select(CategoryOverride.id).where(CategoryOverride.loan_id == proposal.loan_id,
                                                          CategoryOverride.status == PENDING)).first() is not None:
        raise OverrideError("该笔贷款已有一项待复核的调整：请先复核或退回 / the loan already has a change awaiting "
                            "approval: approve or reject it first")
    at = now or datetime.now(UTC)
    o = CategoryOverride(
        loan_id=proposal.loan_id, customer_id=loan.get("customer_id"), branch_id=loan.get("branch_id"),
        system_category=system_now, from_category=current, to_category=proposal.category, direction=way,
        reason=proposal.reason, proposed_by=principal.username, proposed_at=at, snapshot=serving.build_id,
        status=PENDING if way == LESS_SEVERE else APPLIED,
    )
    session.add(o)
    session.flush()
    repositories.record_audit(
        session, actor=principal.username, action="loan_category_proposed", target=f"loan:{proposal.loan_id}",
        reason=proposal.reason,
        details={"override": o.id, "from": current, "to": proposal.category, "direction": way, "status": o.status,
                 "system_category": system_now, "snapshot": serving.build_id},
    )
    return _row(o)


def decide(session: Session, principal: Principal, override_id: int, decision: OverrideDecision, *,
           now: datetime | None = None) -> OverrideRow:
    """Approve or reject a pending change toward a less severe category: a second officer, never the proposer."""
    require(principal, "approve_credit")
    o = session.get(CategoryOverride, override_id)
    if o is None or not loan_in_scope(principal, {"loan_id": o.loan_id, "customer_id": o.customer_id,
                                                  "branch_id": o.branch_id, "manager_id": None, "grid_id": None}):
        raise NotFound("分类调整", "category change", str(override_id))
    if o.status != PENDING:
        zh, en = STATUSES[o.status]
        raise OverrideError(f"这项调整已是“{zh}”，不能再复核 / this change is already {en}")
    if o.proposed_by == principal.username:
        raise Forbidden("approve_credit", username=principal.username,
                        zh="复核自己提出的调整（须由另一位风险经理复核）",
                        en="approve a change one proposed oneself (a second officer must decide)")
    o.status = APPROVED if decision.approve else REJECTED
    o.decided_by, o.decided_at, o.decision_note = principal.username, now or datetime.now(UTC), decision.note
    session.flush()
    repositories.record_audit(
        session, actor=principal.username, action="loan_category_approved" if decision.approve else "loan_category_rejected",
        target=f"loan:{o.loan_id}", reason=decision.note,
        details={"override": o.id, "from": o.from_category, "to": o.to_category, "proposed_by": o.proposed_by},
    )
    return _row(o)


def history(session: Session, serving: Serving, principal: Principal, loan_id: str) -> list[OverrideRow]:
    """Every change proposed for a loan, newest first (the loan must be in scope)."""
    if not (allowed(principal, "view_credit") or allowed(principal, "classify_loans")):
        require(principal, "view_credit")
    _loan(serving, principal, loan_id)
    rows = session.scalars(select(CategoryOverride).where(CategoryOverride.loan_id == loan_id)
                           .order_by(CategoryOverride.id.desc())).all()
    return [_row(o) for o in rows]


def queue(session: Session, principal: Principal, *, status: str = PENDING, page: int = 1,
          page_size: int = 20) -> Page[OverrideRow]:
    """The changes in a status within the principal's scope (default: those awaiting approval), oldest first."""
    if not (allowed(principal, "approve_credit") or allowed(principal, "classify_loans")):
        require(principal, "approve_credit")
    if status not in STATUSES:
        raise OverrideError(f"状态只能是 {', '.join(STATUSES)} / status must be one of {', '.join(STATUSES)}")
    q = select(CategoryOverride).where(CategoryOverride.status == status).order_by(CategoryOverride.id)
    if principal.branch_scope is not None:
        q = q.where(CategoryOverride.branch_id.in_(sorted(principal.branch_scope)))
    rows = [o for o in session.scalars(q).all()
            if loan_in_scope(principal, {"loan_id": o.loan_id, "customer_id": o.customer_id,
                                         "branch_id": o.branch_id, "manager_id": None, "grid_id": None})]
    page, page_size = clamp_page(page, page_size)
    start = (page - 1) * page_size
    return Page([_row(o) for o in rows[start:start + page_size]], page, page_size, len(rows))


def overrides_for_build(session: Session) -> list[dict[str, str]]:
    """The latest change in force per loan, for the build: loan_id, direction, category, the rules' category when
    it was decided, reason. The engine combines them with the rules' category of the new snapshot
    (``engine.classification.classify``): a change toward more severe is a floor; one toward less severe holds
    while the rules see the loan no worse than when it was decided."""
    rows = session.scalars(select(CategoryOverride).where(CategoryOverride.status.in_(IN_FORCE))
                           .order_by(CategoryOverride.loan_id, CategoryOverride.id)).all()
    latest: dict[str, CategoryOverride] = {}
    for o in rows:
        latest[o.loan_id] = o
    return [{"loan_id": o.loan_id, "direction": o.direction, "category": o.to_category,
             "system_category": o.system_category, "reason": o.reason} for o in latest.values()]
