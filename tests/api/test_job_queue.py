"""Solve jobs through the real job queue (procrastinate on PostgreSQL), and dead-worker sweeping."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.auth.principal import Principal
from scheduler.db.base import utcnow
from scheduler.org.models import Department, Team
from scheduler.rosters import jobs
from scheduler.rosters.dispatch import QueueDispatcher, run_worker
from scheduler.rosters.models import RosterJob, RosterVersion
from scheduler.rosters.store import Scope
from scheduler.rosters.versions import check_version
from scheduler.settings import Settings
from tests.api.conftest import World
from tests.api.roster_setup import configure, prepare_team, wait_for_job

SM = async_sessionmaker[AsyncSession]


async def _queue_job(sm: SM, world: World) -> int:
    async with sm() as s:
        dept = await s.get(Department, world.cs_id)
        team = await s.get(Team, world.team_a)
        assert dept is not None
        job = await jobs.request_solve(
            s, Principal.operator(), Scope(dept, team), dt.date(2026, 12, 1), time_limit_s=3
        )
        return job.id


async def test_a_worker_takes_the_job_from_the_queue(
    client: AsyncTestClient[Litestar], world: World, sessionmaker: SM, settings: Settings
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip(
            "procrastinate is the PostgreSQL job queue; SQLite runs solves in-process (tested elsewhere)"
        )
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    queue_settings = dataclasses.replace(settings, job_backend="procrastinate")
    job_id = await _queue_job(sessionmaker, world)

    dispatcher = QueueDispatcher(queue_settings)
    await dispatcher.start()
    try:
        await dispatcher.enqueue(job_id)
    finally:
        await dispatcher.stop()
    async with sessionmaker() as s:
        assert (await s.get(RosterJob, job_id)).status == "queued"  # type: ignore[union-attr]

    # A worker (here in this process; in production `rota worker` on any machine) drains the queue.
    await run_worker(queue_settings, wait=False)

    async with sessionmaker() as s:
        job = await s.get(RosterJob, job_id, populate_existing=True)
        assert job is not None
        assert job.status == "succeeded", job.error
        version = await s.get(RosterVersion, job.result_version_id)
        assert version is not None
        report = await check_version(s, version)
    assert report.hard_violations == ()


async def test_a_job_whose_worker_died_is_failed_and_can_be_retried(
    client: AsyncTestClient[Litestar], world: World, sessionmaker: SM
) -> None:
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    job_id = await _queue_job(sessionmaker, world)
    async with sessionmaker() as s:
        # The worker claimed it, beat once, and vanished two minutes ago.
        stale = utcnow() - dt.timedelta(minutes=2)
        await s.execute(
            update(RosterJob)
            .where(RosterJob.id == job_id)
            .values(status="running", started_at=stale, heartbeat_at=stale)
        )
        await s.commit()
        assert await jobs.sweep_stale(s) == 1
        job = await s.scalar(select(RosterJob).where(RosterJob.id == job_id))
        assert job is not None
        assert job.status == "failed"
        assert "worker stopped" in (job.error or "")

    r = await client.get(f"/roster-jobs/{job_id}", headers=world.headers("manager"))
    assert r.json()["status"] == "failed"
    r = await client.post(f"/roster-jobs/{job_id}/retry", headers=world.headers("manager"))
    assert r.status_code == 202, r.text
    retried = await wait_for_job(client, world, r.json()["id"])
    assert retried["status"] == "succeeded"
    assert retried["retry_of"] == job_id


async def test_a_live_job_is_not_swept(
    client: AsyncTestClient[Litestar], world: World, sessionmaker: SM
) -> None:
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    job_id = await _queue_job(sessionmaker, world)
    async with sessionmaker() as s:
        now = utcnow()
        await s.execute(
            update(RosterJob)
            .where(RosterJob.id == job_id)
            .values(status="running", heartbeat_at=now)
        )
        await s.commit()
        assert await jobs.sweep_stale(s) == 0


async def test_a_dead_workers_queue_row_is_closed_not_left_doing(settings: Settings) -> None:
    """After ``kill -9`` the queue's row of the attempt stayed ``doing`` forever; a live
    worker's sweep now fails it (rota's own job is failed by sweep_stale), and leaves a live
    worker's running job alone."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("procrastinate is the PostgreSQL job queue; SQLite has none")
    from scheduler.rosters.dispatch import QUEUE, TASK_NAME, fail_stalled_queue_jobs, make_queue_app

    app = make_queue_app(dataclasses.replace(settings, job_backend="procrastinate"))
    async with app.open_async():
        connector = app.connector
        dead = await connector.execute_query_one_async(
            "INSERT INTO procrastinate_workers (last_heartbeat) "
            "VALUES (NOW() - INTERVAL '10 minutes') RETURNING id"
        )
        alive = await connector.execute_query_one_async(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (NOW()) RETURNING id"
        )
        ids = []
        for worker in (dead["id"], alive["id"]):
            row = await connector.execute_query_one_async(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, worker_id) "
                "VALUES (%(queue)s, %(task)s, '{}', 'doing', %(worker)s) RETURNING id",
                queue=QUEUE,
                task=TASK_NAME,
                worker=worker,
            )
            ids.append(row["id"])
        try:
            assert await fail_stalled_queue_jobs(app) >= 1
            statuses = {
                r["id"]: r["status"]
                for r in await connector.execute_query_all_async(
                    "SELECT id, status FROM procrastinate_jobs WHERE id = ANY(%(ids)s)", ids=ids
                )
            }
            assert statuses == {ids[0]: "failed", ids[1]: "doing"}
        finally:
            await connector.execute_query_async(
                "DELETE FROM procrastinate_jobs WHERE id = ANY(%(ids)s)", ids=ids
            )
            await connector.execute_query_async(
                "DELETE FROM procrastinate_workers WHERE id = ANY(%(ids)s)",
                ids=[dead["id"], alive["id"]],
            )
