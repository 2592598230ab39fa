"""The roster LNS: it only ever returns checked rosters, no worse than its start."""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from solver import RosterProblem, RosterSolution, SolveOptions, SolveStatus, check
from solver.curtois import read_instance
from solver.lns import (
    LnsOptions,
    _heavy,
    _Running,
    _Search,
    _sub_solve,
    improve,
    solve_with_lns,
)
from solver.problem import Request, RequestKind
from solver.result import CheckReport
from solver.solve import build_model, complete_hint, grid_from_assignment
from solver.testing import day, demand, people, problem

DATA = Path("/work/shared/bench-data/curtois")


def _small() -> RosterProblem:
    """Six agents, two weeks, soft targets and a few requests: all-off is valid but dear."""
    p = problem(
        14,
        people(6),
        shift_demand=demand(14, "early", 0, 2) + demand(14, "late", 0, 1),
        requests=(
            Request("a0", day(3), RequestKind.DAY_OFF, weight=5),
            Request("a1", day(4), RequestKind.SHIFT_ON, "late", weight=3),
        ),
    )
    return p


def _all_off(p: RosterProblem) -> tuple[RosterSolution, CheckReport]:
    """Everyone off every day: a valid roster whose soft costs the LNS should lower."""
    all_off: dict[str, dict[date, str | None]] = {
        person.id: dict.fromkeys(p.dates) for person in p.staff
    }
    report = check(p, all_off)
    assert report.valid
    start = RosterSolution(
        status=SolveStatus.FEASIBLE,
        assignment=all_off,
        objective=report.objective,
        best_bound=0.0,
    )
    return start, report


def test_improve_never_worsens_and_the_checker_agrees() -> None:
    p = _small()
    start, report = _all_off(p)
    options = SolveOptions(time_limit=2.0, num_workers=1)
    better, found = improve(
        p,
        start,
        options,
        LnsOptions(sub_time=0.2),
        time.monotonic() + 1.5,
    )
    assert found > 0
    assert better.objective is not None
    assert better.objective < report.objective
    assert better.assignment is not None
    again = check(p, better.assignment)
    assert again.valid
    assert again.objective == better.objective


def test_cancelled_before_the_lns_returns_the_first_roster() -> None:
    p = _small()
    cancel = threading.Event()
    cancel.set()
    sol = solve_with_lns(p, SolveOptions(time_limit=2.0, num_workers=1), cancel=cancel)
    assert sol.status in (SolveStatus.CANCELLED, SolveStatus.CANCELLED_NO_SOLUTION)


def test_lns_options_are_validated() -> None:
    with pytest.raises(ValueError, match="first_phase"):
        LnsOptions(first_phase=1.0)
    with pytest.raises(ValueError, match="sub_time"):
        LnsOptions(sub_time=0)
    with pytest.raises(ValueError, match="people"):
        LnsOptions(people=0)


@pytest.mark.skipif(not DATA.exists(), reason="benchmark data not present")
def test_solve_with_lns_on_instance3_is_checked() -> None:
    p = read_instance((DATA / "Instance3.txt").read_text())
    sol = solve_with_lns(
        p, SolveOptions(time_limit=2.0, num_workers=1), LnsOptions(first_phase=0.25)
    )
    assert sol.assignment is not None
    report = check(p, sol.assignment)
    assert report.valid
    assert report.objective == sol.objective
    assert (sol.objective or 0) >= 1001  # the proven optimum


def test_a_first_phase_without_a_roster_goes_on_to_its_first_roster_then_improves() -> None:
    p = read_instance((DATA / "Instance3.txt").read_text()) if DATA.exists() else _small()
    seen: list[int] = []
    sol = solve_with_lns(
        p,
        SolveOptions(time_limit=2.0, num_workers=1),
        LnsOptions(first_phase=0.0001),
        progress=lambda update: seen.append(update.objective),
    )
    assert sol.status in (SolveStatus.FEASIBLE, SolveStatus.OPTIMAL)
    assert sol.assignment is not None
    assert check(p, sol.assignment).objective == sol.objective
    assert seen
    assert seen[-1] == sol.objective
    assert seen == sorted(seen, reverse=True)


def test_a_cancel_while_looking_for_the_first_roster_is_the_callers() -> None:
    p = read_instance((DATA / "Instance3.txt").read_text()) if DATA.exists() else _small()
    cancel = threading.Event()
    sol = solve_with_lns(
        p,
        SolveOptions(time_limit=2.0, num_workers=1),
        LnsOptions(first_phase=0.0001),
        progress=lambda _: cancel.set(),
        cancel=cancel,
    )
    assert sol.status in (SolveStatus.CANCELLED, SolveStatus.CANCELLED_NO_SOLUTION)


def _search_from_all_off(p: RosterProblem, lns: LnsOptions) -> tuple[_Search, list[int]]:
    """The LNS's shared state with the all-off roster as incumbent, and that roster's values."""
    start, report = _all_off(p)
    assert start.assignment is not None
    built = build_model(p)
    assert complete_hint(built, grid_from_assignment(p, start.assignment), SolveOptions())
    values = list(built.model.proto.solution_hint.values)
    return _Search(built, values, report.objective, lns), values


def test_targeted_neighbourhoods_hold_the_costs() -> None:
    """A person with an unmet request is costly; windows cover days with coverage costs."""
    p = _small()
    search, values = _search_from_all_off(p, LnsOptions(window=1))
    assert search.cost(values) == search.objective
    # a1 asked for a late shift on day 4 (weight 3); a0's day-off request is met
    assert [search.person_cost(e) for e in range(3)] == [0, 3, 0]
    rng = random.Random(0)
    for _ in range(20):  # every day is short of its targets, so every window is costly
        cells = search.neighbourhood("window", rng)
        assert len({d for _, d in cells}) == 1


def test_a_pair_frees_everyone_on_two_windows_apart() -> None:
    """A shift gained in one week and one given up in another fit in one neighbourhood."""
    p = _small()
    search, _ = _search_from_all_off(p, LnsOptions(pair=3))
    rng = random.Random(1)
    for _ in range(20):
        cells = search.neighbourhood("pair", rng)
        days = sorted({d for _, d in cells})
        assert cells == {(e, d) for e in range(len(p.staff)) for d in days}
        assert len(days) == 6
        runs = [d for i, d in enumerate(days) if i == 0 or days[i - 1] != d - 1]
        assert 1 <= len(runs) <= 2  # two windows of 3, apart or end to end


def _short_of_cover() -> RosterProblem:
    """Uncovered shifts at 100 against requests at 3-5; no roster covers every shift."""
    return problem(
        14,
        people(3),
        shift_demand=demand(14, "early", 0, 3, under_weight=100)
        + demand(14, "late", 0, 1, under_weight=100),
        requests=(
            Request("a0", day(3), RequestKind.DAY_OFF, weight=5),
            Request("a1", day(4), RequestKind.SHIFT_ON, "late", weight=3),
        ),
    )


def test_a_heavy_solve_lowers_the_heavy_cost_and_caps_it_for_the_lns() -> None:
    """Lexicographic from then on: the old incumbent's heavy cost is no longer allowed."""
    p = _short_of_cover()
    start, report = _all_off(p)
    built = build_model(p)
    assert complete_hint(built, grid_from_assignment(p, start.assignment or {}), SolveOptions())
    values = list(built.model.proto.solution_hint.values)
    built.model.clear_hints()  # type: ignore[no-untyped-call]
    search = _Search(built, values, report.objective, LnsOptions())
    before = search.heavy_cost(values)
    assert before > 0
    assert _heavy(search, 2.0, SolveOptions(num_workers=1), _Running())
    assert search.heavy_cost(search.values) < before
    assert search.heavy_tried == {before}
    assert search.best_objective == search.objective <= report.objective
    capped = built.model.clone()
    for i, value in enumerate(values):  # the all-off roster, fixed
        domain = capped.proto.variables[i].domain
        domain.clear()
        domain.extend([value, value])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(capped) == cp_model.INFEASIBLE


def test_a_stalled_lns_runs_a_heavy_solve_and_returns_a_checked_roster(
    caplog: pytest.LogCaptureFixture,
) -> None:
    p = _short_of_cover()
    start, report = _all_off(p)
    caplog.set_level(logging.INFO, logger="solver.lns")
    better, _ = improve(
        p,
        start,
        SolveOptions(num_workers=1),
        LnsOptions(sub_time=0.1, stall=0.05, heavy_time=0.2),
        time.monotonic() + 3.0,
    )
    assert any(r.getMessage().startswith("lns: heavy ") for r in caplog.records)
    assert better.assignment is not None
    again = check(p, better.assignment)
    assert again.valid
    assert again.objective == better.objective
    assert better.objective is not None
    assert better.objective < report.objective
    with pytest.raises(ValueError, match="stall"):
        LnsOptions(stall=1.0)
    with pytest.raises(ValueError, match="heavy_time"):
        LnsOptions(heavy_time=0)


def _one_early_on_day_0(n: int) -> tuple[_Search, list[int], list[list[int]]]:
    """n interchangeable agents, one early shift wanted on day 0 of 2; a0 works it."""
    p = problem(2, people(n), shift_demand=demand(1, "early", 0, 1))
    grid = [[0 if e == 0 and d == 0 else -1 for d in range(2)] for e in range(n)]
    built = build_model(p)
    assert complete_hint(built, grid, SolveOptions())
    values = list(built.model.proto.solution_hint.values)
    built.model.clear_hints()  # type: ignore[no-untyped-call]
    search = _Search(built, values, 0, LnsOptions())
    assert search.cost(values) == 0
    return search, values, grid


def test_a_sideways_sub_solve_moves_along_a_plateau() -> None:
    """The incumbent is optimal; sideways, another person takes the shift at equal cost."""
    search, values, _ = _one_early_on_day_0(2)
    free = {(0, 0), (1, 0)}
    for seed in range(5):
        _, found = _sub_solve(search, free, values, 0, seed, 5.0, _Running(), sideways=True)
        assert found is not None
        assert search.cost(found) == 0
        early = [search.built.vars.x[e][0][0] for e in range(2)]
        assert [found[v.Index()] for v in early if v is not None] == [0, 1]  # a1 works it


def test_a_sideways_sub_solve_without_an_alternative_is_closed() -> None:
    search, values, _ = _one_early_on_day_0(1)
    closed, found = _sub_solve(search, {(0, 0)}, values, 0, 1, 5.0, _Running(), sideways=True)
    assert closed
    assert found is None


def test_a_threshold_lets_a_sideways_move_cost_a_little_more_and_keeps_the_best() -> None:
    """a0 works the wanted early shift at no cost; a1 asked for day 0 off (weight 1).

    With no threshold the only other rosters cost more, so a sideways sub-solve finds
    none; with a threshold of 1 the shift may move to a1 at cost 1. The incumbent then
    costs 1 while the best roster seen stays the one at 0.
    """
    p = problem(
        2,
        people(2),
        shift_demand=demand(1, "early", 0, 1),
        requests=(Request("a1", day(0), RequestKind.DAY_OFF, weight=1),),
    )
    built = build_model(p)
    grid = [[0, -1], [-1, -1]]
    assert complete_hint(built, grid, SolveOptions())
    values = list(built.model.proto.solution_hint.values)
    built.model.clear_hints()  # type: ignore[no-untyped-call]
    search = _Search(built, values, 0, LnsOptions())
    assert search.cost(values) == 0
    free = {(0, 0), (1, 0)}
    assert search.ceiling(sideways=True, threshold=0.0) == 0
    closed, found = _sub_solve(search, free, values, 0, 1, 5.0, _Running(), sideways=True)
    assert closed
    assert found is None
    search.best_objective = search.objective = 100  # a best of 100: 1 % is one unit
    assert search.ceiling(sideways=False, threshold=0.01) == 100
    assert search.ceiling(sideways=True, threshold=0.01) == 101
    search.best_objective = search.objective = 0
    _, found = _sub_solve(search, free, values, 1, 1, 5.0, _Running(), sideways=True)
    assert found is not None
    assert search.cost(found) == 1
    assert not search.travel(found, 1, ceiling=1)  # taken, but not better
    assert search.values == found
    assert search.objective == 1
    assert (search.best_values, search.best_objective) == (values, 0)
    assert not search.travel(values[:], 2, ceiling=1)  # above the ceiling: refused
    assert search.objective == 1
    with pytest.raises(ValueError, match="threshold"):
        LnsOptions(threshold=1.0)
