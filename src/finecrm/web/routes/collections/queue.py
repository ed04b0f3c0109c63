"""催收队列 / the collector's queue (phone-first), a loan's card, the call (audited reveal), contacts and promises,
the letter as a printable page, and the Excel list."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from finecrm.authz import declare
from finecrm.services.collections import queue as service
from finecrm.services.collections.inputs import ContactInput, RevealInput
from finecrm.services.collections.outputs import ContactRow, LoanCard, QueuePage, QueueRow, Rendered
from finecrm.services.common import Page
from finecrm.web.deps import XLSX_RESPONSES, Ctx, PageNo, context, xlsx_download

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Bucket = Annotated[str | None, Query(max_length=8, description="M1, M2, M3, M4+ (as configured)")]
Sort = Annotated[str, Query(max_length=20, pattern=r"^-?[a-z_]*$",
                            description="priority_rank, dpd, expected_loss, overdue_amount; '-' for descending")]
Template = Annotated[str, Query(max_length=8, pattern=r"^(sms|letter)$", description="sms | letter")]


def _queue(ctx: Ctx, bucket: str | None, sort: str, page: int) -> Page[QueueRow]:
    return service.list_queue(ctx.db, ctx.serving, ctx.state.ws, ctx.me(), bucket=bucket or None,
                              sort=sort or "priority_rank", page=page)


@router.get("/collections", include_in_schema=False)
@declare("work_collections")
def queue_page(ctx: C, page: PageNo = 1, bucket: Bucket = None, sort: Sort = "priority_rank") -> Response:
    result = _queue(ctx, bucket, sort, page)
    return ctx.render("collections/queue.html", result=result, bucket=bucket or "", sort=sort or "priority_rank",
                      buckets=ctx.state.ws.settings.collections.bucket_codes(), as_of=service.as_of(ctx.serving))


@router.get("/api/collections/queue", tags=["collections"])
@declare("work_collections")
def queue_api(ctx: C, page: PageNo = 1, bucket: Bucket = None, sort: Sort = "priority_rank") -> QueuePage:
    """The loans assigned to you, by priority (expected loss = exposure × the probability to roll), with the
    reason, the last contact, the next action and its day, and the latest promise's state."""
    result = _queue(ctx, bucket, sort, page)
    return {**result.to_dict(), "snapshot": ctx.serving.build_id,
            "as_of": str(service.as_of(ctx.serving) or "") or None}


@router.post("/collections/export", include_in_schema=False)
@declare("export_list")
def export_page(ctx: C, bucket: Annotated[str, Form(max_length=8)] = "") -> Response:
    content, _ = service.export_queue(ctx.db, ctx.serving, ctx.state.ws, ctx.me(), bucket=bucket or None, ip=ctx.ip)
    return xlsx_download(ctx, content, "collections")


@router.post("/api/collections/export", tags=["collections"], response_class=Response, responses=XLSX_RESPONSES)
@declare("export_list")
def export_api(ctx: C, bucket: Bucket = None) -> Response:
    """The queue in your scope (every page) as an .xlsx file: masked, audited. Send the CSRF token in
    X-CSRF-Token."""
    content, _ = service.export_queue(ctx.db, ctx.serving, ctx.state.ws, ctx.me(), bucket=bucket or None, ip=ctx.ip)
    return xlsx_download(ctx, content, "collections")


@router.get("/collections/loans/{loan_id}", include_in_schema=False)
@declare("work_collections")
def loan_page(ctx: C, loan_id: str) -> Response:
    card = service.loan_card(ctx.db, ctx.serving, ctx.state.ws, ctx.me(), loan_id)
    return ctx.render("collections/loan.html", card=card, notice=ctx.request.query_params.get("notice"),
                      today=date.today().isoformat())


@router.get("/api/collections/loans/{loan_id}", tags=["collections"])
@declare("work_collections")
def loan_api(ctx: C, loan_id: str) -> LoanCard:
    """One loan of your queue: position and priority, schedule, days past due by month end, contacts, promises
    (kept or broken read from the repayments) and who held it. Not yours: 404."""
    return service.loan_card(ctx.db, ctx.serving, ctx.state.ws, ctx.me(), loan_id)


@router.post("/collections/loans/{loan_id}/call", include_in_schema=False)
@declare("reveal_pii")
def call_page(ctx: C, loan_id: str) -> Response:
    """The debtor's phone in clear as a tel: link, swapped in place of the button (the reveal is audited)."""
    call = service.reveal_phone(ctx.db, ctx.serving, ctx.me(), loan_id, ip=ctx.ip)
    ctx.db.commit()  # the audit row is written before the number is sent
    return ctx.render("collections/_phone.html", call=call)


@router.post("/api/collections/loans/{loan_id}/call", tags=["collections"])
@declare("reveal_pii")
def call_api(ctx: C, loan_id: str, body: RevealInput) -> Rendered:
    """The debtor's phone in clear, to call them; audited with the loan as the task (404 for a loan not yours)."""
    call = service.reveal_phone(ctx.db, ctx.serving, ctx.me(), loan_id, reason=body.reason, ip=ctx.ip)
    ctx.db.commit()
    return {"loan_id": loan_id, "template": "phone", "text": str(call["phone"] or "")}


def _contact_from_form(form: dict[str, str]) -> ContactInput:
    def opt(name: str) -> str | None:
        return (form.get(name) or "").strip() or None

    try:
        return ContactInput(channel=form.get("channel", ""), result=form.get("result", ""),
                            notes=form.get("notes", "")[:2000], next_step=opt("next_step"),
                            next_on=opt("next_on"), promise_amount=opt("promise_amount"),
                            promise_on=opt("promise_on"), template=opt("template"))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise service.CollectionsError(
            f"请检查：{'.'.join(str(p) for p in first.get('loc', ())) or '表单'} — {first.get('msg')} / please check "
            f"{'.'.join(str(p) for p in first.get('loc', ())) or 'the form'}: {first.get('msg')}") from None


@router.post("/collections/loans/{loan_id}/contacts", include_in_schema=False)
@declare("work_collections")
async def contact_page(ctx: C, loan_id: str) -> Response:
    form = {k: v for k, v in (await ctx.request.form()).items() if isinstance(v, str)}
    service.record_contact(ctx.db, ctx.serving, ctx.state.ws, ctx.me(), loan_id, _contact_from_form(form), ip=ctx.ip)
    ctx.db.commit()
    return RedirectResponse(f"/collections/loans/{quote(loan_id[:64])}?notice=recorded", status_code=303)


@router.post("/api/collections/loans/{loan_id}/contacts", tags=["collections"])
@declare("work_collections")
def contact_api(ctx: C, loan_id: str, body: ContactInput) -> ContactRow:
    """Record `{"channel": sms|phone|letter|visit|legal, "result": promise|paid|refused|unreachable|wrong_number|
    dispute, "notes", "next_step", "next_on", "promise_amount", "promise_on", "template": sms|letter}` on a loan of
    your queue; a promise needs its amount and day, a template's rendered text is kept with the contact."""
    row = service.record_contact(ctx.db, ctx.serving, ctx.state.ws, ctx.me(), loan_id, body, ip=ctx.ip)
    ctx.db.commit()
    return row


@router.post("/collections/loans/{loan_id}/letter", include_in_schema=False)
@declare("work_collections")
def letter_page(ctx: C, loan_id: str, template: Annotated[str, Form(max_length=8)] = "letter") -> Response:
    """The reminder letter (or SMS) filled in for the loan, as a printable page; nothing is sent."""
    rendered = service.render(ctx.db, ctx.serving, ctx.state.ws, ctx.me(), loan_id, template, ip=ctx.ip)
    ctx.db.commit()
    return ctx.render("collections/letter.html", rendered=rendered)


@router.post("/api/collections/loans/{loan_id}/letter", tags=["collections"])
@declare("work_collections")
def letter_api(ctx: C, loan_id: str, template: Template = "letter") -> Rendered:
    """The SMS or letter template filled in for a loan of your queue (the debtor's name is revealed: audited)."""
    rendered = service.render(ctx.db, ctx.serving, ctx.state.ws, ctx.me(), loan_id, template, ip=ctx.ip)
    ctx.db.commit()
    return rendered
