"""反洗钱预警 / the compliance officer's alert queue, an alert's evidence and parties, and large-value reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from finecrm.authz import declare
from finecrm.services.aml import alerts as aml
from finecrm.services.aml import cases
from finecrm.services.aml.outputs import AlertDetail, AlertPage, LargeValuePage, RuleCount
from finecrm.web.deps import Ctx, PageNo, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Rule = Annotated[str | None, Query(max_length=40, description="规则代码 / a rule code")]
Score = Annotated[float | None, Query(ge=0, le=100, description="最低分 / the lowest score shown")]
Sort = Annotated[str, Query(max_length=20, description="score, alert_date, amount_out or rule; - for descending")]
Kind = Annotated[str | None, Query(max_length=30, description="cash, transfer or cross_border_transfer")]
Day = Annotated[date | None, Query(ge=date(1900, 1, 1), le=date(2999, 12, 31), description="YYYY-MM-DD")]


@router.get("/aml", include_in_schema=False)
@declare("work_case")
def alerts_page(ctx: C, page: PageNo = 1, rule: Rule = None, min_score: Score = None, sort: Sort = "-score"
                ) -> Response:
    result = aml.list_alerts(ctx.serving, ctx.me(), rule=rule or None, min_score=min_score, sort=sort, page=page)
    states = cases.triage_states(ctx.db, [r["alert_id"] for r in result.rows])
    return ctx.render("aml/alerts.html", result=result, counts=aml.alert_counts(ctx.serving, ctx.me()),
                      rules=aml.RULES, rule=rule or "", min_score=min_score, sort=sort, states=states)


@router.get("/api/aml/alerts", tags=["aml"])
@declare("work_case")
def alerts_api(ctx: C, page: PageNo = 1, rule: Rule = None, min_score: Score = None, sort: Sort = "-score"
               ) -> AlertPage:
    """Typology alerts in your scope with their evidence; filter by `rule` and `min_score`, sort by score,
    alert_date, amount_out or rule (`-` for descending)."""
    return aml.list_alerts(ctx.serving, ctx.me(), rule=rule or None, min_score=min_score, sort=sort,
                           page=page).to_dict()


@router.get("/api/aml/rules", tags=["aml"])
@declare("work_case")
def rules_api(ctx: C) -> list[RuleCount]:
    """Alerts and customers per typology rule in your scope."""
    return aml.alert_counts(ctx.serving, ctx.me())


@router.get("/aml/alerts/{alert_id}", include_in_schema=False)
@declare("work_case")
def alert_page(ctx: C, alert_id: str) -> Response:
    data = aml.alert(ctx.serving, ctx.me(), alert_id)
    triage = cases.triage_states(ctx.db, [alert_id]).get(alert_id) or {"state": "new", "case_id": None}
    return ctx.render("aml/alert.html", data=data, rules=aml.RULES, triage=triage,
                      open_cases=cases.open_cases(ctx.db, ctx.serving, ctx.me()), notice=ctx.request.query_params.get("notice"))


@router.get("/api/aml/alerts/{alert_id}", tags=["aml"])
@declare("work_case")
def alert_api(ctx: C, alert_id: str) -> AlertDetail:
    """One alert: its rule and parameters, the evidence transactions and every account, customer and staff member
    involved."""
    return aml.alert(ctx.serving, ctx.me(), alert_id)


@router.get("/aml/large-value", include_in_schema=False)
@declare("work_case")
def large_value_page(ctx: C, page: PageNo = 1, kind: Kind = None, since: Day = None, until: Day = None) -> Response:
    result = aml.large_value(ctx.serving, ctx.me(), kind=kind or None, since=since, until=until, page=page)
    return ctx.render("aml/large_value.html", result=result, kinds=aml.KINDS, kind=kind or "", since=since,
                      until=until)


@router.get("/api/aml/large-value", tags=["aml"])
@declare("work_case")
def large_value_api(ctx: C, page: PageNo = 1, kind: Kind = None, since: Day = None, until: Day = None
                    ) -> LargeValuePage:
    """Large-value reports (PBoC 2016 No. 3) in your scope, newest day first; filter by `kind` and dates."""
    return aml.large_value(ctx.serving, ctx.me(), kind=kind or None, since=since, until=until,
                           page=page).to_dict()
