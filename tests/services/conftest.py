"""An operational database for the account and sign-in tests: a SQLite file, and a real PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from finecrm.db.session import make_engine, migrate, session_factory


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    """A migrated database; yields a session factory (``with db() as s, s.begin(): ...``)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ops.db'}"
    else:
        base = request.getfixturevalue("postgres_url")
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = make_engine(base)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = base.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()
