"""营销活动 / campaigns: create from an audience and/or propensity, assign, reassign, detect, evaluate."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response

from finecrm.authz import declare
from finecrm.services.marketing import audiences, campaigns, closing, plan, worklists
from finecrm.services.marketing import conversions as campaign_conversions
from finecrm.services.marketing import evaluation as campaign_evaluation
from finecrm.services.marketing import tasks as campaign_tasks
from finecrm.services.marketing.inputs import CampaignEnding, CampaignSpec, InputError, Reassignment
from finecrm.services.marketing.outputs import (
    Assignment,
    CampaignDetail,
    CampaignDoc,
    CampaignEvaluation,
    CampaignPreview,
    CampaignSummary,
    Closing,
    Detection,
    ManagerProgress,
    Reassigned,
)
from finecrm.web.deps import XLSX_RESPONSES, Ctx, Id, IdQuery, PageNo, context, xlsx_download

router = APIRouter()
C = Annotated[Ctx, Depends(context)]


def _create(ctx: Ctx, spec: CampaignSpec) -> CampaignDoc:
    doc = campaigns.create_campaign(ctx.db, ctx.serving, ctx.me(), spec)
    ctx.db.commit()
    return doc


async def _form(ctx: Ctx) -> dict[str, Any]:
    form = await ctx.request.form()
    return {k: form.getlist(k) if k == "customer_id" else v for k, v in form.items()}


@router.get("/campaigns", include_in_schema=False)
@declare("view_campaigns")
def campaigns_page(ctx: C) -> Response:
    return ctx.render("marketing/campaigns/index.html", items=campaigns.list_campaigns(ctx.db, ctx.serving, ctx.me()))


def _new_form(ctx: Ctx, form: dict[str, Any], error: str | None = None, preview: CampaignPreview | None = None
              ) -> Response:
    settings = ctx.state.ws.settings.marketing
    saved = audiences.list_audiences(ctx.db, ctx.me())
    defaults = {"control_percent": f"{settings.control_share * 100:g}", "seed": settings.seed, "channel": "phone",
                "cost_per_contact": "0"}
    form = {**defaults, **form}
    # The fields the confirmation re-posts: exactly what was previewed (the form may be edited and previewed again).
    confirm = {k: v for k, v in form.items() if k in CampaignSpec.FORM_FIELDS and k != "control_share"}
    return ctx.render("marketing/campaigns/new.html", form=form, error=error, audiences=saved, preview=preview,
                      confirm=confirm, targets=settings.targets, channels=campaigns.CHANNELS,
                      status_code=400 if error else 200)


@router.get("/campaigns/new", include_in_schema=False)
@declare("manage_campaigns")
def new_page(ctx: C, audience: IdQuery = None, version: IdQuery = None) -> Response:
    form = {"audience": f"{audience}:{version}" if audience and version else (str(audience) if audience else "")}
    return _new_form(ctx, form)


@router.post("/campaigns/preview", include_in_schema=False)
@declare("manage_campaigns")
async def preview_page(ctx: C) -> Response:
    """The form again with what it would draw, step by step, and a button to confirm the draw."""
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    try:
        preview = plan.preview_campaign(ctx.db, ctx.serving, ctx.me(), CampaignSpec.from_form(form))
    except (InputError, campaigns.CampaignError) as exc:
        ctx.db.rollback()
        return _new_form(ctx, form, str(exc))
    ctx.db.rollback()  # a preview writes nothing
    return _new_form(ctx, form, preview=preview)


@router.post("/campaigns", include_in_schema=False)
@declare("manage_campaigns")
async def create_page(ctx: C) -> Response:
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    try:
        doc = _create(ctx, CampaignSpec.from_form(form))
    except (InputError, campaigns.CampaignError) as exc:
        ctx.db.rollback()
        return _new_form(ctx, form, str(exc))
    return RedirectResponse(f"/campaigns/{doc['id']}", status_code=303)


Staff = Annotated[str, Query(max_length=40, description="负责客户经理工号 / the assigned manager's staff id")]
Outcome = Annotated[str, Query(max_length=20, description="结果，none 为未登记 / an outcome code, or none")]
MemberSort = Annotated[str, Query(max_length=20, pattern=r"^-?[a-z_]*$",
                                  description="排序 / sort: customer_id, stratum, branch_id, decile, assigned_to, "
                                              "outcome, converted_on; '-' first for descending")]


def _members_query(arm: str, assigned_to: str, outcome: str, sort: str) -> str:
    """The member list's filters and sort as URL parameters (pager, sort links and the export keep them)."""
    return urlencode({k: v for k, v in (("arm", arm), ("assigned_to", assigned_to), ("outcome", outcome),
                                        ("sort", sort)) if v})


@router.get("/campaigns/{campaign_id}", include_in_schema=False)
@declare("view_campaigns")
def campaign_page(ctx: C, campaign_id: Id, page: PageNo = 1, arm: str | None = None, assigned_to: Staff = "",
                  outcome: Outcome = "", sort: MemberSort = "") -> Response:
    me = ctx.me()
    doc = campaigns.get_campaign(ctx.db, ctx.serving, me, campaign_id)
    members = campaigns.campaign_members(ctx.db, ctx.serving, me, campaign_id, arm=arm or None,
                                         assigned_to=assigned_to or None, outcome=outcome or None, sort=sort or None,
                                         page=page)
    staff = (campaign_tasks.assignable_staff(ctx.serving, me, campaign_id=campaign_id, session=ctx.db)
             if ctx.may("assign_customers") else [])
    progress = worklists.manager_progress(ctx.db, ctx.serving, me, campaign_id=campaign_id)
    template = "marketing/campaigns/_members.html" if ctx.request.headers.get("hx-request") else "marketing/campaigns/detail.html"
    return ctx.render(template, c=doc, members=members, staff=staff, arm=arm or "", assigned_to=assigned_to,
                      outcome=outcome, sort=sort, progress=progress, outcomes=campaigns.OUTCOMES,
                      query=_members_query(arm or "", assigned_to, outcome, sort),
                      filters_query=_members_query(arm or "", assigned_to, outcome, ""),
                      notice=ctx.request.query_params.get("notice"), today=date.today())


@router.post("/campaigns/{campaign_id}/members/export", include_in_schema=False)
@declare("export_list")
def members_export_page(ctx: C, campaign_id: Id, arm: Annotated[str, Form(max_length=20)] = "",
                        assigned_to: Annotated[str, Form(max_length=40)] = "",
                        outcome: Annotated[str, Form(max_length=20)] = "",
                        sort: Annotated[str, Form(max_length=20)] = "") -> Response:
    """The member list as the page shows it (its filters and sort, every page) as an Excel file."""
    content, _ = worklists.export_members(ctx.db, ctx.serving, ctx.me(), campaign_id, arm=arm or None,
                                          assigned_to=assigned_to or None, outcome=outcome or None, sort=sort or None,
                                          ip=ctx.ip)
    return xlsx_download(ctx, content, f"campaign-{campaign_id}-members")


@router.post("/campaigns/{campaign_id}/assign", include_in_schema=False)
@declare("manage_campaigns")
def assign_page(ctx: C, campaign_id: Id) -> Response:
    done = campaign_tasks.assign_campaign(ctx.db, ctx.serving, ctx.me(), campaign_id)
    ctx.db.commit()
    return RedirectResponse(f"/campaigns/{campaign_id}?notice=assigned&n={done['assigned']}", status_code=303)


@router.post("/campaigns/{campaign_id}/reassign", include_in_schema=False)
@declare("assign_customers")
async def reassign_page(ctx: C, campaign_id: Id) -> Response:
    form = await _form(ctx)
    ids = [str(i) for i in form.get("customer_id", []) if str(i).strip()]
    if not ids:
        raise campaigns.CampaignError("请先勾选客户 / tick the customers to reassign first")
    campaign_tasks.reassign_members(ctx.db, ctx.serving, ctx.me(), campaign_id, customer_ids=ids,
                                    to_staff_id=str(form.get("to_staff_id") or ""),
                                    reason=str(form.get("reason") or ""))
    ctx.db.commit()
    return RedirectResponse(f"/campaigns/{campaign_id}?notice=reassigned", status_code=303)


async def _ending_page(ctx: Ctx, campaign_id: int, how: str) -> Response:
    form = await ctx.request.form()
    reason = str(form.get("reason") or "")
    end = closing.close_campaign if how == "closed" else closing.cancel_campaign
    end(ctx.db, ctx.me(), campaign_id, reason=reason)
    ctx.db.commit()
    return RedirectResponse(f"/campaigns/{campaign_id}?notice={how}", status_code=303)


@router.post("/campaigns/{campaign_id}/close", include_in_schema=False)
@declare("manage_campaigns")
async def close_page(ctx: C, campaign_id: Id) -> Response:
    return await _ending_page(ctx, campaign_id, "closed")


@router.post("/campaigns/{campaign_id}/cancel", include_in_schema=False)
@declare("manage_campaigns")
async def cancel_page(ctx: C, campaign_id: Id) -> Response:
    return await _ending_page(ctx, campaign_id, "cancelled")


@router.post("/campaigns/{campaign_id}/detect", include_in_schema=False)
@declare("manage_campaigns")
def detect_page(ctx: C, campaign_id: Id) -> Response:
    campaign_conversions.detect_conversions(ctx.db, ctx.serving, ctx.me(), campaign_id)
    ctx.db.commit()
    return RedirectResponse(f"/campaigns/{campaign_id}/evaluation", status_code=303)


@router.get("/campaigns/{campaign_id}/evaluation", include_in_schema=False)
@declare("view_campaigns")
def evaluation_page(ctx: C, campaign_id: Id) -> Response:
    doc = campaign_evaluation.evaluate_campaign(ctx.db, ctx.serving, ctx.me(), campaign_id)
    return ctx.render("marketing/campaigns/evaluation.html", e=doc, c=doc["campaign"])


@router.post("/campaigns/{campaign_id}/export", include_in_schema=False)
@declare("export_list")
def export_page(ctx: C, campaign_id: Id) -> Response:
    return _export(ctx, campaign_id)


def _export(ctx: Ctx, campaign_id: int) -> Response:
    content, _rows = campaign_evaluation.export_evaluation_xlsx(ctx.db, ctx.serving, ctx.me(), campaign_id, ip=ctx.ip)
    return xlsx_download(ctx, content, f"campaign-{campaign_id}")


@router.get("/api/campaigns", tags=["marketing"])
@declare("view_campaigns")
def list_api(ctx: C) -> list[CampaignSummary]:
    """Campaigns, newest first, with member counts in your scope."""
    return campaigns.list_campaigns(ctx.db, ctx.serving, ctx.me())


@router.post("/api/campaigns", tags=["marketing"])
@declare("manage_campaigns")
def create_api(ctx: C, body: CampaignSpec) -> CampaignDoc:
    """Create a campaign: `name, target, channel, start_date, end_date` and optionally `audience` ("id" or
    "id:version"), `top_n`, `size_cap`, `control_share`, `seed`, `cost_per_contact`, `offer_product`. The list
    and its tier-stratified control group are drawn at once from the published snapshot (audited)."""
    return _create(ctx, body)


@router.post("/api/campaigns/preview", tags=["marketing"])
@declare("manage_campaigns")
def preview_api(ctx: C, body: CampaignSpec) -> CampaignPreview:
    """What `POST /api/campaigns` would draw with this body, saving nothing: how many customers are left after
    each step (audience, scope, eligibility, suitability, never held, top N, cap) and the arms; a list that
    cannot be drawn gives its steps and the reason in `error`."""
    preview = plan.preview_campaign(ctx.db, ctx.serving, ctx.me(), body)
    ctx.db.rollback()
    return preview


@router.post("/api/campaigns/{campaign_id}/close", tags=["marketing"])
@declare("manage_campaigns")
def close_api(ctx: C, campaign_id: Id, body: CampaignEnding) -> Closing:
    """End a started campaign at its end date or today, with `{"reason": "..."}` (audited). Open tasks stop
    being due; outcomes, conversions and the evaluation stay."""
    done = closing.close_campaign(ctx.db, ctx.me(), campaign_id, reason=body.reason)
    ctx.db.commit()
    return done


@router.post("/api/campaigns/{campaign_id}/cancel", tags=["marketing"])
@declare("manage_campaigns")
def cancel_api(ctx: C, campaign_id: Id, body: CampaignEnding) -> Closing:
    """Cancel a campaign that has not started, with `{"reason": "..."}` (audited); its tasks are withdrawn."""
    done = closing.cancel_campaign(ctx.db, ctx.me(), campaign_id, reason=body.reason)
    ctx.db.commit()
    return done


@router.get("/api/campaigns/{campaign_id}", tags=["marketing"])
@declare("view_campaigns")
def get_api(ctx: C, campaign_id: Id, page: PageNo = 1, arm: str | None = None) -> CampaignDetail:
    """A campaign with counts in your scope and a page of its members (masked)."""
    doc = campaigns.get_campaign(ctx.db, ctx.serving, ctx.me(), campaign_id)
    return {**doc, "members": campaigns.campaign_members(ctx.db, ctx.serving, ctx.me(), campaign_id, arm=arm,
                                                         page=page).to_dict()}


@router.get("/api/campaigns/{campaign_id}/progress", tags=["marketing"])
@declare("view_campaigns")
def progress_api(ctx: C, campaign_id: Id) -> list[ManagerProgress]:
    """Each assigned manager's progress in the campaign (your scope), by name, most overdue first."""
    return worklists.manager_progress(ctx.db, ctx.serving, ctx.me(), campaign_id=campaign_id)


@router.post("/api/campaigns/{campaign_id}/members/export", tags=["marketing"], response_class=Response,
             responses=XLSX_RESPONSES)
@declare("export_list")
def members_export_api(ctx: C, campaign_id: Id, arm: Annotated[str | None, Query(max_length=20)] = None,
                       assigned_to: Staff = "", outcome: Outcome = "", sort: MemberSort = "") -> Response:
    """The campaign's members of the filter (your scope, every page) as .xlsx: names not codes, masked,
    audited. CSRF token in X-CSRF-Token."""
    content, _ = worklists.export_members(ctx.db, ctx.serving, ctx.me(), campaign_id, arm=arm or None,
                                          assigned_to=assigned_to or None, outcome=outcome or None, sort=sort or None,
                                          ip=ctx.ip)
    return xlsx_download(ctx, content, f"campaign-{campaign_id}-members")


@router.post("/api/campaigns/{campaign_id}/assign", tags=["marketing"])
@declare("manage_campaigns")
def assign_api(ctx: C, campaign_id: Id) -> Assignment:
    """Assign treatment members: own manager first, then the grid's manager, within capacity (audited)."""
    done = campaign_tasks.assign_campaign(ctx.db, ctx.serving, ctx.me(), campaign_id)
    ctx.db.commit()
    return done


@router.post("/api/campaigns/{campaign_id}/reassign", tags=["marketing"])
@declare("assign_customers")
def reassign_api(ctx: C, campaign_id: Id, body: Reassignment) -> Reassigned:
    """Branch heads: `{"customer_ids": [...], "to_staff_id": "...", "reason": "..."}` within the branch."""
    done = campaign_tasks.reassign_members(ctx.db, ctx.serving, ctx.me(), campaign_id,
                                           customer_ids=body.customer_ids, to_staff_id=body.to_staff_id,
                                           reason=body.reason)
    ctx.db.commit()
    return done


@router.post("/api/campaigns/{campaign_id}/detect", tags=["marketing"])
@declare("manage_campaigns")
def detect_api(ctx: C, campaign_id: Id) -> Detection:
    """Detect conversions from the published snapshot (the product's first appearance in the window)."""
    done = campaign_conversions.detect_conversions(ctx.db, ctx.serving, ctx.me(), campaign_id)
    ctx.db.commit()
    return done


@router.get("/api/campaigns/{campaign_id}/evaluation", tags=["marketing"])
@declare("view_campaigns")
def evaluation_api(ctx: C, campaign_id: Id) -> CampaignEvaluation:
    """Treated versus control with intervals and a test, incremental conversions and cost, breakdowns,
    funnel and the descriptive before/after comparison (your scope)."""
    return campaign_evaluation.evaluate_campaign(ctx.db, ctx.serving, ctx.me(), campaign_id)


@router.post("/api/campaigns/{campaign_id}/export", tags=["marketing"], response_class=Response,
             responses=XLSX_RESPONSES)
@declare("export_list")
def export_api(ctx: C, campaign_id: Id) -> Response:
    """The evaluation and the members as .xlsx (masked, audited). CSRF token in X-CSRF-Token."""
    return _export(ctx, campaign_id)
