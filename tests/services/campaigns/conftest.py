"""Fixtures of the campaign tests: the generated bank (session) and an operational database per test."""

from tests.services.campaigns.bank import campaign_bank, campaign_db, sqlite_db  # noqa: F401
