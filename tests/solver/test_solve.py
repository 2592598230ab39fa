"""solve(): statuses, determinism, progress, cancellation, repair, explanations."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from bench.generate import generate_department
from solver import (
    HistoryCell,
    Leave,
    Lock,
    Progress,
    ReferenceRoster,
    RuleSetting,
    ShiftDemand,
    SolveOptions,
    SolveStatus,
    Staff,
    check,
    solve,
)
from solver.testing import cell, day, demand, people, problem, solve_checked


def test_determinism_one_worker_deterministic_limit() -> None:
    p = generate_department(10, seed=3)
    opts = {"deterministic_time": 0.4, "time_limit": 30.0}
    a = solve_checked(p, **opts)
    b = solve_checked(p, **opts)
    assert a.status.has_roster
    assert a.assignment == b.assignment
    assert a.objective == b.objective


def test_progress_reports_improving_rosters() -> None:
    p = generate_department(10, seed=4)
    seen: list[Progress] = []
    sol = solve(
        p, SolveOptions(num_workers=1, deterministic_time=0.4, time_limit=30), progress=seen.append
    )
    assert seen
    objectives = [s.objective for s in seen]
    assert objectives == sorted(objectives, reverse=True)
    assert sol.objective == objectives[-1]
    assert sol.time_to_first is not None
    assert sol.time_to_first <= sol.total_time
    assert sol.assignment is not None
    assert check(p, sol.assignment).objective == sol.objective


def test_cancel_from_another_thread_returns_best_so_far() -> None:
    p = generate_department(40, seed=5)
    stop = threading.Event()
    sol = solve(
        p,
        SolveOptions(time_limit=30, num_workers=2),
        progress=lambda _: stop.set(),
        cancel=stop,
    )
    assert sol.status is SolveStatus.CANCELLED
    assert sol.total_time < 10
    assert sol.assignment is not None
    report = check(p, sol.assignment)
    assert report.valid
    assert report.objective == sol.objective


def test_cancel_before_start() -> None:
    stop = threading.Event()
    stop.set()
    sol = solve(problem(1, people(1)), SolveOptions(greedy_hint=False), cancel=stop)
    assert sol.status is SolveStatus.CANCELLED_NO_SOLUTION
    # with the greedy start, its valid roster is the best so far
    with_greedy = solve(problem(1, people(1)), SolveOptions(), cancel=stop)
    assert with_greedy.status is SolveStatus.CANCELLED
    assert with_greedy.assignment is not None


def test_infeasible_explanation_names_leave_and_demand() -> None:
    p = problem(
        3,
        people(3),
        rules={"never_alone": RuleSetting()},
        shift_demand=demand(3, "late", 2),
        leave=(Leave("a0", day(1), day(1)), Leave("a1", day(1), day(1))),
    )
    sol = solve(p, SolveOptions(num_workers=1, time_limit=10))
    assert sol.status is SolveStatus.INFEASIBLE
    assert sol.explanation is not None
    facts = set(sol.explanation.facts)
    assert "2 Dec late shift needs 2" in facts
    assert "Agent0 is on approved leave on 2 Dec" in facts
    assert "Agent1 is on approved leave on 2 Dec" in facts
    assert len(facts) == 3
    assert sol.explanation.minimal
    assert sol.explanation.summary == (
        "2 Dec late shift needs 2; only 1 of 3 can work it:"
        " Agent0 and Agent1 are on approved leave on 2 Dec."
    )


def test_infeasible_explanation_names_consecutive_days_and_history() -> None:
    hist = tuple(HistoryCell("a0", date(2026, 11, 30 - i), "early") for i in range(6))
    p = problem(1, people(2), history=hist, shift_demand=demand(1, "early", 2))
    sol = solve(p, SolveOptions(num_workers=1, time_limit=10))
    assert sol.explanation is not None
    text = " | ".join(sol.explanation.facts)
    assert "1 Dec early shift needs 2" in text
    assert "Agent0: at most 6 working days in a row (counting last month)" in text
    assert "Agent0's previous roster ends with" in text


def test_repair_changes_only_what_it_must() -> None:
    base = problem(7, people(4), shift_demand=demand(7, "early", 2, 2) + demand(7, "late", 0, 0))
    first = solve_checked(base)
    assert first.assignment is not None
    ref = ReferenceRoster(
        {pid: dict(row) for pid, row in first.assignment.items()}, change_weight=3
    )
    # a0 now has approved leave on a day they were rostered
    worked = next(i for i in range(7) if cell(first, "a0", i) is not None)
    repaired_problem = problem(
        7,
        people(4),
        shift_demand=base.shift_demand,
        reference=ref,
        leave=(Leave("a0", day(worked), day(worked)),),
    )
    repaired = solve_checked(repaired_problem)
    assert repaired.assignment is not None
    changed = [
        (pid, d)
        for pid, row in repaired.assignment.items()
        for d, s in row.items()
        if first.assignment[pid][d] != s
    ]
    assert ("a0", day(worked)) in changed
    assert len(changed) == 2
    assert repaired.breakdown["stability"] == 6


def test_locks_are_kept() -> None:
    p = problem(
        3, people(2), shift_demand=demand(3, "early", 1), locks=(Lock("a1", day(1), "late"),)
    )
    sol = solve_checked(p)
    assert cell(sol, "a1", 1) == "late"


def test_invalid_options_raise() -> None:
    with pytest.raises(ValueError, match="time_limit"):
        SolveOptions(time_limit=0)


def test_explanation_on_the_sample_department() -> None:
    import dataclasses
    from pathlib import Path

    from solver.explain import explain
    from solver.io import load_problem

    sample = Path(__file__).resolve().parents[2] / "examples" / "sample-department.json"
    p = load_problem(sample.read_text(encoding="utf-8"))
    team_a = [q for q in p.staff if q.team == "Team A"]
    away = tuple(Leave(q.id, date(2026, 12, 13), date(2026, 12, 13)) for q in team_a[:8])
    e = explain(dataclasses.replace(p, leave=p.leave + away), SolveOptions(explain_time_limit=20))
    assert e.minimal
    assert set(e.facts) == {
        "13 Dec early (Team A) needs 1",
        "13 Dec late (Team A) needs 2",
        *(f"{q.name} is on approved leave on 13 Dec" for q in team_a[:8]),
    }
    assert "only 2 of 10 can work it" in e.summary


def test_cpsat_parameters_are_checked_and_applied() -> None:
    with pytest.raises(ValueError, match="no_such_parameter"):
        SolveOptions(cpsat_parameters={"no_such_parameter": 1})
    p = problem(3, people(3), shift_demand=demand(3, "late", 1))
    sol = solve(
        p,
        SolveOptions(
            num_workers=1,
            time_limit=10,
            cpsat_parameters={"linearization_level": 2, "ignore_subsolvers": ["ls"]},
        ),
    )
    assert sol.status.has_roster
    assert check(p, sol.assignment or {}).valid


def test_an_explanation_claims_nobody_is_off_whom_no_fact_keeps_off() -> None:
    # Five agents, a full week (7-13 Dec) asking two early and two late every day: 28 shifts
    # where five people with two rest days each give 25. Nobody is on leave: no row may read
    # "only 0 of 5 can work it".
    week = [day(i) for i in range(6, 13)]
    wanted = tuple(ShiftDemand(d, k, 2, 2) for d in week for k in ("early", "late"))
    p = problem(13, people(5), rules={"weekly_rest": RuleSetting()}, shift_demand=wanted)
    sol = solve(p, SolveOptions(num_workers=1, time_limit=10, explain_time_limit=10))
    assert sol.status is SolveStatus.INFEASIBLE
    assert sol.explanation is not None
    assert "can work it" not in sol.explanation.summary
    assert any("rest days" in f for f in sol.explanation.facts), sol.explanation.facts


def test_an_explanation_names_the_forbidden_succession_and_the_trainee() -> None:
    locks = (Lock("a0", day(0), "early"), Lock("a0", day(1), "late"))
    p = problem(2, people(1), rules={"forbidden_successions": (("early", "late"),)}, locks=locks)
    sol = solve(p, SolveOptions(num_workers=1, time_limit=5))
    assert sol.status is SolveStatus.INFEASIBLE
    assert sol.explanation is not None
    assert any("no early shift then late shift" in f for f in sol.explanation.facts), (
        sol.explanation
    )

    trainee = (Staff("t0", "Wu Xia", flags=frozenset({"trainee"})), Staff("a1", "Li Wei"))
    q = problem(
        1,
        trainee,
        rules={"trainee_not_alone": RuleSetting()},
        shift_demand=demand(1, "early", 1),
        leave=(Leave("a1", day(0), day(0)),),
    )
    sol = solve(q, SolveOptions(num_workers=1, time_limit=5))
    assert sol.status is SolveStatus.INFEASIBLE
    assert sol.explanation is not None
    assert any("trainee (Wu Xia)" in f for f in sol.explanation.facts), sol.explanation
