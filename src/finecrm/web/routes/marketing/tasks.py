"""我的任务 / a manager's campaign tasks with talking points, and recording outcomes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from finecrm.authz import declare
from finecrm.services.marketing import tasks as campaign_tasks
from finecrm.services.marketing.inputs import TaskOutcome
from finecrm.services.marketing.outputs import OutcomeRecorded, TaskPage
from finecrm.web.deps import Ctx, Id, IdQuery, PageNo, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]


@router.get("/tasks", include_in_schema=False)
@declare("view_own_tasks")
def tasks_page(ctx: C, page: PageNo = 1, status: str = "open", campaign_id: IdQuery = None) -> Response:
    tasks = campaign_tasks.list_tasks(ctx.db, ctx.serving, ctx.me(), campaign_id=campaign_id,
                                      status=status or None, page=page)
    return ctx.render("marketing/tasks/index.html", tasks=tasks, status=status, campaign_id=campaign_id,
                      outcomes=campaign_tasks.OUTCOMES, notice=ctx.request.query_params.get("notice"))


@router.post("/tasks/{campaign_id}/{customer_id}", include_in_schema=False)
@declare("record_outcome")
async def outcome_page(ctx: C, campaign_id: Id, customer_id: str) -> Response:
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    campaign_tasks.record_outcome(ctx.db, ctx.me(), campaign_id, customer_id, outcome=form.get("outcome", ""),
                                  note=form.get("note", ""))
    ctx.db.commit()
    back = form.get("status", "open")
    return RedirectResponse(f"/tasks?status={back}&notice=recorded", status_code=303)


@router.get("/api/tasks", tags=["marketing"])
@declare("view_own_tasks")
def tasks_api(ctx: C, page: PageNo = 1, status: str | None = None, campaign_id: IdQuery = None
              ) -> TaskPage:
    """Your campaign tasks (assigned to your staff id) with talking points; `status`: open, done or an outcome."""
    return campaign_tasks.list_tasks(ctx.db, ctx.serving, ctx.me(), campaign_id=campaign_id, status=status,
                                     page=page).to_dict()


@router.post("/api/tasks/{campaign_id}/{customer_id}", tags=["marketing"])
@declare("record_outcome")
def outcome_api(ctx: C, campaign_id: Id, customer_id: str, body: TaskOutcome) -> OutcomeRecorded:
    """Record `{"outcome": contacted|interested|converted|refused|unreachable, "note": "..."}` on your task."""
    done = campaign_tasks.record_outcome(ctx.db, ctx.me(), campaign_id, customer_id, outcome=body.outcome,
                                         note=body.note)
    ctx.db.commit()
    return done
