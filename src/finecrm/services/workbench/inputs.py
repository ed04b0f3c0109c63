"""What the workbench's use cases take: typed once, shared by the HTML form and the JSON API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from finecrm.services.common import MAX_ID


class LogEntry(BaseModel):
    """One entry of the work log (工作日志): a visit, call, message or meeting with a customer.

    Types are checked here; the codes, the time (not in the future, at most ``worklog.BACKDATE_DAYS`` back)
    and the follow-up date are checked by the use case, which says in both languages what is wrong.
    """

    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(min_length=1, max_length=64, description="客户号 / the customer's id")
    kind: str = Field(max_length=20, description="方式 / visit, call, message or meeting")
    at: datetime | None = Field(None, description="时间（银行当地时间，不填为现在）/ when, in the bank's time zone "
                                                  "(blank: now)")
    place: str = Field("", max_length=200, description="地点 / where")
    purpose: str = Field(max_length=20, description="目的 / relationship, marketing, service, maturity, "
                                                    "collection or other")
    note: str = Field("", max_length=2000, description="内容 / what was said and done")
    outcome: str = Field(max_length=20, description="结果 / reached, interested, agreed, declined or unreachable")
    next_step: str = Field("", max_length=500, description="下一步 / the next step")
    follow_up_on: date | None = Field(None, description="下次跟进日期 / when to follow up")
    campaign_id: int | None = Field(None, ge=1, le=MAX_ID, description="营销任务的活动编号 / the campaign of the task "
                                                                      "this serves")
    source: str = Field("customer", max_length=20, description="从哪里登记 / customer, task, plan, reminder or log")
