"""The user table: a login, its role and scope, and the employee it is (if any)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.db.base import Base, IdMixin, IdType, TimestampMixin, UTCDateTime
from scheduler.org.models import Department
from scheduler.people.models import Employee


class User(IdMixin, TimestampMixin, Base):
    """Someone who signs in. Department roles carry a department; organisation roles do not."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('agent', 'qa_inspector', 'team_lead', 'supervisor', 'dept_manager', 'hr', "
            "'gm', 'admin')",
            name="role",
        ),
        CheckConstraint(
            "(role IN ('hr', 'gm', 'admin')) OR department_id IS NOT NULL",
            name="department_scope",
        ),
    )

    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    employee_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("employees.id", ondelete="SET NULL"), unique=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Bumped when an administrator or manager resets the password; tokens of an earlier
    #: version are refused.
    password_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    department: Mapped[Department | None] = relationship()
    employee: Mapped[Employee | None] = relationship()
