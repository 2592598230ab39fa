"""Tables of the shared approval mechanism.

An :class:`ApprovalRequest` is the approvable envelope around a business object of some
``kind`` (a leave request, a swap, an attendance correction); the object itself lives in its own
module's table and points back through ``subject_id``. The chain of :class:`ApprovalStep` rows is
copied from the department's policy when the request is submitted, so a later policy change never
rewrites a request in flight. Every transition writes one :class:`ApprovalEvent` in the same
transaction; :class:`ApprovalDelegation` records who may act for whom; and
:class:`ApprovalIdempotency` stores the answer to a decision sent with an ``Idempotency-Key``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.db.base import Base, IdMixin, IdType, JsonType, TimestampMixin, UTCDateTime, utcnow


class ApprovalPolicy(TimestampMixin, Base):
    """A department's approval chains per kind, as one JSON document (see ``policy.py``).

    Absent row means the default of DOMAIN.md. ``version`` guards concurrent edits.
    """

    __tablename__ = "approval_policies"

    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[dict[str, Any]] = mapped_column(JsonType)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012


class ApprovalRequest(IdMixin, TimestampMixin, Base):
    """One request climbing its chain.

    ``status``: ``pending`` (some step is waiting), ``approved`` (every step approved; the
    kind's handler has applied it), ``rejected`` (a step said no, with a reason), ``withdrawn``
    (the requester took it back while pending), ``cancelled`` (its subject went away, e.g. a swap
    whose shift changed). ``current_step`` is the position of the step waiting for a decision.
    ``revision`` grows with every transition: with the row lock it makes a second, concurrent
    decision see a changed request and fail with 409 (the only guard on SQLite, which has no
    row locks but serialises writers).
    """

    __tablename__ = "approval_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withdrawn', 'cancelled')",
            name="status",
        ),
        UniqueConstraint("kind", "subject_id"),
        Index("ix_approval_requests_department_status", "department_id", "status"),
    )

    #: What is being approved: ``leave``, ``swap``, ``attendance_correction``... (a registry key).
    kind: Mapped[str] = mapped_column(String(40))
    #: The id of the subject row in the kind's own table.
    subject_id: Mapped[int] = mapped_column(IdType)
    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="RESTRICT")
    )
    #: The user who submitted it (may differ from the subject person: sick leave by proxy).
    requester_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: The person the request is about; nobody may approve a request about themself.
    employee_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("employees.id", ondelete="RESTRICT"), index=True
    )
    summary: Mapped[str] = mapped_column(String(300), default="")
    #: Size used to pick the chain (working days of leave; 0 for swaps).
    days: Mapped[float] = mapped_column(Float, default=0)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    current_step: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer, default=1)

    steps: Mapped[list[ApprovalStep]] = relationship(
        back_populates="request", order_by="ApprovalStep.position", cascade="all, delete-orphan"
    )
    events: Mapped[list[ApprovalEvent]] = relationship(
        back_populates="request", order_by="ApprovalEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": revision}  # noqa: RUF012


class ApprovalStep(IdMixin, Base):
    """One step of a chain: who (a role, in a department or organisation-wide) decides, and how.

    ``status``: ``waiting`` (an earlier step is not done), ``pending`` (this step's turn),
    ``approved``, ``rejected``, ``skipped`` (the request ended before reaching it).
    """

    __tablename__ = "approval_steps"
    __table_args__ = (
        UniqueConstraint("request_id", "position"),
        CheckConstraint(
            "status IN ('waiting', 'pending', 'approved', 'rejected', 'skipped')", name="status"
        ),
        Index("ix_approval_steps_role_status", "role", "status"),
    )

    request_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("approval_requests.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    #: The department a department role must belong to; None for HR / GM (organisation-wide).
    department_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="RESTRICT")
    )
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    decided_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    #: When a delegate decided: the user they acted for.
    on_behalf_of: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(Text)

    request: Mapped[ApprovalRequest] = relationship(back_populates="steps")


class ApprovalEvent(IdMixin, Base):
    """The audit of one transition: who, when, from which state to which, and why."""

    __tablename__ = "approval_events"

    request_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("approval_requests.id", ondelete="CASCADE"), index=True
    )
    #: ``submit``, ``approve``, ``reject``, ``withdraw``, ``cancel``.
    action: Mapped[str] = mapped_column(String(20))
    step_position: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    on_behalf_of: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    request: Mapped[ApprovalRequest] = relationship(back_populates="events")


class ApprovalDelegation(IdMixin, TimestampMixin, Base):
    """``delegator`` lets ``delegate`` decide the steps of ``role`` (in a department) for dates."""

    __tablename__ = "approval_delegations"
    __table_args__ = (CheckConstraint("start_date <= end_date", name="dates"),)

    delegator_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    delegate_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="CASCADE")
    )
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ApprovalIdempotency(IdMixin, Base):
    """The stored answer to a decision sent with an ``Idempotency-Key`` (per user and key)."""

    __tablename__ = "approval_idempotency"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    #: sha256 of the operation and its payload; another payload under the same key is a 422.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JsonType)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
