"""需求反馈 / needs fed back to product owners: the board, noting a need, the product owner's answer; the JSON API
beside each."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response

from finecrm.authz import declare
from finecrm.services.service import feedback as fb
from finecrm.services.service.inputs import AnswerNeed, FeedbackCategory, InputError, NoteNeed
from finecrm.services.service.outputs import FeedbackRow
from finecrm.web.deps import Ctx, Id, IdQuery, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
StatusQ = Annotated[Literal["open", "answered", "declined"] | None, Query()]
CategoryQ = Annotated[FeedbackCategory | None, Query()]


def _names() -> dict[str, Any]:
    return {"statuses": fb.STATUSES, "categories": fb.CATEGORIES, "sources": fb.SOURCES}


@router.get("/service/feedback", include_in_schema=False)
@declare("record_feedback")
def board_page(ctx: C, status: StatusQ = None, category: CategoryQ = None, complaint_id: IdQuery = None) -> Response:
    rows = fb.board(ctx.db, ctx.me(), status=status, category=category)
    return ctx.render("service/feedback.html", rows=rows, filters={"status": status or "", "category": category or ""},
                      complaint_id=complaint_id, notice=ctx.request.query_params.get("notice"), error=None, **_names())


@router.get("/api/service/feedback", tags=["service"])
@declare("record_feedback")
def board_api(ctx: C, status: StatusQ = None, category: CategoryQ = None) -> list[FeedbackRow]:
    """Needs you see (your branches' and your own; product owners: all), open first."""
    return fb.board(ctx.db, ctx.me(), status=status, category=category)


@router.post("/service/feedback", include_in_schema=False)
@declare("record_feedback")
def note_page(ctx: C, source: Annotated[str, Form(max_length=12)] = "",
              product_category: Annotated[str, Form(max_length=20)] = "",
              need: Annotated[str, Form(max_length=2000)] = "",
              complaint_id: Annotated[str, Form(max_length=10)] = "") -> Response:
    try:
        body = NoteNeed.checked(source=source, product_category=product_category, need=need,
                                complaint_id=int(complaint_id) if complaint_id.isdigit() else None)
    except InputError as exc:
        raise fb.FeedbackError(str(exc)) from None
    fb.note(ctx.db, ctx.me(), ctx.state.ws.settings.service, body, now=ctx.state.clock())
    ctx.db.commit()
    return RedirectResponse("/service/feedback?notice=noted", status_code=303)


@router.post("/api/service/feedback", tags=["service"])
@declare("record_feedback")
def note_api(ctx: C, body: NoteNeed) -> FeedbackRow:
    """Note a need (`source`, `product_category`, `need`, optionally the `complaint_id` it came from): routed to the
    category's product owner (`service.feedback_owners`), else the head office's product team."""
    row = fb.note(ctx.db, ctx.me(), ctx.state.ws.settings.service, body, now=ctx.state.clock())
    ctx.db.commit()
    return row


@router.post("/service/feedback/{feedback_id}/answer", include_in_schema=False)
@declare("answer_feedback")
def answer_page(ctx: C, feedback_id: Id, status: Annotated[str, Form(max_length=10)] = "answered",
                answer: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        body = AnswerNeed.checked(status=status, answer=answer)
    except InputError as exc:
        raise fb.FeedbackError(str(exc)) from None
    fb.answer(ctx.db, ctx.me(), feedback_id, body, now=ctx.state.clock())
    ctx.db.commit()
    return RedirectResponse("/service/feedback?notice=answered", status_code=303)


@router.post("/api/service/feedback/{feedback_id}/answer", tags=["service"])
@declare("answer_feedback")
def answer_api(ctx: C, feedback_id: Id, body: AnswerNeed) -> FeedbackRow:
    """The product owner's answer: `status` answered or declined, and the `answer` given back to the branch."""
    row = fb.answer(ctx.db, ctx.me(), feedback_id, body, now=ctx.state.clock())
    ctx.db.commit()
    return row
