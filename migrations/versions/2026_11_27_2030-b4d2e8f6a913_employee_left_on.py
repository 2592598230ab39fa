"""employee left_on: the last working day of someone who left

Deactivating someone kept every later shift on the published rosters, and attendance then
counted each of them as an absence. ``left_on`` records the last working day, so rosters keep the
person off every later day. Existing inactive employees keep NULL (their leaving day is not
known; setting it through PATCH clears their later shifts then).

The check ``left_on >= hire_date`` is added on PostgreSQL only: on SQLite it would mean
recreating ``employees``, and with foreign keys on, dropping the old table would cascade into
the rows that reference it. The service checks the same rule on every database.

Revision ID: b4d2e8f6a913
Revises: a7c1e5d93b20
Create Date: 2026-11-27 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b4d2e8f6a913"
down_revision: str | None = "a7c1e5d93b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("employees", sa.Column("left_on", sa.Date(), nullable=True))
    if op.get_context().dialect.name != "sqlite":
        op.create_check_constraint(
            op.f("ck_employees_left_after_hire"),
            "employees",
            "left_on IS NULL OR left_on >= hire_date",
        )


def downgrade() -> None:
    """Forgets every leaving day; the shifts it cleared stay cleared (they are roster versions)."""
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_employees_left_after_hire"), "employees", type_="check")
    # A plain DROP COLUMN (SQLite 3.35+), not a batch copy of the table: see the module docstring.
    op.drop_column("employees", "left_on")
