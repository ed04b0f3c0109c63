"""催收督导 / the risk officer's oversight: the queue by bucket and collector, unassigned loans, broken promises, the
roll-rate matrix, and reassigning a loan (audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response

from finecrm.authz import declare
from finecrm.services.collections import assignment
from finecrm.services.collections import queue as service
from finecrm.services.collections.inputs import ReassignInput
from finecrm.services.collections.outputs import AssignmentRow, Oversight
from finecrm.web.deps import Ctx, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]


@router.get("/collections/oversight", include_in_schema=False)
@declare("view_collections")
def oversight_page(ctx: C) -> Response:
    data = service.oversight(ctx.db, ctx.serving, ctx.state.ws, ctx.me())
    return ctx.render("collections/oversight.html", data=data, notice=ctx.request.query_params.get("notice"))


@router.get("/api/collections/oversight", tags=["collections"])
@declare("view_collections")
def oversight_api(ctx: C) -> Oversight:
    """The queue in your scope by bucket and collector, the unassigned loans (first 50 by priority), the broken
    promises, the bank's roll-rate matrix and the promise-kept rate."""
    return service.oversight(ctx.db, ctx.serving, ctx.state.ws, ctx.me())


@router.post("/collections/reassign", include_in_schema=False)
@declare("assign_collections")
def reassign_page(ctx: C, loan_id: Annotated[str, Form(max_length=40)] = "",
                  staff_id: Annotated[str, Form(max_length=40)] = "",
                  reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """The oversight page's form: the loan typed (or pasted from the lists above), the collector chosen."""
    assignment.reassign(ctx.db, ctx.serving, ctx.state.ws, ctx.me(), loan_id=loan_id.strip(), staff_id=staff_id,
                        reason=reason)
    ctx.db.commit()
    return RedirectResponse("/collections/oversight?notice=reassigned", status_code=303)


@router.post("/api/collections/loans/{loan_id}/assignment", tags=["collections"])
@declare("assign_collections")
def reassign_api(ctx: C, loan_id: str, body: ReassignInput) -> AssignmentRow:
    """Give a loan of the queue to another collector `{"staff_id": …, "reason": …}`: access moves at once."""
    row = assignment.reassign(ctx.db, ctx.serving, ctx.state.ws, ctx.me(), loan_id=loan_id[:64],
                              staff_id=body.staff_id, reason=body.reason)
    ctx.db.commit()
    return row
