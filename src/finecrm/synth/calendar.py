"""The generator's calendar: which months and days the synthetic bank covers.

Dates are handled as ``int`` days since 1970-01-01 (numpy ``int64``) so that whole chunks can be
shifted and compared without Python date objects; this module converts both ways.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

EPOCH = dt.date(1970, 1, 1)
DAY_SECONDS = 86_400
US_PER_DAY = DAY_SECONDS * 1_000_000
#: Days of daily balances kept in ``account_day`` (deposit monitoring looks at the last 90 days).
DAILY_DAYS = 90


def to_days(d: dt.date) -> int:
    """``d`` as days since 1970-01-01."""
    return (d - EPOCH).days


def from_days(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


def add_months(d: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``d``'s month."""
    idx = d.year * 12 + d.month - 1 + months
    return dt.date(idx // 12, idx % 12 + 1, 1)


def days_to_month_index(days: np.ndarray) -> np.ndarray:
    """Vectorised: calendar month number (year*12 + month-1) of each day number."""
    d64 = days.astype("datetime64[D]")
    months = d64.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return months + 1970 * 12


def month_index_to_days(month_idx: np.ndarray) -> np.ndarray:
    """Vectorised inverse of :func:`days_to_month_index`: first day of each month as day numbers."""
    m64 = (month_idx - 1970 * 12).astype("datetime64[M]")
    return m64.astype("datetime64[D]").astype(np.int64)


def add_months_days(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Vectorised "same day of month, ``months`` later", clamped to the month's last day."""
    d64 = days.astype("datetime64[D]")
    m64 = d64.astype("datetime64[M]")
    dom = (d64 - m64.astype("datetime64[D]")).astype(np.int64)
    target = m64 + np.asarray(months)
    start = target.astype("datetime64[D]").astype(np.int64)
    length = ((target + 1).astype("datetime64[D]").astype(np.int64)) - start
    return start + np.minimum(dom, length - 1)


@dataclass(frozen=True)
class Calendar:
    """The months and days a generated bank covers, ending with ``as_of``.

    ``month_start[m]``/``month_end[m]`` are day numbers of month ``m`` (0 = oldest); the last month
    ends at ``as_of`` even when ``as_of`` is not a month end, so nothing is dated after it.
    """

    as_of: dt.date
    months: int

    @property
    def as_of_day(self) -> int:
        return to_days(self.as_of)

    @property
    def month_start(self) -> np.ndarray:
        first = add_months(self.as_of, -(self.months - 1))
        return np.array([to_days(add_months(first, i)) for i in range(self.months)], dtype=np.int64)

    @property
    def month_end(self) -> np.ndarray:
        """Last covered day of each month (``as_of`` for the last one)."""
        starts = self.month_start
        ends = np.append(starts[1:] - 1, self.as_of_day)
        return ends

    @property
    def month_days(self) -> np.ndarray:
        """Covered days per month (the last month may be partial)."""
        return self.month_end - self.month_start + 1

    @property
    def window_start(self) -> int:
        return int(self.month_start[0])

    @property
    def daily_start(self) -> int:
        """First day written to ``account_day``."""
        return self.as_of_day - DAILY_DAYS + 1

    @property
    def daily_first_month(self) -> int:
        """Index of the first month that overlaps the ``account_day`` window (its balances come from days)."""
        return int(np.searchsorted(self.month_end, max(self.daily_start, self.window_start)))

    @property
    def series_start(self) -> int:
        """First day of the daily balance series: the start of the first month overlapping the window,
        so that month averages computed from the days are whole-month averages."""
        return int(self.month_start[self.daily_first_month])

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """Index of the covered month holding each day (days must lie inside the covered window)."""
        return np.searchsorted(self.month_end, days, side="left")
