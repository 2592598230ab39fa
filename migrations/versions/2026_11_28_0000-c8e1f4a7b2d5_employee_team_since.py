"""employee team_since: the day someone joined their current team

A team move cleared the old team's shifts from the move day, but the new team's solves rostered
the person for the whole month, before the move too, while the old team's roster of record still
had them on those days: two rosters for one person. ``team_since`` records the move day, so the
new team's rosters keep the person off the days before it (as before a hire date). NULL means
since the hire date (everyone who never moved).

Revision ID: c8e1f4a7b2d5
Revises: b4d2e8f6a913
Create Date: 2026-11-28 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c8e1f4a7b2d5"
down_revision: str | None = "b4d2e8f6a913"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("employees", sa.Column("team_since", sa.Date(), nullable=True))


def downgrade() -> None:
    """Forgets the move days; shifts already cleared by moves stay cleared (roster versions)."""
    # A plain DROP COLUMN (SQLite 3.35+), not a batch copy of the table (see b4d2e8f6a913).
    op.drop_column("employees", "team_since")
