"""What the workbench's use cases return (typed, so the JSON API can describe it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from finecrm.services.common import PageInfo


class PlanRow(TypedDict):
    """One customer of a manager's visit plan this month, with what the contact log says of it."""

    customer_id: str
    name: Annotated[str | None, Field(description="姓名（脱敏）/ name, masked")]
    manager_id: str
    manager_name: str | None
    tier: str
    frequency_months: Annotated[int, Field(description="走访间隔（月）/ months between visits")]
    cycle_start: date
    due_by: date
    last_visit: Annotated[date | None, Field(description="最近一次走访（本周期及上周期内）/ last visit (this or the "
                                                          "previous cycle)")]
    status: Annotated[str, Field(description="done 已走访 | due 待走访 | overdue 逾期（上周期也未走访）")]


class PlanStats(TypedDict):
    """A manager's plan of the month in numbers (月访客户计划统计)."""

    manager_id: str
    manager_name: str | None
    planned: int
    done: int
    due: int
    overdue: int
    completion: Annotated[float | None, Field(description="完成率 = 已走访 ÷ 计划 / done ÷ planned")]


class PlanPage(PageInfo):
    plan_month: date | None
    rows: list[PlanRow]
    stats: list[PlanStats]


class LogRow(TypedDict):
    """One entry of the work log as the list shows it."""

    id: int
    at: datetime
    kind: str
    customer_id: str
    name: str | None
    staff_id: str | None
    staff_name: str | None
    place: str | None
    purpose: str | None
    outcome: str | None
    note: str | None
    next_step: str | None
    follow_up_on: date | None
    campaign_id: int | None
    source: str | None


class LogPage(PageInfo):
    rows: list[LogRow]


class LogRecorded(TypedDict):
    id: int
    customer_id: str
    kind: str
    at: datetime
    counts_as: Annotated[str | None, Field(description="计入每日标准的哪一项 / new_visit, existing_visit, call or "
                                                       "none")]


class StandardDay(TypedDict):
    """One working day of a manager's daily standard (每日工作标准): done against the targets."""

    day: date
    working_day: bool
    new_visits: int
    existing_visits: int
    calls: int
    new_visits_target: int
    existing_visits_target: int
    calls_target: int
    met: Annotated[bool, Field(description="三项都达标 / all three reached")]


class ReminderRow(TypedDict, total=False):
    """One reminder: the customer (name masked), why, and when."""

    customer_id: str
    name: str | None
    kind: Annotated[str, Field(description="maturity 到期 | birthday 生日 | outflow 资金流出 | dormant_risk 沉睡风险 | "
                                           "tier_drop 层级将下调")]
    ref: str
    reminder_date: date
    days_left: Annotated[int, Field(description="距构建日天数 / days from the build date")]
    product_name: str | None
    amount: Annotated[float | None, Field(description="涉及金额（可见金额的角色）/ the amount at stake (roles that see "
                                                      "money)")]
    reason_zh: str
    reason_en: str
    purpose: Annotated[str, Field(description="登记日志时建议的目的 / the work log purpose it suggests")]


class ReminderPage(PageInfo):
    rows: list[ReminderRow]


class ReferralRow(TypedDict):
    """A referral as lists show it: the customer or the prospect (masked), the interest, who and by when."""

    id: int
    created_at: datetime
    referrer_staff_id: str | None
    referrer_name: str | None
    customer_id: Annotated[str | None, Field(description="已有客户的客户号；潜在客户为空 / empty for a prospect")]
    name: Annotated[str | None, Field(description="姓名（脱敏）/ name, masked")]
    phone: Annotated[str | None, Field(description="潜在客户电话（脱敏）/ a prospect's phone, masked")]
    interest: str
    note: str | None
    to_staff_id: str
    to_name: str | None
    due_on: Annotated[date, Field(description="跟进截止日（下一个工作日）/ follow up by (the next working day)")]
    status: Annotated[str, Field(description="open | accepted | worked")]
    state: Annotated[str, Field(description="due 待跟进 | overdue 逾期未跟进 | done 已跟进")]
    accepted_at: datetime | None
    worked_at: datetime | None
    outcome: str | None
    outcome_note: str | None


class ReferralLists(TypedDict):
    made: Annotated[list[ReferralRow], Field(description="本人近 30 天登记的转介 / yours of the last 30 days")]
    to_me: Annotated[list[ReferralRow], Field(description="转给本人的（未跟进的在前）/ sent to you, open first")]
    today_count: int
    quota: Annotated[int, Field(description="每日转介目标 / referrals a day (a target)")]
    working_day: bool


class ReferralState(TypedDict):
    id: int
    status: str
    outcome: str | None
    worked_at: datetime | None
