"""Liveness and readiness."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from scheduler.settings import Settings

pytestmark = pytest.mark.shared_app
Client = AsyncTestClient[Litestar]


async def test_health_answers_without_the_database(client: Client) -> None:
    r = await client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_ready_at_head(client: Client) -> None:
    r = await client.get("/ready")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok", "database": "ok", "migrations": "head"}


async def test_server_factory_freezes_startup_objects(settings: Settings) -> None:
    """A full garbage collection over the app's startup objects took ~200 ms here: servers
    freeze them once started, so such pauses stop showing up in request latency."""
    gc.unfreeze()
    app = create_app(settings, freeze_gc=True)
    try:
        async with AsyncTestClient(app) as client:
            assert gc.get_freeze_count() > 10_000
            assert (await client.get("/health")).status_code == 200
    finally:
        gc.unfreeze()
    plain = create_app(settings)
    async with AsyncTestClient(plain):
        assert gc.get_freeze_count() == 0


async def test_an_api_whose_database_is_away_starts_and_says_so(settings: Settings) -> None:
    """The job queue's pool used to wait for its first connection: the API hung 30 s, then
    exited, so /health never answered and /ready never said 503."""
    away = dataclasses.replace(
        settings,
        database_url="postgresql+asyncpg://postgres@127.0.0.1:9/rota_nowhere",
        job_backend="procrastinate",
    )
    app = create_app(away)
    async with asyncio.timeout(20), AsyncTestClient(app) as client:
        assert (await client.get("/health")).status_code == 200
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["database"] == "unreachable"


async def test_a_database_not_yet_migrated_answers_503_not_500(
    settings: Settings, tmp_path: Path
) -> None:
    empty = dataclasses.replace(
        settings, database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", job_backend="auto"
    )
    async with AsyncTestClient(create_app(empty)) as client:
        assert (await client.get("/ready")).status_code == 503
        r = await client.post("/auth/login", json={"username": "manager", "password": "x" * 12})
        assert r.status_code == 503, r.text
        assert "rota migrate" in r.json()["detail"]
