"""The bank's working days (工作日) and the deadlines counted in them: the one rule complaints' deadlines and their
escalation follow, kept apart so it is tested on its own on hand-made calendars.

A day is a working day when it is Monday to Friday and not a listed holiday (法定节假日), or when it is a listed
make-up day (调休上班日, a Saturday or Sunday worked instead). Both lists come from ``service.holidays`` and
``service.extra_working_days`` of finecrm.yaml: China moves its holidays every year, so they are the bank's
to list, not the code's to guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

#: A deadline is looked for at most this far ahead (60 working days are under 120 calendar days even with the
#: longest Chinese holidays): a calendar that lists every day as a holiday is an error, not an endless loop.
_MAX_SPAN_DAYS = 400


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    @classmethod
    def of(cls, holidays: Iterable[date] = (), extra_working_days: Iterable[date] = ()) -> WorkCalendar:
        return cls(frozenset(holidays), frozenset(extra_working_days))

    def is_working_day(self, d: date) -> bool:
        if d in self.extra_working_days:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself never counts: a complaint received on a
        Friday evening with 1 working day is due the next Monday; one received on a Saturday, too)."""
        if n < 1:
            raise ValueError("a deadline is at least one working day")
        d, left = start, n
        for _ in range(_MAX_SPAN_DAYS):
            d += timedelta(days=1)
            if self.is_working_day(d):
                left -= 1
                if left == 0:
                    return d
        raise ValueError(f"no {n} working days within {_MAX_SPAN_DAYS} days of {start}: check service.holidays")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after ``start``): how
        many working days a complaint due on ``start`` is overdue on ``end``."""
        if end <= start:
            return 0
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(days=i)))
