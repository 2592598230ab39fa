"""Block search: one team re-solved at a time, everyone else fixed to the incumbent."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from typing import Any

import pytest
from ortools.sat.python import cp_model

from bench.generate import generate_department
from solver import (
    Progress,
    RosterProblem,
    RuleSetting,
    ShiftDemand,
    SolveOptions,
    SolveStatus,
    Staff,
    check,
    solve,
)
from solver.decompose import block_search, objective_of, team_blocks
from solver.solve import build_model, configure
from solver.testing import day, problem, solve_checked


def _toy() -> tuple[cp_model.CpModel, list[list[int]], list[int]]:
    """Three blocks of two Booleans, at least one true per block, and a free auxiliary.

    Block i's cheap literal costs 1 and its other literal 5; the auxiliary ``y`` (in no
    block) is the number of true literals and costs 1 each. Start: everything true.
    """
    m = cp_model.CpModel()
    blocks: list[list[int]] = []
    lits = []
    cost = []
    for i in range(3):
        a, b = m.new_bool_var(f"a{i}"), m.new_bool_var(f"b{i}")
        m.add_bool_or([a, b])
        blocks.append([a.Index(), b.Index()])
        lits += [a, b]
        cost += [1 * a, 5 * b]
    y = m.new_int_var(0, 6, "y")
    m.add(y == sum(lits))
    m.minimize(sum(cost) + y)
    start = [1] * 6 + [6]
    return m, blocks, start


def _configure(solver: cp_model.CpSolver, wall: float, det: float | None) -> None:
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = wall
    if det is not None:
        solver.parameters.max_deterministic_time = det


def test_block_search_improves_block_by_block_to_the_optimum() -> None:
    m, blocks, start = _toy()
    seen: list[int] = []

    def improved(vals: list[int]) -> bool:
        seen.append(objective_of(m, vals))
        return False

    best, stats = block_search(
        m,
        blocks,
        start,
        deadline=time.monotonic() + 10,
        configure=_configure,
        solve_limit=5,
        active=[],
        stopped=lambda: False,
        improved=improved,
    )
    assert objective_of(m, start) == 24
    # each block in turn drops its expensive literal: 24 -> 18 -> 12 -> 6
    assert seen == [18, 12, 6]
    assert objective_of(m, best) == 6
    assert stats.improvements == 3
    assert stats.rounds == 2  # the second round finds nothing and ends the search
    assert start == [1] * 6 + [6]  # the caller's incumbent is not modified


def test_block_search_ends_when_told() -> None:
    m, blocks, start = _toy()
    active: list[cp_model.CpSolver] = []
    best, stats = block_search(
        m,
        blocks,
        start,
        deadline=time.monotonic() + 10,
        configure=_configure,
        solve_limit=5,
        active=active,
        stopped=lambda: False,
        improved=lambda vals: True,  # e.g. the proven bound was reached
    )
    assert stats.solves == 1
    assert len(active) == 1
    assert objective_of(m, best) == 18
    best, stats = block_search(
        m,
        blocks,
        start,
        deadline=time.monotonic() + 10,
        configure=_configure,
        solve_limit=5,
        active=[],
        stopped=lambda: True,
        improved=lambda vals: False,
    )
    assert stats.solves == 0
    assert best == start


def test_block_search_spends_at_most_its_deterministic_budget() -> None:
    m, blocks, start = _toy()
    _best, stats = block_search(
        m,
        blocks,
        start,
        deadline=time.monotonic() + 10,
        configure=_configure,
        solve_limit=5,
        deterministic_budget=1e-9,
        active=[],
        stopped=lambda: False,
        improved=lambda vals: False,
    )
    assert stats.solves <= 1


def test_team_blocks_partition_the_shift_and_day_off_variables() -> None:
    p = generate_department(40, seed=2)
    built = build_model(p)
    blocks = team_blocks(p, built.vars)
    assert len(blocks) == len({q.team for q in p.staff}) == 2
    v = built.vars
    every = {v.off[e][d].Index() for e in range(len(p.staff)) for d in range(p.num_days)}
    every |= {
        x.Index()
        for e in range(len(p.staff))
        for d in range(p.num_days)
        for x in v.x[e][d]
        if x is not None
    }
    assert sorted(i for b in blocks for i in b) == sorted(every)


def test_configure_overrides_the_deterministic_limit_for_a_phase() -> None:
    solver = cp_model.CpSolver()
    configure(solver, SolveOptions(deterministic_time=4.0), time_limit=2.0, deterministic_time=1.0)
    assert solver.parameters.max_deterministic_time == 1.0
    assert solver.parameters.max_time_in_seconds == 2.0


def _two_teams() -> RosterProblem:
    """Two teams of three share one fairness group; each team's late row asks for one.

    Eight lates over six comparable people: the late spread is at least 1, which the
    counting relaxation proves. The start roster gives one person per team every late.
    """
    staff = tuple(Staff(f"{t}{i}", f"{t.upper()}{i}", team=t) for t in "ab" for i in range(3))
    rows = tuple(
        ShiftDemand(day(i), "late", 0, 1, under_weight=10, over_weight=10, team=t)
        for t in "ab"
        for i in range(4)
    )
    return problem(
        4, staff, rules={"fairness_late": RuleSetting(hard=False, weight=1)}, shift_demand=rows
    )


def _lopsided(p: RosterProblem) -> dict[str, dict[date, str | None]]:
    return {
        q.id: {day(i): "late" if q.id in ("a0", "b0") else None for i in range(4)} for q in p.staff
    }


def test_team_search_reaches_the_bound_and_reports_optimal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    p = _two_teams()
    seen: list[Progress] = []
    caplog.set_level(logging.INFO, logger="solver")
    sol = solve(p, SolveOptions(num_workers=1, hint=_lopsided(p)), progress=seen.append)
    assert "team search" in caplog.text
    assert next(ev.objective for ev in seen) == 4
    assert seen[-1].objective == sol.objective == 1
    assert sol.status is SolveStatus.OPTIMAL
    assert sol.best_bound == 1
    assert sol.gap == 0.0
    assert sol.assignment is not None
    report = check(p, sol.assignment)
    assert report.valid
    assert report.objective == 1


def test_team_search_is_reproducible() -> None:
    p = _two_teams()
    a = solve_checked(p, hint=_lopsided(p), deterministic_time=1.0, implied_bounds_time=0.5)
    b = solve_checked(p, hint=_lopsided(p), deterministic_time=1.0, implied_bounds_time=0.5)
    assert a.assignment == b.assignment
    assert a.objective == b.objective == 1


def test_cancel_during_the_team_search_returns_the_best_so_far() -> None:
    p = generate_department(20, seed=1)  # two teams of ten
    stop = threading.Event()
    seen: list[Progress] = []

    def progress(ev: Progress) -> None:
        seen.append(ev)
        if len(seen) == 2:  # the first is the greedy roster, the second the team search's
            stop.set()

    started = time.monotonic()
    sol = solve(p, SolveOptions(time_limit=60, num_workers=2), progress=progress, cancel=stop)
    assert time.monotonic() - started < 10
    assert len(seen) >= 2
    assert sol.status in (SolveStatus.CANCELLED, SolveStatus.OPTIMAL)
    assert sol.assignment is not None
    report = check(p, sol.assignment)
    assert report.valid
    assert sol.objective is not None
    assert report.objective == sol.objective <= seen[1].objective


@pytest.mark.parametrize("name", ["implied_bounds_time", "fairness_phase", "team_phase"])
def test_time_shares_are_shares(name: str) -> None:
    shares: dict[str, Any] = {name: 1.5}
    with pytest.raises(ValueError, match=name):
        SolveOptions(**shares)
