"""Tables of shift swaps (换班).

A :class:`SwapRequest` trades the requester's shift on ``requester_date`` against the colleague's
shift on ``colleague_date`` (same or another date), or gives it away (``colleague_date`` None).
Every cell a swap would change is claimed in :class:`SwapClaim` while the swap is open; the
primary key on (employee, date) is what makes "one shift in at most one open swap" hold under
concurrency on both databases.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db.base import Base, IdMixin, IdType, JsonType, TimestampMixin, UTCDateTime

SWAP_STATUSES = (
    "proposed",
    "accepted",
    "declined",
    "approved",
    "rejected",
    "withdrawn",
    "cancelled",
)
OPEN_SWAP_STATUSES = ("proposed", "accepted")


class SwapRequest(IdMixin, TimestampMixin, Base):
    """One proposed swap or give-away, and where it got to.

    ``status``: ``proposed`` (waiting for the colleague), ``accepted`` (the colleague agreed; an
    approval request waits for the manager), ``declined``, ``approved`` (the roster changed),
    ``rejected``, ``withdrawn``, ``cancelled`` (a shift changed or started before approval).
    ``requester_shift`` / ``colleague_shift`` are the shifts as the roster said at proposal; a
    differing published cell at approval time cancels the swap.
    """

    __tablename__ = "swap_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed', 'accepted', 'declined', 'approved', 'rejected', "
            "'withdrawn', 'cancelled')",
            name="status",
        ),
    )

    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    requester_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("employees.id", ondelete="RESTRICT"), index=True
    )
    requester_date: Mapped[dt.date] = mapped_column(Date)
    requester_shift: Mapped[str] = mapped_column(String(20))
    colleague_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("employees.id", ondelete="RESTRICT"), index=True
    )
    colleague_date: Mapped[dt.date | None] = mapped_column(Date)
    colleague_shift: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    response_note: Mapped[str | None] = mapped_column(Text)
    approval_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("approval_requests.id", ondelete="SET NULL")
    )
    #: Hard rule violations of the roster as it would be after the swap (checked on acceptance
    #: and again on every read by an approver).
    violations: Mapped[list[Any]] = mapped_column(JsonType, default=list)
    roster_versions: Mapped[list[Any]] = mapped_column(JsonType, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=1)


class SwapClaim(Base):
    """A roster cell (person, date) that an open swap would change."""

    __tablename__ = "swap_claims"

    employee_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True
    )
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    swap_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("swap_requests.id", ondelete="CASCADE"), index=True
    )
