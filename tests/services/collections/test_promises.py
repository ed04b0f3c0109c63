"""Kept or broken is read from the repayments, on hand-made schedules: the window is the day the promise was made
to the promised day; the snapshot's date decides whether the day has come. Worked out by hand for each case."""

from __future__ import annotations

from datetime import date

import pytest

from finecrm.services.collections.promises import BROKEN, KEPT, PENDING, status

MADE, DUE = date(2026, 9, 1), date(2026, 9, 10)


@pytest.mark.parametrize(("payments", "as_of", "expected"), [
    # paid in full inside the window: kept, even before the promised day
    ([(date(2026, 9, 5), 1000.0)], date(2026, 9, 6), (KEPT, 1000.0)),
    # two instalments adding up to the amount, the second on the promised day itself
    ([(date(2026, 9, 2), 400.0), (DUE, 600.0)], date(2026, 9, 30), (KEPT, 1000.0)),
    # short by a yuan after the day: broken, with what was paid
    ([(date(2026, 9, 2), 999.0)], date(2026, 9, 11), (BROKEN, 999.0)),
    # short, but the day has not come on the snapshot: pending
    ([(date(2026, 9, 2), 999.0)], DUE, (PENDING, 999.0)),
    # a repayment before the promise was made does not count, nor one after the promised day
    ([(date(2026, 8, 31), 1000.0), (date(2026, 9, 11), 1000.0)], date(2026, 9, 30), (BROKEN, 0.0)),
    # a payment dated after the snapshot is not known yet on it
    ([(date(2026, 9, 8), 1000.0)], date(2026, 9, 7), (PENDING, 0.0)),
    # nothing at all, the day passed
    ([], date(2026, 9, 11), (BROKEN, 0.0)),
    # no snapshot: nothing can be said
    ([(date(2026, 9, 5), 1000.0)], None, (PENDING, 0.0)),
])
def test_kept_broken_or_pending(payments, as_of, expected):
    assert status(1000.0, MADE, DUE, payments, as_of) == expected
