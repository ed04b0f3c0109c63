"""Migration 0008 (the work log's columns on contacts, the referrals table) up and down, on SQLite and PostgreSQL: contacts recorded
before keep their rows (the new columns empty), and going down keeps them too."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from finecrm.db.session import current_revision
from tests.db.test_marketing_migration import _alembic

T0 = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
NEW = {"place", "purpose", "next_step", "source"}


def _columns(engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("contacts")}


def test_0008_adds_the_work_log_columns_and_goes_down_again(db_engine):
    _alembic(db_engine, "upgrade", "0006")
    assert not NEW & _columns(db_engine)
    with db_engine.begin() as c:
        c.execute(text("INSERT INTO contacts (customer_id, kind, channel, staff_id, recorded_by, at, outcome, note) "
                       "VALUES ('C1', 'campaign_task', 'phone', 'S1', 'wang', :t, 'contacted', '回电')"), {"t": T0})
    _alembic(db_engine, "upgrade", "0008")
    assert current_revision(db_engine) == "0008"
    assert _columns(db_engine) >= NEW
    assert "ix_contacts_kind_staff" in {i["name"] for i in inspect(db_engine).get_indexes("contacts")}
    assert {"referrer_staff_id", "customer_id", "prospect_name", "prospect_phone", "interest", "to_staff_id", "due_on",
            "status", "accepted_at", "worked_at", "outcome"} <= {c["name"] for c in inspect(db_engine).get_columns(
                "referrals")}
    with db_engine.begin() as c:
        old = c.execute(text("SELECT customer_id, kind, note, place, purpose, next_step, source FROM contacts")).one()
        assert tuple(old) == ("C1", "campaign_task", "回电", None, None, None, None)
        c.execute(text("INSERT INTO contacts (customer_id, kind, channel, staff_id, recorded_by, at, outcome, place, "
                       "purpose, next_step, source) VALUES ('C2', 'visit', 'visit', 'S1', 'wang', :t, 'reached', "
                       "'客户家中', 'relationship', '下月再访', 'plan')"), {"t": T0})
    _alembic(db_engine, "downgrade", "0006")
    assert current_revision(db_engine) == "0006"
    assert not NEW & _columns(db_engine)
    assert "referrals" not in inspect(db_engine).get_table_names()
    with db_engine.connect() as c:
        assert c.execute(text("SELECT customer_id FROM contacts ORDER BY customer_id")).scalars().all() == ["C1", "C2"]
    _alembic(db_engine, "upgrade", "0008")  # and up again
    assert _columns(db_engine) >= NEW
