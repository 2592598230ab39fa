"""Problem validation and the JSON/CSV formats."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bench.generate import generate_department
from solver import ProblemError, RuleSetting, RuleSettings, ShiftType, check
from solver.io import (
    assignment_to_csv,
    dump_problem,
    load_problem,
    problem_to_dict,
    validate_assignment,
)
from solver.problem import parse_hhmm
from solver.testing import day, demand, people, problem, solve_checked

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_times_allow_midnight_and_after() -> None:
    assert parse_hhmm("24:00", "x") == 1440
    assert parse_hhmm("08:30", "x") == 510
    with pytest.raises(ProblemError, match=r"shift_types\[0\].start"):
        parse_hhmm("8h30", "shift_types[0].start")


def test_validation_names_the_field() -> None:
    with pytest.raises(ProblemError, match=r"shift_demand\[0\].shift: unknown shift 'night'"):
        problem(1, people(1), shift_demand=(demand(1, "early", 1)[0].__class__(day(0), "night"),))
    with pytest.raises(ProblemError, match=r"rules\.fairness_late\.hard"):
        RuleSettings(fairness_late=RuleSetting(hard=True))
    with pytest.raises(ProblemError, match=r"shift_types\[x\].end"):
        ShiftType("x", "x", 600, 500)
    with pytest.raises(ProblemError, match="staff: duplicate id"):
        problem(1, people(1) + people(1))


def test_json_errors_name_the_field() -> None:
    data = problem_to_dict(problem(2, people(2)))
    data["staff"][1]["contrakt"] = {}
    with pytest.raises(ProblemError, match=r"staff\[1\]: unknown field\(s\) contrakt"):
        load_problem(json.dumps(data))
    data = problem_to_dict(problem(2, people(2)))
    data["horizon"]["timezone"] = "Mars/Olympus"
    with pytest.raises(ProblemError, match=r"horizon\.timezone"):
        load_problem(json.dumps(data))
    with pytest.raises(ProblemError, match="invalid JSON"):
        load_problem("{")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["shift_types"][0].update(late="false"),
            r"shift_types\[0\]\.late: expected true",
        ),
        (lambda d: d.update(staff=None), r"staff: expected a list"),
        (lambda d: d.update(staff=[]), r"staff: at least one person"),
        (
            lambda d: d["shift_demand"][0].update(team="Team Z"),
            r"shift_demand\[0\]\.team: unknown team 'Team Z'",
        ),
        (lambda d: d["shift_demand"][0].update(minimum=10**20), r"shift_demand\[0\]\.minimum"),
        (lambda d: d["shift_demand"][0].update(under_weight=10**18), r"shift_demand\[0\]: weights"),
        (
            lambda d: d.update(
                locks=[
                    {"staff": "a0", "date": "2026-12-01", "shift": "late"},
                    {"staff": "a0", "date": "2026-12-01", "shift": "early"},
                ]
            ),
            r"locks\[1\]: a0 on 2026-12-01 is already locked by locks\[0\]",
        ),
        (
            lambda d: d.update(calendar={"weekend_weekdays": [5, 7]}),
            r"calendar\.weekend_weekdays",
        ),
        (
            lambda d: d.update(
                requests=[{"staff": "a0", "date": "2026-12-01", "kind": "shift_on"}]
            ),
            r"requests\[0\]\.shift: required for shift_on",
        ),
    ],
)
def test_mistakes_in_a_problem_file_are_named_not_crashed_on(change: Any, message: str) -> None:
    data = problem_to_dict(problem(2, people(2), shift_demand=demand(2, "early", 1)))
    change(data)
    with pytest.raises(ProblemError, match=message):
        load_problem(json.dumps(data))


def test_round_trip_of_a_generated_department() -> None:
    p = generate_department(12, seed=2)
    again = load_problem(dump_problem(p))
    assert problem_to_dict(again) == problem_to_dict(p)


def test_csv_and_validation_of_manual_edits() -> None:
    p = problem(2, people(2), shift_demand=demand(2, "early", 1))
    sol = solve_checked(p)
    assert sol.assignment is not None
    text = assignment_to_csv(p, sol.assignment)
    assert text.splitlines()[0] == "staff_id,name,2026-12-01,2026-12-02"
    edited = {"a0": {"2026-12-01": "late", "2026-12-02": "early"}, "a1": {}}
    out = validate_assignment(p, edited)
    assert out["valid"] is False
    assert {v["rule"] for v in out["hard_violations"]} == {"demand_minimum", "min_rest"}


@pytest.mark.parametrize("name", ["sample-department.json", "department-50.json"])
def test_examples_load(name: str) -> None:
    p = load_problem((EXAMPLES / name).read_text(encoding="utf-8"))
    assert p.staff
    assert check(p, {}).hard_violations  # an empty roster breaks the demand minimum


def test_dst_shortens_rest() -> None:
    # Europe/Berlin leaves DST on 25 Oct 2026: the night of 24-25 Oct has 25 hours.
    late = ShiftType("late", "late", 13 * 60, 22 * 60)
    early = ShiftType("early", "early", 8 * 60, 16 * 60)
    base = problem(1, people(1), shifts=(early, late))
    from solver.problem import RosterProblem

    p = RosterProblem(
        start=date(2026, 10, 24),
        end=date(2026, 10, 25),
        timezone="Europe/Berlin",
        shift_types=base.shift_types,
        staff=base.staff,
        rules=RuleSettings(min_rest_minutes=10 * 60 + 30),
    )
    # 22:00 -> 08:00 is 10 h of wall clock but 11 h of real time across the change
    assert (1, 0) not in p.forbidden_pairs[0]
    p_summer = RosterProblem(
        start=date(2026, 10, 10),
        end=date(2026, 10, 11),
        timezone="Europe/Berlin",
        shift_types=base.shift_types,
        staff=base.staff,
        rules=RuleSettings(min_rest_minutes=10 * 60 + 30),
    )
    assert (1, 0) in p_summer.forbidden_pairs[0]
