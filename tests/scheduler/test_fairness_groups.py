"""Whose late, weekend and holiday shares a person's are balanced against."""

from __future__ import annotations

from scheduler.people.models import Employee
from scheduler.rosters.problem_builder import fairness_group


def _agent(flags: list[str], low: int = 18, high: int = 23) -> Employee:
    return Employee(contract_kind="days", contract_min=low, contract_max=high, flags=flags)


def test_trainees_and_people_with_some_leave_share_their_contract_s_group() -> None:
    full = fairness_group(_agent([]), 31, 31)
    assert fairness_group(_agent(["trainee"]), 31, 31) == full
    assert fairness_group(_agent([]), 27, 31) == full  # four days of leave
    assert fairness_group(_agent([]), 16, 31) == full


def test_other_contracts_skills_and_part_months_are_apart() -> None:
    full = fairness_group(_agent([]), 31, 31)
    assert fairness_group(_agent([], 10, 12), 31, 31) != full
    assert fairness_group(_agent(["chat"]), 31, 31) != full
    assert fairness_group(_agent([]), 15, 31) != full  # hired on the 17th: half a month
