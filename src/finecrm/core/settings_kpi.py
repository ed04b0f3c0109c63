"""Settings of the KPIs (绩效考核) in finecrm.yaml (``kpi:``): the indicators scored, their weights and full marks,
and the threshold of an effective customer. Part of :class:`finecrm.core.settings.Settings`, kept in a file of its
own so that each settings file stays readable; validated at load like every other setting (errors name the file,
the key and what was expected).

An indicator's *formula* is fixed by its code (docs/kpi.md says what each reads); the bank chooses which
indicators it scores, their names, the levels they apply to, their weights and full marks.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: The formulas finecrm knows, by code. The first ones are computed by the build (mart ``kpi_values``); the
#: last are computed from the operational database by the KPI use case (visits logged).
MART_INDICATORS = ("deposit_growth", "new_effective_customers", "mobile_active_new", "wealth_sales",
                   "loans_disbursed", "npl_ratio")
OPERATIONAL_INDICATORS = ("visit_completion",)
INDICATOR_CODES = MART_INDICATORS + OPERATIONAL_INDICATORS
LEVELS = ("branch", "manager")


class Indicator(_Strict):
    """One indicator scored (考核指标)."""

    #: One of INDICATOR_CODES: the formula.
    code: str
    zh: str = Field(min_length=1, max_length=40)
    en: str = Field(min_length=1, max_length=80)
    #: yuan 元, count 户/笔, percent (kept as a fraction, 0.05 = 5 %).
    unit: Literal["yuan", "count", "percent"]
    #: higher or lower is better (不良率: lower).
    direction: Literal["higher", "lower"] = "higher"
    #: The levels it is scored at: branch 网点, manager 客户经理.
    levels: list[Literal["branch", "manager"]] = ["branch", "manager"]
    #: period: the month's own figure; year_start: the change against the start of the year (较年初).
    base: Literal["period", "year_start"] = "period"
    #: The weight of the indicator's score in the total (总分 = Σ weight × score).
    weight: float = Field(gt=0, le=100)
    #: The most the indicator scores (满分): full marks at 100 % of the target.
    full_marks: float = Field(100.0, gt=0, le=1000)

    @field_validator("code")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in INDICATOR_CODES:
            raise ValueError(f"one of {', '.join(INDICATOR_CODES)} is expected, got {v!r}")
        return v

    @field_validator("levels")
    @classmethod
    def _some_level(cls, v: list[str]) -> list[str]:
        if not v or len(set(v)) != len(v):
            raise ValueError("one or more distinct levels of branch, manager are expected")
        return v


def _default_indicators() -> list[Indicator]:
    return [
        Indicator(code="deposit_growth", zh="存款日均较年初增量", en="deposit daily average, growth since the start "
                  "of the year", unit="yuan", base="year_start", weight=0.25),
        Indicator(code="new_effective_customers", zh="新增有效客户", en="new effective customers", unit="count",
                  weight=0.15),
        Indicator(code="mobile_active_new", zh="手机银行有效新增", en="new active mobile-banking users", unit="count",
                  weight=0.10),
        Indicator(code="wealth_sales", zh="理财销量", en="wealth products sold", unit="yuan", weight=0.10),
        Indicator(code="loans_disbursed", zh="贷款投放", en="loans disbursed", unit="yuan", weight=0.15),
        Indicator(code="npl_ratio", zh="不良贷款率", en="non-performing loan ratio", unit="percent",
                  direction="lower", weight=0.10),
        Indicator(code="visit_completion", zh="走访完成率", en="visit plan completion", unit="percent", weight=0.15),
    ]


class KpiSettings(_Strict):
    """The indicators scored and what an effective customer is."""

    indicators: list[Indicator] = Field(default_factory=_default_indicators)
    #: 新增有效客户: a new customer counts when their AUM at month end reaches this many yuan.
    effective_customer_min_aum: float = Field(10_000.0, ge=0, le=1e9)

    @model_validator(mode="after")
    def _unique(self) -> KpiSettings:
        codes = [i.code for i in self.indicators]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"indicators: {', '.join(twice)} is listed more than once")
        return self

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)
