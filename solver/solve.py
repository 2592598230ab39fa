"""Entry point: build the CP-SAT model of a roster problem, solve it, report.

``solve`` is a pure function of its input and options (deterministic for a
given seed with one worker and a deterministic time limit). The search runs in
phases: a greedy roster, implied lower bounds (:mod:`solver.bounds`), a first phase
towards the fairness bands (team by team, :mod:`solver.decompose`), then CP-SAT on
the real objective unless a roster already costs the proven bound. It never prints:
the CP-SAT log goes to the ``solver.cpsat`` logger. A progress callback sees
each better roster; a cancel token set from another thread stops the search
and the best roster so far is returned.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from ortools.sat import sat_parameters_pb2
from ortools.sat.python import cp_model

from solver.bounds import add_implied_bounds
from solver.check import OFF, check, check_grid, from_grid
from solver.decompose import block_search, team_blocks
from solver.hint import greedy_grid
from solver.objective import objective_expr, set_objective
from solver.polish import MAX_SECONDS as POLISH_MAX_SECONDS
from solver.polish import drop_surplus
from solver.problem import RosterProblem
from solver.result import Progress, RosterSolution, SolveStatus
from solver.rules import RULE_FAMILIES
from solver.variables import ModelContext, PenaltyTerm, RosterVariables

log = logging.getLogger("solver")
cpsat_log = logging.getLogger("solver.cpsat")


class SolverBugError(RuntimeError):
    """CP-SAT rejected the model: a bug in the model builder, never a user error."""


class CancelToken(Protocol):
    """Anything with ``is_set()``, e.g. :class:`threading.Event`."""

    def is_set(self) -> bool:
        """Whether cancellation was requested."""
        ...


@dataclass(frozen=True)
class SolveOptions:
    """How long and how hard to search.

    Attributes:
        time_limit: Wall-clock limit in seconds (always finite).
        num_workers: CP-SAT workers; 1 gives reproducible runs.
        seed: Random seed.
        deterministic_time: Optional deterministic time limit (for reproducible tests).
        log_search: Route CP-SAT's search log to the ``solver.cpsat`` logger.
        explain_infeasible: On infeasibility, compute an explanation.
        explain_time_limit: Time budget for the explanation.
        greedy_hint: Start the search from a greedy roster.
        hint: A roster to start from (e.g. the previous version), overrides greedy.
        relative_gap: Stop when the proven gap falls below this.
        implied_bounds: Before the search, prove a lower bound with small relaxations
            (:mod:`solver.bounds`) and make it the objective's lower end; it cuts off
            no roster, so it only changes how soon a roster is proven optimal.
        implied_bounds_time: At most this share of ``time_limit`` goes to them.
        fairness_phase: Share of the remaining time for a first phase that replaces
            each fairness spread by every count's distance from the relaxation's band
            (see :func:`_fairness_phase`); 0 skips it. Needs ``implied_bounds``. A
            roster that reaches the proven bound ends the solve there, as optimal.
        team_phase: With two or more teams the first phase re-solves one team at a
            time (:mod:`solver.decompose`) and may use this share of the remaining
            time instead: it ends by itself once a round over the teams improves
            nothing, and the main search rarely closes a fairness spread that it left.
        cpsat_parameters: Extra CP-SAT parameters by name for the main search (opt-in
            tuning, e.g. ``{"linearization_level": 2}``); a list value extends a
            repeated field. Applied after the options above, so they win.
        polish: Share of ``time_limit`` (at most :data:`solver.polish.MAX_SECONDS`) kept
            for a last pass over a roster not proven optimal that drops surplus shifts
            while that lowers the cost (:mod:`solver.polish`); 0 skips it.
    """

    time_limit: float = 30.0
    num_workers: int = 2
    seed: int = 0
    deterministic_time: float | None = None
    log_search: bool = False
    explain_infeasible: bool = True
    explain_time_limit: float = 20.0
    greedy_hint: bool = True
    hint: Mapping[str, Mapping[date, str | None]] | None = None
    relative_gap: float = 0.0
    implied_bounds: bool = True
    implied_bounds_time: float = 0.1
    fairness_phase: float = 0.4
    team_phase: float = 0.8
    cpsat_parameters: Mapping[str, bool | int | float | str | Sequence[str]] | None = None
    polish: float = 0.05

    def __post_init__(self) -> None:
        """Reject limits that would make a solve unbounded or meaningless."""
        if not self.time_limit > 0:
            raise ValueError("time_limit: must be > 0")
        if self.num_workers < 1:
            raise ValueError("num_workers: must be >= 1")
        for name in ("implied_bounds_time", "fairness_phase", "team_phase", "polish"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name}: a share of the time, between 0 and 1")
        fields = sat_parameters_pb2.SatParameters.DESCRIPTOR.fields_by_name
        for key in self.cpsat_parameters or {}:
            if key not in fields:
                raise ValueError(f"cpsat_parameters: unknown CP-SAT parameter {key!r}")


@dataclass
class BuiltModel:
    """A model with its variables and the named penalty terms of its objective."""

    ctx: ModelContext
    terms: list[PenaltyTerm]

    @property
    def model(self) -> cp_model.CpModel:
        """The CP-SAT model."""
        return self.ctx.model

    @property
    def vars(self) -> RosterVariables:
        """The decision variables."""
        return self.ctx.vars


def build_model(
    problem: RosterProblem,
    *,
    explain: bool = False,
    fairness_levels: Mapping[tuple[str, int], tuple[int, int]] | None = None,
) -> BuiltModel:
    """Build the CP-SAT model: variables, then each rule family in order, then objective.

    ``fairness_levels`` gives the first phase's proxy objective (see :func:`solve`).
    """
    model = cp_model.CpModel()
    model.name = problem.name or "roster"
    variables = RosterVariables(model, problem)
    ctx = ModelContext(problem, model, variables, explain=explain, fairness_levels=fairness_levels)
    terms: list[PenaltyTerm] = []
    for _name, family in RULE_FAMILIES:
        terms.extend(family(ctx))
    if not explain:
        set_objective(model, terms)
    return BuiltModel(ctx, terms)


def add_hint(built: BuiltModel, grid: list[list[int]]) -> None:
    """Hint every shift and day-off variable from a grid of shift indices."""
    v = built.vars
    for e, row in enumerate(grid):
        for d, k in enumerate(row):
            built.model.add_hint(v.off[e][d], k == OFF)
            for kk, x in enumerate(v.x[e][d]):
                if x is not None:
                    built.model.add_hint(x, kk == k)


def _fix(var_proto: Any, value: int) -> None:
    """Restrict a variable's domain in a model proto to one value."""
    var_proto.domain[0] = value
    var_proto.domain[1] = value


def complete_hint(built: BuiltModel, grid: list[list[int]], options: SolveOptions) -> bool:
    """Hint every variable, auxiliaries included, from a grid, if the grid is feasible.

    CP-SAT reports a complete feasible hint as its first solution at once; a hint
    of the shift variables alone is only a branching preference. The auxiliary
    values (slacks, indicators, max/min of fairness groups) follow from the grid
    by propagation, so a quick solve of a clone with the grid fixed finds them.
    Returns False (and adds no hint) when the grid breaks a hard rule.
    """
    clone = built.model.clone()
    v = built.vars
    proto_vars = clone.proto.variables
    for e, row in enumerate(grid):
        for d, k in enumerate(row):
            value = int(k == OFF)
            _fix(proto_vars[v.off[e][d].Index()], value)
            for kk, x in enumerate(v.x[e][d]):
                if x is not None:
                    value = int(kk == k)
                    _fix(proto_vars[x.Index()], value)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = min(5.0, options.time_limit / 4)
    solver.parameters.random_seed = options.seed
    solver.parameters.cp_model_presolve = False  # everything follows by propagation
    solver.parameters.stop_after_first_solution = True
    code = solver.solve(clone)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    values = list(solver.response_proto.solution)
    built.model.clear_hints()  # type: ignore[no-untyped-call]
    hint = built.model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)
    return True


def grid_from_assignment(
    problem: RosterProblem, assignment: Mapping[str, Mapping[date, str | None]]
) -> list[list[int]]:
    """A grid of shift indices from an assignment (unknown ids become days off)."""
    grid = [[OFF] * problem.num_days for _ in problem.staff]
    for pid, row in assignment.items():
        e = problem.staff_index.get(pid)
        if e is None:
            continue
        for day, sid in row.items():
            d = problem.day_index.get(day)
            if d is not None and sid is not None and sid in problem.shift_index:
                grid[e][d] = problem.shift_index[sid]
    return grid


class _Callback(cp_model.CpSolverSolutionCallback):
    """Reports each better roster and records when the first one arrived."""

    def __init__(
        self, progress: Callable[[Progress], None] | None, started: float, objective: Any
    ) -> None:
        super().__init__()
        self.progress = progress
        self.objective = objective
        self.started = started
        self.first: float | None = None
        self.best: int | None = None
        self.count = 0

    def on_solution_callback(self) -> None:
        self.found(int(self.value(self.objective)), float(self.best_objective_bound))

    def found(self, value: int, bound: float) -> None:
        """Record a roster of cost ``value``; report it if it is the best so far."""
        elapsed = time.monotonic() - self.started
        if self.first is None:
            self.first = elapsed
        self.count += 1
        if self.best is not None and value >= self.best:
            return
        self.best = value
        if self.progress is not None:
            self.progress(Progress(objective=value, best_bound=bound, elapsed=elapsed))


def configure(
    solver: cp_model.CpSolver,
    options: SolveOptions,
    *,
    time_limit: float | None = None,
    deterministic_time: float | None = None,
) -> None:
    """Apply options to a CP-SAT solver and route its log to ``logging``.

    ``time_limit`` and ``deterministic_time`` override the options' limits (for a phase).
    """
    params = solver.parameters
    params.max_time_in_seconds = options.time_limit if time_limit is None else time_limit
    params.num_workers = options.num_workers
    params.random_seed = options.seed
    if deterministic_time is not None:
        params.max_deterministic_time = deterministic_time
    elif options.deterministic_time is not None:
        params.max_deterministic_time = options.deterministic_time
    if options.relative_gap > 0:
        params.relative_gap_limit = options.relative_gap
    params.log_search_progress = options.log_search
    for key, value in (options.cpsat_parameters or {}).items():
        if isinstance(value, (list, tuple)):
            getattr(params, key).extend(value)
        else:
            setattr(params, key, value)
    params.log_to_stdout = False
    if options.log_search:
        solver.log_callback = lambda line: cpsat_log.info("%s", line)


def solve(
    problem: RosterProblem,
    options: SolveOptions | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> RosterSolution:
    """Solve a roster problem.

    Args:
        problem: The validated problem.
        options: Search limits; defaults to :class:`SolveOptions()`.
        progress: Called from the solver thread with each better roster.
        cancel: When set (from any thread), the search stops and the best roster so
            far is returned with status ``CANCELLED``.

    Returns:
        The solution: status, roster, objective, bound, gap, timings, breakdown,
        named soft costs, and for an infeasible problem an explanation.

    Raises:
        SolverBugError: if CP-SAT rejects the model as invalid.
    """
    options = options or SolveOptions()
    started = time.monotonic()
    built = build_model(problem)
    invalid = built.model.validate()
    if invalid:
        raise SolverBugError(f"invalid CP-SAT model: {invalid}")
    start_grid: list[list[int]] | None = None
    if options.hint is not None:
        start_grid = grid_from_assignment(problem, options.hint)
    elif options.greedy_hint:
        start_grid = greedy_grid(problem)
    callback = _Callback(progress, started, objective_expr(built.terms))
    fallback: tuple[list[list[int]], int] | None = None
    if start_grid is not None:
        start_report = check_grid(problem, start_grid)
        if not start_report.valid:
            # A partial hint that breaks hard rules misleads the search (measured on
            # the Curtois instances); only a manager-given roster is still hinted.
            if options.hint is not None:
                add_hint(built, start_grid)
        else:
            # A valid roster (the checker says so) before CP-SAT's presolve even starts:
            # report it as the first roster and keep it in case the search finds nothing
            # better in time. It becomes a complete hint below, once the model is final.
            fallback = (start_grid, start_report.objective)
            callback.found(start_report.objective, 0.0)
    # The last pass's time comes out of the limit, so a solve still ends within it.
    polish = min(POLISH_MAX_SECONDS, options.time_limit * options.polish)
    remaining = max(0.01, options.time_limit - polish)
    levels: dict[tuple[str, int], tuple[int, int]] = {}
    proven = 0.0
    bounded = False  # whether ``proven`` is a proven lower bound
    if options.implied_bounds and not (cancel is not None and cancel.is_set()):
        bounds = add_implied_bounds(
            built.ctx,
            built.terms,
            options.time_limit * options.implied_bounds_time,
            wall_clock=options.deterministic_time is None,
            stop=cancel.is_set if cancel is not None else None,
        )
        log.info(
            "implied bounds: counting %d, %d people %d, in %.2fs",
            bounds.counting,
            len(bounds.persons),
            sum(bounds.persons.values()),
            bounds.elapsed,
        )
        log.debug("fairness levels of the counting relaxation: %s", bounds.levels)
        remaining = max(0.01, options.time_limit - polish - bounds.elapsed)
        levels, proven, bounded = bounds.levels, float(bounds.total), True
    solver = cp_model.CpSolver()
    configure(solver, options, time_limit=remaining)
    active = [solver]  # the CP-SAT solve a cancellation must stop
    cancelled = threading.Event()
    done = threading.Event()
    watcher: threading.Thread | None = None
    if cancel is not None:

        def watch() -> None:
            # Keeps stopping the latest solve: a phase may start another one (a block
            # search starts many) just after a cancellation, and stopping a solver
            # before its solve has begun does nothing.
            while not done.wait(0.02):
                if cancel.is_set():
                    cancelled.set()
                    active[-1].stop_search()

        watcher = threading.Thread(target=watch, name="solver-cancel", daemon=True)
        watcher.start()
    best: list[tuple[list[list[int]], int]] = [] if fallback is None else [fallback]

    def better(grid: list[list[int]]) -> bool:
        """Keep and report a roster if the checker finds it valid and cheaper.

        True once the best roster's cost is the proven bound: it is optimal.
        """
        report = check_grid(problem, grid)
        if report.valid and (not best or report.objective < best[-1][1]):
            best.append((grid, report.objective))
            callback.found(report.objective, proven)
        return bool(best) and best[-1][1] <= proven

    # The best roster costs the proven bound (every term is non-negative, so a bound
    # of 0 proves as much as any other): it is optimal.
    at_bound = bounded and fallback is not None and fallback[1] <= proven
    try:
        if levels and fallback is not None and options.fairness_phase > 0 and not at_bound:
            phase_started = time.monotonic()
            teams = len({person.team for person in problem.staff})
            share = options.team_phase if teams >= 2 else options.fairness_phase
            grid = _fairness_phase(
                problem,
                levels,
                fallback[0],
                options,
                remaining * share,
                active,
                share=share,
                stopped=cancelled.is_set,
                better=better,
            )
            if grid is not None and not cancelled.is_set():
                better(grid)
            fallback = best[-1]
            at_bound = fallback[1] <= proven
            remaining = max(0.01, remaining - (time.monotonic() - phase_started))
            solver.parameters.max_time_in_seconds = remaining
            if options.deterministic_time is not None:
                rest = options.deterministic_time * (1 - share)
                solver.parameters.max_deterministic_time = rest
        if at_bound and not cancelled.is_set():
            # The roster costs what the relaxations proved every roster costs, so it is
            # optimal; the main search would only prove that again after its presolve.
            code = cp_model.OPTIMAL
        else:
            if fallback is not None and not complete_hint(built, fallback[0], options):
                log.error("the model rejects a start roster that the checker accepts")
            active.append(solver)
            if cancelled.is_set() or (cancel is not None and cancel.is_set()):
                cancelled.set()
                code = cp_model.UNKNOWN
            else:
                code = solver.solve(built.model, callback)
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    total = time.monotonic() - started
    if at_bound and code == cp_model.OPTIMAL and fallback is not None:
        return _from_grid(
            problem, fallback[0], SolveStatus.OPTIMAL, callback, total, fallback[1], proven
        )
    if code == cp_model.MODEL_INVALID:
        raise SolverBugError(f"invalid CP-SAT model: {built.model.validate()}")
    if code == cp_model.INFEASIBLE:
        explanation = None
        if options.explain_infeasible:
            from solver.explain import explain

            explanation = explain(problem, options)
        return RosterSolution(
            status=SolveStatus.INFEASIBLE,
            total_time=time.monotonic() - started,
            explanation=explanation,
        )
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE) and fallback is not None:
        status = SolveStatus.CANCELLED if cancelled.is_set() else SolveStatus.FEASIBLE
        return _from_grid(
            problem, fallback[0], status, callback, total, fallback[1], proven, polish=polish
        )
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = (
            SolveStatus.CANCELLED_NO_SOLUTION
            if cancelled.is_set()
            else SolveStatus.TIMEOUT_NO_SOLUTION
        )
        return RosterSolution(status=status, total_time=total)
    if code == cp_model.OPTIMAL:
        status = SolveStatus.OPTIMAL
    elif cancelled.is_set():
        status = SolveStatus.CANCELLED
    else:
        status = SolveStatus.FEASIBLE
    return _solution(problem, built, solver, status, callback, total, polish=polish)


def _fairness_phase(
    problem: RosterProblem,
    levels: Mapping[tuple[str, int], tuple[int, int]],
    grid: list[list[int]],
    options: SolveOptions,
    time_limit: float,
    active: list[cp_model.CpSolver],
    *,
    share: float,
    stopped: Callable[[], bool],
    better: Callable[[list[list[int]]], bool],
) -> list[list[int]] | None:
    """The first phase: the same rules, each fairness spread replaced by a gradient.

    A spread only drops when every person at the top (or bottom) count moves at once,
    which CP-SAT's neighbourhoods rarely do together: on the generated departments the
    last units of spread took most of the search. Charging instead each person's
    distance from the band that the counting relaxation reached (:mod:`solver.bounds`)
    rewards every single move towards it. The roster found is valid for the real model
    (same hard rules) and becomes its complete hint; the real objective decides what
    is reported, so this phase only changes where the search starts.

    With two or more teams the phase is a block search (:mod:`solver.decompose`): one
    team re-solved at a time, everyone else fixed. Each better roster goes to
    ``better`` (checked, reported); it answers True when the roster is at the proven
    bound, which ends the phase. ``stopped`` is a cancellation asked between sub-solves.
    ``share`` is the phase's share of a deterministic time limit.
    """
    phase = build_model(problem, fairness_levels=levels)
    if not complete_hint(phase, grid, options):
        return None
    blocks = team_blocks(problem, phase.vars)
    if len(blocks) >= 2:
        det_budget = None
        if options.deterministic_time is not None:
            det_budget = options.deterministic_time * share
        values, stats = block_search(
            phase.model,
            blocks,
            list(phase.model.proto.solution_hint.values),
            deadline=time.monotonic() + time_limit,
            configure=lambda s, wall, det: configure(
                s, options, time_limit=wall, deterministic_time=det
            ),
            solve_limit=max(1.0, time_limit / len(blocks)),
            deterministic_budget=det_budget,
            active=active,
            stopped=stopped,
            improved=lambda vals: better(extract_grid(problem, phase, lambda x: vals[x.Index()])),
        )
        log.info(
            "team search: %d sub-solves (%d proven), %d better, %d rounds, in %.2fs",
            stats.solves,
            stats.proven_blocks,
            stats.improvements,
            stats.rounds,
            stats.elapsed,
        )
        return extract_grid(problem, phase, lambda x: values[x.Index()])
    solver = cp_model.CpSolver()
    configure(solver, options, time_limit=time_limit)
    if options.deterministic_time is not None:
        solver.parameters.max_deterministic_time = options.deterministic_time * share
    active.append(solver)
    code = solver.solve(phase.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return extract_grid(problem, phase, solver.boolean_value)


def extract_grid(
    problem: RosterProblem, built: BuiltModel, value: Callable[[Any], Any]
) -> list[list[int]]:
    """Read the roster out of a solved model as a grid of shift indices."""
    grid = []
    for e in range(len(problem.staff)):
        row = []
        for d in range(problem.num_days):
            k_on = OFF
            for k, x in enumerate(built.vars.x[e][d]):
                if x is not None and value(x):
                    k_on = k
                    break
            row.append(k_on)
        grid.append(row)
    return grid


def _solution(
    problem: RosterProblem,
    built: BuiltModel,
    solver: cp_model.CpSolver,
    status: SolveStatus,
    callback: _Callback,
    total: float,
    *,
    polish: float = 0.0,
) -> RosterSolution:
    grid = extract_grid(problem, built, solver.boolean_value)
    # CP-SAT's objective_value can exceed the objective of the roster it returns:
    # with dual reductions, presolve may relax an exact indicator (e.g. a single
    # rest day) to a one-sided bound and postsolve then recomputes it exactly.
    # The roster's true cost is the objective expression evaluated on it.
    objective = int(solver.value(objective_expr(built.terms)))
    return _from_grid(
        problem,
        grid,
        status,
        callback,
        total,
        objective,
        float(solver.best_objective_bound),
        polish=polish,
    )


def _from_grid(
    problem: RosterProblem,
    grid: list[list[int]],
    status: SolveStatus,
    callback: _Callback,
    total: float,
    objective: int,
    bound: float,
    *,
    polish: float = 0.0,
) -> RosterSolution:
    """Package a roster: the checker names every cost and must agree with the model.

    A roster not proven optimal first gets ``polish`` seconds of :func:`drop_surplus`.
    """
    if polish > 0 and status is not SolveStatus.OPTIMAL:
        started = time.monotonic()
        before = objective
        grid, objective = drop_surplus(problem, grid, objective, polish)
        total += time.monotonic() - started
        if objective < before:
            log.info("polish: dropped surplus shifts, cost %d -> %d", before, objective)
            callback.found(objective, bound)
    assignment = from_grid(problem, grid)
    report = check(problem, assignment)
    if report.objective != objective or report.hard_violations:
        log.error(
            "checker disagrees with the model: objective %s vs %s, %d hard violations",
            report.objective,
            objective,
            len(report.hard_violations),
        )
    gap = (
        0.0
        if status is SolveStatus.OPTIMAL
        else max(0.0, (objective - bound) / max(1, abs(objective)))
    )
    return RosterSolution(
        status=status,
        assignment=assignment,
        objective=objective,
        best_bound=bound,
        gap=gap,
        time_to_first=callback.first,
        total_time=total,
        breakdown=report.breakdown,
        penalties=report.penalties,
        spreads=report.spreads,
        num_solutions=callback.count,
    )
