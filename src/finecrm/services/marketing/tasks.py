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
assigned to their own staff id — each with talking points. Names and phone numbers are masked inside the
query like every list (a manager reveals a customer's details on the 360 page, audited).

**Outcomes** (``record_outcome``): contacted / interested / converted / refused / unreachable with a note,
by the assigned manager only, from the campaign's start date on (late entries after the end are allowed).
Every assignment, reassignment and outcome is written to the audit log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from finecrm.authz import Principal, allowed, customer_in_scope, require
from finecrm.authz.errors import NotFound
from finecrm.core.settings import Settings
from finecrm.db import repositories
from finecrm.db.models import Campaign, CampaignMember
from finecrm.services.common import Page, clamp_page
from finecrm.services.marketing.campaigns import (
    CHANNELS,
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
    TaskRow,
)
from finecrm.services.marketing.sources import grid_managers, staff
from finecrm.services.snapshot.serving import Serving

#: What a manager may record: code → (中文, English).
OUTCOMES: dict[str, tuple[str, str]] = {
    "contacted": ("已联系", "contacted"),
    "interested": ("有意向", "interested"),
    "converted": ("已成交", "converted"),
    "refused": ("拒绝", "refused"),
    "unreachable": ("联系不上", "unreachable"),
}
#: Task list filters besides an outcome code: open = nothing recorded yet, done = an outcome recorded.
TASK_STATUSES = ("open", "done")
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


def _task_row(m: CampaignMember, c: Campaign, label: dict[str, Any] | None, settings: Settings, money: bool
              ) -> TaskRow:
    why = talking_points_of(m)
    if not money:
        why = {k: v for k, v in why.items() if k != "aum_band"}
    label = label or {}
    zh, en = CHANNELS.get(c.channel, (c.channel, c.channel))
    return {
        "campaign_id": c.id, "campaign_name": c.name, "customer_id": m.customer_id, "name": label.get("name"),
        "phone": label.get("phone"), "channel": c.channel, "channel_zh": zh, "channel_en": en,
        "start_date": day_of(c.start_date), "end_date": day_of(c.end_date), "product_code": why.get("product_code"),
        "product_name": why.get("product_name"), "score": m.score, "decile": m.decile, "tier": m.stratum,
        "why": why, "talking_points": talking_points(c, why, money=money),
        "outcome": m.outcome, "outcome_zh": OUTCOMES.get(m.outcome or "", ("", ""))[0] or None,
        "outcome_note": m.outcome_note, "outcome_at": m.outcome_at, "assigned_at": m.assigned_at,
        "converted_on": day_of(m.converted_on),
    }


def list_tasks(session: Session, serving: Serving, principal: Principal, *, campaign_id: int | None = None,
               status: str | None = None, page: int = 1, page_size: int = 20) -> Page[TaskRow]:
    """The principal's own campaign tasks (assigned to their staff id), newest campaign first, paged.

    ``status``: ``open`` (no outcome yet), ``done`` (an outcome recorded) or an outcome code. A user without a
    staff id has no tasks. Names and phones are masked; AUM bands only with ``view_balances``.
    """
    require(principal, "view_own_tasks")
    page, page_size = clamp_page(page, page_size)
    if principal.staff_id is None:
        return Page([], page, page_size, 0)
    outcomes: list[str | None] | None
    if status in (None, ""):
        outcomes = None
    elif status == "open":
        outcomes = [None]
    elif status == "done":
        outcomes = list(OUTCOMES)
    elif status in OUTCOMES:
        outcomes = [status]
    else:
        choices = ", ".join((*TASK_STATUSES, *OUTCOMES))
        raise CampaignError(f"状态须为 {choices} 之一 / the status must be one of {choices}, got {status!r}")
    rows, total = repositories.list_tasks(session, staff_id=principal.staff_id, campaign_id=campaign_id,
                                          outcomes=outcomes, limit=page_size, offset=(page - 1) * page_size)
    labels = customer_labels(serving, principal, [m.customer_id for m, _ in rows])
    money = allowed(principal, "view_balances")
    settings = serving.ws.settings
    return Page([_task_row(m, c, labels.get(m.customer_id), settings, money) for m, c in rows], page, page_size,
                total)


def record_outcome(session: Session, principal: Principal, campaign_id: int, customer_id: str, *, outcome: str,
                   note: str = "", today: date | None = None) -> OutcomeRecorded:
    """Record what came of a task. Only the assigned manager, only from the campaign's start; audited.

    Returns ``{campaign_id, customer_id, outcome, previous, outcome_at}``. A task that is not the
    principal's (another manager's, a control member, no such customer) is ``NotFound``.
    """
    require(principal, "record_outcome")
    c = load_campaign(session, campaign_id)
    m = repositories.get_campaign_member(session, campaign_id=c.id, customer_id=str(customer_id))
    if m is None or m.arm != TREATMENT or principal.staff_id is None or m.assigned_to != principal.staff_id:
        raise NotFound("任务", "task", f"{campaign_id}/{customer_id}")
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
    day = today or date.today()
    start = day_of(c.start_date)
    if start is not None and day < start:
        raise CampaignError(f"活动 {start} 才开始，不能提前登记结果 / the campaign starts on {start}: outcomes can be "
                            "recorded from then on")
    previous = m.outcome
    now = datetime.now(UTC)
    m.outcome, m.outcome_note, m.outcome_by, m.outcome_at = outcome, text or None, principal.username, now
    # The note itself stays out of the audit log: managers write free text that may hold personal data.
    repositories.record_audit(session, actor=principal.username, action="campaign_outcome",
                              target=f"campaign:{c.id}:{m.customer_id}",
                              details={"outcome": outcome, "previous": previous, "note_chars": len(text)})
    session.flush()
    return {"campaign_id": c.id, "customer_id": m.customer_id, "outcome": outcome, "previous": previous,
            "outcome_at": now}
