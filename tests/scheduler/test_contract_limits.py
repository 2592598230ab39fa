"""A month's contract limits: statutory holidays are paid days off, like leave.

February 2027 has 16 working days after the Spring Festival; an 18-23 day contract asked 18 of
them, and the solver filled the gap with shifts nobody needed, on holidays and weekends.
"""

from __future__ import annotations

import datetime as dt

from scheduler.people.models import Employee
from scheduler.rosters.calendar import statutory
from scheduler.rosters.problem_builder import prorated_contract
from solver.problem import Calendar

LONGEST = 540


def _agent(**kw: object) -> Employee:
    return Employee(
        staff_no="CS900",
        name="Test",
        department_id=1,
        hire_date=dt.date(2024, 1, 1),
        contract_kind="days",
        contract_min=18,
        contract_max=23,
        **kw,
    )


def _calendar(start: dt.date, end: dt.date, workdays: frozenset[dt.date] = frozenset()) -> Calendar:
    days, _ = statutory("CN", start, end)
    return Calendar(holidays=days, makeup_workdays=workdays)


def test_each_weekday_holiday_lowers_the_minimum_and_never_the_maximum() -> None:
    feb, end = dt.date(2027, 2, 1), dt.date(2027, 2, 28)
    cal = _calendar(feb, end)
    # Holidays on Fri 5, Mon 8, Tue 9, Wed 10 Feb; Sat 6 and Sun 7 were rest days anyway.
    got = prorated_contract(_agent(), feb, end, set(), LONGEST, calendar=cal)
    assert (got.min_days, got.max_days) == (14, 23)
    assert prorated_contract(_agent(), feb, end, set(), LONGEST).min_days == 18


def test_make_up_working_days_give_back_what_they_take() -> None:
    feb, end = dt.date(2027, 2, 1), dt.date(2027, 2, 28)
    saturday = frozenset({dt.date(2027, 2, 20)})
    got = prorated_contract(
        _agent(), feb, end, set(), LONGEST, calendar=_calendar(feb, end, saturday)
    )
    assert got.min_days == 15


def test_a_holiday_inside_leave_is_credited_once() -> None:
    jan, end = dt.date(2027, 1, 1), dt.date(2027, 1, 31)
    cal = _calendar(jan, end)
    assert prorated_contract(_agent(), jan, end, set(), LONGEST, calendar=cal).min_days == 17
    leave = {dt.date(2027, 1, 1), dt.date(2027, 1, 4)}
    assert prorated_contract(_agent(), jan, end, leave, LONGEST, calendar=cal).min_days == 16


def test_holidays_before_the_hire_date_are_not_credited() -> None:
    feb, end = dt.date(2027, 2, 1), dt.date(2027, 2, 28)
    hired = _agent()
    hired.hire_date = dt.date(2027, 2, 15)
    got = prorated_contract(hired, feb, end, set(), LONGEST, calendar=_calendar(feb, end))
    assert got.min_days == 18 * 14 // 28
