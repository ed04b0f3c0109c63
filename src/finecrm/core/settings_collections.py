"""Settings of collections (贷款催收) in finecrm.yaml (``collections:``): buckets of days past due with their strategy
step, roll rates, assignment to collectors, and the SMS and letter templates. Part of :class:`finecrm.core.settings.
Settings`, kept in a file of its own so that each settings file stays readable; validated at load like every other
setting (errors name the file, the key and what was expected)."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: The strategy steps of collections (催收策略), mildest first: SMS → phone → letter or visit → legal or third party.
COLLECTION_STEPS = ("sms", "phone", "letter_visit", "legal")
#: What a letter or message template may name (``{name}`` …); anything else in braces is refused at load.
TEMPLATE_FIELDS = ("name", "loan_id", "amount", "overdue_amount", "outstanding", "dpd", "due_date", "branch",
                   "branch_phone", "bank", "today")


class CollectionBucket(_Strict):
    """A bucket of days past due (逾期分段): loans more than the previous bucket's ``up_to_days`` and at most this
    one's; the last bucket has no upper bound (``up_to_days: null``)."""

    code: str = Field(pattern=r"^[A-Za-z0-9+_-]{1,8}$")
    up_to_days: int | None = Field(None, ge=1, le=3650)
    #: The strategy step worked in this bucket (one of COLLECTION_STEPS).
    step: Literal["sms", "phone", "letter_visit", "legal"]
    #: Days after a contact until the next one is due while the loan stays in this bucket.
    follow_up_days: int = Field(7, ge=1, le=90)


def _default_buckets() -> list[CollectionBucket]:
    return [CollectionBucket(code="M1", up_to_days=30, step="sms", follow_up_days=7),
            CollectionBucket(code="M2", up_to_days=60, step="phone", follow_up_days=5),
            CollectionBucket(code="M3", up_to_days=90, step="letter_visit", follow_up_days=7),
            CollectionBucket(code="M4+", up_to_days=None, step="legal", follow_up_days=14)]


class RollRateSettings(_Strict):
    #: A product's own roll rate is used for a bucket when at least this many of its loans were in the bucket at
    #: a month end with a next month to compare; below that the bank-wide rate of the bucket is used.
    min_loans: int = Field(30, ge=1, le=1_000_000)


class AssignmentSettings(_Strict):
    #: Assign the queue's unassigned loans to collectors after every build (also: ``finecrm collections assign``).
    after_build: bool = True
    #: Most loans one collector holds at a time; loans beyond every collector's capacity stay unassigned.
    capacity_per_collector: int = Field(200, ge=1, le=100_000)
    #: Buckets assigned to collectors automatically (a bank may give M4+ to its legal department instead).
    buckets: list[str] = ["M1", "M2", "M3", "M4+"]
    #: A collector takes only loans of their own branch and the branches below it (head-office collectors: all).
    by_branch: bool = True


class CollectionTemplates(_Strict):
    #: The reminder SMS (催收短信). Placeholders in braces: see TEMPLATE_FIELDS.
    sms: str = Field(("【{bank}】尊敬的{name}：您的贷款 {loan_id} 已逾期 {dpd} 天，逾期金额 {overdue_amount}，"
                      "请尽快还款。如有疑问请致电 {branch_phone}。"), min_length=1, max_length=500)
    #: The reminder letter (催收函), a printable page.
    letter: str = Field((
        "催收函\n\n{name}：\n\n您于本行借款的贷款（编号 {loan_id}）截至 {today} 已逾期 {dpd} 天，"
        "逾期金额 {overdue_amount}，贷款余额 {outstanding}。最早一期未还款项的应还日为 {due_date}。\n\n"
        "请您于收到本函之日起七日内到 {branch} 或通过本行其他渠道归还逾期款项。逾期未还将影响您的个人信用记录，"
        "本行将依法采取进一步措施。\n\n如已还款，请忽略本函。联系电话：{branch_phone}\n\n{bank}\n{today}"),
        min_length=1, max_length=5000)

    @field_validator("sms", "letter")
    @classmethod
    def _known_fields(cls, v: str) -> str:
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(v) if f is not None}
        except ValueError as exc:
            raise ValueError(f"a template with balanced braces is expected ({exc})") from None
        unknown = sorted(n for n in names if n not in TEMPLATE_FIELDS)
        if unknown:
            raise ValueError(f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; "
                             f"known: {', '.join('{' + n + '}' for n in TEMPLATE_FIELDS)}")
        return v


class CollectionSettings(_Strict):
    """Collections (贷款催收): buckets of days past due with their strategy step, roll rates, assignment to
    collectors, and the letter and SMS templates."""

    #: Buckets by days past due, in order; the last has ``up_to_days: null``.
    buckets: list[CollectionBucket] = Field(default_factory=_default_buckets)
    roll_rates: RollRateSettings = RollRateSettings()
    assignment: AssignmentSettings = AssignmentSettings()
    #: The phone number printed in letters and messages (the branch's collections desk).
    branch_phone: str = Field("0000-0000000", max_length=40)
    templates: CollectionTemplates = CollectionTemplates()

    @field_validator("buckets")
    @classmethod
    def _ordered(cls, v: list[CollectionBucket]) -> list[CollectionBucket]:
        if len(v) < 2:
            raise ValueError("at least two buckets are expected (e.g. M1 up to 30 days, M2+ beyond)")
        codes = [b.code for b in v]
        if len(set(codes)) != len(codes) or "M0" in codes:
            raise ValueError(f"bucket codes must be distinct and not M0 (current loans), got {codes}")
        bounds = [b.up_to_days for b in v]
        if bounds[-1] is not None or any(x is None for x in bounds[:-1]):
            raise ValueError("every bucket but the last needs up_to_days; the last has none (up_to_days: null)")
        ups = [int(x) for x in bounds[:-1] if x is not None]
        if ups != sorted(set(ups)):
            raise ValueError(f"up_to_days must increase from bucket to bucket, got {ups}")
        return v

    @model_validator(mode="after")
    def _assigned_buckets(self) -> CollectionSettings:
        codes = self.bucket_codes()
        unknown = [b for b in self.assignment.buckets if b not in codes]
        if unknown:
            raise ValueError(f"assignment.buckets names {unknown}, which are not buckets; the buckets are {codes}")
        return self

    def bucket_codes(self) -> list[str]:
        return [b.code for b in self.buckets]

