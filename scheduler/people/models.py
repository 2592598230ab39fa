"""The employee table.

An employee belongs to a department and optionally a team of that same department (checked in
the service, since a cross-table check constraint is not portable). ``flags`` hold skills and
states such as ``trainee`` that roster rules read. The contract bounds how much a person may be
rostered in a month, in working days or in minutes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.db.base import Base, IdMixin, IdType, JsonType, TimestampMixin
from scheduler.org.models import Department, Team

CONTRACT_KINDS = ("days", "hours")


class Employee(IdMixin, TimestampMixin, Base):
    """A member of staff. Deactivated rather than deleted, so history stays attributable."""

    __tablename__ = "employees"
    __table_args__ = (
        CheckConstraint("contract_kind IN ('days', 'hours')", name="contract_kind"),
        CheckConstraint(
            "contract_min IS NULL OR contract_max IS NULL OR contract_min <= contract_max",
            name="contract_bounds",
        ),
        CheckConstraint("left_on IS NULL OR left_on >= hire_date", name="left_after_hire"),
    )

    staff_no: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    hire_date: Mapped[dt.date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The last working day of someone who left (set when deactivated, cleared when re-activated).
    #: Rosters keep them off every later day, so attendance never expects them after it.
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    #: The day the person joined their current team, when that was after the hire date (a team
    #: move). The team's rosters keep them off every earlier day: the old team rostered those.
    team_since: Mapped[dt.date | None] = mapped_column(Date)
    flags: Mapped[list[str]] = mapped_column(JsonType, default=list)
    contract_kind: Mapped[str] = mapped_column(String(10), default="days")
    #: Minimum per month, in days or in hours as ``contract_kind`` says.
    contract_min: Mapped[int | None] = mapped_column(Integer)
    #: Maximum per month, in days or in hours.
    contract_max: Mapped[int | None] = mapped_column(Integer)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: Secret in the URL of the person's calendar feed; rotating it revokes old subscriptions.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    department: Mapped[Department] = relationship()
    team: Mapped[Team | None] = relationship()

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012
