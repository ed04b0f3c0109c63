"""Aware UTC times, for every time that meets the operational database.

SQLite stores timestamps as text without a zone and gives them back naive (they were stored in UTC), and a
comparison in SQL with a bound value is only right when both sides are UTC. So a time read back is made aware
here, and a time about to be stored or compared is converted to UTC here: one rule, not one per module.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc(at: datetime | None = None) -> datetime:
    """``at`` (default: now) as an aware UTC datetime; a naive value is taken to be UTC already."""
    if at is None:
        return datetime.now(UTC)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
