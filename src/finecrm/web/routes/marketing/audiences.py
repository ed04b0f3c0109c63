"""目标客群 / audiences: saved, versioned rule lists with live counts; preview, versions, export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from finecrm.authz import declare
from finecrm.services.marketing import audiences
from finecrm.services.marketing.inputs import AudienceRule, NewAudience, NewAudienceVersion
from finecrm.services.marketing.outputs import AudienceDetail, AudienceDoc, AudiencePreview
from finecrm.web.deps import XLSX_RESPONSES, Ctx, Id, IdQuery, PageNo, context, xlsx_download

router = APIRouter()
C = Annotated[Ctx, Depends(context)]


async def _form(ctx: Ctx) -> dict[str, str]:
    return {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}


@router.get("/audiences", include_in_schema=False)
@declare("manage_campaigns")
def audiences_page(ctx: C, rule: str = "") -> Response:
    items = audiences.list_audiences(ctx.db, ctx.me())
    preview, error = None, None
    if rule.strip():
        try:
            preview = audiences.preview(ctx.serving, ctx.me(), rule)
        except audiences.AudienceError as exc:
            error = str(exc)
    return ctx.render("marketing/audiences/index.html", items=items, rule=rule, preview=preview, error=error,
                      columns=audiences.rule_columns(ctx.serving), status_code=400 if error else 200)


@router.post("/audiences", include_in_schema=False)
@declare("manage_campaigns")
async def create_page(ctx: C) -> Response:
    form = await _form(ctx)
    try:
        doc = audiences.create_audience(ctx.db, ctx.serving, ctx.me(), name=form.get("name", ""),
                                        rule=form.get("rule", ""), description=form.get("description", ""))
    except audiences.AudienceError as exc:
        items = audiences.list_audiences(ctx.db, ctx.me())
        return ctx.render("marketing/audiences/index.html", items=items, rule=form.get("rule", ""), preview=None,
                          error=str(exc), form=form, columns=audiences.rule_columns(ctx.serving), status_code=400)
    ctx.db.commit()
    return RedirectResponse(f"/audiences/{doc['id']}", status_code=303)


@router.get("/audiences/{audience_id}", include_in_schema=False)
@declare("manage_campaigns")
def audience_page(ctx: C, audience_id: Id, version: IdQuery = None,
                  page: PageNo = 1) -> Response:
    doc = audiences.get_audience(ctx.db, audience_id, version)
    live = audiences.preview(ctx.serving, ctx.me(), doc["rule"])
    members = audiences.members(ctx.serving, ctx.me(), doc["rule"], page=page)
    template = "marketing/audiences/_members.html" if ctx.request.headers.get("hx-request") else "marketing/audiences/detail.html"
    return ctx.render(template, a=doc, live=live, members=members, error=None,
                      columns=audiences.rule_columns(ctx.serving))


@router.post("/audiences/{audience_id}", include_in_schema=False)
@declare("manage_campaigns")
async def version_page(ctx: C, audience_id: Id) -> Response:
    form = await _form(ctx)
    try:
        audiences.new_version(ctx.db, ctx.serving, ctx.me(), audience_id=audience_id, rule=form.get("rule", ""),
                              note=form.get("note", ""))
    except audiences.AudienceError as exc:
        doc = audiences.get_audience(ctx.db, audience_id)
        live = audiences.preview(ctx.serving, ctx.me(), doc["rule"])
        members = audiences.members(ctx.serving, ctx.me(), doc["rule"])
        return ctx.render("marketing/audiences/detail.html", a=doc, live=live, members=members, error=str(exc),
                          form=form, columns=audiences.rule_columns(ctx.serving), status_code=400)
    ctx.db.commit()
    return RedirectResponse(f"/audiences/{audience_id}", status_code=303)


@router.post("/audiences/{audience_id}/export", include_in_schema=False)
@declare("export_list")
async def export_page(ctx: C, audience_id: Id) -> Response:
    form = await _form(ctx)
    version = int(form["version"]) if form.get("version", "").isdigit() else None
    return _export(ctx, audience_id, version)


def _export(ctx: Ctx, audience_id: int, version: int | None) -> Response:
    content, _rows = audiences.export_xlsx(ctx.db, ctx.serving, ctx.me(), audience_id=audience_id, version=version,
                                           ip=ctx.ip)
    return xlsx_download(ctx, content, f"audience-{audience_id}")


@router.get("/api/audiences", tags=["marketing"])
@declare("manage_campaigns")
def list_api(ctx: C) -> list[AudienceDoc]:
    """Saved audiences with their latest version (rule, counts when saved)."""
    return audiences.list_audiences(ctx.db, ctx.me())


@router.post("/api/audiences/preview", tags=["marketing"])
@declare("manage_campaigns")
def preview_api(ctx: C, body: AudienceRule) -> AudiencePreview:
    """Live count, AUM and tier mix of a rule (`{"rule": "..."}`) in your scope; nothing is saved."""
    return audiences.preview(ctx.serving, ctx.me(), body.rule)


@router.post("/api/audiences", tags=["marketing"])
@declare("manage_campaigns")
def create_api(ctx: C, body: NewAudience) -> AudienceDoc:
    """Save an audience: `{"name": ..., "rule": ..., "description": ...}` (version 1; audited)."""
    doc = audiences.create_audience(ctx.db, ctx.serving, ctx.me(), name=body.name, rule=body.rule,
                                    description=body.description)
    ctx.db.commit()
    return doc


@router.get("/api/audiences/{audience_id}", tags=["marketing"])
@declare("manage_campaigns")
def get_api(ctx: C, audience_id: Id, version: IdQuery = None,
            page: PageNo = 1) -> AudienceDetail:
    """An audience version with live counts in your scope and a page of its (masked) customers."""
    doc = audiences.get_audience(ctx.db, audience_id, version)
    return {**doc, "live": audiences.preview(ctx.serving, ctx.me(), doc["rule"]),
            "members": audiences.members(ctx.serving, ctx.me(), doc["rule"], page=page).to_dict()}


@router.post("/api/audiences/{audience_id}/versions", tags=["marketing"])
@declare("manage_campaigns")
def version_api(ctx: C, audience_id: Id, body: NewAudienceVersion) -> AudienceDoc:
    """Add a version with a new rule: `{"rule": ..., "note": ...}` (audited)."""
    doc = audiences.new_version(ctx.db, ctx.serving, ctx.me(), audience_id=audience_id, rule=body.rule,
                                note=body.note)
    ctx.db.commit()
    return doc


@router.post("/api/audiences/{audience_id}/export", tags=["marketing"], response_class=Response,
             responses=XLSX_RESPONSES)
@declare("export_list")
def export_api(ctx: C, audience_id: Id, version: IdQuery = None) -> Response:
    """The audience's customers in your scope as .xlsx (masked, audited). CSRF token in X-CSRF-Token."""
    return _export(ctx, audience_id, version)
