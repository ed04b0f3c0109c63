"""What the service-quality use cases give back: typed rows shared by the pages, the JSON API and the CLI."""

from __future__ import annotations

from typing_extensions import TypedDict

from finecrm.services.common import PageInfo


class ComplaintRow(TypedDict):
    """A complaint as lists show it: the caller's name and phone masked, the deadline in the bank's calendar."""

    id: int
    channel: str
    customer_id: str | None
    caller_name: str | None  # masked
    caller_phone: str | None  # masked
    category: str
    branch_id: str
    staff_id: str | None
    description: str
    recorded_by: str
    received_at: str
    due_on: str
    status: str
    assignee: str | None
    escalation_level: int
    escalated_at: str | None
    first_replied_at: str | None
    replied_on_time: bool | None
    appeals: int
    closed_at: str | None
    overdue: bool  # still to answer and past its deadline (bank's date of the clock)
    overdue_working_days: int


class ComplaintEventRow(TypedDict):
    id: int
    at: str
    kind: str
    actor: str
    note: str | None
    details: dict[str, object] | None


class ComplaintDetail(TypedDict):
    complaint: ComplaintRow
    events: list[ComplaintEventRow]
    handlers: list[str]  # users the principal may assign it to


class ComplaintPage(PageInfo):
    rows: list[ComplaintRow]


class EscalationRun(TypedDict):
    """What one pass of the escalation did (``finecrm service escalate`` or a read of the queue)."""

    checked: int
    escalated: list[dict[str, int]]  # complaint id and its new level


class SurveyRow(TypedDict):
    id: int
    name: str
    kind: str  # drawn | imported
    strata: str
    sample_size: int
    responded: int
    seed: int
    branch_id: str | None
    created_by: str
    created_at: str
    snapshot: str | None


class SurveyLink(TypedDict):
    customer_id: str
    token: str  # shown once: only its hash is stored


class DrawnSurvey(TypedDict):
    survey: SurveyRow
    links: list[SurveyLink]


class Cell(TypedDict):
    """A dimension's score in one group: respondents, satisfied share (mean ≥ 4) with its 95% Wilson interval,
    the mean score (1–5) with its 95% interval."""

    n: int
    satisfied: int
    share: float | None
    share_low: float | None
    share_high: float | None
    mean: float | None
    mean_low: float | None
    mean_high: float | None


class DimensionResult(TypedDict):
    dimension: str
    zh: str
    en: str
    all: Cell
    by_branch: dict[str, Cell]


class ResponseRate(TypedDict):
    sample: int
    responded: int
    rate: float | None
    low: float | None
    high: float | None


class SurveyComment(TypedDict):
    branch_id: str | None
    text: str


class SurveyResults(TypedDict):
    survey: SurveyRow
    sample: int
    responded: int
    response_rate: float | None
    response_low: float | None
    response_high: float | None
    response_by_branch: dict[str, ResponseRate]
    branches: list[str]
    dimensions: list[DimensionResult]
    comments: list[SurveyComment]


class Satisfied(TypedDict):
    share: float | None
    n: int


class BranchQuality(TypedDict):
    """A branch's service-quality indicators over a period (docs/service.md, "指标 / indicators")."""

    branch_id: str
    customers: int
    complaints: int
    per_10k: float | None
    due: int
    on_time: int
    on_time_share: float | None
    overdue_now: int
    appeals: int
    satisfied: dict[str, Satisfied]
    asked: int
    responded: int
    response_rate: float | None


class StaffComplaints(TypedDict):
    staff_id: str
    complaints: int


class QualityReport(TypedDict):
    since: str
    until: str
    branches: list[BranchQuality]
    staff: list[StaffComplaints]


class FeedbackRow(TypedDict):
    id: int
    source: str
    complaint_id: int | None
    product_category: str
    need: str
    branch_id: str | None
    raised_by: str
    raised_at: str
    owner: str | None
    status: str
    answer: str | None
    answered_by: str | None
    answered_at: str | None


class AnswersStored(TypedDict):
    """How many answers a survey response stored."""

    answers: int
