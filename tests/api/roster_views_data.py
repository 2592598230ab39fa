"""A department roster of October 2026 stored directly in the database, for the view tests.

October 2026 has the National Day holidays (1-3, 5-7 October) and a make-up working Saturday
(10 October), so weekend and holiday counts are exercised. Three people over two teams work a
fixed three-day pattern (one early and one late every day); Li Wei is on annual leave on
10 October, which leaves that day's early shift below its minimum on purpose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.people.models import Employee
from scheduler.rosters.models import Roster, RosterCell, RosterVersion
from solver import check
from solver.io import problem_to_dict
from solver.problem import (
    Calendar,
    IntervalDemand,
    Leave,
    RosterProblem,
    RuleSettings,
    ShiftDemand,
    Staff,
)
from solver.testing import EARLY, LATE, OFF_RULES
from tests.api.conftest import World

MONTH = dt.date(2026, 10, 1)
DAYS = [MONTH + dt.timedelta(days=i) for i in range(31)]
LEAVE_DAY = dt.date(2026, 10, 10)
HOLIDAYS = {dt.date(2026, 10, d) for d in (1, 2, 3, 5, 6, 7)}
MAKEUP = {dt.date(2026, 10, 10)}
SNAPSHOT = {
    "early": {
        "name": "早班",
        "start_minute": 510,
        "end_minute": 1050,
        "late": False,
        "colour": "#9ecae1",
    },
    "late": {
        "name": "晚班",
        "start_minute": 900,
        "end_minute": 1440,
        "late": True,
        "colour": "#fdae6b",
    },
}
#: Person index -> shift by day index modulo 3.
PATTERNS: list[tuple[str | None, str | None, str | None]] = [
    ("early", "late", None),
    ("late", None, "early"),
    (None, "early", "late"),
]


def planned(person: int, day: dt.date) -> tuple[str | None, str | None]:
    """(shift, absence) of a person on a date in version 1."""
    if person == 0 and day == LEAVE_DAY:
        return None, "annual"
    return PATTERNS[person][(day.day - 1) % 3], None


@dataclass
class RosterData:
    """Ids of what was stored."""

    roster_id: int = 0
    people: list[Employee] = field(default_factory=list)
    changed_day: dt.date = dt.date(2026, 10, 20)


def make_problem(people: list[Employee]) -> RosterProblem:
    """The solver problem the version answers (its demand is what coverage compares with)."""
    teams = ["A", "A", "B"]
    return RosterProblem(
        start=DAYS[0],
        end=DAYS[-1],
        timezone="Asia/Shanghai",
        shift_types=(EARLY, LATE),
        staff=tuple(Staff(str(e.id), e.name, team=teams[i]) for i, e in enumerate(people)),
        shift_demand=tuple(
            ShiftDemand(d, sid, minimum, target)
            for d in DAYS
            for sid, minimum, target in (("early", 1, 2), ("late", 1, 1))
        ),
        interval_demand=tuple(IntervalDemand(d, 900, 1050, 2, 2) for d in DAYS),
        calendar=Calendar(
            holidays={d: "National Day" for d in HOLIDAYS}, makeup_workdays=frozenset(MAKEUP)
        ),
        leave=(Leave(str(people[0].id), LEAVE_DAY, LEAVE_DAY, "annual"),),
        rules=RuleSettings(**dict[str, Any](OFF_RULES)),
        name="CS October",
    )


async def store_roster(sm: async_sessionmaker[AsyncSession], world: World) -> RosterData:
    """Roster (department scope) with v1 published and v2 a draft changing one cell."""
    data = RosterData()
    async with sm() as s:
        chen = Employee(
            staff_no="CS003",
            name="陈静",
            department_id=world.cs_id,
            team_id=world.team_a,
            hire_date=dt.date(2024, 1, 1),
            flags=[],
        )
        s.add(chen)
        await s.flush()
        li = await s.get(Employee, world.employees["agent"].id)
        wang = await s.get(Employee, world.employees["agent2"].id)
        assert li is not None
        assert wang is not None
        people = [li, chen, wang]
        problem = make_problem(people)
        assignment = {str(e.id): {d: planned(i, d)[0] for d in DAYS} for i, e in enumerate(people)}
        report = check(problem, assignment)
        # The only hard breach is the early shift left short by the leave on 10 October.
        assert {(v.rule, v.date) for v in report.hard_violations} == {
            ("demand_minimum", LEAVE_DAY)
        }, report.hard_violations
        roster = Roster(
            department_id=world.cs_id,
            team_id=None,
            scope_key=f"department:{world.cs_id}",
            month=MONTH,
        )
        s.add(roster)
        await s.flush()
        v1 = RosterVersion(
            roster_id=roster.id,
            number=1,
            status="published",
            origin="solve",
            shift_snapshot=SNAPSHOT,
            problem=problem_to_dict(problem),
            objective=report.objective,
            breakdown=dict(report.breakdown),
            hard_violations=len(report.hard_violations),
            published_at=dt.datetime(2026, 9, 25, 8, 0, tzinfo=dt.UTC),
        )
        v2 = RosterVersion(
            roster_id=roster.id,
            number=2,
            status="draft",
            origin="edit",
            shift_snapshot=SNAPSHOT,
            problem=problem_to_dict(problem),
        )
        s.add_all([v1, v2])
        await s.flush()
        v2.based_on_id = v1.id
        for version in (v1, v2):
            for i, e in enumerate(people):
                for d in DAYS:
                    shift, absence = planned(i, d)
                    if version is v2 and i == 2 and d == data.changed_day:
                        shift = "early" if shift != "early" else None
                    s.add(
                        RosterCell(
                            version_id=version.id,
                            employee_id=e.id,
                            date=d,
                            shift_code=shift,
                            absence=absence,
                            locked=(i == 1 and d == MONTH),
                        )
                    )
        await s.commit()
        data.roster_id = roster.id
        data.people = people
    return data
