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

import ibis
import ibis.expr.types as ir
from sqlalchemy.orm import Session

from finecrm.authz import (
    Principal,
    allowed,
    mask_table,
    require,
)
from finecrm.authz.errors import NotFound
from finecrm.core.errors import FinecrmError
from finecrm.core.settings import PropensityTarget, Settings
from finecrm.db import repositories
from finecrm.db.models import Campaign, CampaignMember
from finecrm.services.common import Page, clamp_page
from finecrm.services.marketing.draw import MAX_SEED, draw_control, sample_cap
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
    AudienceDoc,
    CampaignDetails,
    CampaignDoc,
    CampaignInScope,
    CampaignSummary,
    MemberRow,
)
from finecrm.services.marketing.sources import (
    ADOPTION_MART,
    PROPENSITY_MART,
    products,
    require_mart,
    snapshot_as_of,
)
from finecrm.services.snapshot.serving import Serving

#: Channels a campaign may use: code → (中文, English).
CHANNELS: dict[str, tuple[str, str]] = {
    "phone": ("电话", "phone"),
    "sms": ("短信", "SMS"),
    "visit": ("上门走访", "visit"),
    "wechat": ("微信", "WeChat"),
    "lobby": ("厅堂", "lobby"),
}
#: A customer without a tier still needs a stratum: they are drawn together.
UNTIERED = "未分层"
#: The most members one campaign may have: a campaign list, not a copy of the customer base.
MAX_MEMBERS = 200_000
MAX_PERIOD_DAYS = 366
MAX_NAME = 100
MAX_COST = 100_000.0


class CampaignError(FinecrmError):
    """A campaign request that cannot be carried out as asked (the message says why, in both languages)."""


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


def _positive(value: int | None, what: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise CampaignError(f"{what} 须为正整数 / {what} must be a positive whole number, got {value!r}")
    return value


def _check_inputs(name: str, channel: str, start_date: date, end_date: date, control_share: float, seed: int,
                  cost_per_contact: float) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise CampaignError(f"活动名称须为 1–{MAX_NAME} 个字符 / the name must have 1–{MAX_NAME} characters")
    if channel not in CHANNELS:
        codes = ", ".join(CHANNELS)
        raise CampaignError(f"渠道须为 {codes} 之一 / the channel must be one of {codes}, got {channel!r}")
    if not isinstance(start_date, date) or not isinstance(end_date, date):
        raise CampaignError("开始和结束日期须为日期 / start and end must be dates")
    if end_date < start_date:
        raise CampaignError(f"结束日期 {end_date} 早于开始日期 {start_date} / the end {end_date} is before the "
                            f"start {start_date}")
    if (end_date - start_date).days > MAX_PERIOD_DAYS:
        raise CampaignError(f"活动期最长 {MAX_PERIOD_DAYS} 天 / a campaign lasts at most {MAX_PERIOD_DAYS} days")
    if not (isinstance(control_share, int | float) and 0 < control_share < 1):
        raise CampaignError(f"对照组比例须在 0 和 1 之间（如 0.2）/ the control share must be between 0 and 1 "
                            f"(e.g. 0.2), got {control_share!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise CampaignError(f"随机种子须为 0 到 {MAX_SEED} 的整数 / the seed must be a whole number from 0 to "
                            f"{MAX_SEED}, got {seed!r}")
    if not (isinstance(cost_per_contact, int | float) and math.isfinite(cost_per_contact)
            and 0 <= cost_per_contact <= MAX_COST):
        raise CampaignError(f"单次触达成本须为 0 到 {MAX_COST:,.0f} 元 / the cost per contact must be 0 to "
                            f"{MAX_COST:,.0f} yuan, got {cost_per_contact!r}")
    return name


def _offer(target: PropensityTarget, offer_product: str | None, catalogue: dict[str, dict[str, Any]]
           ) -> dict[str, Any] | None:
    """The product offered: the target's own unless another one of the same kind is named."""
    code = (offer_product or "").strip() or target.offer_product
    if code is None:
        return None  # a service (e.g. mobile banking): the offer is the signup itself
    if target.kind == "service" and offer_product:
        raise CampaignError(f"{target.zh}是一项签约服务，没有可选产品 / {target.en} is a service signup: there is "
                            "no product to choose")
    product = catalogue.get(code)
    if product is None:
        raise CampaignError(f"产品表中没有 {code!r} / no product {code!r} in the bank's products table")
    if target.kind == "category" and product.get("category") != target.match:
        raise CampaignError(f"产品 {code} 属于 {product.get('category')}，不是 {target.zh}（{target.match}）/ "
                            f"product {code} is a {product.get('category')}, not a {target.en} ({target.match})")
    if target.kind == "product" and code != target.match:
        raise CampaignError(f"{target.zh}只能推荐 {target.match} / {target.en} offers {target.match} only")
    return {"product_code": code, "name": product.get("name"), "category": product.get("category"),
            "risk_level": product.get("risk_level")}


def _eligible(serving: Serving, t: ir.Table, target: PropensityTarget, offer: dict[str, Any] | None
              ) -> tuple[ir.Table, str]:
    """Keep customers the product may be offered to; returns the table and how eligibility was decided."""
    col = f"eligible_{target.code}"
    if col in t.columns:
        t = t.filter(t[col].fill_null(False))
        how = f"{PROPENSITY_MART}.{col}"
    else:
        # A snapshot from before the propensity mart: the target's own limits from finecrm.yaml.
        cond = (t.kind == "individual") & (t.lifecycle != "lost") & t.age.between(target.min_age, target.max_age)
        if target.kyc_excluded:
            cond = cond & ~t.kyc_risk_level.isin(list(target.kyc_excluded)).fill_null(False)
        t = t.filter(cond.fill_null(False))
        how = "customer_360: individual, not lost, age and KYC limits of marketing.targets"
    risk = offer.get("risk_level") if offer else None
    if risk is not None:
        # 适当性: the offered product's risk level may not exceed the customer's assessed tolerance. The mart
        # checks the target's default product; an analyst may offer another one, so check it here too.
        t = t.filter((t.risk_tolerance >= int(risk)).fill_null(False))
        how += f"; risk_tolerance >= {int(risk)} ({offer['product_code'] if offer else ''})"
    return t, how


def _never_held(serving: Serving, t: ir.Table, target: PropensityTarget) -> tuple[ir.Table, str]:
    """Drop customers who ever had the product: they could not convert by its first appearance."""
    col = f"first_{target.code}_on"
    if serving.has_table(ADOPTION_MART) and col in serving.table(ADOPTION_MART).columns:
        a = serving.table(ADOPTION_MART)
        held = a.filter(a[col].notnull()).select("customer_id")
        return t.filter(~t.customer_id.isin(held.customer_id)), f"{ADOPTION_MART}.{col} is empty"
    # Older snapshot: what customer_360 and customer_accounts say the customer holds now.
    if target.kind == "service":
        flag = f"signed_{target.match}"
        if flag in t.columns:
            return t.filter(~t[flag].fill_null(False)), f"customer_360.{flag} is false"
    elif target.kind == "category":
        flag = f"has_{target.match}"
        if flag in t.columns:
            return t.filter(~t[flag].fill_null(False)), f"customer_360.{flag} is false"
    elif serving.has_table("customer_accounts"):
        acc = serving.table("customer_accounts")
        held = acc.filter(acc.product_code == target.match).select("customer_id")
        return t.filter(~t.customer_id.isin(held.customer_id)), f"no customer_accounts row of {target.match}"
    raise CampaignError(f"无法判断谁已持有{target.zh}：快照中没有 {ADOPTION_MART} / cannot tell who already holds "
                        f"{target.en}: the snapshot has no {ADOPTION_MART}")


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
    name, target, channel, start_date, end_date = spec.name, spec.target, spec.channel, spec.start_date, spec.end_date
    audience_id, audience_version, offer_product = spec.audience_id, spec.audience_version, spec.offer_product
    top_n, size_cap, control_share, seed = spec.top_n, spec.size_cap, spec.control_share, spec.seed
    cost_per_contact = spec.cost_per_contact
    settings = serving.ws.settings
    share = settings.marketing.control_share if control_share is None else float(control_share)
    seed = settings.marketing.seed if seed is None else seed
    name = _check_inputs(name, channel, start_date, end_date, share, seed, float(cost_per_contact))
    top_n = _positive(top_n, "top N")
    size_cap = _positive(size_cap, "size cap")
    if audience_version is not None and audience_id is None:
        raise CampaignError("指定客群版本时须同时指定客群 / a version needs an audience id")
    if repositories.get_campaign_by_name(session, name=name) is not None:
        raise CampaignError(f"已有同名营销活动 “{name}” / a campaign named '{name}' exists")
    tgt = settings.marketing.target(target)
    offer = _offer(tgt, offer_product, products(serving.ws))

    from finecrm.services.marketing import audiences

    audience: AudienceDoc | None = None
    if audience_id is not None:
        audience = audiences.get_audience(session, int(audience_id), audience_version)
        if audience.get("archived"):
            raise CampaignError(f"客群 {audience_id} 已归档 / audience {audience_id} is archived")
        t = audiences.audience_table(serving, principal, audience["rule"])
    else:
        t = audiences.base_table(serving, principal)

    t, eligibility = _eligible(serving, t, tgt, offer)
    t, holding = _never_held(serving, t, tgt)
    p_col, d_col, r_col = f"p_{tgt.code}", f"decile_{tgt.code}", f"reason_{tgt.code}"
    candidates = int(serving.scalar(t.count()) or 0)
    if top_n is not None:
        require_mart(serving, PROPENSITY_MART, zh="按倾向分取前 N 名", en="the top N by propensity", columns=(p_col,))
        if p_col not in t.columns:
            raise CampaignError(f"{p_col} 不可用 / {p_col} is not available in the audience table")
        t = t.filter(t[p_col].notnull())
        if candidates and not int(serving.scalar(t.count()) or 0):
            raise CampaignError(
                f"快照 {serving.build_id} 中没有{tgt.zh}的倾向分：请训练并启用模型（finecrm model train / activate）后"
                f"重新构建 / snapshot {serving.build_id} has no {tgt.en} propensity scores: train and activate a "
                "model (finecrm model train, finecrm model activate), then run 'finecrm build'")
        t = t.order_by([ibis.desc(p_col), "customer_id"]).limit(top_n)
    cols = {
        "customer_id": t.customer_id, "tier": t.tier, "branch_id": t.branch_id, "grid_id": t.grid_id,
        "manager_id": t.manager_id, "aum_avg": t.aum_avg.cast("float64"), "lifecycle_label": t.lifecycle_label,
        "score": t[p_col].cast("float64") if p_col in t.columns else ibis.null("float64"),
        "decile": t[d_col].cast("int64") if d_col in t.columns else ibis.null("int64"),
        "model_reason": t[r_col].cast("string") if r_col in t.columns else ibis.null("string"),
    }
    rows = serving.arrow(t.select(**cols)).to_pylist()
    if top_n is not None and size_cap is not None and len(rows) > size_cap:
        rows.sort(key=lambda r: (-(r["score"] or 0.0), r["customer_id"]))
        rows = rows[:size_cap]
    elif size_cap is not None and len(rows) > size_cap:
        keep = set(sample_cap([r["customer_id"] for r in rows], size_cap, seed))
        rows = [r for r in rows if r["customer_id"] in keep]
    if not rows:
        raise CampaignError("名单为空：客群中没有符合条件且未持有该产品的客户 / the list is empty: no customer of the "
                            "audience is eligible and without the product")
    if len(rows) > MAX_MEMBERS:
        raise CampaignError(f"名单有 {len(rows):,} 名客户，一次活动最多 {MAX_MEMBERS:,} 名：请设置规模上限或取前 N 名 / "
                            f"the list has {len(rows):,} customers and a campaign holds at most {MAX_MEMBERS:,}: "
                            "set a size cap or a top N")
    for r in rows:
        r["stratum"] = r["tier"] or UNTIERED
    in_control = draw_control([r["customer_id"] for r in rows], [r["stratum"] for r in rows], share, seed)
    n_control = sum(in_control.values())
    if n_control == 0 or n_control == len(rows):
        raise CampaignError(f"名单只有 {len(rows)} 名客户，无法同时形成处理组和对照组 / the list has only {len(rows)} "
                            "customer(s): too few for both a treatment and a control group")

    strata: dict[str, dict[str, int]] = {}
    for r in rows:
        s = strata.setdefault(r["stratum"], {"members": 0, "control": 0})
        s["members"] += 1
        s["control"] += int(in_control[r["customer_id"]])
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
            "list": {"eligibility": eligibility, "never_held": holding,
                     "order": f"{p_col} descending" if top_n else None,
                     "cap": ("highest propensity" if top_n else "seeded random subset") if size_cap else None,
                     "scope": "all" if sees_every_member(principal) else "creator's scope"},
            "audience": {"id": audience["id"], "version": audience["version"], "rule": audience["rule"]}
            if audience else None,
            # Kept so a later change of finecrm.yaml does not move this campaign's detection window.
            "horizon_days": settings.marketing.horizon_days,
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
