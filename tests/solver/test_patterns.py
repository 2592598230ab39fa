"""A person's work/off pattern by dynamic programming, checked against every pattern."""

from __future__ import annotations

import itertools
import time
from typing import Any

from solver import Contract, RosterProblem, RuleSetting, ShiftType, Staff
from solver.check import OFF, check_grid
from solver.pattern_shifts import cover_costs, pattern_shifts
from solver.patterns import pattern_counts, work_pattern
from solver.problem import HistoryCell, Leave, ShiftDemand
from solver.rows import _Cover, _pattern_row, _Person, _RowSearch, improve_rows, person_problem
from solver.testing import EARLY, day, problem

RUNS = Contract(
    max_consecutive_days=4, min_consecutive_days=2, min_consecutive_days_off=2, max_weekends=1
)


def _one(days: int, contract: Contract, **kwargs: Any) -> RosterProblem:
    """One agent, early shifts only; the horizon starts on a Tuesday (days 4-5 a weekend)."""
    return problem(days, (Staff("a0", "Agent0", contract=contract),), shifts=(EARLY,), **kwargs)


def _grid(pattern: list[bool] | tuple[bool, ...]) -> list[list[int]]:
    return [[0 if works else OFF for works in pattern]]


def _valid_counts(p: RosterProblem) -> set[int]:
    """Working-day counts of every valid row, by the checker over all 2^days rows."""
    return {
        sum(pattern)
        for pattern in itertools.product((False, True), repeat=p.num_days)
        if check_grid(p, _grid(pattern)).valid
    }


def test_the_pattern_has_the_most_working_days_any_valid_row_has() -> None:
    # Runs of 2-4 days, rests of 2 or more, one weekend of two, a day of leave.
    p = _one(12, RUNS, leave=(Leave("a0", day(7), day(7)),))
    counts = _valid_counts(p)
    most = max(counts)
    pattern = work_pattern(p, 0, most)
    assert pattern is not None
    assert sum(pattern) == most
    assert check_grid(p, _grid(pattern)).valid
    assert work_pattern(p, 0, most + 1) is None


def test_every_pattern_returned_is_valid_with_exactly_the_count_asked() -> None:
    p = _one(12, RUNS, leave=(Leave("a0", day(2), day(2)),))
    counts = _valid_counts(p)
    returned = []
    for count in range(1, max(counts) + 1):
        pattern = work_pattern(p, 0, count)
        if pattern is None:
            continue
        returned.append(count)
        assert sum(pattern) == count
        assert check_grid(p, _grid(pattern)).valid, (count, pattern)
    # Days go one at a time from runs longer than the minimum: the top counts are all there.
    # A count can be missed once every run left is at its minimum (3 here: runs of 2 + 2);
    # the caller tries the next count then.
    assert returned[-3:] == [max(counts) - 2, max(counts) - 1, max(counts)]


def test_the_days_dropped_are_those_with_least_need() -> None:
    p = _one(7, Contract())
    pattern = work_pattern(p, 0, 3, value=[0, 0, 0, 0, 5, 5, 5])
    assert pattern == [False, False, False, False, True, True, True]


def test_counts_come_from_the_contract_minutes_nearest_the_middle_first() -> None:
    minutes = EARLY.minutes
    p = _one(10, Contract(min_minutes=4 * minutes, max_minutes=6 * minutes))
    assert pattern_counts(p, 0) == [5, 4, 6]
    assert pattern_counts(_one(10, Contract(min_days=3, max_days=2)), 0) == []


def test_no_pattern_when_last_month_reaches_into_the_horizon() -> None:
    p = _one(7, RUNS, history=(HistoryCell("a0", day(-1), "early"),))
    assert work_pattern(p, 0, 3) is None


def test_a_pattern_row_takes_the_shifts_the_demand_wants() -> None:
    # Four working days of seven, wanted on the last four days only.
    p = _one(
        7,
        Contract(min_days=4, max_days=4),
        shift_demand=tuple(ShiftDemand(day(i), "early", 0, int(i >= 3)) for i in range(7)),
    )
    row = _pattern_row(_Person(p, 0, [[OFF] * 7], [], _Cover(p)), _RowSearch(1, 0, 1.0, None), 5.0)
    assert row is not None
    report = check_grid(p, [row])
    assert report.valid
    assert report.objective == 0
    assert [d for d, k in enumerate(row) if k != OFF] == [3, 4, 5, 6]


SHORT = ShiftType("short", "short shift", 8 * 60, 16 * 60)
LONG = ShiftType("long", "long shift", 8 * 60, 20 * 60)
NO_CLOCK_REST = {"min_rest": RuleSetting(enabled=False)}


def _two_shifts(days: int, contract: Contract, wanted: list[str], **rules: Any) -> RosterProblem:
    """One agent who may work SHORT or LONG; ``wanted[d]`` is the shift the demand wants."""
    return problem(
        days,
        (Staff("a0", "Agent0", contract=contract),),
        shifts=(SHORT, LONG),
        rules={**NO_CLOCK_REST, **rules},
        shift_demand=tuple(
            ShiftDemand(day(d), s.id, 0, int(s.id == want), under_weight=10)
            for d, want in enumerate(wanted)
            for s in (SHORT, LONG)
        ),
    )


def test_pattern_shifts_take_the_wanted_shift_of_each_working_day() -> None:
    p = _two_shifts(4, Contract(), ["long", "short", "long", "short"])
    row = pattern_shifts(p, [True, True, False, True])
    assert row == [1, 0, OFF, 0]
    assert check_grid(p, [row]).valid


def test_pattern_shifts_keep_to_forbidden_successions() -> None:
    # LONG then SHORT the next day is forbidden; the demand wants exactly that on days 0-1.
    p = _two_shifts(
        3, Contract(), ["long", "short", "short"], forbidden_successions=(("long", "short"),)
    )
    row = pattern_shifts(p, [True, True, True])
    assert row is not None
    assert check_grid(p, [row]).valid
    assert row != [1, 0, 0]
    # One wanted shift given up (10) for one shift nobody wanted (1): the least it can cost.
    assert check_grid(p, [row]).objective == 11


def test_pattern_shifts_keep_to_the_maximum_of_a_shift_type() -> None:
    p = _two_shifts(4, Contract(max_shifts={"long": 1}), ["long"] * 4)
    row = pattern_shifts(p, [True] * 4)
    assert row is not None
    assert row.count(1) == 1
    assert check_grid(p, [row]).valid


def test_pattern_shifts_meet_the_minute_window_with_shifts_of_two_lengths() -> None:
    # Five days, exactly 2 x 720 + 3 x 480 minutes, though the demand wants short shifts only.
    exact = 2 * LONG.minutes + 3 * SHORT.minutes
    p = _two_shifts(5, Contract(min_minutes=exact, max_minutes=exact), ["short"] * 5)
    row = pattern_shifts(p, [True] * 5)
    assert row is not None
    assert row.count(1) == 2
    assert check_grid(p, [row]).valid
    # And no way into a window between the totals a row can reach: no row at all.
    between = exact + 60
    assert (
        pattern_shifts(
            _two_shifts(5, Contract(min_minutes=between, max_minutes=between), ["short"] * 5),
            [True] * 5,
        )
        is None
    )


def test_the_cover_arrays_price_shifts_as_the_residual_demand_does() -> None:
    # Two agents; a0's row is placed, so a1's costs are what a0 leaves open.
    p = problem(
        3,
        (Staff("a0", "Agent0"), Staff("a1", "Agent1")),
        shifts=(SHORT, LONG),
        shift_demand=(
            ShiftDemand(day(0), "short", 0, 1, under_weight=7, over_weight=2),
            ShiftDemand(day(1), "short", 0, 2, under_weight=7, over_weight=2),
            ShiftDemand(day(1), "long", 0, 1, under_weight=5, over_weight=3),
        ),
    )
    grid = [[0, 0, 1], [OFF] * 3]
    cover = _Cover(p)
    cover.place(grid[0])
    arrays = cover.cost()
    assert arrays is not None
    assert (arrays == cover_costs(person_problem(p, 1, grid, [0]))).all()
    # Day 0 short is covered (one more is over: +2); day 1 short still wants one (-7).
    assert arrays[0, 0] == 2
    assert arrays[1, 0] == -7
    assert arrays[2, 1] == 0  # no demand row: no cost either way


def test_improve_rows_moves_a_row_off_the_days_another_row_already_covers() -> None:
    # Two agents, two days each, one early shift wanted on each of four days.
    p = problem(
        4,
        (
            Staff("a0", "Agent0", contract=Contract(min_days=2, max_days=2)),
            Staff("a1", "Agent1", contract=Contract(min_days=2, max_days=2)),
        ),
        shifts=(EARLY,),
        shift_demand=tuple(ShiftDemand(day(d), "early", 0, 1) for d in range(4)),
    )
    both_early = [[0, 0, OFF, OFF], [0, 0, OFF, OFF]]
    assert check_grid(p, both_early).objective == 2 * 10 + 2 * 1
    grid, changed = improve_rows(p, both_early, time.monotonic() + 10)
    report = check_grid(p, grid)
    assert report.valid
    assert report.objective == 0
    assert changed == 1
    assert both_early == [[0, 0, OFF, OFF], [0, 0, OFF, OFF]]  # the caller's grid is kept


def test_improve_rows_stops_at_its_deadline() -> None:
    p = _one(7, Contract())
    grid, changed = improve_rows(p, [[OFF] * 7], time.monotonic() - 1)
    assert (grid, changed) == ([[OFF] * 7], 0)
