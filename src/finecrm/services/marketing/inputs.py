"""What marketing's use cases take: typed once, shared by the CLI, the HTML forms and the JSON API.

A form sends text; the CLI parses options; the JSON API receives a body. Each builds the same model here, so
a campaign is described one way and its checks (and their bilingual messages) live in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from finecrm.core.errors import FinecrmError
from finecrm.core.limits import RULE_MAX_LENGTH
from finecrm.services.common import MAX_ID  # the largest id or count a field takes (the database's integer)


class InputError(FinecrmError):
    """A field of a marketing form or command that is not what it should be (the message names it)."""


class AudienceRef(BaseModel):
    """A saved audience, at a version or (``version`` None) its latest."""

    model_config = ConfigDict(frozen=True)

    id: int = Field(ge=1, le=MAX_ID)
    version: int | None = Field(None, ge=1, le=MAX_ID)

    @classmethod
    def parse(cls, text: str | int | None, *, field: str = "audience") -> AudienceRef | None:
        """``"12"`` or ``"12:3"`` (audience 12, version 3); blank is no audience."""
        if text is None:
            return None
        value = str(text).strip()
        if not value:
            return None
        head, _, version = value.partition(":")
        try:
            return cls(id=int(head), version=int(version) if version else None)
        except ValueError:  # not a number, or out of range (pydantic's ValidationError is a ValueError)
            raise InputError(f"{field}: 须为 ID 或 ID:版本 / expected ID or ID:VERSION, got {text!r}") from None

    def __str__(self) -> str:
        return f"{self.id}" if self.version is None else f"{self.id}:{self.version}"


class CampaignSpec(BaseModel):
    """A new campaign: what to offer, to whom, through which channel, when; how the control group is drawn.

    Types are checked here; the domain's limits (a known target and channel, a period of at most a year, a
    control share between 0 and 1, …) are checked by the use case, which says in both languages what is wrong.
    """

    name: str = Field(description="活动名称 / the campaign's name (unique)")
    target: str = Field(description="营销产品 / a marketing.targets code, e.g. mobile_banking")
    channel: str = Field(description="渠道 / phone, sms, visit, wechat or lobby")
    start_date: date = Field(description="开始日期 / first day")
    end_date: date = Field(description="结束日期 / last day")
    audience_id: int | None = Field(None, le=MAX_ID, description="客群 / a saved audience (default: every customer); "
                                                                 'a body may give "audience": "ID" or "ID:VERSION"')
    audience_version: int | None = Field(None, le=MAX_ID, description="客群版本 / its version (default: the latest)")
    top_n: int | None = Field(None, le=MAX_ID, description="按倾向分取前 N 名 / the N highest propensities")
    size_cap: int | None = Field(None, le=MAX_ID, description="规模上限 / at most this many customers")
    control_share: float | None = Field(None, description="对照组比例 / share held back as the random control group "
                                                          "(default: marketing.control_share)")
    seed: int | None = Field(None, le=2**63 - 1, description="随机种子 / seed of the draw (default: marketing.seed)")
    cost_per_contact: float = Field(0.0, description="单次触达成本（元）/ cost of contacting one customer, in yuan")
    offer_product: str | None = Field(None, description="推荐产品 / the product offered (default: the target's)")

    #: The fields a new-campaign form sends (everything else in the form is ignored).
    FORM_FIELDS: ClassVar[tuple[str, ...]] = (
        "name", "target", "audience", "top_n", "size_cap", "control_share", "control_percent", "seed", "channel",
        "start_date", "end_date", "cost_per_contact", "offer_product")

    @model_validator(mode="before")
    @classmethod
    def _audience_text(cls, data: Any) -> Any:
        """``audience: "ID"`` or ``"ID:VERSION"`` in a body, as the form and the CLI write it."""
        if isinstance(data, Mapping) and "audience" in data:
            data = dict(data)
            ref = AudienceRef.parse(data.pop("audience"))
            if ref is not None:
                data.setdefault("audience_id", ref.id)
                data.setdefault("audience_version", ref.version)
        return data

    @field_validator("offer_product", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def audience(self) -> AudienceRef | None:
        return None if self.audience_id is None else AudienceRef.model_construct(id=self.audience_id,
                                                                                   version=self.audience_version)

    @classmethod
    def checked(cls, **fields: Any) -> CampaignSpec:
        """The spec from typed values (the CLI's options), with a bilingual message for a wrong one."""
        try:
            return cls(**fields)
        except ValidationError as exc:
            raise InputError(problems(exc)) from None

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> CampaignSpec:
        """The spec from a form's text fields, with a bilingual message naming the first field that is wrong."""
        text = {k: str(v) for k, v in form.items() if k in cls.FORM_FIELDS and v is not None}
        ref = AudienceRef.parse(text.get("audience"))
        return cls.checked(
            name=text.get("name", ""), target=text.get("target", ""), channel=text.get("channel", ""),
            start_date=_form_date(text, "start_date"), end_date=_form_date(text, "end_date"),
            audience_id=ref.id if ref else None, audience_version=ref.version if ref else None,
            top_n=_form_int(text, "top_n"), size_cap=_form_int(text, "size_cap"),
            control_share=_control_share(text), seed=_form_int(text, "seed"),
            cost_per_contact=_form_float(text, "cost_per_contact") or 0.0,
            offer_product=text.get("offer_product") or None,
        )


def problems(exc: ValidationError) -> str:
    """A model's validation errors as one line: each field with what was wrong."""
    return "输入有误 / invalid input — " + "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ())) or 'input'}: {e.get('msg')}" for e in exc.errors())


def _control_share(form: Mapping[str, str]) -> float | None:
    """The control share of a form: typed by staff as a percentage (``control_percent``: 20 for 20%), or as a
    share (``control_share``: 0.2) by a script posting the old field."""
    percent = _form_float(form, "control_percent")
    return percent / 100 if percent is not None else _form_float(form, "control_share")


def _form_int(form: Mapping[str, str], key: str) -> int | None:
    value = form.get(key, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{key} 须为整数 / {key} must be a whole number, got {value!r}") from None


def _form_float(form: Mapping[str, str], key: str) -> float | None:
    value = form.get(key, "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise InputError(f"{key} 须为数字 / {key} must be a number, got {value!r}") from None


def _form_date(form: Mapping[str, str], key: str) -> date:
    value = form.get(key, "").strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{key} 须为日期 YYYY-MM-DD / {key} must be a date YYYY-MM-DD, got {value!r}") from None


class AudienceRule(BaseModel):
    """A rule to count (nothing is saved)."""

    rule: str = Field("", max_length=RULE_MAX_LENGTH, description="规则 / a boolean expression over the documented columns (docs/rules.md)")


class NewAudience(AudienceRule):
    """A new saved audience (its version 1)."""

    name: str = Field("", max_length=200)
    description: str = Field("", max_length=2000)


class NewAudienceVersion(AudienceRule):
    """A new version of a saved audience: a new rule and why."""

    note: str = Field("", max_length=2000)


class TaskOutcome(BaseModel):
    """What came of a manager's task: contacted, interested, converted, refused or unreachable, with a note."""

    outcome: str = Field("", max_length=32)
    note: str = Field("", max_length=2000)
    #: Required with "interested": the day to follow up (the task stays in the list and is due again then).
    follow_up_on: date | None = None


class Reassignment(BaseModel):
    """Branch heads: hand campaign members to another manager of the branch, with a reason."""

    customer_ids: list[str] = Field(default_factory=list, max_length=10_000)
    to_staff_id: str = Field("", max_length=64)
    reason: str = Field("", max_length=500)


class CampaignEnding(BaseModel):
    """Closing or cancelling a campaign: why (kept with the campaign and in the audit log)."""

    reason: str = Field("", max_length=500, description="原因 / why the campaign ends")
