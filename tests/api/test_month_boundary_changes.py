"""Changes at a month's end are checked against the next month, and a swap lists only what it breaks.

January's roster was solved with December's last days as history. A December edit or swap that
puts someone on the late shift (15:00-24:00) on 31 Dec when January has them on the early shift
(08:30) on 1 Jan leaves 8.5 h of rest; a seventh day in a row may likewise start in December.
Those are reported like December's own violations: the edit is refused without an override, the
swap lists them and needs the approver's reason. A swap lists only the hard violations it causes:
a cover that brings someone closer to their contract minimum asks nobody to override anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.people.models import Employee
from scheduler.rosters.store import published_version
from scheduler.rosters.versions import check_version
from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot
from tests.api.requests_setup import (
    SM,
    Client,
    add_member_logins,
    decide,
    grid,
    publish_team_roster,
)
from tests.api.roster_setup import configure, generate, prepare_team, wait_for_job

DEC_30, DEC_31, JAN_1 = dt.date(2026, 12, 30), dt.date(2026, 12, 31), dt.date(2027, 1, 1)
OVERRIDE = "set up by the test"


async def _employee_id(sm: SM, name: str) -> int:
    async with sm() as s:
        found = await s.scalar(select(Employee.id).where(Employee.name == name))
        assert found is not None
        return int(found)


async def _edit(
    client: Client,
    world: World,
    roster_id: int,
    number: int,
    edits: list[dict[str, Any]],
    **body: Any,
) -> Any:
    for e in edits:
        e["date"] = e["date"].isoformat()
    return await client.patch(
        f"/rosters/{roster_id}/versions/{number}/cells",
        json={"edits": edits, **body},
        headers=world.headers("manager"),
    )


async def _new_draft(client: Client, world: World, roster_id: int) -> int:
    r = await client.post(f"/rosters/{roster_id}/drafts", json={}, headers=world.headers("manager"))
    assert r.status_code == 201, r.text
    return int(r.json()["number"])


async def _publish(client: Client, world: World, roster_id: int, number: int) -> None:
    r = await client.post(
        f"/rosters/{roster_id}/versions/{number}/publish", json={}, headers=world.headers("manager")
    )
    assert r.status_code == 200, r.text


def _assign(who: int, day: dt.date, shift: str) -> dict[str, Any]:
    return {"employee_id": who, "date": day, "action": "assign", "shift_code": shift}


@dataclass(frozen=True)
class Boundary:
    """December and January of team A, both published; Li Wei early on 31 Dec and 1 Jan."""

    december: int
    january: int
    li: int
    chen: int


@pytest.fixture
async def boundary(client: Client, world: World, sessionmaker: SM) -> Boundary:
    december = await publish_team_roster(client, world, sessionmaker)
    li, chen = world.employees["agent"].id, await _employee_id(sessionmaker, "Chen Jing")
    # December: both rest on the 30th; on the 31st Li works early and Chen late.
    draft = await _new_draft(client, world, december)
    r = await _edit(
        client,
        world,
        december,
        draft,
        [
            {"employee_id": li, "date": DEC_30, "action": "clear"},
            {"employee_id": chen, "date": DEC_30, "action": "clear"},
            _assign(li, DEC_31, "early"),
            _assign(chen, DEC_31, "late"),
        ],
        override_reason=OVERRIDE,
    )
    assert r.status_code == 200, r.text
    await _publish(client, world, december, draft)
    # January, solved with December's tail as history; Li early on New Year's Day.
    r = await client.post(
        "/roster-jobs",
        json={"team_id": world.team_a, "month": "2027-01"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 202, r.text
    job = await wait_for_job(client, world, r.json()["id"])
    assert job["status"] == "succeeded", job
    january = int(job["roster_id"])
    r = await _edit(
        client,
        world,
        january,
        job["result_version"],
        [_assign(li, JAN_1, "early")],
        override_reason=OVERRIDE,
    )
    assert r.status_code == 200, r.text
    await _publish(client, world, january, job["result_version"])
    return Boundary(december, january, li, chen)


def _in_january(violations: list[dict[str, Any]], rule: str, who: int) -> list[dict[str, Any]]:
    return [
        v
        for v in violations
        if v["rule"] == rule and v["employee_id"] == who and v["date"] >= JAN_1.isoformat()
    ]


async def test_a_late_shift_on_the_31st_is_checked_against_january(
    client: Client, world: World, sessionmaker: SM, boundary: Boundary
) -> None:
    b = boundary
    draft = await _new_draft(client, world, b.december)
    before = await snapshot(sessionmaker)
    r = await _edit(client, world, b.december, draft, [_assign(b.li, DEC_31, "late")])
    body = assert_problem(r, 422)
    rest = _in_january(body["violations"], "min_rest", b.li)
    assert [v["date"] for v in rest] == [JAN_1.isoformat()], body
    assert "2027-01 roster of record" in rest[0]["message"]
    assert await snapshot(sessionmaker) == before

    r = await _edit(
        client,
        world,
        b.december,
        draft,
        [_assign(b.li, DEC_31, "late")],
        override_reason="Li asked for it; he will swap New Year's Day",
    )
    assert r.status_code == 200, r.text
    assert _in_january(r.json()["caused"], "min_rest", b.li), r.json()


async def test_a_seventh_day_in_a_row_into_january_is_caught(
    client: Client, world: World, sessionmaker: SM, boundary: Boundary
) -> None:
    b = boundary
    draft = await _new_draft(client, world, b.december)
    # 26-31 Dec plus 1 Jan: seven working days in a row, six of them in December.
    days = [dt.date(2026, 12, d) for d in range(26, 31)]
    r = await _edit(client, world, b.december, draft, [_assign(b.li, d, "early") for d in days])
    body = assert_problem(r, 422)
    assert _in_january(body["violations"], "max_consecutive_days", b.li), body


async def test_a_swap_on_the_31st_is_checked_against_january(
    client: Client, world: World, sessionmaker: SM, boundary: Boundary
) -> None:
    b = boundary
    r = await client.post(
        "/swaps",
        json={
            "date": DEC_31.isoformat(),
            "colleague_id": b.chen,
            "colleague_date": DEC_31.isoformat(),
        },
        headers=world.headers(f"u{b.li}"),
    )
    assert r.status_code == 201, r.text
    swap = r.json()
    # December alone is fine (both rested on the 30th); January is not.
    assert [(v["rule"], v["employee_id"], v["date"]) for v in swap["violations"]] == [
        ("min_rest", b.li, JAN_1.isoformat())
    ], swap
    acc = await client.post(
        f"/swaps/{swap['id']}/accept", json={}, headers=world.headers(f"u{b.chen}")
    )
    assert acc.status_code == 200, acc.text
    aid = acc.json()["approval_id"]
    before = await snapshot(sessionmaker)
    refused = assert_problem(await decide(client, world, "manager", aid), 422, field="comment")
    assert "1 hard rule" in refused["detail"]
    assert await snapshot(sessionmaker) == before
    ok = await decide(client, world, "manager", aid, comment="Li rests on New Year's Day instead")
    assert ok.status_code == 200, ok.text
    _, cells = await grid(sessionmaker, b.december)
    assert (cells[(b.li, DEC_31)], cells[(b.chen, DEC_31)]) == ("late", "early")


async def test_a_cover_that_improves_a_contract_shortfall_lists_no_violation(
    client: Client, world: World, sessionmaker: SM
) -> None:
    ids = await prepare_team(sessionmaker, world)
    chen = await _employee_id(sessionmaker, "Chen Jing")
    async with sessionmaker() as s:
        employee = await s.get(Employee, chen)
        assert employee is not None
        employee.contract_min = 18
        await s.commit()
    await configure(client, world)
    job = await generate(client, world)
    assert job["status"] == "succeeded", job
    roster_id = int(job["roster_id"])
    await _publish(client, world, roster_id, job["result_version"])
    await add_member_logins(sessionmaker, world, ids[1:])

    # Chen works two days fewer than the contract's 18 in the roster of record.
    _, cells = await grid(sessionmaker, roster_id)
    worked = sorted(d for (e, d), code in cells.items() if e == chen and code)
    taken = worked[-(len(worked) - 16) :]
    draft = await _new_draft(client, world, roster_id)
    r = await _edit(
        client,
        world,
        roster_id,
        draft,
        [{"employee_id": chen, "date": d, "action": "clear"} for d in taken],
        override_reason="Chen is away on a course",
    )
    assert r.status_code == 200, r.text
    await _publish(client, world, roster_id, draft)
    async with sessionmaker() as s:
        record = await published_version(s, roster_id)
        assert record is not None
        report = await check_version(s, record)
    assert any(v.rule == "contract" and v.staff_id == str(chen) for v in report.hard_violations)

    # A colleague gives Chen back one of those shifts: 17 days, still short but better.
    day = taken[0]
    giver = next(
        e for (e, d), code in cells.items() if d == day and e != chen and code == cells[(chen, day)]
    )
    r = await client.post(
        "/swaps",
        json={"date": day.isoformat(), "colleague_id": chen},
        headers=world.headers(f"u{giver}" if giver != world.employees["agent"].id else "agent"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["violations"] == [], r.json()
    acc = await client.post(
        f"/swaps/{r.json()['id']}/accept", json={}, headers=world.headers(f"u{chen}")
    )
    assert acc.status_code == 200, acc.text
    aid = acc.json()["approval_id"]
    approval = (await client.get(f"/approvals/{aid}", headers=world.headers("manager"))).json()
    assert approval["details"]["violations"] == []
    ok = await decide(client, world, "manager", aid)
    assert ok.status_code == 200, ok.text
