"""What credit's use cases return (typed, so the JSON API can describe it)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict

from finecrm.services.common import PageInfo

CardId = Annotated[str, Field(description="评分卡编号 / the card's id, e.g. sc001")]


class Discrimination(TypedDict):
    rows: int
    bads: int
    bad_rate: float
    auc: float
    ks: Annotated[float, Field(description="KS：好坏累计分布的最大差 / the largest gap of the cumulative distributions")]
    gini: Annotated[float, Field(description="基尼系数 = 2·AUC − 1 / Gini")]


class ScorecardRow(TypedDict):
    """One stored card (read from its meta.json)."""

    id: CardId
    active: bool
    created_at: str
    created_by: str
    file: str
    target_column: str
    variables: int
    auc: Annotated[float, Field(description="验证集 AUC / holdout AUC")]
    ks: float
    psi: Annotated[float, Field(description="验证集对训练集的分数 PSI / score PSI of the holdout against training")]


class ScorecardDoc(TypedDict):
    """A card's metadata and report as training wrote it (meta.json), with whether it is active."""

    id: CardId
    active: bool
    created_at: str
    created_by: str
    inputs: dict[str, Any]
    split: dict[str, Any]
    params: dict[str, Any]
    variables: Annotated[dict[str, str], Field(description="变量及类型 / variable → numerical or categorical")]
    selection: list[dict[str, Any]]
    dropped: list[dict[str, str]]
    train: Discrimination
    validation: Discrimination
    stability: dict[str, Any]
    bins: list[dict[str, Any]]
    grades: list[dict[str, Any]]
    training_grade_counts: list[int]


class ScorecardActivation(TypedDict):
    """A card made the active one (the card credit ratings will use)."""

    id: CardId
    activated_at: str
    activated_by: str
    previous: str | None


class ScoredBatch(TypedDict):
    """A file scored with a card."""

    id: CardId
    file: str
    out: str
    rows: int
    grades: Annotated[list[dict[str, Any]], Field(description="各等级人数 / rows per grade")]
    mean_score: float
    psi: Annotated[float, Field(description="本批对训练集的分数 PSI / score PSI of this batch against training")]


class ExportedCard(TypedDict):
    id: CardId
    dialect: str
    sql: str
    xlsx: str | None



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
    warnings: Annotated[list[WarningRow], Field(description="本笔贷款及其借款人的风险预警 / early warnings about the "
                                                        "loan and its borrower")]


class WarningRow(TypedDict):
    """A loan early warning of the snapshot with the state of the work on it."""

    warning_id: str
    rule: str
    loan_id: str | None
    customer_id: str | None
    grid_id: str | None
    branch_id: str
    manager_id: str | None
    warning_date: str
    exposure: float
    params: str
    evidence_zh: str
    evidence_en: str
    status: Annotated[str, Field(description="open（待处置）| taken（处置中）| closed（已关闭）")]
    assignee: str | None


class WarningStepRow(TypedDict):
    """One step of the work on a warning."""

    id: int
    step: str
    assignee: str | None
    outcome: str | None
    note: str | None
    by: str
    at: str


class WarningFile(TypedDict):
    """One warning with every step of the work on it."""

    snapshot: str
    warning: WarningRow
    steps: list[WarningStepRow]


class WarningPage(PageInfo):
    """A page of warnings."""

    rows: list[WarningRow]
