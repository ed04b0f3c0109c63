"""An operational database for the account and sign-in tests: a SQLite file, and a real PostgreSQL."""

from __future__ import annotations

import pytest

from finecrm.db.session import migrate, session_factory


@pytest.fixture
def db(db_engine):
    """A migrated database; yields a session factory (``with db() as s, s.begin(): ...``)."""
    migrate(db_engine)
    return session_factory(db_engine)
