"""A last look at a time-limited roster: drop shifts nobody needs.

CP-SAT stopped by its time limit can return a roster with people on shifts beyond every
target, each of them a pure cost: the surplus itself, and on a statutory holiday the holiday
worked that DOMAIN.md says staff rest on "unless the roster puts them on duty" (needed). An
audit found New Year's Day with eight people on it where four were wanted, while clearing the
four surplus cells was cheaper and broke no rule. This pass tries exactly that, one surplus cell
at a time, holidays first, and keeps a change only when the checker finds the roster still valid
and strictly cheaper, so it can never make a roster worse or break a hard rule. It is bounded
in time (a small share of the solve's), and locked cells are never touched.
"""

from __future__ import annotations

import time

from solver.check import OFF, check_grid
from solver.hint import demand_per_shift
from solver.problem import RosterProblem

#: Longest the pass may run, in seconds, whatever the solve's time limit.
MAX_SECONDS = 2.0


def _surplus_cells(problem: RosterProblem, grid: list[list[int]]) -> list[tuple[int, int]]:
    """(person, day) of every shift on a day that has more people on it than it aims for.

    Holidays first (their surplus costs the most and is what staff notice), then by day.
    """
    aim = demand_per_shift(problem, with_teams=False)
    cells: list[tuple[bool, int, int]] = []
    for d in range(problem.num_days):
        counts = [0] * len(problem.shift_types)
        for row in grid:
            if row[d] != OFF:
                counts[row[d]] += 1
        holiday = problem.calendar.is_holiday(problem.dates[d])
        for e, row in enumerate(grid):
            k = row[d]
            if k != OFF and counts[k] > aim[d][k] and (e, d) not in problem.locked:
                cells.append((not holiday, d, e))
    cells.sort()
    return [(e, d) for _, d, e in cells]


def drop_surplus(
    problem: RosterProblem, grid: list[list[int]], objective: int, seconds: float
) -> tuple[list[list[int]], int]:
    """The roster with surplus shifts removed while that lowers its cost; and that cost.

    ``objective`` is the roster's cost as the checker counts it. Returns the input unchanged
    when nothing helps or the roster breaks a hard rule (a manager's hint may).
    """
    deadline = time.monotonic() + min(seconds, MAX_SECONDS)
    if not check_grid(problem, grid).valid:
        return grid, objective
    best = [row[:] for row in grid]
    improved = True
    while improved and time.monotonic() < deadline:
        improved = False
        for e, d in _surplus_cells(problem, best):
            if time.monotonic() >= deadline:
                break
            kept = best[e][d]
            best[e][d] = OFF
            report = check_grid(problem, best)
            if report.valid and report.objective < objective:
                objective = report.objective
                improved = True
            else:
                best[e][d] = kept
    return best, objective
