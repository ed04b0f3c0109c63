"""Credit: changes to a loan's five-category classification (五级分类调整), proposed and approved by two people."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from finecrm.db.models.base import Base


class CategoryOverride(Base):
    """One proposed change of a loan's category, with its decision.

    Toward a more severe category a change applies at once (``applied``); toward a less severe one it waits
    (``pending``) until a second officer approves or rejects it — never the one who proposed it. The rows are
    never updated but for the decision, and never deleted: the loan's history is this table.
    ``system_category`` is what the rules gave when the change was proposed, so a later deterioration the rules
    see (more days past due) is not hidden by an older, milder decision.
    """

    __tablename__ = "credit_category_overrides"
    __table_args__ = (
        Index("ix_credit_overrides_loan", "loan_id", "id"),
        Index("ix_credit_overrides_status", "status", "branch_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    loan_id: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str | None] = mapped_column(String(40))
    branch_id: Mapped[str | None] = mapped_column(String(40))  # for the approvers' scope
    system_category: Mapped[str] = mapped_column(String(20))  # the rules' category when proposed
    from_category: Mapped[str] = mapped_column(String(20))  # the category in force when proposed
    to_category: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(12))  # more_severe | less_severe
    reason: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    snapshot: Mapped[str | None] = mapped_column(String(64))  # the snapshot the proposal was made on
    status: Mapped[str] = mapped_column(String(12))  # applied | pending | approved | rejected
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
