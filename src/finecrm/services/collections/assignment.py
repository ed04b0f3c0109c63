"""Who works which overdue loan (催收分案): rules, reassignment, and a collector's scope.

**Rules** (``collections.assignment`` in finecrm.yaml): the loans of the published ``collection_queue`` in the
configured buckets that nobody holds are given out in priority order (rank 1 first), each to the eligible collector
holding the fewest loans, until every collector holds ``capacity_per_collector``; the rest stay unassigned (the
oversight page lists them). Eligible: an active staff member with the job role ``collector`` whose branch is the
loan's branch or above it (``by_branch``; head-office collectors take any loan), else any collector. A loan that has
left the queue (repaid, cured) has its assignment ended by the same run, so the collector's scope shrinks with it.

**Reassignment** is a risk officer's decision (``assign_collections``) with a reason, written to the audit log:
the open assignment ends and a new one starts, so access moves from one collector to the other at once.

A collector's scope (:func:`assigned_loans`) is the open assignments with their staff id: ``{loan_id:
customer_id}``, the loans and the borrowers whose contact data they may see, only while assigned.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from finecrm.authz import Principal, require, require_loan, scope_loans
from finecrm.authz.errors import NotFound
from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Workspace
from finecrm.db import repositories
from finecrm.db.models import CollectionAssignment
from finecrm.services.collections.outputs import AssignmentRow, AssignResult
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workspace import known_branches

QUEUE = "collection_queue"
#: Who the audit log and the table name for the automatic assignment.
RULES = "rules"
MIN_REASON = 4


class AssignmentError(FinecrmError):
    """An assignment that cannot be made as asked (the message says why, in both languages)."""


@dataclass(frozen=True)
class Collector:
    staff_id: str
    branch_id: str | None
    name: str | None = None


def collectors(ws: Workspace) -> list[Collector]:
    """The active staff with the job role ``collector`` (the bank's staff table, as last ingested)."""
    path = ws.raw / "staff" / "data.parquet"
    if not path.is_file():
        return []
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    cols = t.column_names
    rows = t.select([c for c in ("staff_id", "branch_id", "role", "active", "name") if c in cols]).to_pylist()
    return sorted((Collector(str(r["staff_id"]), r.get("branch_id"), r.get("name")) for r in rows
                   if r.get("role") == "collector" and r.get("active") is not False), key=lambda c: c.staff_id)


def _ancestors(branch: str | None, tree: dict[str, str | None]) -> set[str]:
    """``branch`` and every branch above it."""
    out: set[str] = set()
    while branch is not None and branch not in out:
        out.add(branch)
        branch = tree.get(branch)
    return out


def open_assignments(session: Session) -> dict[str, CollectionAssignment]:
    """Every open assignment by loan id."""
    rows = session.scalars(select(CollectionAssignment).where(CollectionAssignment.ended_at.is_(None))).all()
    return {a.loan_id: a for a in rows}


def assigned_loans(session: Session, staff_id: str | None) -> dict[str, str]:
    """``{loan_id: customer_id}`` of the loans ``staff_id`` holds now (a collector's scope)."""
    if not staff_id:
        return {}
    rows = session.execute(select(CollectionAssignment.loan_id, CollectionAssignment.customer_id).where(
        CollectionAssignment.staff_id == staff_id, CollectionAssignment.ended_at.is_(None))).all()
    return {r[0]: r[1] for r in rows}


def assign(session: Session, serving: Serving, ws: Workspace, *, actor: str = RULES,
           now: datetime | None = None) -> AssignResult:
    """Apply the rules to the published queue: end the assignments of loans no longer in it, then give out the
    unassigned loans of the configured buckets. Audited as one ``collections_assigned`` event. The caller commits.
    """
    cfg = ws.settings.collections.assignment
    at = now or datetime.now(UTC)
    if not serving.has_table(QUEUE):
        raise AssignmentError("快照中还没有催收队列：请先构建 / the snapshot has no collection queue yet: build first")
    q = serving.table(QUEUE)
    queue = serving.query(q.select("loan_id", "customer_id", "branch_id", "bucket", "priority_rank")
                          .order_by("priority_rank"))
    in_queue = {r["loan_id"] for r in queue}
    current = open_assignments(session)
    ended = 0
    for loan_id, a in current.items():
        if loan_id not in in_queue:
            a.ended_at, a.ended_by, a.end_reason = at, actor, "已出催收队列（已还清或已好转）/ left the queue (repaid or cured)"
            ended += 1
    held = Counter(a.staff_id for lid, a in current.items() if lid in in_queue)
    staff = collectors(ws)
    tree = known_branches(ws) or {}
    made, unassigned = 0, 0
    wanted = set(cfg.buckets)
    for r in queue:
        if r["loan_id"] in current and r["loan_id"] in in_queue and current[r["loan_id"]].ended_at is None:
            continue
        if r["bucket"] not in wanted:
            continue
        above = _ancestors(r["branch_id"], tree)
        eligible = [c for c in staff if held[c.staff_id] < cfg.capacity_per_collector
                    and (not cfg.by_branch or c.branch_id is None or c.branch_id in above)]
        if not eligible:
            unassigned += 1
            continue
        pick = min(eligible, key=lambda c: (held[c.staff_id], c.staff_id))
        held[pick.staff_id] += 1
        session.add(CollectionAssignment(
            loan_id=r["loan_id"], customer_id=r["customer_id"], branch_id=r["branch_id"], staff_id=pick.staff_id,
            bucket=r["bucket"], assigned_by=actor, assigned_at=at,
            reason=f"按规则分案：{r['bucket']}，优先级第 {r['priority_rank']} / by the rules: {r['bucket']}, "
                   f"priority {r['priority_rank']}"))
        made += 1
    session.flush()
    result: AssignResult = {"snapshot": serving.build_id, "assigned": made, "ended": ended,
                            "unassigned": unassigned, "collectors": len(staff),
                            "held": {c.staff_id: held[c.staff_id] for c in staff}}
    repositories.record_audit(session, actor=actor, action="collections_assigned", target=f"snapshot:{serving.build_id}",
                              details={k: v for k, v in result.items() if k != "held"})
    return result


def _row(a: CollectionAssignment) -> AssignmentRow:
    return {"id": a.id, "loan_id": a.loan_id, "customer_id": a.customer_id, "branch_id": a.branch_id,
            "staff_id": a.staff_id, "bucket": a.bucket, "assigned_by": a.assigned_by,
            "assigned_at": a.assigned_at.isoformat(), "reason": a.reason,
            "ended_at": a.ended_at.isoformat() if a.ended_at else None, "ended_by": a.ended_by,
            "end_reason": a.end_reason}


def history(session: Session, loan_id: str) -> list[AssignmentRow]:
    """Every assignment of a loan, the latest first."""
    rows = session.scalars(select(CollectionAssignment).where(CollectionAssignment.loan_id == loan_id)
                           .order_by(CollectionAssignment.id.desc())).all()
    return [_row(a) for a in rows]


def reassign(session: Session, serving: Serving, ws: Workspace, principal: Principal, *, loan_id: str,
             staff_id: str, reason: str, now: datetime | None = None) -> AssignmentRow:
    """A risk officer gives a loan of the queue (in their scope) to another collector, with a reason; audited."""
    require(principal, "assign_collections")
    if not serving.has_table(QUEUE):
        raise AssignmentError("快照中还没有催收队列：请先构建 / the snapshot has no collection queue yet: build first")
    q = scope_loans(principal, serving.table(QUEUE))
    found = serving.query(q.filter(q.loan_id == loan_id).select("loan_id", "customer_id", "branch_id", "bucket")
                          .limit(1))
    loan: dict[str, Any] = dict(require_loan(principal, found[0] if found else None, loan_id))
    why = " ".join((reason or "").split())
    if len(why) < MIN_REASON:
        raise AssignmentError(f"请写明改派原因（至少 {MIN_REASON} 个字）/ give a reason for the reassignment "
                              f"(at least {MIN_REASON} characters)")
    if staff_id not in {c.staff_id for c in collectors(ws)}:
        raise NotFound("催收员", "collector", staff_id)
    at = now or datetime.now(UTC)
    current = session.scalars(select(CollectionAssignment).where(
        CollectionAssignment.loan_id == loan_id, CollectionAssignment.ended_at.is_(None))).first()
    if current is not None and current.staff_id == staff_id:
        raise AssignmentError("该笔贷款已由这位催收员负责 / the loan is already with this collector")
    before = current.staff_id if current is not None else None
    if current is not None:
        current.ended_at, current.ended_by, current.end_reason = at, principal.username, why[:1000]
        session.flush()  # the open row ends before the new one opens (one open row per loan)
    a = CollectionAssignment(loan_id=loan_id, customer_id=loan["customer_id"], branch_id=loan["branch_id"],
                             staff_id=staff_id, bucket=loan["bucket"], assigned_by=principal.username,
                             assigned_at=at, reason=why[:1000])
    session.add(a)
    session.flush()
    repositories.record_audit(session, actor=principal.username, action="collections_reassigned",
                              target=f"loan:{loan_id}", reason=why[:500],
                              details={"from": before, "to": staff_id, "assignment": a.id,
                                       "snapshot": serving.build_id})
    return _row(a)
