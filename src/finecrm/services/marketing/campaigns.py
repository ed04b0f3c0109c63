"""Campaigns (营销活动): drawing the list with a random control group, and looking at a campaign afterwards.

``create_campaign`` draws the list from the published snapshot:

    audience (a saved rule, or every customer in the creator's scope)
      ∩ eligible for the target (``customer_propensity.eligible_<t>``: age, KYC, suitability)
      ∩ never held the product (``product_adoption.first_<t>_on`` is empty)
      → ordered by propensity ``p_<t>`` and cut at the top N (when asked)
      → capped (the highest propensities with a top N, else a seeded random subset)
      → split into treatment and a control group stratified by tier (``campaign_draw``)

and stores every member with arm, stratum, branch, grid, own manager, score, decile and the talking points
known at draw time. The snapshot, the seed and the counts are kept in ``details``; the creation is audited.

Assignment, tasks and outcomes live in ``campaign_tasks``; conversion detection in
``campaign_conversions``; the evaluation in ``campaign_evaluation``. docs/campaigns.md explains all of it.

Who sees what: analysts (``manage_campaigns``) create and see every campaign; branch heads
(``assign_customers``) see campaigns through the members of their branch only — a member is in scope by
the branch, manager and grid it had when it was drawn, judged by ``authz.customer_in_scope``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from finecrm.authz import (
    Principal,
    allowed,
    mask_table,
    require,
)
from finecrm.authz.errors import NotFound
from finecrm.core.settings import PropensityTarget, Settings
from finecrm.db import repositories
from finecrm.db.models import Campaign, CampaignMember
from finecrm.services.common import Page, clamp_page

# The terms live in campaign_terms (so plan can use them without an import circle); callers use campaigns.X.
from finecrm.services.marketing.campaign_terms import CHANNELS as CHANNELS
from finecrm.services.marketing.campaign_terms import MAX_MEMBERS as MAX_MEMBERS
from finecrm.services.marketing.campaign_terms import UNTIERED as UNTIERED
from finecrm.services.marketing.campaign_terms import CampaignError as CampaignError
from finecrm.services.marketing.inputs import CampaignSpec
from finecrm.services.marketing.members import (
    ARMS,
    CONTROL,
    TREATMENT,
    counts_in_scope,
    scoped,
    sees_every_member,
)
from finecrm.services.marketing.outputs import (
    CampaignDetails,
    CampaignDoc,
    CampaignInScope,
    CampaignSummary,
    MemberRow,
)
from finecrm.services.marketing.sources import (
    snapshot_as_of,
)
from finecrm.services.snapshot.serving import Serving

# --- small helpers shared by the campaign modules ------------------------------------------------------


def require_any(principal: Principal, *actions: str) -> None:
    """Pass when ``principal`` may perform any of ``actions``; else the Forbidden of the first one."""
    if not any(allowed(principal, a) for a in actions):
        require(principal, actions[0])


def utc_day(d: date) -> datetime:
    """A calendar date as stored in the database: midnight UTC."""
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def day_of(value: datetime | None) -> date | None:
    """The calendar date of a stored timestamp (SQLite returns it without a zone: it is UTC)."""
    if value is None:
        return None
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).date()


def load_campaign(session: Session, campaign_id: int) -> Campaign:
    c = repositories.get_campaign(session, campaign_id=int(campaign_id))
    if c is None:
        raise NotFound("营销活动", "campaign", str(campaign_id))
    return c


def talking_points_of(member: CampaignMember) -> dict[str, Any]:
    """The talking points stored with a member at draw time (see :func:`_why`)."""
    if not member.reason:
        return {}
    try:
        value = json.loads(member.reason)
    except ValueError:  # written by hand or by an older version: keep the text
        return {"note": member.reason}
    return value if isinstance(value, dict) else {"note": str(value)}


def aum_band(value: float | None, settings: Settings) -> dict[str, str] | None:
    """The AUM band a value falls in, with edges at the tier thresholds (a band, not the amount)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    edges = sorted({float(settings.tiers.potential_below), *(float(b.min) for b in settings.tiers.retail)} - {0.0})
    low = None
    for edge in edges:
        if value < edge:
            return _band(low, edge)
        low = edge
    return _band(low, None)


def _band(low: float | None, high: float | None) -> dict[str, str]:
    def zh(v: float) -> str:
        return f"{v / 10_000:g}万"

    def en(v: float) -> str:
        return f"{v / 1_000_000:g}M" if v >= 1_000_000 else f"{v / 1_000:g}k"

    if low is None:
        return {"zh": f"{zh(high or 0)}以下", "en": f"under {en(high or 0)}"}
    if high is None:
        return {"zh": f"{zh(low)}及以上", "en": f"{en(low)} and above"}
    return {"zh": f"{zh(low)}–{zh(high)}", "en": f"{en(low)}–{en(high)}"}


# --- creating a campaign -------------------------------------------------------------------------------


def _why(row: dict[str, Any], target: PropensityTarget, offer: dict[str, Any] | None, settings: Settings
         ) -> dict[str, Any]:
    """Talking points known at draw time: why this customer and which product (kept with the member)."""
    return {
        "target": target.code,
        "product_code": offer["product_code"] if offer else None,
        "product_name": (offer or {}).get("name") or target.zh,
        "product_en": target.en,
        "score": row.get("score"),
        "decile": row.get("decile"),
        "model_reason": row.get("model_reason"),
        "tier": row.get("tier"),
        "aum_band": aum_band(row.get("aum_avg"), settings),
        "lifecycle": row.get("lifecycle_label"),
    }


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def create_campaign(session: Session, serving: Serving, principal: Principal, spec: CampaignSpec) -> CampaignDoc:
    """Draw a campaign's list and control group from the published snapshot and save it (audited).

    Returns :func:`campaign_dict` of the new campaign. Raises :class:`CampaignError` for bad input or an
    empty list, ``CampaignDataError`` when ``top_n`` needs the propensity mart and the snapshot lacks it.
    """
    require(principal, "manage_campaigns")
    from finecrm.services.marketing.plan import plan_campaign

    plan = plan_campaign(session, serving, principal, spec)
    settings = serving.ws.settings
    name, tgt, offer, audience = plan.name, plan.target, plan.offer, plan.audience
    top_n, size_cap, share, seed = plan.top_n, plan.size_cap, plan.share, plan.seed
    rows, in_control, n_control, strata = plan.rows, plan.in_control, plan.n_control, plan.strata
    candidates, p_col = plan.candidates, f"p_{tgt.code}"
    audience_id, start_date, end_date, channel = spec.audience_id, spec.start_date, spec.end_date, spec.channel
    cost_per_contact = spec.cost_per_contact
    as_of = snapshot_as_of(serving)
    now = datetime.now(UTC)
    campaign = Campaign(
        name=name, target=tgt.code, offer_product=offer["product_code"] if offer else None,
        audience_id=int(audience_id) if audience_id is not None else None,
        audience_version=audience["version"] if audience else None, top_n=top_n, size_cap=size_cap,
        control_share=share, seed=seed, channel=channel, start_date=utc_day(start_date),
        end_date=utc_day(end_date), cost_per_contact=float(cost_per_contact), status="draft",
        build_id=serving.build_id, created_by=principal.username, created_at=now,
        details={
            "snapshot": {"build_id": serving.build_id, "as_of": as_of.isoformat()},
            "counts": {"candidates": candidates, "members": len(rows), "treatment": len(rows) - n_control,
                       "control": n_control},
            "strata": strata,
            "draw": {"method": "stratified by tier; floor(n × share) plus one with probability of the remainder",
                     "seed": seed, "control_share": share, "sorted_by": "customer_id"},
            "list": {"eligibility": plan.eligibility, "never_held": plan.holding,
                     "order": f"{p_col} descending" if top_n else None,
                     "cap": ("highest propensity" if top_n else "seeded random subset") if size_cap else None,
                     "scope": "all" if sees_every_member(principal) else "creator's scope"},
            "audience": {"id": audience["id"], "version": audience["version"], "rule": audience["rule"]}
            if audience else None,
            # Kept so a later change of finecrm.yaml does not move this campaign's detection window.
            "horizon_days": settings.marketing.horizon_days,
            # How many customers each step of the list kept (the preview showed the same figures).
            "steps": plan.steps,
        },
    )
    repositories.add_campaign(session, campaign=campaign)
    repositories.add_campaign_members(session, rows=[{
        "campaign_id": campaign.id, "customer_id": r["customer_id"],
        "arm": CONTROL if in_control[r["customer_id"]] else TREATMENT, "stratum": r["stratum"],
        "branch_id": r["branch_id"], "grid_id": r["grid_id"], "manager_id": r["manager_id"],
        "score": _num(r["score"]), "decile": r["decile"],
        "reason": json.dumps(_why(r, tgt, offer, settings), ensure_ascii=False),
    } for r in rows])
    repositories.record_audit(
        session, actor=principal.username, action="campaign_create", target=f"campaign:{campaign.id}",
        details={"name": name, "target": tgt.code, "offer_product": campaign.offer_product,
                 "audience_id": campaign.audience_id, "audience_version": campaign.audience_version,
                 "top_n": top_n, "size_cap": size_cap, "control_share": share, "seed": seed, "channel": channel,
                 "start_date": start_date.isoformat(), "end_date": end_date.isoformat(),
                 "snapshot": serving.build_id, "counts": campaign.details["counts"] if campaign.details else None})
    return campaign_dict(campaign, settings)


# --- reading campaigns ---------------------------------------------------------------------------------


def campaign_dict(c: Campaign, settings: Settings | None = None) -> CampaignDoc:
    """A campaign as plain data (dates as ``date``; labels in both languages)."""
    tgt = None
    if settings is not None:
        tgt = next((t for t in settings.marketing.targets if t.code == c.target), None)
    zh, en = CHANNELS.get(c.channel, (c.channel, c.channel))
    return {
        "id": c.id, "name": c.name, "target": c.target, "target_zh": tgt.zh if tgt else c.target,
        "target_en": tgt.en if tgt else c.target, "offer_product": c.offer_product,
        "audience_id": c.audience_id, "audience_version": c.audience_version, "top_n": c.top_n,
        "size_cap": c.size_cap, "control_share": c.control_share, "seed": c.seed, "channel": c.channel,
        "channel_zh": zh, "channel_en": en, "start_date": day_of(c.start_date), "end_date": day_of(c.end_date),
        "cost_per_contact": c.cost_per_contact, "status": c.status, "build_id": c.build_id,
        "created_by": c.created_by, "created_at": c.created_at,
        "details": cast(CampaignDetails, c.details or {}),  # as create_campaign wrote it (and detection added)
    }


def list_campaigns(session: Session, serving: Serving | None, principal: Principal, *,
                   status: str | None = None) -> list[CampaignSummary]:
    """Campaigns, newest first, each with its member counts in the principal's scope (``counts``).

    Analysts see every campaign; branch heads see those with members in their branch.
    """
    require_any(principal, "manage_campaigns", "assign_customers")
    settings = serving.ws.settings if serving is not None else None
    out: list[CampaignSummary] = []
    for c in repositories.list_campaigns(session, status=status):
        counts = counts_in_scope(session, principal, c.id)
        if not counts["members"] and not sees_every_member(principal):
            continue
        out.append({**_in_scope(principal, campaign_dict(c, settings)), "counts": counts})
    return out


def get_campaign(session: Session, serving: Serving | None, principal: Principal, campaign_id: int
                 ) -> CampaignInScope:
    """One campaign with its member counts in the principal's scope; NotFound when it does not exist, or
    (for a branch head) when none of its members is in their branch."""
    require_any(principal, "manage_campaigns", "assign_customers")
    c = load_campaign(session, campaign_id)
    counts = counts_in_scope(session, principal, c.id)
    if not counts["members"] and not sees_every_member(principal):
        raise NotFound("营销活动", "campaign", str(campaign_id))
    settings = serving.ws.settings if serving is not None else None
    return {**_in_scope(principal, campaign_dict(c, settings)), "counts": counts,
            "scope": "all" if sees_every_member(principal) else "branch"}


def _in_scope(principal: Principal, doc: CampaignDoc) -> CampaignDoc:
    """The draw's bank-wide numbers (candidates, members and strata when the list was drawn) only for those who
    see every member; a branch head gets the campaign's counts computed in their scope instead (``counts``)."""
    if sees_every_member(principal):
        return doc
    return {**doc, "details": {**doc["details"], "counts": None, "strata": {}}}


def customer_labels(serving: Serving, principal: Principal, customer_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Masked names and phone numbers of a page of customers (``mask_table``: masked inside the query)."""
    if not customer_ids:
        return {}
    t = serving.table("customer_360")
    t = t.filter(t.customer_id.isin(sorted(set(customer_ids)))).select("customer_id", "kind", "name", "phone")
    return {r["customer_id"]: r for r in serving.query(mask_table(principal, t))}


def member_row(m: CampaignMember, label: dict[str, Any] | None = None) -> MemberRow:
    label = label or {}
    return {
        "customer_id": m.customer_id, "name": label.get("name"), "phone": label.get("phone"), "arm": m.arm,
        "stratum": m.stratum, "branch_id": m.branch_id, "grid_id": m.grid_id, "manager_id": m.manager_id,
        "score": m.score, "decile": m.decile, "assigned_to": m.assigned_to, "assigned_by": m.assigned_by,
        "assigned_at": m.assigned_at, "outcome": m.outcome, "outcome_at": m.outcome_at,
        "converted_on": day_of(m.converted_on), "follow_up_on": m.follow_up_on,
    }


#: What a manager may record: code → (中文, English).
OUTCOMES: dict[str, tuple[str, str]] = {
    "contacted": ("已联系", "contacted"),
    "interested": ("有意向", "interested"),
    "converted": ("已成交", "converted"),
    "refused": ("拒绝", "refused"),
    "unreachable": ("联系不上", "unreachable"),
}
#: How a member list sorts ("-" first: descending; then by customer id). Never by a personal-data column.
MEMBER_SORTS = ("customer_id", "stratum", "branch_id", "decile", "assigned_to", "outcome", "converted_on")
#: The outcome filter of a member list: an outcome code, or "none" (nothing recorded yet).
NO_OUTCOME = "none"


def _member_key(column: str) -> Any:
    def key(m: CampaignMember) -> tuple[bool, Any]:
        value = getattr(m, column)
        return (value is None, value if value is not None else 0)  # empty last, whichever the direction
    return key


def filtered_members(session: Session, principal: Principal, campaign_id: int, *, arm: str | None = None,
                     assigned: bool | None = None, assigned_to: str | None = None, outcome: str | None = None,
                     sort: str | None = None) -> list[CampaignMember]:
    """A campaign's members in the principal's scope that the filters keep, sorted (the rows of a member list
    and of its export). Bad filters raise a bilingual :class:`CampaignError`."""
    require_any(principal, "manage_campaigns", "assign_customers")
    c = load_campaign(session, campaign_id)
    if arm is not None and arm not in ARMS:
        raise CampaignError(f"组别须为 treatment 或 control / the arm must be treatment or control, got {arm!r}")
    if outcome is not None and outcome != NO_OUTCOME and outcome not in OUTCOMES:
        choices = ", ".join((NO_OUTCOME, *OUTCOMES))
        raise CampaignError(f"结果须为 {choices} 之一 / the outcome must be one of {choices}, got {outcome!r}")
    key = (sort or "customer_id").strip()
    column, descending = key.removeprefix("-"), key.startswith("-")
    if column not in MEMBER_SORTS:
        choices = ", ".join(MEMBER_SORTS)
        raise CampaignError(f"不能按 {key!r} 排序，可选 {choices} / cannot sort members by {key!r}: one of {choices}")
    members = scoped(principal, repositories.list_campaign_members(
        session, campaign_id=c.id, arm=arm, assigned=assigned, assigned_to=assigned_to))
    if outcome is not None:
        members = [m for m in members if m.outcome == (None if outcome == NO_OUTCOME else outcome)]
    if column != "customer_id":  # the repository's order (customer id) stays the tie-break: sorts are stable
        present = sorted((m for m in members if getattr(m, column) is not None), key=_member_key(column),
                         reverse=descending)
        members = present + [m for m in members if getattr(m, column) is None]
    elif descending:
        members = members[::-1]
    return members


def campaign_members(
    session: Session,
    serving: Serving,
    principal: Principal,
    campaign_id: int,
    *,
    arm: str | None = None,
    assigned: bool | None = None,
    assigned_to: str | None = None,
    outcome: str | None = None,
    sort: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Page[MemberRow]:
    """A page of a campaign's members in the principal's scope (:func:`filtered_members`), names and phones
    masked."""
    members = filtered_members(session, principal, campaign_id, arm=arm, assigned=assigned, assigned_to=assigned_to,
                               outcome=outcome, sort=sort)
    page, page_size = clamp_page(page, page_size)
    chunk = members[(page - 1) * page_size: page * page_size]
    labels = customer_labels(serving, principal, [m.customer_id for m in chunk])
    return Page([member_row(m, labels.get(m.customer_id)) for m in chunk], page, page_size, len(members))
