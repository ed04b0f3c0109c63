"""Collections (贷款催收): which collector works which overdue loan, every contact with the debtor, and the
promises to pay made in those contacts.

- ``collection_assignments``: one row per loan given to a collector, from when to when. A loan has at most one
  open row (``ended_at`` null) — a partial unique index says so on SQLite and PostgreSQL alike. Reassigning ends
  the open row and opens another, so the history of who held a loan stays. A collector's scope (the loans and
  borrowers they see) is the open rows with their staff id.
- ``collection_contacts``: one row per contact, appended, never edited: channel, result, notes, the next step
  and its date, and the text of a letter or SMS rendered from a template for it (nothing is sent by finecrm).
- ``collection_promises``: a promise to pay (还款承诺) made in a contact: amount and date. Whether it was kept is
  never stored: it is read from the repayments of the loan schedule in the published snapshot.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from finecrm.db.models.base import Base

#: How a debtor was contacted (催收方式), mildest first.
CHANNELS = ("sms", "phone", "letter", "visit", "legal")
#: What came of a contact.
RESULTS = ("promise", "paid", "refused", "unreachable", "wrong_number", "dispute")


class CollectionAssignment(Base):
    """One loan held by one collector from ``assigned_at`` until ``ended_at`` (open while null)."""

    __tablename__ = "collection_assignments"
    __table_args__ = (
        Index("ux_collection_assignments_open", "loan_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
        Index("ix_collection_assignments_staff", "staff_id", "ended_at"),
        Index("ix_collection_assignments_loan", "loan_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    loan_id: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(String(40))  # the borrower: the collector sees their contact data
    branch_id: Mapped[str | None] = mapped_column(String(40))  # the loan's branch (oversight by branch)
    staff_id: Mapped[str] = mapped_column(String(40))  # the collector (staff.staff_id)
    bucket: Mapped[str | None] = mapped_column(String(8))  # the bucket when assigned
    assigned_by: Mapped[str] = mapped_column(String(64))  # a user, or "rules" for the automatic assignment
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str | None] = mapped_column(String(64))
    end_reason: Mapped[str | None] = mapped_column(Text)


class CollectionContact(Base):
    """One contact with a debtor about one loan (催收记录)."""

    __tablename__ = "collection_contacts"
    __table_args__ = (
        Index("ix_collection_contacts_loan", "loan_id", "at"),
        Index("ix_collection_contacts_staff", "staff_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    loan_id: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(String(40))
    staff_id: Mapped[str | None] = mapped_column(String(40))
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(12))  # CHANNELS
    result: Mapped[str] = mapped_column(String(16))  # RESULTS
    notes: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(String(12))  # a channel
    next_on: Mapped[date | None] = mapped_column(Date)
    bucket: Mapped[str | None] = mapped_column(String(8))  # the loan's bucket on the snapshot of the contact
    dpd: Mapped[int | None] = mapped_column(Integer)
    template: Mapped[str | None] = mapped_column(String(12))  # sms | letter: a rendered text is kept below
    rendered_text: Mapped[str | None] = mapped_column(Text)


class CollectionPromise(Base):
    """A promise to pay made in a contact: ``amount`` by ``promised_on``."""

    __tablename__ = "collection_promises"
    __table_args__ = (Index("ix_collection_promises_loan", "loan_id", "promised_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("collection_contacts.id"))
    loan_id: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(String(40))
    branch_id: Mapped[str | None] = mapped_column(String(40))
    staff_id: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[float] = mapped_column(Numeric(18, 2, asdecimal=False))
    made_on: Mapped[date] = mapped_column(Date)  # the bank's day the promise was made
    promised_on: Mapped[date] = mapped_column(Date)
