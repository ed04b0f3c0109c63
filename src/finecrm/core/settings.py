"""Workspace settings: one ``finecrm.yaml`` per workspace (FINECRM_HOME), validated at load.

Every default lives in the packaged ``finecrm.default.yaml`` (:data:`DEFAULT_YAML`) with a comment
saying what it means; ``finecrm init`` writes that text, so the file a bank edits documents itself.
Errors name the file, the key and what was expected (:class:`~finecrm.core.errors.ConfigError`).
"""

from __future__ import annotations

import ipaddress
import os
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from finecrm.core.errors import ConfigError, FinecrmError, WorkspaceError
from finecrm.core.limits import RULE_MAX_LENGTH
from finecrm.core.settings_collections import CollectionSettings

CONFIG_NAME = "finecrm.yaml"
HOME_ENV = "FINECRM_HOME"
DATABASE_ENV = "FINECRM_DATABASE_URL"

#: The packaged ``finecrm.default.yaml``: every default with a comment saying what it means, the text
#: ``finecrm init`` writes (a test holds it equal to the defaults of :class:`Settings`).
DEFAULT_YAML_FILE = "finecrm.default.yaml"
DEFAULT_YAML = files("finecrm.core").joinpath(DEFAULT_YAML_FILE).read_text(encoding="utf-8")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BankSettings(_Strict):
    name: str = "示例农商银行"
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    #: The bank's time zone (an IANA name): every time on a page, in an export or a CLI table is shown in it.
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{v!r} is not a time zone name (e.g. Asia/Shanghai, Asia/Hong_Kong)") from None
        return v


class DatabaseSettings(_Strict):
    url: str = ""


class WarehouseSettings(_Strict):
    path: str = "warehouse"
    keep_snapshots: int = Field(5, ge=1, le=1000)


#: A memory size for DuckDB / Spark, e.g. 4GB or 512MB; empty means the engine's own default.
MEMORY = r"^(|\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB))$"


class IngestSettings(_Strict):
    encoding: Literal["auto", "utf-8", "gbk"] = "auto"
    delimiter: str = Field(",", min_length=1, max_length=1)
    earliest_date: date = date(1900, 1, 1)
    report_examples: int = Field(3, ge=0, le=100)
    memory_limit: str = Field("4GB", pattern=MEMORY)
    #: a stored month is held back when an input would shrink it by more than this share of its rows
    period_shrink_limit: float = Field(0.5, gt=0, le=1)
    #: round amounts with more decimals than the fen instead of quarantining them
    round_money: bool = False
    #: the longest value accepted, in characters
    max_field_chars: int = Field(1000, ge=1, le=10_000_000)


class BuildSettings(_Strict):
    engine: Literal["duckdb", "spark"] = "duckdb"
    memory_limit: str = Field("12GB", pattern=MEMORY)


class TierBand(_Strict):
    name: str = Field(min_length=1)
    min: float = Field(ge=0)


def _bands_descending(bands: list[TierBand]) -> list[TierBand]:
    mins = [b.min for b in bands]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        raise ValueError("tiers must be listed highest first with distinct minimums")
    if mins[-1] != 0:
        raise ValueError("the last tier must start at 0 so every customer has a tier")
    if len({b.name for b in bands}) != len(bands):
        raise ValueError("tier names must be distinct")
    return bands


class TierSettings(_Strict):
    retail: list[TierBand] = [
        TierBand(name="私行", min=6_000_000),
        TierBand(name="财富", min=500_000),
        TierBand(name="贵宾", min=50_000),
        TierBand(name="大众", min=0),
    ]
    potential_below: float = Field(10_000, ge=0)
    potential_min_txn_90d: int = Field(15, ge=0)
    downgrade_after_months: int = Field(3, ge=1, le=24)
    corporate: list[TierBand] = [
        TierBand(name="战略客户", min=10_000_000),
        TierBand(name="重点客户", min=5_000_000),
        TierBand(name="成长客户", min=1_000_000),
        TierBand(name="基础客户", min=0),
    ]

    @field_validator("retail", "corporate")
    @classmethod
    def _descending(cls, v: list[TierBand]) -> list[TierBand]:
        return _bands_descending(v)


class ValueTier(_Strict):
    name: str = Field(min_length=1)
    top_share: float = Field(gt=0, le=1)


class ContributionSettings(_Strict):
    deposit_spread: dict[Literal["deposit", "time_deposit"], float] = {"deposit": 0.015, "time_deposit": 0.006}
    loan_ftp_rate: float = Field(0.03, ge=0, le=1)
    default_loan_rate: float = Field(0.045, ge=0, le=1)
    intermediary_rates: dict[Literal["wealth", "fund", "insurance"], float] = {
        "wealth": 0.004, "fund": 0.008, "insurance": 0.01,
    }
    value_tiers: list[ValueTier] = [
        ValueTier(name="核心价值", top_share=0.05),
        ValueTier(name="高价值", top_share=0.20),
        ValueTier(name="中价值", top_share=0.50),
        ValueTier(name="低价值", top_share=1.0),
    ]

    @field_validator("value_tiers")
    @classmethod
    def _cumulative(cls, v: list[ValueTier]) -> list[ValueTier]:
        shares = [t.top_share for t in v]
        if shares != sorted(shares) or len(set(shares)) != len(shares) or shares[-1] != 1:
            raise ValueError("top_share must grow from the first tier to the last, and the last must be 1")
        return v


class LifecycleSettings(_Strict):
    new_within_months: int = Field(6, ge=1, le=60)
    declining_drop: float = Field(0.30, gt=0, lt=1)
    growing_rise: float = Field(0.20, gt=0)
    trend_months: int = Field(3, ge=1, le=24)
    dormant_months: int = Field(12, ge=1, le=60)


class DepositWatchSettings(_Strict):
    large_depositor_min: float = Field(500_000, ge=0)
    drop_share: float = Field(0.30, gt=0, lt=1)
    baseline_days: int = Field(30, ge=2, le=89)
    within_days: int = Field(7, ge=1, le=60)


#: Transaction kinds that may count as transfers (转账) in large-value reports: every kind but cash.
TransferKind = Literal["transfer", "consumption", "salary", "pension", "interest", "fee", "loan_disbursement",
                       "loan_repayment", "investment", "utility", "other"]


class LargeValueSettings(_Strict):
    """Large-value transaction reports (大额交易报告, PBoC 2016 No. 3): single or daily cumulative amounts per
    customer per day, in and out counted separately. Amounts in the bank's currency; ``*_usd`` apply to
    foreign-currency accounts, converted with ``usd_rates``."""

    cash: float = Field(50_000, gt=0)
    cash_usd: float = Field(10_000, gt=0)
    corporate_transfer: float = Field(2_000_000, gt=0)
    corporate_transfer_usd: float = Field(200_000, gt=0)
    individual_transfer: float = Field(500_000, gt=0)
    individual_transfer_usd: float = Field(100_000, gt=0)
    individual_cross_border: float = Field(200_000, gt=0)
    individual_cross_border_usd: float = Field(10_000, gt=0)
    transfer_kinds: list[TransferKind] = ["transfer", "salary", "pension", "loan_disbursement", "loan_repayment",
                                         "investment", "utility", "consumption", "other"]
    #: US dollars per unit of each foreign currency; a foreign currency missing here is compared as it is.
    usd_rates: dict[str, float] = {"USD": 1.0, "EUR": 1.08, "HKD": 0.128, "JPY": 0.0067, "GBP": 1.27}

    @field_validator("transfer_kinds")
    @classmethod
    def _some(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("at least one transaction kind, e.g. [transfer]")
        return v

    @field_validator("usd_rates")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        for code, rate in v.items():
            if not (len(code) == 3 and code.isupper() and code.isalpha()):
                raise ValueError(f"{code!r} is not a three-letter ISO 4217 code such as USD")
            if not rate > 0:
                raise ValueError(f"the rate of {code} must be greater than 0, got {rate}")
        return v


class FanInFanOutSettings(_Strict):
    window_days: int = Field(7, ge=1, le=60)
    min_in: int = Field(10, ge=2)
    max_out: int = Field(3, ge=1)
    min_in_total: float = Field(20_000, gt=0)
    max_avg_in: float = Field(20_000, gt=0)
    min_out_share: float = Field(0.8, gt=0, le=1)
    max_out_share: float = Field(1.2, ge=1)


class ConcentratedInFanOutSettings(_Strict):
    window_days: int = Field(7, ge=1, le=60)
    max_in: int = Field(3, ge=1)
    min_out: int = Field(10, ge=2)
    min_in_total: float = Field(100_000, gt=0)
    min_out_share: float = Field(0.8, gt=0, le=1)
    max_out_share: float = Field(1.2, ge=1)


class PassThroughSettings(_Strict):
    window_days: int = Field(3, ge=1, le=30)
    min_in_total: float = Field(50_000, gt=0)
    max_left_share: float = Field(0.05, ge=0, lt=1)
    min_flow_to_balance: float = Field(5.0, ge=0)
    min_episodes: int = Field(2, ge=1)
    episodes_within_days: int = Field(30, ge=1, le=366)


class CashStructuringSettings(_Strict):
    window_days: int = Field(5, ge=1, le=60)
    just_below: float = Field(50_000, gt=0)
    band_share: float = Field(0.10, gt=0, lt=1)
    min_count: int = Field(3, ge=2)


class DormantReactivationSettings(_Strict):
    dormant_days: int = Field(365, ge=30, le=3650)
    min_visible_days: int = Field(180, ge=30, le=3650)
    window_days: int = Field(5, ge=1, le=60)
    min_amount: float = Field(50_000, gt=0)


class CycleSettings(_Strict):
    max_hops: int = Field(3, ge=2, le=3)
    window_days: int = Field(7, ge=1, le=60)
    min_amount: float = Field(50_000, gt=0)
    min_kept_share: float = Field(0.9, gt=0, le=1)


class InsiderSettings(_Strict):
    within_days: int = Field(7, ge=0, le=90)
    services: list[Literal["online", "mobile", "phone", "wechat"]] = ["online", "mobile", "wechat"]
    min_amount: float = Field(10_000, gt=0)


class AmlCaseSettings(_Strict):
    """Cases (可疑交易案件): how long a case may stay undecided, and how long a decided one is kept."""

    #: working days (Monday to Friday) from opening a case to its deadline for a decision
    deadline_working_days: int = Field(10, ge=1, le=250)
    #: years a decided case, its alerts and its report are kept (PBoC: at least five years; default ten)
    retention_years: int = Field(10, ge=5, le=50)


class AmlSettings(_Strict):
    """Anti-money-laundering monitoring: large-value reports and the suspicious typologies (docs/aml.md)."""

    cases: AmlCaseSettings = AmlCaseSettings()
    large_value: LargeValueSettings = LargeValueSettings()
    fan_in_fan_out: FanInFanOutSettings = FanInFanOutSettings()
    concentrated_in_fan_out: ConcentratedInFanOutSettings = ConcentratedInFanOutSettings()
    pass_through: PassThroughSettings = PassThroughSettings()
    cash_structuring: CashStructuringSettings = CashStructuringSettings()
    dormant_reactivation: DormantReactivationSettings = DormantReactivationSettings()
    cycle: CycleSettings = CycleSettings()
    insider_ebanking: InsiderSettings = InsiderSettings()


class CustomSegment(_Strict):
    name: str = Field(min_length=1, max_length=60)
    rule: str = Field(min_length=1, max_length=RULE_MAX_LENGTH)


class SegmentSettings(_Strict):
    clusters: int = Field(6, ge=3, le=8)
    sample_size: int = Field(50_000, ge=100)
    seed: int = 7
    custom: list[CustomSegment] = []


class PropensityTarget(_Strict):
    """A product the bank wants to sell, as a propensity target: how to tell that a customer has it."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,30}$")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    #: service: a signup (signups.service = match); category: any account of the category; product: that code.
    kind: Literal["service", "category", "product"]
    match: str = Field(min_length=1)
    #: The product code a manager offers (suitability is checked on its risk level); None for services.
    offer_product: str | None = None
    #: Expected value of one conversion in yuan a year (next best product = highest score × value).
    value: float = Field(gt=0)
    min_age: int = Field(18, ge=0, le=120)
    max_age: int = Field(75, ge=0, le=120)
    #: KYC (money-laundering) risk levels that may not be offered the product.
    kyc_excluded: list[Literal["low", "medium", "high"]] = []


class UnknownTargetError(FinecrmError):
    """A marketing target code that is not among ``marketing.targets``; the message lists those that are."""

    def __init__(self, code: str, codes: list[str]) -> None:
        self.code = code
        self.codes = codes
        listed = ", ".join(codes) or "none"
        super().__init__(f"没有营销产品 {code!r}，可选：{listed} / no target {code!r} in marketing.targets; "
                         f"the targets are: {listed}")


class MarketingSettings(_Strict):
    #: Label window: a customer "acquires" a product when it appears within this many days after the cut-off.
    horizon_days: int = Field(90, ge=7, le=365)
    #: Months of per-customer features kept in propensity_features (training and before/after need history).
    history_months: int = Field(12, ge=4, le=36)
    targets: list[PropensityTarget] = [
        PropensityTarget(code="mobile_banking", zh="手机银行", en="mobile banking", kind="service",
                         match="mobile", value=60.0, min_age=16, max_age=80),
        PropensityTarget(code="wealth", zh="理财产品", en="wealth product", kind="category", match="wealth",
                         offer_product="WM05", value=900.0, min_age=18, max_age=75, kyc_excluded=["high"]),
        PropensityTarget(code="credit_card", zh="信用卡", en="credit card", kind="category", match="credit_card",
                         offer_product="CC01", value=400.0, min_age=18, max_age=60, kyc_excluded=["high"]),
        PropensityTarget(code="consumer_loan", zh="个人消费贷款", en="consumer loan", kind="product",
                         match="LN01", offer_product="LN01", value=1500.0, min_age=22, max_age=60,
                         kyc_excluded=["high"]),
    ]
    #: Open tasks one customer manager may hold per campaign before the grid's manager is asked.
    capacity_per_manager: int = Field(60, ge=1, le=10_000)
    control_share: float = Field(0.2, gt=0, lt=1)
    seed: int = 2026

    @field_validator("targets")
    @classmethod
    def _unique(cls, v: list[PropensityTarget]) -> list[PropensityTarget]:
        codes = [t.code for t in v]
        if len(set(codes)) != len(codes):
            raise ValueError(f"target codes must be unique, got {codes}")
        return v

    def target(self, code: str) -> PropensityTarget:
        """The configured target ``code``, or :class:`UnknownTargetError` naming the configured ones."""
        for t in self.targets:
            if t.code == code:
                return t
        raise UnknownTargetError(code, [t.code for t in self.targets])


class ClassificationSettings(_Strict):
    """Five-category loan classification (贷款五级分类) by days past due, after the 2023 rule
    (商业银行金融资产风险分类办法): a loan more than ``<category>_over_days`` past due is at least that
    category. Each threshold must be above the one before it (checked on defaults too, so a changed
    threshold that passes one left at its default is refused naming that one)."""

    #: more than this many days past due → at least 关注 (0: any amount overdue)
    special_mention_over_days: int = Field(0, ge=0, le=3650)
    substandard_over_days: int = Field(90, ge=0, le=3650, validate_default=True)
    doubtful_over_days: int = Field(270, ge=0, le=3650, validate_default=True)
    loss_over_days: int = Field(360, ge=0, le=3650, validate_default=True)

    @field_validator("substandard_over_days", "doubtful_over_days", "loss_over_days")
    @classmethod
    def _above_previous(cls, v: int, info: ValidationInfo) -> int:
        order = list(cls.model_fields)
        before = order[order.index(str(info.field_name)) - 1]
        previous = info.data.get(before)
        if previous is not None and v <= previous:
            raise ValueError(f"must be more than {before} ({previous}), got {v}")
        return v


class CreditWarningSettings(_Strict):
    """Loan early warnings (贷款风险预警, mart ``credit_warnings``; the rules in docs/credit.md)."""

    #: a first missed instalment: an open loan past due at most this many days that was never past due at an
    #: earlier month end
    first_missed_max_dpd: int = Field(30, ge=1, le=365)
    #: a borrower's deposits draining: a deposit-watch alert (deposit_alerts) within this many days of the build
    drain_within_days: int = Field(30, ge=1, le=366)
    #: a borrower's financial assets falling: the month's average at most (1 − this share) of the average
    #: ``aum_months`` months before, from at least ``aum_min``
    aum_drop_share: float = Field(0.5, gt=0, lt=1)
    aum_months: int = Field(3, ge=1, le=12)
    aum_min: float = Field(10_000, ge=0)
    #: maturity within this many days while the borrower's financial assets cover less than this share of the
    #: outstanding principal
    maturity_within_days: int = Field(30, ge=1, le=366)
    maturity_min_cover: float = Field(0.5, gt=0, le=10)
    #: several loans overdue in one grid: at least this many borrowers of the grid past due
    grid_min_borrowers: int = Field(3, ge=2, le=1000)


class CreditSettings(_Strict):
    classification: ClassificationSettings = ClassificationSettings()
    warnings: CreditWarningSettings = CreditWarningSettings()


class DailyStandard(_Strict):
    """The daily standard of a customer manager (每日工作标准), per working day: visits to customers never
    visited before, visits to customers visited before, and calls."""

    new_visits: int = Field(2, ge=0, le=50)
    existing_visits: int = Field(3, ge=0, le=50)
    calls: int = Field(4, ge=0, le=100)


class ReminderSettings(_Strict):
    """What the manager is reminded of (mart ``customer_reminders``), counted from the build date."""

    #: Time deposits and wealth products maturing within this many days.
    maturity_within_days: int = Field(30, ge=1, le=366)
    #: Birthdays within this many days.
    birthday_within_days: int = Field(7, ge=0, le=366)
    #: Large outflows (deposit alerts) of the last this many days.
    outflow_within_days: int = Field(14, ge=1, le=90)
    #: Dormant risk: this many months in a row without a customer-initiated transaction (before 沉睡).
    inactive_months: int = Field(6, ge=1, le=60)


class WorkbenchSettings(_Strict):
    """The customer manager's routine: visit frequencies by tier, the daily standard, working days."""

    #: Months between visits by tier name (1 = every month, 3 = every quarter; a divisor of 12); a tier not listed is visited
    #: on a trigger only (大众). Names must be tiers of ``tiers.retail`` or ``tiers.corporate`` (checked with
    #: the tiers, below).
    visit_frequency_months: dict[str, int] = {"私行": 1, "财富": 2, "贵宾": 3,
                                              "战略客户": 1, "重点客户": 2, "成长客户": 3}
    daily_standard: DailyStandard = DailyStandard()
    reminders: ReminderSettings = ReminderSettings()
    #: Valuable customers a lobby manager refers per working day (每天转介 1 名价值客户): a target, not a cap.
    referrals_per_day: int = Field(1, ge=0, le=50)
    #: ISO weekdays that are working days (1 = Monday … 7 = Sunday).
    working_weekdays: list[int] = [1, 2, 3, 4, 5]

    @field_validator("visit_frequency_months")
    @classmethod
    def _months(cls, v: dict[str, int]) -> dict[str, int]:
        for name, months in v.items():
            # Cycles are counted from January, so they must divide the year.
            if not isinstance(months, int) or months not in (1, 2, 3, 4, 6, 12):
                raise ValueError(f"{name}: months between visits must be 1, 2, 3, 4, 6 or 12, got {months!r}")
        return v

    @field_validator("working_weekdays")
    @classmethod
    def _weekdays(cls, v: list[int]) -> list[int]:
        if not v or any(d not in range(1, 8) for d in v) or len(set(v)) != len(v):
            raise ValueError(f"distinct ISO weekdays from 1 (Monday) to 7 (Sunday), at least one, got {v!r}")
        return sorted(v)

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.working_weekdays

    def next_working_day(self, day: date) -> date:
        """The first working day after ``day`` (a referral's follow-up deadline)."""
        nxt = day + timedelta(days=1)
        while not self.is_working_day(nxt):
            nxt += timedelta(days=1)
        return nxt


class ComplaintCategory(_Strict):
    """One category of complaint (投诉类别) and the working days the bank gives itself to answer it."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    zh: str = Field(min_length=1, max_length=40)
    en: str = Field(min_length=1, max_length=60)
    #: working days from the day the complaint was received to the day the answer is due
    deadline_working_days: int = Field(ge=1, le=60)


_DEFAULT_COMPLAINT_CATEGORIES = [
    ComplaintCategory(code="service_attitude", zh="服务态度", en="service attitude", deadline_working_days=3),
    ComplaintCategory(code="waiting_time", zh="排队等候", en="waiting time", deadline_working_days=3),
    ComplaintCategory(code="fees", zh="收费", en="fees and charges", deadline_working_days=5),
    ComplaintCategory(code="product", zh="产品与营销", en="products and selling", deadline_working_days=10),
    ComplaintCategory(code="e_banking", zh="电子银行", en="e-banking", deadline_working_days=5),
    ComplaintCategory(code="collections", zh="贷款催收", en="loan collections", deadline_working_days=5),
    ComplaintCategory(code="other", zh="其他", en="other", deadline_working_days=10),
]


class ComplaintSettings(_Strict):
    """Complaints (投诉处理): categories with their deadlines in working days, the appeal's deadline and when an
    overdue complaint goes up a second level (docs/service.md)."""

    categories: list[ComplaintCategory] = _DEFAULT_COMPLAINT_CATEGORIES
    #: working days a reopened (appealed) complaint has for its new answer
    appeal_deadline_working_days: int = Field(5, ge=1, le=60)
    #: working days past the deadline after which an unanswered complaint goes to the head office (level 2)
    second_level_after_working_days: int = Field(2, ge=1, le=60)

    @field_validator("categories")
    @classmethod
    def _unique(cls, v: list[ComplaintCategory]) -> list[ComplaintCategory]:
        if not v:
            raise ValueError("at least one category")
        codes = [c.code for c in v]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"category codes must be unique, {', '.join(twice)} given twice")
        return v


class ServiceSettings(_Strict):
    """Service quality (服务质量): complaints and the bank's working-day calendar their deadlines count in."""

    complaints: ComplaintSettings = ComplaintSettings()
    #: public holidays that fall on weekdays (法定节假日), as ISO dates: not working days
    holidays: list[date] = []
    #: weekend days worked instead (调休上班日), as ISO dates: working days
    extra_working_days: list[date] = []
    #: the product owner (a username) each product category's needs are routed to; unlisted: the head office's team
    feedback_owners: dict[str, str] = {}

    @field_validator("extra_working_days")
    @classmethod
    def _not_also_holidays(cls, v: list[date], info: ValidationInfo) -> list[date]:
        both = sorted(set(v) & set(info.data.get("holidays") or []))
        if both:
            raise ValueError(f"{', '.join(d.isoformat() for d in both)} listed as a holiday and as a working day")
        return v


class WebSettings(_Strict):
    #: Reverse proxies (addresses or networks such as 10.0.0.0/24) whose X-Forwarded-For is believed; none by
    #: default, so a request's address is the connection's. See docs/access.md ("反向代理 / reverse proxies").
    trusted_proxies: list[str] = []

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        out = []
        for item in v:
            try:
                out.append(str(ipaddress.ip_network(str(item).strip(), strict=False)))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)") from None
        return out


class Settings(_Strict):
    """The whole of finecrm.yaml."""

    bank: BankSettings = BankSettings()
    database: DatabaseSettings = DatabaseSettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    ingest: IngestSettings = IngestSettings()
    build: BuildSettings = BuildSettings()
    tiers: TierSettings = TierSettings()
    contribution: ContributionSettings = ContributionSettings()
    lifecycle: LifecycleSettings = LifecycleSettings()
    deposit_watch: DepositWatchSettings = DepositWatchSettings()
    aml: AmlSettings = AmlSettings()
    segments: SegmentSettings = SegmentSettings()
    marketing: MarketingSettings = MarketingSettings()
    credit: CreditSettings = CreditSettings()
    collections: CollectionSettings = CollectionSettings()
    workbench: WorkbenchSettings = WorkbenchSettings()
    service: ServiceSettings = ServiceSettings()
    web: WebSettings = WebSettings()

    @field_validator("workbench")
    @classmethod
    def _visit_tiers(cls, v: WorkbenchSettings, info: ValidationInfo) -> WorkbenchSettings:
        # A frequency for a tier that does not exist would silently plan nobody: refuse it, naming the tiers.
        tiers = info.data.get("tiers")
        if tiers is not None:
            names = [b.name for b in (*tiers.retail, *tiers.corporate)]
            unknown = [n for n in v.visit_frequency_months if n not in names]
            if unknown:
                raise ValueError(f"visit_frequency_months: {', '.join(unknown)} is not a tier of tiers.retail or "
                                 f"tiers.corporate ({', '.join(names)})")
        return v


def _explain(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "no such key (check the spelling; see the comments in a fresh finecrm.yaml)"
    if kind == "literal_error":
        return f"one of {ctx.get('expected', '')}"
    if kind.startswith("greater_than") or kind.startswith("less_than"):
        return str(err.get("msg", "")).lower()
    if kind == "string_pattern_mismatch":
        return f"text matching {ctx.get('pattern')}"
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg", "")))
    return str(err.get("msg", "a valid value")).lower()


def parse_settings(data: Any, file: str) -> Settings:
    """Validate a parsed YAML document; the first problem becomes a ConfigError."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(file, "(top level)", "a mapping of sections (bank, database, ...)", type(data).__name__)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise ConfigError(file, key, _explain(dict(first)), first.get("input")) from None


class Workspace:
    """A finecrm home folder: configuration, warehouse and (by default) the SQLite database."""

    def __init__(self, home: Path, settings: Settings) -> None:
        self.home = home
        self.settings = settings

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_NAME

    @property
    def warehouse(self) -> Path:
        return (self.home / self.settings.warehouse.path).resolve()

    @property
    def raw(self) -> Path:
        return self.warehouse / "raw"

    @property
    def quarantine(self) -> Path:
        return self.warehouse / "quarantine"

    @property
    def ingests(self) -> Path:
        return self.warehouse / "ingests"

    @property
    def snapshots(self) -> Path:
        return self.warehouse / "snapshots"

    @property
    def models(self) -> Path:
        """Propensity model files and the registry of active versions (beside the warehouse)."""
        return self.home / "models"

    @property
    def database_url(self) -> str:
        env = os.environ.get(DATABASE_ENV, "").strip()
        if env:
            return env
        if self.settings.database.url:
            return self.settings.database.url
        return f"sqlite:///{(self.home / 'finecrm.db').resolve()}"


def resolve_home(home: Path | str | None) -> Path:
    """``--home`` if given, else FINECRM_HOME, else the current folder."""
    if home:
        return Path(home).expanduser().resolve()
    env = os.environ.get(HOME_ENV, "").strip()
    return Path(env).expanduser().resolve() if env else Path.cwd().resolve()


def load_workspace(home: Path | str | None) -> Workspace:
    """Open an initialised workspace or say how to create one."""
    root = resolve_home(home)
    cfg = root / CONFIG_NAME
    if not cfg.is_file():
        raise WorkspaceError(
            f"{root} is not a finecrm workspace (no {CONFIG_NAME}). "
            f"Run 'finecrm init --home {root}' first, or point --home / {HOME_ENV} at a workspace."
        )
    try:
        data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(unknown position)"
        raise ConfigError(str(cfg), where, "valid YAML", str(getattr(exc, "problem", exc))) from None
    return Workspace(root, parse_settings(data, str(cfg)))
