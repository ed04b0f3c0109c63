"""Was a promise to pay kept? Read from the repayments in the loan schedule, never from what anyone reports.

A promise of ``amount`` made on ``made_on`` for ``promised_on`` is **kept** when the instalments paid in full on a
day from ``made_on`` to ``promised_on`` (and by the snapshot's date) add up to at least the amount; **broken** when
the snapshot's date is after ``promised_on`` and they do not; else still **pending** (the day has not come, or the
snapshot is older than the day). Payments come from the ``collection_schedules`` mart (``paid_date``,
``paid_amount``); a partial payment carries no date in the data contract and so never keeps a promise.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

PENDING, KEPT, BROKEN = "pending", "kept", "broken"
STATUSES = (PENDING, KEPT, BROKEN)


def status(amount: float, made_on: date, promised_on: date, payments: Iterable[tuple[date, float]],
           as_of: date | None) -> tuple[str, float]:
    """(status, amount paid in the window) of one promise, given the loan's ``(paid_date, paid_amount)``."""
    if as_of is None:
        return PENDING, 0.0
    paid = round(sum(float(a) for d, a in payments if made_on <= d <= promised_on and d <= as_of), 2)
    if paid + 0.005 >= float(amount):
        return KEPT, paid
    if as_of > promised_on:
        return BROKEN, paid
    return PENDING, paid
