"""数据状态 / which snapshot is published, from which ingest, with its checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from finecrm.authz import declare
from finecrm.services.data.outputs import DataStatus
from finecrm.services.data.status import data_status
from finecrm.web.deps import Ctx, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]


@router.get("/status", include_in_schema=False)
@declare("view_data_status")
def status_page(ctx: C) -> Response:
    return ctx.render("data/status/index.html", data=data_status(ctx.db, ctx.state.ws, ctx.me()))


@router.get("/api/status", tags=["data"])
@declare("view_data_status")
def status_api(ctx: C) -> DataStatus:
    """The published snapshot, its marts and checks, earlier snapshots and recent ingests."""
    return data_status(ctx.db, ctx.state.ws, ctx.me())
