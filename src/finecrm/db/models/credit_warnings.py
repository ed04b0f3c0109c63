"""Credit: the work on loan early warnings (预警处置) — who took a warning, what they noted, how it was closed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from finecrm.db.models.base import Base


class WarningStep(Base):
    """One step of the work on a warning of the ``credit_warnings`` mart: taken (``assign``), a note, closed
    with an outcome and a reason, or reopened.

    The warning itself lives in the snapshot and is rebuilt every time; its id names the rule, the loan (or
    borrower or grid) and the day that raised it, so these steps stay attached to it from build to build.
    Rows are appended, never changed: the state of a warning is its latest steps.
    """

    __tablename__ = "credit_warning_steps"
    __table_args__ = (
        Index("ix_credit_warning_steps_warning", "warning_id", "id"),
        Index("ix_credit_warning_steps_assignee", "assignee", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    warning_id: Mapped[str] = mapped_column(String(120))
    rule: Mapped[str] = mapped_column(String(40))
    branch_id: Mapped[str | None] = mapped_column(String(40))  # the warning's branch when the step was taken
    step: Mapped[str] = mapped_column(String(12))  # assign | note | close | reopen
    assignee: Mapped[str | None] = mapped_column(String(64))  # assign: who works it from now on
    outcome: Mapped[str | None] = mapped_column(String(30))  # close: resolved | no_risk | to_collections | other
    note: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
