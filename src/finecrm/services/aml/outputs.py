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


class TriageState(TypedDict):
    """Where an alert stands: new, dismissed (with the reason) or in a case."""

    state: Annotated[str, Field(description="new（待研判）| dismissed（已排除）| case（已立案）")]
    case_id: int | None
    reason: str | None
    by: str | None
    at: str | None


class CaseRow(TypedDict):
    """A case: its state, its deadline and the decision proposed or made."""

    id: int
    title: str
    status: Annotated[str, Field(description="open（调查中）| proposed（待复核）| reported（已上报）| closed（不上报结案）")]
    customer_id: str | None
    branch_id: str | None
    opened_by: str
    opened_at: str
    due_on: str
    overdue: bool
    alerts: int
    proposal: str | None
    proposal_text: str | None
    proposed_by: str | None
    proposed_at: str | None
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None
    retain_until: str | None


class CasePage(PageInfo):
    """A page of cases."""

    rows: list[CaseRow]


class CaseEventRow(TypedDict):
    """One thing that happened to a case."""

    id: int
    kind: str
    alert_id: str | None
    text: str | None
    by: str
    at: str


class CaseFile(TypedDict):
    """A case with its alerts (as the snapshot has them), every party of those alerts and its history."""

    snapshot: str
    case: CaseRow
    alerts: list[AlertRow]
    parties: list[PartyRow]
    events: list[CaseEventRow]
