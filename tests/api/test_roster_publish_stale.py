"""Publishing a draft never undoes what the roster of record gained since: leave, swaps, edits.

A draft is a copy of the roster of record when it was made. If leave is approved (or a swap, or
another draft published) after that, publishing the draft would put the person back on shift on
their leave day and attendance would count them absent: the publish is refused with a 409 that
says what to do, and nothing changes. A draft made from the newest version publishes as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.rosters.models import RosterVersion
from scheduler.rosters.store import cells_of
from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot
from tests.api.requests_setup import SM, Client, grid, publish_team_roster
from tests.api.roster_setup import configure, generate, prepare_team, wait_for_job


@pytest.fixture
async def roster_id(client: Client, world: World, sessionmaker: SM) -> int:
    return await publish_team_roster(client, world, sessionmaker)


async def _worked_day(sm: SM, roster_id: int, employee_id: int) -> dt.date:
    """A day of the roster of record the person works, clear of the month's first days."""
    _, cells = await grid(sm, roster_id)
    return sorted(d for (e, d), code in cells.items() if e == employee_id and code)[3]


async def _sick_leave(client: Client, world: World, employee_id: int, day: dt.date) -> None:
    """Sick leave recorded by the manager: approved at once, published as a new version."""
    r = await client.post(
        "/leave-requests",
        json={
            "employee_id": employee_id,
            "type": "sick",
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
        },
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "approved"


async def _new_draft(client: Client, world: World, roster_id: int) -> int:
    r = await client.post(f"/rosters/{roster_id}/drafts", json={}, headers=world.headers("manager"))
    assert r.status_code == 201, r.text
    return int(r.json()["number"])


async def _publish(client: Client, world: World, roster_id: int, number: int) -> Any:
    return await client.post(
        f"/rosters/{roster_id}/versions/{number}/publish", json={}, headers=world.headers("manager")
    )


async def test_a_draft_older_than_approved_leave_is_not_published(
    client: Client, world: World, sessionmaker: SM, roster_id: int
) -> None:
    li = world.employees["agent"].id
    day = await _worked_day(sessionmaker, roster_id, li)
    stale = await _new_draft(client, world, roster_id)  # v2, a copy of v1
    await _sick_leave(client, world, li, day)  # publishes v3
    record, cells = await grid(sessionmaker, roster_id)
    assert (record.number, cells[(li, day)]) == (3, None)

    before = await snapshot(sessionmaker)
    body = assert_problem(await _publish(client, world, roster_id, stale), 409)
    assert "version 3" in body["detail"], body
    assert f"POST /rosters/{roster_id}/drafts" in body["detail"], body
    assert body["published_since"] == [3]
    assert body["current_version"] == 3
    # The draft still has Li Wei on shift on his sick day: named too.
    clash = [e for e in body["errors"] if e.get("employee_id") == li]
    assert [(e["date"], e["absence"]) for e in clash] == [(day.isoformat(), "sick")], body
    assert "Li Wei" in clash[0]["message"]
    assert await snapshot(sessionmaker) == before

    # A draft made from the roster of record now publishes, and the leave stays.
    fresh = await _new_draft(client, world, roster_id)
    r = await _publish(client, world, roster_id, fresh)
    assert r.status_code == 200, r.text
    record, cells = await grid(sessionmaker, roster_id)
    assert record.number == fresh
    assert cells[(li, day)] is None


async def test_a_draft_with_a_shift_on_a_leave_day_is_not_published(
    client: Client, world: World, sessionmaker: SM, roster_id: int
) -> None:
    li = world.employees["agent"].id
    day = await _worked_day(sessionmaker, roster_id, li)
    await _sick_leave(client, world, li, day)
    draft = await _new_draft(client, world, roster_id)  # made after the leave: not stale
    edit = {"employee_id": li, "date": day.isoformat(), "action": "assign", "shift_code": "early"}
    r = await client.patch(
        f"/rosters/{roster_id}/versions/{draft}/cells",
        json={"edits": [edit], "override_reason": "short of people that day"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text

    before = await snapshot(sessionmaker)
    body = assert_problem(await _publish(client, world, roster_id, draft), 409)
    assert f"Li Wei on {day.isoformat()}" in body["detail"], body
    assert body["published_since"] == []
    assert await snapshot(sessionmaker) == before

    # Honouring the leave again (the day is short-handed again, as the leave left it), the
    # same draft publishes.
    clear = {"employee_id": li, "date": day.isoformat(), "action": "clear"}
    r = await client.patch(
        f"/rosters/{roster_id}/versions/{draft}/cells",
        json={"edits": [clear], "override_reason": "he is ill; cover found by phone"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    r = await _publish(client, world, roster_id, draft)
    assert r.status_code == 200, r.text
    _, cells = await grid(sessionmaker, roster_id)
    assert cells[(li, day)] is None


async def test_publishing_a_draft_that_breaks_a_hard_rule_lists_what_it_breaks(
    client: Client, world: World, sessionmaker: SM, roster_id: int
) -> None:
    _, cells = await grid(sessionmaker, roster_id)
    e, late = min(
        ((e, d) for (e, d), code in cells.items() if code == "late"),
        key=lambda k: (k[1], k[0]),
    )
    after = late + dt.timedelta(days=1)
    draft = await _new_draft(client, world, roster_id)
    edit = {"employee_id": e, "date": after.isoformat(), "action": "assign", "shift_code": "early"}
    r = await client.patch(
        f"/rosters/{roster_id}/versions/{draft}/cells",
        json={"edits": [edit], "override_reason": "nobody else speaks Cantonese"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    r = await _publish(client, world, roster_id, draft)
    assert r.status_code == 200, r.text
    published = r.json()
    assert published["hard_violations"] == len(published["violations"]) > 0
    assert ("min_rest", e, after.isoformat()) in {
        (v["rule"], v["employee_id"], v["date"]) for v in published["violations"]
    }


async def test_a_repair_asked_for_before_leave_is_not_published(
    client: Client, world: World, sessionmaker: SM, roster_id: int
) -> None:
    li = world.employees["agent"].id
    day = await _worked_day(sessionmaker, roster_id, li)
    r = await client.post(
        f"/rosters/{roster_id}/repair", json={"time_limit_s": 2}, headers=world.headers("manager")
    )
    assert r.status_code == 202, r.text
    job = await wait_for_job(client, world, r.json()["id"])
    assert job["status"] == "succeeded", job
    await _sick_leave(client, world, li, day)  # its problem was built without this leave

    before = await snapshot(sessionmaker)
    body = assert_problem(await _publish(client, world, roster_id, job["result_version"]), 409)
    assert "repair job" in body["detail"], body
    assert body["published_since"] == [body["current_version"]]
    assert await snapshot(sessionmaker) == before


async def test_a_first_draft_older_than_approved_leave_is_not_published(
    client: Client, world: World, sessionmaker: SM
) -> None:
    """No roster of record yet to show the leave: the leave itself is what the draft breaks."""
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    job = await generate(client, world)
    assert job["status"] == "succeeded", job
    roster_id, number = job["roster_id"], job["result_version"]
    li = world.employees["agent"].id
    async with sessionmaker() as s:
        version = await s.scalar(
            select(RosterVersion).where(
                RosterVersion.roster_id == roster_id, RosterVersion.number == number
            )
        )
        assert version is not None
        days = sorted(
            c.date
            for c in await cells_of(s, version.id)
            if c.employee_id == li and c.shift_code and c.date.weekday() < 5
        )
    await _sick_leave(client, world, li, days[3])  # approved; no published version to mark

    before = await snapshot(sessionmaker)
    body = assert_problem(await _publish(client, world, roster_id, number), 409)
    assert f"Li Wei on {days[3].isoformat()}" in body["detail"], body
    clash = [e for e in body["errors"] if e.get("employee_id") == li]
    assert [(e["date"], e["absence"]) for e in clash] == [(days[3].isoformat(), "sick")], body
    assert await snapshot(sessionmaker) == before
