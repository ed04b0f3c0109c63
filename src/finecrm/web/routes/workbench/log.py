"""工作日志 / the work log: the manager's visits, calls, messages and meetings with filters and the Excel list, and
the form that records one (from the 360, a task, the visit plan or the log itself)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from finecrm.authz import declare
from finecrm.core import formats
from finecrm.services.workbench import worklog
from finecrm.services.workbench.inputs import LogEntry
from finecrm.services.workbench.outputs import LogPage, LogRecorded
from finecrm.services.workbench.worklog import WorkLogError
from finecrm.web.deps import XLSX_RESPONSES, Ctx, IdQuery, PageNo, context, xlsx_download

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Kind = Annotated[str, Query(max_length=20, description="visit | call | message | meeting (blank: all)")]
CustomerId = Annotated[str, Query(max_length=64, description="客户号 / a customer's id")]
Source = Annotated[str, Query(max_length=20, pattern=r"^[a-z]*$", description="customer | task | plan | reminder | log")]


def _day(text: str | None, what: str) -> date | None:
    """A date typed in a form (YYYY-MM-DD), or a bilingual 400."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise WorkLogError(f"{what}须为日期，如 2026-12-31 / {what}: a date such as 2026-12-31 is expected, "
                           f"got {text[:20]!r}") from None


def _query(date_from: date | None, date_to: date | None, kind: str, customer_id: str) -> str:
    return urlencode({k: v for k, v in (("date_from", date_from.isoformat() if date_from else None),
                                        ("date_to", date_to.isoformat() if date_to else None), ("kind", kind),
                                        ("customer_id", customer_id)) if v})


@router.get("/workbench/log", include_in_schema=False)
@declare("record_visit")
def log_page(ctx: C, page: PageNo = 1, date_from: date | None = None, date_to: date | None = None, kind: Kind = "",
             customer_id: CustomerId = "") -> Response:
    rows = worklog.list_log(ctx.db, ctx.serving, ctx.me(), date_from=date_from, date_to=date_to, kind=kind or None,
                            customer_id=customer_id or None, page=page)
    return ctx.render("workbench/log.html", log=rows, date_from=date_from, date_to=date_to, kind=kind,
                      customer_id=customer_id, query=_query(date_from, date_to, kind, customer_id),
                      kinds=worklog.KINDS, notice=ctx.request.query_params.get("notice"))


@router.post("/workbench/log/export", include_in_schema=False)
@declare("export_list")
def export_page(ctx: C, date_from: Annotated[str, Form(max_length=20)] = "",
                date_to: Annotated[str, Form(max_length=20)] = "", kind: Annotated[str, Form(max_length=20)] = "",
                customer_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    """The log as the page shows it (its filters, every page) as an Excel file, from its button."""
    content, _ = worklog.export_log(ctx.db, ctx.serving, ctx.me(), date_from=_day(date_from, "开始日期 from"),
                                    date_to=_day(date_to, "结束日期 to"), kind=kind or None,
                                    customer_id=customer_id or None, ip=ctx.ip)
    return xlsx_download(ctx, content, "work-log")


@router.get("/workbench/log/new", include_in_schema=False)
@declare("record_visit")
def form_page(ctx: C, customer_id: CustomerId = "", campaign_id: IdQuery = None, source: Source = "log",
              kind: Kind = "visit", purpose: Annotated[str, Query(max_length=20)] = "") -> Response:
    customer = worklog.form_customer(ctx.serving, ctx.me(), customer_id) if customer_id.strip() else None
    now = formats.local(datetime.now().astimezone(), ctx.state.ws.settings.bank.timezone)
    return ctx.render("workbench/log_form.html", customer=customer, campaign_id=campaign_id,
                      source=source if source in worklog.SOURCES else "log", kind=kind if kind in worklog.KINDS
                      else "visit", kinds=worklog.KINDS, purposes=worklog.PURPOSES, outcomes=worklog.OUTCOMES,
                      purpose=purpose if purpose in worklog.PURPOSES else ("marketing" if source == "task"
                                                                          else "relationship"),
                      now=now.strftime("%Y-%m-%dT%H:%M"), today=now.date())


@router.post("/workbench/log", include_in_schema=False)
@declare("record_visit")
async def record_page(ctx: C) -> Response:
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    at = (form.get("at") or "").strip()
    try:
        entry = LogEntry(
            customer_id=form.get("customer_id", "")[:64], kind=form.get("kind", "")[:20],
            at=datetime.fromisoformat(at) if at else None, place=form.get("place", "")[:200],
            purpose=form.get("purpose", "")[:20], note=form.get("note", "")[:2000],
            outcome=form.get("outcome", "")[:20], next_step=form.get("next_step", "")[:500],
            follow_up_on=_day(form.get("follow_up_on"), "跟进日期 follow-up date"),
            campaign_id=int(form["campaign_id"]) if (form.get("campaign_id") or "").strip().isdigit() else None,
            source=form.get("source", "log")[:20])
    except (ValueError, ValidationError) as exc:
        raise WorkLogError(f"表单填写有误 / the form has a mistake: {str(exc).splitlines()[0][:200]}") from None
    done = worklog.record_entry(ctx.db, ctx.serving, ctx.me(), entry, ip=ctx.ip)
    ctx.db.commit()
    back = form.get("back", "")
    # back where the entry was started (only a local workbench, 360 or task address: never a redirect elsewhere)
    local = back.startswith(("/workbench", "/customers/", "/tasks")) and not back.startswith("//")
    target = back if local else "/workbench/log"
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}notice={quote(done['counts_as'] or 'logged')}", status_code=303)



@router.get("/api/workbench/log", tags=["workbench"])
@declare("record_visit")
def log_api(ctx: C, page: PageNo = 1, date_from: date | None = None, date_to: date | None = None, kind: Kind = "",
            customer_id: CustomerId = "") -> LogPage:
    """Your work log, newest first: visits, calls, messages and meetings between the bank days `date_from` and
    `date_to`, of one `kind` and one customer if given; names masked."""
    return worklog.list_log(ctx.db, ctx.serving, ctx.me(), date_from=date_from, date_to=date_to, kind=kind or None,
                            customer_id=customer_id or None, page=page).to_dict()


@router.post("/api/workbench/log", tags=["workbench"])
@declare("record_visit")
def record_api(ctx: C, body: LogEntry) -> LogRecorded:
    """Record an entry of your work log with a customer you look after (audited): kind, time, place, purpose,
    note, outcome, next step, follow-up date; `counts_as` says what it adds to the daily standard."""
    done = worklog.record_entry(ctx.db, ctx.serving, ctx.me(), body, ip=ctx.ip)
    ctx.db.commit()
    return done


@router.post("/api/workbench/log/export", tags=["workbench"], response_class=Response, responses=XLSX_RESPONSES)
@declare("export_list")
def export_api(ctx: C, date_from: date | None = None, date_to: date | None = None, kind: Kind = "",
               customer_id: CustomerId = "") -> Response:
    """Your work log of the filter (as GET /api/workbench/log, every page) as an .xlsx file: masked, audited.
    Send the CSRF token in X-CSRF-Token."""
    content, _ = worklog.export_log(ctx.db, ctx.serving, ctx.me(), date_from=date_from, date_to=date_to,
                                    kind=kind or None, customer_id=customer_id or None, ip=ctx.ip)
    return xlsx_download(ctx, content, "work-log")
