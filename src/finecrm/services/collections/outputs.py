"""What the collections use cases return (typed, so the JSON API can describe it)."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

from finecrm.services.common import PageInfo


class AssignResult(TypedDict):
    snapshot: str
    assigned: int
    ended: int
    unassigned: int
    collectors: int
    held: dict[str, int]


class AssignmentRow(TypedDict):
    id: int
    loan_id: str
    customer_id: str
    branch_id: str | None
    staff_id: str
    bucket: str | None
    assigned_by: str
    assigned_at: str
    reason: str | None
    ended_at: str | None
    ended_by: str | None
    end_reason: str | None


class QueueRow(TypedDict, total=False):
    """One loan of the queue, with people's work on it (assignment, last contact, next action)."""

    loan_id: str
    customer_id: str
    name: str | None
    branch_id: str | None
    product_code: str | None
    dpd: int
    bucket: str
    step: str
    outstanding_principal: float
    overdue_amount: float
    exposure: float
    roll_probability: float
    expected_loss: float
    priority_rank: int
    priority_reason: str
    collector: str | None
    last_contact_at: str | None
    days_since_contact: int | None
    next_action: str
    next_action_on: str | None
    promise: str | None


class QueuePage(PageInfo):
    rows: list[QueueRow]
    snapshot: str
    as_of: str | None


class ContactRow(TypedDict):
    id: int
    loan_id: str
    at: str
    username: str
    staff_id: str | None
    channel: str
    result: str
    notes: str | None
    next_step: str | None
    next_on: str | None
    template: str | None
    rendered_text: str | None


class PromiseRow(TypedDict):
    id: int
    contact_id: int
    loan_id: str
    customer_id: str
    staff_id: str | None
    amount: float
    made_on: str
    promised_on: str
    status: str  # pending | kept | broken
    paid: float


class ScheduleRow(TypedDict):
    due_date: str
    due_amount: float
    paid_date: str | None
    paid_amount: float
    is_overdue: bool


class LoanCard(TypedDict):
    snapshot: str
    as_of: str | None
    loan: QueueRow
    borrower: dict[str, Any]
    schedule: list[ScheduleRow]
    history: list[dict[str, Any]]
    contacts: list[ContactRow]
    promises: list[PromiseRow]
    assignments: list[AssignmentRow]


class Rendered(TypedDict):
    loan_id: str
    template: str
    text: str


class BucketCell(TypedDict):
    bucket: str
    collector: str | None
    loans: int
    overdue: float
    exposure: float
    expected_loss: float


class RollCell(TypedDict):
    from_bucket: str
    to_bucket: str
    loans: int
    rate: float


class Oversight(TypedDict):
    snapshot: str
    as_of: str | None
    buckets: list[str]
    by_bucket: list[BucketCell]
    unassigned: list[QueueRow]
    top: list[QueueRow]
    broken: list[PromiseRow]
    rolls: list[RollCell]
    roll_states: list[str]
    collectors: list[dict[str, Any]]
    promise_kept_rate: float | None
