"""Handing out a campaign's treatment members as tasks, the managers' task lists, and recorded outcomes.

**Assignment** (``assign_campaign``): treatment members only — the control group is never contacted, so it
is never assigned. Members are taken highest propensity first; each goes to the customer's own manager
(``customers.manager_id`` at draw time) if that person is an active customer manager in the staff table
with fewer than ``marketing.capacity_per_manager`` members of this campaign, else to the manager of the
customer's grid under the same rule, else stays unassigned for the branch head. Running it again only
hands out members still unassigned (capacity counts what is already assigned).

**Reassignment** (``reassign_members``): a branch head moves members of their branch (scope) to an active
customer manager of their branch. A member or a manager outside the scope is *not found* (authz), as
everywhere else: the answer never tells whether it exists elsewhere.

**Tasks** (``list_tasks``): a customer manager's assigned treatment members across campaigns — only those
assigned to their own staff id — each with talking points, filtered by campaign, view (open, due, upcoming,
overdue, done — ``repositories.task_conditions``) and due date, sorted. Names and phone numbers are masked
inside the query like every list. A task of a campaign that has not started is *upcoming*, not due.

**Calling** (``call_task``): the manager reveals the phone of a task's customer in one click, through the
one reveal path (``services.customers.reveal``: scope and audit in one place) with the task as the reason.

**Outcomes** (``record_outcome``): contacted / interested / converted / refused / unreachable with a note,
by the assigned manager only, from the campaign's start date on (late entries after the end are allowed).
"Interested" asks for a follow-up date: the task stays open, upcoming until that day and due from it. Each
outcome is appended to the customer's contacts (``services.workbench``: the history the 360 shows) and sets
the task's current state. Every assignment, reassignment, call and outcome is written to the audit log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from finecrm.authz import Principal, allowed, customer_in_scope, require
from finecrm.authz.errors import NotFound
from finecrm.core import formats
from finecrm.db import repositories
from finecrm.db.models import Campaign, CampaignMember
from finecrm.services import customers, workbench
from finecrm.services.common import Page, clamp_page
from finecrm.services.marketing.campaigns import (
    CHANNELS,
    OUTCOMES,
    CampaignError,
    customer_labels,
    day_of,
    load_campaign,
    require_any,
    talking_points_of,
)
from finecrm.services.marketing.members import TREATMENT, member_in_scope, scoped
from finecrm.services.marketing.outputs import (
    Assignment,
    Bilingual,
    OutcomeRecorded,
    Reassigned,
    StaffLoad,
    TaskCall,
    TaskRow,
)
from finecrm.services.marketing.sources import grid_managers, staff
from finecrm.services.snapshot.serving import Serving

#: Task list views besides an outcome code (``repositories.task_conditions`` says what each keeps).
TASK_STATUSES = repositories.TASK_VIEWS
#: How the task list sorts ("-" first: descending).
TASK_SORTS = repositories.TASK_SORTS
#: The furthest a follow-up may be set: a campaign's follow-up, not a reminder for next year.
MAX_FOLLOW_UP_DAYS = 180
MAX_NOTE = 500
MAX_REASSIGN = 1000
#: Staff who may hold campaign tasks: the role that records outcomes.
TASK_ROLE = "customer_manager"


def _can_take(person: dict[str, Any] | None) -> bool:
    return person is not None and bool(person.get("active")) and person.get("role") == TASK_ROLE


def _priority(m: CampaignMember) -> tuple[float, int, str]:
    """Highest propensity first (then the top decile, then by id): capacity goes to the likeliest buyers."""
    score = m.score if isinstance(m.score, int | float) else None
    return (-(score if score is not None else -1.0), m.decile if m.decile is not None else 99, m.customer_id)


def assign_campaign(session: Session, serving: Serving, principal: Principal, campaign_id: int) -> Assignment:
    """Hand out the campaign's unassigned treatment members in the principal's scope (see the module doc).

    Returns ``{campaign_id, capacity, assigned, own_manager, grid_manager, unassigned, unassigned_reasons,
    per_staff: [{staff_id, name, members}]}`` — ``per_staff`` counts every member the person holds in the
    campaign after this run.
    """
    require_any(principal, "manage_campaigns", "assign_customers")
    c = load_campaign(session, campaign_id)
    if c.status in ("closed", "cancelled"):
        raise CampaignError(f"营销活动 {c.id} 已结束或取消 / campaign {c.id} is {c.status}")
    people = staff(serving.ws)
    grids = grid_managers(serving.ws)
    cap = serving.ws.settings.marketing.capacity_per_manager
    load = repositories.campaign_assignment_load(session, campaign_id=c.id)
    todo = scoped(principal, repositories.list_campaign_members(session, campaign_id=c.id, arm=TREATMENT,
                                                                  assigned=False))
    now = datetime.now(UTC)
    changes: list[dict[str, Any]] = []
    via = {"own_manager": 0, "grid_manager": 0}
    reasons = {"no_active_manager": 0, "managers_full": 0}
    for m in sorted(todo, key=_priority):
        candidates = [("own_manager", m.manager_id), ("grid_manager", grids.get(m.grid_id) if m.grid_id else None)]
        eligible = [(how, who) for how, who in candidates if who and _can_take(people.get(who))]
        chosen = next(((how, who) for how, who in eligible if load.get(who, 0) < cap), None)
        if chosen is None:
            reasons["managers_full" if eligible else "no_active_manager"] += 1
            continue
        how, who = chosen
        load[who] = load.get(who, 0) + 1
        via[how] += 1
        changes.append({"customer_id": m.customer_id, "assigned_to": who, "assigned_by": principal.username,
                        "assigned_at": now})
    repositories.update_campaign_members(session, campaign_id=c.id, changes=changes)
    if changes and c.status == "draft":
        c.status = "assigned"
    per_staff: list[StaffLoad] = [{"staff_id": s, "name": (people.get(s) or {}).get("name"), "members": n}
                                  for s, n in sorted(load.items())]
    result: Assignment = {
        "campaign_id": c.id, "capacity": cap, "assigned": len(changes), "own_manager": via["own_manager"],
        "grid_manager": via["grid_manager"], "unassigned": len(todo) - len(changes),
        "unassigned_reasons": {"no_active_manager": reasons["no_active_manager"],
                               "managers_full": reasons["managers_full"]},
        "per_staff": per_staff,
    }
    repositories.record_audit(session, actor=principal.username, action="campaign_assign", target=f"campaign:{c.id}",
                              details={k: v for k, v in result.items() if k != "per_staff"}
                              | {"per_staff": {s: n for s, n in sorted(load.items())}})
    session.flush()
    return result


def _branch_in_scope(principal: Principal, branch_id: str | None) -> bool:
    """Is ``branch_id`` one of the principal's branches? Asked of authz with a row that has only a branch,
    so roles scoped by person (who have no branches) get no."""
    return customer_in_scope(principal, {"customer_id": None, "branch_id": branch_id, "manager_id": None,
                                         "grid_id": None})


def assignable_staff(serving: Serving, principal: Principal, *, campaign_id: int | None = None,
                     session: Session | None = None) -> list[dict[str, Any]]:
    """Active customer managers of the principal's branches (for the reassign form), with how many members
    of ``campaign_id`` each holds when a campaign (and a session) is given."""
    require(principal, "assign_customers")
    load = (repositories.campaign_assignment_load(session, campaign_id=campaign_id)
            if campaign_id is not None and session is not None else {})
    return [{"staff_id": sid, "name": p.get("name"), "branch_id": p.get("branch_id"), "members": load.get(sid, 0)}
            for sid, p in sorted(staff(serving.ws).items())
            if _can_take(p) and _branch_in_scope(principal, p.get("branch_id"))]


def reassign_members(session: Session, serving: Serving, principal: Principal, campaign_id: int, *,
                     customer_ids: list[str], to_staff_id: str, reason: str = "") -> Reassigned:
    """Give treatment members of the branch head's scope to an active customer manager of their branch.

    Returns ``{campaign_id, to_staff_id, moved, unchanged, warnings}``. A member outside the scope (or not in
    the campaign) and a manager outside the branches raise ``NotFound``; a control member or an inactive
    person raise ``CampaignError``. Going over the capacity is allowed (the branch head decides) and warned.
    """
    require(principal, "assign_customers")
    c = load_campaign(session, campaign_id)
    if c.status in ("closed", "cancelled"):
        raise CampaignError(f"营销活动 {c.id} 已结束或取消 / campaign {c.id} is {c.status}")
    ids = list(dict.fromkeys(str(i).strip() for i in customer_ids if str(i).strip()))
    if not ids:
        raise CampaignError("请选择要分配的客户 / choose the customers to reassign")
    if len(ids) > MAX_REASSIGN:
        raise CampaignError(f"一次最多调整 {MAX_REASSIGN} 名客户 / at most {MAX_REASSIGN} customers at a time")
    person = staff(serving.ws).get(to_staff_id)
    if person is None or not _branch_in_scope(principal, person.get("branch_id")):
        raise NotFound("员工", "staff member", to_staff_id)
    if not _can_take(person):
        raise CampaignError(f"{to_staff_id} 不是在岗的客户经理 / {to_staff_id} is not an active customer manager")
    found = {m.customer_id: m for m in repositories.list_campaign_members(session, campaign_id=c.id,
                                                                          customer_ids=ids)}
    for cid in ids:
        m = found.get(cid)
        if m is None or not member_in_scope(principal, m):
            raise NotFound("活动客户", "campaign member", cid)
        if m.arm != TREATMENT:
            raise CampaignError(f"{cid} 在对照组，对照组客户不分配、不联系 / {cid} is in the control group, which is "
                                "never assigned or contacted")
    now = datetime.now(UTC)
    moves = [found[cid] for cid in ids if found[cid].assigned_to != to_staff_id]
    previous = {m.customer_id: m.assigned_to for m in moves}
    repositories.update_campaign_members(session, campaign_id=c.id, changes=[
        {"customer_id": m.customer_id, "assigned_to": to_staff_id, "assigned_by": principal.username,
         "assigned_at": now} for m in moves])
    load = repositories.campaign_assignment_load(session, campaign_id=c.id).get(to_staff_id, 0)
    cap = serving.ws.settings.marketing.capacity_per_manager
    warnings = []
    if load > cap:
        warnings.append(f"{to_staff_id} 在本活动中有 {load} 名客户，超过每人上限 {cap} / {to_staff_id} now holds {load} "
                        f"members of this campaign, above the capacity of {cap}")
    if moves and c.status == "draft":
        c.status = "assigned"
    repositories.record_audit(session, actor=principal.username, action="campaign_reassign",
                              target=f"campaign:{c.id}", reason=(reason or "").strip()[:500] or None,
                              details={"to": to_staff_id, "moved": previous, "unchanged": len(ids) - len(moves)})
    session.flush()
    return {"campaign_id": c.id, "to_staff_id": to_staff_id, "moved": len(moves),
            "unchanged": len(ids) - len(moves), "warnings": warnings}


# --- the manager's task list ------------------------------------------------------------------------


def talking_points(c: Campaign, why: dict[str, Any], *, money: bool) -> list[Bilingual]:
    """What to say, line by line in both languages: why this customer, which product, how and when."""
    points: list[Bilingual] = []
    score, decile = why.get("score"), why.get("decile")
    if isinstance(score, int | float):
        zh = f"购买倾向 {score:.1%}"
        en = f"propensity {score:.1%}"
        if decile is not None:
            zh += f"，第 {decile} 个十分位（1 为最高的 10%）"
            en += f", decile {decile} (1 = the top tenth)"
        points.append({"zh": zh, "en": en})
    if why.get("model_reason"):
        points.append({"zh": str(why["model_reason"]), "en": str(why["model_reason"])})
    tier_zh = f"客户层级 {why['tier']}" if why.get("tier") else ""
    tier_en = f"tier {why['tier']}" if why.get("tier") else ""
    band = why.get("aum_band") if money else None
    if band:
        tier_zh += ("，" if tier_zh else "") + f"金融资产 {band['zh']}"
        tier_en += (", " if tier_en else "") + f"AUM {band['en']}"
    if why.get("lifecycle"):
        tier_zh += ("，" if tier_zh else "") + f"生命周期 {why['lifecycle']}"
        tier_en += (", " if tier_en else "") + f"lifecycle {why['lifecycle']}"
    if tier_zh:
        points.append({"zh": tier_zh, "en": tier_en})
    product = why.get("product_name") or c.target
    code = why.get("product_code")
    points.append({"zh": f"推荐产品：{product}" + (f"（{code}）" if code else ""),
                   "en": f"offer: {product}" + (f" ({code})" if code else "") + f" — {why.get('product_en', c.target)}"})
    ch_zh, ch_en = CHANNELS.get(c.channel, (c.channel, c.channel))
    start, end = day_of(c.start_date), day_of(c.end_date)
    points.append({"zh": f"渠道：{ch_zh}；活动期 {start} 至 {end}", "en": f"channel: {ch_en}; period {start} to {end}"})
    return points


def task_state(m: CampaignMember, c: Campaign, today: date) -> tuple[str, date | None]:
    """``(state, due_on)`` of a task on ``today``: done, upcoming (the campaign or the follow-up is later) or due
    — the same rule as ``repositories.task_conditions``, for one row already read."""
    start = day_of(c.start_date)
    due_on = m.follow_up_on or start
    if m.outcome in repositories.DONE_OUTCOMES:
        return "done", due_on
    if (start is not None and start > today) or (m.follow_up_on is not None and m.follow_up_on > today):
        return "upcoming", due_on
    return "due", due_on


def _task_row(m: CampaignMember, c: Campaign, label: dict[str, Any] | None, money: bool, today: date) -> TaskRow:
    why = talking_points_of(m)
    if not money:
        why = {k: v for k, v in why.items() if k != "aum_band"}
    label = label or {}
    zh, en = CHANNELS.get(c.channel, (c.channel, c.channel))
    state, due_on = task_state(m, c, today)
    return {
        "campaign_id": c.id, "campaign_name": c.name, "customer_id": m.customer_id, "name": label.get("name"),
        "phone": label.get("phone"), "channel": c.channel, "channel_zh": zh, "channel_en": en,
        "start_date": day_of(c.start_date), "end_date": day_of(c.end_date), "product_code": why.get("product_code"),
        "product_name": why.get("product_name"), "score": m.score, "decile": m.decile, "tier": m.stratum,
        "why": why, "talking_points": talking_points(c, why, money=money),
        "outcome": m.outcome, "outcome_zh": OUTCOMES.get(m.outcome or "", ("", ""))[0] or None,
        "outcome_note": m.outcome_note, "outcome_at": m.outcome_at, "assigned_at": m.assigned_at,
        "converted_on": day_of(m.converted_on), "follow_up_on": m.follow_up_on, "due_on": due_on, "state": state,
    }


def task_filters(status: str | None, sort: str | None) -> tuple[dict[str, Any], str]:
    """A task list's ``status`` (a view or an outcome code) and ``sort`` checked: the repository's filters and
    sort, or a bilingual :class:`CampaignError` naming the choices."""
    filters: dict[str, Any] = {}
    if status in (None, ""):
        pass
    elif status in TASK_STATUSES:
        filters["view"] = status
    elif status in OUTCOMES:
        filters["outcomes"] = [status]
    else:
        choices = ", ".join((*TASK_STATUSES, *OUTCOMES))
        raise CampaignError(f"状态须为 {choices} 之一 / the status must be one of {choices}, got {status!r}")
    key = (sort or "due").strip()
    if key.removeprefix("-") not in TASK_SORTS:
        choices = ", ".join(TASK_SORTS)
        raise CampaignError(f"不能按 {key!r} 排序，可选 {choices} / cannot sort tasks by {key!r}: one of {choices}")
    return filters, key


def list_tasks(session: Session, serving: Serving, principal: Principal, *, campaign_id: int | None = None,
               status: str | None = None, due_by: date | None = None, sort: str | None = None, page: int = 1,
               page_size: int = 20, today: date | None = None) -> Page[TaskRow]:
    """The principal's own campaign tasks (assigned to their staff id), paged, due first by default.

    ``status``: a view of :data:`TASK_STATUSES` (open, due, upcoming, overdue, done) or an outcome code;
    ``due_by``: tasks due on or before that day; ``sort``: one of :data:`TASK_SORTS`. A user without a staff
    id has no tasks. Names and phones are masked; AUM bands only with ``view_balances``.
    """
    require(principal, "view_own_tasks")
    page, page_size = clamp_page(page, page_size)
    filters, key = task_filters(status, sort)
    if principal.staff_id is None:
        return Page([], page, page_size, 0)
    day = today or formats.today(serving.ws.settings.bank.timezone)
    rows, total = repositories.list_tasks(session, staff_id=principal.staff_id, campaign_id=campaign_id,
                                          due_by=due_by, today=day, sort=key, limit=page_size,
                                          offset=(page - 1) * page_size, **filters)
    labels = customer_labels(serving, principal, [m.customer_id for m, _ in rows])
    money = allowed(principal, "view_balances")
    return Page([_task_row(m, c, labels.get(m.customer_id), money, day) for m, c in rows], page, page_size, total)


def task_campaigns(session: Session, principal: Principal) -> list[tuple[int, str]]:
    """``(id, name)`` of the campaigns the principal has tasks in, newest first (the list's campaign filter)."""
    if principal.staff_id is None or not allowed(principal, "view_own_tasks"):
        return []
    return repositories.task_campaigns(session, staff_id=principal.staff_id)


def due_today(session: Session, principal: Principal, *, today: date | None = None, tz: str | None = None) -> int:
    """How many of the principal's tasks are due today (the menu's badge; today in the bank's time zone
    ``tz``); 0 without tasks."""
    if principal.staff_id is None or not allowed(principal, "view_own_tasks"):
        return 0
    return repositories.count_due_tasks(session, staff_id=principal.staff_id, today=today or formats.today(tz))


def customer_tasks(session: Session, principal: Principal, customer_id: str, *, today: date | None = None,
                   tz: str | None = None) -> list[dict[str, Any]]:
    """The principal's open tasks on one customer (for the 360): campaign, product, state and due day."""
    if principal.staff_id is None or not allowed(principal, "view_own_tasks"):
        return []
    day = today or formats.today(tz)
    rows, _ = repositories.list_tasks(session, staff_id=principal.staff_id, customer_id=customer_id, view="open",
                                      today=day, limit=None)
    out = []
    for m, c in rows:
        state, due_on = task_state(m, c, day)
        out.append({"campaign_id": c.id, "campaign_name": c.name, "product_name": talking_points_of(m).get(
            "product_name"), "channel": c.channel, "outcome": m.outcome, "follow_up_on": m.follow_up_on,
            "due_on": due_on, "state": state})
    return out


def _own_task(session: Session, principal: Principal, campaign_id: int, customer_id: str
              ) -> tuple[Campaign, CampaignMember]:
    """The principal's task on ``customer_id`` in the campaign; anyone else's (or none) is ``NotFound``."""
    c = load_campaign(session, campaign_id)
    m = repositories.get_campaign_member(session, campaign_id=c.id, customer_id=str(customer_id))
    if m is None or m.arm != TREATMENT or principal.staff_id is None or m.assigned_to != principal.staff_id:
        raise NotFound("任务", "task", f"{campaign_id}/{customer_id}")
    return c, m


def call_task(session: Session, serving: Serving, principal: Principal, campaign_id: int, customer_id: str, *,
              ip: str | None = None) -> TaskCall:
    """The phone of one's own task's customer in clear, to call them.

    Goes through ``customers.reveal`` (needs ``reveal_pii`` and the customer in the principal's scope: a task
    reassigned to a manager who does not look after the customer reveals nothing), with the task as the
    reason; the audit row (``reveal_pii``, the phone only, ``task``) is written before the number is returned.
    """
    require(principal, "reveal_pii")
    c, m = _own_task(session, principal, campaign_id, customer_id)
    reason = f"营销任务电话联系：{c.name}（活动 {c.id}）/ calling for a campaign task: {c.name} (campaign {c.id})"
    record = customers.reveal(session, serving, principal, m.customer_id, reason=reason, fields=("phone",), ip=ip,
                              task=f"campaign:{c.id}:{m.customer_id}")
    return {"campaign_id": c.id, "customer_id": m.customer_id, "phone": record["customer"].get("phone")}


def record_outcome(session: Session, principal: Principal, campaign_id: int, customer_id: str, *, outcome: str,
                   note: str = "", follow_up_on: date | None = None, today: date | None = None,
                   tz: str | None = None) -> OutcomeRecorded:
    """Record what came of a task. Only the assigned manager, only from the campaign's start; audited.

    "interested" needs ``follow_up_on`` (after today, within :data:`MAX_FOLLOW_UP_DAYS`); other outcomes take
    none and clear an earlier one. The outcome is appended to the customer's contacts and becomes the task's
    state. Returns ``{campaign_id, customer_id, outcome, previous, outcome_at, follow_up_on}``. A task that is
    not the principal's (another manager's, a control member, no such customer) is ``NotFound``.
    """
    require(principal, "record_outcome")
    c, m = _own_task(session, principal, campaign_id, customer_id)
    if c.status in ("closed", "cancelled"):
        raise CampaignError(f"营销活动 {c.id} 已结束或取消，不能再登记结果 / campaign {c.id} is {c.status}: no more "
                            "outcomes can be recorded")
    if outcome not in OUTCOMES:
        choices = ", ".join(OUTCOMES)
        raise CampaignError(f"结果须为 {choices} 之一 / the outcome must be one of {choices}, got {outcome!r}")
    text = " ".join((note or "").split())  # one line: no control characters or layout tricks in the log
    if len(text) > MAX_NOTE:
        raise CampaignError(f"备注最多 {MAX_NOTE} 个字，当前 {len(text)} 个 / the note may have at most {MAX_NOTE} "
                            f"characters; it has {len(text)}")
    day = today or formats.today(tz)  # the bank's day (``tz``: bank.timezone)
    start = day_of(c.start_date)
    if start is not None and day < start:
        raise CampaignError(f"活动 {start} 才开始，不能提前登记结果 / the campaign starts on {start}: outcomes can be "
                            "recorded from then on")
    if outcome == "interested":
        if follow_up_on is None:
            raise CampaignError("客户有意向时请填写跟进日期 / an interested customer needs a follow-up date")
        if not day < follow_up_on <= day + timedelta(days=MAX_FOLLOW_UP_DAYS):
            raise CampaignError(f"跟进日期须在今天之后 {MAX_FOLLOW_UP_DAYS} 天以内 / the follow-up date must be after "
                                f"today and within {MAX_FOLLOW_UP_DAYS} days, got {follow_up_on}")
    else:
        follow_up_on = None
    previous = m.outcome
    now = datetime.now(UTC)
    m.outcome, m.outcome_note, m.outcome_by, m.outcome_at = outcome, text or None, principal.username, now
    m.follow_up_on = follow_up_on
    workbench.record_contact(session, customer_id=m.customer_id, kind="campaign_task", recorded_by=principal.username,
                             staff_id=principal.staff_id, channel=c.channel, outcome=outcome, note=text or None,
                             follow_up_on=follow_up_on, campaign_id=c.id, branch_id=m.branch_id, at=now)
    # The note itself stays out of the audit log: managers write free text that may hold personal data.
    repositories.record_audit(session, actor=principal.username, action="campaign_outcome",
                              target=f"campaign:{c.id}:{m.customer_id}",
                              details={"outcome": outcome, "previous": previous, "note_chars": len(text),
                                       "follow_up_on": follow_up_on.isoformat() if follow_up_on else None})
    session.flush()
    return {"campaign_id": c.id, "customer_id": m.customer_id, "outcome": outcome, "previous": previous,
            "outcome_at": now, "follow_up_on": follow_up_on}
