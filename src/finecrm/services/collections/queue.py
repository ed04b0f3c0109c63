"""The collection queue (催收队列), a loan's card, contacts and promises, letters, and the risk officer's oversight.

Everything reads the published snapshot's ``collection_queue`` (and ``collection_schedules``,
``collection_roll_rates``, ``loan_overdue_history``) through the one read path, restricted by ``authz``: a collector
sees the loans assigned to them (``Principal.assigned_loan_ids``), a risk officer the loans of the branches in their
scope. People's work — assignments, contacts, promises — lives in the operational database; whether a promise was
kept is read from the repayments (``promises``). Services never commit: the route or command owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import ibis
from sqlalchemy import select
from sqlalchemy.orm import Session

from finecrm.authz import Principal, allowed, mask_table, require, require_loan, scope_loans
from finecrm.core import formats
from finecrm.core.clock import utc
from finecrm.core.errors import FinecrmError
from finecrm.core.settings import Workspace
from finecrm.db import repositories
from finecrm.db.models import CollectionAssignment, CollectionContact, CollectionPromise
from finecrm.services.collections import assignment, promises
from finecrm.services.collections.inputs import ContactInput
from finecrm.services.collections.outputs import (
    BucketCell,
    ContactRow,
    LoanCard,
    Oversight,
    PromiseRow,
    QueueRow,
    Rendered,
    RollCell,
    ScheduleRow,
)
from finecrm.services.common import Page, clamp_page
from finecrm.services.customers import reveal as reveal_customer
from finecrm.services.exports import MAX_EXPORT_ROWS, list_workbook
from finecrm.services.names import load_names
from finecrm.services.snapshot.serving import Serving

QUEUE = "collection_queue"
SCHEDULES = "collection_schedules"
ROLLS = "collection_roll_rates"
HISTORY = "loan_overdue_history"
ROW_COLUMNS = ("loan_id", "customer_id", "branch_id", "product_code", "dpd", "bucket", "step",
               "outstanding_principal", "overdue_amount", "exposure", "roll_probability", "expected_loss",
               "priority_rank", "priority_reason", "first_unpaid_due", "as_of_date")


class CollectionsError(FinecrmError):
    """A collections request that cannot be answered as asked (the message says why, in both languages)."""


def _may_see(principal: Principal) -> None:
    """A collector works the queue; a risk officer oversees it. Anyone else: 403 naming work_collections."""
    if not (allowed(principal, "work_collections") or allowed(principal, "view_collections")):
        require(principal, "work_collections")


def _queue(serving: Serving, principal: Principal) -> ibis.Table:
    _may_see(principal)
    if not serving.has_table(QUEUE):
        raise CollectionsError("快照中还没有催收队列：请先构建 / the snapshot has no collection queue yet: build first")
    return scope_loans(principal, serving.table(QUEUE))


def _with_names(serving: Serving, principal: Principal, t: ibis.Table) -> ibis.Table:
    """The borrower's name beside each loan, masked in the query unless revealed (never here)."""
    if not serving.has_table("customer_360"):
        return t.mutate(name=ibis.null("string"))
    c = serving.table("customer_360").select("customer_id", "name", "kind")
    j = t.left_join(c, "customer_id").drop("customer_id_right")
    return mask_table(principal, j).drop("kind")


def _payments(serving: Serving, loan_ids: list[str]) -> dict[str, list[tuple[date, float]]]:
    out: dict[str, list[tuple[date, float]]] = defaultdict(list)
    if not loan_ids or not serving.has_table(SCHEDULES):
        return out
    s = serving.table(SCHEDULES)
    for r in serving.query(s.filter(s.loan_id.isin(loan_ids) & s.paid_date.notnull())
                           .select("loan_id", "paid_date", "paid_amount")):
        out[r["loan_id"]].append((r["paid_date"], float(r["paid_amount"])))
    return out


def as_of(serving: Serving) -> date | None:
    """The snapshot's build date (the queue's ``as_of_date``)."""
    if not serving.has_table(QUEUE):
        return None
    got = serving.scalar(serving.table(QUEUE).as_of_date.max())
    return got if isinstance(got, date) else None


def promise_states(serving: Serving, rows: list[CollectionPromise]) -> list[PromiseRow]:
    """The promises with their state read from the snapshot's repayments (``promises.status``)."""
    pays = _payments(serving, sorted({p.loan_id for p in rows}))
    day = as_of(serving)
    out: list[PromiseRow] = []
    for p in rows:
        st, paid = promises.status(float(p.amount), p.made_on, p.promised_on, pays.get(p.loan_id, []), day)
        out.append({"id": p.id, "contact_id": p.contact_id, "loan_id": p.loan_id, "customer_id": p.customer_id,
                    "staff_id": p.staff_id, "amount": round(float(p.amount), 2), "made_on": p.made_on.isoformat(),
                    "promised_on": p.promised_on.isoformat(), "status": st, "paid": paid})
    return out


def _contact_row(c: CollectionContact) -> ContactRow:
    return {"id": c.id, "loan_id": c.loan_id, "at": utc(c.at).isoformat(), "username": c.username,
            "staff_id": c.staff_id, "channel": c.channel, "result": c.result, "notes": c.notes,
            "next_step": c.next_step, "next_on": c.next_on.isoformat() if c.next_on else None,
            "template": c.template, "rendered_text": c.rendered_text}


def _enrich(session: Session, serving: Serving, ws: Workspace, rows: list[dict[str, Any]]) -> list[QueueRow]:
    """People's work beside each queue row: the collector, the last contact, the next action and its day, and the
    latest promise's state."""
    ids = [r["loan_id"] for r in rows]
    if not ids:
        return []
    held = {a.loan_id: a.staff_id for a in session.scalars(select(CollectionAssignment).where(
        CollectionAssignment.loan_id.in_(ids), CollectionAssignment.ended_at.is_(None)))}
    last: dict[str, CollectionContact] = {}
    for c in session.scalars(select(CollectionContact).where(CollectionContact.loan_id.in_(ids))
                             .order_by(CollectionContact.at, CollectionContact.id)):
        last[c.loan_id] = c
    latest_promise: dict[str, CollectionPromise] = {}
    for p in session.scalars(select(CollectionPromise).where(CollectionPromise.loan_id.in_(ids))
                             .order_by(CollectionPromise.id)):
        latest_promise[p.loan_id] = p
    states = {p["loan_id"]: p["status"] for p in promise_states(serving, list(latest_promise.values()))}
    follow = {b.code: b.follow_up_days for b in ws.settings.collections.buckets}
    today = formats.today(ws.settings.bank.timezone)
    out: list[QueueRow] = []
    for r in rows:
        done = last.get(r["loan_id"])
        row = {k: r.get(k) for k in ROW_COLUMNS if k not in ("first_unpaid_due", "as_of_date")}
        row["name"] = r.get("name")
        row["collector"] = held.get(r["loan_id"])
        if done is None:
            row.update(last_contact_at=None, days_since_contact=None, next_action=r["step"],
                       next_action_on=str(r["as_of_date"]) if r.get("as_of_date") else None)
        else:
            day = formats.local(done.at, ws.settings.bank.timezone).date()
            nxt = done.next_on or (day + timedelta(days=follow.get(str(r["bucket"]), 7)))
            row.update(last_contact_at=utc(done.at).isoformat(), days_since_contact=(today - day).days,
                       next_action=done.next_step or r["step"], next_action_on=nxt.isoformat())
        row["promise"] = states.get(r["loan_id"])
        out.append(cast(QueueRow, row))
    return out


SORTS = ("priority_rank", "dpd", "expected_loss", "overdue_amount")


def list_queue(session: Session, serving: Serving, ws: Workspace, principal: Principal, *, bucket: str | None = None,
               unassigned_only: bool = False, sort: str = "priority_rank", page: int = 1,
               page_size: int = 20) -> Page[QueueRow]:
    """The queue in the principal's scope (a collector: their loans), by priority unless sorted otherwise."""
    t = _queue(serving, principal)
    if bucket:
        if bucket not in ws.settings.collections.bucket_codes():
            codes = ", ".join(ws.settings.collections.bucket_codes())
            raise CollectionsError(f"分段只能是 {codes} / the bucket must be one of {codes}")
        t = t.filter(t.bucket == bucket)
    if unassigned_only:
        held = list(assignment.open_assignments(session))
        if held:
            t = t.filter(~t.loan_id.isin(held))
    column = sort.lstrip("-")
    if column not in SORTS:
        raise CollectionsError(f"排序只能按 {', '.join(SORTS)} / sort by one of {', '.join(SORTS)}")
    order = ibis.desc(column) if sort.startswith("-") else ibis.asc(column)
    page, page_size = clamp_page(page, page_size)
    total = int(serving.scalar(t.count()) or 0)
    rows = serving.query(_with_names(serving, principal, t.select(*ROW_COLUMNS))
                         .order_by([order, "loan_id"]).limit(page_size, offset=(page - 1) * page_size))
    return Page(_enrich(session, serving, ws, rows), page, page_size, total)


def _one(serving: Serving, principal: Principal, loan_id: str) -> dict[str, Any]:
    t = _queue(serving, principal)
    found = serving.query(t.filter(t.loan_id == loan_id).limit(1)) if len(loan_id) <= 64 else []
    # the same NotFound whether the loan does not exist, is not in the queue, or is not the principal's
    return dict(require_loan(principal, found[0] if found else None, loan_id[:64]))


def loan_card(session: Session, serving: Serving, ws: Workspace, principal: Principal, loan_id: str) -> LoanCard:
    """One loan of the queue: its position and priority, schedule, days past due by month end, contacts, promises
    with their state, and who held it."""
    loan = _one(serving, principal, loan_id)
    t = _queue(serving, principal)
    named = serving.query(_with_names(serving, principal, t.filter(t.loan_id == loan_id).select(*ROW_COLUMNS)))
    row = _enrich(session, serving, ws, [{**loan, "name": named[0]["name"] if named else None}])[0]
    schedule: list[ScheduleRow] = []
    if serving.has_table(SCHEDULES):
        s = serving.table(SCHEDULES)
        schedule = [{"due_date": str(r["due_date"]), "due_amount": round(float(r["due_amount"]), 2),
                     "paid_date": str(r["paid_date"]) if r["paid_date"] else None,
                     "paid_amount": round(float(r["paid_amount"]), 2), "is_overdue": bool(r["is_overdue"])}
                    for r in serving.query(s.filter(s.loan_id == loan_id).order_by("due_date"))]
    history: list[dict[str, Any]] = []
    if serving.has_table(HISTORY):
        h = serving.table(HISTORY)
        history = [{"month": str(r["month"])[:7], "dpd": int(r["dpd"]),
                    "overdue": round(float(r["overdue_principal"] or 0) + float(r["overdue_interest"] or 0), 2)}
                   for r in serving.query(h.filter(h.loan_id == loan_id).order_by("month"))]
    contacts = [_contact_row(c) for c in session.scalars(
        select(CollectionContact).where(CollectionContact.loan_id == loan_id)
        .order_by(CollectionContact.at.desc(), CollectionContact.id.desc()))]
    made = list(session.scalars(select(CollectionPromise).where(CollectionPromise.loan_id == loan_id)
                                .order_by(CollectionPromise.id.desc())))
    day = as_of(serving)
    return {"snapshot": serving.build_id, "as_of": day.isoformat() if day else None, "loan": row,
            "borrower": {"customer_id": loan["customer_id"], "name": row.get("name")},
            "schedule": schedule, "history": history, "contacts": contacts,
            "promises": promise_states(serving, made), "assignments": assignment.history(session, loan_id)}


def reveal_phone(session: Session, serving: Serving, principal: Principal, loan_id: str, *, reason: str = "",
                 ip: str | None = None) -> dict[str, Any]:
    """The debtor's phone in clear to call them: the existing audited reveal, with the loan as the task."""
    require(principal, "reveal_pii")
    loan = _one(serving, principal, loan_id)
    why = " ".join((reason or "").split()) or f"催收电话联系：贷款 {loan_id} / calling about an overdue loan {loan_id}"
    record = reveal_customer(session, serving, principal, loan["customer_id"], reason=why, fields=("phone",),
                              ip=ip, task=f"collections:{loan_id}")
    return {"loan_id": loan_id, "customer_id": loan["customer_id"], "phone": record["customer"].get("phone")}


def _money(v: Any) -> str:
    return f"¥{float(v or 0):,.2f}"


def render(session: Session, serving: Serving, ws: Workspace, principal: Principal, loan_id: str, template: str, *,
           ip: str | None = None) -> Rendered:
    """The SMS or letter template filled in for a loan. A letter names the debtor, so rendering it is a reveal of
    the name (audited, with the loan as the task); nothing is sent."""
    require(principal, "work_collections")
    cfg = ws.settings.collections
    if template not in ("sms", "letter"):
        raise CollectionsError("模板只能是 sms 或 letter / the template must be sms or letter")
    loan = _one(serving, principal, loan_id)
    record = reveal_customer(session, serving, principal, loan["customer_id"], fields=("name",), ip=ip,
                              reason=f"生成催收{'短信' if template == 'sms' else '函'}：贷款 {loan_id} / "
                                     f"rendering a collection {template} for loan {loan_id}",
                              task=f"collections:{loan_id}")
    names = load_names(ws)
    values = {
        "name": record["customer"].get("name") or "", "loan_id": loan_id,
        "amount": _money(loan["overdue_amount"]), "overdue_amount": _money(loan["overdue_amount"]),
        "outstanding": _money(loan["outstanding_principal"]), "dpd": str(loan["dpd"]),
        "due_date": str(loan.get("first_unpaid_due") or ""),
        "branch": names.of("branch", loan.get("branch_id")) or str(loan.get("branch_id") or ""),
        "branch_phone": cfg.branch_phone, "bank": ws.settings.bank.name,
        "today": formats.today(ws.settings.bank.timezone).isoformat(),
    }
    text = getattr(cfg.templates, template).format(**values)
    return {"loan_id": loan_id, "template": template, "text": text}


def record_contact(session: Session, serving: Serving, ws: Workspace, principal: Principal, loan_id: str,
                   contact: ContactInput, *, ip: str | None = None, now: datetime | None = None) -> ContactRow:
    """Record a contact (and a promise to pay) on a loan one works; a template's rendered text is kept with it."""
    require(principal, "work_collections")
    loan = _one(serving, principal, loan_id)
    at = now or datetime.now(UTC)
    today = formats.today(ws.settings.bank.timezone)
    if contact.promise_on is not None and contact.promise_on < today:
        raise CollectionsError("承诺还款日期不能早于今天 / the promised day cannot be before today")
    if contact.next_on is not None and contact.next_on < today:
        raise CollectionsError("下一步日期不能早于今天 / the next step's day cannot be before today")
    text = render(session, serving, ws, principal, loan_id, contact.template, ip=ip)["text"] \
        if contact.template else None
    notes = " ".join(contact.notes.split()) or None
    c = CollectionContact(loan_id=loan_id, customer_id=loan["customer_id"], staff_id=principal.staff_id,
                          username=principal.username, at=at, channel=contact.channel, result=contact.result,
                          notes=notes, next_step=contact.next_step, next_on=contact.next_on, bucket=loan["bucket"],
                          dpd=int(loan["dpd"]), template=contact.template, rendered_text=text)
    session.add(c)
    session.flush()
    if contact.result == "promise" and contact.promise_amount is not None and contact.promise_on is not None:
        session.add(CollectionPromise(contact_id=c.id, loan_id=loan_id, customer_id=loan["customer_id"],
                                      branch_id=loan.get("branch_id"), staff_id=principal.staff_id,
                                      amount=round(contact.promise_amount, 2), made_on=today,
                                      promised_on=contact.promise_on))
        session.flush()
    repositories.record_audit(session, actor=principal.username, action="collection_contact_recorded",
                              target=f"loan:{loan_id}",
                              details={"contact": c.id, "channel": c.channel, "result": c.result,
                                       "promise": contact.promise_amount, "promised_on":
                                       contact.promise_on.isoformat() if contact.promise_on else None,
                                       "template": contact.template, "ip": ip, "snapshot": serving.build_id})
    return _contact_row(c)


def broken_promises(session: Session, serving: Serving, principal: Principal, *, limit: int = 200) -> list[PromiseRow]:
    """The promises in the principal's scope that were broken (the day passed without the repayment)."""
    t = _queue(serving, principal)
    rows = list(session.scalars(select(CollectionPromise).order_by(CollectionPromise.promised_on.desc())))
    seen = {r["loan_id"] for r in serving.query(t.filter(t.loan_id.isin([p.loan_id for p in rows] or [""]))
                                               .select("loan_id"))} if rows else set()
    # a promise of a loan that left the queue (repaid) was kept or is history: only loans still in scope count
    return [p for p in promise_states(serving, [p for p in rows if p.loan_id in seen])
            if p["status"] == promises.BROKEN][:limit]


def oversight(session: Session, serving: Serving, ws: Workspace, principal: Principal) -> Oversight:
    """The risk officer's view: the queue by bucket and collector, unassigned loans, broken promises, roll rates."""
    require(principal, "view_collections")
    t = _queue(serving, principal)
    held = {lid: a.staff_id for lid, a in assignment.open_assignments(session).items()}
    rows = serving.query(t.select("loan_id", "bucket", "overdue_amount", "exposure", "expected_loss"))
    cells: dict[tuple[str, str | None], list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for r in rows:
        c = cells[(r["bucket"], held.get(r["loan_id"]))]
        c[0] += 1
        c[1] += float(r["overdue_amount"] or 0)
        c[2] += float(r["exposure"] or 0)
        c[3] += float(r["expected_loss"] or 0)
    codes = ws.settings.collections.bucket_codes()
    by_bucket: list[BucketCell] = [
        {"bucket": b, "collector": s, "loans": int(v[0]), "overdue": round(v[1], 2), "exposure": round(v[2], 2),
         "expected_loss": round(v[3], 2)}
        for (b, s), v in sorted(cells.items(), key=lambda kv: (codes.index(kv[0][0]) if kv[0][0] in codes else 99,
                                                                kv[0][1] or "~"))]
    free = serving.query(_with_names(serving, principal, t.filter(~t.loan_id.isin(list(held) or [""]))
                                     .select(*ROW_COLUMNS)).order_by("priority_rank").limit(50))
    rolls: list[RollCell] = []
    if serving.has_table(ROLLS):
        r = serving.table(ROLLS)
        rolls = [{"from_bucket": x["from_bucket"], "to_bucket": x["to_bucket"], "loans": int(x["loans"]),
                  "rate": float(x["rate"])} for x in serving.query(r.filter(r.product_code == "*"))]
    made = list(session.scalars(select(CollectionPromise)))
    decided = [p for p in promise_states(serving, made) if p["status"] != promises.PENDING]
    kept = sum(p["status"] == promises.KEPT for p in decided)
    staff = assignment.collectors(ws)
    counts: dict[str, int] = defaultdict(int)
    for s in held.values():
        counts[s] += 1
    day = as_of(serving)
    return {"snapshot": serving.build_id, "as_of": day.isoformat() if day else None, "buckets": codes,
            "by_bucket": by_bucket, "unassigned": _enrich(session, serving, ws, free),
            "top": list_queue(session, serving, ws, principal, page=1, page_size=50).rows,
            "broken": broken_promises(session, serving, principal), "rolls": rolls,
            "roll_states": ["M0", *codes, "closed"],
            "collectors": [{"staff_id": c.staff_id, "branch_id": c.branch_id, "loans": counts.get(c.staff_id, 0)}
                           for c in staff],
            "promise_kept_rate": kept / len(decided) if decided else None}


EXPORT_COLUMNS = ("priority_rank", "loan_id", "customer_id", "name", "branch_id", "product_code", "dpd", "bucket",
                  "step", "overdue_amount", "outstanding_principal", "exposure", "roll_probability", "expected_loss",
                  "collector", "last_contact_at", "next_action", "next_action_on", "promise", "priority_reason")


def export_queue(session: Session, serving: Serving, ws: Workspace, principal: Principal, *,
                 bucket: str | None = None, ip: str | None = None) -> tuple[bytes, int]:
    """The queue in scope (every page) as an Excel file: masked, names of branches and staff, audited first."""
    require(principal, "export_list")
    total = list_queue(session, serving, ws, principal, bucket=bucket, page=1, page_size=1).total
    if total > MAX_EXPORT_ROWS:
        raise CollectionsError(f"队列有 {total} 笔，超过导出上限 {MAX_EXPORT_ROWS} / the queue has {total} loans, more "
                               f"than the export limit of {MAX_EXPORT_ROWS}: choose a bucket")
    t = _queue(serving, principal)
    if bucket:
        t = t.filter(t.bucket == bucket)
    rows = _enrich(session, serving, ws, serving.query(_with_names(serving, principal, t.select(*ROW_COLUMNS))
                                                       .order_by("priority_rank")))
    names = load_names(ws)
    out = []
    for r in rows:
        d = dict(r)
        d["branch_id"] = names.of("branch", d.get("branch_id")) or d.get("branch_id")
        d["product_code"] = names.of("product", d.get("product_code")) or d.get("product_code")
        d["collector"] = (names.of("staff", d.get("collector")) or d.get("collector")) if d.get("collector") else None
        out.append(d)
    repositories.record_audit(session, actor=principal.username, action="export_list", target="collections:queue",
                              details={"bucket": bucket, "rows": len(out), "masked": True, "ip": ip,
                                       "snapshot": serving.build_id})
    content = list_workbook("催收队列 queue", EXPORT_COLUMNS, out, build_id=serving.build_id,
                            exported_by=principal.username, about=[["分段 bucket", bucket or "全部 all"]])
    return content, len(out)
