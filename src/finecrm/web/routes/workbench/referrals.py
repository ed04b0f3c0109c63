"""大堂转介 / referrals from the lobby: the lobby manager records a walk-in for a customer manager (with the day's
count against the quota); the manager takes it, reveals a prospect's phone (audited) and records the follow-up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from finecrm.authz import declare
from finecrm.core import formats
from finecrm.services.workbench import referrals
from finecrm.services.workbench.outputs import ReferralLists, ReferralRow, ReferralState
from finecrm.web.deps import Ctx, Id, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
Text = Annotated[str, Form(max_length=500)]
Short = Annotated[str, Form(max_length=64)]


class ReferralIn(BaseModel):
    """A walk-in referral: an existing customer's id, or a prospect's name and phone."""

    customer_id: str = Field("", max_length=64, description="已有客户的客户号 / an existing customer's id")
    prospect_name: str = Field("", max_length=50, description="潜在客户姓名 / a prospect's name")
    prospect_phone: str = Field("", max_length=30, description="潜在客户电话 / a prospect's phone")
    interest: str = Field(max_length=20, description="意向 / deposit, time_deposit, wealth, loan, credit_card, "
                                                     "e_banking, insurance or other")
    to_staff_id: str = Field(max_length=40, description="接收的客户经理 / the customer manager it goes to")
    note: str = Field("", max_length=500)


class FollowUpIn(BaseModel):
    outcome: str = Field(max_length=20, description="reached, interested, agreed, declined or unreachable")
    kind: str = Field("call", max_length=20, description="visit, call, message or meeting")
    note: str = Field("", max_length=500)


def _today(ctx: Ctx) -> Any:
    return formats.today(ctx.state.ws.settings.bank.timezone)


@router.get("/workbench/referrals", include_in_schema=False)
@declare("record_referral")
def referrals_page(ctx: C) -> Response:
    me = ctx.me()
    lists = referrals.referral_lists(ctx.db, ctx.serving, me, today=_today(ctx))
    return ctx.render("workbench/referrals.html", lists=lists, receivers=referrals.receivers(ctx.serving, me),
                      interests=referrals.INTERESTS, outcomes=referrals.OUTCOMES, kinds=referrals.KINDS,
                      notice=ctx.request.query_params.get("notice"))


@router.post("/workbench/referrals", include_in_schema=False)
@declare("record_referral")
def record_page(ctx: C, interest: Annotated[str, Form(max_length=20)] = "", to_staff_id: Short = "",
                customer_id: Short = "", prospect_name: Short = "", prospect_phone: Short = "",
                note: Text = "") -> Response:
    referrals.record_referral(ctx.db, ctx.serving, ctx.me(), interest=interest, to_staff_id=to_staff_id,
                              customer_id=customer_id, prospect_name=prospect_name, prospect_phone=prospect_phone,
                              note=note)
    ctx.db.commit()
    return RedirectResponse("/workbench/referrals?notice=referred", status_code=303)


@router.post("/workbench/referrals/{referral_id}/accept", include_in_schema=False)
@declare("record_visit")
def accept_page(ctx: C, referral_id: Id) -> Response:
    referrals.accept_referral(ctx.db, ctx.me(), referral_id)
    ctx.db.commit()
    return RedirectResponse("/workbench/referrals?notice=accepted", status_code=303)


@router.post("/workbench/referrals/{referral_id}/work", include_in_schema=False)
@declare("record_visit")
def work_page(ctx: C, referral_id: Id, outcome: Annotated[str, Form(max_length=20)] = "",
              kind: Annotated[str, Form(max_length=20)] = "call", note: Text = "") -> Response:
    referrals.work_referral(ctx.db, ctx.serving, ctx.me(), referral_id, outcome=outcome, kind=kind, note=note)
    ctx.db.commit()
    return RedirectResponse("/workbench/referrals?notice=worked", status_code=303)


@router.post("/workbench/referrals/{referral_id}/phone", include_in_schema=False)
@declare("reveal_pii")
def phone_page(ctx: C, referral_id: Id) -> Response:
    """One click: the prospect's phone in clear (audited), swapped in place of the masked number."""
    phone = referrals.reveal_referral_phone(ctx.db, ctx.me(), referral_id, ip=ctx.ip)
    ctx.db.commit()  # the audit row is written before the number is sent
    return ctx.render("workbench/_phone.html", phone=phone)


@router.get("/api/workbench/referrals", tags=["workbench"])
@declare("record_referral")
def referrals_api(ctx: C) -> ReferralLists:
    """Your referrals of the last 30 days with today's count against the quota, and (a customer manager) those
    sent to you, open ones first (`state`: due, overdue, done). Prospects' names and phones masked."""
    return referrals.referral_lists(ctx.db, ctx.serving, ctx.me(), today=_today(ctx))


@router.post("/api/workbench/referrals", tags=["workbench"])
@declare("record_referral")
def record_api(ctx: C, body: ReferralIn) -> ReferralRow:
    """Refer a walk-in to a customer manager of your branch; the follow-up is due the next working day."""
    row = referrals.record_referral(ctx.db, ctx.serving, ctx.me(), **body.model_dump())
    ctx.db.commit()
    return row


@router.post("/api/workbench/referrals/{referral_id}/accept", tags=["workbench"])
@declare("record_visit")
def accept_api(ctx: C, referral_id: Id) -> ReferralState:
    """Take a referral sent to you."""
    r = referrals.accept_referral(ctx.db, ctx.me(), referral_id)
    ctx.db.commit()
    return {"id": r.id, "status": r.status, "outcome": r.outcome, "worked_at": r.worked_at}


@router.post("/api/workbench/referrals/{referral_id}/work", tags=["workbench"])
@declare("record_visit")
def work_api(ctx: C, referral_id: Id, body: FollowUpIn) -> ReferralState:
    """Record the follow-up of a referral sent to you (an existing customer's contact goes to the work log)."""
    r = referrals.work_referral(ctx.db, ctx.serving, ctx.me(), referral_id, outcome=body.outcome, kind=body.kind,
                                note=body.note)
    ctx.db.commit()
    return {"id": r.id, "status": r.status, "outcome": r.outcome, "worked_at": r.worked_at}
