"""反洗钱案件 / triage of an alert, cases that gather alerts, and the report decided by two officers."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from finecrm.authz import declare
from finecrm.services.aml import cases
from finecrm.services.aml.inputs import CaseDecision, CaseNote, CaseProposal, Triage
from finecrm.services.aml.outputs import CaseFile, CasePage, TriageState
from finecrm.web.deps import XLSX_RESPONSES, Ctx, Id, PageNo, context, xlsx_download

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Status = Annotated[str | None, Query(max_length=12, description="open, proposed, reported or closed")]


def _invalid(exc: ValidationError) -> cases.CaseError:
    return cases.CaseError("输入有误 / invalid input — " + "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()))


def _tz(ctx: Ctx) -> str:
    return ctx.state.ws.settings.bank.timezone


@router.post("/aml/alerts/{alert_id}/triage", include_in_schema=False)
@declare("work_case")
def triage_page(ctx: C, alert_id: str, action: Annotated[str, Form(max_length=20)] = "",
                reason: Annotated[str, Form(max_length=1000)] = "", title: Annotated[str, Form(max_length=200)] = "",
                case_id: Annotated[str, Form(max_length=12)] = "") -> Response:
    try:
        given = Triage(action=action, reason=reason, title=title,
                       case_id=int(case_id) if case_id.strip().isdigit() else None)
    except ValidationError as exc:
        raise _invalid(exc) from None
    state = cases.triage(ctx.db, ctx.serving, ctx.me(), alert_id, given, ctx.state.ws.settings.aml.cases, tz=_tz(ctx))
    ctx.db.commit()
    if state["case_id"] is not None:
        return RedirectResponse(f"/aml/cases/{state['case_id']}", status_code=303)
    return RedirectResponse(f"/aml/alerts/{quote(alert_id)}?notice={action}", status_code=303)


@router.post("/api/aml/alerts/{alert_id}/triage", tags=["aml"])
@declare("work_case")
def triage_api(ctx: C, alert_id: str, body: Triage) -> TriageState:
    """Dismiss an alert (`{"action": "dismiss", "reason": …}`), open a case with it (`"open_case"`, `"title"`),
    add it to an open case (`"add_to_case"`, `"case_id"`), or reopen a dismissed one (`"reopen"`, `"reason"`)."""
    state = cases.triage(ctx.db, ctx.serving, ctx.me(), alert_id, body, ctx.state.ws.settings.aml.cases, tz=_tz(ctx))
    ctx.db.commit()
    return state


@router.get("/aml/cases", include_in_schema=False)
@declare("work_case")
def cases_page(ctx: C, page: PageNo = 1, status: Status = None) -> Response:
    result = cases.list_cases(ctx.db, ctx.serving, ctx.me(), status=status or None, page=page, tz=_tz(ctx))
    return ctx.render("aml/cases.html", result=result, status=status or "", statuses=cases.STATUSES)


@router.get("/api/aml/cases", tags=["aml"])
@declare("work_case")
def cases_api(ctx: C, page: PageNo = 1, status: Status = None) -> CasePage:
    """AML cases, the nearest deadline first; filter by `status`."""
    return cases.list_cases(ctx.db, ctx.serving, ctx.me(), status=status or None, page=page, tz=_tz(ctx)).to_dict()


@router.get("/aml/cases/{case_id}", include_in_schema=False)
@declare("work_case")
def case_page(ctx: C, case_id: Id) -> Response:
    data = cases.case_file(ctx.db, ctx.serving, ctx.me(), case_id, tz=_tz(ctx))
    return ctx.render("aml/case.html", data=data, statuses=cases.STATUSES, decisions=cases.DECISIONS,
                      notice=ctx.request.query_params.get("notice"))


@router.get("/api/aml/cases/{case_id}", tags=["aml"])
@declare("work_case")
def case_api(ctx: C, case_id: Id) -> CaseFile:
    """A case: its alerts as the snapshot has them, every party of those alerts, and its history."""
    return cases.case_file(ctx.db, ctx.serving, ctx.me(), case_id, tz=_tz(ctx))


@router.post("/aml/cases/{case_id}/notes", include_in_schema=False)
@declare("work_case")
def note_page(ctx: C, case_id: Id, text: Annotated[str, Form(max_length=4000)] = "") -> Response:
    try:
        given = CaseNote(text=text)
    except ValidationError as exc:
        raise _invalid(exc) from None
    cases.note(ctx.db, ctx.serving, ctx.me(), case_id, given)
    ctx.db.commit()
    return RedirectResponse(f"/aml/cases/{case_id}?notice=note", status_code=303)


@router.post("/api/aml/cases/{case_id}/notes", tags=["aml"])
@declare("work_case")
def note_api(ctx: C, case_id: Id, body: CaseNote) -> CaseFile:
    """Add a note to a case under investigation."""
    cases.note(ctx.db, ctx.serving, ctx.me(), case_id, body)
    ctx.db.commit()
    return cases.case_file(ctx.db, ctx.serving, ctx.me(), case_id, tz=_tz(ctx))


@router.post("/aml/cases/{case_id}/proposal", include_in_schema=False)
@declare("work_case")
def propose_page(ctx: C, case_id: Id, decision: Annotated[str, Form(max_length=12)] = "",
                 text: Annotated[str, Form(max_length=8000)] = "") -> Response:
    try:
        given = CaseProposal(decision=decision, text=text)
    except ValidationError as exc:
        raise _invalid(exc) from None
    cases.propose(ctx.db, ctx.serving, ctx.me(), case_id, given)
    ctx.db.commit()
    return RedirectResponse(f"/aml/cases/{case_id}?notice=proposed", status_code=303)


@router.post("/api/aml/cases/{case_id}/proposal", tags=["aml"])
@declare("work_case")
def propose_api(ctx: C, case_id: Id, body: CaseProposal) -> CaseFile:
    """Propose the decision: `{"decision": "report" | "no_report", "text": narrative or reason}`; a second officer
    approves it."""
    cases.propose(ctx.db, ctx.serving, ctx.me(), case_id, body)
    ctx.db.commit()
    return cases.case_file(ctx.db, ctx.serving, ctx.me(), case_id, tz=_tz(ctx))


@router.post("/aml/cases/{case_id}/decision", include_in_schema=False)
@declare("work_case")
def decide_page(ctx: C, case_id: Id, decision: Annotated[str, Form(max_length=10)] = "",
                note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    if decision not in ("approve", "reject"):
        raise cases.CaseError("请选择通过或退回 / choose approve or send back")
    try:
        given = CaseDecision(approve=decision == "approve", note=note)
    except ValidationError as exc:
        raise _invalid(exc) from None
    cases.decide(ctx.db, ctx.serving, ctx.me(), case_id, given, ctx.state.ws.settings.aml.cases, tz=_tz(ctx))
    ctx.db.commit()
    return RedirectResponse(f"/aml/cases/{case_id}?notice={decision}", status_code=303)


@router.post("/api/aml/cases/{case_id}/decision", tags=["aml"])
@declare("work_case")
def decide_api(ctx: C, case_id: Id, body: CaseDecision) -> CaseFile:
    """Approve (`{"approve": true, "note": …}`) or send back the proposal. The one who proposed it cannot decide."""
    cases.decide(ctx.db, ctx.serving, ctx.me(), case_id, body, ctx.state.ws.settings.aml.cases, tz=_tz(ctx))
    ctx.db.commit()
    return cases.case_file(ctx.db, ctx.serving, ctx.me(), case_id, tz=_tz(ctx))


@router.post("/aml/cases/{case_id}/report", include_in_schema=False)
@declare("export_list")
def report_page(ctx: C, case_id: Id) -> Response:
    return xlsx_download(ctx, cases.report_workbook(ctx.db, ctx.serving, ctx.me(), case_id), f"str-case-{case_id}")


@router.post("/api/aml/cases/{case_id}/report", tags=["aml"], response_class=Response, responses=XLSX_RESPONSES)
@declare("export_list")
def report_api(ctx: C, case_id: Id) -> Response:
    """The suspicious-transaction report of a reported case as .xlsx (narrative, parties, alerts, transactions);
    needs work_case and export_list; audited."""
    return xlsx_download(ctx, cases.report_workbook(ctx.db, ctx.serving, ctx.me(), case_id), f"str-case-{case_id}")
