"""服务质量指标 / service-quality indicators by branch and staff over a period (what the KPI module will read)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from finecrm.authz import declare
from finecrm.services.service import indicators
from finecrm.services.service.complaints import bank_day
from finecrm.services.service.outputs import QualityReport
from finecrm.services.service.questionnaire import DIMENSIONS
from finecrm.web.deps import Ctx, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Day = Annotated[date | None, Query(description="YYYY-MM-DD (银行日期 / the bank's date)")]


def _report(ctx: Ctx, since: date | None, until: date | None) -> QualityReport:
    now, tz = ctx.state.clock(), ctx.state.ws.settings.bank.timezone
    today = bank_day(now, tz)
    until = until or today
    since = since or until.replace(day=1)
    return indicators.service_quality(ctx.db, ctx.serving, ctx.me(), ctx.state.ws.settings.service, since=since,
                                      until=until, now=now, tz=tz)


@router.get("/service/quality", include_in_schema=False)
@declare("handle_complaints")
def quality_page(ctx: C, since: Day = None, until: Day = None) -> Response:
    return ctx.render("service/quality.html", data=_report(ctx, since, until), dimensions=DIMENSIONS)


@router.get("/api/service/quality", tags=["service"])
@declare("handle_complaints")
def quality_api(ctx: C, since: Day = None, until: Day = None) -> QualityReport:
    """Service-quality indicators per branch in your scope over [`since`, `until`] (default: this month so far):
    complaints and complaints per 10,000 customers, the share answered by the deadline, overdue now, appeals,
    satisfied share per dimension, survey response rate; complaints per staff member concerned."""
    return _report(ctx, since, until)
