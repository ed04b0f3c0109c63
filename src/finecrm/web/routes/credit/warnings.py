"""贷款风险预警 / loan early warnings: the queue, one warning's file, and the steps of the work on it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from finecrm.authz import declare
from finecrm.services.credit import warnings as early
from finecrm.services.credit.inputs import WarningStepInput, problems
from finecrm.services.credit.outputs import WarningFile, WarningPage
from finecrm.web.deps import XLSX_RESPONSES, Ctx, PageNo, context, xlsx_download

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
WarningId = Annotated[str, Path(max_length=120, description="预警编号 / e.g. first_missed:LN00000000066:2026-09-21")]
Rule = Annotated[str | None, Query(max_length=40, description="规则 / first_missed, deposits_draining, aum_falling, "
                                   "maturity_shortfall or grid_overdue")]
Status = Annotated[str | None, Query(max_length=12, description="open（待处置）, taken（处置中）or closed（已关闭）")]
Sort = Annotated[str, Query(max_length=20, description="warning_date, exposure or rule; '-' first for descending")]


def _filters(rule: str | None, status: str | None, mine: bool) -> dict[str, str]:
    return {"rule": rule or "", "status": status or "", "mine": "1" if mine else ""}


@router.get("/credit/warnings", include_in_schema=False)
@declare("view_early_warnings")
def warnings_page(ctx: C, page: PageNo = 1, rule: Rule = None, status: Status = None, mine: bool = False,
                  sort: Sort = "-exposure") -> Response:
    result = early.browse(ctx.db, ctx.serving, ctx.me(), rule=rule or None, status=status or None, mine=mine,
                          sort=sort, page=page)
    f = _filters(rule, status, mine)
    return ctx.render("credit/warnings.html", result=result, filters=f, sort=sort,
                      counts=early.counts(ctx.db, ctx.serving, ctx.me()), statuses=early.STATUSES,
                      query=urlencode({k: v for k, v in {**f, "sort": sort}.items() if v}))


@router.get("/api/credit/warnings", tags=["credit"])
@declare("view_early_warnings")
def warnings_api(ctx: C, page: PageNo = 1, rule: Rule = None, status: Status = None, mine: bool = False,
                 sort: Sort = "-exposure") -> WarningPage:
    """Loan early warnings in your scope with the state of the work on them; filter by `rule`, `status` (open,
    taken, closed) or `mine` (taken by you, not closed); `sort` by warning_date, exposure or rule."""
    return early.browse(ctx.db, ctx.serving, ctx.me(), rule=rule or None, status=status or None, mine=mine,
                        sort=sort, page=page).to_dict()


@router.post("/credit/warnings/export", include_in_schema=False)
@declare("export_list")
def export_page(ctx: C, rule: Annotated[str, Form(max_length=40)] = "", status: Annotated[str, Form(max_length=12)] = "",
                mine: Annotated[str, Form(max_length=1)] = "") -> Response:
    content, _ = early.export(ctx.db, ctx.serving, ctx.me(), rule=rule or None, status=status or None,
                              mine=mine == "1", ip=ctx.ip)
    return xlsx_download(ctx, content, "credit-warnings")


@router.post("/api/credit/warnings/export", tags=["credit"], response_class=Response, responses=XLSX_RESPONSES)
@declare("export_list")
def export_api(ctx: C, rule: Rule = None, status: Status = None, mine: bool = False) -> Response:
    """The filtered warnings (every page) as .xlsx; needs view_early_warnings and export_list; audited."""
    content, _ = early.export(ctx.db, ctx.serving, ctx.me(), rule=rule or None, status=status or None, mine=mine,
                              ip=ctx.ip)
    return xlsx_download(ctx, content, "credit-warnings")


@router.get("/credit/warnings/{warning_id}", include_in_schema=False)
@declare("view_early_warnings")
def warning_page(ctx: C, warning_id: WarningId) -> Response:
    data = early.warning_file(ctx.db, ctx.serving, ctx.me(), warning_id)
    return ctx.render("credit/warning.html", data=data, statuses=early.STATUSES, outcomes=early.OUTCOMES,
                      notice=ctx.request.query_params.get("notice"))


@router.get("/api/credit/warnings/{warning_id}", tags=["credit"])
@declare("view_early_warnings")
def warning_api(ctx: C, warning_id: WarningId) -> WarningFile:
    """One warning: its rule, evidence, the loan, borrower or grid it concerns, and every step of the work."""
    return early.warning_file(ctx.db, ctx.serving, ctx.me(), warning_id)


@router.post("/credit/warnings/{warning_id}", include_in_schema=False)
@declare("work_early_warnings")
def step_page(ctx: C, warning_id: WarningId, step: Annotated[str, Form(max_length=10)] = "",
              assignee: Annotated[str, Form(max_length=64)] = "", outcome: Annotated[str, Form(max_length=30)] = "",
              note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    try:
        given = WarningStepInput(step=step, assignee=assignee or None, outcome=outcome or None, note=note)
    except ValidationError as exc:
        raise early.WarningError(problems(exc)) from None
    early.act(ctx.db, ctx.serving, ctx.me(), warning_id, given)
    ctx.db.commit()
    return RedirectResponse(f"/credit/warnings/{quote(warning_id)}?notice={step}", status_code=303)


@router.post("/api/credit/warnings/{warning_id}/steps", tags=["credit"])
@declare("work_early_warnings")
def step_api(ctx: C, warning_id: WarningId, body: WarningStepInput) -> WarningFile:
    """A step on a warning: `{"step": "assign", "assignee": …}` (empty: yourself), `{"step": "note", "note": …}`,
    `{"step": "close", "outcome": "resolved" | "no_risk" | "to_collections" | "other", "note": reason}` or
    `{"step": "reopen", "note": reason}`. Audited."""
    data = early.act(ctx.db, ctx.serving, ctx.me(), warning_id, body)
    ctx.db.commit()
    return data
