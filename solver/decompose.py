"""Block large-neighbourhood search: re-solve one block of people, everyone else fixed.

A department's people are in teams and most of its rules are per team (demand rows)
or per person (rest, contract, requests). What couples the teams is department-wide:
the fairness groups, the handover window, never-alone lates, trainees and the meeting.
In the search's first phase (see ``solver.solve``) each fairness spread is replaced by
every person's distance from a fixed band, which makes the fairness terms per person
too, so that phase's objective is almost a sum of one term per team. CP-SAT's own
neighbourhoods are drawn at random from the constraint graph of the whole department
and rarely free one team's rows together; on 200 agents in 8 teams it often ended the
phase far from the band. Re-solving one team at a time with every other person's cells
fixed gives CP-SAT a 25-person problem, which it solves to optimality in seconds, and
the department's proxy optimum is (almost) the sum of those.

This module only knows the model and blocks of variables; which people form a block
and what to do with an improved solution is the caller's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.problem import RosterProblem
from solver.variables import RosterVariables

log = logging.getLogger("solver")


@dataclass
class BlockSearchStats:
    """What a block search did (for logs and tests)."""

    solves: int = 0
    improvements: int = 0
    rounds: int = 0
    proven_blocks: int = 0
    elapsed: float = 0.0


def objective_of(model: cp_model.CpModel, values: Sequence[int]) -> int:
    """The model's objective for a complete assignment, offset included.

    Evaluated from the values rather than taken from CP-SAT's ``objective_value``,
    which after presolve's dual reductions may exceed the cost of the returned values.
    """
    obj = model.proto.objective
    total: float = obj.offset
    for v, c in zip(obj.vars, obj.coeffs, strict=True):
        total += c * values[v]
    return round(total)


def block_search(
    model: cp_model.CpModel,
    blocks: Sequence[Sequence[int]],
    values: list[int],
    *,
    deadline: float,
    configure: Callable[[cp_model.CpSolver, float, float | None], None],
    solve_limit: float,
    deterministic_budget: float | None = None,
    active: list[cp_model.CpSolver],
    stopped: Callable[[], bool],
    improved: Callable[[list[int]], bool],
) -> tuple[list[int], BlockSearchStats]:
    """Improve a complete solution of ``model`` block by block until nothing improves.

    Args:
        model: A CP-SAT model with an objective; it is cloned, never changed.
        blocks: Disjoint sets of variable indices: each sub-solve frees one block's
            variables (and every variable that is in no block, e.g. auxiliaries), with
            the variables of every other block fixed to the incumbent.
        values: A complete feasible assignment of every variable (the incumbent); each
            sub-solve gets it as a complete hint, so it can only improve on it.
        deadline: ``time.monotonic()`` at which to stop.
        configure: Sets up a sub-solve's solver for a wall-clock limit in seconds and
            an optional deterministic limit.
        solve_limit: At most this many seconds per sub-solve.
        deterministic_budget: For reproducible runs: the deterministic time of all
            sub-solves together (each gets its block's share, the search stops when
            it is spent), so the result does not depend on the machine's load.
        active: Each sub-solve's solver is appended here before it starts, so the
            caller's cancellation can stop the running one.
        stopped: Asked before each sub-solve; True ends the search.
        improved: Called with each strictly better incumbent; True ends the search
            (e.g. its cost reached a proven lower bound).

    Returns:
        The best assignment found and what the search did. A round visits every block
        once; the search ends after a round without improvement, since each block was
        then at its optimum given the others (or its sub-solve ran out of time).
    """
    started = time.monotonic()
    stats = BlockSearchStats()
    best = list(values)
    best_cost = objective_of(model, best)
    block_sets = [sorted(set(b)) for b in blocks]
    spent = 0.0  # deterministic time used so far
    det_share = None if deterministic_budget is None else deterministic_budget / len(block_sets)
    try:  # every return below leaves through ``finally``, which times the search
        while True:
            stats.rounds += 1
            round_improved = False
            for block in block_sets:
                left = deadline - time.monotonic()
                det_left = None if deterministic_budget is None else deterministic_budget - spent
                if left <= 0.05 or (det_left is not None and det_left <= 1e-3) or stopped():
                    return best, stats
                sub = _fix_others(model, block_sets, block, best)
                solver = cp_model.CpSolver()
                det_limit = None
                if det_share is not None and det_left is not None:
                    det_limit = min(det_share, det_left)
                configure(solver, min(solve_limit, left), det_limit)
                active.append(solver)
                if stopped():  # asked again now that a cancellation can reach this solver
                    return best, stats
                t0 = time.monotonic()
                code = solver.solve(sub)
                stats.solves += 1
                spent += solver.response_proto.deterministic_time
                found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
                candidate = list(solver.response_proto.solution) if found else best
                cost = objective_of(model, candidate)
                log.debug(
                    "block of %d vars: %s in %.2fs, cost %d -> %d",
                    len(block),
                    solver.status_name(code),
                    time.monotonic() - t0,
                    best_cost,
                    cost,
                )
                if code == cp_model.OPTIMAL:
                    stats.proven_blocks += 1
                if cost >= best_cost:
                    continue
                best, best_cost = candidate, cost
                stats.improvements += 1
                round_improved = True
                if improved(best):
                    return best, stats
            if not round_improved:
                return best, stats
    finally:
        stats.elapsed = time.monotonic() - started


def _fix_others(
    model: cp_model.CpModel, blocks: Sequence[Sequence[int]], free: Sequence[int], values: list[int]
) -> cp_model.CpModel:
    """A clone of ``model``: every block but ``free`` fixed to ``values``, all of it hinted."""
    sub = model.clone()
    sub.clear_hints()  # type: ignore[no-untyped-call]
    proto = sub.proto
    for block in blocks:
        if block is free:
            continue
        for i in block:
            dom = proto.variables[i].domain
            dom.clear()
            dom.extend([values[i], values[i]])
    proto.solution_hint.vars.extend(range(len(values)))
    proto.solution_hint.values.extend(values)
    return sub


def team_blocks(problem: RosterProblem, variables: RosterVariables) -> list[list[int]]:
    """Indices of every shift and day-off variable, one block per team.

    People without a team form one block of their own. Demand rows are per team,
    so one team's people can trade shifts among themselves without touching another
    team's rows; with one team (or none) there is nothing to decompose.
    """
    by_team: dict[str | None, list[int]] = {}
    for e, person in enumerate(problem.staff):
        block = by_team.setdefault(person.team, [])
        for d in range(problem.num_days):
            block.append(variables.off[e][d].Index())
            block.extend(x.Index() for x in variables.x[e][d] if x is not None)
    return list(by_team.values())
