"""Migration 0006 (loan category changes) up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from finecrm.db.session import current_revision
from tests.db.test_marketing_migration import _alembic

T0 = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)


def test_0006_adds_category_changes_and_goes_down_again(db_engine):
    _alembic(db_engine, "upgrade", "0005")
    assert "credit_category_overrides" not in inspect(db_engine).get_table_names()
    _alembic(db_engine, "upgrade", "0006")
    assert current_revision(db_engine) == "0006"
    columns = {c["name"] for c in inspect(db_engine).get_columns("credit_category_overrides")}
    assert {"loan_id", "system_category", "from_category", "to_category", "direction", "reason", "proposed_by",
            "status", "decided_by", "decision_note"} <= columns
    with db_engine.begin() as c:
        c.execute(text("INSERT INTO credit_category_overrides (loan_id, system_category, from_category, to_category, "
                       "direction, reason, proposed_by, proposed_at, status) VALUES ('L1', 'substandard', "
                       "'substandard', 'normal', 'less_severe', '已结清', 'li', :t, 'pending')"), {"t": T0})
        assert c.execute(text("SELECT count(*) FROM credit_category_overrides")).scalar() == 1
    _alembic(db_engine, "downgrade", "0005")
    assert "credit_category_overrides" not in inspect(db_engine).get_table_names()
    assert current_revision(db_engine) == "0005"
