"""Leave counts working days, and the roster solved after it agrees.

Sick leave from Friday to Monday filed before the month's roster exists counts two working days
(the calendar's weekend is rest). The roster solved later used to mark all four days as leave,
so attendance and the payroll export counted four days of leave against a request of two. The
weekend inside the range stays a rest day: the person is away, but not on leave then.
"""

from __future__ import annotations

import datetime as dt

from scheduler.rosters.store import cells_of
from tests.api.conftest import World
from tests.api.requests_setup import SM, Client, decide, file_leave, grid
from tests.api.roster_setup import MONTH, configure, generate, prepare_team

FRIDAY = dt.date.fromisoformat(f"{MONTH}-11")


async def test_rest_days_inside_leave_stay_rest_days_on_the_roster_solved_after_it(
    client: Client, world: World, sessionmaker: SM
) -> None:
    assert FRIDAY.weekday() == 4
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    agent = world.employees["agent"].id
    r = await file_leave(
        client,
        world,
        "supervisor",
        type="sick",
        employee_id=agent,
        start_date=FRIDAY,
        end_date=FRIDAY + dt.timedelta(days=3),
        certificate_ref="clinic-2291",
    )
    assert r.status_code == 201, r.text
    leave = r.json()
    assert leave["days"] == 2
    assert (await decide(client, world, "manager", leave["approval_id"])).status_code == 200

    job = await generate(client, world)
    assert job["status"] == "succeeded", job
    r = await client.post(
        f"/rosters/{job['roster_id']}/versions/{job['result_version']}/publish",
        json={},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    version, _ = await grid(sessionmaker, job["roster_id"])
    async with sessionmaker() as s:
        cells = {c.date: c for c in await cells_of(s, version.id) if c.employee_id == agent}
    days = [FRIDAY + dt.timedelta(days=i) for i in range(4)]
    assert [(cells[d].shift_code, cells[d].absence) for d in days] == [
        (None, "sick"),
        (None, None),
        (None, None),
        (None, "sick"),
    ]
    summary = await client.get(
        f"/attendance/employees/{agent}", params={"month": MONTH}, headers=world.headers("hr")
    )
    assert summary.status_code == 200, summary.text
    assert summary.json()["summary"]["leave_days"] == {"sick": 2}
