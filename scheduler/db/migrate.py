"""Run Alembic from code, for ``rota migrate``, ``rota demo``, ``/ready`` and the tests.

The configuration is built here rather than read from alembic.ini, so an installed wheel can
migrate without the repository checkout.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent


#: Tables owned by libraries (the job queue's), made by their own SQL, not by our models.
FOREIGN_TABLE_PREFIXES = ("procrastinate_",)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave library-owned tables out of autogenerate and schema comparison."""
    return not (type_ == "table" and name is not None and name.startswith(FOREIGN_TABLE_PREFIXES))


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at rota's migrations and ``database_url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to ``revision``. Blocking: call it from a thread in async code."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Take the schema down to ``revision``."""
    command.downgrade(alembic_config(database_url), revision)


def head_revisions() -> set[str]:
    """The revisions the code expects the database to be at."""
    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def current_revisions(connection: Connection) -> set[str]:
    """The revisions the database says it is at (empty for a database never migrated)."""
    return set(MigrationContext.configure(connection).get_current_heads())


async def schema_revisions(session: AsyncSession) -> set[str]:
    """Ask the database (a round trip, so it also proves it answers) which revisions it is at."""
    connection = await session.connection()
    await connection.execute(text("SELECT 1"))
    return await connection.run_sync(current_revisions)
