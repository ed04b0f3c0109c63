"""首页总览 / the dashboard of the user's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from finecrm.authz import declare
from finecrm.services.customers import dashboard as dashboard_service
from finecrm.services.customers.outputs import Dashboard
from finecrm.services.marketing import worklists
from finecrm.web.deps import Ctx, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]


@router.get("/dashboard", include_in_schema=False)
@declare("view_dashboard")
def dashboard_page(ctx: C) -> Response:
    data = dashboard_service.dashboard(ctx.serving, ctx.me())
    # a branch head compares the managers of their branch on every campaign (who is behind)
    progress = (worklists.manager_progress(ctx.db, ctx.serving, ctx.me()) if ctx.may("assign_customers") else None)
    return ctx.render("customers/dashboard/index.html", data=data, progress=progress)


@router.get("/api/dashboard", tags=["dashboard"])
@declare("view_dashboard")
def dashboard_api(ctx: C) -> Dashboard:
    """KPIs with month-over-month change, tier pyramid, Pareto curve, trends, channel mix, lifecycle flows and
    the branch (or grid) comparison, for the signed-in user's scope; each metric's definition included."""
    return dashboard_service.dashboard(ctx.serving, ctx.me())
