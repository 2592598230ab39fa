"""shift wishes

Revision ID: e1f2a3b4c5d6
Revises: d7b2c4e6f801
Create Date: 2026-11-26 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1f2a3b4c5d6"
down_revision: str | None = "d7b2c4e6f801"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "shift_wishes",
        sa.Column("employee_id", ID, nullable=False),
        sa.Column("department_id", ID, nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("shift_code", sa.String(length=20), nullable=True),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('shift_on', 'shift_off', 'day_off')", name=op.f("ck_shift_wishes_kind")
        ),
        sa.CheckConstraint("weight BETWEEN 1 AND 10", name=op.f("ck_shift_wishes_weight")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_shift_wishes_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_shift_wishes_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_shift_wishes_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_wishes")),
        sa.UniqueConstraint("employee_id", "date", name=op.f("uq_shift_wishes_employee_id_date")),
    )
    op.create_index(
        op.f("ix_shift_wishes_department_id"), "shift_wishes", ["department_id"], unique=False
    )
    op.create_index(
        op.f("ix_shift_wishes_employee_id"), "shift_wishes", ["employee_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_shift_wishes_employee_id"), table_name="shift_wishes")
    op.drop_index(op.f("ix_shift_wishes_department_id"), table_name="shift_wishes")
    op.drop_table("shift_wishes")
