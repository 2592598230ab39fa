"""Tables of leave: per-department overrides of leave types, balances, and requests.

The leave types themselves ship as defaults in ``types.py``; a department changes one by writing
a :class:`LeaveTypeSetting` row (only the fields it overrides). Balances are what a person is
entitled to in a year (annual leave) or has earned by working extra days (调休); what is used is
always summed from requests, never stored, so it cannot drift.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
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
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db.base import Base, IdMixin, IdType, JsonType, TimestampMixin, UTCDateTime

LEAVE_STATUSES = ("pending", "approved", "rejected", "withdrawn", "cancelled")
#: Statuses that hold the dates (and count against a balance).
ACTIVE_STATUSES = ("pending", "approved")


class LeaveTypeSetting(TimestampMixin, Base):
    """A department's override of one leave type's rules (``rules`` holds only changed fields)."""

    __tablename__ = "leave_type_settings"

    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class LeaveBalance(IdMixin, TimestampMixin, Base):
    """Days a person may take of a balance ``kind`` (``annual`` or ``toil``) in a year."""

    __tablename__ = "leave_balances"
    __table_args__ = (
        UniqueConstraint("employee_id", "year", "kind"),
        CheckConstraint("kind IN ('annual', 'toil')", name="kind"),
    )

    employee_id: Mapped[int] = mapped_column(IdType, ForeignKey("employees.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    days: Mapped[float] = mapped_column(Float, default=0)
    note: Mapped[str | None] = mapped_column(Text)


class LeaveRequest(IdMixin, TimestampMixin, Base):
    """One person's leave from ``start_date`` to ``end_date`` (inclusive), or half a day.

    ``half`` is ``am`` or ``pm`` for a half day (then start equals end), None for full days.
    ``days`` is the working days it takes, counted on the published roster (or the calendar).
    ``schedule`` lists each date with the shift it takes ([{date, shift, start, end, counted}]).
    ``certificate_due`` is set when a certificate is needed; ``certificate_ref`` once attached.
    """

    __tablename__ = "leave_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withdrawn', 'cancelled')",
            name="status",
        ),
        CheckConstraint("start_date <= end_date", name="dates"),
        CheckConstraint("half IS NULL OR half IN ('am', 'pm')", name="half"),
        Index("ix_leave_requests_employee_dates", "employee_id", "start_date", "end_date"),
    )

    employee_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("employees.id", ondelete="RESTRICT")
    )
    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    type_code: Mapped[str] = mapped_column(String(30))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    half: Mapped[str | None] = mapped_column(String(2))
    days: Mapped[float] = mapped_column(Float)
    schedule: Mapped[list[Any]] = mapped_column(JsonType, default=list)
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    filed_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    certificate_due: Mapped[dt.date | None] = mapped_column(Date)
    certificate_ref: Mapped[str | None] = mapped_column(String(500))
    certificate_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    approval_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("approval_requests.id", ondelete="SET NULL")
    )
    #: Roster versions published because of this leave.
    roster_versions: Mapped[list[Any]] = mapped_column(JsonType, default=list)
    #: Days and shifts below the minimum after the roster changed: [{date, shift, need, have}].
    shortfall: Mapped[list[Any]] = mapped_column(JsonType, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=1)
