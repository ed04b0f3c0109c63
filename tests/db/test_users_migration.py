"""Migration 0002 (users, sessions, login attempts) on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from finecrm.db import repositories
from finecrm.db.models import Base, User, UserSession
from finecrm.db.session import (
    MIGRATIONS,
    current_revision,
    head_revision,
    migrate,
    session_factory,
)

NEW_TABLES = {"users", "sessions", "login_attempts"}
T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


@pytest.fixture
def engine(db_engine):
    return db_engine


def _alembic(engine, verb: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, revision)


def _user(name: str) -> User:
    return User(
        username=name, display_name=name, role="analyst", password_hash="$argon2id$x", created_at=T0,
        updated_at=T0, extra_actions=[], denied_actions=[],
    )


def test_0002_upgrades_and_downgrades(engine):
    _alembic(engine, "upgrade", "0001")
    assert current_revision(engine) == "0001"
    assert not NEW_TABLES & set(inspect(engine).get_table_names())

    _alembic(engine, "upgrade", "0002")
    assert current_revision(engine) == "0002"
    insp = inspect(engine)
    assert set(insp.get_table_names()) >= NEW_TABLES
    columns = {c["name"] for c in insp.get_columns("users")}
    assert {"username", "role", "branch_id", "staff_id", "active", "demo", "password_hash",
            "must_change_password", "failed_logins", "locked_until", "last_login_at", "extra_actions",
            "denied_actions", "given_branches", "created_at", "updated_at"} <= columns
    assert {c["name"] for c in insp.get_columns("sessions")} >= {
        "id", "user_id", "created_at", "expires_at", "last_seen_at", "csrf_token", "ip", "user_agent", "revoked_at"}
    assert {c["name"] for c in insp.get_columns("login_attempts")} >= {"username", "at", "ip", "success"}

    with session_factory(engine)() as s, s.begin():
        repositories.record_audit(s, actor="tester", action="kept", target="across the downgrade")
    _alembic(engine, "downgrade", "0001")
    assert current_revision(engine) == "0001"
    tables = set(inspect(engine).get_table_names())
    assert not NEW_TABLES & tables and "audit_events" in tables
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM audit_events WHERE action = 'kept'")).scalar() == 1

    assert migrate(engine) == head_revision()  # and up again


def test_the_migrations_build_the_schema_the_models_describe(engine):
    migrate(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_the_new_tables_keep_their_rules(engine):
    migrate(engine)
    with session_factory(engine)() as s, s.begin():
        user = repositories.add_user(s, user=_user("wangfang"))
        assert user.active is True and user.demo is False and user.failed_logins == 0
        repositories.add_session(s, row=UserSession(
            id="a" * 64, user_id=user.id, created_at=T0, expires_at=T0 + timedelta(hours=12),
            last_seen_at=T0, csrf_token="c"))
        for i in range(3):
            repositories.record_login_attempt(s, username="wangfang", at=T0 + timedelta(minutes=i), ip="10.0.0.1",
                                              success=False, reason="bad_credentials")
    with session_factory(engine)() as s:
        assert repositories.count_login_failures(
            s, since=T0, reasons=["bad_credentials"], username="wangfang") == 2  # strictly after `since`
        # An aware time in another zone means the same instant (SQLite stores text: it must be UTC).
        beijing = (T0 + timedelta(seconds=30)).astimezone(ZoneInfo("Asia/Shanghai"))
        assert repositories.count_login_failures(s, since=beijing, reasons=["bad_credentials"], ip="10.0.0.1") == 2
        assert repositories.last_login_attempt_at(s, username="wangfang", reason="bad_credentials") == (
            T0 + timedelta(minutes=2))
        assert [row.id for row in repositories.list_user_sessions(s, user_id=user.id)] == ["a" * 64]
    with session_factory(engine)() as s, s.begin():
        assert repositories.revoke_user_sessions(s, user_id=user.id, at=T0) == 1
        assert repositories.list_user_sessions(s, user_id=user.id) == []
        assert repositories.prune_login_attempts(s, before=T0 + timedelta(minutes=1)) == 1

    # Usernames are unique in the database itself.
    with pytest.raises(IntegrityError), session_factory(engine)() as s, s.begin():
        repositories.add_user(s, user=_user("wangfang"))
    # A session cannot point at a user that does not exist.
    with pytest.raises(IntegrityError), session_factory(engine)() as s, s.begin():
        repositories.add_session(s, row=UserSession(
            id="b" * 64, user_id=99999, created_at=T0, expires_at=T0, last_seen_at=T0, csrf_token="c"))
