"""Migration 0007 (collections) up and down, on SQLite and PostgreSQL: one open assignment per loan."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from finecrm.db.session import current_revision
from tests.db.test_marketing_migration import _alembic

T0 = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
INSERT = text("INSERT INTO collection_assignments (loan_id, customer_id, staff_id, assigned_by, assigned_at, ended_at) "
              "VALUES ('L1', 'C1', :staff, 'rules', :t, :ended)")


def test_0007_adds_collections_and_goes_down_again(db_engine):
    _alembic(db_engine, "upgrade", "0006")
    assert "collection_assignments" not in inspect(db_engine).get_table_names()
    _alembic(db_engine, "upgrade", "0007")
    assert current_revision(db_engine) == "0007"
    assert {"collection_assignments", "collection_contacts", "collection_promises"} <= set(
        inspect(db_engine).get_table_names())
    with db_engine.begin() as c:
        c.execute(INSERT, {"staff": "S1", "t": T0, "ended": T0})  # an ended one and an open one may coexist
        c.execute(INSERT, {"staff": "S2", "t": T0, "ended": None})
    with pytest.raises(IntegrityError), db_engine.begin() as c:  # a second open one may not
        c.execute(INSERT, {"staff": "S3", "t": T0, "ended": None})
    with db_engine.begin() as c:
        c.execute(text("INSERT INTO collection_contacts (loan_id, customer_id, username, at, channel, result) "
                       "VALUES ('L1', 'C1', 'u', :t, 'phone', 'promise')"), {"t": T0})
        cid = c.execute(text("SELECT id FROM collection_contacts")).scalar()
        c.execute(text("INSERT INTO collection_promises (contact_id, loan_id, customer_id, amount, made_on, "
                       "promised_on) VALUES (:c, 'L1', 'C1', 1234.5, '2026-12-07', '2026-12-14')"), {"c": cid})
        assert c.execute(text("SELECT count(*) FROM collection_assignments")).scalar() == 2
    _alembic(db_engine, "downgrade", "0006")
    assert "collection_assignments" not in inspect(db_engine).get_table_names()
    assert current_revision(db_engine) == "0006"
