"""The risk officer's view of the loan book: the portfolio by category, the loan list and one loan's file.

Everything reads the published snapshot's credit marts (``loan_classification``, ``loan_status``,
``loan_overdue_history``) through the one read path, restricted to the principal's scope by ``authz`` (a loan
is seen by whoever sees its borrower). The category changes people made come from the operational database.
"""

from __future__ import annotations

from typing import Any, cast

import ibis
from sqlalchemy.orm import Session

from finecrm.authz import Principal, require, require_loan, scope_loans
from finecrm.core.errors import FinecrmError
from finecrm.core.settings import ClassificationSettings
from finecrm.engine.classification import CODES, NPL, system_category
from finecrm.services.common import Page, clamp_page
from finecrm.services.credit import overrides as changes
from finecrm.services.credit import warnings as early
from finecrm.services.credit.outputs import (
    CategoryCell,
    LoanFile,
    LoanMonth,
    LoanRow,
    Portfolio,
    PortfolioRow,
)
from finecrm.services.snapshot.serving import Serving

CLASSIFICATION = "loan_classification"
STATUS = "loan_status"
HISTORY = "loan_overdue_history"
LIST_COLUMNS = ("loan_id", "customer_id", "branch_id", "manager_id", "product_code", "outstanding_principal",
                "overdue_amount", "dpd", "system_category", "final_category", "is_overridden", "final_reason")
SORTS = ("loan_id", "outstanding_principal", "overdue_amount", "dpd", "final_category_rank")


class CreditError(FinecrmError):
    """A request the credit pages cannot answer as asked (the message says why)."""


def _need_marts(serving: Serving) -> None:
    if not serving.has_table(CLASSIFICATION):
        raise CreditError("快照中还没有贷款分类：请先构建 / the snapshot has no loan classification yet: build first")


def _book(serving: Serving, principal: Principal) -> ibis.Table:
    require(principal, "view_credit")
    _need_marts(serving)
    return scope_loans(principal, serving.table(CLASSIFICATION))


def portfolio(serving: Serving, principal: Principal, settings: ClassificationSettings) -> Portfolio:
    """Balance and count by final category, the NPL ratio, by product and by branch, and the NPL trend by month."""
    t = _book(serving, principal)
    by_cat = {r["final_category"]: r for r in serving.query(
        t.group_by("final_category").agg(loans=t.count(), balance=t.outstanding_principal.sum()))}
    total = sum(float(r["balance"] or 0) for r in by_cat.values())
    npl = sum(float(by_cat[c]["balance"] or 0) for c in NPL if c in by_cat)
    categories: list[CategoryCell] = [
        {"category": c, "loans": int(by_cat[c]["loans"]) if c in by_cat else 0,
         "balance": round(float(by_cat[c]["balance"] or 0), 2) if c in by_cat else 0.0} for c in CODES]

    def grouped(col: str) -> list[PortfolioRow]:
        g = t.group_by(col).agg(
            loans=t.count(), balance=t.outstanding_principal.sum(),
            npl_balance=ibis.ifelse(t.final_category.isin(NPL), t.outstanding_principal, 0).sum(),
            overdue=t.overdue_amount.sum())
        rows = serving.query(g.order_by(ibis.desc("balance")).limit(50))
        return [{"key": r[col], "loans": int(r["loans"]), "balance": round(float(r["balance"] or 0), 2),
                 "npl_balance": round(float(r["npl_balance"] or 0), 2), "overdue": round(float(r["overdue"] or 0), 2),
                 "npl_ratio": (float(r["npl_balance"] or 0) / float(r["balance"])) if r["balance"] else None}
                for r in rows]

    trend: list[dict[str, Any]] = []
    if serving.has_table(HISTORY):
        h = serving.table(HISTORY)
        if "branch_id" not in h.columns:  # scope by the borrower: join the loans the principal sees
            h = h.inner_join(t.select("loan_id"), "loan_id")
        else:
            h = scope_loans(principal, h)
        h = h.mutate(is_npl=system_category(h.dpd, settings).isin(NPL))
        months = serving.query(h.group_by("month").agg(
            balance=h.outstanding_principal.sum(),
            npl_balance=ibis.ifelse(h.is_npl, h.outstanding_principal, 0).sum()).order_by("month"))
        trend = [{"month": str(r["month"])[:7], "balance": round(float(r["balance"] or 0), 2),
                  "npl_ratio": float(r["npl_balance"] or 0) / float(r["balance"]) if r["balance"] else None}
                 for r in months]
    return {
        "snapshot": serving.build_id,
        "loans": sum(c["loans"] for c in categories),
        "balance": round(total, 2),
        "npl_balance": round(npl, 2),
        "npl_ratio": npl / total if total else None,
        "categories": categories,
        "by_product": grouped("product_code"),
        "by_branch": grouped("branch_id"),
        "trend": cast(list[LoanMonth], trend),
    }


def list_loans(serving: Serving, principal: Principal, *, category: str | None = None, branch_id: str | None = None,
               overdue_only: bool = False, overridden_only: bool = False, sort: str = "-outstanding_principal",
               page: int = 1, page_size: int = 20) -> Page[LoanRow]:
    """The loans in scope, filtered and sorted (``-column`` for descending)."""
    t = _book(serving, principal)
    if category:
        if category not in CODES:
            raise CreditError(f"分类只能是 {', '.join(CODES)} / category must be one of {', '.join(CODES)}")
        t = t.filter(t.final_category == category)
    if branch_id:
        t = t.filter(t.branch_id == branch_id)
    if overdue_only:
        t = t.filter(t.dpd > 0)
    if overridden_only:
        t = t.filter(t.is_overridden)
    column = sort.lstrip("-")
    if column not in SORTS:
        raise CreditError(f"排序只能按 {', '.join(SORTS)} / sort by one of {', '.join(SORTS)}")
    order = ibis.desc(column) if sort.startswith("-") else ibis.asc(column)
    page, page_size = clamp_page(page, page_size)
    total = int(serving.scalar(t.count()) or 0)
    rows = serving.query(t.select(*LIST_COLUMNS, "final_category_rank").order_by([order, "loan_id"])
                         .limit(page_size, offset=(page - 1) * page_size))
    for r in rows:
        r.pop("final_category_rank", None)
    return Page(cast(list[LoanRow], rows), page, page_size, total)


def loan_file(session: Session, serving: Serving, principal: Principal, loan_id: str) -> LoanFile:
    """One loan: its status and classification, its days past due month by month, and every category change."""
    t = _book(serving, principal)
    found = serving.query(t.filter(t.loan_id == loan_id).limit(1))
    loan = dict(require_loan(principal, found[0] if found else None, loan_id))
    status: dict[str, Any] = {}
    if serving.has_table(STATUS):
        s = serving.table(STATUS)
        got = serving.query(s.filter(s.loan_id == loan_id).limit(1))
        status = got[0] if got else {}
    months: list[LoanMonth] = []
    if serving.has_table(HISTORY):
        h = serving.table(HISTORY)
        months = cast(list[LoanMonth], [
            {"month": str(r["month"])[:7], "dpd": int(r["dpd"]), "balance": round(float(r["outstanding_principal"]), 2),
             "overdue": round(float(r["overdue_principal"] or 0) + float(r["overdue_interest"] or 0), 2)}
            for r in serving.query(h.filter(h.loan_id == loan_id).order_by("month"))])
    return {
        "snapshot": serving.build_id,
        "loan": cast(LoanRow, loan),
        "status": status,
        "history": months,
        "changes": changes.history(session, serving, principal, loan_id),
        "current_category": changes.current_category(session, loan, serving.build_id),
        "pending": any(c["status"] == changes.PENDING for c in changes.history(session, serving, principal,
                                                                                loan_id)),
        "warnings": early.for_loan(session, serving, principal, loan_id, loan.get("customer_id")),
    }
