"""Liveness and readiness."""

from __future__ import annotations

import gc

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
