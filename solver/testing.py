"""Tiny problem builders and a solve-then-check helper for tests.

Used by ``tests/solver`` and available to the service's tests: every solve in a
test goes through :func:`solve_checked`, which runs the independent checker on
the result and fails unless it agrees with the solver.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from solver import (
    RosterProblem,
    RosterSolution,
    RuleSetting,
    RuleSettings,
    ShiftDemand,
    ShiftType,
    SolveOptions,
    Staff,
    check,
    solve,
)

EARLY = ShiftType("early", "early shift", 8 * 60 + 30, 17 * 60 + 30)
LATE = ShiftType("late", "late shift", 15 * 60, 24 * 60, late=True, never_alone=True)
START = date(2026, 12, 1)  # a Tuesday

OFF_RULES = {
    "never_alone": RuleSetting(enabled=False),
    "weekly_rest": RuleSetting(enabled=False),
    "rest_pairs": RuleSetting(enabled=False, hard=False),
    "fairness_late": RuleSetting(enabled=False, hard=False),
    "fairness_weekend": RuleSetting(enabled=False, hard=False),
    "fairness_holiday": RuleSetting(enabled=False, hard=False),
    "holiday_work": RuleSetting(enabled=False, hard=False),
}


def day(i: int) -> date:
    """The i-th day of the test horizon (0 = 1 Dec 2026)."""
    return START + timedelta(days=i)


def people(n: int, **kwargs: Any) -> tuple[Staff, ...]:
    """N plain agents a0..a(n-1) named Agent0.."""
    return tuple(Staff(f"a{i}", f"Agent{i}", **kwargs) for i in range(n))


def demand(
    days: int, shift: str, minimum: int, target: int | None = None, **kw: Any
) -> tuple[ShiftDemand, ...]:
    """The same demand on every day of the horizon."""
    return tuple(
        ShiftDemand(day(i), shift, minimum, minimum if target is None else target, **kw)
        for i in range(days)
    )


def problem(
    days: int,
    staff: tuple[Staff, ...],
    *,
    shifts: tuple[ShiftType, ...] = (EARLY, LATE),
    isolate: bool = True,
    rules: dict[str, Any] | None = None,
    **kwargs: Any,
) -> RosterProblem:
    """A small problem; ``isolate`` switches off the rules a test does not look at."""
    settings: dict[str, Any] = dict(OFF_RULES) if isolate else {}
    settings.update(rules or {})
    return RosterProblem(
        start=START,
        end=day(days - 1),
        timezone="Asia/Shanghai",
        shift_types=shifts,
        staff=staff,
        rules=RuleSettings(**settings),
        **kwargs,
    )


def solve_checked(p: RosterProblem, **options: Any) -> RosterSolution:
    """Solve on one worker with a deterministic limit; the checker must agree."""
    opts: dict[str, Any] = {"time_limit": 20.0, "num_workers": 1, "deterministic_time": 10.0}
    opts.update(options)
    sol = solve(p, SolveOptions(**opts))
    if sol.assignment is not None:
        report = check(p, sol.assignment)
        if report.hard_violations:
            raise AssertionError(f"hard violations: {report.hard_violations}")
        if report.objective != sol.objective or dict(report.breakdown) != dict(sol.breakdown):
            raise AssertionError(f"checker {report.objective} != solver {sol.objective}")
    return sol


def cell(sol: RosterSolution, staff_id: str, i: int) -> str | None:
    """The shift of a person on day i of a solved roster."""
    if sol.assignment is None:
        raise AssertionError(f"no roster: {sol.status}")
    return sol.assignment[staff_id][day(i)]
