"""Settings of the customer manager's workbench (客户经理工作台) in finecrm.yaml (``workbench:``): visit
frequencies, the daily standard, reminders and referrals. Part of
:class:`finecrm.core.settings.Settings`, kept in a file of its own so that each settings file stays readable;
validated at load like every other setting (errors name the file, the key and what was expected)."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
