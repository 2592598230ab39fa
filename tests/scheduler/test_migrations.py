"""The migrations: a round trip on a fresh database, and a schema that matches the models.

Runs on its own throwaway database (PostgreSQL: a new database next to the test database;
SQLite: a temporary file), never on the shared test database.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, make_url

from scheduler.db.migrate import (
    current_revisions,
    downgrade,
    head_revisions,
    include_name,
    upgrade,
)
from scheduler.db.session import make_engine
from scheduler.models import metadata

pytestmark = pytest.mark.db


async def _pg_admin(url: str, statement: str) -> None:
    import asyncpg

    parsed = make_url(url)
    conn = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database="postgres",
    )
    try:
        await conn.execute(statement.format(name=parsed.database))
    finally:
        await conn.close()


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the test database."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'round-trip.db'}"
        return
    url = (
        make_url(database_url)
        .set(database=f"rota_migrations_{os.getpid()}")
        .render_as_string(hide_password=False)
    )
    asyncio.run(_pg_admin(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_pg_admin(url, 'CREATE DATABASE "{name}"'))
    yield url
    asyncio.run(_pg_admin(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _inspect(url: str, fn: Any) -> Any:
    async def run() -> Any:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "include_name": include_name}
    )
    return list(compare_metadata(context, metadata))


def test_round_trip(fresh_url: str) -> None:
    model_tables = {t.name for t in metadata.sorted_tables}
    upgrade(fresh_url)
    assert _inspect(fresh_url, current_revisions) == head_revisions()
    assert model_tables <= _inspect(fresh_url, _tables)

    downgrade(fresh_url, "base")
    assert _inspect(fresh_url, _tables) <= {"alembic_version"}
    assert _inspect(fresh_url, current_revisions) == set()

    upgrade(fresh_url)
    assert _inspect(fresh_url, current_revisions) == head_revisions()
    assert model_tables <= _inspect(fresh_url, _tables)
    assert _inspect(fresh_url, _differences) == []
