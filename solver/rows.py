"""A first roster built one person at a time, where no hard rule couples people.

Why: on the large Curtois & Qu instances (20-24: half a year to a year, 50-150 people)
CP-SAT finds no roster at all in a minute, not even with the objective removed, and on
13 and 17-19 its first roster takes 11-24 s. Yet in those problems every hard rule is a
person's own (shift maximums, total minutes, runs, days off, weekends, successions) and
demand is only a soft target. A roster is then any combination of rows that are each
valid on their own, and a row is a small model: on a half-year horizon CP-SAT finds one
in well under a second with its full LP (without it, some rows took more than 20 s).

Each person is solved against the *residual* demand (each row's target less what the
people placed before already cover), with the same under- and over-staffing weights,
so a shift a person adds costs exactly what it adds to the whole roster: the first
people take the shifts that are most needed, the later ones fill what is left. That
is a greedy, not an optimum; the roster LNS (:mod:`solver.lns`) improves it.

On a year's horizon (Curtois 22-24) CP-SAT can need 5-10 s for one row. Once it misses
a row within its share, every later row starts from a pattern of working days that
:mod:`solver.patterns` builds by dynamic programming, whose shifts
:mod:`solver.pattern_shifts` picks by shortest path (CP-SAT picks them where the checker
rejects that row; the full search stays as the last fallback). :func:`improve_rows`
then re-solves each row against everyone else's cover, which undoes much of the
greedy's order (Curtois 22: 96,000 to 63,000 in 30 s).

Where a hard rule does couple people (a demand minimum, a never-alone shift, a trainee
who may not work alone, the meeting slot), :func:`independent_rows` says so and the
caller keeps to CP-SAT: rows solved alone would break those rules.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TypeVar

import numpy as np
from ortools.sat.python import cp_model

from solver.check import OFF, check_grid, covering
from solver.pattern_shifts import cover_costs, pattern_shifts
from solver.patterns import drop_to, most_days, pattern_counts
from solver.problem import IntervalDemand, RosterProblem, RuleSetting, ShiftDemand
from solver.solve import BuiltModel, build_model, extract_grid

log = logging.getLogger("solver.rows")

_INF = float("inf")

PATTERN_SECONDS = 1.0
"""Time for CP-SAT to pick the shifts of one fixed pattern (it needs 0.1-0.4 s on Curtois
22); a pattern whose shifts it cannot place by then gives way to the next count."""

PATTERN_COUNTS = 3
"""How many working-day counts :func:`_pattern_row` tries, nearest the contract's middle first."""

PERSON_SHARE = 0.25
"""Share of the time given, divided equally among the people, for each person's own search.

A row whose search has found a roster by the end of its share stops there; one that has
not goes on to its first roster. On Curtois 13 and 17-19 with a 60 s limit nearly every
row is proven or found within its share, so the whole roster takes 4-11 s and leaves most
of the time to the LNS.
"""


def independent_rows(problem: RosterProblem) -> bool:
    """True when no hard rule involves two people, so valid rows make a valid roster."""
    rules = problem.rules

    def hard(setting: RuleSetting) -> bool:
        return setting.enabled and setting.hard

    minimums = [d.minimum for d in problem.shift_demand] + [
        d.minimum for d in problem.interval_demand
    ]
    if hard(rules.demand_minimum) and any(m > 0 for m in minimums):
        return False
    if hard(rules.never_alone) and any(s.never_alone for s in problem.shift_types):
        return False
    if hard(rules.trainee_not_alone) and any(p.trainee for p in problem.staff):
        return False
    return not (hard(rules.meeting) and problem.calendar.meeting is not None)


def person_problem(
    problem: RosterProblem, e: int, grid: list[list[int]], placed: list[int]
) -> RosterProblem:
    """Person ``e`` alone, against the demand the ``placed`` people's rows leave open."""
    person = problem.staff[e]
    covered: Counter[tuple[int, int, str | None]] = Counter()
    for j in placed:
        team = problem.staff[j].team
        for d, k in enumerate(grid[j]):
            if k != OFF:
                covered[d, k, None] += 1
                if team is not None:
                    covered[d, k, team] += 1

    shift_rows = []
    for dem in problem.shift_demand:
        if dem.team is not None and dem.team != person.team:
            continue  # a row of another team: this person counts nowhere in it
        n = covered[problem.day_index[dem.date], problem.shift_index[dem.shift_id], dem.team]
        shift_rows.append(_less(dem, n))
    interval_rows = []
    for iv in problem.interval_demand:
        if iv.team is not None and iv.team != person.team:
            continue
        d = problem.day_index[iv.date]
        own = problem.history_by_staff.get(e, {})
        n = sum(
            covered[d - off, k, iv.team]
            if d - off >= 0
            # Everyone else's overnight shift from last month (the person's own stays theirs).
            else problem.history_on(d - off, k, iv.team) - (own.get(d - off) == k)
            for off, k in covering(problem, iv.start_minute, iv.end_minute)
        )
        interval_rows.append(_less(iv, n))
    return alone(problem, e, tuple(shift_rows), tuple(interval_rows))


def alone(
    problem: RosterProblem,
    e: int,
    shift_demand: tuple[ShiftDemand, ...] = (),
    interval_demand: tuple[IntervalDemand, ...] = (),
) -> RosterProblem:
    """Person ``e`` alone with their own facts and requests, and the demand given."""
    person = problem.staff[e]
    pid = person.id
    reference = problem.reference
    if reference is not None:
        reference = dataclasses.replace(
            reference, cells={k: v for k, v in reference.cells.items() if k == pid}
        )
    return dataclasses.replace(
        problem,
        staff=(person,),
        shift_demand=shift_demand,
        interval_demand=interval_demand,
        leave=tuple(x for x in problem.leave if x.staff_id == pid),
        locks=tuple(x for x in problem.locks if x.staff_id == pid),
        history=tuple(x for x in problem.history if x.staff_id == pid),
        following=tuple(x for x in problem.following if x.staff_id == pid),
        requests=tuple(x for x in problem.requests if x.staff_id == pid),
        reference=reference,
    )


_Row = TypeVar("_Row", ShiftDemand, IntervalDemand)


def _less(row: _Row, n: int) -> _Row:
    """``row`` with ``n`` fewer people wanted (a year has 10,000s of rows: most keep theirs)."""
    if n == 0 or (row.minimum == 0 and row.target == 0):
        return row
    return dataclasses.replace(row, minimum=max(0, row.minimum - n), target=max(0, row.target - n))


def rows_roster(
    problem: RosterProblem,
    deadline: float,
    *,
    num_workers: int = 2,
    seed: int = 0,
    stopped: Callable[[], bool] | None = None,
) -> list[list[int]] | None:
    """Every person's row in staff order, each against the demand the earlier rows leave.

    Args:
        problem: A problem for which :func:`independent_rows` holds.
        deadline: ``time.monotonic()`` by which the whole roster must be built.
        num_workers: CP-SAT workers per row.
        seed: CP-SAT's random seed.
        stopped: Asked between rows and while a row is searched; True gives up.

    Returns:
        A grid of shift indices (``OFF`` = day off), or None when time ran out, the
        caller stopped it, or some person has no valid row at all (the problem is then
        infeasible; CP-SAT's own solve names why).
    """
    grid = [[OFF] * problem.num_days for _ in problem.staff]
    placed: list[int] = []
    share = PERSON_SHARE * (deadline - time.monotonic()) / max(1, len(problem.staff))
    search = _RowSearch(num_workers, seed, share, stopped)
    patterns_first = False  # until CP-SAT first misses a row within its share
    cover = _Cover(problem)
    for e in range(len(problem.staff)):
        if deadline <= time.monotonic() or (stopped is not None and stopped()):
            return None
        one = _Person(problem, e, grid, placed, cover)
        row = None
        if not patterns_first:
            row = search.row(one, one.built.model, min(share, deadline - time.monotonic()))
            patterns_first = row is None
        if row is None:
            seconds = min(PATTERN_SECONDS, deadline - time.monotonic())
            row = _pattern_row(one, search, seconds)
        if row is None:
            row = search.row(one, one.built.model, deadline - time.monotonic())
        if row is None:
            log.info("rows: no row for %s after %d of %d people", problem.staff[e].id, e, len(grid))
            return None
        grid[e] = row
        placed.append(e)
        cover.place(row)
    return grid


class _Cover:
    """The shift demand as (day, shift) arrays, less what the placed rows cover.

    Why: a year of 32 shift types is 11,648 demand rows; rebuilding them for each of
    150 people (:func:`person_problem`) takes longer than the rows themselves. Where
    every row is department-wide and there is no interval demand (every Curtois
    instance), the residual cost of a shift is read from these arrays instead.
    """

    def __init__(self, problem: RosterProblem) -> None:
        H, K = problem.num_days, len(problem.shift_types)
        weight = problem.rules.demand_target.weight
        self.target = np.zeros((H, K), dtype=np.int64)
        self.under = np.zeros((H, K))
        self.over = np.zeros((H, K))
        self.covered = np.zeros((H, K), dtype=np.int64)
        self.simple = not problem.interval_demand and problem.rules.demand_target.enabled
        seen: set[tuple[int, int]] = set()
        for dem in problem.shift_demand:
            cell = problem.day_index[dem.date], problem.shift_index[dem.shift_id]
            if dem.team is not None or cell in seen:
                self.simple = False
                break
            seen.add(cell)
            self.target[cell] = dem.target
            self.under[cell] = dem.under_weight * weight
            self.over[cell] = dem.over_weight * weight

    def place(self, row: list[int], sign: int = 1) -> None:
        """Count a placed row's shifts as covered (``sign`` -1: take them out again)."""
        for d, k in enumerate(row):
            if k != OFF:
                self.covered[d, k] += sign

    def cost(self) -> np.ndarray | None:
        """Per (day, shift), what one more person on it adds; None if not ``simple``."""
        if not self.simple:
            return None
        return np.where(self.target > self.covered, -self.under, self.over)


class _Person:
    """One person's problem and, built on first use, its CP-SAT model.

    The pattern path needs only the person's own rules (``bare``) and the residual
    cover cost; the full problem with its residual demand, and its model, are built
    only when CP-SAT runs.
    """

    def __init__(
        self,
        problem: RosterProblem,
        e: int,
        grid: list[list[int]],
        placed: list[int],
        cover: _Cover,
    ) -> None:
        self.problem, self.e, self.grid, self.placed = problem, e, grid, placed
        self.cover_cost = cover.cost()

    @functools.cached_property
    def sub(self) -> RosterProblem:
        """The person against the demand the placed rows leave."""
        return person_problem(self.problem, self.e, self.grid, self.placed)

    @functools.cached_property
    def bare(self) -> RosterProblem:
        """The person without demand: their own hard rules, checked quickly.

        Rows are independent only where no demand minimum is hard, so demand can break
        no hard rule, and a year of demand rows makes the checker slow.
        """
        return alone(self.problem, self.e)

    @functools.cached_property
    def built(self) -> BuiltModel:
        """The model (0.1-0.4 s to build on a year's horizon: only when CP-SAT runs)."""
        return build_model(self.sub)


@dataclasses.dataclass(frozen=True)
class _RowSearch:
    """CP-SAT on one person's row, with the settings every row of a roster shares."""

    num_workers: int
    seed: int
    share: float
    stopped: Callable[[], bool] | None

    def row(self, one: _Person, model: cp_model.CpModel, seconds: float) -> list[int] | None:
        """The row found in ``model`` (``one``'s, or a copy with more constraints)."""
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = self.num_workers
        solver.parameters.random_seed = self.seed
        solver.parameters.linearization_level = 2
        solver.parameters.max_time_in_seconds = max(0.01, seconds)
        code = _solve_row(solver, model, self.share, self.stopped)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return extract_grid(one.sub, one.built, solver.value)[0]


def _pattern_row(one: _Person, search: _RowSearch, seconds: float) -> list[int] | None:
    """The row with its working days fixed to a :mod:`solver.patterns` pattern, if any.

    Tries the pattern for each of the first few working-day counts the contract allows.
    Its shifts come from :func:`solver.pattern_shifts.pattern_shifts` when the checker
    accepts that row, else from CP-SAT with the working days fixed, against the same
    objective.
    """
    for pattern, row, _ in _pattern_rows(one):
        if row is not None:
            return row
        built = one.built
        fixed = built.model.clone()
        for d, works in enumerate(pattern):
            off = fixed.get_bool_var_from_proto_index(built.vars.off[0][d].index)
            fixed.add(off == int(not works))
        row = search.row(one, fixed, seconds)
        if row is not None:
            return row
    return None


def _pattern_rows(one: _Person) -> Iterator[tuple[list[bool], list[int] | None, float]]:
    """Per working-day count, the pattern and its row by :mod:`solver.pattern_shifts`.

    The row is None where the shifts could not be placed or the checker rejects it;
    else it comes with what it costs: its residual cover plus its own soft terms.
    """
    bare = one.bare
    cover = one.cover_cost if one.cover_cost is not None else cover_costs(one.sub)
    allowed = bare.allowed_shifts(0)
    need = [max(0, int(-cost[allowed].min(initial=0))) for cost in cover]
    most = most_days(bare, 0, need)
    if most is None:
        return
    for count in pattern_counts(bare, 0)[:PATTERN_COUNTS]:
        pattern = drop_to(bare, 0, most, count, need)
        if pattern is None:
            continue
        row = pattern_shifts(bare, pattern, cover)
        report = None if row is None else check_grid(bare, [row])
        if row is None or report is None or not report.valid:
            yield pattern, None, _INF
            continue
        yield pattern, row, _row_cost(cover, row) + report.objective


def _row_cost(cover: np.ndarray, row: list[int]) -> float:
    """What a row's shifts add to the demand's cost, given what the others cover."""
    return float(sum(cover[d, k] for d, k in enumerate(row) if k != OFF))


def improve_rows(
    problem: RosterProblem,
    grid: list[list[int]],
    deadline: float,
    stopped: Callable[[], bool] | None = None,
) -> tuple[list[list[int]], int]:
    """Each person's row again, against what everyone else covers, kept where it costs less.

    Why: the first rows are chosen before the later ones exist, and on a year's horizon
    the LNS cannot make up for it: its model takes 8-22 s to build and each sub-solve
    moves a few cells of 36,000-55,000. Re-solving whole rows by
    :func:`_pattern_rows` against the others' cover is a descent on the whole
    objective (a row's own terms and its cover cost are exactly what it changes, for
    a problem whose rows are independent), at 1.6-7 s a pass over everyone. Only the
    spreads between people (fairness) are not seen here: the caller compares the
    whole roster before and after.

    Passes go over the staff until one changes no row, time runs out or ``stopped``
    says so. Returns the grid (a new one) and the number of rows changed. Only where
    the demand has no team rows or intervals (:class:`_Cover`); else the grid as it is.
    """
    cover = _Cover(problem)
    grid = [list(row) for row in grid]
    if not cover.simple:
        return grid, 0
    for row in grid:
        cover.place(row)
    changed = 0
    while True:
        before = changed
        for e in range(len(grid)):
            if time.monotonic() >= deadline or (stopped is not None and stopped()):
                return grid, changed
            old = best = grid[e]
            cover.place(old, -1)
            others = [j for j in range(len(grid)) if j != e]
            one = _Person(problem, e, grid, others, cover)
            assert one.cover_cost is not None
            cost = _row_cost(one.cover_cost, old) + check_grid(one.bare, [old]).objective
            for _, candidate, candidate_cost in _pattern_rows(one):
                if candidate is not None and candidate_cost < cost:
                    best, cost = candidate, candidate_cost
            changed += best != old
            grid[e] = best
            cover.place(best)
        if changed == before:
            return grid, changed


class _Found(cp_model.CpSolverSolutionCallback):
    """Marks that the row's search has a row (the watcher of :func:`_solve_row` stops it)."""

    def __init__(self, found: threading.Event) -> None:
        super().__init__()
        self.found = found

    def on_solution_callback(self) -> None:
        """Record the row."""
        self.found.set()


def _solve_row(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    share: float,
    stopped: Callable[[], bool] | None,
) -> cp_model.CpSolverStatus:
    """Search one row: stop once ``share`` seconds have passed and a row is found."""
    found = threading.Event()
    done = threading.Event()
    started = time.monotonic()

    def watch() -> None:
        while not done.wait(0.01):
            late = found.is_set() and time.monotonic() - started >= share
            if late or (stopped is not None and stopped()):
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, name="rows-watch", daemon=True)
    watcher.start()
    try:
        return solver.solve(model, _Found(found))
    finally:
        done.set()
        watcher.join()
