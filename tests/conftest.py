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
from collections.abc import AsyncIterator, Iterator
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


def _per_process(url: str) -> str:
    """Suffix the database name with the process id, so parallel test runs never collide."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{os.getpid()}").render_as_string(
        hide_password=False
    )


async def _pg_admin(url: str, statement: str) -> None:
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
        await admin.execute(statement.format(name=parsed.database))
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for this test session, dropped at the end."""
    url = _test_url(tmp_path_factory.mktemp("db"))
    postgres = url.startswith("postgresql")
    if postgres:
        url = _per_process(url)
        asyncio.run(_pg_admin(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(_pg_admin(url, 'CREATE DATABASE "{name}"'))
    upgrade(url)
    yield url
    if postgres:
        asyncio.run(_pg_admin(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The session's engine."""
    eng = make_engine(database_url)
    yield eng
    await eng.dispose()


async def _empty_all_tables(eng: AsyncEngine) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    # DELETE, not TRUNCATE: on the handful of rows a test leaves, PostgreSQL deletes in well
    # under a millisecond per table while TRUNCATE rewrites every table's files (~20 ms each).
    # Children first, so no foreign key is violated; ids are not reset (tests never assume them).
    async with eng.begin() as conn:
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
