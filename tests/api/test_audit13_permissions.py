"""Audit 13 (permissions): what agents see of rosters, and who may retry a roster job.

README "Roles": an agent (and a QA inspector, with an agent's rights) sees "their department's
published rosters". ``GET /rosters`` listed every roster of the department to them with every
version, drafts included (their cost and violations), while ``GET /rosters/{id}`` answered 404
and a draft version 403. And ``POST /roster-jobs/{id}/retry`` asked about the job's state before
the caller's rights, so a team lead or the GM got 409 ("only failed ... jobs are retried")
instead of 403 for a job they may read but never run.
"""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.api.roster_setup import configure, generate, prepare_team

pytestmark = pytest.mark.db
Client = AsyncTestClient[Litestar]
SM = async_sessionmaker[AsyncSession]


@pytest.fixture
async def team(client: Client, world: World, sessionmaker: SM) -> list[int]:
    ids = await prepare_team(sessionmaker, world)
    await configure(client, world)
    return ids


async def test_agents_see_only_rosters_and_versions_staff_were_told(
    client: Client, world: World, team: list[int]
) -> None:
    job = await generate(client, world)
    assert job["status"] == "succeeded", job
    roster_id = job["roster_id"]
    agent = world.headers("agent")

    # A roster that is only a draft: not listed for the agent, and not there when asked for.
    r = await client.get("/rosters", headers=agent)
    assert r.status_code == 200, r.text
    assert roster_id not in [item["id"] for item in r.json()["items"]]
    assert_problem(await client.get(f"/rosters/{roster_id}", headers=agent), 404)

    manager = world.headers("manager")
    r = await client.post(f"/rosters/{roster_id}/versions/1/publish", json={}, headers=manager)
    assert r.status_code == 200, r.text
    r = await client.post(f"/rosters/{roster_id}/drafts", json={}, headers=manager)
    assert r.status_code == 201, r.text
    draft = r.json()["number"]

    # Published: listed and readable, with the published version only, never the new draft.
    r = await client.get("/rosters", headers=agent)
    listed = {item["id"]: item for item in r.json()["items"]}
    assert [v["number"] for v in listed[roster_id]["versions"]] == [1]
    r = await client.get(f"/rosters/{roster_id}", headers=agent)
    assert r.status_code == 200, r.text
    assert [v["status"] for v in r.json()["versions"]] == ["published"]

    # The manager still sees the draft; another department's agent sees nothing.
    r = await client.get(f"/rosters/{roster_id}", headers=manager)
    assert [v["number"] for v in r.json()["versions"]] == [1, draft]
    assert_problem(
        await client.get(f"/rosters/{roster_id}", headers=world.headers("sales_agent")), 404
    )


async def test_only_the_manager_retries_a_roster_job(
    client: Client, world: World, team: list[int]
) -> None:
    job = await generate(client, world)
    assert job["status"] == "succeeded", job
    for who in ("lead", "supervisor", "hr", "gm"):
        r = await client.post(
            f"/roster-jobs/{job['id']}/retry", json={}, headers=world.headers(who)
        )
        assert_problem(r, 403)
    assert_problem(
        await client.post(
            f"/roster-jobs/{job['id']}/retry", json={}, headers=world.headers("agent")
        ),
        404,
    )
    # The manager may retry; this job succeeded, so the answer is about its state.
    r = await client.post(
        f"/roster-jobs/{job['id']}/retry", json={}, headers=world.headers("manager")
    )
    assert_problem(r, 409)
