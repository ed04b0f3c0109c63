"""Referrals from the lobby (大堂转介): a walk-in sent to a customer manager, followed up by the next working day.

**Recording** (``record_referral``, action ``record_referral``): a lobby manager (or anyone who refers) names an
existing customer of their scope *or* a prospect with a name and a phone (personal data: kept as entered,
masked on every list), the interest, and an active customer manager of their branches (or of the branches
above their own: an outlet's sub-branch) to receive it. The
follow-up deadline is the next working day (``workbench.working_weekdays``). The referrer's count of the day
is shown against ``workbench.referrals_per_day`` (每天转介 1 名价值客户: a target, never a cap).

**Working it** (action ``record_visit``, the receiving manager only — anyone else's referral is not found):
``accept_referral`` takes it (open → accepted); ``work_referral`` records the follow-up's outcome (→ worked)
and, for an existing customer, writes the contact to the one contact history (``source=referral``). The
prospect's phone can be revealed to the receiving manager (``reveal_referral_phone``: ``reveal_pii``, audited).

**States** on a day: ``done`` (worked), ``overdue`` (not worked and the deadline has passed), ``due`` (the rest).
Every step is audited (``referral_record``, ``referral_accept``, ``referral_work``, ``reveal_pii``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from finecrm.authz import Principal, allowed, customer_in_scope, require
from finecrm.authz.errors import NotFound
from finecrm.authz.masking import mask_name, mask_phone
from finecrm.core import formats
from finecrm.core.errors import FinecrmError
from finecrm.db import repositories, workbench_repositories
from finecrm.db.models import Referral
from finecrm.services.names import load_names
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workbench.contacts import record_contact
from finecrm.services.workbench.outputs import ReferralLists, ReferralRow
from finecrm.services.workbench.plan import _labels, start_of
from finecrm.services.workbench.worklog import KINDS, OUTCOMES, customer_row
from finecrm.services.workspace import known_branches, known_staff

INTERESTS = ("deposit", "time_deposit", "wealth", "loan", "credit_card", "e_banking", "insurance", "other")
#: Who can receive a referral: an active customer manager.
RECEIVER_ROLE = "customer_manager"
#: Referrals a list shows: the last 30 days (and every one still open).
RECENT_DAYS = 30
_PHONE = re.compile(r"^\+?[0-9]{7,15}$")


class ReferralError(FinecrmError):
    """A referral that is not what it should be (the message names the field)."""


def _state(r: Referral, today: date) -> str:
    if r.status == "worked":
        return "done"
    return "overdue" if today > r.due_on else "due"


def _branch_in_scope(principal: Principal, branch_id: str | None) -> bool:
    return customer_in_scope(principal, {"customer_id": None, "branch_id": branch_id, "manager_id": None,
                                         "grid_id": None})


def _serves(serving: Serving, principal: Principal, branch_id: str | None) -> bool:
    """May a manager of ``branch_id`` receive the principal's referrals? Managers of the principal's branches,
    and of the branches above the principal's own: an outlet's customers are looked after by the managers of
    its sub-branch (网点的客户由所属支行的客户经理管户)."""
    if _branch_in_scope(principal, branch_id):
        return True
    parents = known_branches(serving.ws) or {}
    at, seen = principal.branch_id, set()
    while at is not None and at not in seen:
        if at == branch_id:
            return True
        seen.add(at)
        at = parents.get(at)
    return False


def receivers(serving: Serving, principal: Principal) -> list[dict[str, Any]]:
    """Active customer managers of the principal's branches, by name: whom a referral can go to."""
    require(principal, "record_referral")
    return [{"staff_id": sid, "name": p.get("name"), "branch_id": p.get("branch_id")}
            for sid, p in sorted(known_staff(serving.ws).items())
            if p.get("active") and p.get("role") == RECEIVER_ROLE and _serves(serving, principal, p.get("branch_id"))]


def _row(r: Referral, today: date, names: Any, labels: dict[str, str | None]) -> ReferralRow:
    return {"id": r.id, "created_at": r.created_at, "referrer_staff_id": r.referrer_staff_id,
            "referrer_name": names.of("staff", r.referrer_staff_id), "customer_id": r.customer_id,
            "name": labels.get(r.customer_id) if r.customer_id else mask_name(r.prospect_name),
            "phone": None if r.customer_id else mask_phone(r.prospect_phone), "interest": r.interest,
            "note": r.note, "to_staff_id": r.to_staff_id, "to_name": names.of("staff", r.to_staff_id),
            "due_on": r.due_on, "status": r.status, "state": _state(r, today), "accepted_at": r.accepted_at,
            "worked_at": r.worked_at, "outcome": r.outcome, "outcome_note": r.outcome_note}


def record_referral(session: Session, serving: Serving, principal: Principal, *, interest: str, to_staff_id: str,
                    customer_id: str = "", prospect_name: str = "", prospect_phone: str = "", note: str = "",
                    now: datetime | None = None) -> ReferralRow:
    """Record a walk-in referral (see the module doc); returns the referral as lists show it (masked)."""
    require(principal, "record_referral")
    if principal.staff_id is None:
        raise ReferralError("您的账号没有关联员工号，不能登记转介 / your account has no staff id: it cannot refer")
    tz = serving.ws.settings.bank.timezone
    moment = now or datetime.now(UTC)
    today = formats.local(moment, tz).date()
    cid, name, phone = customer_id.strip(), " ".join(prospect_name.split()), re.sub(r"[\s-]", "", prospect_phone)
    if cid and (name or phone):
        raise ReferralError("请填写已有客户的客户号，或潜在客户的姓名和电话，二者选一 / give an existing customer's "
                            "id, or a prospect's name and phone — not both")
    if cid:
        cid = customer_row(serving, principal, cid)["customer_id"]  # NotFound outside the scope
    else:
        if not name or len(name) > 50:
            raise ReferralError("请填写潜在客户姓名（最多 50 个字）/ give the prospect's name (at most 50 characters)")
        if not _PHONE.match(phone):
            raise ReferralError("电话须为 7 至 15 位数字 / the phone must be 7 to 15 digits")
    if interest not in INTERESTS:
        raise ReferralError(f"意向须为 {', '.join(INTERESTS)} 之一 / the interest must be one of "
                            f"{', '.join(INTERESTS)}, got {interest[:20]!r}")
    person = known_staff(serving.ws).get(to_staff_id.strip())
    if person is None or not _serves(serving, principal, person.get("branch_id")):
        raise NotFound("员工", "staff member", to_staff_id[:40])
    if not person.get("active") or person.get("role") != RECEIVER_ROLE:
        raise ReferralError(f"{to_staff_id} 不是在岗的客户经理 / {to_staff_id} is not an active customer manager")
    text = " ".join((note or "").split())
    if len(text) > 500:
        raise ReferralError("备注最多 500 个字 / the note may have at most 500 characters")
    r = workbench_repositories.add_referral(session, referral=Referral(
        created_at=moment, created_by=principal.username, referrer_staff_id=principal.staff_id,
        branch_id=principal.branch_id, customer_id=cid or None, prospect_name=name or None,
        prospect_phone=phone or None, interest=interest, note=text or None, to_staff_id=person["staff_id"],
        due_on=serving.ws.settings.workbench.next_working_day(today), status="open"))
    # The audit names the customer or "a prospect", never the prospect's name or phone.
    repositories.record_audit(session, actor=principal.username, action="referral_record", target=f"referral:{r.id}",
                              details={"customer_id": cid or None, "prospect": not cid, "interest": interest,
                                       "to": r.to_staff_id, "due_on": r.due_on.isoformat()})
    return _row(r, today, load_names(serving.ws), _labels(serving, principal, [cid] if cid else []))


def referral_lists(session: Session, serving: Serving, principal: Principal, *, today: date) -> ReferralLists:
    """What the referrals page shows the principal: the referrals they made (recent) with today's count against
    the quota, and (a customer manager) those sent to them — open ones first, overdue on top."""
    if not (allowed(principal, "record_referral") or allowed(principal, "record_visit")):
        require(principal, "record_referral")
    tz = serving.ws.settings.bank.timezone
    names = load_names(serving.ws)
    made: list[Referral] = []
    mine: list[Referral] = []
    since = start_of(today - timedelta(days=RECENT_DAYS), tz)
    if principal.staff_id is not None and allowed(principal, "record_referral"):
        made = workbench_repositories.list_referrals(session, referrer_staff_id=principal.staff_id, since=since)
    if principal.staff_id is not None and allowed(principal, "record_visit"):
        recent = workbench_repositories.list_referrals(session, to_staff_id=principal.staff_id, since=since)
        opened = workbench_repositories.open_referrals_to(session, to_staff_id=principal.staff_id)
        seen = {r.id for r in opened}
        mine = opened + [r for r in recent if r.id not in seen]
    ids = [r.customer_id for r in (*made, *mine) if r.customer_id]
    labels = _labels(serving, principal, ids)
    to_me = [_row(r, today, names, labels) for r in mine]
    to_me.sort(key=lambda x: ({"overdue": 0, "due": 1, "done": 2}[x["state"]], x["due_on"], x["id"]))
    today_count = sum(1 for r in made if formats.local(r.created_at, tz).date() == today)
    return {"made": [_row(r, today, names, labels) for r in made], "to_me": to_me, "today_count": today_count,
            "quota": serving.ws.settings.workbench.referrals_per_day,
            "working_day": serving.ws.settings.workbench.is_working_day(today)}


def _own(session: Session, principal: Principal, referral_id: int) -> Referral:
    r = workbench_repositories.get_referral(session, referral_id=referral_id)
    if r is None or principal.staff_id is None or r.to_staff_id != principal.staff_id:
        raise NotFound("转介", "referral", str(referral_id))
    return r


def accept_referral(session: Session, principal: Principal, referral_id: int, *,
                    now: datetime | None = None) -> Referral:
    """The receiving manager takes the referral (open → accepted); audited. Taking one twice changes nothing."""
    require(principal, "record_visit")
    r = _own(session, principal, referral_id)
    if r.status == "open":
        r.status, r.accepted_at = "accepted", now or datetime.now(UTC)
        repositories.record_audit(session, actor=principal.username, action="referral_accept",
                                  target=f"referral:{r.id}")
        session.flush()
    return r


def work_referral(session: Session, serving: Serving, principal: Principal, referral_id: int, *, outcome: str,
                  kind: str = "call", note: str = "", now: datetime | None = None) -> Referral:
    """Record the follow-up of one's referral (→ worked): its outcome, and for an existing customer the contact in
    the contact history (the work log, ``source=referral``); audited."""
    require(principal, "record_visit")
    r = _own(session, principal, referral_id)
    if r.status == "worked":
        raise ReferralError(f"转介 {r.id} 已跟进 / referral {r.id} has been followed up already")
    if outcome not in OUTCOMES:
        raise ReferralError(f"结果须为 {', '.join(OUTCOMES)} 之一 / the outcome must be one of {', '.join(OUTCOMES)}")
    if kind not in KINDS:
        raise ReferralError(f"方式须为 {', '.join(KINDS)} 之一 / the kind must be one of {', '.join(KINDS)}")
    text = " ".join((note or "").split())[:500] or None
    moment = now or datetime.now(UTC)
    contact_id = None
    if r.customer_id:
        # The referral is what brings the customer to this manager (who may not look after them otherwise).
        rows = serving.sql("SELECT branch_id FROM customer_360 WHERE customer_id = ?", [r.customer_id])
        row = rows[0] if rows else {"branch_id": r.branch_id}
        contact_id = record_contact(
            session, customer_id=r.customer_id, kind=kind, channel=KINDS[kind], staff_id=principal.staff_id,
            recorded_by=principal.username, at=moment, outcome=outcome, note=text, branch_id=row["branch_id"],
            purpose="marketing", source="referral").id
    r.status, r.worked_at, r.outcome, r.outcome_note = "worked", moment, outcome, text
    r.accepted_at = r.accepted_at or moment
    repositories.record_audit(session, actor=principal.username, action="referral_work", target=f"referral:{r.id}",
                              details={"outcome": outcome, "kind": kind, "contact_id": contact_id,
                                       "late": formats.local(moment, serving.ws.settings.bank.timezone).date()
                                       > r.due_on})
    session.flush()
    return r


def reveal_referral_phone(session: Session, principal: Principal, referral_id: int, *,
                          ip: str | None = None) -> str | None:
    """A prospect's phone in clear for the receiving manager, to call them; the reveal is audited first."""
    require(principal, "reveal_pii")
    r = _own(session, principal, referral_id)
    if r.prospect_phone is None:
        raise NotFound("潜在客户电话", "prospect's phone", str(referral_id))
    repositories.record_audit(session, actor=principal.username, action="reveal_pii", target=f"referral:{r.id}",
                              reason="跟进大堂转介 / following up a lobby referral",
                              details={"fields": ["phone"], "ip": ip})
    return r.prospect_phone
