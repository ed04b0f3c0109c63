"""A migrated operational database per test (SQLite, and PostgreSQL where marked)."""

from tests.services.campaigns.bank import campaign_db  # noqa: F401
