"""roster costs 64-bit: the objective of roster versions and solve jobs

Roster settings accept weights up to 1,000,000, and a month's cost under such weights passes
2^31: storing it in a 32-bit column failed the job. SQLite's INTEGER is 64-bit already, so only
PostgreSQL changes.

Revision ID: a7c1e5d93b20
Revises: f2a3b4c5d6e7
Create Date: 2026-11-27 20:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c1e5d93b20"
down_revision: str | None = "f2a3b4c5d6e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("roster_versions", "roster_jobs")


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        return
    for table in TABLES:
        op.alter_column(
            table, "objective", type_=sa.BigInteger(), existing_type=sa.Integer(), nullable=True
        )


def downgrade() -> None:
    """Back to 32 bits; fails if a stored cost no longer fits (PostgreSQL says which)."""
    if op.get_context().dialect.name == "sqlite":
        return
    for table in TABLES:
        op.alter_column(
            table, "objective", type_=sa.Integer(), existing_type=sa.BigInteger(), nullable=True
        )
