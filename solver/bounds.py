"""Implied lower bounds: valid constraints that cut off no roster and tighten the bound.

CP-SAT's LP relaxation proves little about this model's soft costs: it sets every
count of a fairness group to the same fraction, and a single rest day or an unmet
request that a person's own history forces costs a fraction of a unit in the LP.
Two small relaxations, solved exactly before the main search, prove more, and each
is added to the main model as ``(the terms it bounds) >= (its proven bound)``. Every
roster satisfies these constraints (each relaxation is a relaxation of the roster
problem restricted to those terms), so no roster is cut off, the checker is
untouched, and the LP carries the bounds into the objective bound.

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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ortools.sat.python import cp_model

from solver.check import FAIRNESS_LABEL, fairness_applies
from solver.objective import objective_expr, set_objective
from solver.problem import RosterProblem, RuleSetting
from solver.variables import DemandRow, ModelContext, PenaltyTerm

RELAXATION_TIME = 2.0
"""Seconds (wall and deterministic) for the counting relaxation; its proven bound is
used even when it is not solved to optimality, so a short limit only weakens it."""

PERSON_TIME = 0.5
"""Seconds (wall and deterministic) for each one-person relaxation."""


@dataclass(frozen=True)
class Relaxation:
    """The relaxation's proven lower bound and the main-model terms it bounds."""

    bound: int
    spreads: list[tuple[int, Any]]
    rows: list[DemandRow]

    def expr(self) -> Any:
        """The main-model expression the bound applies to."""
        return sum(w * s for w, s in self.spreads) + sum(
            r.over_weight * r.over + r.under_weight * r.under for r in self.rows
        )


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
    spreads: list[tuple[int, Any]] = []
    for ri, rule in enumerate(rules):
        weight = getattr(p.rules, rule).weight
        for gi, group in enumerate(p.fairness_groups):
            counts = [sum(n[e, c] for c in classes if c[ri]) for e in group]
            hi = m.new_int_var(0, H, f"hi[{rule},{gi}]")
            lo = m.new_int_var(0, H, f"lo[{rule},{gi}]")
            m.add_max_equality(hi, counts)
            m.add_min_equality(lo, counts)
            cost.append(weight * (hi - lo))
            spreads.append((weight, ctx.fairness_spreads[(rule, gi)]))
    m.minimize(sum(cost))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    bound = _proven(m, time_limit)
    return None if bound is None else Relaxation(bound, spreads, used_rows)


def _proven(model: cp_model.CpModel, time_limit: float) -> int | None:
    """The optimum of a small minimisation, or the bound proven in the time; None if none."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.max_deterministic_time = time_limit
    code = solver.solve(model)
    if code == cp_model.OPTIMAL:
        return round(solver.objective_value)
    if code == cp_model.FEASIBLE:
        return math.ceil(solver.best_objective_bound - 1e-6)
    return None  # infeasible or unknown: the main search will tell; claim nothing


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
    return _proven(built.model, time_limit)


@dataclass(frozen=True)
class BoundsReport:
    """What :func:`add_implied_bounds` proved and added (for logs and tests)."""

    counting: int
    persons: dict[int, int]
    elapsed: float

    @property
    def total(self) -> int:
        """The sum of the bounds added: a lower bound on the objective."""
        return self.counting + sum(self.persons.values())


def add_implied_bounds(
    ctx: ModelContext, terms: Sequence[PenaltyTerm], time_budget: float
) -> BoundsReport:
    """Solve the relaxations and add each positive bound as a constraint.

    The one-person relaxations run person by person until ``time_budget`` is spent:
    stopping early only leaves bounds out, it never makes one wrong.
    """
    started = time.monotonic()
    counting = 0
    groups: list[tuple[list[PenaltyTerm], int]] = []
    if not ctx.explain:
        relax = counting_bound(ctx, min(RELAXATION_TIME, time_budget / 2))
        if relax is not None and relax.bound > 0:
            bounded = _terms_of(terms, relax)
            if bounded is None:
                ctx.model.add(relax.expr() >= relax.bound)
            else:
                groups.append((bounded, relax.bound))
            counting = relax.bound
    persons: dict[int, int] = {}
    own: dict[int, list[PenaltyTerm]] = {}
    for t in terms:
        if t.staff is not None and t.weight:
            own.setdefault(t.staff, []).append(t)
    for e, person_terms in own.items():
        left = time_budget - (time.monotonic() - started)
        if left <= 0:
            break
        bound = person_bound(ctx.problem, e, min(PERSON_TIME, left))
        if bound is not None and bound > 0:
            groups.append((person_terms, bound))
            persons[e] = bound
    if groups and not ctx.explain:
        _bounded_objective(ctx.model, terms, groups)
    return BoundsReport(counting, persons, time.monotonic() - started)


def _terms_of(terms: Sequence[PenaltyTerm], relax: Relaxation) -> list[PenaltyTerm] | None:
    """The penalty terms that make up ``relax.expr()``, or None if they do not match."""
    wanted = {s.Index() for _w, s in relax.spreads}
    for r in relax.rows:
        wanted |= {x.Index() for x in (r.over, r.under) if not isinstance(x, int)}
    out = [
        t
        for t in terms
        if t.staff is None and t.weight and not isinstance(t.expr, int) and _index(t.expr) in wanted
    ]
    return out if len(out) == len(wanted) else None


def _index(expr: Any) -> int | None:
    index = getattr(expr, "Index", None)
    return None if index is None else int(index())


def _bounded_objective(
    model: cp_model.CpModel,
    terms: Sequence[PenaltyTerm],
    groups: Sequence[tuple[Sequence[PenaltyTerm], int]],
) -> None:
    """Minimise the same objective, with each bounded group as one variable ``>= LB``.

    A constraint ``group >= LB`` alone reaches the objective bound only through the
    LP, which on these models is slow to solve at the root (measured: the bound stayed
    at 0 for 5 s on 50 agents). A variable whose domain starts at ``LB`` makes the
    bound plain arithmetic on the objective's terms, seen by presolve and every worker.
    """
    grouped: set[int] = set()
    parts: list[Any] = []
    for i, (group, lb) in enumerate(groups):
        y = model.new_int_var(lb, _UNBOUNDED, f"implied_bound[{i}]")
        model.add(y == objective_expr(group))
        parts.append(y)
        grouped |= {id(t) for t in group}
    rest = [t for t in terms if id(t) not in grouped]
    model.minimize(sum(parts) + objective_expr(rest))


_UNBOUNDED = 1 << 40
"""Upper end of a bounded group's variable: far above any objective, far below overflow."""
