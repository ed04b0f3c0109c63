"""考核目标 / the analyst's targets of a month: the list, one target set by form or JSON, an Excel workbook imported
(all rows or none)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from finecrm.authz import declare
from finecrm.services.kpi import ranking as kpi_ranking
from finecrm.services.kpi import targets as service
from finecrm.services.kpi.inputs import TargetIn
from finecrm.services.kpi.outputs import ImportResult, TargetList, TargetRow
from finecrm.web.deps import Ctx, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Period = Annotated[str, Query(max_length=7, description="YYYY-MM (blank: the published build's month)")]
#: The largest workbook taken (a month's targets for every unit fit in far less).
MAX_UPLOAD = 2 * 1024 * 1024


def _period(ctx: Ctx, period: str) -> str:
    return period or kpi_ranking.published_period(ctx.serving) or ""


@router.get("/kpi/targets", include_in_schema=False)
@declare("manage_kpi_targets")
def targets_page(ctx: C, period: Period = "") -> Response:
    month = _period(ctx, period)
    listed = service.list_targets(ctx.db, ctx.state.ws, ctx.me(), month) if month else {"period": "", "rows": []}
    q = ctx.request.query_params
    return ctx.render("kpi/targets.html", targets=listed, indicators=ctx.state.ws.settings.kpi.indicators,
                      notice=q.get("notice"), imported=q.get("imported"), error=None)


@router.post("/kpi/targets", include_in_schema=False)
@declare("manage_kpi_targets")
async def set_page(ctx: C) -> Response:
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    try:
        t = TargetIn(indicator=form.get("indicator", "")[:40], period=form.get("period", "")[:7],
                     level=form.get("level", "")[:20], unit_id=form.get("unit_id", "").strip()[:40],
                     target=form.get("target", "").strip()[:30])
    except ValidationError as exc:
        fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        raise service.TargetError(f"表单填写有误 / the form has a mistake: {fields}") from None
    service.set_target(ctx.db, ctx.state.ws, ctx.me(), t)
    ctx.db.commit()
    return RedirectResponse(f"/kpi/targets?period={quote(t.period)}&notice=set", status_code=303)


@router.post("/kpi/targets/import", include_in_schema=False)
@declare("manage_kpi_targets")
async def import_page(ctx: C) -> Response:
    upload = (await ctx.request.form()).get("file")
    if not isinstance(upload, UploadFile):
        raise service.TargetError("请选择 .xlsx 文件 / choose an .xlsx file")
    content = await upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise service.TargetError(f"文件超过 {MAX_UPLOAD // 1024 // 1024} MB / the file is larger than "
                                  f"{MAX_UPLOAD // 1024 // 1024} MB")
    done = service.import_targets(ctx.db, ctx.state.ws, ctx.me(), content)
    ctx.db.commit()
    return RedirectResponse(f"/kpi/targets?notice=imported&imported={done['imported']}", status_code=303)


@router.get("/api/kpi/targets", tags=["kpi"])
@declare("manage_kpi_targets")
def targets_api(ctx: C, period: Period = "") -> TargetList:
    """The targets of a month (default: the published build's) by indicator, level and unit."""
    month = _period(ctx, period)
    return service.list_targets(ctx.db, ctx.state.ws, ctx.me(), month) if month else {"period": "", "rows": []}


@router.post("/api/kpi/targets", tags=["kpi"])
@declare("manage_kpi_targets")
def set_api(ctx: C, body: TargetIn) -> TargetRow:
    """Set (or replace) one target: indicator, month, level, unit and value (a ratio as a fraction); audited."""
    row = service.set_target(ctx.db, ctx.state.ws, ctx.me(), body)
    ctx.db.commit()
    return row


@router.post("/api/kpi/targets/import", tags=["kpi"])
@declare("manage_kpi_targets")
async def import_api(ctx: C) -> ImportResult:
    """Import targets from an .xlsx workbook sent as the request body (first sheet: indicator, period, level,
    unit_id, target): all rows or none, a bad row named with its number and reason; audited."""
    content = b""
    async for chunk in ctx.request.stream():
        content += chunk
        if len(content) > MAX_UPLOAD:
            raise service.TargetError(f"文件超过 {MAX_UPLOAD // 1024 // 1024} MB / the file is larger than "
                                      f"{MAX_UPLOAD // 1024 // 1024} MB")
    done = service.import_targets(ctx.db, ctx.state.ws, ctx.me(), content)
    ctx.db.commit()
    return done
