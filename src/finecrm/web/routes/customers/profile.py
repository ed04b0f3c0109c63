"""客户查询与客户全貌 / customer search, the customer 360 page, transactions, revealing personal data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import Response
from pydantic import Field

from finecrm.authz import declare
from finecrm.services import service, workbench
from finecrm.services.common import MAX_PAGE_SIZE
from finecrm.services.customers import profile as customer_service
from finecrm.services.customers.inputs import RevealRequest
from finecrm.services.customers.outputs import Customer360, CustomerPage, TransactionPage
from finecrm.services.marketing import tasks as campaign_tasks
from finecrm.web.deps import XLSX_RESPONSES, Ctx, context, xlsx_download

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
CustomerId = Annotated[str, Field(max_length=64)]
#: How a list is sorted: a column, "-" first for descending (customer_service.SEARCH_SORTS).
Sort = Annotated[str, Query(max_length=40, pattern=r"^-?[a-z_]*$", description="排序 / sort: a column, '-' first "
                                                                            "for descending, e.g. -aum_avg")]


@router.get("/customers", include_in_schema=False)
@declare("search_customers")
def search_page(ctx: C, q: Annotated[str, Query(max_length=60)] = "", page: PageNo = 1, sort: Sort = "") -> Response:
    result = customer_service.search(ctx.db, ctx.serving, ctx.me(), q, page=page, sort=sort or None, ip=ctx.ip)
    ctx.db.commit()  # the search by personal data is audited
    template = "customers/profile/_results.html" if ctx.request.headers.get("hx-request") else "customers/profile/search.html"
    return ctx.render(template, q=q, result=result, sort=sort)


@router.post("/customers/export", include_in_schema=False)
@declare("export_list")
def export_page(ctx: C, q: Annotated[str, Form(max_length=60)] = "") -> Response:
    """The search's customers as an Excel file (masked, audited), from the button above the list."""
    return _export(ctx, q)


def _export(ctx: Ctx, q: str) -> Response:
    content, _rows = customer_service.export_search(ctx.db, ctx.serving, ctx.me(), q, ip=ctx.ip)
    return xlsx_download(ctx, content, "customer-search")


@router.post("/api/customers/export", tags=["customers"], response_class=Response, responses=XLSX_RESPONSES)
@declare("export_list")
def export_api(ctx: C, q: Annotated[str, Query(max_length=60)] = "") -> Response:
    """The customers a search finds (`q`, as GET /api/customers) as an .xlsx file: masked, money only for who
    sees it, audited. Send the CSRF token in X-CSRF-Token."""
    return _export(ctx, q)


def _work(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    """The 360's work part: the viewer's open tasks on the customer, the contact history and the customer's
    complaints (after the 360 itself has answered 404 for a customer out of scope)."""
    me = ctx.me()
    settings = ctx.state.ws.settings
    return {"tasks": campaign_tasks.customer_tasks(ctx.db, me, customer_id, tz=settings.bank.timezone),
            "contacts": workbench.contact_history(ctx.db, ctx.serving, me, customer_id),
            "complaints": service.of_customer(ctx.db, me, settings.service, customer_id, now=ctx.state.clock(),
                                              tz=settings.bank.timezone),
            "complaint_categories": service.categories(settings.service), "complaint_statuses": service.STATUSES}


@router.get("/customers/{customer_id}", include_in_schema=False)
@declare("view_customer")
def customer_page(ctx: C, customer_id: str) -> Response:
    data = customer_service.customer_360(ctx.serving, ctx.me(), customer_id[:64])
    return ctx.render("customers/profile/detail.html", data=data, reveal_error=None,
                      work=_work(ctx, customer_id[:64]), outcomes=campaign_tasks.OUTCOMES,
                      notice=ctx.request.query_params.get("notice"))


@router.post("/customers/{customer_id}/reveal", include_in_schema=False)
@declare("reveal_pii")
def reveal_page(ctx: C, customer_id: str, reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        data = customer_service.reveal(ctx.db, ctx.serving, ctx.me(), customer_id[:64], reason=reason, ip=ctx.ip)
    except customer_service.RevealError as exc:
        ctx.db.rollback()
        data = customer_service.customer_360(ctx.serving, ctx.me(), customer_id[:64])
        return ctx.render("customers/profile/detail.html", status_code=400, data=data, reveal_error=str(exc),
                          work=_work(ctx, customer_id[:64]), outcomes=campaign_tasks.OUTCOMES)
    ctx.db.commit()  # the audit row is written before the clear values are sent
    return ctx.render("customers/profile/detail.html", data=data, reveal_error=None,
                      work=_work(ctx, customer_id[:64]), outcomes=campaign_tasks.OUTCOMES)


@router.get("/customers/{customer_id}/transactions", include_in_schema=False)
@declare("view_balances")
def transactions_fragment(ctx: C, customer_id: str, page: PageNo = 1) -> Response:
    result = customer_service.transactions(ctx.serving, ctx.me(), customer_id[:64], page=page)
    return ctx.render("customers/profile/_transactions.html", customer_id=customer_id, result=result)


# --- JSON -------------------------------------------------------------------------------------------


@router.get("/api/customers", tags=["customers"])
@declare("search_customers")
def search_api(ctx: C, q: Annotated[str, Query(max_length=60)] = "", page: PageNo = 1,
               page_size: PageSize = customer_service.PAGE_SIZE, sort: Sort = "") -> CustomerPage:
    """Customers in scope by id, or by a whole name, phone or ID number (who may reveal personal data: also
    part of a name or the last 4 digits); paged and masked per role, sorted by `sort` (customer id by default;
    never by personal data). Searches by personal data are audited and limited per user (429 when too many)."""
    result = customer_service.search(ctx.db, ctx.serving, ctx.me(), q, page=page, page_size=page_size,
                                     sort=sort or None, ip=ctx.ip)
    ctx.db.commit()
    return result.to_dict()


@router.get("/api/customers/{customer_id}", tags=["customers"])
@declare("view_customer")
def customer_api(ctx: C, customer_id: str) -> Customer360:
    """The customer 360 record (404 when the customer does not exist or is outside your scope)."""
    return customer_service.customer_360(ctx.serving, ctx.me(), customer_id[:64])


@router.get("/api/customers/{customer_id}/transactions", tags=["customers"])
@declare("view_balances")
def transactions_api(ctx: C, customer_id: str, page: PageNo = 1,
                     page_size: PageSize = customer_service.TRANSACTIONS_PAGE_SIZE) -> TransactionPage:
    """Recent transactions, newest first, counterparties masked."""
    return customer_service.transactions(ctx.serving, ctx.me(), customer_id[:64], page=page,
                                         page_size=page_size).to_dict()


@router.post("/api/customers/{customer_id}/reveal", tags=["customers"])
@declare("reveal_pii")
def reveal_api(ctx: C, customer_id: str, body: RevealRequest) -> Customer360:
    """Personal data in clear, with a reason; the reveal is written to the audit log first."""
    data = customer_service.reveal(ctx.db, ctx.serving, ctx.me(), customer_id[:64], reason=body.reason, ip=ctx.ip)
    ctx.db.commit()
    return data
