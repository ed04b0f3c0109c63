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
