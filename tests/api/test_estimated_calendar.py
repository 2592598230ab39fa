"""A month whose national calendar is still an estimate says so where the manager looks.

China announces each year's holidays and make-up working days (调休) in the November before;
until the ``holidays`` data has the notice, a roster of that year rests people on estimated
holidays and never on a make-up Saturday. The roster view, the printable page and the
command line say so, and stop saying it once the company has entered the year's make-up days.
"""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.rosters.calendar import provisional_years
from tests.api.conftest import World
from tests.api.roster_setup import configure, generate, prepare_team

pytestmark = pytest.mark.db
Client = AsyncTestClient[Litestar]


def _first_estimated_year() -> int:
    """The first year the installed data has no official Chinese schedule for."""
    return next(y for y in range(2026, 2060) if provisional_years("CN", [y]))


def test_only_countries_that_move_working_days_have_estimated_years() -> None:
    year = _first_estimated_year()
    assert provisional_years("CN", [year - 1, year]) == [year]
    assert provisional_years("US", [year]) == []
    assert provisional_years("DE", [year]) == []


async def test_the_roster_of_an_estimated_year_says_so_until_the_company_enters_its_days(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    year = _first_estimated_year()
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    job = await generate(client, world, month=f"{year}-03", time_limit_s=5)
    assert job["status"] == "succeeded", job
    url = f"/rosters/{job['roster_id']}/versions/{job['result_version']}"
    manager = world.headers("manager")

    notices = (await client.get(url, headers=manager)).json()["notices"]
    assert len(notices) == 1
    assert str(year) in notices[0]
    assert "calendar-days" in notices[0]
    page = await client.get(f"/rosters/{job['roster_id']}/page", headers=manager)
    assert "national calendar" in page.text
    assert "calendar-days" in page.text

    r = await client.post(
        f"/departments/{world.cs_id}/calendar-days",
        json={"date": f"{year}-02-20", "kind": "workday", "name": "调休"},
        headers=manager,
    )
    assert r.status_code == 201, r.text
    assert (await client.get(url, headers=manager)).json()["notices"] == []


async def test_a_month_of_an_announced_year_has_no_notice(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    job = await generate(client, world, month="2026-10", time_limit_s=5)
    assert job["status"] == "succeeded", job
    view = await client.get(
        f"/rosters/{job['roster_id']}/versions/{job['result_version']}",
        headers=world.headers("manager"),
    )
    assert view.json()["notices"] == []
