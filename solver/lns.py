"""Large-neighbourhood search over roster cells: people, day windows and pairs of windows.

Why: after its first seconds, CP-SAT's own neighbourhoods (random or graph-based sets
of variables and constraints) stop paying on rosters whose rows are tightly bound
(Curtois & Qu Instances 6-10: 17-18 shifts in 28 days, runs of 2-5 days, rests of 2 or
more), because a better roster moves whole runs in several rows at once. Here each
neighbourhood frees whole *cells* (a person's day: every shift Boolean and the day-off
Boolean), so a sub-solve can rebuild runs:

* **people**: a few people's whole rows (who works which runs); half the time one
  of them has an unmet request (or another cost on their own cells);
* **window**: every person on a few consecutive days (who covers those days); half
  the time the window holds a day whose headcount costs something;
* **pair**: every person on two windows apart (who works which weeks): the count rules
  over the horizon (maximum weekends, shifts of a type, total minutes) tie a shift
  covered in one week to one given up in another, which no single window holds; half
  the time the first window holds a day whose headcount costs something.

Every other cell is fixed to the incumbent, the objective's domain is capped at the
incumbent's cost and the incumbent is the hint, so each sub-solve (one CP-SAT worker,
full LP) starts feasible and only looks for an equal or better roster; an equal one is
accepted too. A sub-solve whose neighbourhood holds nothing cheaper may simply hand the
incumbent back, so 30 % of them (``LnsOptions.sideways``) must return a roster that
differs in a freed cell: that moves the search along a plateau of equal cost (Curtois 8
within 5 % of best-known in 23 of 30 runs with it, 12 of 22 without; bench/RESULTS.md
2l). Each kind's size grows after a sub-solve proved its neighbourhood optimal and
shrinks after one that did not, so about half of them close, as CP-SAT does for its own.
``num_workers`` threads run sub-solves side by side (CP-SAT releases the GIL).

When the LNS stalls while the heaviest terms still cost (Curtois's uncovered shifts, at
100 against requests at 1-3), a *heavy* solve looks for a roster whose heavy cost is lower,
whatever the light terms; that cost then caps the LNS model (see ``LnsOptions.stall``):
a better roster that uncovers one shift fewer differs from the incumbent in more than half
the rows, which no neighbourhood the LNS can close holds.

The model is the one :func:`solver.solve.build_model` builds from the RosterProblem, so
every rule and cost is the product's; the result is re-scored by the checker.
Measured in bench/RESULTS.md sections 2d, 2g and 2h.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from solver.check import check, check_grid, from_grid
from solver.problem import RosterProblem
from solver.result import Progress, RosterSolution, SolveStatus
from solver.rows import improve_rows, independent_rows, rows_roster
from solver.solve import (
    BuiltModel,
    CancelToken,
    SolveOptions,
    build_model,
    complete_hint,
    extract_grid,
    grid_from_assignment,
    solve,
)

log = logging.getLogger("solver.lns")

KINDS = ("people", "window", "pair")
"""The neighbourhood kinds, drawn uniformly."""


@dataclass(frozen=True)
class LnsOptions:
    """How the roster LNS shares its time.

    Attributes:
        first_phase: Share of the time limit for the ordinary :func:`solver.solve.solve`
            that gives the first roster (and the proven bound); the rest is LNS.
        sub_time: Seconds per sub-solve (the size adaptation keeps about half of them
            proven optimal within it).
        people: Initial number of people freed by a *people* neighbourhood.
        window: Initial days of a *window* neighbourhood.
        pair: Initial days of each of a *pair* neighbourhood's two windows.
        targeted: Half the windows and pairs cover a day with a coverage cost, and
            half the *people* neighbourhoods include someone whose own terms cost.
        linearization_level: CP-SAT's LP in the sub-solves (2: every constraint).
        stall: Share of the time limit without a better roster after which the LNS pauses
            for a *heavy* solve, when the incumbent's heaviest terms (those weighing at
            least ten times any other, such as Curtois's uncovered shifts at 100 against
            requests at 1-3) still cost something. 0 switches it off.
        heavy_time: Share of the time limit for each heavy solve: the model with only the
            heaviest terms as objective, core search, every worker, from the incumbent,
            stopped at its first lower cost. That cost becomes a cap of the LNS model and
            its roster the incumbent (lexicographic from then on: the LNS never trades a
            heavy unit back for light ones); the best roster seen is what is returned, so
            a heavy roster that costs more in all only costs time. Each heavy cost is
            tried once. 40 %: from Curtois 5's 1,200 level the heavy solve needed 14-23 s
            when it succeeded (bench/RESULTS.md 2i), 2-20 s with the weekend-days cap of
            :mod:`solver.rules.contract` (2j).
        sideways: Share of the sub-solves that must return a roster differing from the
            incumbent in a freed cell, at equal or lower cost (a move along a plateau:
            an ordinary sub-solve whose neighbourhood holds nothing cheaper may hand the
            incumbent back). Measured on Curtois 8 in bench/RESULTS.md 2l.
        threshold: How much worse than the best roster seen a sideways sub-solve's roster
            may be, as a share of the best's cost (record-to-record travel): the search
            then crosses the small rises in the light terms that separate the plateaus
            of equal heavy cost. 0 keeps sideways moves at equal or lower cost; the best
            roster seen is what is returned either way.
    """

    first_phase: float = 0.05
    sub_time: float = 1.0
    people: int = 4
    window: int = 7
    pair: int = 4
    targeted: bool = True
    linearization_level: int = 2
    stall: float = 0.1
    heavy_time: float = 0.4
    sideways: float = 0.3
    threshold: float = 0.0

    def __post_init__(self) -> None:
        """Reject shares and sizes that leave no search."""
        if not 0 < self.first_phase < 1:
            raise ValueError("first_phase: must be in (0, 1)")
        if not 0 <= self.stall < 1:
            raise ValueError("stall: must be in [0, 1)")
        if not 0 < self.heavy_time < 1:
            raise ValueError("heavy_time: must be in (0, 1)")
        if not 0 <= self.sideways <= 1:
            raise ValueError("sideways: must be in [0, 1]")
        if not 0 <= self.threshold < 1:
            raise ValueError("threshold: must be in [0, 1)")
        if not self.sub_time > 0:
            raise ValueError("sub_time: must be > 0")
        if min(self.people, self.window, self.pair) < 1:
            raise ValueError("people, window, pair: must be >= 1")


class _Search:
    """The incumbent, the neighbourhood sizes and the counters, shared by the threads."""

    def __init__(
        self, built: BuiltModel, values: list[int], objective: int, lns: LnsOptions
    ) -> None:
        p = built.ctx.problem
        self.built = built
        self.lock = threading.Lock()
        self.values = values
        self.objective = objective
        self.sizes = {
            "people": lns.people,
            "window": lns.window,
            "pair": lns.pair,
        }
        self.limits = {
            "people": len(p.staff),
            "window": p.num_days,
            "pair": max(1, p.num_days // 2),
        }
        self.calls = 0
        self.improvements = 0
        self.per_kind = {kind: [0, 0, 0] for kind in KINDS}
        """Per kind: sub-solves, proven optimal, improving."""
        v = built.vars
        self.cells = [
            [
                [v.off[e][d].Index(), *(x.Index() for x in v.x[e][d] if x is not None)]
                for d in range(p.num_days)
            ]
            for e in range(len(p.staff))
        ]
        self.targeted = lns.targeted
        self.linearization = lns.linearization_level
        self.slacks = [
            (d, slack.Index())
            for (_team, d, _k), row in built.ctx.demand_rows.items()
            if row is not None
            for slack in (row.under, row.over)
            if not isinstance(slack, int)
        ]
        """(day, index) of every demand row's under and over variables."""
        obj = built.model.proto.objective
        self.offset = int(obj.offset)
        self.terms = list(zip(obj.vars, obj.coeffs, strict=True))
        self.coeff = dict(self.terms)
        self.person_terms = [
            [i for row in person for i in row if i in self.coeff] for person in self.cells
        ]
        """Per person: the objective's variables among the person's cells."""
        low = 0
        for var, coeff in self.terms:
            dom = built.model.proto.variables[var].domain
            low += min(coeff * dom[0], coeff * dom[len(dom) - 1])
        self.low = low
        self.heavy = self._heavy_terms()
        self.heavy_tried: set[int] = set()
        """Heavy costs a heavy solve has started from (each is tried once)."""
        self.best_values, self.best_objective = values, objective
        """The cheapest roster seen: a heavy solve's incumbent may cost more in all."""
        self.last_better = time.monotonic()
        self.in_heavy = False

    def _heavy_terms(self) -> list[tuple[int, int]]:
        """(variable, coefficient) of the terms weighing at least ten times any other."""
        if not self.terms:
            return []
        top = max(abs(c) for _, c in self.terms)
        rest = max((abs(c) for _, c in self.terms if abs(c) < top), default=0)
        if rest == 0 or top < 10 * rest:
            return []
        return [(i, c) for i, c in self.terms if c == top]

    def heavy_cost(self, values: Sequence[int]) -> int:
        """What the heaviest terms cost in a full assignment."""
        return sum(c * values[i] for i, c in self.heavy)

    def ceiling(self, sideways: bool, threshold: float) -> int:
        """The highest cost a sub-solve's roster may have to be taken (LnsOptions.threshold).

        Called with the lock held.
        """
        if not sideways or threshold == 0:
            return self.objective
        return max(self.objective, self.best_objective + int(threshold * self.best_objective))

    def take(self, values: list[int], cost: int) -> bool:
        """Make an equal or better roster the incumbent; return whether it is strictly better.

        Called with the lock held.
        """
        if cost > self.objective:
            return False
        better = cost < self.objective
        self.replace(values, cost, fresh=better)
        return better

    def travel(self, values: list[int], cost: int, ceiling: int) -> bool:
        """Take a sideways roster up to ``ceiling``; return whether it is strictly better.

        Called with the lock held.
        """
        if self.objective < cost <= ceiling:
            self.replace(values, cost, fresh=False)
            return False
        return self.take(values, cost)

    def replace(self, values: list[int], cost: int, *, fresh: bool) -> None:
        """Make a roster the incumbent, whatever its cost, and keep the best seen.

        ``fresh`` restarts the stall clock. Called with the lock held.
        """
        self.values, self.objective = values, cost
        if fresh:
            self.last_better = time.monotonic()
        if cost < self.best_objective:
            self.best_values, self.best_objective = values, cost

    def person_cost(self, e: int) -> int:
        """What the incumbent's objective terms on person ``e``'s cells cost.

        A term ``w * x`` costs ``w`` when ``x`` is 1; a term ``w * (1 - x)`` (a request
        for a shift) enters the objective as ``-w * x`` plus an offset, and costs ``w``
        when ``x`` is 0.
        """
        total = 0
        for i in self.person_terms[e]:
            c = self.coeff[i]
            total += c * self.values[i] if c > 0 else -c * (1 - self.values[i])
        return total

    def cost(self, values: Sequence[int]) -> int:
        """The objective of a full assignment of the model's variables."""
        return self.offset + int(sum(c * values[i] for i, c in self.terms))

    def neighbourhood(self, kind: str, rng: random.Random) -> set[tuple[int, int]]:
        """The (person, day) cells a sub-solve of this kind frees."""
        n_staff, horizon = len(self.cells), len(self.cells[0])
        size = min(self.sizes[kind], self.limits[kind])
        if kind == "people":
            costly_people = [e for e in range(n_staff) if self.person_cost(e) > 0]
            if self.targeted and costly_people and rng.random() < 0.5:
                # someone whose own terms (requests) cost something, and others to trade with
                first_person = rng.choice(costly_people)
                others = [e for e in range(n_staff) if e != first_person]
                rows = [first_person, *rng.sample(others, min(len(others), size - 1))]
            else:
                rows = rng.sample(range(n_staff), size)
            return {(e, d) for e in rows for d in range(horizon)}
        costly = [d for d, i in self.slacks if self.values[i] > 0] if self.targeted else []
        if costly and rng.random() < 0.5:
            # a window over a day whose headcount costs something: only there can
            # moving people lower the coverage costs
            day = rng.choice(costly)
            first = rng.randint(max(0, day - size + 1), min(day, horizon - size))
        else:
            first = rng.randrange(0, horizon - size + 1)
        days = set(range(first, first + size))
        if kind == "pair":
            apart = [s for s in range(horizon - size + 1) if s + size <= first or s >= first + size]
            second = rng.choice(apart or [0, horizon - size])
            days.update(range(second, second + size))
        return {(e, d) for e in range(n_staff) for d in days}

    def adapt(self, kind: str, closed: bool) -> None:
        """Grow a kind after a neighbourhood proven optimal, shrink it otherwise."""
        size = self.sizes[kind] + (1 if closed else -1)
        self.sizes[kind] = max(1, min(self.limits[kind], size))


class _Running:
    """The CP-SAT solves in progress, so that a pause, a cancel or the end can stop them.

    Stopping a solver before its solve has begun does nothing, so whoever stops them
    keeps calling :meth:`stop` while the stop holds (the watcher does, every 50 ms).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.solvers: set[cp_model.CpSolver] = set()

    def solve(
        self,
        solver: cp_model.CpSolver,
        model: cp_model.CpModel,
        callback: cp_model.CpSolverSolutionCallback | None = None,
    ) -> int:
        """Run ``solver`` on ``model``; stoppable by :meth:`stop` meanwhile."""
        with self.lock:
            self.solvers.add(solver)
        try:
            return int(solver.solve(model, callback))
        finally:
            with self.lock:
                self.solvers.discard(solver)

    def stop(self) -> None:
        """Ask every solve in progress to stop."""
        with self.lock:
            for solver in self.solvers:
                solver.stop_search()


def _sub_solve(
    search: _Search,
    free: set[tuple[int, int]],
    values: list[int],
    ceiling: int,
    seed: int,
    time_limit: float,
    running: _Running,
    *,
    sideways: bool = False,
) -> tuple[bool, list[int] | None]:
    """Solve the model with every cell outside ``free`` fixed, at a cost of ``ceiling`` or less.

    ``sideways``: the roster must differ from the incumbent in a freed cell (at equal or
    lower cost), so that the search moves along a plateau instead of getting the
    incumbent back.

    Returns whether the neighbourhood was proven optimal (or, sideways, that it holds no
    other roster as cheap), and the values found (if any).
    """
    model = search.built.model.clone()
    proto_vars = model.proto.variables
    moved: list[cp_model.LinearExprT] = []
    for e, row in enumerate(search.cells):
        for d, indices in enumerate(row):
            if (e, d) in free:
                if sideways:
                    for i in indices:
                        var = model.get_bool_var_from_proto_index(i)
                        moved.append(var if values[i] == 0 else 1 - var)
                continue
            for i in indices:
                proto_vars[i].domain[0] = values[i]
                proto_vars[i].domain[1] = values[i]
    if sideways:
        model.add(sum(moved) >= 1)
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)
    dom = model.proto.objective.domain
    dom.clear()
    dom.extend([search.low, ceiling - search.offset])
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = 1
    params.max_time_in_seconds = time_limit
    params.random_seed = seed
    params.linearization_level = search.linearization
    params.log_to_stdout = False
    code = running.solve(solver, model)
    closed = code == cp_model.OPTIMAL or (sideways and code == cp_model.INFEASIBLE)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return closed, list(solver.response_proto.solution)
    return closed, None


class _StopBelow(cp_model.CpSolverSolutionCallback):
    """Stops a heavy solve at its first roster whose heavy cost is below ``current``.

    Why: one step down is what the LNS needs; the time a heavy solve would spend on
    further steps is better spent by the LNS on the light terms, and a further stall
    starts another heavy solve from the new level anyway.
    """

    def __init__(self, current: int) -> None:
        super().__init__()
        self.current = current

    def on_solution_callback(self) -> None:
        """Stop once the heavy terms cost less than at the start."""
        if self.objective_value < self.current:
            self.stop_search()


def _heavy(search: _Search, seconds: float, options: SolveOptions, running: _Running) -> bool:
    """Lower the heaviest terms' cost alone from the incumbent, then cap it (LnsOptions).

    Called while no LNS thread runs. Returns whether the incumbent changed (its full
    cost may be higher than before; the best roster seen is kept apart).
    """
    current = search.heavy_cost(search.values)
    search.heavy_tried.add(current)
    model = search.built.model.clone()
    obj = model.proto.objective
    obj.vars.clear()
    obj.coeffs.clear()
    obj.domain.clear()
    obj.offset = 0
    obj.vars.extend(i for i, _ in search.heavy)
    obj.coeffs.extend(c for _, c in search.heavy)
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(search.values)))
    hint.values.extend(search.values)
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = options.num_workers
    params.max_time_in_seconds = seconds
    params.random_seed = options.seed
    params.linearization_level = 2
    params.optimize_with_core = True
    params.log_to_stdout = False
    code = running.solve(solver, model, _StopBelow(current))
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    found = list(solver.response_proto.solution)
    lowered = search.heavy_cost(found)
    log.info("lns: heavy %d -> %d in %.1fs", current, lowered, solver.wall_time)
    if lowered >= current:
        return False
    m = search.built.model
    m.add(
        cp_model.LinearExpr.weighted_sum(
            [m.get_int_var_from_proto_index(i) for i, _ in search.heavy],
            [c for _, c in search.heavy],
        )
        <= lowered
    )
    with search.lock:
        search.replace(found, search.cost(found), fresh=True)
    return True


def improve(
    problem: RosterProblem,
    solution: RosterSolution,
    options: SolveOptions,
    lns: LnsOptions,
    deadline: float,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    started: float | None = None,
) -> tuple[RosterSolution, int]:
    """Improve a solved roster by LNS until ``deadline`` (``time.monotonic()``).

    Returns the better (or the same) solution and the number of improving rosters.
    """
    assert solution.assignment is not None
    assert solution.objective is not None
    t0 = time.monotonic() if started is None else started
    built = build_model(problem)
    grid = grid_from_assignment(problem, solution.assignment)
    if not complete_hint(built, grid, options):
        return solution, 0
    values = list(built.model.proto.solution_hint.values)
    built.model.clear_hints()  # type: ignore[no-untyped-call]
    search = _Search(built, values, solution.objective, lns)
    if search.cost(values) != solution.objective:
        return solution, 0  # the model and the first phase disagree: keep the checked roster
    bound = solution.best_bound or 0.0
    span = deadline - t0
    stall_after, heavy_seconds = lns.stall * span, lns.heavy_time * span
    stopping = threading.Event()  # the end: deadline, bound reached or cancelled
    pausing = threading.Event()  # the LNS threads give way to a heavy solve
    finished = threading.Event()
    running = _Running()

    def worker(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - search diversity, not security
        while not (stopping.is_set() or pausing.is_set()):
            left = deadline - time.monotonic()
            if left < 0.05:
                return
            sideways = rng.random() < lns.sideways
            with search.lock:
                values = search.values
                ceiling = search.ceiling(sideways, lns.threshold)
                kind = rng.choice(KINDS)
                free = search.neighbourhood(kind, rng)
            closed, found = _sub_solve(
                search,
                free,
                values,
                ceiling,
                rng.randrange(1 << 30),
                min(lns.sub_time, left),
                running,
                sideways=sideways,
            )
            with search.lock:
                search.calls += 1
                search.per_kind[kind][0] += 1
                search.per_kind[kind][1] += closed
                search.adapt(kind, closed)
                if found is None:
                    continue
                best_before = search.best_objective
                if search.travel(found, search.cost(found), ceiling):
                    search.improvements += 1
                    search.per_kind[kind][2] += 1
                    log.debug(
                        "%.1fs %s %d heavy %d",
                        time.monotonic() - t0,
                        kind,
                        search.objective,
                        search.heavy_cost(search.values),
                    )
                if search.best_objective < best_before and progress is not None:
                    progress(Progress(search.best_objective, bound, time.monotonic() - t0))
                if search.best_objective <= bound:
                    stopping.set()

    def stalled(now: float) -> bool:
        """The LNS found nothing better for a while and the heavy terms still cost."""
        if lns.stall == 0 or not search.heavy or search.in_heavy or pausing.is_set():
            return False
        if now - search.last_better < stall_after or deadline - now < heavy_seconds:
            return False
        with search.lock:
            heavy = search.heavy_cost(search.values)
        return heavy > 0 and heavy not in search.heavy_tried

    def watch() -> None:
        while not finished.wait(0.05):
            now = time.monotonic()
            if now >= deadline or (cancel is not None and cancel.is_set()):
                stopping.set()
            elif stalled(now):
                pausing.set()
            if stopping.is_set() or pausing.is_set():
                running.stop()

    watcher = threading.Thread(target=watch, name="lns-watch", daemon=True)
    watcher.start()
    try:
        while not stopping.is_set():
            threads = [
                threading.Thread(target=worker, args=(options.seed * 1000 + i,), name=f"lns-{i}")
                for i in range(options.num_workers)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if not pausing.is_set():
                break  # the deadline, the bound or a cancel
            search.in_heavy = True
            pausing.clear()
            seconds = min(heavy_seconds, deadline - time.monotonic())
            best_before = search.best_objective
            changed = _heavy(search, seconds, options, running)
            if changed and search.best_objective < best_before and progress is not None:
                progress(Progress(search.best_objective, bound, time.monotonic() - t0))
            search.in_heavy = False
    finally:
        finished.set()
        watcher.join()
    log.info(
        "lns: %d sub-solves, %d improving, objective %d, sizes %s, per kind %s, heavy tried %s",
        search.calls,
        search.improvements,
        search.best_objective,
        search.sizes,
        search.per_kind,
        sorted(search.heavy_tried),
    )
    if search.best_objective >= solution.objective:
        return solution, 0
    best = search.best_values
    grid = extract_grid(problem, built, lambda x: best[x.Index()])
    assignment = from_grid(problem, grid)
    report = check(problem, assignment)
    if not report.valid or report.objective != search.best_objective:
        return solution, 0  # never trade a checked roster for one the checker disputes
    optimal = search.best_objective <= bound
    return (
        replace(
            solution,
            status=SolveStatus.OPTIMAL if optimal else solution.status,
            assignment=assignment,
            objective=search.best_objective,
            gap=0.0
            if optimal
            else max(0.0, (search.best_objective - bound) / search.best_objective),
            breakdown=report.breakdown,
            penalties=report.penalties,
            spreads=report.spreads,
            num_solutions=solution.num_solutions + search.improvements,
        ),
        search.improvements,
    )


def solve_with_lns(
    problem: RosterProblem,
    options: SolveOptions | None = None,
    lns: LnsOptions | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> RosterSolution:
    """:func:`solver.solve.solve` for a share of the time, then LNS for the rest.

    Same contract as :func:`solver.solve.solve` (the roster is checked, the bound is
    the first phase's proven bound); a first phase that is proven optimal, infeasible or
    cancelled is returned as it is. One that found no roster in its share goes on until
    its first roster (large instances: Curtois 13-24 take 12-40 s or more for it), and
    the LNS has what is left; where no hard rule couples people, that first roster is
    built one person at a time instead (:mod:`solver.rows`), which takes 4-17 s on
    Curtois 13-21 and 2-7 s on 22-24, and is the only roster found in the time on 20-24;
    its rows are then re-solved against each other before the LNS. The LNS is skipped
    when building its model again would take longer than the time left.
    """
    options = options or SolveOptions()
    lns = lns or LnsOptions()
    started = time.monotonic()
    first_limit = options.time_limit * lns.first_phase
    first = solve(problem, replace(options, time_limit=first_limit), progress, cancel)
    # CP-SAT keeps to its limit; what the first phase ran over is building the model,
    # which the LNS must do again (22 s on Curtois 24).
    build = max(0.0, time.monotonic() - started - first_limit)
    left = options.time_limit - (time.monotonic() - started)
    if first.status is SolveStatus.TIMEOUT_NO_SOLUTION and left > 0.1:
        rows = None
        if independent_rows(problem):
            rows = _rows_first(problem, options, started, progress, cancel)
        left = options.time_limit - (time.monotonic() - started)
        if rows is not None:
            first = rows
        elif left > 0.1:
            first = _until_first_roster(
                problem, replace(options, time_limit=left), progress, cancel
            )
    cancelled = cancel is not None and cancel.is_set()
    if first.assignment is None or first.status is not SolveStatus.FEASIBLE or cancelled:
        feasible = first.status is SolveStatus.FEASIBLE
        status = SolveStatus.CANCELLED if cancelled and feasible else first.status
        return replace(first, status=status, total_time=time.monotonic() - started)
    if options.time_limit - (time.monotonic() - started) < 2 * build:
        log.info("lns: no time to build the model again (%.1f s); keeping the first roster", build)
        return replace(first, total_time=time.monotonic() - started)
    better, _ = improve(
        problem,
        first,
        options,
        lns,
        started + options.time_limit,
        progress,
        cancel,
        started,
    )
    status = better.status
    if cancel is not None and cancel.is_set() and status is SolveStatus.FEASIBLE:
        status = SolveStatus.CANCELLED
    return replace(better, status=status, total_time=time.monotonic() - started)


def _rows_first(
    problem: RosterProblem,
    options: SolveOptions,
    started: float,
    progress: Callable[[Progress], None] | None,
    cancel: CancelToken | None,
) -> RosterSolution | None:
    """The roster of :func:`solver.rows.rows_roster`, checked, as a FEASIBLE first roster.

    Its rows are then re-solved against everyone else's cover
    (:func:`solver.rows.improve_rows`) until that changes nothing: on Curtois 22-24 this
    takes the roster from 96,000-255,000 to 63,000-145,000 in 30 s, where the LNS took
    it from 96,000 to 77,000 in 47 s (bench/RESULTS.md 2m).
    """
    stopped = cancel.is_set if cancel is not None else None
    deadline = started + options.time_limit
    grid = rows_roster(
        problem, deadline, num_workers=options.num_workers, seed=options.seed, stopped=stopped
    )
    if grid is None:
        return None
    first = time.monotonic() - started
    report = check_grid(problem, grid)
    if progress is not None:
        progress(Progress(report.objective, 0.0, first))
    better, changed = improve_rows(problem, grid, deadline, stopped)
    log.info("rows: %d rows re-solved at %.1f s", changed, time.monotonic() - started)
    # A row's re-solve sees its own terms and its cover, not the spreads between people
    # (fairness), so the whole roster is compared before the re-solved one is kept.
    better_report = check_grid(problem, better) if changed else report
    if changed and better_report.objective < report.objective:
        grid, report = better, better_report
    else:
        changed = 0
    assignment = from_grid(problem, grid)
    if not report.valid:
        log.error("rows: the checker rejects a roster of rows that are each valid")
        return None
    elapsed = time.monotonic() - started
    if progress is not None and changed:
        progress(Progress(report.objective, 0.0, elapsed))
    return RosterSolution(
        status=SolveStatus.FEASIBLE,
        assignment=assignment,
        objective=report.objective,
        best_bound=0.0,
        gap=1.0 if report.objective else 0.0,
        time_to_first=first,
        total_time=elapsed,
        breakdown=report.breakdown,
        penalties=report.penalties,
        spreads=report.spreads,
        num_solutions=1 + bool(changed),
    )


class _FirstRoster:
    """A cancel token that fires at the first roster found, or with the caller's own."""

    def __init__(self, cancel: CancelToken | None) -> None:
        self.cancel = cancel
        self.found = threading.Event()

    def is_set(self) -> bool:
        """True once a roster is found or the caller cancelled."""
        return self.found.is_set() or (self.cancel is not None and self.cancel.is_set())


def _until_first_roster(
    problem: RosterProblem,
    options: SolveOptions,
    progress: Callable[[Progress], None] | None,
    cancel: CancelToken | None,
) -> RosterSolution:
    """:func:`solver.solve.solve` stopped at its first roster, which comes back FEASIBLE.

    A solve the caller cancelled, or one that ended otherwise (optimal, infeasible, no
    roster in the time), is returned as it is.
    """
    token = _FirstRoster(cancel)

    def seen(update: Progress) -> None:
        token.found.set()
        if progress is not None:
            progress(update)

    sol = solve(problem, options, seen, token)
    if cancel is not None and cancel.is_set():
        return sol
    if sol.status is SolveStatus.CANCELLED and sol.assignment is not None:
        return replace(sol, status=SolveStatus.FEASIBLE)
    return sol
