"""What the KPI use cases return (typed, so the JSON API can describe it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict


class IndicatorInfo(TypedDict):
    """An indicator scored, as settings define it."""

    code: str
    zh: str
    en: str
    unit: Annotated[str, Field(description="yuan | count | percent (a fraction)")]
    direction: Annotated[str, Field(description="higher | lower is better")]
    base: Annotated[str, Field(description="period | year_start (较年初)")]
    weight: float
    full_marks: float


class ItemScore(TypedDict):
    """One indicator of one unit: its figures, target, score and single-item rank."""

    indicator: str
    value: Annotated[float | None, Field(description="本期数值 / the month's figure")]
    base_value: Annotated[float | None, Field(description="年初数（较年初指标）/ at the start of the year")]
    result: Annotated[float | None, Field(description="考核值（较年初：增量）/ the figure scored")]
    target: float | None
    achievement: Annotated[float | None, Field(description="完成率 / achievement (none without a target)")]
    score: Annotated[float, Field(description="得分，至多满分 / score, at most full marks")]
    weighted: Annotated[float, Field(description="权重 × 得分 / weight × score")]
    rank: Annotated[int | None, Field(description="单项排名 / single-item rank (1 = best; ties share)")]


class RankingRow(TypedDict):
    """One branch or manager of the ranking."""

    level: str
    unit_id: str
    name: str | None
    branch_id: str | None
    total: Annotated[float, Field(description="总分 = Σ 权重 × 得分 / total")]
    rank: Annotated[int, Field(description="总分排名（并列同名次，1,1,3）/ total rank, ties share")]
    items: list[ItemScore]


class Ranking(TypedDict):
    period: Annotated[str | None, Field(description="YYYY-MM; none before a build with KPIs")]
    level: str
    as_of_date: date | None
    units: Annotated[int, Field(description="参与排名的单位数 / units ranked (the whole level)")]
    targets_missing: Annotated[int, Field(description="无目标的指标格数（得 0 分）/ cells without a target")]
    indicators: list[IndicatorInfo]
    rows: list[RankingRow]


class TargetRow(TypedDict):
    indicator: str
    period: str
    level: str
    unit_id: str
    unit_name: str | None
    target: float
    set_by: str
    set_at: datetime
    source: str


class TargetList(TypedDict):
    period: str
    rows: list[TargetRow]


class ImportResult(TypedDict):
    imported: Annotated[int, Field(description="导入的目标数 / targets imported")]
    replaced: Annotated[int, Field(description="其中替换已有目标 / of which replaced an existing one")]
