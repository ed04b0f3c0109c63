"""Migration 0010 (the work on loan early warnings) up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from finecrm.db.session import current_revision
from tests.db.test_marketing_migration import _alembic

T0 = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)


def test_0010_adds_warning_steps_and_goes_down_again(db_engine):
    _alembic(db_engine, "upgrade", "0006")
    assert "credit_warning_steps" not in inspect(db_engine).get_table_names()
    _alembic(db_engine, "upgrade", "0010")
    assert current_revision(db_engine) == "0010"
    columns = {c["name"] for c in inspect(db_engine).get_columns("credit_warning_steps")}
    assert {"warning_id", "rule", "branch_id", "step", "assignee", "outcome", "note", "by", "at"} <= columns
    with db_engine.begin() as c:
        c.execute(text("INSERT INTO credit_warning_steps (warning_id, rule, step, assignee, by, at) VALUES "
                       "('first_missed:L1:2026-09-21', 'first_missed', 'assign', 'li', 'li', :t)"), {"t": T0})
        assert c.execute(text("SELECT count(*) FROM credit_warning_steps")).scalar() == 1
    _alembic(db_engine, "downgrade", "0006")
    assert "credit_warning_steps" not in inspect(db_engine).get_table_names()
    assert current_revision(db_engine) == "0006"
