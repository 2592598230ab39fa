"""Attendance: devices, punches, correction requests, penalty policies.

Revision ID: d7b2c4e6f801
Revises: c3a9e0f1b2d4
Create Date: 2026-11-26 20:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d7b2c4e6f801"
down_revision: str | None = "c3a9e0f1b2d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attendance_devices",
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_attendance_devices_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_attendance_devices_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_devices")),
        sa.UniqueConstraint(
            "department_id", "name", name=op.f("uq_attendance_devices_department_id_name")
        ),
    )
    op.create_index(
        op.f("ix_attendance_devices_department_id"),
        "attendance_devices",
        ["department_id"],
        unique=False,
    )
    op.create_table(
        "attendance_policies",
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_attendance_policies_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_attendance_policies_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_policies")),
        sa.UniqueConstraint(
            "department_id",
            "effective_from",
            "revision",
            name=op.f("uq_attendance_policies_department_id_effective_from_revision"),
        ),
    )
    op.create_index(
        op.f("ix_attendance_policies_department_id"),
        "attendance_policies",
        ["department_id"],
        unique=False,
    )
    op.create_table(
        "attendance_punches",
        sa.Column(
            "employee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("device_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "corrects_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "direction IN ('in', 'out')", name=op.f("ck_attendance_punches_direction")
        ),
        sa.CheckConstraint(
            "kind = 'punch' OR corrects_id IS NOT NULL",
            name=op.f("ck_attendance_punches_correction_target"),
        ),
        sa.CheckConstraint(
            "kind IN ('punch', 'correction', 'void')", name=op.f("ck_attendance_punches_kind")
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["attendance_punches.id"],
            name=op.f("fk_attendance_punches_corrects_id_attendance_punches"),
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_attendance_punches_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_attendance_punches_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["attendance_devices.id"],
            name=op.f("fk_attendance_punches_device_id_attendance_devices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_attendance_punches_employee_id_employees"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_punches")),
        sa.UniqueConstraint("corrects_id", name=op.f("uq_attendance_punches_corrects_id")),
        sa.UniqueConstraint(
            "actor", "idempotency_key", name=op.f("uq_attendance_punches_actor_idempotency_key")
        ),
    )
    op.create_index(
        op.f("ix_attendance_punches_department_id"),
        "attendance_punches",
        ["department_id"],
        unique=False,
    )
    op.create_index(
        "ix_attendance_punches_employee_at",
        "attendance_punches",
        ["employee_id", "at"],
        unique=False,
    )
    op.create_table(
        "attendance_correction_requests",
        sa.Column(
            "employee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("punch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "approval_request_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "result_punch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "decided_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "direction IN ('in', 'out')", name=op.f("ck_attendance_correction_requests_direction")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withdrawn', 'cancelled')",
            name=op.f("ck_attendance_correction_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_attendance_correction_requests_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_attendance_correction_requests_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_attendance_correction_requests_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_attendance_correction_requests_employee_id_employees"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["punch_id"],
            ["attendance_punches.id"],
            name=op.f("fk_attendance_correction_requests_punch_id_attendance_punches"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["result_punch_id"],
            ["attendance_punches.id"],
            name=op.f("fk_attendance_correction_requests_result_punch_id_attendance_punches"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_correction_requests")),
    )
    op.create_index(
        op.f("ix_attendance_correction_requests_approval_request_id"),
        "attendance_correction_requests",
        ["approval_request_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_attendance_correction_requests_department_id"),
        "attendance_correction_requests",
        ["department_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_attendance_correction_requests_employee_id"),
        "attendance_correction_requests",
        ["employee_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_attendance_correction_requests_employee_id"),
        table_name="attendance_correction_requests",
    )
    op.drop_index(
        op.f("ix_attendance_correction_requests_department_id"),
        table_name="attendance_correction_requests",
    )
    op.drop_index(
        op.f("ix_attendance_correction_requests_approval_request_id"),
        table_name="attendance_correction_requests",
    )
    op.drop_table("attendance_correction_requests")
    op.drop_index("ix_attendance_punches_employee_at", table_name="attendance_punches")
    op.drop_index(op.f("ix_attendance_punches_department_id"), table_name="attendance_punches")
    op.drop_table("attendance_punches")
    op.drop_index(op.f("ix_attendance_policies_department_id"), table_name="attendance_policies")
    op.drop_table("attendance_policies")
    op.drop_index(op.f("ix_attendance_devices_department_id"), table_name="attendance_devices")
    op.drop_table("attendance_devices")
