"""工作台 / the customer manager's home: today's plan, the daily standard, tasks due, large outflows; and 走访计划 /
the month's visit plan with its statistics per manager."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from finecrm.authz import declare
from finecrm.core import formats
from finecrm.services.marketing import tasks as campaign_tasks
from finecrm.services.workbench import home as workbench_home
from finecrm.services.workbench import plan as visit_plan
from finecrm.services.workbench import reminders as customer_reminders
from finecrm.services.workbench.outputs import PlanPage, ReminderPage, StandardDay
from finecrm.services.workbench.worklog import standard_days, week_days
from finecrm.web.deps import Ctx, PageNo, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
ReminderKind = Annotated[str, Query(max_length=20, description="maturity | birthday | outflow | dormant_risk | "
                                                                "tier_drop (blank: all)")]
Status = Annotated[str, Query(max_length=20, description="due | overdue | done (blank: all)")]
#: Campaign tasks listed on the home page (the task list has them all).
TASKS_SHOWN = 5
Manager = Annotated[str, Query(max_length=40, description="客户经理员工号 / a manager's staff id (branch heads, "
                                                           "analysts)")]


@router.get("/workbench", include_in_schema=False)
@declare("record_visit")
def home_page(ctx: C) -> Response:
    today = formats.today(ctx.state.ws.settings.bank.timezone)
    me = ctx.me()
    home = workbench_home.home(ctx.db, ctx.serving, me, today=today)
    home["tasks"] = campaign_tasks.list_tasks(ctx.db, ctx.serving, me, status="due", page_size=TASKS_SHOWN,
                                              today=today) if ctx.may("view_own_tasks") else None
    return ctx.render("workbench/home.html", home=home, today=today, notice=ctx.request.query_params.get("notice"))


@router.get("/workbench/plan", include_in_schema=False)
@declare("record_visit")
def plan_page(ctx: C, page: PageNo = 1, status: Status = "", manager_id: Manager = "") -> Response:
    month, rows, stats = visit_plan.month_plan(ctx.db, ctx.serving, ctx.me(), status=status or None,
                                               manager_id=manager_id.strip() or None, page=page)
    query = urlencode({k: v for k, v in (("status", status), ("manager_id", manager_id)) if v})
    return ctx.render("workbench/plan.html", month=month, plan=rows, stats=stats, status=status, query=query,
                      frequencies=ctx.state.ws.settings.workbench.visit_frequency_months,
                      notice=ctx.request.query_params.get("notice"))


@router.get("/api/workbench/plan", tags=["workbench"])
@declare("record_visit")
def plan_api(ctx: C, page: PageNo = 1, status: Status = "", manager_id: Manager = "") -> PlanPage:
    """The month's visit plan: your customers due a visit in this cycle (by tier frequency) with their status
    (done, due, overdue) from the work log, overdue first, and the month's statistics."""
    month, rows, stats = visit_plan.month_plan(ctx.db, ctx.serving, ctx.me(), status=status or None,
                                               manager_id=manager_id.strip() or None, page=page)
    return {**rows.to_dict(), "plan_month": month, "stats": stats}


@router.get("/api/workbench/standard", tags=["workbench"])
@declare("record_visit")
def standard_api(ctx: C) -> list[StandardDay]:
    """Your daily standard this week (Monday to today): new and existing visits and calls against the targets."""
    today = formats.today(ctx.state.ws.settings.bank.timezone)
    return standard_days(ctx.db, ctx.serving, ctx.me(), week_days(today))


@router.get("/workbench/reminders", include_in_schema=False)
@declare("record_visit")
def reminders_page(ctx: C, page: PageNo = 1, kind: ReminderKind = "") -> Response:
    rows = customer_reminders.list_reminders(ctx.serving, ctx.me(), kind=kind or None, page=page)
    return ctx.render("workbench/reminders.html", reminders=rows, kind=kind, kinds=customer_reminders.KINDS,
                      query=urlencode({"kind": kind} if kind else {}),
                      settings=ctx.state.ws.settings.workbench.reminders)


@router.get("/api/workbench/reminders", tags=["workbench"])
@declare("record_visit")
def reminders_api(ctx: C, page: PageNo = 1, kind: ReminderKind = "") -> ReminderPage:
    """Your customers' reminders: maturities and birthdays ahead, large outflows, dormant risk, tiers about to
    drop — each with the reason in both languages; nearest first."""
    return customer_reminders.list_reminders(ctx.serving, ctx.me(), kind=kind or None,  # type: ignore[return-value]
                                             page=page).to_dict()
