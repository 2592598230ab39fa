"""Test fixtures: a real database (PostgreSQL by default), built by the migrations.

ROTA_TEST_DATABASE_URL picks the database: PostgreSQL (default 127.0.0.1:5432, user postgres;
a fresh ``rota_test`` database is created for the session) or SQLite (a file), so the same
database tests run on both. The schema is made once per session by ``alembic upgrade head``;
every table is emptied after each test that used the database, which keeps tests independent
while letting race tests use several real connections with committed data.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from scheduler.db.migrate import upgrade
from scheduler.db.session import make_engine, make_sessionmaker
from scheduler.models import metadata
from scheduler.settings import normalise_database_url

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/rota_test"


def _test_url(tmp_root: Path) -> str:
    raw = os.environ.get("ROTA_TEST_DATABASE_URL") or DEFAULT_PG
    if raw == "sqlite":
        raw = f"sqlite+aiosqlite:///{tmp_root / 'rota-test.db'}"
    return normalise_database_url(raw)


async def _recreate_pg_database(url: str) -> None:
    import asyncpg

    parsed = make_url(url)
    admin = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database="postgres",
    )
    try:
        name = parsed.database
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database for this test session."""
    url = _test_url(tmp_path_factory.mktemp("db"))
    if url.startswith("postgresql"):
        asyncio.run(_recreate_pg_database(url))
    upgrade(url)
    return url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The session's engine."""
    eng = make_engine(database_url)
    yield eng
    await eng.dispose()


async def _empty_all_tables(eng: AsyncEngine) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    async with eng.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                await conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - names from our metadata


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The engine, with every table emptied after the test."""
    try:
        yield engine
    finally:
        await _empty_all_tables(engine)


@pytest.fixture
def sessionmaker(db: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on the test database."""
    return make_sessionmaker(db)


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session for service-level tests."""
    async with sessionmaker() as s:
        yield s


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that uses the database is marked ``db`` (so CI can rerun them on SQLite)."""
    for item in items:
        if "db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)
