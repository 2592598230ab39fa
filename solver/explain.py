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
from solver.variables import Fact

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
    by_index = {lit.Index(): lit for lit in ctx.assumption_literals}
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
    summary = _summary(problem, facts)
    log.info(
        "infeasibility explained with %d facts in %.1fs", len(facts), time.monotonic() - started
    )
    return Explanation(summary=summary, facts=sentences, minimal=minimal)


def _summary(problem: RosterProblem, facts: list[Fact]) -> str:
    """One paragraph: each demand in the conflict, how many can work it, and why not the others."""
    heads = [f for f in facts if f.key[0] in _ORDER]
    others = [f for f in facts if f.key[0] not in _ORDER]
    if not heads or not others:
        return "These cannot all hold: " + "; ".join(f.message for f in facts) + "."
    parts = []
    for head in heads:
        text = head.message
        if head.key[0] == "demand" and str(head.key[1]).startswith("s"):
            row = problem.shift_demand[int(str(head.key[1])[1:])]
            k, d = problem.shift_index[row.shift_id], problem.day_index[row.date]
            eligible = [
                e
                for e, q in enumerate(problem.staff)
                if (row.team is None or q.team == row.team) and k in problem.allowed_shifts(e)
            ]
            # Only leave and locks of that very day take a person off the row for certain; the
            # other facts (rest, days in a row, the contract) say why the rest cannot all be on
            # it, and are listed after. Counting them as "cannot work it" made false claims.
            away = {
                int(str(f.key[1]))
                for f in others
                if f.key[0] in ("leave", "lock") and int(str(f.key[2])) == d
            } & set(eligible)
            that_day = all(
                f.key[0] in ("leave", "lock") and int(str(f.key[2])) == d for f in others
            )
            if that_day:  # nothing else in the conflict: the rest are exactly who can work it
                text += f"; only {len(eligible) - len(away)} of {len(eligible)} can work it"
            elif away:
                text += f"; {len(away)} of the {len(eligible)} who work it are off that day"
        parts.append(text)
    reasons = _group_leave(problem, others)
    return "; ".join(parts) + ": " + "; ".join(reasons) + "."


def _group_leave(problem: RosterProblem, facts: list[Fact]) -> list[str]:
    """Merge leave facts of the same day and reason: "Wang and Zhao are on approved leave on 13 Dec"."""
    from solver.check import fmt_day, fmt_unavailable

    groups: dict[tuple[int, str], list[str]] = {}
    out: list[str] = []
    for f in facts:
        if f.key[0] == "leave":
            e, d = int(str(f.key[1])), int(str(f.key[2]))
            reason = problem.unavailable[(e, d)]
            groups.setdefault((d, reason), []).append(problem.staff[e].name)
        else:
            out.append(f.message)
    leave = []
    for (d, reason), names in sorted(groups.items()):
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        verb = "is" if len(names) == 1 else "are"
        leave.append(f"{who} {verb} {fmt_unavailable(reason)} on {fmt_day(problem.dates[d])}")
    return leave + out
