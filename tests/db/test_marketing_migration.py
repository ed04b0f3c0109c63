"""Migration 0003 (audiences, campaigns, campaign members) up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from finecrm.db.session import MIGRATIONS, current_revision, head_revision, migrate

NEW_TABLES = {"audiences", "audience_versions", "campaigns", "campaign_members"}
T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def _alembic(engine, verb: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, revision)


def test_0003_upgrades_and_downgrades_keeping_users(db_engine):
    _alembic(db_engine, "upgrade", "0002")
    assert not NEW_TABLES & set(inspect(db_engine).get_table_names())
    with db_engine.begin() as c:
        c.execute(text("INSERT INTO users (username, display_name, role, password_hash, created_at, updated_at, "
                       "extra_actions, denied_actions) VALUES ('li', 'li', 'analyst', 'x', :t, :t, '[]', '[]')"),
                  {"t": T0})
    _alembic(db_engine, "upgrade", "0003")
    assert current_revision(db_engine) == "0003"
    assert set(inspect(db_engine).get_table_names()) >= NEW_TABLES
    members = {c["name"] for c in inspect(db_engine).get_columns("campaign_members")}
    assert {"arm", "stratum", "assigned_to", "outcome", "converted_on"} <= members

    _alembic(db_engine, "downgrade", "0002")
    tables = set(inspect(db_engine).get_table_names())
    assert not NEW_TABLES & tables
    with db_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM users")).scalar() == 1
    assert migrate(db_engine) == head_revision()
