"""AML: the work on alerts — triage, cases that gather alerts, and the decision to report, made by two people.

The alerts themselves live in the snapshot (mart ``aml_alerts``) and are rebuilt every time; their ids name the
rule, the account and the day, so the triage and the cases stay attached to them from build to build.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from finecrm.db.models.base import Base


class AlertTriage(Base):
    """One triage decision on an alert: dismissed with a reason, put into a case, or reopened. Appended, never
    changed; an alert's state is its latest decision."""

    __tablename__ = "aml_alert_triage"
    __table_args__ = (Index("ix_aml_alert_triage_alert", "alert_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(160))
    rule: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str | None] = mapped_column(String(40))
    branch_id: Mapped[str | None] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(12))  # dismissed | case | reopened
    case_id: Mapped[int | None] = mapped_column(ForeignKey("aml_cases.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AmlCase(Base):
    """A case (可疑交易案件): alerts and their parties gathered for one decision — report as suspicious or close
    without a report. One officer proposes the decision, another approves it (never the same person); a decided
    case is kept until ``retain_until`` and nothing in the product deletes it."""

    __tablename__ = "aml_cases"
    __table_args__ = (Index("ix_aml_cases_status", "status", "due_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))  # open | proposed | reported | closed
    customer_id: Mapped[str | None] = mapped_column(String(40))  # the main customer (of the first alert)
    branch_id: Mapped[str | None] = mapped_column(String(40))
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date)
    proposal: Mapped[str | None] = mapped_column(String(12))  # report | no_report
    proposal_text: Mapped[str | None] = mapped_column(Text)  # the report's narrative, or why there is none
    proposed_by: Mapped[str | None] = mapped_column(String(64))
    proposed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
    retain_until: Mapped[date | None] = mapped_column(Date)


class CaseEvent(Base):
    """What happened to a case, in order: opened, an alert added, a note, a proposal, its approval or rejection."""

    __tablename__ = "aml_case_events"
    __table_args__ = (Index("ix_aml_case_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("aml_cases.id"))
    kind: Mapped[str] = mapped_column(String(20))  # opened | alert_added | note | proposed | approved | rejected
    alert_id: Mapped[str | None] = mapped_column(String(160))
    text: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
