"""Implied lower bounds: proven by small relaxations, never cutting off a roster."""

from __future__ import annotations

from ortools.sat.python import cp_model

from solver import (
    HistoryCell,
    Request,
    RequestKind,
    RosterProblem,
    RuleSetting,
    ShiftDemand,
    SolveStatus,
)
from solver.bounds import add_implied_bounds, counting_bound, objective_at_least, person_bound
from solver.solve import build_model
from solver.testing import day, demand, people, problem, solve_checked

FAIR_LATE = {"fairness_late": RuleSetting(hard=False, weight=1)}


def _parity_problem() -> RosterProblem:
    # Three comparable people share two late shifts: equal counts need 0 or 3 lates
    # (10 per missing or extra late), so the optimum is a spread of 1 at cost 1.
    rows = demand(2, "late", 0, 1, under_weight=10, over_weight=10)
    return problem(2, people(3), rules=FAIR_LATE, shift_demand=rows)


def test_counting_relaxation_proves_the_parity_residue() -> None:
    p = _parity_problem()
    relax = counting_bound(build_model(p).ctx)
    assert relax is not None
    assert relax.bound == 1


def test_parity_residue_is_optimal_with_the_bound_and_not_cut_off() -> None:
    p = _parity_problem()
    with_bounds = solve_checked(p)
    without = solve_checked(p, implied_bounds=False)
    assert with_bounds.status is SolveStatus.OPTIMAL
    assert with_bounds.objective == without.objective == 1
    assert with_bounds.spreads[0].spread == 1


def test_demand_rows_marks_only_exact_single_rows() -> None:
    rows = (
        ShiftDemand(day(0), "late", 0, 1, 10, 10),
        ShiftDemand(day(1), "late", 0, 1, 10, 0),  # over not charged: not exact
        ShiftDemand(day(0), "early", 0, 1, 10, 10),
        ShiftDemand(day(0), "early", 0, 1, 10, 10),  # duplicate key: not usable
    )
    p = problem(2, people(3), rules=FAIR_LATE, shift_demand=rows)
    found = build_model(p).ctx.demand_rows
    exact = found[(None, 0, 1)]
    assert exact is not None
    assert (exact.target, exact.capacity, exact.over_weight, exact.under_weight) == (1, 3, 10, 10)
    assert found[(None, 1, 1)] is None
    assert found[(None, 0, 0)] is None


def _history_conflict() -> RosterProblem:
    # A late shift on the last day of last month forbids an early shift on the 1st
    # (11 h rest), so the request for early on the 1st costs its weight whatever happens.
    return problem(
        3,
        people(2),
        rules={"min_rest": RuleSetting()},
        history=(HistoryCell("a0", day(-1), "late"),),
        requests=(Request("a0", day(0), RequestKind.SHIFT_ON, "early", 4),),
        shift_demand=demand(3, "early", 0, 1, over_weight=0),
    )


def test_one_person_relaxation_proves_a_request_lost_to_history() -> None:
    p = _history_conflict()
    assert person_bound(p, 0) == 4
    assert person_bound(p, 1) in (None, 0)
    built = build_model(p)
    report = add_implied_bounds(built.ctx, built.terms, 5.0)
    assert report.persons == {0: 4}
    assert report.total == 4


def test_bound_reaches_the_objective_and_the_checker_agrees() -> None:
    sol = solve_checked(_history_conflict())
    assert sol.status is SolveStatus.OPTIMAL
    assert sol.objective == 4
    assert round(sol.best_bound or 0) == 4


def test_first_phase_charges_each_count_outside_the_band() -> None:
    p = _parity_problem()
    phase = build_model(p, fairness_levels={("fairness_late", 0): (1, 1)})
    fair = [t for t in phase.terms if t.rule == "fairness_late"]
    assert len(fair) == 3  # one distance per person instead of one spread
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(phase.model) == cp_model.OPTIMAL
    assert solver.objective_value == 1  # two lates for three people: one is below the band


def test_first_phase_changes_where_the_search_starts_not_the_answer() -> None:
    p = _parity_problem()
    assert solve_checked(p, fairness_phase=0.5).objective == 1
    assert solve_checked(p, fairness_phase=0.0).objective == 1


def test_objective_domain_keeps_every_value_from_the_bound_up() -> None:
    model = cp_model.CpModel()
    x = model.new_bool_var("x")
    y = model.new_int_var(0, 5, "y")
    model.minimize(cp_model.LinearExpr.weighted_sum([1 - x, y, 3], [2, 1, 1]))
    objective_at_least(model, 4)
    # objective = 2 (1 - x) + y + 3 = -2x + y + 5: the domain is on -2x + y
    assert list(model.proto.objective.domain) == [-1, 5]
    model.add(y == 5)
    model.add(x == 0)  # objective 10, the largest value: still allowed
    solver = cp_model.CpSolver()
    assert solver.solve(model) == cp_model.OPTIMAL
    assert solver.objective_value == 10


def test_a_cancelled_solve_stops_bounding_people() -> None:
    """Cancellation is checked between the one-person relaxations, not after all of them."""
    built = build_model(_history_conflict())
    asked: list[bool] = []

    def stop() -> bool:
        asked.append(True)
        return True

    report = add_implied_bounds(built.ctx, built.terms, 5.0, stop=stop)
    assert asked
    assert report.persons == {}
