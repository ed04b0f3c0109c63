"""信贷资产 / the risk officer's loan book: portfolio by five-category classification, loan list, a loan's file,
and proposing a change of its category."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from finecrm.authz import declare
from finecrm.services.credit import loans as book
from finecrm.services.credit import overrides as changes
from finecrm.services.credit.categories import CATEGORIES
from finecrm.services.credit.inputs import CategoryChange, OverrideProposal
from finecrm.services.credit.outputs import LoanFile, LoanPage, OverrideRow, Portfolio
from finecrm.web.deps import Ctx, PageNo, context

router = APIRouter()
C = Annotated[Ctx, Depends(context)]
LoanId = Annotated[str, Query(max_length=40)]
Category = Annotated[str | None, Query(max_length=20, description="normal … loss")]
Sort = Annotated[str, Query(max_length=40, description="列名，前加 - 为降序 / a column, - for descending")]


@router.get("/credit", include_in_schema=False)
@declare("view_credit")
def portfolio_page(ctx: C) -> Response:
    data = book.portfolio(ctx.serving, ctx.me(), ctx.state.ws.settings.credit.classification)
    return ctx.render("credit/portfolio.html", data=data, categories=CATEGORIES)


@router.get("/api/credit/portfolio", tags=["credit"])
@declare("view_credit")
def portfolio_api(ctx: C) -> Portfolio:
    """The loan book in your scope by five-category classification: balance and count per category, the NPL
    ratio, by product and by branch, and the NPL ratio by month end."""
    return book.portfolio(ctx.serving, ctx.me(), ctx.state.ws.settings.credit.classification)


@router.get("/credit/loans", include_in_schema=False)
@declare("view_credit")
def loans_page(ctx: C, page: PageNo = 1, category: Category = None, overdue: bool = False,
               overridden: bool = False, sort: Sort = "-outstanding_principal") -> Response:
    result = book.list_loans(ctx.serving, ctx.me(), category=category or None, overdue_only=overdue,
                             overridden_only=overridden, sort=sort, page=page)
    filters = {"category": category or "", "overdue": "1" if overdue else "", "overridden": "1" if overridden else ""}
    return ctx.render("credit/loans.html", result=result, filters=filters, sort=sort, categories=CATEGORIES)


@router.get("/api/credit/loans", tags=["credit"])
@declare("view_credit")
def loans_api(ctx: C, page: PageNo = 1, category: Category = None, overdue: bool = False,
              overridden: bool = False, sort: Sort = "-outstanding_principal") -> LoanPage:
    """Loans in your scope; filter by final `category`, `overdue`, `overridden`; `sort` by loan_id,
    outstanding_principal, overdue_amount, dpd or final_category_rank (`-` for descending)."""
    return book.list_loans(ctx.serving, ctx.me(), category=category or None, overdue_only=overdue,
                           overridden_only=overridden, sort=sort, page=page).to_dict()


@router.get("/credit/loans/{loan_id}", include_in_schema=False)
@declare("view_credit")
def loan_page(ctx: C, loan_id: str) -> Response:
    data = book.loan_file(ctx.db, ctx.serving, ctx.me(), loan_id)
    return ctx.render("credit/loan.html", data=data, categories=CATEGORIES, statuses=changes.STATUSES,
                      notice=ctx.request.query_params.get("notice"))


@router.get("/api/credit/loans/{loan_id}", tags=["credit"])
@declare("view_credit")
def loan_api(ctx: C, loan_id: str) -> LoanFile:
    """One loan: status, classification, days past due by month end and every change of its category."""
    return book.loan_file(ctx.db, ctx.serving, ctx.me(), loan_id)


@router.post("/credit/loans/{loan_id}/category", include_in_schema=False)
@declare("classify_loans")
def propose_page(ctx: C, loan_id: str, category: Annotated[str, Form(max_length=20)] = "",
                 reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    try:
        proposal = OverrideProposal(loan_id=loan_id, category=category, reason=reason)
    except ValidationError:
        raise changes.OverrideError("请选择分类并写明原因（至少 4 个字）/ choose a category and give a reason "
                                    "(at least 4 characters)") from None
    row = changes.propose(ctx.db, ctx.serving, ctx.me(), proposal)
    ctx.db.commit()
    return RedirectResponse(f"/credit/loans/{quote(loan_id)}?notice={row['status']}", status_code=303)


@router.post("/api/credit/loans/{loan_id}/category", tags=["credit"])
@declare("classify_loans")
def propose_api(ctx: C, loan_id: str, body: CategoryChange) -> OverrideRow:
    """Propose `{"category": …, "reason": …}` for a loan: more severe is in force at once; less severe waits
    for a second officer's approval."""
    row = changes.propose(ctx.db, ctx.serving, ctx.me(),
                          OverrideProposal(loan_id=loan_id, category=body.category, reason=body.reason))
    ctx.db.commit()
    return row
