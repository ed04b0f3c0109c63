"""What credit's use cases return (typed once for the pages, the CLI and the JSON API)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict

from finecrm.services.common import PageInfo


class OverrideRow(TypedDict):
    """A proposed change of a loan's category, with its decision."""

    id: int
    loan_id: str
    customer_id: str | None
    branch_id: str | None
    system_category: Annotated[str, Field(description="提出时规则给出的分类 / the rules' category when proposed")]
    from_category: Annotated[str, Field(description="提出时执行的分类 / the category in force when proposed")]
    to_category: Annotated[str, Field(description="拟调整为 / the proposed category")]
    direction: Annotated[str, Field(description="more_severe（上调，立即生效）/ less_severe（下调，须复核）")]
    reason: str
    proposed_by: str
    proposed_at: str
    snapshot: str | None
    status: Annotated[str, Field(description="applied / pending / approved / rejected")]
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None


class OverridePage(PageInfo):
    """A page of category changes."""

    rows: list[OverrideRow]


class CategoryCell(TypedDict):
    """Loans and their balance in one category."""

    category: Annotated[str, Field(description="normal / special_mention / substandard / doubtful / loss")]
    loans: int
    balance: Annotated[float, Field(description="贷款余额（元）/ outstanding principal, yuan")]


class PortfolioRow(TypedDict):
    """One product or branch of the loan book."""

    key: str | None
    loans: int
    balance: float
    npl_balance: Annotated[float, Field(description="不良余额（次级+可疑+损失）/ non-performing balance")]
    overdue: Annotated[float, Field(description="逾期本息（元）/ overdue principal and interest, yuan")]
    npl_ratio: float | None


class LoanMonth(TypedDict, total=False):
    """A month end of a loan (or of the book): days past due, balance, overdue amount or NPL ratio."""

    month: str
    dpd: int
    balance: float
    overdue: float
    npl_ratio: float | None


class Portfolio(TypedDict):
    """The loan book in the principal's scope by five-category classification (the final category)."""

    snapshot: str
    loans: int
    balance: float
    npl_balance: float
    npl_ratio: Annotated[float | None, Field(description="不良率 = 不良余额 ÷ 贷款余额 / NPL ratio")]
    categories: list[CategoryCell]
    by_product: list[PortfolioRow]
    by_branch: list[PortfolioRow]
    trend: Annotated[list[LoanMonth], Field(description="按月末的不良率（按逾期天数的规则分类）/ NPL ratio by month "
                                                         "end (the rules' category from days past due)")]


class LoanRow(TypedDict):
    """A loan of the list: balance, arrears and categories."""

    loan_id: str
    customer_id: str
    branch_id: str | None
    manager_id: str | None
    product_code: str | None
    outstanding_principal: float
    overdue_amount: float | None
    dpd: int
    system_category: str
    final_category: str
    is_overridden: bool
    final_reason: str | None


class LoanPage(PageInfo):
    """A page of loans."""

    rows: list[LoanRow]


class LoanFile(TypedDict):
    """One loan's file: status, classification, month-end history and every category change."""

    snapshot: str
    loan: LoanRow
    status: dict[str, Any]
    history: list[LoanMonth]
    changes: list[OverrideRow]
    current_category: Annotated[str, Field(description="现行分类（含快照之后生效的调整）/ the category in force now")]
    pending: bool
