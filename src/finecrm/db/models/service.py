"""Service quality (服务质量): complaints and requests handled to a deadline, and every step of them.

A complaint (``service_complaints``) holds its current state — status, who handles it, the deadline, the
escalation level — and the events (``service_complaint_events``) hold its history, appended and never edited:
recorded, assigned, replied, escalated, accepted, appealed. The use case that changes the state writes the event
and the audit row in the same transaction (``services.service.complaints``), so the history is here and the
state there, and neither is written anywhere else.

The complaint carries the customer's branch, manager and grid as they were when it was recorded, so the row
scopes by itself (``authz.customer_in_scope``) without the snapshot: ``branch_id`` is the branch the complaint
concerns (the one that answers for it), which is the customer's own branch unless the intake says otherwise.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from finecrm.db.models.base import Base

#: Where a complaint came in: the lobby, a customer manager, the phone line, a file of the bank's hotline.
CHANNELS = ("lobby", "manager", "phone", "import")
#: open → assigned → replied → closed (accepted); an appeal turns replied (or closed) back into appealed.
STATUSES = ("open", "assigned", "replied", "appealed", "closed")


class Complaint(Base):
    """One complaint or request (投诉/诉求) and its current state."""

    __tablename__ = "service_complaints"
    __table_args__ = (
        Index("ix_service_complaints_branch", "branch_id", "status", "due_on"),
        Index("ix_service_complaints_customer", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(12))  # CHANNELS
    customer_id: Mapped[str | None] = mapped_column(String(40))  # None: an unidentified caller
    caller_name: Mapped[str | None] = mapped_column(String(60))  # an unidentified caller's name (personal data)
    caller_phone: Mapped[str | None] = mapped_column(String(30))  # … and phone number (personal data)
    category: Mapped[str] = mapped_column(String(40))  # service.complaints.categories
    branch_id: Mapped[str] = mapped_column(String(40))  # the branch concerned
    staff_id: Mapped[str | None] = mapped_column(String(40))  # the staff member concerned, if any
    manager_id: Mapped[str | None] = mapped_column(String(40))  # the customer's manager when recorded
    grid_id: Mapped[str | None] = mapped_column(String(40))  # the customer's grid when recorded
    description: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date)  # the last working day the answer is due on (bank's calendar)
    status: Mapped[str] = mapped_column(String(12))  # STATUSES
    assignee: Mapped[str | None] = mapped_column(String(64))  # the user handling it
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)  # 0, 1 branch head, 2 head office
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replied_on_time: Mapped[bool | None] = mapped_column(Boolean)  # the first answer by the first deadline
    appeals: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ComplaintEvent(Base):
    """One step of a complaint (处理记录): appended, never edited."""

    __tablename__ = "service_complaint_events"
    __table_args__ = (Index("ix_service_complaint_events_complaint", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("service_complaints.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(20))  # recorded | assigned | replied | escalated | accepted | appealed
    actor: Mapped[str] = mapped_column(String(64))  # a user, or system:escalation
    note: Mapped[str | None] = mapped_column(Text)  # what was said: the reply, the appeal, the reason
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Survey(Base):
    """A satisfaction survey (满意度调查): its questionnaire as it was when drawn, and how its sample was drawn."""

    __tablename__ = "service_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12))  # drawn (a sample finecrm drew) | imported (a file of answers)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # the template's questions, frozen
    strata: Mapped[str] = mapped_column(String(12))  # none | branch | tier: how the sample was stratified
    sample_size: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    branch_id: Mapped[str | None] = mapped_column(String(40))  # drawn within this branch's subtree (None: all)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    snapshot: Mapped[str | None] = mapped_column(String(64))  # the snapshot the sample was drawn from


class SurveyMember(Base):
    """One customer of a survey's sample (the sample recorded), with the hash of their link's one-use token."""

    __tablename__ = "service_survey_members"
    __table_args__ = (Index("ix_service_survey_members_survey", "survey_id", "branch_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("service_surveys.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(String(40))
    branch_id: Mapped[str | None] = mapped_column(String(40))
    manager_id: Mapped[str | None] = mapped_column(String(40))
    grid_id: Mapped[str | None] = mapped_column(String(40))
    tier: Mapped[str | None] = mapped_column(String(40))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 of the link's token
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_via: Mapped[str | None] = mapped_column(String(12))  # link | staff | import
    entered_by: Mapped[str | None] = mapped_column(String(64))  # the staff member who entered the answers


class SurveyAnswer(Base):
    """One answer to one question: a score on the scale, or free text."""

    __tablename__ = "service_survey_answers"
    __table_args__ = (Index("ix_service_survey_answers_survey", "survey_id", "question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("service_surveys.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("service_survey_members.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(40))
    dimension: Mapped[str] = mapped_column(String(20))
    score: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)


class FeedbackItem(Base):
    """A customer's need or a product problem noted by staff (需求反馈), routed to the product owner of its
    category, with its status and the answer given back to the branch."""

    __tablename__ = "service_feedback"
    __table_args__ = (Index("ix_service_feedback_owner", "status", "product_category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(12))  # FEEDBACK_SOURCES
    complaint_id: Mapped[int | None] = mapped_column(Integer)  # the complaint it came from, if any
    product_category: Mapped[str] = mapped_column(String(20))
    need: Mapped[str] = mapped_column(Text)  # what the customer needs, as staff wrote it
    branch_id: Mapped[str | None] = mapped_column(String(40))  # where it was noted
    raised_by: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    owner: Mapped[str | None] = mapped_column(String(64))  # the product owner it was routed to (None: the team)
    status: Mapped[str] = mapped_column(String(12))  # open | answered | declined
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


#: Where a need was noted: the work log of a visit or call, a complaint, a grid member, a member of staff.
FEEDBACK_SOURCES = ("work_log", "complaint", "grid", "staff")
