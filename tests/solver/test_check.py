"""The independent checker on hand-made rosters."""

from __future__ import annotations

from datetime import date

from solver import (
    Calendar,
    HistoryCell,
    Leave,
    Lock,
    ReferenceRoster,
    Request,
    RequestKind,
    RuleSetting,
    ShiftDemand,
    Staff,
    check,
)
from solver.testing import day, demand, people, problem


def rows(**cells: list[str | None]) -> dict[str, dict[date, str | None]]:
    return {pid: {day(i): v for i, v in enumerate(row)} for pid, row in cells.items()}


def test_valid_roster_has_no_violations() -> None:
    p = problem(2, people(2), shift_demand=demand(2, "early", 1))
    report = check(p, rows(a0=["early", None], a1=[None, "early"]))
    assert report.valid
    assert report.objective == 0


def test_late_then_early_is_a_rest_violation() -> None:
    p = problem(2, people(1))
    report = check(p, rows(a0=["late", "early"]))
    [v] = report.hard_violations
    assert (v.rule, v.staff_id, v.date) == ("min_rest", "a0", day(1))
    assert "too little rest" in v.message


def test_rest_violation_across_month_boundary() -> None:
    p = problem(1, people(1), history=(HistoryCell("a0", date(2026, 11, 30), "late"),))
    assert [v.rule for v in check(p, rows(a0=["early"])).hard_violations] == ["min_rest"]
    assert check(p, rows(a0=["late"])).valid


def test_seven_in_a_row_with_history() -> None:
    hist = tuple(HistoryCell("a0", date(2026, 11, 30 - i), "early") for i in range(4))
    p = problem(3, people(1), history=hist)
    report = check(p, rows(a0=["early", "early", "early"]))
    assert [v.rule for v in report.hard_violations] == ["max_consecutive_days"]
    assert report.hard_violations[0].date == day(2)


def test_leave_lock_demand_and_alone_rules() -> None:
    staff = (Staff("t", "Trainee Tan", flags=frozenset({"trainee"})), Staff("s", "Senior Su"))
    p = problem(
        1,
        staff,
        rules={"never_alone": RuleSetting()},
        leave=(Leave("s", day(0), day(0)),),
        locks=(Lock("s", day(0), "early"),),
        shift_demand=demand(1, "early", 2),
    )
    report = check(p, rows(t=["late"], s=["early"]))
    got = sorted(v.rule for v in report.hard_violations)
    assert got == ["demand_minimum", "leave", "never_alone", "trainee_not_alone"]
    msgs = {v.rule: v.message for v in report.hard_violations}
    assert msgs["leave"] == "Senior Su works on 1 Dec but is on approved leave"
    assert msgs["trainee_not_alone"].startswith("1 Dec late shift: trainee Trainee Tan")


def test_objective_and_named_costs() -> None:
    p = problem(
        2,
        people(2),
        shift_demand=(
            ShiftDemand(day(0), "early", 0, 2, 10, 1),
            ShiftDemand(day(1), "early", 0, 0, 10, 4),
        ),
        requests=(Request("a0", day(1), RequestKind.DAY_OFF, weight=5),),
        calendar=Calendar(holidays={day(1): "Founders' Day"}),
        rules={"holiday_work": RuleSetting(hard=False, weight=3)},
        reference=ReferenceRoster({"a1": {day(0): "early"}}, change_weight=2),
    )
    report = check(p, rows(a0=["early", "early"], a1=[None, None]))
    assert report.valid
    assert report.breakdown["demand_target"] == 10 + 4
    assert report.breakdown["requests"] == 5
    assert report.breakdown["holiday_work"] == 3
    assert report.breakdown["stability"] == 2
    assert report.objective == 24
    assert "Agent0: day-off request on 2 Dec not met, cost 5" in [
        v.message for v in report.penalties
    ]


def test_weekly_rest_and_fairness_spread() -> None:
    p = problem(
        7,
        people(2),
        isolate=False,
        rules={"rest_pairs": RuleSetting(enabled=False, hard=False)},
    )
    # 1-6 Dec partial ISO week (6 days: one rest day needed), 7 Dec starts a new week
    report = check(p, rows(a0=["late"] * 6 + [None], a1=[None] * 7))
    [v] = [v for v in report.hard_violations if v.rule == "weekly_rest"]
    assert {w.rule for w in report.hard_violations} == {"weekly_rest", "never_alone"}
    assert v.message == "Agent0: 0 rest days in the week of 1 Dec, needs 1"
    spreads = {s.rule: s.spread for s in report.spreads}
    assert spreads["fairness_late"] == 6
    assert report.breakdown["fairness_late"] == 6 * 2


def test_unknown_ids_are_violations_not_crashes() -> None:
    p = problem(1, people(1))
    report = check(p, {"zz": {day(0): "early"}, "a0": {day(0): "swing"}})
    assert [v.rule for v in report.hard_violations] == ["unknown_shift", "unknown_shift"]
