"""A first roster built one person at a time (used where no hard rule couples people)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

import solver.lns as lns_module
from solver import (
    Contract,
    RosterProblem,
    RuleSetting,
    SolveOptions,
    SolveStatus,
    Staff,
    check,
)
from solver.check import OFF, check_grid
from solver.curtois import read_instance
from solver.lns import solve_with_lns
from solver.problem import Leave, Request, RequestKind, ShiftDemand
from solver.result import RosterSolution
from solver.rows import independent_rows, person_problem, rows_roster
from solver.testing import EARLY, day, demand, people, problem

DATA = Path("/work/shared/bench-data/curtois")
needs_data = pytest.mark.skipif(not DATA.exists(), reason="benchmark data not present")
SOFT_MIN = {"demand_minimum": RuleSetting(hard=False, weight=1000)}


def _three_for_seven() -> RosterProblem:
    """One early shift wanted each day of a week; three people who may work 3, 3 and 1 days.

    Only rows that take the demand the earlier rows leave open cover every day exactly once
    (objective 0): a row chosen alone would put its days anywhere.
    """
    caps = (3, 3, 1)
    staff = tuple(
        Staff(f"a{i}", f"Agent{i}", contract=Contract(max_days=cap)) for i, cap in enumerate(caps)
    )
    return problem(
        7,
        staff,
        shifts=(EARLY,),
        shift_demand=demand(7, "early", 0, 1, under_weight=10, over_weight=1),
    )


def test_independent_rows_only_when_no_hard_rule_couples_people() -> None:
    assert independent_rows(_three_for_seven())
    with_minimum = problem(3, people(2), shifts=(EARLY,), shift_demand=demand(3, "early", 1))
    assert not independent_rows(with_minimum)
    soft_minimum = problem(
        3, people(2), shifts=(EARLY,), shift_demand=demand(3, "early", 1), rules=SOFT_MIN
    )
    assert independent_rows(soft_minimum)
    # The department's defaults: a late shift is never staffed alone, the meeting slot.
    assert not independent_rows(problem(3, people(2), isolate=False))


def test_person_problem_keeps_only_the_demand_the_placed_rows_leave() -> None:
    p = problem(
        3,
        (*people(2, team="A"), Staff("b0", "B0", team="B")),
        shifts=(EARLY,),
        shift_demand=(*demand(3, "early", 0, 2), ShiftDemand(day(0), "early", 0, 1, team="B")),
        leave=(Leave("a0", day(2), day(2)),),
        requests=(Request("a0", day(1), RequestKind.DAY_OFF, weight=4),),
    )
    grid = [[0, OFF, OFF], [OFF] * 3, [OFF] * 3]
    sub = person_problem(p, 1, grid, placed=[0])
    assert [person.id for person in sub.staff] == ["a1"]
    # a0 covers day 0, so one more is wanted there and two on the other days; team B's
    # row does not count a1 at all.
    assert [(d.date, d.target, d.team) for d in sub.shift_demand] == [
        (day(0), 1, None),
        (day(1), 2, None),
        (day(2), 2, None),
    ]
    assert sub.leave == ()
    assert sub.requests == ()


def test_rows_cover_the_demand_the_earlier_rows_leave_open() -> None:
    p = _three_for_seven()
    grid = rows_roster(p, time.monotonic() + 10, num_workers=1)
    assert grid is not None
    report = check_grid(p, grid)
    assert report.valid
    assert report.objective == 0  # every day covered exactly once
    per_day = Counter(d for row in grid for d, k in enumerate(row) if k != OFF)
    assert per_day == Counter(range(7))


def test_no_rows_for_a_person_who_has_no_valid_row() -> None:
    p = problem(
        3,
        (Staff("a0", "Agent0", contract=Contract(min_days=3)),),
        shifts=(EARLY,),
        shift_demand=demand(3, "early", 0, 1),
        leave=(Leave("a0", day(1), day(1)),),
    )
    assert independent_rows(p)
    assert rows_roster(p, time.monotonic() + 10, num_workers=1) is None


def test_no_rows_after_the_deadline() -> None:
    assert rows_roster(_three_for_seven(), time.monotonic() - 1) is None


def test_the_lns_starts_from_rows_when_the_first_phase_has_no_roster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Curtois 20-24's case, where CP-SAT finds no roster in the time: rows give one."""
    p = _three_for_seven()
    monkeypatch.setattr(
        lns_module,
        "solve",
        lambda *args, **kwargs: RosterSolution(status=SolveStatus.TIMEOUT_NO_SOLUTION),
    )
    seen: list[int] = []
    sol = solve_with_lns(
        p, SolveOptions(time_limit=3.0, num_workers=1), progress=lambda u: seen.append(u.objective)
    )
    assert sol.status is SolveStatus.FEASIBLE
    assert sol.assignment is not None
    assert sol.objective == 0
    assert check(p, sol.assignment).valid
    assert seen
    assert seen[0] == 0
    assert sol.time_to_first is not None


@needs_data
def test_rows_give_a_valid_curtois_roster() -> None:
    p = read_instance((DATA / "Instance1.txt").read_text(encoding="utf-8"), "Instance1")
    assert independent_rows(p)
    grid = rows_roster(p, time.monotonic() + 30, num_workers=1)
    assert grid is not None
    assert check_grid(p, grid).valid
