"""Settings of service quality (服务质量) in finecrm.yaml (``service:``): complaints and surveys. Part of
:class:`finecrm.core.settings.Settings`, kept in a file of its own so that each settings file stays readable;
validated at load like every other setting (errors name the file, the key and what was expected)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
