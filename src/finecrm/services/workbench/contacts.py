"""Contacts with a customer: recorded (by a task's outcome, or an entry of the work log) and listed.

``record_contact`` is the one writer of ``contacts``; the history is never edited, so a changed outcome is a
new contact, and the 360 shows every one with who, when, how and what.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session
from typing_extensions import TypedDict

from finecrm.authz import Principal, require, require_customer
from finecrm.db import repositories
from finecrm.db.models import Contact
from finecrm.services.names import load_names
from finecrm.services.snapshot.serving import Serving

#: Contacts the 360 shows (newest first): a year of weekly calls.
HISTORY_LIMIT = 60


class ContactRow(TypedDict):
    """One contact as the 360 shows it: who (by name), when, how, what came of it and for which campaign."""

    at: datetime
    kind: str
    channel: str | None
    staff_id: str | None
    staff_name: str | None
    recorded_by: str
    outcome: str | None
    note: str | None
    follow_up_on: date | None
    campaign_id: int | None
    campaign_name: str | None
    place: str | None
    purpose: str | None
    next_step: str | None


def record_contact(session: Session, *, customer_id: str, kind: str, recorded_by: str, staff_id: str | None,
                   channel: str | None = None, outcome: str | None = None, note: str | None = None,
                   follow_up_on: date | None = None, campaign_id: int | None = None, branch_id: str | None = None,
                   at: datetime | None = None, place: str | None = None, purpose: str | None = None,
                   next_step: str | None = None, source: str | None = None) -> Contact:
    """Append a contact (the caller has checked who may record it, and owns the transaction)."""
    return repositories.add_contact(session, contact=Contact(
        customer_id=customer_id, kind=kind, channel=channel, staff_id=staff_id, recorded_by=recorded_by,
        at=at or datetime.now(UTC), outcome=outcome, note=note, follow_up_on=follow_up_on, campaign_id=campaign_id,
        branch_id=branch_id, place=place, purpose=purpose, next_step=next_step, source=source))


def contact_history(session: Session, serving: Serving, principal: Principal, customer_id: str, *,
                    limit: int = HISTORY_LIMIT) -> list[ContactRow]:
    """A customer's contacts, newest first, for whoever may view the customer (404 outside the scope)."""
    require(principal, "view_customer")
    rows = serving.sql("SELECT customer_id, branch_id, manager_id, grid_id FROM customer_360 WHERE customer_id = ?",
                       [customer_id])
    require_customer(principal, rows[0] if rows else None, customer_id)
    names = load_names(serving.ws)
    contacts = repositories.list_contacts(session, customer_id=customer_id, limit=limit)
    campaigns = {c.id: c.name for c in (repositories.get_campaign(session, campaign_id=i)
                                        for i in {k.campaign_id for k in contacts if k.campaign_id}) if c}
    return [{"at": k.at, "kind": k.kind, "channel": k.channel, "staff_id": k.staff_id,
             "staff_name": names.of("staff", k.staff_id), "recorded_by": k.recorded_by, "outcome": k.outcome,
             "note": k.note, "follow_up_on": k.follow_up_on, "campaign_id": k.campaign_id,
             "campaign_name": campaigns.get(k.campaign_id) if k.campaign_id else None, "place": k.place,
             "purpose": k.purpose, "next_step": k.next_step} for k in contacts]
