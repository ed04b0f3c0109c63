"""A campaign's evaluation against its control group (活动评估)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from typing_extensions import TypedDict

from finecrm.ml.uplift import ArmDict, ComparisonDict, Conclusion, GroupRowDict
from finecrm.services.marketing.outputs._common import Arm, Bilingual
from finecrm.services.marketing.outputs.campaigns import CampaignDoc, Detection


class ArmResult(ArmDict):
    """One arm's detected conversion rate with its Wilson interval, named in both languages."""

    zh: str
    en: str


class OutcomeCount(TypedDict):
    outcome: str | None
    zh: str
    en: str
    count: int


class SelfReported(TypedDict):
    """What managers recorded (自报): no control to compare it with; how many the data confirmed."""

    label: Bilingual
    treated: int
    converted: int
    rate: float | None
    confirmed_by_data: int
    outcomes: list[OutcomeCount]


class FunnelStage(TypedDict):
    """A stage of the treatment arm's funnel: treated → assigned → recorded → reached → interested → converted."""

    stage: str
    zh: str
    en: str
    count: int


class BreakdownGroup(GroupRowDict):
    """One group of a breakdown, with the group's name (branch or manager name)."""

    label: str


class BreakdownChart(TypedDict):
    categories: list[str]
    treated: list[float | None]
    control: list[float | None]
    uplift: list[float | None]
    low: list[float | None]
    high: list[float | None]
    too_small: list[bool]


class Breakdown(TypedDict):
    """Treated versus control within the groups of one column (探索性 / exploratory: p-values not adjusted)."""

    by: str
    zh: str
    en: str
    label: Bilingual
    min_group: Annotated[int, Field(description="每组最少客户数 / smaller groups are flagged too small")]
    too_small: int
    rows: list[BreakdownGroup]
    chart: BreakdownChart


class MetricName(TypedDict):
    metric: str
    zh: str
    en: str


class MetricChange(TypedDict):
    """One metric of one arm: the mean of the months before the start against the months from it."""

    metric: str
    zh: str
    en: str
    arm: Arm
    before: float | None
    after: float | None
    change: float | None
    relative_change: float | None


Series = Annotated[dict[str, dict[str, list[float | None]]],
                   Field(description="指标 → 组别 → 每月的值 / metric → arm → a value per month")]


class BeforeAfter(TypedDict):
    """Monthly activity and AUM per arm before and after the start (描述性 / descriptive, not an effect)."""

    available: Literal[True]
    label: Bilingual
    start_month: str
    months: list[str]
    before_months: list[str]
    after_months: list[str]
    arm_members: dict[str, int]
    metrics: list[MetricName]
    series: Series
    summary: list[MetricChange]
    warnings: list[Bilingual]


class BeforeAfterMissing(TypedDict):
    """No before/after comparison: the snapshot lacks the mart it is computed from (the message says which)."""

    available: Literal[False]
    label: Bilingual
    message: str


class ArmsChart(TypedDict):
    categories: list[str]
    rate: list[float | None]
    low: list[float | None]
    high: list[float | None]


class FunnelPoint(TypedDict):
    name: str
    value: int


class BeforeAfterChart(TypedDict):
    months: list[str]
    series: Series


class EvaluationCharts(TypedDict):
    """The same numbers shaped for the page's charts."""

    arms: ArmsChart
    funnel: list[FunnelPoint]
    breakdowns: dict[str, BreakdownChart]
    before_after: BeforeAfterChart


class CampaignEvaluation(TypedDict):
    """Treated versus control for one campaign in your scope (活动评估).

    ``comparison`` and ``conclusion`` are None when an arm has no member in scope (then ``methods`` is empty).
    """

    campaign: CampaignDoc
    scope: str
    confidence: float
    detection: Detection | None
    arms: list[ArmResult]
    comparison: ComparisonDict | None
    conclusion: Conclusion | None
    self_reported: SelfReported
    funnel: list[FunnelStage]
    breakdowns: list[Breakdown]
    before_after: Annotated[BeforeAfter | BeforeAfterMissing, Field(discriminator="available")]
    warnings: list[Bilingual]
    methods: Annotated[dict[str, str], Field(description="所用统计方法 / the interval, test and adjustment used")]
    charts: EvaluationCharts
