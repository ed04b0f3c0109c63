"""Connecting to the operational database and bringing its schema up to date."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from finecrm.core.errors import FinecrmError

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An SQLAlchemy engine; SQLite gets WAL and foreign keys on (they are off by default)."""
    try:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    except Exception as exc:  # bad URL or missing driver: say which setting to fix
        raise FinecrmError(
            f"cannot use database URL {_redact(url)!r}: {exc}. "
            "Fix database.url in finecrm.yaml or FINECRM_DATABASE_URL."
        ) from None
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    return engine


def _redact(url: str) -> str:
    """Hide a password in a URL before it appears in a message."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def _alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> str:
    """Apply every pending migration; returns the revision the database is at."""
    cfg = _alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except Exception as exc:
        raise FinecrmError(
            f"cannot migrate the database at {_redact(str(engine.url))}: {exc}"
        ) from exc
    return current_revision(engine) or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()
    return head or ""


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
