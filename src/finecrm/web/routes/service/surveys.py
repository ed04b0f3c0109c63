"""满意度调查 / satisfaction surveys: the list and the sample draw, a survey's results on the five dimensions, staff
entry of a member's answers, and the customer's own page opened from a link (PUBLIC: no sign-in, one use per
token, nothing about the customer shown, rate-limited per address); the JSON API beside each."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from finecrm.authz import PUBLIC, declare
from finecrm.services.names import load_names
from finecrm.services.service import surveys as sv
from finecrm.services.service.inputs import DrawSurvey, InputError, SurveyAnswers
from finecrm.services.service.outputs import AnswersStored, DrawnSurvey, SurveyResults, SurveyRow
from finecrm.services.service.questionnaire import DIMENSIONS
from finecrm.web.deps import Ctx, Id, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Token = Annotated[str, Path(max_length=64)]


def _link_base(ctx: Ctx) -> str:
    return str(ctx.request.base_url).rstrip("/") + "/s/"


def _list(ctx: Ctx, error: str | None = None, values: dict[str, Any] | None = None) -> Response:
    names = load_names(ctx.state.ws)
    scope = ctx.me().branch_scope
    branches = [(code, name) for code, name in names.options("branch") if scope is None or code in scope]
    return ctx.render("service/surveys/index.html", status_code=400 if error else 200,
                      surveys=sv.list_surveys(ctx.db, ctx.me()), branches=branches, error=error,
                      values=values or {"strata": "branch", "size": 200, "seed": 2026})


@router.get("/service/surveys", include_in_schema=False)
@declare("run_surveys")
def surveys_page(ctx: C) -> Response:
    return _list(ctx)


@router.get("/api/service/surveys", tags=["service"])
@declare("run_surveys")
def surveys_api(ctx: C) -> list[SurveyRow]:
    """Surveys you may see, newest first, with their sample size and responses so far."""
    return sv.list_surveys(ctx.db, ctx.me())


@router.post("/service/surveys", include_in_schema=False)
@declare("run_surveys")
def draw_page(ctx: C, name: Annotated[str, Form(max_length=100)] = "", size: Annotated[str, Form(max_length=6)] = "",
              strata: Annotated[str, Form(max_length=8)] = "branch", branch_id: Annotated[str, Form(max_length=40)] = "",
              seed: Annotated[str, Form(max_length=10)] = "2026") -> Response:
    values = {"name": name, "size": size, "strata": strata, "branch_id": branch_id, "seed": seed}
    try:
        spec = DrawSurvey.checked(name=name, size=size or 0, strata=strata, branch_id=branch_id or None,
                                  seed=seed or 0)
        drawn = sv.draw(ctx.db, ctx.serving, ctx.me(), spec, now=ctx.state.clock())
    except (InputError, sv.SurveyError) as exc:
        ctx.db.rollback()
        return _list(ctx, str(exc), values)
    ctx.db.commit()
    # The links exist only now (the database keeps their hashes): the send list is shown this once.
    return ctx.render("service/surveys/drawn.html", drawn=drawn, link_base=_link_base(ctx))


@router.post("/api/service/surveys", tags=["service"])
@declare("run_surveys")
def draw_api(ctx: C, body: DrawSurvey) -> DrawnSurvey:
    """Draw a sample of individual customers in your scope (`strata`: none, branch or tier, proportional
    allocation; `seed` recorded) and get each member's one-use token — only now: finecrm keeps their hashes. The
    customer's page is `/s/<token>`."""
    drawn = sv.draw(ctx.db, ctx.serving, ctx.me(), body, now=ctx.state.clock())
    ctx.db.commit()
    return drawn


@router.get("/service/surveys/{survey_id}", include_in_schema=False)
@declare("run_surveys")
def results_page(ctx: C, survey_id: Id) -> Response:
    data = sv.results(ctx.db, ctx.me(), survey_id)
    return ctx.render("service/surveys/results.html", data=data, members=sv.members(ctx.db, ctx.me(), survey_id),
                      notice=ctx.request.query_params.get("notice"))


@router.get("/api/service/surveys/{survey_id}/results", tags=["service"])
@declare("run_surveys")
def results_api(ctx: C, survey_id: Id) -> SurveyResults:
    """Per dimension (reliability, responsiveness, assurance, empathy, tangibles), for your scope and per branch:
    respondents, the satisfied share (mean score ≥ 4) with its 95% Wilson interval, the mean score with its 95%
    interval; the response rate with its interval; free-text comments."""
    return sv.results(ctx.db, ctx.me(), survey_id)


@router.get("/service/surveys/{survey_id}/members/{member_id}", include_in_schema=False)
@declare("run_surveys")
def entry_page(ctx: C, survey_id: Id, member_id: Id) -> Response:
    questions = sv.survey_questions(ctx.db, ctx.me(), survey_id)  # 404 for a survey out of scope
    member = next((m for m in sv.members(ctx.db, ctx.me(), survey_id) if m["id"] == member_id), None)
    if member is None:
        raise sv.NotFound("调查对象", "survey member", str(member_id))
    return ctx.render("service/surveys/entry.html", survey_id=survey_id, member=member, questions=questions,
                      dimensions=DIMENSIONS,
                      action=f"/service/surveys/{survey_id}/members/{member_id}", error=None)


async def _answers(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k[2:]: v for k, v in form.items() if k.startswith("q_") and isinstance(v, str) and len(k) <= 42}


@router.post("/service/surveys/{survey_id}/members/{member_id}", include_in_schema=False)
@declare("run_surveys")
async def entry_submit(ctx: C, survey_id: Id, member_id: Id, request: Request) -> Response:
    body = SurveyAnswers.checked(answers=await _answers(request))
    sv.enter(ctx.db, ctx.me(), survey_id, member_id, body, now=ctx.state.clock())
    ctx.db.commit()
    return RedirectResponse(f"/service/surveys/{survey_id}?notice=entered", status_code=303)


@router.post("/api/service/surveys/{survey_id}/members/{member_id}/answers", tags=["service"])
@declare("run_surveys")
def entry_api(ctx: C, survey_id: Id, member_id: Id, body: SurveyAnswers) -> AnswersStored:
    """Enter a member's answers (a phone survey, a paper form): `{"answers": {"rel_1": 5, …, "comment": "…"}}`.
    The member's link is used up too."""
    n = sv.enter(ctx.db, ctx.me(), survey_id, member_id, body, now=ctx.state.clock())
    ctx.db.commit()
    return {"answers": n}


# --- the customer's page (no sign-in) -----------------------------------------------------------------------------


def _refused(ctx: Ctx, exc: Exception) -> Response:
    # The refusal is recorded (what the limit counts) even though the request fails.
    ctx.db.commit()
    if isinstance(exc, sv.TooManyTries):
        return ctx.render("service/surveys/public_refused.html", status_code=429, reason="too_many")
    return ctx.render("service/surveys/public_refused.html", status_code=404, reason="invalid")


@router.get("/s/{token}", include_in_schema=False)
@declare(PUBLIC)
def public_page(ctx: C, token: Token) -> Response:
    try:
        questions = sv.open_link(ctx.db, token, ip=ctx.ip, now=ctx.state.clock())
    except (sv.LinkRefused, sv.TooManyTries) as exc:
        return _refused(ctx, exc)
    return ctx.render("service/surveys/public.html", questions=questions, dimensions=DIMENSIONS,
                      action=f"/s/{token}", error=None)


@router.post("/s/{token}", include_in_schema=False)
@declare(PUBLIC)
async def public_submit(ctx: C, token: Token, request: Request) -> Response:
    try:
        body = SurveyAnswers.checked(answers=await _answers(request))
        sv.answer_link(ctx.db, token, body, ip=ctx.ip, now=ctx.state.clock())
    except (sv.LinkRefused, sv.TooManyTries) as exc:
        return _refused(ctx, exc)
    except (InputError, sv.SurveyError) as exc:
        ctx.db.rollback()
        questions = sv.open_link(ctx.db, token, ip=ctx.ip, now=ctx.state.clock())
        return ctx.render("service/surveys/public.html", status_code=400, questions=questions, dimensions=DIMENSIONS,
                          action=f"/s/{token}", error=str(exc))
    ctx.db.commit()
    return ctx.render("service/surveys/public_thanks.html")


@router.post("/api/s/{token}", tags=["service"])
@declare(PUBLIC)
def public_api(ctx: C, token: Token, body: SurveyAnswers) -> AnswersStored:
    """A customer's answers through their link (no sign-in; the token is used up). An unknown or used token is
    404, an address with too many refusals 429."""
    try:
        n = sv.answer_link(ctx.db, token, body, ip=ctx.ip, now=ctx.state.clock())
    except (sv.LinkRefused, sv.TooManyTries):
        ctx.db.commit()  # the refusal's audit row is what the limit counts
        raise
    ctx.db.commit()
    return {"answers": n}
