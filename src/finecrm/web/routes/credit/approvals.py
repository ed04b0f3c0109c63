"""分类调整复核 / the second officer's queue of category changes toward less severe, and the decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from finecrm.authz import declare
from finecrm.services.credit import overrides as changes
from finecrm.services.credit.categories import CATEGORIES
from finecrm.services.credit.inputs import OverrideDecision
from finecrm.services.credit.outputs import OverridePage, OverrideRow
from finecrm.web.deps import Ctx, Id, PageNo, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Status = Annotated[str, Query(max_length=12, description="pending (default), applied, approved or rejected")]


@router.get("/credit/approvals", include_in_schema=False)
@declare("approve_credit")
def approvals_page(ctx: C, page: PageNo = 1, status: Status = "pending") -> Response:
    result = changes.queue(ctx.db, ctx.me(), status=status, page=page)
    return ctx.render("credit/approvals.html", result=result, status=status, categories=CATEGORIES,
                      statuses=changes.STATUSES, notice=ctx.request.query_params.get("notice"))


@router.get("/api/credit/approvals", tags=["credit"])
@declare("approve_credit")
def approvals_api(ctx: C, page: PageNo = 1, status: Status = "pending") -> OverridePage:
    """Category changes in your scope by status (default: those awaiting approval), oldest first."""
    return changes.queue(ctx.db, ctx.me(), status=status, page=page).to_dict()


@router.post("/credit/approvals/{override_id}", include_in_schema=False)
@declare("approve_credit")
def decide_page(ctx: C, override_id: Id, decision: Annotated[str, Form(max_length=10)] = "",
                note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    try:
        body = OverrideDecision(approve=decision == "approve", note=note)
    except ValidationError:
        raise changes.OverrideError("请写明复核意见 / give the approver's note") from None
    if decision not in ("approve", "reject"):
        raise changes.OverrideError("请选择通过或退回 / choose approve or reject")
    changes.decide(ctx.db, ctx.me(), override_id, body)
    ctx.db.commit()
    return RedirectResponse(f"/credit/approvals?notice={decision}", status_code=303)


@router.post("/api/credit/approvals/{override_id}", tags=["credit"])
@declare("approve_credit")
def decide_api(ctx: C, override_id: Id, body: OverrideDecision) -> OverrideRow:
    """Approve (`{"approve": true, "note": …}`) or reject a change toward a less severe category. The one who
    proposed it cannot decide it."""
    row = changes.decide(ctx.db, ctx.me(), override_id, body)
    ctx.db.commit()
    return row
