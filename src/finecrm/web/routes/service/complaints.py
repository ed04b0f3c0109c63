"""投诉处理 / complaints: the intake form, the queue (overdue first, filters, Excel), a complaint with its history
and the steps of handling it; the JSON API beside each page. The clock is the app's (``AppState.clock``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from finecrm.authz import declare
from finecrm.services.service import complaints as cp
from finecrm.services.service.inputs import (
    AppealComplaint,
    AssignComplaint,
    Channel,
    CloseComplaint,
    ComplaintFilters,
    ComplaintIntake,
    InputError,
    QueueStatus,
    ReplyComplaint,
)
from finecrm.services.service.outputs import ComplaintDetail, ComplaintPage, ComplaintRow
from finecrm.web.deps import XLSX_RESPONSES, Ctx, Id, PageNo, context, xlsx_download

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Text40 = Annotated[str, Query(max_length=40)]
StatusQ = Annotated[QueueStatus, Query(description="active (default: still to answer), all, or one status")]
ChannelQ = Annotated[Channel | None, Query(description="lobby, manager, phone or import")]


def _clock(ctx: Ctx) -> dict[str, Any]:
    return {"now": ctx.state.clock(), "tz": ctx.state.ws.settings.bank.timezone}


def _settings(ctx: Ctx) -> Any:
    return ctx.state.ws.settings.service


def _filters(status: str, category: str, branch_id: str, channel: str | None, overdue: bool) -> ComplaintFilters:
    return ComplaintFilters.checked(status=status, category=category or None, branch_id=branch_id or None,
                                    channel=channel or None, overdue=overdue)


def _names(ctx: Ctx) -> dict[str, Any]:
    """What the pages name codes with: categories (the bank's, in both languages), statuses, channels."""
    return {"categories": cp.categories(_settings(ctx)), "statuses": cp.STATUSES, "channels": cp.CHANNELS}


# --- the queue ------------------------------------------------------------------------------------------------


@router.get("/service/complaints", include_in_schema=False)
@declare("record_complaint")
def queue_page(ctx: C, page: PageNo = 1, status: StatusQ = "active", category: Text40 = "", branch_id: Text40 = "",
               channel: ChannelQ = None, overdue: bool = False) -> Response:
    f = _filters(status, category, branch_id, channel, overdue)
    result = cp.queue(ctx.db, ctx.me(), _settings(ctx), f, page=page, **_clock(ctx))
    query = {"status": status, "category": category, "branch_id": branch_id, "channel": channel or "",
             "overdue": "1" if overdue else ""}
    return ctx.render("service/complaints/queue.html", result=result, filters=query,
                      base="/service/complaints?" + "&".join(f"{k}={v}" for k, v in query.items() if v),
                      branches=ctx.me().branch_scope, **_names(ctx))


@router.get("/api/service/complaints", tags=["service"])
@declare("record_complaint")
def queue_api(ctx: C, page: PageNo = 1, status: StatusQ = "active", category: Text40 = "", branch_id: Text40 = "",
              channel: ChannelQ = None, overdue: bool = False) -> ComplaintPage:
    """Complaints in your scope, overdue first (the most escalated, the longest late), then by deadline. Filter by
    `status` (`active`: still to answer), `category`, `branch_id`, `channel`, `overdue`. Reading the queue brings
    the escalation of overdue complaints up to date."""
    f = _filters(status, category, branch_id, channel, overdue)
    return cp.queue(ctx.db, ctx.me(), _settings(ctx), f, page=page, **_clock(ctx)).to_dict()


@router.post("/service/complaints/export", include_in_schema=False)
@declare("export_list")
def export_page(ctx: C, status: Annotated[QueueStatus, Form()] = "active",
                category: Annotated[str, Form(max_length=40)] = "", branch_id: Annotated[str, Form(max_length=40)] = "",
                channel: Annotated[Channel | None, Form()] = None, overdue: Annotated[bool, Form()] = False) -> Response:
    f = _filters(status, category, branch_id, channel, overdue)
    content, _n = cp.export(ctx.db, ctx.me(), _settings(ctx), f, ip=ctx.ip, **_clock(ctx))
    return xlsx_download(ctx, content, "complaints")


@router.post("/api/service/complaints/export", tags=["service"], response_class=Response, responses=XLSX_RESPONSES)
@declare("export_list")
def export_api(ctx: C, status: StatusQ = "active", category: Text40 = "", branch_id: Text40 = "",
               channel: ChannelQ = None, overdue: bool = False) -> Response:
    """The queue as filtered (same parameters as GET /api/service/complaints) as an .xlsx file: callers' names and
    phone numbers masked, the export audited. Send the CSRF token in X-CSRF-Token."""
    f = _filters(status, category, branch_id, channel, overdue)
    content, _n = cp.export(ctx.db, ctx.me(), _settings(ctx), f, ip=ctx.ip, **_clock(ctx))
    return xlsx_download(ctx, content, "complaints")


# --- intake -----------------------------------------------------------------------------------------------------


def _form(ctx: Ctx, values: dict[str, Any], error: str | None = None) -> Response:
    from finecrm.services.names import load_names

    names = load_names(ctx.state.ws)
    scope = ctx.me().branch_scope
    branches = [(code, name) for code, name in names.options("branch") if scope is None or code in scope]
    return ctx.render("service/complaints/new.html", status_code=400 if error else 200, values=values, error=error,
                      branches=branches, staff=names.options("staff"), **_names(ctx))


@router.get("/service/complaints/new", include_in_schema=False)
@declare("record_complaint")
def new_page(ctx: C, customer_id: Text40 = "") -> Response:
    me = ctx.me()
    channel = "lobby" if me.role == "lobby_manager" else "manager" if me.role == "customer_manager" else "phone"
    return _form(ctx, {"customer_id": customer_id, "channel": channel, "branch_id": "" if customer_id else
                       (me.branch_id or "")})


@router.post("/service/complaints", include_in_schema=False)
@declare("record_complaint")
def record_page(ctx: C, channel: Annotated[str, Form(max_length=12)] = "",
                customer_id: Annotated[str, Form(max_length=40)] = "",
                caller_name: Annotated[str, Form(max_length=60)] = "",
                caller_phone: Annotated[str, Form(max_length=30)] = "",
                category: Annotated[str, Form(max_length=40)] = "", branch_id: Annotated[str, Form(max_length=40)] = "",
                staff_id: Annotated[str, Form(max_length=40)] = "",
                description: Annotated[str, Form(max_length=4000)] = "") -> Response:
    values = {"channel": channel, "customer_id": customer_id, "caller_name": caller_name, "caller_phone": caller_phone,
              "category": category, "branch_id": branch_id, "staff_id": staff_id, "description": description}
    try:
        intake = ComplaintIntake.checked(**{k: (v or None) for k, v in values.items()})
        row = cp.record(ctx.db, ctx.serving, ctx.me(), _settings(ctx), intake, **_clock(ctx))
    except (InputError, cp.ComplaintError) as exc:
        ctx.db.rollback()
        return _form(ctx, values, str(exc))
    ctx.db.commit()
    return RedirectResponse(f"/service/complaints/{row['id']}?notice=recorded", status_code=303)


@router.post("/api/service/complaints", tags=["service"])
@declare("record_complaint")
def record_api(ctx: C, body: ComplaintIntake) -> ComplaintRow:
    """Take a complaint down: `channel`, a `customer_id` in your scope or an unidentified caller's `caller_name` /
    `caller_phone`, a configured `category` (its deadline in working days follows), the `branch_id` and `staff_id`
    concerned, the `description`."""
    row = cp.record(ctx.db, ctx.serving, ctx.me(), _settings(ctx), body, **_clock(ctx))
    ctx.db.commit()
    return row


# --- one complaint ------------------------------------------------------------------------------------------------


@router.get("/service/complaints/{complaint_id}", include_in_schema=False)
@declare("record_complaint")
def detail_page(ctx: C, complaint_id: Id) -> Response:
    data = cp.detail(ctx.db, ctx.me(), _settings(ctx), complaint_id, **_clock(ctx))
    return ctx.render("service/complaints/detail.html", data=data, notice=ctx.request.query_params.get("notice"),
                      **_names(ctx))


@router.get("/api/service/complaints/{complaint_id}", tags=["service"])
@declare("record_complaint")
def detail_api(ctx: C, complaint_id: Id) -> ComplaintDetail:
    """One complaint with every step of it, oldest first, and who it may be assigned to."""
    return cp.detail(ctx.db, ctx.me(), _settings(ctx), complaint_id, **_clock(ctx))


#: The steps of handling: (use case, its input, the form field holding the text).
STEPS: dict[str, tuple[Any, type[BaseModel], str]] = {
    "assign": (cp.assign, AssignComplaint, "assignee"),
    "reply": (cp.reply, ReplyComplaint, "reply"),
    "close": (cp.close, CloseComplaint, "note"),
    "appeal": (cp.appeal, AppealComplaint, "note"),
}


def _step(ctx: Ctx, step: str, complaint_id: int, body: BaseModel) -> ComplaintRow:
    use_case = STEPS[step][0]
    row: ComplaintRow = use_case(ctx.db, ctx.me(), _settings(ctx), complaint_id, body, **_clock(ctx))
    ctx.db.commit()
    return row


def _step_page(ctx: Ctx, step: str, complaint_id: int, fields: dict[str, str]) -> Response:
    model = STEPS[step][1]
    try:
        body = model.checked(**{k: v for k, v in fields.items() if v})  # type: ignore[attr-defined]
    except InputError as exc:
        raise cp.ComplaintError(str(exc)) from None
    _step(ctx, step, complaint_id, body)
    return RedirectResponse(f"/service/complaints/{complaint_id}?notice={step}", status_code=303)


Note = Annotated[str, Form(max_length=4000)]


@router.post("/service/complaints/{complaint_id}/assign", include_in_schema=False)
@declare("handle_complaints")
def assign_page(ctx: C, complaint_id: Id, assignee: Annotated[str, Form(max_length=64)] = "",
                note: Note = "") -> Response:
    return _step_page(ctx, "assign", complaint_id, {"assignee": assignee, "note": note})


@router.post("/service/complaints/{complaint_id}/reply", include_in_schema=False)
@declare("handle_complaints")
def reply_page(ctx: C, complaint_id: Id, reply: Note = "") -> Response:
    return _step_page(ctx, "reply", complaint_id, {"reply": reply})


@router.post("/service/complaints/{complaint_id}/close", include_in_schema=False)
@declare("handle_complaints")
def close_page(ctx: C, complaint_id: Id, note: Note = "") -> Response:
    return _step_page(ctx, "close", complaint_id, {"note": note})


@router.post("/service/complaints/{complaint_id}/appeal", include_in_schema=False)
@declare("record_complaint")
def appeal_page(ctx: C, complaint_id: Id, note: Note = "") -> Response:
    return _step_page(ctx, "appeal", complaint_id, {"note": note})


@router.post("/api/service/complaints/{complaint_id}/assign", tags=["service"])
@declare("handle_complaints")
def assign_api(ctx: C, complaint_id: Id, body: AssignComplaint) -> ComplaintRow:
    """Give the complaint to a handler (`assignee`: a user with handle_complaints at its branch or head office)."""
    return _step(ctx, "assign", complaint_id, body)


@router.post("/api/service/complaints/{complaint_id}/reply", tags=["service"])
@declare("handle_complaints")
def reply_api(ctx: C, complaint_id: Id, body: ReplyComplaint) -> ComplaintRow:
    """Record the answer given to the customer (`reply`): the deadline's clock stops, on time or late on record."""
    return _step(ctx, "reply", complaint_id, body)


@router.post("/api/service/complaints/{complaint_id}/close", tags=["service"])
@declare("handle_complaints")
def close_api(ctx: C, complaint_id: Id, body: CloseComplaint) -> ComplaintRow:
    """Close an answered complaint on the customer's acceptance (`note`: what the customer said)."""
    return _step(ctx, "close", complaint_id, body)


@router.post("/api/service/complaints/{complaint_id}/appeal", tags=["service"])
@declare("record_complaint")
def appeal_api(ctx: C, complaint_id: Id, body: AppealComplaint) -> ComplaintRow:
    """The customer appeals an answer (`note`: why): reopened with the appeal's deadline in working days."""
    return _step(ctx, "appeal", complaint_id, body)


@router.get("/api/service/customers/{customer_id}/complaints", tags=["service"])
@declare("view_customer")
def customer_complaints_api(ctx: C, customer_id: Annotated[str, Path(max_length=40)]) -> list[ComplaintRow]:
    """A customer's complaints, newest first, as the customer 360 lists them (404 for a customer out of scope;
    empty for a role without the complaint actions)."""
    from finecrm.services.customers import profile as customer_service

    customer_service.customer_360(ctx.serving, ctx.me(), customer_id)  # 404 outside the scope
    return cp.of_customer(ctx.db, ctx.me(), _settings(ctx), customer_id, **_clock(ctx))
