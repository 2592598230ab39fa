"""Finding rosters, versions and cells: the queries every roster feature shares.

"The roster of record" for a scope and month is its latest published version. Helpers here are
read-only; changes go through ``versions`` (drafts, edits, publish) and ``jobs`` (solves).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.errors import NotFoundError, ValidationFailedError
from scheduler.org.models import Department, Team
from scheduler.rosters.models import Roster, RosterCell, RosterVersion


def month_start(value: dt.date) -> dt.date:
    """The first day of the month ``value`` falls in."""
    return value.replace(day=1)


def month_end(value: dt.date) -> dt.date:
    """The last day of the month ``value`` falls in."""
    first_next = (value.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - dt.timedelta(days=1)


#: The years a month may name. Rosters, attendance and exports of other years are typing mistakes
#: ("26-11", "9999-12"), and a month at the calendar's end would overflow the week after it that
#: the month-boundary rules read.
FIRST_YEAR, LAST_YEAR = 2000, 2100
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def parse_month(text: str) -> dt.date:
    """``"2026-12"`` to 2026-12-01, or a 422 naming the field."""
    found = _MONTH.fullmatch(text.strip())
    if found is None:
        raise ValidationFailedError(
            f"month {text!r} is not YYYY-MM",
            errors=[{"field": "month", "message": "expected YYYY-MM, e.g. 2026-12"}],
        )
    year = int(found.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailedError(
            f"month {text!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}",
            errors=[{"field": "month", "message": f"a year from {FIRST_YEAR} to {LAST_YEAR}"}],
        )
    return dt.date(year, int(found.group(2)), 1)


def scope_key(department_id: int, team_id: int | None) -> str:
    """The unique key of a roster's scope."""
    return f"team:{team_id}" if team_id is not None else f"department:{department_id}"


@dataclass(frozen=True, slots=True)
class Scope:
    """Who a roster is for: a team of a department, or the whole department."""

    department: Department
    team: Team | None

    @property
    def key(self) -> str:
        """Unique key (see ``scope_key``)."""
        return scope_key(self.department.id, self.team.id if self.team else None)

    @property
    def label(self) -> str:
        """For people: "Customer Service / Team A"."""
        return f"{self.department.name} / {self.team.name}" if self.team else self.department.name


async def resolve_scope(
    session: AsyncSession, actor: Principal, department_id: int | None, team_id: int | None
) -> Scope:
    """The scope a request names, checked against the caller's department scope (404 outside)."""
    team = None
    if team_id is not None:
        team = await session.get(Team, team_id)
        if team is None or not actor.belongs_to(team.department_id):
            raise NotFoundError(f"team {team_id} not found")
        if department_id is not None and department_id != team.department_id:
            raise ValidationFailedError(
                f"team {team_id} is not in department {department_id}",
                errors=[{"field": "team_id", "message": "belongs to another department"}],
            )
        department_id = team.department_id
    if department_id is None:
        raise ValidationFailedError(
            "name a team or a department",
            errors=[{"field": "team_id", "message": "team_id or department_id is required"}],
        )
    department = await session.get(Department, department_id)
    if department is None or not actor.belongs_to(department_id):
        raise NotFoundError(f"department {department_id} not found")
    return Scope(department=department, team=team)


async def get_roster(session: AsyncSession, actor: Principal, roster_id: int) -> Roster:
    """A roster in the caller's department scope."""
    roster = await session.get(Roster, roster_id)
    if roster is None or not actor.can_read_department(roster.department_id):
        raise NotFoundError(f"roster {roster_id} not found")
    return roster


async def get_version(session: AsyncSession, roster: Roster, number: int) -> RosterVersion:
    """Version ``number`` of a roster."""
    version = await session.scalar(
        select(RosterVersion).where(
            RosterVersion.roster_id == roster.id, RosterVersion.number == number
        )
    )
    if version is None:
        raise NotFoundError(f"roster {roster.id} has no version {number}")
    return version


async def published_version(session: AsyncSession, roster_id: int) -> RosterVersion | None:
    """The roster of record: the latest published version, if any."""
    return await session.scalar(
        select(RosterVersion)
        .where(RosterVersion.roster_id == roster_id, RosterVersion.status == "published")
        .order_by(RosterVersion.number.desc())
        .limit(1)
    )


async def cells_of(session: AsyncSession, version_id: int) -> list[RosterCell]:
    """Every cell of a version, by person then date."""
    stmt = (
        select(RosterCell)
        .where(RosterCell.version_id == version_id)
        .order_by(RosterCell.employee_id, RosterCell.date)
    )
    return list((await session.scalars(stmt)).all())


@dataclass(frozen=True, slots=True)
class PublishedCell:
    """A person's published cell, with the shift's times as published."""

    employee_id: int
    date: dt.date
    shift_code: str | None
    absence: str | None
    shift: dict[str, object] | None
    roster_id: int
    version_number: int
    timezone: str


async def published_cells_for_employee(
    session: AsyncSession, employee_id: int, start: dt.date, end: dt.date
) -> list[PublishedCell]:
    """What a person was told, day by day: cells of the roster of record of each month.

    Used by the calendar feed, ``/me/shifts`` and attendance. Months without a published
    roster simply contribute nothing.
    """
    out: list[PublishedCell] = []
    stmt = (
        select(RosterCell, RosterVersion, Roster, Department.timezone)
        .join(RosterVersion, RosterVersion.id == RosterCell.version_id)
        .join(Roster, Roster.id == RosterVersion.roster_id)
        .join(Department, Department.id == Roster.department_id)
        .where(
            RosterCell.employee_id == employee_id,
            RosterCell.date >= start,
            RosterCell.date <= end,
            RosterVersion.status == "published",
        )
        .order_by(RosterCell.date, RosterVersion.number.desc())
    )
    seen: set[dt.date] = set()
    for cell, version, roster, zone in (await session.execute(stmt)).all():
        if cell.date in seen:
            continue  # an older published version of the same day
        seen.add(cell.date)
        snapshot = version.shift_snapshot.get(cell.shift_code) if cell.shift_code else None
        out.append(
            PublishedCell(
                employee_id=cell.employee_id,
                date=cell.date,
                shift_code=cell.shift_code,
                absence=cell.absence,
                shift=snapshot,
                roster_id=roster.id,
                version_number=version.number,
                timezone=zone,
            )
        )
    return out
