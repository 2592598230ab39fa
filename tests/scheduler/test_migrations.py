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


def _exec(url: str, *statements: str) -> list[Any]:
    """Run statements in one committed transaction; the last one's rows are returned."""

    def run(conn: Connection) -> list[Any]:
        rows: list[Any] = []
        for statement in statements:
            result = conn.exec_driver_sql(statement)
            rows = list(result) if result.returns_rows else []
        conn.commit()
        return rows

    return list(_inspect(url, run))


def test_qa_inspector_role_keeps_users_and_what_points_at_them(fresh_url: str) -> None:
    """Widening the role check must not recreate ``users``: on SQLite a recreate deletes every
    delegation (ON DELETE CASCADE) and forgets every actor (SET NULL) of the existing rows."""
    upgrade(fresh_url, "c8e1f4a7b2d5")
    _exec(
        fresh_url,
        "INSERT INTO organisations (id, name, created_at, updated_at) VALUES (1, 'Org', '2026-11-01 00:00:00+00', "
        "'2026-11-01 00:00:00+00')",
        "INSERT INTO departments (id, organisation_id, code, name, timezone, country, "
        "created_at, updated_at) VALUES (1, 1, 'CS', 'Customer service', 'Asia/Shanghai', 'CN', "
        "'2026-11-01 00:00:00+00', '2026-11-01 00:00:00+00')",
        "INSERT INTO users (id, username, password_hash, display_name, role, department_id, "
        "active, created_at, updated_at) VALUES (1, 'boss', 'x', 'Boss', 'dept_manager', 1, "
        "true, '2026-11-01 00:00:00+00', '2026-11-01 00:00:00+00'), (2, 'lead', 'x', 'Lead', 'team_lead', 1, true, '2026-11-01 00:00:00+00', '2026-11-01 00:00:00+00')",
        "INSERT INTO approval_delegations (id, delegator_id, delegate_id, role, department_id, "
        "start_date, end_date, created_at, updated_at) VALUES (1, 1, 2, 'dept_manager', 1, "
        "'2026-11-01', '2026-11-30', '2026-11-01 00:00:00+00', '2026-11-01 00:00:00+00')",
    )
    upgrade(fresh_url)
    _exec(
        fresh_url,
        "INSERT INTO users (id, username, password_hash, display_name, role, department_id, "
        "active, created_at, updated_at) VALUES (3, 'qa', 'x', 'QA', 'qa_inspector', 1, true, "
        "'2026-11-01 00:00:00+00', '2026-11-01 00:00:00+00')",
    )
    assert _exec(fresh_url, "SELECT id, delegator_id, delegate_id FROM approval_delegations") == [
        (1, 1, 2)
    ]
    with pytest.raises(Exception, match=r"(?i)check"):
        _exec(
            fresh_url,
            "INSERT INTO users (id, username, password_hash, display_name, role, department_id, "
            "active, created_at, updated_at) VALUES (4, 'x', 'x', 'X', 'janitor', 1, true, "
            "'2026-11-01 00:00:00+00', '2026-11-01 00:00:00+00')",
        )

    downgrade(fresh_url, "c8e1f4a7b2d5")
    assert _exec(fresh_url, "SELECT role FROM users WHERE id = 3") == [("agent",)]
    assert _exec(fresh_url, "SELECT count(*) FROM approval_delegations") == [(1,)]
