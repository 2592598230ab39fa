"""Assertions shared by the API tests."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.models import metadata

PROBLEM = "application/problem+json"


def assert_problem(r: httpx.Response, status: int, *, field: str | None = None) -> dict[str, Any]:
    """``r`` is an RFC 9457 problem of ``status`` (naming ``field`` when given); its body."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    for key in ("type", "title", "detail", "instance", "request_id"):
        assert body.get(key), f"{key} missing in {body}"
    assert body["request_id"] == r.headers["x-request-id"]
    if field is not None:
        named = {e.get("field") for e in body.get("errors", [])}
        assert field in named or field in body["detail"], body
    return body


async def snapshot(sm: async_sessionmaker[AsyncSession]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a refused request wrote nothing."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with sm() as s:
        for table in metadata.sorted_tables:
            result = await s.execute(select(table).order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(r) for r in result.all()]
    return rows
