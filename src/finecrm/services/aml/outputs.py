"""What the AML use cases return (typed once for the pages and the JSON API)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from finecrm.services.common import PageInfo


class RuleCount(TypedDict):
    """Alerts of one typology rule in scope."""

    rule: str
    alerts: int
    customers: int


class AlertRow(TypedDict):
    """An alert: its rule, the main customer and account, the evidence in numbers and in a sentence."""

    alert_id: str
    rule: str
    rule_zh: str
    rule_en: str
    customer_id: str | None
    account_id: str | None
    branch_id: str | None
    staff_id: Annotated[str | None, Field(description="内部人员预警所指员工 / the staff member an insider alert names")]
    alert_date: date
    first_date: date | None
    last_date: date | None
    n_in: int | None
    amount_in: float | None
    n_out: int | None
    amount_out: float | None
    score: Annotated[float, Field(description="50 = 刚达到阈值，100 = 两倍于阈值 / 50 at the thresholds, 100 at twice")]
    evidence_zh: str
    evidence_en: str


class AlertPage(PageInfo):
    """A page of alerts."""

    rows: list[AlertRow]


class PartyRow(TypedDict):
    """An account, customer or staff member involved in an alert."""

    party_id: str
    role: Annotated[str, Field(description="main / counterpart / staff")]
    party_type: str
    account_id: str | None
    customer_id: str | None
    staff_id: str | None
    in_bank: bool


class AlertDetail(TypedDict):
    """One alert with the parameters in force, its evidence transactions and its parties."""

    snapshot: str
    alert: AlertRow
    params: Annotated[str, Field(description="规则参数 / the rule's parameters, key=value")]
    txn_ids: list[str]
    parties: list[PartyRow]


class LargeValueRow(TypedDict):
    """A large-value report (PBoC 2016 No. 3): a customer's day, kind and direction that reaches the threshold."""

    customer_id: str
    customer_kind: str | None
    branch_id: str | None
    report_date: date
    report_kind: str
    direction: str
    currency: str | None
    amount: float
    threshold: float
    single: Annotated[bool, Field(description="单笔达到 / one transaction alone reaches it")]
    n_txns: int
    largest: float | None
    channels: str | None


class LargeValuePage(PageInfo):
    """A page of large-value reports."""

    rows: list[LargeValueRow]
