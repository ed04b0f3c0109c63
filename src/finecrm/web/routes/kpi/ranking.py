"""考核排名 / the KPI ranking of the month for a level (branches or managers), its JSON, and the report (业绩通报) as
Excel — the same figures as the page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import Response

from finecrm.authz import declare
from finecrm.authz.roles import Scope
from finecrm.services.kpi import ranking as service
from finecrm.services.kpi import report as kpi_report
from finecrm.services.kpi.outputs import Ranking
from finecrm.web.deps import XLSX_RESPONSES, Ctx, context, xlsx_download

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Level = Annotated[str, Query(max_length=20, description="branch 网点 | manager 客户经理 (blank: yours)")]
Period = Annotated[str, Query(max_length=7, description="YYYY-MM (blank: the published build's month)")]
Sort = Annotated[str, Query(max_length=40, description="total, or an indicator's code (its single-item rank)")]


def _level(ctx: Ctx, level: str) -> str:
    if level:
        return level
    return "manager" if ctx.me().scope is Scope.OWN_CUSTOMERS else "branch"


def _sorted(r: Ranking, sort: str) -> str:
    codes = [i["code"] for i in r["indicators"]]
    if sort in codes:
        k = codes.index(sort)
        r["rows"].sort(key=lambda row: (row["items"][k]["rank"] is None, row["items"][k]["rank"] or 0, row["unit_id"]))
        return sort
    return "total"


@router.get("/kpi", include_in_schema=False)
@declare("view_kpi")
def ranking_page(ctx: C, level: Level = "", period: Period = "", sort: Sort = "") -> Response:
    me = ctx.me()
    result = service.ranking(ctx.db, ctx.serving, me, level=_level(ctx, level), period=period or None)
    sort = _sorted(result, sort)
    mine = next((r for r in result["rows"] if r["level"] == "manager" and r["unit_id"] == me.staff_id), None)
    return ctx.render("kpi/ranking.html", ranking=result, sort=sort, mine=mine,
                      may_targets=ctx.may("manage_kpi_targets"))


@router.get("/api/kpi", tags=["kpi"])
@declare("view_kpi")
def ranking_api(ctx: C, level: Level = "", period: Period = "", sort: Sort = "") -> Ranking:
    """The KPI ranking of the month for a level: each unit you may see with its figures, targets, scores (to full
    marks, weighted), single-item and total ranks (ties share a rank: 1, 1, 3). Ranks are over the whole level."""
    result = service.ranking(ctx.db, ctx.serving, ctx.me(), level=_level(ctx, level), period=period or None)
    _sorted(result, sort)
    return result


@router.post("/kpi/export", include_in_schema=False)
@declare("view_kpi")
def export_page(ctx: C, period: Annotated[str, Form(max_length=7)] = "") -> Response:
    """业绩通报: the ranking of both levels as an Excel file (audited), from the page's button."""
    _, content = kpi_report.report(ctx.db, ctx.serving, ctx.me(), period=period or None)
    return xlsx_download(ctx, content, "kpi-report")


@router.post("/api/kpi/export", tags=["kpi"], response_class=Response, responses=XLSX_RESPONSES)
@declare("view_kpi")
def export_api(ctx: C, period: Period = "") -> Response:
    """The report (业绩通报) of the month: the rankings of branches and managers you may see as an .xlsx file,
    audited. Send the CSRF token in X-CSRF-Token."""
    _, content = kpi_report.report(ctx.db, ctx.serving, ctx.me(), period=period or None)
    return xlsx_download(ctx, content, "kpi-report")
