"""A team ready to roster: shift types, ten agents, small demand, short solves.

Team A of the test world gets nine more agents (ten with Li Wei, one of them a trainee), the
department the early (08:30-17:30) and late (15:00-24:00) shifts, and settings with a demand a
team of ten can meet with two rest days a week, and a solver time limit of a few seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.org.models import Department, Team
from scheduler.people.models import Employee
from scheduler.rosters.models import Roster
from scheduler.rosters.problem_builder import build_problem
from scheduler.rosters.store import Scope
from scheduler.shifts.models import ShiftType
from solver.problem import RosterProblem
from tests.api.conftest import World

MONTH = "2026-12"
NAMES = [
    "Chen Jing",
    "Yang Lei",
    "Zhao Qiang",
    "Huang Li",
    "Zhou Jie",
    "Wu Xia",
    "Xu Tao",
    "Sun Yan",
    "Ma Chao",
]

SETTINGS: dict[str, Any] = {
    "demand": {
        "weekday": {"early": {"minimum": 2, "target": 3}, "late": {"minimum": 2, "target": 2}},
        "weekend": {"early": {"minimum": 2, "target": 2}, "late": {"minimum": 2, "target": 2}},
        "holiday": {"early": {"minimum": 2, "target": 2}, "late": {"minimum": 2, "target": 2}},
    },
    "intervals": [
        {"name": "handover", "start": "15:00", "end": "17:30", "minimum": 4, "target": 4}
    ],
    "solver": {"time_limit_s": 2},
}


async def prepare_team(sm: async_sessionmaker[AsyncSession], world: World) -> list[int]:
    """Shift types and agents for team A; returns the team's employee ids."""
    async with sm() as s:
        s.add_all(
            [
                ShiftType(
                    department_id=world.cs_id,
                    code="early",
                    name="早班",
                    start_minute=510,
                    end_minute=1050,
                    colour="#8ecae6",
                ),
                ShiftType(
                    department_id=world.cs_id,
                    code="late",
                    name="晚班",
                    start_minute=900,
                    end_minute=1440,
                    late=True,
                    never_alone=True,
                    colour="#ffb703",
                ),
            ]
        )
        people = [
            Employee(
                staff_no=f"CSA{i:02d}",
                name=name,
                department_id=world.cs_id,
                team_id=world.team_a,
                hire_date=dt.date(2024, 1, 1),
                flags=["trainee"] if name == "Wu Xia" else [],
            )
            for i, name in enumerate(NAMES)
        ]
        s.add_all(people)
        await s.commit()
        return [world.employees["agent"].id, *[p.id for p in people]]


async def configure(client: AsyncTestClient[Litestar], world: World) -> None:
    """Store the small-team settings through the API."""
    r = await client.put(
        f"/departments/{world.cs_id}/roster-config",
        json={"settings": SETTINGS},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text


FINAL = {"succeeded", "infeasible", "failed", "cancelled"}


async def wait_for_job(
    client: AsyncTestClient[Litestar], world: World, job_id: int, *, within: float = 90.0
) -> dict[str, Any]:
    """Poll the job until it ends (bounded); the solve itself is bounded by its time limit."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        r = await client.get(f"/roster-jobs/{job_id}", headers=world.headers("manager"))
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] in FINAL:
            return body
        assert loop.time() < deadline, f"job {job_id} still {body['status']} after {within} s"
        await asyncio.sleep(0.2)


async def generate(client: AsyncTestClient[Litestar], world: World, **extra: Any) -> dict[str, Any]:
    """Ask for team A's December roster and wait for the job to end."""
    r = await client.post(
        "/roster-jobs",
        json={"team_id": world.team_a, "month": MONTH, **extra},
        headers=world.headers("manager"),
    )
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/roster-jobs/{r.json()['id']}"
    return await wait_for_job(client, world, r.json()["id"])


async def team_problem(
    sm: async_sessionmaker[AsyncSession], world: World, team_id: int, month: dt.date
) -> RosterProblem:
    """The problem a solve of a team's ``month`` would get (built, not solved)."""
    async with sm() as s:
        department = await s.get(Department, world.cs_id)
        team = await s.get(Team, team_id)
        assert department is not None
        assert team is not None
        scope = Scope(department=department, team=team)
        roster = Roster(
            department_id=department.id, team_id=team.id, scope_key=scope.key, month=month
        )
        return (await build_problem(s, roster, scope)).problem
