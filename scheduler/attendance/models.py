"""Tables of attendance: punches, the devices that send them, and the penalty policies.

Punches are facts and are never edited or deleted: a correction is a new row whose
``corrects_id`` points at the punch it replaces (``kind = 'correction'``) or cancels
(``kind = 'void'``). Derived attendance is computed from these rows on read (see ``derive``),
so nothing derived can drift from the facts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db.base import Base, IdMixin, IdType, JsonType, TimestampMixin, UTCDateTime, utcnow

DIRECTIONS = ("in", "out")
PUNCH_KINDS = ("punch", "correction", "void")


class AttendanceDevice(IdMixin, TimestampMixin, Base):
    """A time clock of a department, with its own credential.

    The secret is 32 random bytes shown once at creation; only its SHA-256 is stored. A slow
    password hash is not needed for a high-entropy random secret, and a fast one keeps every
    device punch cheap (STYLE: the ingest path is benchmarked).
    """

    __tablename__ = "attendance_devices"
    __table_args__ = (UniqueConstraint("department_id", "name"),)

    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Punch(IdMixin, Base):
    """One clock-in or clock-out, or a correction of one.

    ``source`` says where it came from: ``web`` (the person themself), ``device:<name>``,
    ``manager`` (entered for someone, with a reason). ``actor`` is who sent it (``user:<id>``
    or ``device:<id>``): an ``Idempotency-Key`` is unique per actor, and ``fingerprint`` (a
    SHA-256 of the payload) tells a replay from a different punch sent with a reused key.
    """

    __tablename__ = "attendance_punches"
    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        CheckConstraint("kind IN ('punch', 'correction', 'void')", name="kind"),
        CheckConstraint("kind = 'punch' OR corrects_id IS NOT NULL", name="correction_target"),
        UniqueConstraint("actor", "idempotency_key"),
        Index("ix_attendance_punches_employee_at", "employee_id", "at"),
    )

    employee_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("employees.id", ondelete="RESTRICT")
    )
    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    direction: Mapped[str] = mapped_column(String(3))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(12), default="punch")
    source: Mapped[str] = mapped_column(String(120))
    device_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("attendance_devices.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    corrects_id: Mapped[int | None] = mapped_column(
        # Checked at commit (not per row), so a bulk delete of the table (tests) works on SQLite.
        IdType,
        ForeignKey("attendance_punches.id", deferrable=True, initially="DEFERRED"),
        unique=True,
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AttendancePolicy(IdMixin, Base):
    """A department's penalty policy from a month on (rows are versions; never changed).

    The policy judging a month is the row with the latest ``effective_from`` not after the
    month's first day, and of those the highest ``revision``; no row means the defaults of
    ``policy.DEFAULT_POLICY``.
    """

    __tablename__ = "attendance_policies"
    __table_args__ = (UniqueConstraint("department_id", "effective_from", "revision"),)

    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    effective_from: Mapped[dt.date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    document: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CorrectionRequest(IdMixin, TimestampMixin, Base):
    """An agent's request to correct a missing or wrong punch, decided by their manager.

    The subject of an approval request of kind ``attendance_correction``. Approving it writes
    the correction punch (``result_punch_id``); the request row itself only changes status.
    ``punch_id`` is the wrong punch to replace or cancel, or empty for a missing punch.
    """

    __tablename__ = "attendance_correction_requests"
    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withdrawn', 'cancelled')",
            name="status",
        ),
    )

    employee_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("employees.id", ondelete="RESTRICT"), index=True
    )
    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    punch_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("attendance_punches.id", ondelete="RESTRICT")
    )
    direction: Mapped[str] = mapped_column(String(3))
    at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    void: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    approval_request_id: Mapped[int | None] = mapped_column(IdType, index=True)
    result_punch_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("attendance_punches.id", ondelete="RESTRICT")
    )
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
