"""Marketing: saved audiences with their versions, campaigns and their members."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from finecrm.db.models.base import Base


class Audience(Base):
    """A saved target list (目标客群): a name and its versions. The rule lives in the versions; an edit
    adds a version, so a campaign keeps pointing at exactly the list it was drawn from."""

    __tablename__ = "audiences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AudienceVersion(Base):
    """One version of an audience's rule (a boolean expression checked by ``finecrm.rules``), with the
    count and AUM it had against the snapshot it was saved on."""

    __tablename__ = "audience_versions"

    audience_id: Mapped[int] = mapped_column(ForeignKey("audiences.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    build_id: Mapped[str | None] = mapped_column(String(64))  # snapshot the counts below were taken on
    customers: Mapped[int | None] = mapped_column(BigInteger)
    aum: Mapped[float | None] = mapped_column(JSON)  # a float; JSON keeps SQLite and PostgreSQL alike


class Campaign(Base):
    """A marketing campaign (营销活动): product, list, control group, channel, period and cost.

    ``status``: draft (members drawn) → assigned (tasks handed out) → closed. The seed, control share and
    the snapshot the list was drawn from are kept, so the draw can be repeated and checked.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    target: Mapped[str] = mapped_column(String(40))  # marketing.targets[].code
    offer_product: Mapped[str | None] = mapped_column(String(40))
    audience_id: Mapped[int | None] = mapped_column(ForeignKey("audiences.id"))
    audience_version: Mapped[int | None] = mapped_column(Integer)
    top_n: Mapped[int | None] = mapped_column(Integer)  # the N highest propensities (within the audience)
    size_cap: Mapped[int | None] = mapped_column(Integer)
    control_share: Mapped[float] = mapped_column(JSON)
    seed: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(20))  # phone | sms | visit | wechat | lobby
    start_date: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_date: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cost_per_contact: Mapped[float] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    build_id: Mapped[str | None] = mapped_column(String(64))  # snapshot the list was drawn from
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    details: Mapped[dict | None] = mapped_column(JSON)  # counts by arm and stratum, draw parameters


class CampaignMember(Base):
    """One customer of a campaign: the arm drawn for them, who works them, and what happened.

    Control members are never assigned or contacted. ``outcome`` is what the manager recorded
    (contacted / interested / converted / refused / unreachable); ``converted_on`` is what later data
    shows (the product or signup appeared on or after the campaign's start), so the evaluation does not
    rest on self-reporting. Every outcome is also a row of ``contacts`` (the history); these columns are
    the task's current state.
    """

    __tablename__ = "campaign_members"
    __table_args__ = (
        Index("ix_campaign_members_assignee", "assigned_to", "campaign_id"),
        Index("ix_campaign_members_branch", "campaign_id", "branch_id"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    arm: Mapped[str] = mapped_column(String(10))  # treatment | control
    stratum: Mapped[str] = mapped_column(String(40))  # tier at draw time
    branch_id: Mapped[str | None] = mapped_column(String(40))
    grid_id: Mapped[str | None] = mapped_column(String(40))
    manager_id: Mapped[str | None] = mapped_column(String(40))  # the customer's own manager at draw time
    score: Mapped[float | None] = mapped_column(JSON)  # propensity at draw time
    decile: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)  # talking points: why this customer, which product
    assigned_to: Mapped[str | None] = mapped_column(String(40))  # staff_id
    assigned_by: Mapped[str | None] = mapped_column(String(64))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    outcome_by: Mapped[str | None] = mapped_column(String(64))
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    converted_on: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: For an "interested" outcome: the day the manager follows up; the task is upcoming until then, due after.
    follow_up_on: Mapped[date | None] = mapped_column(Date)
