"""The working-day calendar deadlines count in, on hand-made weeks of December 2026 (Mon 7 … Sun 13)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from finecrm.services.service.complaints import escalation_level
from finecrm.services.service.workdays import WorkCalendar

PLAIN = WorkCalendar.of()


def _independent_add(start: date, n: int, off: set[date], on: set[date]) -> date:
    """Walk the days one by one, as a person with a wall calendar would."""
    d = start
    while n:
        d += timedelta(days=1)
        if d in on or (d.isoweekday() <= 5 and d not in off):
            n -= 1
    return d


@pytest.mark.parametrize(("start", "n", "due"), [
    (date(2026, 12, 7), 1, date(2026, 12, 8)),  # Monday + 1 → Tuesday
    (date(2026, 12, 11), 1, date(2026, 12, 14)),  # Friday + 1 → Monday
    (date(2026, 12, 12), 1, date(2026, 12, 14)),  # Saturday + 1 → Monday
    (date(2026, 12, 13), 5, date(2026, 12, 18)),  # Sunday + 5 → Friday
    (date(2026, 12, 9), 3, date(2026, 12, 14)),  # Wednesday + 3 → Monday
])
def test_weekends_do_not_count(start, n, due):
    assert PLAIN.add_working_days(start, n) == due


def test_holidays_and_make_up_days():
    cal = WorkCalendar.of(holidays=[date(2026, 12, 14), date(2026, 12, 15)], extra_working_days=[date(2026, 12, 12)])
    assert cal.add_working_days(date(2026, 12, 11), 1) == date(2026, 12, 12)  # the Saturday worked
    assert cal.add_working_days(date(2026, 12, 11), 2) == date(2026, 12, 16)  # Mon and Tue off
    assert cal.working_days_between(date(2026, 12, 11), date(2026, 12, 16)) == 2
    assert PLAIN.working_days_between(date(2026, 12, 11), date(2026, 12, 16)) == 3
    assert PLAIN.working_days_between(date(2026, 12, 16), date(2026, 12, 11)) == 0


def test_agrees_with_a_day_by_day_walk_over_a_year():
    off = {date(2026, 10, d) for d in range(1, 8)} | {date(2027, 1, 1)}
    on = {date(2026, 9, 27), date(2026, 10, 10)}
    cal = WorkCalendar.of(off, on)
    day = date(2026, 9, 1)
    for i in range(0, 140, 3):
        for n in (1, 3, 5, 10):
            start = day + timedelta(days=i)
            assert cal.add_working_days(start, n) == _independent_add(start, n, off, on), (start, n)


def test_a_calendar_without_working_days_is_an_error_not_a_hang():
    everything = WorkCalendar.of(holidays=[date(2026, 1, 1) + timedelta(days=i) for i in range(800)])
    with pytest.raises(ValueError, match=r"service\.holidays"):
        everything.add_working_days(date(2026, 1, 1), 1)
    with pytest.raises(ValueError):
        PLAIN.add_working_days(date(2026, 1, 1), 0)


def test_escalation_levels():
    due = date(2026, 12, 9)  # a Wednesday
    assert escalation_level(due, due, PLAIN, 2) == 0
    assert escalation_level(due, date(2026, 12, 10), PLAIN, 2) == 1
    assert escalation_level(due, date(2026, 12, 13), PLAIN, 2) == 1  # Thu, Fri late: 2, not more than 2
    assert escalation_level(due, date(2026, 12, 14), PLAIN, 2) == 2
