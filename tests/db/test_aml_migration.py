"""Migration 0011 (AML triage, cases and their events) up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import inspect, text

from finecrm.db.session import current_revision
from tests.db.test_marketing_migration import _alembic

T0 = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
TABLES = {"aml_cases", "aml_alert_triage", "aml_case_events"}


def test_0011_adds_cases_and_goes_down_again(db_engine):
    _alembic(db_engine, "upgrade", "0010")
    assert not TABLES & set(inspect(db_engine).get_table_names())
    _alembic(db_engine, "upgrade", "0011")
    assert current_revision(db_engine) == "0011"
    assert set(inspect(db_engine).get_table_names()) >= TABLES
    with db_engine.begin() as c:
        c.execute(text("INSERT INTO aml_cases (title, status, opened_by, opened_at, due_on) VALUES "
                       "('快进快出', 'open', 'ma', :t, :d)"), {"t": T0, "d": date(2026, 12, 21)})
        case_id = c.execute(text("SELECT id FROM aml_cases")).scalar()
        c.execute(text("INSERT INTO aml_alert_triage (alert_id, rule, decision, case_id, by, at) VALUES "
                       "('pass_through:A1:2026-09-01', 'pass_through', 'case', :c, 'ma', :t)"), {"c": case_id, "t": T0})
        c.execute(text("INSERT INTO aml_case_events (case_id, kind, by, at) VALUES (:c, 'opened', 'ma', :t)"),
                  {"c": case_id, "t": T0})
    _alembic(db_engine, "downgrade", "0010")
    assert not TABLES & set(inspect(db_engine).get_table_names())
    assert current_revision(db_engine) == "0010"
