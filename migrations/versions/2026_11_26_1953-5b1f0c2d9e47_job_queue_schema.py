"""job queue schema (procrastinate, PostgreSQL only)

Solve jobs are dispatched through procrastinate on PostgreSQL; its tables, types and functions
come from the installed library's own schema.sql (procrastinate is pinned to a minor version in
pyproject.toml; upgrading it means a migration applying its sql/migrations files). The embedded
SQLite default runs solves in-process and needs none of this.

Revision ID: 5b1f0c2d9e47
Revises: ae9bd5ef6504
Create Date: 2026-11-26 19:53:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "5b1f0c2d9e47"
down_revision: str | None = "ae9bd5ef6504"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _run_script(sql: str) -> None:
    """Run a multi-statement script: asyncpg's prepared statements take one command each,
    so the script goes to the driver's simple-query path, inside the migration's transaction."""
    from sqlalchemy.util import await_

    raw = op.get_bind().connection.dbapi_connection
    assert raw is not None
    await_(raw._connection.execute(sql))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    _run_script(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(
        """
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
            procrastinate_jobs, procrastinate_workers CASCADE;
        DO $$
        DECLARE fn record;
        BEGIN
            FOR fn IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                      JOIN pg_namespace n ON n.oid = p.pronamespace
                      WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'
            LOOP
                EXECUTE 'DROP FUNCTION IF EXISTS ' || fn.sig || ' CASCADE';
            END LOOP;
        END $$;
        DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
            procrastinate_job_status CASCADE;
        """
    )
