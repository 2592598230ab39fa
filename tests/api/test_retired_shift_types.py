"""A shift type switched off still counts as work in the month before.

A department stopped its mid shift from April; the April solve read March's mid shifts as rest
days, so people worked eight and nine days in a row with no hard violation reported. The
problem built for the next month carries such types as retired: the days count, and nobody is
given the type again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from scheduler.rosters.models import RosterCell
from scheduler.rosters.store import published_version
from scheduler.shifts.models import ShiftType
from tests.api.conftest import World
from tests.api.requests_setup import SM, Client, publish_team_roster
from tests.api.roster_setup import team_problem

DECEMBER_END = dt.date(2026, 12, 31)


async def test_last_months_shifts_of_a_type_since_switched_off_count_as_worked_days(
    client: Client, world: World, sessionmaker: SM
) -> None:
    roster_id = await publish_team_roster(client, world, sessionmaker)
    agent = world.employees["agent"].id
    last_week = [DECEMBER_END - dt.timedelta(days=i) for i in range(6)]
    async with sessionmaker() as s:
        s.add(
            ShiftType(
                department_id=world.cs_id,
                code="mid",
                name="中班",
                start_minute=660,
                end_minute=1200,
                colour="#cccccc",
                active=False,
            )
        )
        record = await published_version(s, roster_id)
        assert record is not None
        version_id = record.id
        # The agent's last six days of December were mid shifts (worked while it was in use).
        await s.execute(
            update(RosterCell)
            .where(
                RosterCell.version_id == version_id,
                RosterCell.employee_id == agent,
                RosterCell.date.in_(last_week),
            )
            .values(shift_code="mid", absence=None)
        )
        await s.commit()
    problem = await team_problem(sessionmaker, world, world.team_a, dt.date(2027, 1, 1))

    assert {
        h.date for h in problem.history if h.staff_id == str(agent) and h.shift_id == "mid"
    } == (set(last_week))
    [mid] = [t for t in problem.shift_types if t.id == "mid"]
    assert mid.retired
    e = problem.staff_index[str(agent)]
    assert problem.shift_index["mid"] not in problem.allowed_shifts(e)
