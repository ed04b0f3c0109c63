"""Settings of anti-money laundering (反洗钱) in finecrm.yaml (``aml:``): large-value report thresholds, the
suspicious typologies' parameters, and cases. Part of
:class:`finecrm.core.settings.Settings`, kept in a file of its own so that each settings file stays readable;
validated at load like every other setting (errors name the file, the key and what was expected)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
