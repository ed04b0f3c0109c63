"""我的任务 / a manager's campaign tasks: talking points, a call (the phone revealed, audited), outcomes with a
follow-up date, filters, sort, pages and the Excel list."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response

from finecrm.authz import declare
from finecrm.core import formats
from finecrm.services.marketing import tasks as campaign_tasks
from finecrm.services.marketing import worklists
from finecrm.services.marketing.campaigns import CampaignError
from finecrm.services.marketing.inputs import TaskOutcome
from finecrm.services.marketing.outputs import OutcomeRecorded, TaskCall, TaskPage
from finecrm.web.deps import XLSX_RESPONSES, Ctx, Id, IdQuery, PageNo, context, xlsx_download

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Status = Annotated[str, Query(max_length=20, description="open | due | upcoming | overdue | done | an outcome code")]
Sort = Annotated[str, Query(max_length=20, pattern=r"^-?[a-z_]*$",
                            description="排序 / sort: due, campaign, customer_id, decile, outcome_at; '-' first for "
                                        "descending")]
CustomerId = Annotated[str, Query(max_length=64)]


def _day(text: str | None, what: str) -> date | None:
    """A date typed in a form (YYYY-MM-DD), or a bilingual 400."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CampaignError(f"{what}须为日期，如 2026-12-31 / {what}: a date such as 2026-12-31 is expected, "
                            f"got {text[:20]!r}") from None


def _list_query(status: str, campaign_id: int | None, due_by: date | None, sort: str) -> str:
    """The list's filters and sort as URL parameters (the pager, sort links and the export keep them)."""
    return urlencode({k: v for k, v in (("status", status), ("campaign_id", campaign_id),
                                        ("due_by", due_by.isoformat() if due_by else None), ("sort", sort)) if v})


@router.get("/tasks", include_in_schema=False)
@declare("view_own_tasks")
def tasks_page(ctx: C, page: PageNo = 1, status: Status = "open", campaign_id: IdQuery = None,
               due_by: date | None = None, sort: Sort = "due") -> Response:
    me = ctx.me()
    tasks = campaign_tasks.list_tasks(ctx.db, ctx.serving, me, campaign_id=campaign_id, status=status or None,
                                      due_by=due_by, sort=sort or None, page=page)
    return ctx.render("marketing/tasks/index.html", tasks=tasks, status=status, campaign_id=campaign_id,
                      due_by=due_by, sort=sort or "due", query=_list_query(status, campaign_id, due_by, sort),
                      campaigns=campaign_tasks.task_campaigns(ctx.db, me), outcomes=campaign_tasks.OUTCOMES,
                      max_follow_up=campaign_tasks.MAX_FOLLOW_UP_DAYS, today=formats.today(ctx.state.ws.settings.bank.timezone),
                      notice=ctx.request.query_params.get("notice"))


@router.post("/tasks/export", include_in_schema=False)
@declare("export_list")
def export_page(ctx: C, status: Annotated[str, Form(max_length=20)] = "", campaign_id: Annotated[str, Form(
        max_length=12)] = "", due_by: Annotated[str, Form(max_length=20)] = "",
                sort: Annotated[str, Form(max_length=20)] = "") -> Response:
    """The list as the page shows it (its filters and sort, every page) as an Excel file, from its button."""
    cid = int(campaign_id) if campaign_id.strip().isdigit() and 0 < int(campaign_id) < 2**31 else None
    if campaign_id.strip() and cid is None:
        raise CampaignError(f"活动编号须为正整数 / the campaign id must be a positive whole number, got {campaign_id!r}")
    content, _ = worklists.export_tasks(ctx.db, ctx.serving, ctx.me(), campaign_id=cid, status=status or None,
                                        due_by=_day(due_by, "应办日期 due by"), sort=sort or None, ip=ctx.ip)
    return xlsx_download(ctx, content, "tasks")


@router.post("/tasks/{campaign_id}/{customer_id}/call", include_in_schema=False)
@declare("reveal_pii")
def call_page(ctx: C, campaign_id: Id, customer_id: str) -> Response:
    """One click on a task: the customer's phone in clear (audited with the task as the reason), as a tel: link
    swapped in place of the masked number."""
    call = campaign_tasks.call_task(ctx.db, ctx.serving, ctx.me(), campaign_id, customer_id[:64], ip=ctx.ip)
    ctx.db.commit()  # the audit row is written before the number is sent
    return ctx.render("marketing/tasks/_phone.html", call=call)


@router.post("/tasks/{campaign_id}/{customer_id}", include_in_schema=False)
@declare("record_outcome")
async def outcome_page(ctx: C, campaign_id: Id, customer_id: str) -> Response:
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    campaign_tasks.record_outcome(ctx.db, ctx.me(), campaign_id, customer_id[:64], outcome=form.get("outcome", ""),
                                  note=form.get("note", "")[:2000],
                                  follow_up_on=_day(form.get("follow_up_on"), "跟进日期 follow-up date"),
                                  tz=ctx.state.ws.settings.bank.timezone)
    ctx.db.commit()
    back = form.get("back", "")
    # back to the list as it was (only a local /tasks address: never a redirect elsewhere)
    target = back if back.startswith("/tasks") or back.startswith("/customers/") else "/tasks"
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}notice=recorded", status_code=303)


@router.get("/api/tasks", tags=["marketing"])
@declare("view_own_tasks")
def tasks_api(ctx: C, page: PageNo = 1, status: Annotated[str | None, Query(max_length=20)] = None,
              campaign_id: IdQuery = None, due_by: date | None = None, sort: Sort = "due") -> TaskPage:
    """Your campaign tasks (assigned to your staff id) with talking points; `status`: open, due, upcoming,
    overdue, done or an outcome; `due_by`: due on or before that day; `sort` as the page."""
    return campaign_tasks.list_tasks(ctx.db, ctx.serving, ctx.me(), campaign_id=campaign_id, status=status,
                                     due_by=due_by, sort=sort or None, page=page).to_dict()


@router.post("/api/tasks/export", tags=["marketing"], response_class=Response, responses=XLSX_RESPONSES)
@declare("export_list")
def export_api(ctx: C, status: Annotated[str | None, Query(max_length=20)] = None, campaign_id: IdQuery = None,
               due_by: date | None = None, sort: Sort = "due") -> Response:
    """Your tasks of the filter (as GET /api/tasks, every page) as an .xlsx file: names not codes, masked,
    audited. Send the CSRF token in X-CSRF-Token."""
    content, _ = worklists.export_tasks(ctx.db, ctx.serving, ctx.me(), campaign_id=campaign_id, status=status,
                                        due_by=due_by, sort=sort or None, ip=ctx.ip)
    return xlsx_download(ctx, content, "tasks")


@router.post("/api/tasks/{campaign_id}/{customer_id}/call", tags=["marketing"])
@declare("reveal_pii")
def call_api(ctx: C, campaign_id: Id, customer_id: str) -> TaskCall:
    """The phone of your task's customer in clear, to call them; audited with the task as the reason (404 for a
    task that is not yours or a customer you do not look after)."""
    call = campaign_tasks.call_task(ctx.db, ctx.serving, ctx.me(), campaign_id, customer_id[:64], ip=ctx.ip)
    ctx.db.commit()
    return call


@router.post("/api/tasks/{campaign_id}/{customer_id}", tags=["marketing"])
@declare("record_outcome")
def outcome_api(ctx: C, campaign_id: Id, customer_id: str, body: TaskOutcome) -> OutcomeRecorded:
    """Record `{"outcome": contacted|interested|converted|refused|unreachable, "note": "...",
    "follow_up_on": "YYYY-MM-DD"}` on your task (a follow-up date is required with interested)."""
    done = campaign_tasks.record_outcome(ctx.db, ctx.me(), campaign_id, customer_id[:64], outcome=body.outcome,
                                         note=body.note, follow_up_on=body.follow_up_on,
                                         tz=ctx.state.ws.settings.bank.timezone)
    ctx.db.commit()
    return done
