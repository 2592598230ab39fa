"""Tables of rosters.

A roster is one scope (a team, or a whole department) and one month. It has numbered versions:
drafts the manager edits and published versions that are immutable records of what staff were
told. Each version holds one cell per person per date, plus a snapshot of the shift types it used
(so editing a shift type later never rewrites a published roster). Solve jobs live in rota's own
table so the API can answer about progress without asking the job queue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.db.base import Base, IdMixin, IdType, JsonType, TimestampMixin, UTCDateTime, utcnow

#: A roster's cost (the solver's objective): weights up to 1,000,000 take it past 32 bits.
#: SQLite's INTEGER is 64-bit already.
CostType = BigInteger().with_variant(Integer(), "sqlite")


class RosterConfig(TimestampMixin, Base):
    """A department's roster settings: demand, rules and weights, meeting slot, calendar options.

    One JSON document validated by ``scheduler.rosters.config``; versioned so two managers
    editing it at once get a 409 instead of overwriting each other.
    """

    __tablename__ = "roster_configs"

    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[dict[str, Any]] = mapped_column(JsonType)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012


class CalendarDay(IdMixin, TimestampMixin, Base):
    """A company-specific day on top of the country's statutory calendar.

    ``kind`` is ``holiday`` (a day off for the company, e.g. its anniversary), ``workday`` (a
    make-up working day the country's calendar does not have) or ``not_holiday`` (the company
    works a statutory holiday as a normal day).
    """

    __tablename__ = "calendar_days"
    __table_args__ = (
        UniqueConstraint("department_id", "date"),
        CheckConstraint("kind IN ('holiday', 'workday', 'not_holiday')", name="kind"),
    )

    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))


class Roster(IdMixin, TimestampMixin, Base):
    """One scope and month; ``scope_key`` is ``team:<id>`` or ``department:<id>``."""

    __tablename__ = "rosters"
    __table_args__ = (UniqueConstraint("scope_key", "month"),)

    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("teams.id", ondelete="RESTRICT"), index=True
    )
    scope_key: Mapped[str] = mapped_column(String(40))
    #: The first day of the month.
    month: Mapped[dt.date] = mapped_column(Date)

    versions: Mapped[list[RosterVersion]] = relationship(
        back_populates="roster", order_by="RosterVersion.number"
    )


class RosterVersion(IdMixin, TimestampMixin, Base):
    """A numbered version of a roster: a draft, or a published (immutable) record.

    ``status``: ``draft`` (editable), ``published`` (the roster of record until a later
    version is published), ``superseded`` (a published version replaced by a later one), or
    ``discarded`` (a draft dropped). ``revision`` counts edits of a draft, for optimistic locking.
    """

    __tablename__ = "roster_versions"
    __table_args__ = (
        UniqueConstraint("roster_id", "number"),
        CheckConstraint(
            "status IN ('draft', 'published', 'superseded', 'discarded')", name="status"
        ),
        CheckConstraint(
            "origin IN ('solve', 'repair', 'edit', 'leave', 'swap', 'import')", name="origin"
        ),
    )

    roster_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("rosters.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    origin: Mapped[str] = mapped_column(String(20), default="solve")
    based_on_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("roster_versions.id", ondelete="SET NULL")
    )
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    published_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    #: Shift types as they were when this version was made: {code: {name, start, end, late, colour}}.
    shift_snapshot: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    #: The solver's problem (JSON) this version answers, so edits are checked against the same rules.
    problem: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    objective: Mapped[int | None] = mapped_column(CostType)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    solve_stats: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    hard_violations: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    roster: Mapped[Roster] = relationship(back_populates="versions")
    cells: Mapped[list[RosterCell]] = relationship(
        back_populates="version",
        cascade="all, delete-orphan",
        order_by="(RosterCell.employee_id, RosterCell.date)",
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": revision}  # noqa: RUF012


class RosterCell(Base):
    """One person on one date in one version: a shift, a rest day, or leave."""

    __tablename__ = "roster_cells"
    __table_args__ = (Index("ix_roster_cells_employee_date", "employee_id", "date"),)

    version_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("roster_versions.id", ondelete="CASCADE"), primary_key=True
    )
    employee_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("employees.id", ondelete="RESTRICT"), primary_key=True
    )
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    #: Shift type code, or None for no shift (rest, or leave when ``absence`` is set).
    shift_code: Mapped[str | None] = mapped_column(String(20))
    #: Leave type code when the person is on leave that day.
    absence: Mapped[str | None] = mapped_column(String(30))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)

    version: Mapped[RosterVersion] = relationship(back_populates="cells")


class RosterEdit(IdMixin, Base):
    """The audit of one manual edit of a draft cell, with the violations it caused."""

    __tablename__ = "roster_edits"

    version_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("roster_versions.id", ondelete="CASCADE"), index=True
    )
    employee_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("employees.id", ondelete="RESTRICT")
    )
    date: Mapped[dt.date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(20))
    from_shift: Mapped[str | None] = mapped_column(String(20))
    to_shift: Mapped[str | None] = mapped_column(String(20))
    violations: Mapped[list[Any]] = mapped_column(JsonType, default=list)
    override_reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


JOB_STATUSES = ("queued", "running", "succeeded", "infeasible", "failed", "cancelled")


class RosterJob(IdMixin, TimestampMixin, Base):
    """A request to generate or repair a roster, and its progress.

    A worker claims it (``running``), beats a heartbeat while solving, and ends it. A job whose
    heartbeat stops (the worker died) is marked ``failed`` by the sweeper and can be retried.
    """

    __tablename__ = "roster_jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'infeasible', 'failed', 'cancelled')",
            name="status",
        ),
        CheckConstraint("kind IN ('generate', 'repair')", name="kind"),
        Index("ix_roster_jobs_status_heartbeat", "status", "heartbeat_at"),
    )

    roster_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("rosters.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="generate")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    base_version_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("roster_versions.id", ondelete="SET NULL")
    )
    result_version_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("roster_versions.id", ondelete="SET NULL")
    )
    retry_of_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("roster_jobs.id", ondelete="SET NULL")
    )
    time_limit_s: Mapped[float] = mapped_column(Float, default=60.0)
    worker: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    objective: Mapped[int | None] = mapped_column(CostType)
    best_bound: Mapped[float | None] = mapped_column(Float)
    gap: Mapped[float | None] = mapped_column(Float)
    elapsed_s: Mapped[float | None] = mapped_column(Float)
    solutions: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class ShiftWish(IdMixin, TimestampMixin, Base):
    """A person's wish for a future roster: a shift on, a shift off, or a day off (soft)."""

    __tablename__ = "shift_wishes"
    __table_args__ = (
        UniqueConstraint("employee_id", "date"),
        CheckConstraint("kind IN ('shift_on', 'shift_off', 'day_off')", name="kind"),
        CheckConstraint("weight BETWEEN 1 AND 10", name="weight"),
    )

    employee_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    shift_code: Mapped[str | None] = mapped_column(String(20))
    weight: Mapped[int] = mapped_column(Integer, default=3)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
