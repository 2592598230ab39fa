"""Tables of the organisation structure.

A department carries its IANA time zone and country because shift times are wall-clock times of
the department and the statutory holiday calendar is the country's.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.db.base import Base, IdMixin, IdType, TimestampMixin


class Organisation(IdMixin, TimestampMixin, Base):
    """The company; one installation normally holds one."""

    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    departments: Mapped[list[Department]] = relationship(back_populates="organisation")


class Department(IdMixin, TimestampMixin, Base):
    """A customer-service department: the unit that owns a roster and its rules."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    organisation_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(50), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    country: Mapped[str] = mapped_column(String(2), default="CN")

    organisation: Mapped[Organisation] = relationship(back_populates="departments")
    teams: Mapped[list[Team]] = relationship(back_populates="department", order_by="Team.name")


class Team(IdMixin, TimestampMixin, Base):
    """A team inside a department; rosters are usually generated per team."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("department_id", "name"),)

    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))

    department: Mapped[Department] = relationship(back_populates="teams")
