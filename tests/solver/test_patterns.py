"""A person's work/off pattern by dynamic programming, checked against every pattern."""

from __future__ import annotations

import itertools

from solver import Contract, RosterProblem, Staff
from solver.check import OFF, check_grid
from solver.patterns import pattern_counts, work_pattern
from solver.problem import HistoryCell, Leave, ShiftDemand
from solver.rows import _pattern_row, _RowSearch
from solver.solve import build_model
from solver.testing import EARLY, day, problem

RUNS = Contract(
    max_consecutive_days=4, min_consecutive_days=2, min_consecutive_days_off=2, max_weekends=1
)


def _one(days: int, contract: Contract, **kwargs: object) -> RosterProblem:
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
    built = build_model(p)
    row = _pattern_row(p, built, _RowSearch(1, 0, 1.0, None), 5.0)
    assert row is not None
    report = check_grid(p, [row])
    assert report.valid
    assert report.objective == 0
    assert [d for d, k in enumerate(row) if k != OFF] == [3, 4, 5, 6]
