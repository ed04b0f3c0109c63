"""The operational database on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from finecrm.db import repositories
from finecrm.db.session import current_revision, head_revision, make_engine, migrate, session_factory


@pytest.fixture
def engine(db_engine):
    return db_engine


def test_migrations_create_the_schema(engine):
    assert migrate(engine) == head_revision() == current_revision(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"ingest_runs", "audit_events", "alembic_version"} <= tables
    assert migrate(engine) == head_revision()  # running again is harmless


def test_audit_log_is_append_only_in_the_database_itself(engine):
    migrate(engine)
    with session_factory(engine)() as s, s.begin():
        repositories.record_audit(s, actor="tester", action="reveal_pii", target="C1", reason="客户来电核实")
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
    for stmt in ("UPDATE audit_events SET reason = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as c:
            c.execute(text(stmt))
    with session_factory(engine)() as s:
        events = repositories.list_audit(s)
        assert [(e.actor, e.reason) for e in events] == [("tester", "客户来电核实")]


def test_bad_url_is_a_clear_error():
    from finecrm.core.errors import FinecrmError

    with pytest.raises(FinecrmError, match="FINECRM_DATABASE_URL"):
        make_engine("nosuchdb://x")
