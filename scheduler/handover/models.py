"""The handover note table (交接).

One note per team, date and handing-over shift: the early shift writes for the late shift of the
same day, the late shift for the next morning. Free text plus open items ([{text, done}]).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db.base import Base, IdMixin, IdType, JsonType, TimestampMixin


class HandoverNote(IdMixin, TimestampMixin, Base):
    """What ``from_shift`` on ``date`` hands over to ``to_shift`` (on ``to_date``)."""

    __tablename__ = "handover_notes"
    __table_args__ = (UniqueConstraint("team_id", "date", "from_shift"),)

    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    team_id: Mapped[int] = mapped_column(IdType, ForeignKey("teams.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    from_shift: Mapped[str] = mapped_column(String(20))
    to_shift: Mapped[str] = mapped_column(String(20))
    #: The date of the receiving shift (the next day when the late shift hands to the morning).
    to_date: Mapped[dt.date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text, default="")
    open_items: Mapped[list[Any]] = mapped_column(JsonType, default=list)
    author_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012
