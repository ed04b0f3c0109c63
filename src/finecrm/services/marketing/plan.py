"""The list a campaign would draw, step by step: one use case for the preview and for the draw itself.

``plan_campaign`` checks a :class:`CampaignSpec`, then narrows the published snapshot's customers in the order
the draw always used, counting who is left after each step:

    audience      the saved audience's rule (version as chosen) in the whole bank, or every customer
    in_scope      … within the creator's scope
    eligible      … who may be offered the product (``customer_propensity.eligible_<t>``: age, KYC level,
                  kind and lifecycle limits of ``marketing.targets``)
    suitable      … whose risk tolerance covers the offered product's risk level (only for a product with one)
    never_held    … who never held the product (``product_adoption.first_<t>_on`` is empty)
    scored        … who have a propensity score (only with a top N)
    top_n         … the N highest propensities (only with a top N)
    size_cap      … at most this many (the highest propensities with a top N, else a seeded random subset)

then splits the list into treatment and a tier-stratified random control group (``draw``). The preview page
shows ``steps``; ``create_campaign`` saves exactly this plan's rows and arms, so the two cannot disagree — an
audience of 89 customers that ends as one shows at which step the 88 went. Nothing is written here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
from sqlalchemy.orm import Session

from finecrm.authz import Principal, require
from finecrm.core.settings import PropensityTarget
from finecrm.db import repositories
from finecrm.services.marketing import audiences
from finecrm.services.marketing.campaign_terms import (
    CHANNELS,
    MAX_COST,
    MAX_MEMBERS,
    MAX_NAME,
    MAX_PERIOD_DAYS,
    UNTIERED,
    CampaignError,
)
from finecrm.services.marketing.draw import MAX_SEED, draw_control, sample_cap
from finecrm.services.marketing.inputs import CampaignSpec
from finecrm.services.marketing.outputs import AudienceDoc, CampaignPreview, ListStep, StratumDraw
from finecrm.services.marketing.sources import ADOPTION_MART, PROPENSITY_MART, products, require_mart
from finecrm.services.snapshot.serving import Serving

#: What each step keeps, as a branch head would say it (中文, English).
STEPS: dict[str, tuple[str, str]] = {
    "audience": ("目标客群选中的客户（全行）", "customers the audience selects (whole bank)"),
    "all_customers": ("全行客户（未选客群）", "every customer of the bank (no audience chosen)"),
    "in_scope": ("在您的管辖范围内", "within your scope"),
    "eligible": ("可以营销该产品（年龄、反洗钱风险等级、客户类型、生命周期）",
                 "may be offered the product (age, AML risk level, kind, lifecycle)"),
    "suitable": ("风险承受能力不低于产品风险等级", "risk tolerance covers the product's risk level"),
    "never_held": ("从未持有过该产品", "never held the product"),
    "scored": ("有倾向得分", "have a propensity score"),
    "top_n": ("倾向得分最高的前 {n} 名", "the {n} highest propensities"),
    "size_cap": ("规模上限 {n} 名", "at most {n} customers"),
}


@dataclass
class CampaignPlan:
    """A checked spec and the list it draws (see the module doc); ``rows`` in customer-id order."""

    name: str
    target: PropensityTarget
    offer: dict[str, Any] | None
    audience: AudienceDoc | None
    top_n: int | None
    size_cap: int | None
    share: float
    seed: int
    eligibility: str
    holding: str
    candidates: int
    steps: list[ListStep] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    in_control: dict[str, bool] = field(default_factory=dict)
    strata: dict[str, StratumDraw] = field(default_factory=dict)

    @property
    def n_control(self) -> int:
        return sum(self.in_control.values())


def _step(steps: list[ListStep], code: str, remaining: int, n: int | None = None) -> None:
    zh, en = STEPS[code]
    before = steps[-1]["remaining"] if steps else remaining
    steps.append({"step": code, "zh": zh.format(n=n), "en": en.format(n=n), "remaining": remaining,
                  "removed": before - remaining})


def positive(value: int | None, what: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise CampaignError(f"{what} 须为正整数 / {what} must be a positive whole number, got {value!r}")
    return value


def check_inputs(name: str, channel: str, start_date: date, end_date: date, control_share: float, seed: int,
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


def offer_of(target: PropensityTarget, offer_product: str | None, catalogue: dict[str, dict[str, Any]]
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


def _eligible(t: ir.Table, target: PropensityTarget) -> tuple[ir.Table, str]:
    """Keep customers the product may be offered to (age, KYC level, kind, lifecycle); returns the table and how
    eligibility was decided."""
    col = f"eligible_{target.code}"
    if col in t.columns:
        return t.filter(t[col].fill_null(False)), f"{PROPENSITY_MART}.{col}"
    # A snapshot from before the propensity mart: the target's own limits from finecrm.yaml.
    cond = (t.kind == "individual") & (t.lifecycle != "lost") & t.age.between(target.min_age, target.max_age)
    if target.kyc_excluded:
        cond = cond & ~t.kyc_risk_level.isin(list(target.kyc_excluded)).fill_null(False)
    return t.filter(cond.fill_null(False)), "customer_360: individual, not lost, age and KYC limits of marketing.targets"


def _suitable(t: ir.Table, offer: dict[str, Any] | None) -> tuple[ir.Table, str | None]:
    """适当性: the offered product's risk level may not exceed the customer's assessed tolerance. The mart checks
    the target's default product; an analyst may offer another one, so it is checked here too."""
    risk = offer.get("risk_level") if offer else None
    if risk is None:
        return t, None
    return (t.filter((t.risk_tolerance >= int(risk)).fill_null(False)),
            f"risk_tolerance >= {int(risk)} ({offer['product_code'] if offer else ''})")


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


def plan_campaign(session: Session, serving: Serving, principal: Principal, spec: CampaignSpec) -> CampaignPlan:
    """Check ``spec`` and draw its list and arms from the published snapshot, counting every step; saves nothing.

    Raises :class:`CampaignError` for bad input, an empty list or one too small for two arms — after the
    steps are counted, so the preview can still show where the customers went (``CampaignError.plan``).
    """
    require(principal, "manage_campaigns")
    settings = serving.ws.settings
    share = settings.marketing.control_share if spec.control_share is None else float(spec.control_share)
    seed = settings.marketing.seed if spec.seed is None else spec.seed
    name = check_inputs(spec.name, spec.channel, spec.start_date, spec.end_date, share, seed,
                        float(spec.cost_per_contact))
    top_n = positive(spec.top_n, "top N")
    size_cap = positive(spec.size_cap, "size cap")
    if spec.audience_version is not None and spec.audience_id is None:
        raise CampaignError("指定客群版本时须同时指定客群 / a version needs an audience id")
    if repositories.get_campaign_by_name(session, name=name) is not None:
        raise CampaignError(f"已有同名营销活动 “{name}” / a campaign named '{name}' exists")
    tgt = settings.marketing.target(spec.target)
    offer = offer_of(tgt, spec.offer_product, products(serving.ws))

    def count(table: ir.Table) -> int:
        return int(serving.scalar(table.count()) or 0)

    steps: list[ListStep] = []
    audience: AudienceDoc | None = None
    if spec.audience_id is not None:
        audience = audiences.get_audience(session, int(spec.audience_id), spec.audience_version)
        if audience.get("archived"):
            raise CampaignError(f"客群 {spec.audience_id} 已归档 / audience {spec.audience_id} is archived")
        _step(steps, "audience", count(audiences.audience_table(serving, principal, audience["rule"], in_scope=False)))
        t = audiences.audience_table(serving, principal, audience["rule"])
    else:
        _step(steps, "all_customers", count(audiences.base_table(serving, principal, in_scope=False)))
        t = audiences.base_table(serving, principal)
    _step(steps, "in_scope", count(t))
    t, eligibility = _eligible(t, tgt)
    _step(steps, "eligible", count(t))
    t, suitability = _suitable(t, offer)
    if suitability is not None:
        eligibility += "; " + suitability
        _step(steps, "suitable", count(t))
    t, holding = _never_held(serving, t, tgt)
    candidates = count(t)
    _step(steps, "never_held", candidates)
    plan = CampaignPlan(name=name, target=tgt, offer=offer, audience=audience, top_n=top_n, size_cap=size_cap,
                        share=share, seed=seed, eligibility=eligibility, holding=holding, candidates=candidates,
                        steps=steps)
    p_col, d_col, r_col = f"p_{tgt.code}", f"decile_{tgt.code}", f"reason_{tgt.code}"
    if top_n is not None:
        require_mart(serving, PROPENSITY_MART, zh="按倾向分取前 N 名", en="the top N by propensity", columns=(p_col,))
        if p_col not in t.columns:
            raise CampaignError(f"{p_col} 不可用 / {p_col} is not available in the audience table")
        t = t.filter(t[p_col].notnull())
        scored = count(t)
        _step(steps, "scored", scored)
        if candidates and not scored:
            raise _failed(plan, CampaignError(
                f"快照 {serving.build_id} 中没有{tgt.zh}的倾向分：请训练并启用模型（finecrm model train / activate）后"
                f"重新构建 / snapshot {serving.build_id} has no {tgt.en} propensity scores: train and activate a "
                "model (finecrm model train, finecrm model activate), then run 'finecrm build'"))
        t = t.order_by([ibis.desc(p_col), "customer_id"]).limit(top_n)
    cols = {
        "customer_id": t.customer_id, "tier": t.tier, "branch_id": t.branch_id, "grid_id": t.grid_id,
        "manager_id": t.manager_id, "aum_avg": t.aum_avg.cast("float64"), "lifecycle_label": t.lifecycle_label,
        "score": t[p_col].cast("float64") if p_col in t.columns else ibis.null("float64"),
        "decile": t[d_col].cast("int64") if d_col in t.columns else ibis.null("int64"),
        "model_reason": t[r_col].cast("string") if r_col in t.columns else ibis.null("string"),
    }
    rows = serving.arrow(t.select(**cols)).to_pylist()
    if top_n is not None:
        _step(steps, "top_n", len(rows), top_n)
    if size_cap is not None:
        if top_n is not None and len(rows) > size_cap:
            rows.sort(key=lambda r: (-(r["score"] or 0.0), r["customer_id"]))
            rows = rows[:size_cap]
        elif len(rows) > size_cap:
            keep = set(sample_cap([r["customer_id"] for r in rows], size_cap, seed))
            rows = [r for r in rows if r["customer_id"] in keep]
        _step(steps, "size_cap", len(rows), size_cap)
    rows.sort(key=lambda r: r["customer_id"])
    if not rows:
        raise _failed(plan, CampaignError(
            "名单为空：客群中没有符合条件且未持有该产品的客户 / the list is empty: no customer of the audience is "
            "eligible and without the product"))
    if len(rows) > MAX_MEMBERS:
        raise _failed(plan, CampaignError(
            f"名单有 {len(rows):,} 名客户，一次活动最多 {MAX_MEMBERS:,} 名：请设置规模上限或取前 N 名 / the list has "
            f"{len(rows):,} customers and a campaign holds at most {MAX_MEMBERS:,}: set a size cap or a top N"))
    for r in rows:
        r["stratum"] = r["tier"] or UNTIERED
    in_control = draw_control([r["customer_id"] for r in rows], [r["stratum"] for r in rows], share, seed)
    n_control = sum(in_control.values())
    if n_control == 0 or n_control == len(rows):
        raise _failed(plan, CampaignError(
            f"名单只有 {len(rows)} 名客户，无法同时形成处理组和对照组 / the list has only {len(rows)} customer(s): too "
            "few for both a treatment and a control group"))
    for r in rows:
        s = plan.strata.setdefault(r["stratum"], {"members": 0, "control": 0})
        s["members"] += 1
        s["control"] += int(in_control[r["customer_id"]])
    plan.rows, plan.in_control = rows, in_control
    return plan


def _failed(plan: CampaignPlan, exc: CampaignError) -> CampaignError:
    """The error with the steps counted so far, so the preview shows where the customers went."""
    exc.plan = plan
    return exc


def preview_campaign(session: Session, serving: Serving, principal: Principal, spec: CampaignSpec
                     ) -> CampaignPreview:
    """What ``create_campaign`` would draw for ``spec`` now: the count after every step and the arms. A list
    that cannot be drawn (empty, too small for two arms) still returns its steps, with the reason in ``error``;
    bad input raises :class:`CampaignError`."""
    error: str | None = None
    try:
        plan = plan_campaign(session, serving, principal, spec)
    except CampaignError as exc:
        if exc.plan is None:
            raise
        plan, error = exc.plan, str(exc)
    return {"steps": plan.steps, "members": len(plan.rows), "treatment": len(plan.rows) - plan.n_control,
            "control": plan.n_control, "strata": plan.strata, "control_share": plan.share, "seed": plan.seed,
            "snapshot": serving.build_id, "error": error}
