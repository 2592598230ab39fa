"""The first 12 days from the hire date are training: the roster treats the person as a trainee."""

from __future__ import annotations

import datetime as dt

from scheduler.people.models import Employee
from scheduler.people.onboarding import onboarding_until, roster_flags

DEC, DEC_END = dt.date(2026, 12, 1), dt.date(2026, 12, 31)


def _hired(day: dt.date, flags: list[str] | None = None) -> Employee:
    return Employee(staff_no="N1", name="New", department_id=1, hire_date=day, flags=flags or [])


def test_someone_hired_this_month_or_late_last_month_is_a_trainee() -> None:
    assert roster_flags(_hired(dt.date(2026, 12, 20)), DEC, DEC_END) == {"trainee"}
    # Hired 20 Nov: training runs to 1 Dec, the first day of December.
    late_nov = _hired(dt.date(2026, 11, 20))
    assert onboarding_until(late_nov) == DEC
    assert roster_flags(late_nov, DEC, DEC_END) == {"trainee"}


def test_someone_past_their_twelve_days_keeps_only_their_own_flags() -> None:
    assert roster_flags(_hired(dt.date(2026, 11, 19)), DEC, DEC_END) == frozenset()
    assert roster_flags(_hired(dt.date(2024, 1, 1), ["trainee"]), DEC, DEC_END) == {"trainee"}
    # Someone hired after the month is not in it at all; no flag is made up for them.
    assert roster_flags(_hired(dt.date(2027, 1, 5)), DEC, DEC_END) == frozenset()
