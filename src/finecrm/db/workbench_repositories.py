"""Reading and writing the workbench's tables: the work log's contacts and the lobby's referrals (beside
``repositories``, which keeps the contact history's writer). Functions take keyword arguments only."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finecrm.db.models import Contact, Referral

# --- the work log (contacts of the workbench kinds) ------------------------------------------------------


def list_work_log(session: Session, *, kinds: Collection[str], staff_id: str | None = None,
                  branch_ids: Collection[str] | None = None, customer_id: str | None = None,
                  since: datetime | None = None, until: datetime | None = None, limit: int | None = 20,
                  offset: int = 0) -> tuple[list[Contact], int]:
    """Contacts of ``kinds``, newest first, by the manager ``staff_id`` and/or of customers of ``branch_ids``,
    from ``since`` (inclusive) to ``until`` (exclusive); with the total before paging."""
    conds: list[Any] = [Contact.kind.in_(list(kinds))]
    if staff_id is not None:
        conds.append(Contact.staff_id == staff_id)
    if branch_ids is not None:
        conds.append(Contact.branch_id.in_(sorted(branch_ids)))
    if customer_id is not None:
        conds.append(Contact.customer_id == customer_id)
    if since is not None:
        conds.append(Contact.at >= since)
    if until is not None:
        conds.append(Contact.at < until)
    total = session.scalar(select(func.count()).select_from(Contact).where(*conds)) or 0
    stmt = select(Contact).where(*conds).order_by(Contact.at.desc(), Contact.id.desc()).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt)), int(total)


def last_contacts(session: Session, *, kinds: Collection[str], since: datetime,
                  customer_ids: Collection[str] | None = None) -> dict[str, datetime]:
    """The latest contact of ``kinds`` at or after ``since`` per customer (of ``customer_ids`` if given)."""
    base = select(Contact.customer_id, func.max(Contact.at)).where(Contact.kind.in_(list(kinds)),
                                                                   Contact.at >= since)
    out: dict[str, datetime] = {}
    if customer_ids is None:
        return {c: at for c, at in session.execute(base.group_by(Contact.customer_id))}
    ids = sorted(set(customer_ids))
    for i in range(0, len(ids), 500):  # bound the parameters of one statement (SQLite, PostgreSQL)
        chunk = base.where(Contact.customer_id.in_(ids[i:i + 500])).group_by(Contact.customer_id)
        out.update({c: at for c, at in session.execute(chunk)})
    return out


def first_contacts(session: Session, *, kinds: Collection[str], customer_ids: Collection[str]) -> dict[str, datetime]:
    """The earliest contact of ``kinds`` ever recorded per customer of ``customer_ids``."""
    ids = sorted(set(customer_ids))
    out: dict[str, datetime] = {}
    for i in range(0, len(ids), 500):
        stmt = (select(Contact.customer_id, func.min(Contact.at)).where(
            Contact.kind.in_(list(kinds)), Contact.customer_id.in_(ids[i:i + 500])).group_by(Contact.customer_id))
        out.update({c: at for c, at in session.execute(stmt)})
    return out


# --- referrals from the lobby ----------------------------------------------------------------------------


def add_referral(session: Session, *, referral: Referral) -> Referral:
    session.add(referral)
    session.flush()
    return referral


def get_referral(session: Session, *, referral_id: int) -> Referral | None:
    return session.get(Referral, referral_id)


def list_referrals(session: Session, *, referrer_staff_id: str | None = None, to_staff_id: str | None = None,
                   since: datetime | None = None, limit: int | None = 200) -> list[Referral]:
    """Referrals made by ``referrer_staff_id`` and/or sent to ``to_staff_id`` (recorded from ``since``), newest
    first."""
    conds: list[Any] = []
    if referrer_staff_id is not None:
        conds.append(Referral.referrer_staff_id == referrer_staff_id)
    if to_staff_id is not None:
        conds.append(Referral.to_staff_id == to_staff_id)
    if since is not None:
        conds.append(Referral.created_at >= since)
    stmt = select(Referral).where(*conds).order_by(Referral.created_at.desc(), Referral.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def open_referrals_to(session: Session, *, to_staff_id: str) -> list[Referral]:
    """Every referral sent to ``to_staff_id`` not yet followed up, the earliest deadline first."""
    stmt = (select(Referral).where(Referral.to_staff_id == to_staff_id, Referral.status != "worked")
            .order_by(Referral.due_on, Referral.id))
    return list(session.scalars(stmt))

