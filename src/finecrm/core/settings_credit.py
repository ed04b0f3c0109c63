"""Settings of credit (信贷) in finecrm.yaml (``credit:``): five-category classification and early warnings. Part of
:class:`finecrm.core.settings.Settings`, kept in a file of its own so that each settings file stays readable;
validated at load like every other setting (errors name the file, the key and what was expected)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
