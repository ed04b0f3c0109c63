"""Workbench (客户经理工作台): the record of every contact a manager has with a customer.

One row per contact, appended, never edited: who (staff id and user), when, how (channel), what came of it
(outcome, note, follow-up date) and why (the campaign task it served, when it served one). A campaign task's
outcome is written here by ``services.marketing.tasks.record_outcome``; the visits, calls, messages and
meetings of the work log (``services.workbench.worklog``) are the same rows with another ``kind``, the place,
purpose and next step, and a campaign only when recorded from a task. The customer 360's contact history,
the visit plan and the daily standard read this table only.

The task itself (``campaign_members.outcome`` …) keeps its current state — the last outcome and the
follow-up date it waits for — which the same call writes in the same transaction: the history is here, the
state is there, and neither is written anywhere else.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from finecrm.db.models.base import Base

#: What a contact was: a campaign task's outcome, or an entry of the work log.
CONTACT_KINDS = ("campaign_task", "visit", "call", "message", "meeting")


class Contact(Base):
    """One contact with a customer (联系记录)."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_customer", "customer_id", "at"),
        Index("ix_contacts_staff", "staff_id", "at"),
        Index("ix_contacts_campaign", "campaign_id", "customer_id"),
        Index("ix_contacts_kind_staff", "kind", "staff_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # CONTACT_KINDS
    channel: Mapped[str | None] = mapped_column(String(20))  # phone | sms | visit | wechat | lobby
    staff_id: Mapped[str | None] = mapped_column(String(40))  # the manager who made the contact
    recorded_by: Mapped[str] = mapped_column(String(64))  # the user who recorded it
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    branch_id: Mapped[str | None] = mapped_column(String(40))  # the customer's branch, for branch-level reports
    # The work log's own fields (empty on a campaign task's outcome):
    place: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(String(20))  # services.workbench.worklog.PURPOSES
    next_step: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(20))  # customer | task | plan | reminder: where it was recorded


#: Where a referral is: recorded (open), taken by the manager (accepted), followed up (worked: the outcome set).
REFERRAL_STATUSES = ("open", "accepted", "worked")


class Referral(Base):
    """A walk-in referred by the lobby (转介): an existing customer or a prospect, the interest, the manager it goes
    to, the follow-up deadline, and what the manager made of it.

    A prospect's name and phone are personal data: kept here as entered, shown masked on every list. The
    referral itself is kept (never deleted): the referrer's quota and the follow-up record read it.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_referrer", "referrer_staff_id", "created_at"),
        Index("ix_referrals_to", "to_staff_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))  # the user who recorded it
    referrer_staff_id: Mapped[str | None] = mapped_column(String(40))  # the lobby manager (credit goes to them)
    branch_id: Mapped[str | None] = mapped_column(String(40))  # where the walk-in came in
    customer_id: Mapped[str | None] = mapped_column(String(40))  # an existing customer, or None for a prospect
    prospect_name: Mapped[str | None] = mapped_column(String(100))  # personal data: masked on every list
    prospect_phone: Mapped[str | None] = mapped_column(String(30))  # personal data: masked on every list
    interest: Mapped[str] = mapped_column(String(20))  # services.workbench.referrals.INTERESTS
    note: Mapped[str | None] = mapped_column(Text)
    to_staff_id: Mapped[str] = mapped_column(String(40))  # the customer manager who follows it up
    due_on: Mapped[date] = mapped_column(Date)  # the follow-up deadline: the next working day
    status: Mapped[str] = mapped_column(String(20))  # REFERRAL_STATUSES
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(20))  # as the work log's outcomes
    outcome_note: Mapped[str | None] = mapped_column(Text)
