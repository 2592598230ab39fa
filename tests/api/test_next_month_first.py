"""A month solved after the next one was published fits the roster people already have."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.rosters.models import RosterVersion
from scheduler.rosters.store import cells_of
from scheduler.rosters.versions import check_version
from tests.api.conftest import World
from tests.api.roster_setup import configure, generate, prepare_team, wait_for_job

Client = AsyncTestClient[Litestar]
SM = async_sessionmaker[AsyncSession]


@pytest.fixture
async def team(client: Client, world: World, sessionmaker: SM) -> list[int]:
    ids = await prepare_team(sessionmaker, world)
    await configure(client, world)
    return ids


async def _cells(sm: SM, roster_id: int, number: int) -> dict[tuple[int, dt.date], str | None]:
    async with sm() as s:
        version = await s.scalar(
            select(RosterVersion).where(
                RosterVersion.roster_id == roster_id, RosterVersion.number == number
            )
        )
        assert version is not None
        report = await check_version(s, version)
        assert report.hard_violations == (), [v.message for v in report.hard_violations]
        assert version.problem.get("following"), "the next month's first days were not given"
        return {(c.employee_id, c.date): c.shift_code for c in await cells_of(s, version.id)}


async def test_november_solved_after_december_holds_the_rules_into_december(
    client: Client, world: World, sessionmaker: SM, team: list[int]
) -> None:
    december = await generate(client, world)
    assert december["status"] == "succeeded", december
    r = await client.post(
        f"/rosters/{december['roster_id']}/versions/{december['result_version']}/publish",
        json={},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    r = await client.post(
        "/roster-jobs",
        json={"team_id": world.team_a, "month": "2026-11"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 202, r.text
    november = await wait_for_job(client, world, r.json()["id"])
    assert november["status"] == "succeeded", november
    nov = await _cells(sessionmaker, november["roster_id"], november["result_version"])
    async with sessionmaker() as s:
        version = await s.scalar(
            select(RosterVersion).where(
                RosterVersion.roster_id == december["roster_id"],
                RosterVersion.number == december["result_version"],
            )
        )
        assert version is not None
        dec = {(c.employee_id, c.date): c.shift_code for c in await cells_of(s, version.id)}
    days = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(37)]  # to 7 Dec
    for person in team:
        row = [nov.get((person, d)) if d.month == 11 else dec.get((person, d)) for d in days]
        run = longest = 0
        for shift in row:
            run = run + 1 if shift is not None else 0
            longest = max(longest, run)
        assert longest <= 6, (person, row)
        assert not (row[29] == "late" and row[30] == "early"), person  # 30 Nov, then 1 Dec
