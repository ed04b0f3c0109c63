"""分层分群 / the segment explorer and its Excel export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from finecrm.authz import declare
from finecrm.services.customers import segments as explorer
from finecrm.services.customers.inputs import SegmentSelection
from finecrm.services.customers.outputs import SegmentExplore
from finecrm.web.deps import XLSX_RESPONSES, Ctx, context, xlsx_download

router = APIRouter()
C = Annotated[Ctx, Depends(context)]


def _params(ctx: Ctx, form: dict[str, Any] | None = None) -> dict[str, Any]:
    source = form if form is not None else dict(ctx.request.query_params)
    return {k: v for k, v in source.items() if k in (*explorer.FILTERS, "rule", "breakdown")}


@router.get("/segments", include_in_schema=False)
@declare("view_segments")
def explorer_page(ctx: C, page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    params = _params(ctx)
    try:
        q = explorer.Query.from_params(params)
        data = explorer.explore(ctx.serving, ctx.me(), q, page=page)
        error = None
    except explorer.ExplorerError as exc:
        q = explorer.Query.from_params({k: v for k, v in params.items() if k != "rule"} | {"breakdown": "tier"})
        data = explorer.explore(ctx.serving, ctx.me(), q, page=1)
        error = str(exc)
    template = "customers/segments/_results.html" if ctx.request.headers.get("hx-request") else "customers/segments/index.html"
    return ctx.render(template, data=data, params=params, error=error, status_code=400 if error else 200)


@router.post("/segments/export", include_in_schema=False)
@declare("export_list")
async def export_xlsx(ctx: C) -> Response:
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    return _export(ctx, explorer.Query.from_params(_params(ctx, form)))


def _export(ctx: Ctx, q: explorer.Query) -> Response:
    content, _rows = explorer.export_xlsx(ctx.db, ctx.serving, ctx.me(), q, ip=ctx.ip)
    return xlsx_download(ctx, content, "customers")


@router.get("/api/segments", tags=["segments"])
@declare("view_segments")
def explorer_api(ctx: C, selection: Annotated[SegmentSelection, Query()],
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> SegmentExplore:
    """Filter customers in scope by tier, value_tier, segment, lifecycle, branch_id, grid_id, custom_segment
    and a rule expression (`rule`); counts, AUM, a breakdown and the list (masked)."""
    return explorer.explore(ctx.serving, ctx.me(), explorer.Query.from_params(selection.model_dump()), page=page)


@router.post("/api/segments/export", tags=["segments"], response_class=Response, responses=XLSX_RESPONSES)
@declare("export_list")
def export_api(ctx: C, body: SegmentSelection) -> Response:
    """The same selection as an .xlsx file (masked, audited). Send the CSRF token in X-CSRF-Token."""
    return _export(ctx, explorer.Query.from_params(body.model_dump()))
