"""Which hard breaches a manual change is answerable for: new ones, and old ones made worse."""

from __future__ import annotations

from datetime import date

from scheduler.rosters.versions import new_hard_violations
from solver.problem import Contract
from solver.testing import day, demand, people, problem


def _grid(
    working: set[tuple[str, int]], staff: int, days: int
) -> dict[str, dict[date, str | None]]:
    return {
        f"a{e}": {day(d): ("early" if (f"a{e}", d) in working else None) for d in range(days)}
        for e in range(staff)
    }


def test_a_shift_left_shorter_than_it_was_is_the_change_s_doing() -> None:
    p = problem(1, people(3), shift_demand=demand(1, "early", 2))
    one = _grid({("a0", 0)}, 3, 1)  # one agent short already
    none = _grid(set(), 3, 1)  # two short
    two = _grid({("a0", 0), ("a1", 0)}, 3, 1)
    worse = new_hard_violations(p, one, none)
    assert [v.rule for v in worse] == ["demand_minimum"], worse
    assert worse[0].amount == 2
    assert new_hard_violations(p, one, two) == []
    assert new_hard_violations(p, none, one) == []  # eased: still short, not made worse


def test_a_contract_shortfall_eased_is_not_the_change_s_doing() -> None:
    p = problem(4, people(2, contract=Contract(min_days=3)))
    before = _grid({("a0", 0)}, 2, 4)
    after = _grid({("a0", 0), ("a0", 1)}, 2, 4)
    assert new_hard_violations(p, before, after) == []
    assert [v.staff_id for v in new_hard_violations(p, after, before)] == ["a0"]
