"""Re-solving a month whose next month is already published: the rules hold into it."""

from __future__ import annotations

from datetime import date

import pytest

from solver import (
    HistoryCell,
    IntervalDemand,
    Lock,
    RuleSetting,
    ShiftDemand,
    ShiftType,
    SolveStatus,
    check,
)
from solver.io import problem_from_dict, problem_to_dict
from solver.testing import EARLY, LATE, cell, day, demand, people, problem, solve_checked

INFEASIBLE = {"explain_infeasible": False}


def _next(*cells: tuple[int, str | None]) -> tuple[HistoryCell, ...]:
    """a0's cells on the days after a horizon ending on ``day(n - 1)``: (day index, shift)."""
    return tuple(HistoryCell("a0", day(d), shift) for d, shift in cells)


def test_no_late_shift_before_the_next_roster_s_early_one() -> None:
    following = _next((1, "early"))  # the horizon is 1 Dec; 2 Dec is next month's first day
    locked = problem(1, people(1), following=following, locks=(Lock("a0", day(0), "late"),))
    assert solve_checked(locked, **INFEASIBLE).status is SolveStatus.INFEASIBLE
    report = check(locked, {"a0": {day(0): "late"}})
    assert [v.rule for v in report.hard_violations] == ["min_rest"]
    assert "next roster" in report.hard_violations[0].message
    wanted = problem(1, people(1), following=following, shift_demand=demand(1, "late", 0, 1))
    assert cell(solve_checked(wanted), "a0", 0) != "late"
    free = problem(1, people(1), shift_demand=demand(1, "late", 0, 1))
    assert cell(solve_checked(free), "a0", 0) == "late"  # the same month, nothing published after


def test_days_in_a_row_count_the_next_roster_s_first_days() -> None:
    three = _next((4, "early"), (5, "early"), (6, "early"))
    p = problem(4, people(1), following=three, shift_demand=demand(4, "early", 1))
    assert solve_checked(p, **INFEASIBLE).status is SolveStatus.INFEASIBLE  # 4 + 3 = 7 in a row
    report = check(p, {"a0": {day(d): "early" for d in range(4)}})
    assert [v.rule for v in report.hard_violations] == ["max_consecutive_days"]
    two = problem(4, people(1), following=three[:2], shift_demand=demand(4, "early", 1))
    assert solve_checked(two).status is SolveStatus.OPTIMAL  # 4 + 2 = 6
    broken = problem(4, people(1), following=_next((4, "early"), (5, None), (6, "early")))
    assert check(broken, {"a0": {day(d): "early" for d in range(4)}}).valid


def test_the_week_across_the_end_needs_its_rest_days() -> None:
    # 1-3 Dec 2026 is Tuesday to Thursday of the week 30 Nov - 6 Dec; a0 works Fri-Sun.
    rules = {"weekly_rest": RuleSetting()}
    wanted = tuple(ShiftDemand(day(i), "early", 0, 1) for i in range(3))
    works = _next((3, "early"), (4, "early"), (5, "early"))
    p = problem(3, people(1), rules=rules, following=works, shift_demand=wanted)
    assert [cell(solve_checked(p), "a0", i) for i in range(3)].count(None) == 1  # 6 days known
    alone = problem(3, people(1), rules=rules, shift_demand=wanted)
    assert [cell(solve_checked(alone), "a0", i) for i in range(3)].count(None) == 0


def test_following_round_trips_and_is_validated() -> None:
    p = problem(1, people(1), following=_next((1, "early"), (2, None)))
    assert problem_from_dict(problem_to_dict(p)).following == p.following
    bad = problem_to_dict(p)
    bad["following"] = {"a0": {date(2026, 12, 1).isoformat(): "early"}}  # inside the horizon
    with pytest.raises(ValueError, match="following"):
        problem_from_dict(bad)


MID = ShiftType("mid", "mid shift", 11 * 60, 20 * 60, retired=True)


def test_a_retired_shift_type_in_last_month_is_a_day_worked_and_never_assigned() -> None:
    # a0 worked six mid shifts up to 30 Nov; the department has since switched "mid" off.
    six = tuple(HistoryCell("a0", day(-i), "mid") for i in range(1, 7))
    p = problem(
        2,
        people(1),
        shifts=(EARLY, LATE, MID),
        history=six,
        shift_demand=demand(2, "early", 0, 1),
    )
    sol = solve_checked(p)
    assert (cell(sol, "a0", 0), cell(sol, "a0", 1)) == (None, "early")  # a seventh day waits
    report = check(p, {"a0": {day(0): "early"}})
    assert [v.rule for v in report.hard_violations] == ["max_consecutive_days"]
    # Nobody is given the retired type, and a hand edit that does is a hard violation.
    edit = check(p, {"a0": {day(1): "mid"}})
    assert [v.rule for v in edit.hard_violations] == ["unknown_shift"]
    assert "no longer in use" in edit.hard_violations[0].message
    assert problem_from_dict(problem_to_dict(p)).shift_types == p.shift_types


NIGHT = ShiftType("night", "night shift", 22 * 60, 30 * 60)


def test_last_months_night_shift_covers_the_first_mornings_window() -> None:
    # a0 and a1 worked the night of 30 Nov to 1 Dec: 02:00-04:00 on 1 Dec has its two people.
    nights = (HistoryCell("a0", day(-1), "night"), HistoryCell("a1", day(-1), "night"))
    window = (IntervalDemand(day(0), 120, 240, 2, 2),)
    p = problem(2, people(3), shifts=(NIGHT,), history=nights, interval_demand=window)
    sol = solve_checked(p)
    assert sol.status is SolveStatus.OPTIMAL
    assert check(p, {f"a{i}": {} for i in range(3)}).valid
    # Without them, two people must work the night of 30 Nov... which is not in the horizon.
    alone = problem(2, people(3), shifts=(NIGHT,), interval_demand=window)
    assert solve_checked(alone, **INFEASIBLE).status is SolveStatus.INFEASIBLE


def test_an_explanation_names_the_next_rosters_first_days() -> None:
    # The week of 7-13 Dec: a0 is locked on 7-9 Dec and the next roster has 11-13 Dec, so only
    # 10 Dec is left for the two rest days.
    locks = tuple(Lock("a0", day(d), "early") for d in (6, 7, 8))
    following = _next((10, "early"), (11, "early"), (12, "early"))
    p = problem(
        10, people(1), rules={"weekly_rest": RuleSetting()}, locks=locks, following=following
    )
    sol = solve_checked(p)
    assert sol.status is SolveStatus.INFEASIBLE
    assert sol.explanation is not None
    assert any("next roster starts with" in f for f in sol.explanation.facts), sol.explanation
