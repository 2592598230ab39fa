"""shift types

Revision ID: 84c03eb93367
Revises: d42d044c1621
Create Date: 2026-11-26 19:50:13.275777
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "84c03eb93367"
down_revision: str | None = "d42d044c1621"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shift_types",
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("never_alone", sa.Boolean(), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_minute > start_minute AND end_minute <= start_minute + 1440",
            name=op.f("ck_shift_types_end_after_start"),
        ),
        sa.CheckConstraint(
            "start_minute >= 0 AND start_minute < 1440", name=op.f("ck_shift_types_start_in_day")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_shift_types_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_types")),
        sa.UniqueConstraint(
            "department_id", "code", name=op.f("uq_shift_types_department_id_code")
        ),
    )
    op.create_index(
        op.f("ix_shift_types_department_id"), "shift_types", ["department_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_shift_types_department_id"), table_name="shift_types")
    op.drop_table("shift_types")
