"""Migration 0009 (complaints and their steps) up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import inspect, text

from finecrm.db.session import current_revision
from tests.db.test_marketing_migration import _alembic

T0 = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)


def test_0009_adds_complaints_and_goes_down_again(db_engine):
    _alembic(db_engine, "upgrade", "0006")
    assert "service_complaints" not in inspect(db_engine).get_table_names()
    _alembic(db_engine, "upgrade", "0009")
    assert current_revision(db_engine) == "0009"
    assert {"service_surveys", "service_survey_members", "service_survey_answers", "service_feedback"} <= set(
        inspect(db_engine).get_table_names())
    assert {"customer_id", "token_hash", "responded_at"} <= {
        c["name"] for c in inspect(db_engine).get_columns("service_survey_members")}
    columns = {c["name"] for c in inspect(db_engine).get_columns("service_complaints")}
    assert {"channel", "customer_id", "caller_name", "caller_phone", "category", "branch_id", "staff_id",
            "description", "received_at", "due_on", "status", "assignee", "escalation_level", "appeals"} <= columns
    with db_engine.begin() as c:
        c.execute(text("INSERT INTO service_complaints (channel, category, branch_id, description, recorded_by, "
                       "received_at, due_on, status) VALUES ('lobby', 'fees', 'B1', '收费不合理', 'lobby1', :t, :d, "
                       "'open')"), {"t": T0, "d": date(2026, 12, 10)})
        cid = c.execute(text("SELECT id FROM service_complaints")).scalar()
        c.execute(text("INSERT INTO service_complaint_events (complaint_id, at, kind, actor) VALUES "
                       "(:c, :t, 'recorded', 'lobby1')"), {"c": cid, "t": T0})
        assert c.execute(text("SELECT escalation_level, appeals FROM service_complaints")).one() == (0, 0)
    _alembic(db_engine, "downgrade", "0006")
    names = inspect(db_engine).get_table_names()
    assert not {"service_complaints", "service_complaint_events", "service_surveys", "service_survey_members",
                "service_survey_answers", "service_feedback"} & set(names)
    assert current_revision(db_engine) == "0006"
