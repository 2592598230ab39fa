"""Liveness and readiness."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

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
