"""Campaigns (营销活动): the draw as recorded, member counts and pages, assignment, and managers' tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from finecrm.services.common import PageInfo
from finecrm.services.marketing.outputs._common import Arm, Bilingual, Decile, Masked, Score, SnapshotRef


class DrawCounts(TypedDict):
    """How many customers were eligible (candidates) and drawn, by arm."""

    candidates: int
    members: int
    treatment: int
    control: int


class StratumDraw(TypedDict):
    members: int
    control: int


class DrawMethod(TypedDict):
    """How the control group was drawn (reproducible from the seed)."""

    method: str
    seed: int
    control_share: float
    sorted_by: str


class ListRule(TypedDict):
    """How the list was chosen: who was eligible, who already held the product, order and cap."""

    eligibility: str
    never_held: str
    order: str | None
    cap: str | None
    scope: Annotated[str, Field(description="all 全行 / creator's scope 创建人范围")]


class ListStep(TypedDict):
    """One step of drawing the list: how many customers are left after it, and how many it removed."""

    step: Annotated[str, Field(description="audience, all_customers, in_scope, eligible, suitable, never_held, "
                                           "scored, top_n or size_cap")]
    zh: str
    en: str
    remaining: Annotated[int, Field(description="此步后剩余 / customers left after this step")]
    removed: Annotated[int, Field(description="此步去掉 / customers this step removed")]


class CampaignPreview(TypedDict):
    """What a campaign would draw (nothing saved): each step's count, then the arms; or why it cannot be drawn."""

    steps: list[ListStep]
    members: int
    treatment: int
    control: int
    strata: dict[str, StratumDraw]
    control_share: float
    seed: int
    snapshot: str
    error: Annotated[str | None, Field(description="无法抽取的原因 / why this list cannot be drawn (None: it can)")]


class Closing(TypedDict):
    """How a campaign ended: closed (结束) or cancelled before its start (取消), by whom, when and why."""

    status: Annotated[str, Field(description="closed 已结束 / cancelled 已取消")]
    by: str
    at: str
    reason: str
    end_date_was: str
    tasks_withdrawn: Annotated[int, Field(description="撤回的未完成任务 / open tasks that stopped being due")]


class AudienceUsed(TypedDict):
    id: int
    version: int
    rule: str


class DetectionWindow(TypedDict):
    """首次出现在此窗口内才算转化 / a first appearance counts as a conversion within these days."""

    start: str
    end: str
    horizon_days: int


class Detection(TypedDict):
    """Conversions detected from the published snapshot (识别转化), the same rule for both arms."""

    campaign_id: int
    snapshot: str
    as_of: str
    window: DetectionWindow
    complete: Annotated[bool, Field(description="窗口已结束 / the snapshot reaches the window's end (final)")]
    members: int
    converted: Annotated[dict[str, int], Field(description="各组转化数 / conversions by arm")]
    adopted_before_start: Annotated[int, Field(description="开始前已办理 / took the product before the start")]
    adopted_after_window: Annotated[int, Field(description="窗口后才办理 / took it after the window")]
    changed: Annotated[int, Field(description="本次变更的客户数 / members whose conversion changed in this run")]
    detected_at: str


class CampaignDetails(TypedDict):
    """What the draw recorded, so a campaign can be explained and reproduced later."""

    snapshot: SnapshotRef
    counts: Annotated[DrawCounts | None, Field(description="抽取时的全行数字；仅对可见全部成员者提供 / the draw's "
                                                          "bank-wide numbers; only for those who see every member")]
    strata: Annotated[dict[str, StratumDraw], Field(description="按层级（分层抽样）/ by tier, the draw's strata "
                                                                "(bank-wide: empty for a scoped role)")]
    draw: DrawMethod
    list: ListRule
    audience: AudienceUsed | None
    horizon_days: int
    detection: NotRequired[Detection]
    steps: NotRequired[list[ListStep]]
    closing: NotRequired[Closing]


class CampaignDoc(TypedDict):
    """A campaign (营销活动): what is offered, through which channel, when, and how its list was drawn."""

    id: int
    name: str
    target: str
    target_zh: str
    target_en: str
    offer_product: str | None
    audience_id: int | None
    audience_version: int | None
    top_n: int | None
    size_cap: int | None
    control_share: Annotated[float, Field(description="对照组比例 / share held back as the random control")]
    seed: int
    channel: str
    channel_zh: str
    channel_en: str
    start_date: date | None
    end_date: date | None
    cost_per_contact: Annotated[float, Field(description="单次触达成本（元）/ cost of one contact, yuan")]
    status: Annotated[str, Field(description="draft 草稿 / assigned 已分配 / closed 已结束")]
    build_id: str | None
    created_by: str
    created_at: datetime
    details: CampaignDetails


class ArmCount(TypedDict):
    members: int
    assigned: int
    outcomes: Annotated[int, Field(description="已登记结果 / with an outcome recorded")]
    converted: Annotated[int, Field(description="识别到的转化 / detected conversions")]


class StratumCount(TypedDict):
    stratum: str
    treatment: int
    control: int


class AssigneeCount(TypedDict):
    staff_id: str
    members: int


class MemberCounts(TypedDict):
    """A campaign's members in your scope by arm, stratum, assignee and outcome."""

    members: int
    arms: dict[str, ArmCount]
    strata: list[StratumCount]
    assignees: list[AssigneeCount]
    unassigned_treatment: int
    outcomes: dict[str, int]


class CampaignSummary(CampaignDoc):
    """A campaign in the list, with its member counts in your scope."""

    counts: MemberCounts


class CampaignInScope(CampaignSummary):
    """A campaign with its counts in your scope."""

    scope: Annotated[str, Field(description="all 全部成员 / branch 本机构成员")]


class MemberRow(TypedDict):
    """A campaign member (masked): arm, stratum, assignment, outcome and detected conversion."""

    customer_id: str
    name: Masked
    phone: Masked
    arm: Arm
    stratum: Annotated[str, Field(description="抽样层（层级）/ the draw's stratum (tier)")]
    branch_id: str | None
    grid_id: str | None
    manager_id: Annotated[str | None, Field(description="抽样时的管户经理 / own manager at draw time")]
    score: Score
    decile: Decile
    assigned_to: str | None
    assigned_by: str | None
    assigned_at: datetime | None
    outcome: str | None
    outcome_at: datetime | None
    converted_on: Annotated[date | None, Field(description="识别到的转化日 / the detected conversion's day")]
    follow_up_on: Annotated[date | None, Field(description="跟进日期 / follow-up date")]


class MemberPage(PageInfo):
    """A page of a campaign's members in your scope."""

    rows: list[MemberRow]


class CampaignDetail(CampaignInScope):
    """A campaign with counts in your scope and a page of its members."""

    members: MemberPage


class StaffLoad(TypedDict):
    staff_id: str
    name: str | None
    members: Annotated[int, Field(description="本活动中负责的客户 / members of this campaign they hold")]


class UnassignedReasons(TypedDict):
    no_active_manager: int
    managers_full: Annotated[int, Field(description="经理已满额 / every eligible manager is at capacity")]


class Assignment(TypedDict):
    """Treatment members handed out (own manager first, then the grid's), within capacity."""

    campaign_id: int
    capacity: Annotated[int, Field(description="每位经理上限 / members per manager at most")]
    assigned: int
    own_manager: int
    grid_manager: int
    unassigned: int
    unassigned_reasons: UnassignedReasons
    per_staff: list[StaffLoad]


class Reassigned(TypedDict):
    """Members moved to another manager of the branch; warnings say when capacity is exceeded."""

    campaign_id: int
    to_staff_id: str
    moved: int
    unchanged: int
    warnings: list[str]


# --- tasks -------------------------------------------------------------------------------------------------------


class TaskRow(TypedDict):
    """A manager's campaign task with its talking points (masked).

    ``why`` is what was kept with the member at draw time (target, product, score, tier, AUM band, lifecycle —
    the band only with view_balances); it is stored JSON and shown as written: an open object.
    """

    campaign_id: int
    campaign_name: str
    customer_id: str
    name: Masked
    phone: Masked
    channel: str
    channel_zh: str
    channel_en: str
    start_date: date | None
    end_date: date | None
    product_code: str | None
    product_name: str | None
    score: Score
    decile: Decile
    tier: str
    why: dict[str, Any]
    talking_points: Annotated[list[Bilingual], Field(description="话术要点 / what to say, line by line")]
    outcome: str | None
    outcome_zh: str | None
    outcome_note: str | None
    outcome_at: datetime | None
    assigned_at: datetime | None
    converted_on: date | None
    follow_up_on: Annotated[date | None, Field(description="跟进日期（有意向的客户）/ follow-up date (interested)")]
    due_on: Annotated[date | None, Field(description="应办日期：跟进日期，否则活动开始日 / the day the task is due: "
                                                      "its follow-up date, else the campaign's start")]
    state: Annotated[str, Field(description="due 今日应办 | upcoming 未到期 | done 已完成")]


class TaskPage(PageInfo):
    """A page of your tasks."""

    rows: list[TaskRow]


class OutcomeRecorded(TypedDict):
    """An outcome recorded on a task (the previous one, if any)."""

    campaign_id: int
    customer_id: str
    outcome: str
    previous: str | None
    outcome_at: datetime
    follow_up_on: date | None


class TaskCall(TypedDict):
    """A task's customer phone in clear, revealed to call them (the reveal is audited with the task)."""

    campaign_id: int
    customer_id: str
    phone: str | None


class ManagerProgress(TypedDict):
    """One manager's progress in a campaign (or every campaign), counted in the viewer's scope."""

    staff_id: str
    name: Annotated[str | None, Field(description="客户经理姓名 / the manager's name")]
    assigned: int
    contacted: Annotated[int, Field(description="已登记联系上的结果（联系不上除外）/ an outcome other than unreachable")]
    interested: int
    converted: Annotated[int, Field(description="数据中已发现成交 / conversion found in the data")]
    due: int
    overdue: Annotated[int, Field(description="跟进日已过或活动已结束仍未完成 / open past its follow-up or the "
                                               "campaign's end")]
