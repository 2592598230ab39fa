"""The shift-type table.

Times are local wall-clock minutes after midnight of the shift's date in the department's zone;
``end_minute`` may pass 1440, so the late shift 15:00-24:00 is (900, 1440) and a night shift
22:00-06:00 is (1320, 1800). Minutes, not TIME columns, because 24:00 is not a TIME value and
both databases store integers the same way.
"""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db.base import Base, IdMixin, IdType, TimestampMixin


class ShiftType(IdMixin, TimestampMixin, Base):
    """One kind of shift a department rosters."""

    __tablename__ = "shift_types"
    __table_args__ = (
        UniqueConstraint("department_id", "code"),
        CheckConstraint("start_minute >= 0 AND start_minute < 1440", name="start_in_day"),
        CheckConstraint(
            "end_minute > start_minute AND end_minute <= start_minute + 1440",
            name="end_after_start",
        ),
    )

    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    #: Counts as a late shift for fairness, and is never staffed by one person alone.
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    never_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    colour: Mapped[str] = mapped_column(String(7), default="#9ecae1")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
