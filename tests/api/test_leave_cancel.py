"""Calling off approved leave: who may, until when, and the shifts coming back on the roster."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.auth.service import principal_of
from scheduler.errors import ConflictError
from scheduler.leave import service
from scheduler.rosters.store import cells_of
from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.api.requests_setup import (
    SM,
    Client,
    decide,
    event_count,
    file_leave,
    grid,
    monday,
    publish_team_roster,
)


async def _approved_leave_on_worked_days(
    client: Client, world: World, sessionmaker: SM
) -> tuple[int, dict[str, object], list[dt.date], dict[tuple[int, dt.date], str | None]]:
    roster_id = await publish_team_roster(client, world, sessionmaker)
    _, cells = await grid(sessionmaker, roster_id)
    agent = world.employees["agent"].id
    worked = sorted(d for (e, d), code in cells.items() if e == agent and code is not None)
    start, end = worked[3], worked[4]
    r = await file_leave(client, world, "agent", type="annual", start_date=start, end_date=end)
    assert r.status_code == 201, r.text
    leave = r.json()
    days = [d for d in worked if start <= d <= end]
    for who in ["manager", "hr", "gm"] if len(days) >= 3 else ["manager"]:
        assert (await decide(client, world, who, leave["approval_id"])).status_code == 200
    return roster_id, leave, days, cells


async def test_called_off_leave_gives_the_shifts_back(
    client: Client, world: World, sessionmaker: SM
) -> None:
    roster_id, leave, days, original = await _approved_leave_on_worked_days(
        client, world, sessionmaker
    )
    agent = world.employees["agent"].id
    marked, cells = await grid(sessionmaker, roster_id)
    assert all(cells[(agent, d)] is None for d in days)

    r = await client.post(
        f"/leave-requests/{leave['id']}/cancel",
        json={"reason": "trip called off"},
        headers=world.headers("agent"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "cancelled"
    after, restored = await grid(sessionmaker, roster_id)
    assert (after.number, after.origin) == (marked.number + 1, "leave")
    for d in days:
        assert restored[(agent, d)] == original[(agent, d)] is not None
    # Nothing else on the roster moved.
    assert {k: v for k, v in restored.items() if k[0] != agent or k[1] not in days} == {
        k: v for k, v in cells.items() if k[0] != agent or k[1] not in days
    }
    async with sessionmaker() as s:
        absences = {
            c.date for c in await cells_of(s, after.id) if c.employee_id == agent and c.absence
        }
    assert not absences & set(days)
    assert {"roster_id": roster_id, "number": after.number, "cancelled": True} in body[
        "roster_versions"
    ]
    approval = await client.get(
        f"/approvals/{leave['approval_id']}", headers=world.headers("manager")
    )
    assert approval.json()["status"] == "cancelled"
    assert await event_count(sessionmaker, int(str(leave["approval_id"])), "cancel") == 1
    # Called off once: a second call is a conflict and changes nothing.
    again = await client.post(
        f"/leave-requests/{leave['id']}/cancel", json={}, headers=world.headers("agent")
    )
    assert_problem(again, 409)
    assert (await grid(sessionmaker, roster_id))[0].number == after.number


async def test_who_may_call_off_leave(client: Client, world: World, sessionmaker: SM) -> None:
    mon = monday()
    r = await file_leave(client, world, "agent", type="personal", start_date=mon, end_date=mon)
    leave_id, aid = r.json()["id"], r.json()["approval_id"]
    pending = await client.post(
        f"/leave-requests/{leave_id}/cancel", json={}, headers=world.headers("agent")
    )
    assert "withdraw" in assert_problem(pending, 409)["detail"]
    assert (await decide(client, world, "manager", aid)).status_code == 200
    # A colleague cannot see it; the manager must say why.
    other = await client.post(
        f"/leave-requests/{leave_id}/cancel", json={}, headers=world.headers("agent2")
    )
    assert_problem(other, 404)
    no_reason = await client.post(
        f"/leave-requests/{leave_id}/cancel", json={}, headers=world.headers("manager")
    )
    assert_problem(no_reason, 422)
    got = await client.get(f"/leave-requests/{leave_id}", headers=world.headers("agent"))
    assert got.json()["status"] == "approved"
    # Once the leave has begun, only the manager may call it off.
    async with sessionmaker() as s:
        agent = principal_of(world.users["agent"])
        with pytest.raises(ConflictError, match="began"):
            await service.cancel_leave(s, agent, leave_id, None, today=mon)
    done = await client.post(
        f"/leave-requests/{leave_id}/cancel",
        json={"reason": "needed on the phones"},
        headers=world.headers("manager"),
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "cancelled"
