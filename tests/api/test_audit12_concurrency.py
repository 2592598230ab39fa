"""Concurrency audit: changes racing each other must end as if they had run one after another.

* Approved leave or a swap racing a manager's publish of a draft: the change must land on the
  cells it read (the roster row is locked before reading), never on a draft it never saw.
* Every applied cell edit is a new draft revision, so a second editor holding the old one gets
  a 409 (a lock, or an edit of equal cost, did not bump it).
* A solve job swept as dead while its worker was frozen stays failed when the worker comes
  back; a cancel that arrives while the search ends is honoured.
* Login limits count every attempt atomically before the password is checked (a burst cannot
  slip past them), and an unreachable Redis is a 503 with Retry-After, not a 500.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import uuid
from typing import Any, cast

import pytest
from litestar.stores.memory import MemoryStore
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from api.app import create_app
from api.login_limits import CountingRedisStore, LoginLimiter
from scheduler.auth.principal import Principal
from scheduler.db.base import utcnow
from scheduler.errors import RateLimitedError
from scheduler.org.models import Department, Team
from scheduler.rosters import jobs, runner
from scheduler.rosters.models import Roster, RosterJob, RosterVersion
from scheduler.rosters.store import Scope
from scheduler.settings import Settings
from solver.solve import solve as real_solve
from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.api.requests_setup import (
    SM,
    Client,
    accepted_swap,
    decide,
    file_leave,
    grid,
    publish_team_roster,
)

PG_ONLY = (
    "stages an interleaving with a row lock (SELECT ... FOR UPDATE), which is PostgreSQL's; "
    "SQLite has one database-wide write lock and no such interleaving"
)


def _needs_postgres(settings: Settings) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip(PG_ONLY)


async def _draft(client: Client, world: World, roster_id: int) -> tuple[int, int]:
    r = await client.post(f"/rosters/{roster_id}/drafts", json={}, headers=world.headers("manager"))
    assert r.status_code == 201, r.text
    return int(r.json()["number"]), int(r.json()["revision"])


async def _edit(
    client: Client,
    world: World,
    roster_id: int,
    number: int,
    edits: list[dict[str, Any]],
    **kw: Any,
) -> Any:
    return await client.patch(
        f"/rosters/{roster_id}/versions/{number}/cells",
        json={"edits": edits, **kw},
        headers=world.headers("manager"),
    )


async def _publish_holding_the_lock(
    sm: SM, roster_id: int, number: int, started: asyncio.Future[None], go: asyncio.Event
) -> None:
    """What ``publish`` does, holding the roster lock until ``go``: a publish in progress."""
    async with sm() as s:
        await s.execute(select(Roster.id).where(Roster.id == roster_id).with_for_update())
        rows = (
            await s.scalars(select(RosterVersion).where(RosterVersion.roster_id == roster_id))
        ).all()
        for v in rows:
            if v.status == "published":
                v.status = "superseded"
            if v.number == number:
                v.status = "published"
                v.published_at = utcnow()
        await s.flush()
        started.set_result(None)
        await go.wait()
        await s.commit()


async def _race_with_publish(
    client: Client, world: World, sm: SM, roster_id: int, number: int, decision: Any
) -> Any:
    """Start a publish of draft ``number``, send ``decision`` while it holds the lock, finish."""
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    go = asyncio.Event()
    publishing = asyncio.create_task(_publish_holding_the_lock(sm, roster_id, number, started, go))
    await started
    # The test client blocks its caller's event loop while the app answers; from a thread of
    # its own the request can wait for the lock while this loop goes on to finish the publish.
    deciding = asyncio.ensure_future(asyncio.to_thread(asyncio.run, decision))
    await asyncio.sleep(1.0)  # the decision has read the roster and waits for the lock
    go.set()
    await publishing
    return await deciding


async def test_leave_approved_while_a_draft_is_published_lands_on_that_draft(
    client: Client, world: World, sessionmaker: SM, settings: Settings
) -> None:
    _needs_postgres(settings)
    roster_id = await publish_team_roster(client, world, sessionmaker)
    _, cells = await grid(sessionmaker, roster_id)
    days = sorted({d for _, d in cells})
    # Someone resting on day R and working on R + 1 (both a week or more ahead).
    emp, rest = next(
        (e, d)
        for (e, d), code in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        if d >= days[7]
        and d < days[-1]
        and code is None
        and cells[(e, d + dt.timedelta(days=1))] is not None
        and f"u{e}" in world.users
    )
    work = rest + dt.timedelta(days=1)
    number, revision = await _draft(client, world, roster_id)
    r = await _edit(
        client,
        world,
        roster_id,
        number,
        [{"employee_id": emp, "date": rest.isoformat(), "action": "assign", "shift_code": "early"}],
        revision=revision,
        override_reason="cover",
    )
    assert r.status_code == 200, r.text
    leave = await file_leave(
        client, world, f"u{emp}", type="annual", start_date=rest, end_date=work
    )
    assert leave.status_code == 201, leave.text

    ok = await _race_with_publish(
        client,
        world,
        sessionmaker,
        roster_id,
        number,
        decide(client, world, "manager", leave.json()["approval_id"]),
    )
    assert ok.status_code == 200, ok.text
    # As if the publish ran first and the approval after it: both days are leave, no shift
    # is kept on a day of approved leave.
    _, after = await grid(sessionmaker, roster_id)
    assert (after[(emp, rest)], after[(emp, work)]) == (None, None)


async def test_swap_approved_while_a_draft_is_published_sees_that_draft(
    client: Client, world: World, sessionmaker: SM, settings: Settings
) -> None:
    _needs_postgres(settings)
    roster_id = await publish_team_roster(client, world, sessionmaker)
    a, _b, d, accepted = await accepted_swap(client, world, sessionmaker, roster_id)
    # The manager's draft takes A off that day.
    number, revision = await _draft(client, world, roster_id)
    r = await _edit(
        client,
        world,
        roster_id,
        number,
        [{"employee_id": a, "date": d.isoformat(), "action": "clear"}],
        revision=revision,
        override_reason="reorganised",
    )
    assert r.status_code == 200, r.text

    res = await _race_with_publish(
        client,
        world,
        sessionmaker,
        roster_id,
        number,
        decide(client, world, "manager", accepted["approval_id"]),
    )
    # As if the publish ran first: the swap no longer fits (409), the manager's edit stays.
    problem = assert_problem(res, 409)
    assert "changed since this swap was proposed" in problem["detail"]
    version, after = await grid(sessionmaker, roster_id)
    assert version.number == number
    assert after[(a, d)] is None


async def test_every_cell_edit_is_a_new_revision(
    client: Client, world: World, sessionmaker: SM
) -> None:
    roster_id = await publish_team_roster(client, world, sessionmaker)
    _, cells = await grid(sessionmaker, roster_id)
    (emp, day), _ = next(iter(sorted(cells.items())))
    number, revision = await _draft(client, world, roster_id)
    lock = [{"employee_id": emp, "date": day.isoformat(), "action": "lock"}]
    first = await _edit(client, world, roster_id, number, lock, revision=revision)
    assert first.status_code == 200, first.text
    assert first.json()["version"]["revision"] == revision + 1
    # A second manager still holding the old revision is told, whatever their edit.
    unlock = [{"employee_id": emp, "date": day.isoformat(), "action": "unlock"}]
    body = assert_problem(
        await _edit(client, world, roster_id, number, unlock, revision=revision), 409
    )
    assert body["current_revision"] == revision + 1


async def _running_job(sm: SM, world: World) -> int:
    async with sm() as s:
        dept = await s.get(Department, world.cs_id)
        team = await s.get(Team, world.team_a)
        assert dept is not None
        job = await jobs.request_solve(
            s, Principal.operator(), Scope(dept, team), dt.date(2026, 12, 1), time_limit_s=3
        )
        return job.id


async def _status(sm: SM, job_id: int) -> RosterJob:
    async with sm() as s:
        job = await s.get(RosterJob, job_id)
        assert job is not None
        return job


async def _wait_running(sm: SM, job_id: int) -> None:
    for _ in range(200):
        if (await _status(sm, job_id)).status == "running":
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"job {job_id} never started")


def _held_solve(release: threading.Event) -> Any:
    """The real solve, started only once the test releases it (a worker frozen mid-solve)."""

    def held(*args: Any) -> Any:
        release.wait(30)
        return real_solve(*args)

    return held


async def _held_job(
    client: Client,
    world: World,
    sessionmaker: SM,
    monkeypatch: pytest.MonkeyPatch,
    heartbeat_s: float,
) -> tuple[int, asyncio.Task[str], threading.Event]:
    """A solve job running in this process whose search waits for ``release``."""
    from tests.api.roster_setup import configure, prepare_team

    await prepare_team(sessionmaker, world)
    await configure(client, world)
    release = threading.Event()
    monkeypatch.setattr(runner, "solve", _held_solve(release))
    monkeypatch.setattr(runner, "HEARTBEAT_S", heartbeat_s)
    job_id = await _running_job(sessionmaker, world)
    task = asyncio.create_task(runner.run_job(sessionmaker, job_id, threads=1))
    await _wait_running(sessionmaker, job_id)
    return job_id, task, release


async def test_a_swept_job_stays_failed_when_its_frozen_worker_comes_back(
    client: Client,
    world: World,
    sessionmaker: SM,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job_id, task, release = await _held_job(client, world, sessionmaker, monkeypatch, 0.2)
    # The sweeper finds its heartbeat a minute old (the worker was frozen) and fails it.
    async with sessionmaker() as s:
        stale = utcnow() - dt.timedelta(minutes=2)
        await s.execute(update(RosterJob).where(RosterJob.id == job_id).values(heartbeat_at=stale))
        await s.commit()
        assert await jobs.sweep_stale(s) == 1
    release.set()  # the worker wakes up
    assert await asyncio.wait_for(task, 60) == "failed"
    job = await _status(sessionmaker, job_id)
    assert job.status == "failed"
    assert job.result_version_id is None
    async with sessionmaker() as s:
        drafts = (await s.scalars(select(RosterVersion.id))).all()
    assert drafts == []


async def test_a_cancel_while_the_search_ends_is_honoured(
    client: Client,
    world: World,
    sessionmaker: SM,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No heartbeat reads the cancel request before the search ends: only its ending can.
    job_id, task, release = await _held_job(client, world, sessionmaker, monkeypatch, 600.0)
    r = await client.delete(f"/roster-jobs/{job_id}", headers=world.headers("manager"))
    assert r.status_code in (200, 202), r.text
    release.set()
    assert await asyncio.wait_for(task, 60) == "cancelled"
    assert (await _status(sessionmaker, job_id)).status == "cancelled"


async def _burst(limiter: LoginLimiter, n: int, username: str) -> int:
    """``n`` attempts at once from one address; how many got as far as the password check."""

    class _Req:
        client = type("C", (), {"host": f"198.51.100.{uuid.uuid4().int % 250}"})()

    passed = 0

    async def one() -> None:
        nonlocal passed
        try:
            await limiter.attempt(_Req(), username)  # type: ignore[arg-type]
        except RateLimitedError:
            return
        await asyncio.sleep(0.01)  # checking the password takes a while
        passed += 1

    await asyncio.gather(*(one() for _ in range(n)))
    return passed


async def test_a_burst_of_logins_cannot_slip_past_the_limit_in_memory() -> None:
    limiter = LoginLimiter(MemoryStore(), max_attempts=5)
    assert await _burst(limiter, 40, f"user-{uuid.uuid4().hex}") == 5


async def test_a_burst_of_logins_cannot_slip_past_the_limit_in_redis() -> None:
    store = CountingRedisStore.with_client(
        url="redis://127.0.0.1:6379/0", namespace=f"rota-test-{uuid.uuid4().hex}"
    )
    try:
        await store.exists("ping")
    except Exception as exc:
        pytest.skip(f"no Redis on 127.0.0.1:6379 ({type(exc).__name__})")
    try:
        # Two replicas: two limiters on the same Redis, each with its own client.
        other = CountingRedisStore.with_client(
            url="redis://127.0.0.1:6379/0", namespace=store.namespace
        )
        user = f"user-{uuid.uuid4().hex}"
        a, b = LoginLimiter(store, 5), LoginLimiter(other, 5)
        passed = await asyncio.gather(_burst(a, 30, user), _burst(b, 30, user))
        assert sum(passed) == 5
    finally:
        await store.delete_all()
        await store._shutdown()
        await other._shutdown()


async def test_login_answers_503_when_the_rate_limit_store_is_unreachable(
    settings: Settings, world: World
) -> None:
    import dataclasses

    # Port 9 (discard) refuses connections: Redis is down.
    app = create_app(dataclasses.replace(settings, redis_url="redis://127.0.0.1:9/0"))
    async with AsyncTestClient(app) as c:
        r = await c.post("/auth/login", json={"username": "manager", "password": "whatever"})
    body = assert_problem(r, 503)
    assert int(r.headers["retry-after"]) >= 1
    assert "Redis" in body["detail"]


async def test_a_successful_sign_in_gives_its_address_attempt_back_in_redis() -> None:
    store = cast(
        CountingRedisStore,
        CountingRedisStore.with_client(
            url="redis://127.0.0.1:6379/0", namespace=f"rota-test-{uuid.uuid4().hex}"
        ),
    )
    try:
        await store.exists("ping")
    except Exception as exc:
        pytest.skip(f"no Redis on 127.0.0.1:6379 ({type(exc).__name__})")
    try:
        assert [(await store.hit("k", 60))[0] for _ in range(3)] == [1, 2, 3]
        await store.release("k")
        assert (await store.hit("k", 60))[0] == 3
        await store.release("never-hit")
        assert await store.get("never-hit") is None
    finally:
        await store.delete_all()
        await store._shutdown()
