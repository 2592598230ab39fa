"""Punch ingestion under load: group commit of keyed punches, and the connection pool's ping.

A shift start is a burst: many time-clock punches at once, some of them retries. These tests
send such bursts concurrently and check what a person relies on: every punch stored exactly
once, each answer naming its own stored punch, a retry answered with the stored one, a bad row
failing alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from scheduler.attendance import device_cache
from scheduler.attendance.ingest import writer_for
from scheduler.attendance.models import Punch
from scheduler.db import session as db_session
from scheduler.db.session import make_engine
from tests.api.conftest import World
from tests.api.helpers import assert_problem

Client = AsyncTestClient[Litestar]


async def _device(client: Client, world: World) -> dict[str, str]:
    r = await client.post(
        f"/departments/{world.cs_id}/attendance/devices",
        json={"name": "Lobby"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    return {"Authorization": r.json()["authorization"]}


def _ago(minutes: int) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)).isoformat()


async def test_a_burst_of_device_punches_is_stored_once_each(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    auth = await _device(client, world)
    people = [world.employees[name].id for name in ("agent", "agent2")]
    bodies = [
        {
            "direction": "in" if i % 2 == 0 else "out",
            "at": _ago(10 + i),
            "employee_id": people[i % 2],
        }
        for i in range(40)
    ]

    async def send(i: int, key: str) -> Any:
        return await client.post(
            "/attendance/device/punches",
            json=bodies[i],
            headers={**auth, "Idempotency-Key": key},
        )

    # 40 different punches, and 6 retries of punch 0 racing them.
    answers = await asyncio.gather(
        *(send(i, f"burst-{i}") for i in range(40)), *(send(0, "burst-0") for _ in range(6))
    )
    statuses = [r.status_code for r in answers]
    assert sorted(statuses) == [200] * 6 + [201] * 40, [
        r.text for r in answers if r.status_code >= 300
    ]
    first = [r.json() for r in answers[:40]]
    assert len({p["id"] for p in first}) == 40
    assert {r.json()["id"] for r in answers[40:]} == {first[0]["id"]}
    async with sessionmaker() as s:
        stored = {p.id: p for p in (await s.scalars(select(Punch))).all()}
    assert len(stored) == 40
    for i, answer in enumerate(first):
        punch = stored[answer["id"]]  # each answer names the row stored for that request
        assert punch.idempotency_key == f"burst-{i}"
        assert punch.employee_id == bodies[i]["employee_id"]
        assert punch.direction == bodies[i]["direction"]
        assert punch.at == dt.datetime.fromisoformat(str(bodies[i]["at"]))


async def test_a_key_reused_for_another_punch_in_one_burst_is_refused(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    auth = {**await _device(client, world), "Idempotency-Key": "twice"}
    agent = world.employees["agent"].id
    answers = await asyncio.gather(
        client.post(
            "/attendance/device/punches",
            json={"direction": "in", "at": _ago(30), "employee_id": agent},
            headers=auth,
        ),
        client.post(
            "/attendance/device/punches",
            json={"direction": "out", "at": _ago(20), "employee_id": agent},
            headers=auth,
        ),
    )
    assert sorted(r.status_code for r in answers) == [201, 422]
    assert_problem(next(r for r in answers if r.status_code == 422), 422, field="idempotency_key")
    async with sessionmaker() as s:
        assert len((await s.scalars(select(Punch))).all()) == 1


async def test_device_punch_for_unknown_or_foreign_employee_is_refused(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    auth = await _device(client, world)
    # Another department's person is nobody at this door: 404 as for an unknown one, so a
    # device learns nothing of who works elsewhere.
    for employee_id, status in ((987654, 404), (world.employees["sales_agent"].id, 404)):
        r = await client.post(
            "/attendance/device/punches",
            json={"direction": "in", "at": _ago(5), "employee_id": employee_id},
            headers={**auth, "Idempotency-Key": f"who-{employee_id}"},
        )
        assert_problem(r, status, field="employee_id")
    for body, status in (
        ({"staff_no": "NOPE"}, 404),
        ({"staff_no": "SA001"}, 404),  # the sales agent's badge at the CS door
        ({}, 422),  # nobody named
    ):
        r = await client.post(
            "/attendance/device/punches",
            json={"direction": "in", "at": _ago(5), **body},
            headers={**auth, "Idempotency-Key": f"badge-{body}"},
        )
        assert_problem(r, status, field="employee_id")
    # A badge carries the staff number: the punch is the person's.
    r = await client.post(
        "/attendance/device/punches",
        json={"direction": "in", "at": _ago(5), "staff_no": "CS002"},
        headers={**auth, "Idempotency-Key": "badge"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["employee_id"] == world.employees["agent2"].id
    async with sessionmaker() as s:
        assert len((await s.scalars(select(Punch))).all()) == 1


def _row(world: World, employee_id: int, key: str, minutes: int) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "employee_id": employee_id,
        "department_id": world.cs_id,
        "direction": "in",
        "at": now - dt.timedelta(minutes=minutes),
        "kind": "punch",
        "source": "device:test",
        "device_id": None,
        "actor": "device:test",
        "idempotency_key": key,
        "fingerprint": key,
        "reason": None,
        "created_by": None,
        "created_at": now,
    }


async def test_writer_fails_only_the_bad_row_of_a_batch(
    db: AsyncEngine, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    agent = world.employees["agent"].id
    writer = writer_for(db)
    rows = [_row(world, agent, f"w{i}", i) for i in range(5)]
    rows[2]["employee_id"] = 987654  # no such employee: the foreign key refuses it
    outcomes = await asyncio.gather(*(writer.insert(r) for r in rows), return_exceptions=True)
    assert isinstance(outcomes[2], IntegrityError)
    good = [o for i, o in enumerate(outcomes) if i != 2]
    assert all(isinstance(o, int) for o in good)
    # A key already stored answers None (the caller replays the stored punch).
    assert await writer.insert(_row(world, agent, "w0", 0)) is None
    await writer.close()
    async with sessionmaker() as s:
        stored = {p.idempotency_key: p.id for p in (await s.scalars(select(Punch))).all()}
    assert stored == {f"w{i}": good[j] for j, i in enumerate((0, 1, 3, 4))}


async def test_an_idle_dead_connection_is_replaced_before_use(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool pings only idle connections; a busy one that died fails as a lost connection."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server connection to lose")
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    admin = make_engine(database_url, pool_size=1, max_overflow=0)
    try:

        async def kill_pooled_connection() -> None:
            async with engine.connect() as conn:
                pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            async with admin.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        # Used a moment ago: handed out without a ping, the query fails as a lost connection
        # (the API answers 503, and the pool reconnects for the next request).
        await kill_pooled_connection()
        with pytest.raises(DBAPIError) as lost:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        assert lost.value.connection_invalidated
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1

        # Idle longer than the threshold: pinged, found dead, replaced; the caller sees nothing.
        monkeypatch.setattr(db_session, "PING_AFTER_IDLE_SECONDS", 0.0)
        await kill_pooled_connection()
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_concurrent_cache_misses_share_one_lookup() -> None:
    """When a cached credential or department expires under load, one request reads it again.

    The others wait for that answer (or its error) instead of each querying at once.
    """
    cache = device_cache.TTLCache()
    release = asyncio.Event()
    loads: list[int] = []

    async def load() -> str:
        loads.append(1)
        await release.wait()
        return "device 7"

    waiting = [asyncio.create_task(device_cache.cached(cache, ("dev", 7), load)) for _ in range(20)]
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.gather(*waiting) == ["device 7"] * 20
    assert len(loads) == 1
    assert await device_cache.cached(cache, ("dev", 7), load) == "device 7"  # cached now
    assert len(loads) == 1

    async def refuse() -> str:
        loads.append(1)
        await asyncio.sleep(0.01)
        raise ValueError("unknown or revoked device credential")

    failing = [
        asyncio.create_task(device_cache.cached(cache, ("dev", 8), refuse)) for _ in range(5)
    ]
    outcomes = await asyncio.gather(*failing, return_exceptions=True)
    assert all(isinstance(o, ValueError) for o in outcomes)
    assert len(loads) == 2  # one shared failed load, and a failure is not cached
    assert cache.get(("dev", 8)) is None


async def test_another_departments_devices_are_not_found(client: Client, world: World) -> None:
    """As on every department route, another department is answered as if it did not exist."""
    url = f"/departments/{world.cs_id}/attendance/devices"
    headers = world.headers("sales_manager")
    assert_problem(await client.get(url, headers=headers), 404)
    assert_problem(await client.post(url, json={"name": "Door"}, headers=headers), 404)
    # Within the department, an agent is refused (403): the department is theirs to see.
    assert_problem(await client.get(url, headers=world.headers("agent")), 403)
