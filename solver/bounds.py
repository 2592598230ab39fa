"""Implied lower bounds: proven by small relaxations, they cut off no roster.

CP-SAT's LP relaxation proves little about this model's soft costs: it sets every
count of a fairness group to the same fraction, and a single rest day or an unmet
request that a person's own history forces costs a fraction of a unit in the LP.
Two small relaxations, solved exactly before the main search, prove more. Each bounds
a disjoint set of penalty terms (every term is non-negative), so the sum of their
bounds is a lower bound on the whole objective, and it becomes the lower end of the
objective's domain (:func:`objective_at_least`). Every roster costs at least that
(each relaxation is a relaxation of the roster problem restricted to its terms), so no
roster is cut off and the checker is untouched; only the proof of optimality comes
sooner.

**Counting relaxation** (fairness spreads and demand slacks). If a team's late rows
ask for 170 late shifts in the month and 23 comparable agents plus 2 part-timers of
that team share them, equal counts ``23 * c + 2 * b`` can never make 170 (161 + 2b is
odd): a late spread, a part-timer spread or a slack is unavoidable. Per person and
per *class* of cells (late or not, weekend or not, holiday or not: what the fairness
rules count) one integer ``n[e, c]``, bounded by the days the person can work in that
class and by the contract's day and shift limits; per team and class the equality

    sum of the team's n[e, c] == sum of targets + over - under,

which holds for every roster because each exact demand row's headcount is
``target + over - under`` (:class:`solver.variables.DemandRow`); the fairness spreads
of the counts; and as objective the spreads and the slacks at their cheapest weights.

**One-person relaxations** (rest, contract, holiday and request terms). Each
person's own terms (:attr:`PenaltyTerm.staff`) depend on that person's row alone, so
their minimum over the person's rules without demand is a lower bound for them: a
request for an early shift on the 2nd after two late shifts at the end of last month
costs either the request or a single rest day, which one small solve proves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ortools.sat.python import cp_model

from solver.check import FAIRNESS_LABEL, fairness_applies
from solver.objective import set_objective
from solver.problem import RosterProblem, RuleSetting
from solver.variables import DemandRow, ModelContext, PenaltyTerm

RELAXATION_TIME = 2.0
"""Seconds (wall and deterministic) for the counting relaxation; its proven bound is
used even when it is not solved to optimality, so a short limit only weakens it."""

PERSON_TIME = 0.5
"""Seconds (wall and deterministic) for each one-person relaxation."""


@dataclass(frozen=True)
class Relaxation:
    """The counting relaxation's proven lower bound and its best fairness levels.

    ``levels`` maps (fairness rule, group index) to the (min, max) count of the
    relaxation's best solution: a roster whose counts stay within them has spreads
    no larger than the relaxation's (used by the search's first phase, not by the bound).
    """

    bound: int
    levels: dict[tuple[str, int], tuple[int, int]]


def _fair_rules(p: RosterProblem) -> list[str]:
    out = []
    for rule in FAIRNESS_LABEL:
        setting: RuleSetting = getattr(p.rules, rule)
        if setting.enabled and setting.weight > 0 and fairness_applies(p, rule):
            out.append(rule)
    return out


def _signature(p: RosterProblem, rules: list[str], d: int, k: int) -> tuple[bool, ...]:
    """What each active fairness rule sees of a cell: the class it falls in."""
    day = p.dates[d]
    sig = []
    for rule in rules:
        if rule == "fairness_late":
            sig.append(p.shift_types[k].late)
        elif rule == "fairness_weekend":
            sig.append(p.calendar.is_weekend(day))
        else:
            sig.append(p.calendar.is_holiday(day))
    return tuple(sig)


def counting_bound(ctx: ModelContext, time_limit: float = RELAXATION_TIME) -> Relaxation | None:
    """Solve the counting relaxation; None when there is nothing to bound."""
    p = ctx.problem
    rules = _fair_rules(p)
    if not rules or not p.fairness_groups:
        return None
    H, S = p.num_days, len(p.shift_types)
    teams = {t for t, _d, _k in ctx.demand_rows}
    named = {t for t in teams if t is not None}
    members: dict[str | None, list[int]]
    if named:
        members = {t: [e for e, q in enumerate(p.staff) if q.team == t] for t in named}
    elif None in teams:
        members = {None: list(range(len(p.staff)))}
    else:
        return None
    cells: dict[tuple[bool, ...], list[tuple[int, int]]] = {}
    for d in range(H):
        for k in range(S):
            cells.setdefault(_signature(p, rules, d, k), []).append((d, k))
    classes = sorted(cells)
    m = cp_model.CpModel()
    n: dict[tuple[int, tuple[bool, ...]], Any] = {}
    contract = p.rules.contract
    for e in range(len(p.staff)):
        ct = p.staff[e].contract
        locked_day = {d for (ee, d) in p.locked if ee == e}
        # days the person can work in each class (one shift a day at most)
        by_class_days: dict[tuple[bool, ...], set[int]] = {}
        for c in classes:
            by_class_days[c] = {
                d
                for d, k in cells[c]
                if ctx.vars.shift(e, d, k) is not None
                and (e, d) not in p.unavailable
                and (d not in locked_day or p.locked[(e, d)] == k)
            }
            n[e, c] = m.new_int_var(0, len(by_class_days[c]), f"n[{e},{c}]")
        # cells of different classes on the same day share that day
        day_groups: dict[frozenset[int], list[tuple[bool, ...]]] = {}
        for c in classes:
            day_groups.setdefault(frozenset(d for d, _k in cells[c]), []).append(c)
        for days, same_days in day_groups.items():
            if len(same_days) > 1:
                free = set().union(*(by_class_days[c] for c in same_days)) & days
                m.add(sum(n[e, c] for c in same_days) <= len(free))
        total = sum(n[e, c] for c in classes)
        if contract.enabled and contract.hard:
            if ct.max_days is not None:
                m.add(total <= ct.max_days)
            if ct.min_days is not None:
                m.add(total >= ct.min_days)
            for k, s in enumerate(p.shift_types):
                limit = ct.max_shifts.get(s.id)
                if limit is None:
                    continue
                only_k = [c for c in classes if {kk for _d, kk in cells[c]} == {k}]
                if only_k:
                    m.add(sum(n[e, c] for c in only_k) <= limit)
    cost: list[Any] = []
    used_rows: list[DemandRow] = []
    for team, people in members.items():
        for c in classes:
            rows = [ctx.demand_rows.get((team, d, k)) for d, k in cells[c]]
            exact = [r for r in rows if r is not None]
            if len(exact) < len(rows):
                continue  # a cell without an exact row: no equality for this class
            used_rows.extend(exact)
            over_cap = sum(r.capacity - r.target for r in exact if r.capacity > r.target)
            under_cap = sum(r.target - r.minimum for r in exact if r.target > r.minimum)
            over = m.new_int_var(0, over_cap, f"over[{team},{c}]")
            under = m.new_int_var(0, under_cap, f"under[{team},{c}]")
            m.add(sum(n[e, c] for e in people) == sum(r.target for r in exact) + over - under)
            wo = [r.over_weight for r in exact if r.capacity > r.target]
            wu = [r.under_weight for r in exact if r.target > r.minimum]
            if wo:
                cost.append(min(wo) * over)
            if wu:
                cost.append(min(wu) * under)
    if not used_rows:
        return None
    extremes: dict[tuple[str, int], tuple[Any, Any]] = {}
    for ri, rule in enumerate(rules):
        weight = getattr(p.rules, rule).weight
        for gi, group in enumerate(p.fairness_groups):
            counts = [sum(n[e, c] for c in classes if c[ri]) for e in group]
            hi = m.new_int_var(0, H, f"hi[{rule},{gi}]")
            lo = m.new_int_var(0, H, f"lo[{rule},{gi}]")
            m.add_max_equality(hi, counts)
            m.add_min_equality(lo, counts)
            cost.append(weight * (hi - lo))
            extremes[(rule, gi)] = (lo, hi)
    m.minimize(sum(cost))
    bound, solver = _proven(m, time_limit)
    if bound is None:
        return None
    levels = {
        key: (int(solver.value(lo)), int(solver.value(hi))) for key, (lo, hi) in extremes.items()
    }
    return Relaxation(bound, levels)


def _proven(model: cp_model.CpModel, time_limit: float) -> tuple[int | None, cp_model.CpSolver]:
    """The optimum of a small minimisation, or the bound proven in the time; None if none.

    The solver comes back too, holding a solution whenever the bound is not None.
    """
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.max_deterministic_time = time_limit
    code = solver.solve(model)
    if code == cp_model.OPTIMAL:
        return round(solver.objective_value), solver
    if code == cp_model.FEASIBLE:
        return math.ceil(solver.best_objective_bound - 1e-6), solver
    return None, solver  # infeasible or unknown: the main search will tell; claim nothing


def one_person_problem(p: RosterProblem, e: int) -> RosterProblem:
    """Person ``e`` alone: their own facts, history, requests and rules, no demand."""
    pid = p.staff[e].id
    ref = p.reference
    if ref is not None:
        ref = replace(ref, cells={k: c for k, c in ref.cells.items() if k == pid})
    off = RuleSetting(enabled=False)
    soft_off = RuleSetting(enabled=False, hard=False)
    rules = replace(
        p.rules,
        never_alone=off,
        trainee_not_alone=off,
        meeting=off,
        fairness_late=soft_off,
        fairness_weekend=soft_off,
        fairness_holiday=soft_off,
    )
    return replace(
        p,
        staff=(p.staff[e],),
        shift_demand=(),
        interval_demand=(),
        leave=tuple(x for x in p.leave if x.staff_id == pid),
        locks=tuple(x for x in p.locks if x.staff_id == pid),
        history=tuple(x for x in p.history if x.staff_id == pid),
        following=tuple(x for x in p.following if x.staff_id == pid),
        requests=tuple(x for x in p.requests if x.staff_id == pid),
        reference=ref,
        rules=rules,
    )


def person_bound(p: RosterProblem, e: int, time_limit: float = PERSON_TIME) -> int | None:
    """The least cost of person ``e``'s own terms over every row their rules allow."""
    from solver.solve import build_model  # solve imports this module

    built = build_model(one_person_problem(p, e))
    own = [t for t in built.terms if t.staff == 0 and t.weight]
    if not own:
        return None
    set_objective(built.model, own)
    return _proven(built.model, time_limit)[0]


@dataclass(frozen=True)
class BoundsReport:
    """What :func:`add_implied_bounds` proved and added (for logs and tests)."""

    counting: int
    persons: dict[int, int]
    elapsed: float
    levels: dict[tuple[str, int], tuple[int, int]]

    @property
    def total(self) -> int:
        """The sum of the bounds added: a lower bound on the objective."""
        return self.counting + sum(self.persons.values())


def add_implied_bounds(
    ctx: ModelContext,
    terms: Sequence[PenaltyTerm],
    time_budget: float,
    *,
    wall_clock: bool = True,
    stop: Callable[[], bool] | None = None,
) -> BoundsReport:
    """Solve the relaxations and restrict the objective to at least their sum.

    The one-person relaxations run person by person until ``time_budget`` is spent:
    stopping early only leaves bounds out, it never makes one wrong. With
    ``wall_clock=False`` (a deterministic solve) every person is bounded, each solve
    within its deterministic limit, so the result does not depend on the machine's load.
    ``stop`` is asked between relaxations (each at most a couple of seconds), so a
    cancelled solve does not first spend its whole bounds budget.
    """
    started = time.monotonic()
    counting = 0
    levels: dict[tuple[str, int], tuple[int, int]] = {}
    if not ctx.explain:
        limit = min(RELAXATION_TIME, time_budget / 2) if wall_clock else RELAXATION_TIME
        relax = counting_bound(ctx, limit)
        if relax is not None:
            counting = relax.bound
            levels = relax.levels
    persons: dict[int, int] = {}
    own: dict[int, list[PenaltyTerm]] = {}
    for t in terms:
        if t.staff is not None and t.weight:
            own.setdefault(t.staff, []).append(t)
    for e in own:
        left = time_budget - (time.monotonic() - started) if wall_clock else PERSON_TIME
        if left <= 0 or (stop is not None and stop()):
            break
        bound = person_bound(ctx.problem, e, min(PERSON_TIME, left))
        if bound is not None and bound > 0:
            persons[e] = bound
    report = BoundsReport(counting, persons, time.monotonic() - started, levels)
    if report.total > 0 and not ctx.explain:
        objective_at_least(ctx.model, report.total)
    return report


def objective_at_least(model: cp_model.CpModel, bound: int) -> None:
    """Restrict the objective's domain to ``>= bound`` (a proven lower bound).

    The bounds are on disjoint sets of terms (the counting relaxation's terms belong
    to no person; each one-person bound to its person) and every penalty term is
    non-negative, so their sum bounds the whole objective. The objective's own domain
    carries it: presolve and every worker start from it, and it adds no constraint to
    the graph that CP-SAT's neighbourhoods are drawn from. (Measured alternatives: one
    constraint per bounded group reached the objective bound only through the LP, not
    at all within 5 s on 50 agents; one variable per group with a domain starting at its
    bound gave the bound at once but linked every demand slack in one equality.)
    """
    obj = model.proto.objective
    # The domain applies to sum(coeffs * vars), before the offset that constant
    # terms such as ``1 - off`` put into the objective.
    low = bound - obj.offset
    high = 0
    for var, coeff in zip(obj.vars, obj.coeffs, strict=True):
        dom = model.proto.variables[var].domain
        # the proto's repeated fields answer 0 to a negative index: count from the front
        high += max(coeff * dom[0], coeff * dom[len(dom) - 1])
    low_int = math.ceil(low - 1e-9)
    if high < low_int:
        return  # cannot happen for a feasible model; leave it to the search to say
    obj.domain.clear()
    obj.domain.extend([low_int, high])
