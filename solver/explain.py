"""Why a roster problem is infeasible, in the department's terms.

Every hard rule instance and fixed fact is guarded by an assumption literal
(:meth:`solver.variables.ModelContext.guard`). CP-SAT, on one worker, returns
a sufficient subset of assumptions for infeasibility; we then shrink it by
deletion (drop a fact, re-solve briefly, keep the drop if still infeasible)
and phrase what remains: "13 Dec late shift needs 2; these cannot all hold:
Wang is on approved leave on 13 Dec; Chen: at most 6 working days in a row".
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from ortools.sat.python import cp_model

from solver.problem import RosterProblem
from solver.result import Explanation

if TYPE_CHECKING:
    from solver.solve import SolveOptions

log = logging.getLogger("solver.explain")

_ORDER = ("demand", "never_alone", "trainee", "meeting")


def _infeasible(
    model: cp_model.CpModel, lits: list[Any], limit: float, seed: int
) -> tuple[bool, list[int]]:
    """Solve with these assumptions; (proved infeasible, sufficient assumption indices)."""
    model.clear_assumptions()
    model.add_assumptions(lits)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = max(0.1, limit)
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    if code == cp_model.INFEASIBLE:
        return True, list(solver.sufficient_assumptions_for_infeasibility())
    return False, []


def explain(problem: RosterProblem, options: SolveOptions | None = None) -> Explanation:
    """Find and phrase a small set of rules and facts that cannot all hold.

    Args:
        problem: An infeasible problem.
        options: Uses ``explain_time_limit`` and ``seed``.

    Returns:
        The explanation; if the problem turns out feasible within the budget (or
        the conflict lies outside the guarded facts), a summary saying so.
    """
    from solver.solve import SolveOptions, build_model

    options = options or SolveOptions()
    budget = options.explain_time_limit
    started = time.monotonic()
    built = build_model(problem, explain=True)
    ctx = built.ctx
    by_index = {idx: lit for idx, lit in ((lit.Index(), lit) for lit in ctx._literals.values())}
    all_lits = list(by_index.values())
    proved, core_idx = _infeasible(built.model, all_lits, budget / 2, options.seed)
    if not proved:
        return Explanation(
            summary="No conflict among the department's rules and facts was found within the"
            " time limit; the problem may be feasible but hard.",
            facts=(),
        )
    if not core_idx:
        return Explanation(
            summary="The roster is impossible even before any rule is applied: a locked cell or"
            " contract excludes every option.",
            facts=(),
            minimal=True,
        )
    core = [i for i in core_idx if i in by_index]
    minimal = True
    i = 0
    while i < len(core):
        remaining = budget - (time.monotonic() - started)
        if remaining <= 0.2:
            minimal = False
            break
        trial = core[:i] + core[i + 1 :]
        still, sub = _infeasible(
            built.model, [by_index[j] for j in trial], min(2.0, remaining), options.seed
        )
        if still:
            keep = set(sub) if sub else set(trial)
            core = [j for j in trial if j in keep]
        else:
            i += 1
    facts = [ctx.facts[j] for j in core]
    facts.sort(key=lambda f: (_ORDER.index(str(f.key[0])) if f.key[0] in _ORDER else 99, f.key))
    sentences = tuple(f.message for f in facts)
    heads = [f.message for f in facts if f.key[0] in _ORDER]
    others = [f.message for f in facts if f.key[0] not in _ORDER]
    if heads and others:
        summary = "; ".join(heads) + "; but " + "; ".join(others) + "."
    else:
        summary = "These cannot all hold: " + "; ".join(sentences) + "."
    log.info(
        "infeasibility explained with %d facts in %.1fs", len(facts), time.monotonic() - started
    )
    return Explanation(summary=summary, facts=sentences, minimal=minimal)
