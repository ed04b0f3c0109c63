"""What customers' use cases return: typed once, read by the pages, the CLI and the JSON API (which documents it).

These are ``TypedDict``s: at run time the use cases return plain dicts, so templates and renderers index them
as before, while mypy checks the keys and the API validates and describes them. A key that is only there for
some roles is ``NotRequired`` (money columns need ``view_balances``). Values are masked per role inside the
query, so a name or phone is a masked text unless the user revealed it.

Descriptions are in both languages where a field's meaning is not obvious from its name.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from finecrm.services.common import PageInfo
from finecrm.services.definitions import Definition

Snapshot = Annotated[str, Field(description="快照编号 / the published build the answer was read from")]
Tier = Annotated[str, Field(description="客户层级 / tier: individuals by the month's average daily AUM, corporates "
                                        "by deposits; a downgrade waits for months below the threshold")]
ValueTier = Annotated[str | None, Field(description="价值层级 / value tier by contribution rank (贡献度)")]
Lifecycle = Annotated[str, Field(description="生命周期代码 / lifecycle stage code: potential, new, growing, "
                                             "stable, declining, dormant, lost")]
Label = Annotated[str | None, Field(description="中文名称 / the stage's or segment's Chinese name")]
Masked = Annotated[str | None, Field(description="按角色脱敏 / masked per role unless revealed")]
Yuan = Annotated[float, Field(description="元，月日均 / yuan, the month's average daily balance")]


class SearchRow(TypedDict):
    """A customer in the search list (masked; AUM only with view_balances)."""

    customer_id: str
    kind: Annotated[str, Field(description="individual 个人 / corporate 对公")]
    name: Masked
    phone: Masked
    id_number: Masked
    branch_id: str
    grid_id: str | None
    manager_id: Annotated[str | None, Field(description="管户客户经理 / the customer's own manager (staff id)")]
    tier: Tier
    value_tier: ValueTier
    lifecycle: Lifecycle
    lifecycle_label: Label
    segment_label: Annotated[str | None, Field(description="行为分群 / behaviour segment (稳妥型, 高增长型, 消费型, …)")]
    aum_avg: NotRequired[Yuan]


class CustomerPage(PageInfo):
    """A page of customers in scope."""

    rows: list[SearchRow]


class TierMonth(TypedDict):
    """One month of the customer's tier history (money columns only with view_balances)."""

    month: Annotated[date, Field(description="月份（月初）/ the month (its first day)")]
    tier: Tier
    raw_tier: Annotated[str, Field(description="当月门槛层级 / the tier the month's AUM alone gives (before the "
                                               "downgrade buffer)")]
    tier_watch: Annotated[bool | None, Field(description="降级观察 / below its tier, waiting to be downgraded")]
    lifecycle: Lifecycle
    aum_avg: NotRequired[float | None]
    aum_end: NotRequired[float | None]
    deposits_avg: NotRequired[float | None]


class AccountRow(TypedDict):
    """One of the customer's accounts, open ones first (balances only with view_balances)."""

    account_id: str
    product_code: str | None
    product_name: str | None
    category: str
    risk_level: Annotated[int | None, Field(description="产品风险等级 / the product's risk level (1 lowest)")]
    status: str | None
    is_open: bool
    open_date: date | None
    close_date: date | None
    branch_id: str | None
    currency: str | None
    balance_end: NotRequired[float | None]
    balance_avg: NotRequired[float | None]


class DepositAlertRow(TypedDict):
    """An abnormal drop of a large depositor's deposits (存款异动), with its evidence."""

    alert_date: date
    rule: str
    balance: float | None
    baseline: Annotated[float | None, Field(description="基准余额 / the balance the drop is measured from")]
    drop_share: Annotated[float | None, Field(description="降幅 / the drop as a share of the baseline")]
    outflow_within: Annotated[float | None, Field(description="窗口内转出 / money out within the window")]
    largest_outflow: float | None
    evidence: str | None


class Channels(TypedDict):
    """Channel use: customer-initiated transactions in 90 days by channel, and the services signed."""

    transactions_90d: dict[str, int | None]
    signed: dict[str, bool]


class ProductScore(TypedDict):
    """The propensity to take one marketing target (no score: already held, or not suited)."""

    code: str
    zh: str
    en: str
    score: Annotated[float | None, Field(description="购买倾向（概率）/ propensity, a probability")]
    decile: Annotated[int | None, Field(description="十分位（1 为最高）/ decile, 1 = the top tenth")]
    eligible: Annotated[bool | None, Field(description="适当性 / may be offered (age, KYC, risk tolerance)")]
    reason: str | None
    model: Annotated[str | None, Field(description="模型版本 / the model version that scored it")]


class NextBest(TypedDict):
    """The next best product (下一最佳产品): highest expected value among the suitable ones."""

    code: str
    zh: str
    en: str
    offer: Annotated[str | None, Field(description="推荐产品代码 / the product code offered")]
    score: float | None
    value: Annotated[float | None, Field(description="期望价值（元/年）/ expected value, yuan a year")]
    reason: Annotated[str | None, Field(description="计算过程、原因与适当性 / the sum, reasons and suitability "
                                                    "(\"中文 / English\" parts)")]
    why: Annotated[str | None, Field(description="倾向原因 / why the score (\"中文 / English\")")]


class Propensity(TypedDict):
    """Scores per configured target and the next best product (None before the propensity mart exists)."""

    products: list[ProductScore]
    next_best: NextBest | None


class Sentence(TypedDict):
    """One sentence in each language: 中文 and English (a page shows the one of its language)."""

    zh: str
    en: str


class Reasons(TypedDict):
    """Why the customer has their tier and lifecycle stage, as sentences a manager can say (amounts quoted only
    for roles that see money)."""

    tier: Sentence
    lifecycle: Sentence


class Customer360(TypedDict):
    """Everything the 360 page shows about one customer, scoped and masked.

    ``customer`` is the customer's row of the customer_360 mart, whose columns depend on the bank's data and
    configuration (product categories, services, channels, segments): it is an open object rather than a list
    of invented keys. Masked per role; money columns only with view_balances (``shows_money``).
    客户全貌：``customer`` 为 customer_360 的整行，列随本行数据与配置而定。
    """

    snapshot: Snapshot
    customer: dict[str, Any]
    revealed: Annotated[bool, Field(description="已显示明文 / personal data shown in clear (after an audited reveal)")]
    shows_money: Annotated[bool, Field(description="含金额 / money columns are shown (view_balances)")]
    reasons: Reasons
    tier_history: list[TierMonth]
    accounts: list[AccountRow]
    deposit_alerts: list[DepositAlertRow]
    custom_segments: Annotated[list[str], Field(description="自定义分群 / the bank's saved segments the customer "
                                                            "is in")]
    channels: Channels
    propensity: Propensity | None


class TransactionRow(TypedDict):
    """A recent transaction, newest first; counterparties masked per role."""

    txn_id: str
    ts: datetime
    account_id: str | None
    category: str | None
    direction: Annotated[str | None, Field(description="in 转入 / out 转出")]
    amount: float
    channel: str | None
    kind: str | None
    counterparty_name: str | None
    counterparty_account: str | None
    counterparty_bank: str | None
    customer_initiated: Annotated[bool | None, Field(description="客户主动交易 / initiated by the customer (not "
                                                                 "interest, fees, salary credits, batch)")]


class TransactionPage(PageInfo):
    """A page of the customer's recent transactions."""

    rows: list[TransactionRow]


# --- the dashboard ---------------------------------------------------------------------------------------------


class Kpi(TypedDict):
    """A KPI of the latest month with the month before (counts are whole numbers, amounts in the workspace's
    currency, rates shares; None where the data holds no value, e.g. loans without balances)."""

    code: str
    value: int | float | None
    previous: int | float | None
    change: Annotated[float | None, Field(description="环比 / change on the month before, a share")]


class TrendMonth(TypedDict):
    """One month of the scope's totals."""

    month: Annotated[str, Field(description="YYYY-MM")]
    customers: int
    aum: float
    deposits: float
    loans: float
    txn_ci: Annotated[int, Field(description="客户主动交易笔数 / customer-initiated transactions")]
    txn_off_counter: Annotated[int, Field(description="其中非柜面 / of which outside the counter")]
    new_customers: int
    lost_customers: int
    off_counter_rate: Annotated[float | None, Field(description="柜面替代率 / off-counter rate")]


class TierCell(TypedDict):
    """One tier of the pyramid (latest month)."""

    kind: str
    tier: str
    customers: int
    aum: float


class ParetoPoint(TypedDict):
    """A point of the Pareto curve: the top ``customer_share`` of customers hold ``aum_share`` of AUM."""

    customer_share: float
    aum_share: float


# "from" is a keyword: the functional form.
LifecycleFlow = TypedDict("LifecycleFlow", {"from": str, "to": str, "customers": int})
LifecycleFlow.__doc__ = ("生命周期迁移 / customers from last month's lifecycle stage (``from``; entered for new ones) "
                         "to this month's (``to``).")


class ComparisonRow(TypedDict):
    """A branch (or grid) in this month's comparison."""

    id: str
    name: str
    customers: int
    aum: float
    txn_ci: int | None
    txn_off_counter: int | None
    off_counter_rate: float | None


class DashboardComparison(TypedDict):
    """Branches, or grids for a customer manager, by AUM."""

    by: Annotated[str, Field(description="branch 机构 / grid 网格")]
    rows: list[ComparisonRow]


class Currency(TypedDict):
    """The workspace's currency (``bank.currency``): every amount and threshold is in it."""

    code: Annotated[str, Field(description="ISO 4217 币种代码 / currency code (CNY, CZK, …)")]
    zh: Annotated[str, Field(description="中文名称 / its name in Chinese (元, 捷克克朗)")]
    en: Annotated[str, Field(description="英文名称 / its name in English (yuan, CZK)")]


class Dashboard(TypedDict):
    """The dashboard of the user's scope (首页总览): every number adds up the user's customers only."""

    snapshot: Snapshot
    month: Annotated[str | None, Field(description="最新月份 YYYY-MM / the latest month")]
    scope: Annotated[str, Field(description="范围 / the role's scope (all, branch_subtree, own_customers, …)")]
    kpis: list[Kpi]
    trend: list[TrendMonth]
    tier_pyramid: list[TierCell]
    pareto: list[ParetoPoint]
    channel_mix: Annotated[dict[str, int], Field(description="近 90 天客户主动交易按渠道（other：数据未细分的渠道）"
                                                             " / customer-initiated transactions in 90 days by "
                                                             "channel (other: channels the data does not name; unused channels left out)")]
    lifecycle_flow: list[LifecycleFlow]
    comparison: DashboardComparison
    currency: Currency
    definitions: Annotated[dict[str, Definition], Field(description="各指标口径 / each metric's definition, by code")]


# --- the segment explorer ----------------------------------------------------------------------------------------


class ExplorerQueryDoc(TypedDict):
    """The selection as applied: filters (column → value), the rule and the breakdown column."""

    filters: dict[str, str]
    rule: str | None
    breakdown: str


class BreakdownRow(TypedDict):
    """One value of the breakdown column (AUM None without view_balances)."""

    key: Annotated[str | None, Field(description="分组值 / the breakdown column's value")]
    customers: int
    aum: float | None


class SegmentRow(TypedDict):
    """A selected customer (masked; money columns only with view_balances)."""

    customer_id: str
    kind: str
    name: Masked
    phone: Masked
    branch_id: str
    grid_id: str | None
    manager_id: str | None
    tier: Tier
    value_tier: ValueTier
    segment: Annotated[str | None, Field(description="行为分群代码 / behaviour segment code (steady, growth, …)")]
    lifecycle: Annotated[str | None, Field(description="生命周期代码 / lifecycle stage code (new, stable, …)")]
    aum_avg: NotRequired[Yuan]
    deposits_avg: NotRequired[float | None]
    loans_end: NotRequired[float | None]
    contribution: NotRequired[Annotated[float, Field(description="贡献度（元/年）/ contribution, yuan a year")]]


class SegmentPage(PageInfo):
    """A page of the selected customers."""

    rows: list[SegmentRow]


class SegmentExplore(TypedDict):
    """The segment explorer's answer (分层分群): counts, AUM, a breakdown, the list and the filters' choices."""

    snapshot: Snapshot
    query: ExplorerQueryDoc
    customers: int
    aum: Annotated[float | None, Field(description="AUM 合计（元）/ total AUM, yuan (None without view_balances)")]
    breakdown: list[BreakdownRow]
    list: SegmentPage
    options: Annotated[dict[str, list[str]], Field(description="各筛选项的可选值 / the values each filter can take "
                                                               "in your scope")]


class RuleColumnHelp(TypedDict):
    """A column a rule may name: its Chinese and English names, type and an example rule."""

    name: str
    zh: str
    en: str
    type_zh: str
    type_en: str
    example: str


class RuleTermHelp(TypedDict):
    """An operator, function or worked example of the rule language, explained in both languages."""

    text: str
    zh: str
    en: str


class RuleHelp(TypedDict):
    """The rule help page: columns, operators, functions and worked examples."""

    columns: list[RuleColumnHelp]
    operators: list[RuleTermHelp]
    functions: list[RuleTermHelp]
    examples: list[RuleTermHelp]
