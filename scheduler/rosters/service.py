"""Roster use cases the API and the CLI share, composed from jobs, versions and store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.db.paging import Page, paginate
from scheduler.org.models import Department, Team
from scheduler.people.models import Employee
from scheduler.rosters.models import Roster, RosterJob, RosterVersion
from scheduler.rosters.store import Scope, cells_of
from scheduler.rosters.versions import diff_cells
from scheduler.rosters.views import TOLD_STATUSES


async def scope_of(session: AsyncSession, roster: Roster) -> Scope:
    """The department and team of a roster."""
    department = await session.get(Department, roster.department_id)
    assert department is not None
    team = await session.get(Team, roster.team_id) if roster.team_id else None
    return Scope(department=department, team=team)


async def list_rosters(
    session: AsyncSession,
    actor: Principal,
    *,
    department_id: int | None,
    team_id: int | None,
    month: dt.date | None,
    limit: int,
    offset: int,
) -> Page[Roster]:
    """Rosters the caller may see, newest month first.

    Agents and QA inspectors see their department's rosters staff were told (README, "Roles"):
    a roster that is still only a draft is not listed for them, as ``GET /rosters/{id}`` and
    its draft versions are not readable by them either.
    """
    stmt = select(Roster).order_by(Roster.month.desc(), Roster.id)
    if not actor.is_org_wide:
        stmt = stmt.where(Roster.department_id == (actor.department_id or -1))
    if not actor.is_org_wide and not actor.can_read_department(actor.department_id or -1):
        stmt = stmt.where(
            exists().where(
                RosterVersion.roster_id == Roster.id, RosterVersion.status.in_(TOLD_STATUSES)
            )
        )
    if department_id is not None:
        stmt = stmt.where(Roster.department_id == department_id)
    if team_id is not None:
        stmt = stmt.where(Roster.team_id == team_id)
    if month is not None:
        stmt = stmt.where(Roster.month == month)
    return await paginate(session, stmt, limit, offset)


async def versions_of(
    session: AsyncSession, roster_id: int, actor: Principal | None = None
) -> list[RosterVersion]:
    """Every version of a roster, oldest first; for ``actor``, only those they may read.

    Someone who cannot read the department's drafts (an agent, a QA inspector) gets only the
    versions staff were told, so a roster's summary never shows them a draft's existence, cost
    or violations that ``GET /rosters/{id}/versions/{n}`` refuses them.
    """
    stmt = (
        select(RosterVersion)
        .where(RosterVersion.roster_id == roster_id)
        .order_by(RosterVersion.number)
    )
    rows = list((await session.scalars(stmt)).all())
    if actor is None:
        return rows
    roster = await session.get(Roster, roster_id)
    if roster is not None and actor.can_read_department(roster.department_id):
        return rows
    return [v for v in rows if v.status in TOLD_STATUSES]


@dataclass(frozen=True, slots=True)
class Change:
    """One changed cell, for people."""

    employee_id: int
    employee: str
    date: dt.date
    before: str | None
    after: str | None


async def job_changes(session: AsyncSession, job: RosterJob) -> list[Change]:
    """For a finished repair: what its draft changes against the published roster it repaired."""
    if job.kind != "repair" or job.base_version_id is None or job.result_version_id is None:
        return []
    before = await cells_of(session, job.base_version_id)
    after = await cells_of(session, job.result_version_id)
    rows = diff_cells(before, after)
    result = await session.execute(
        select(Employee.id, Employee.name).where(Employee.id.in_({r[0] for r in rows}))
    )
    names = {emp_id: name for emp_id, name in result.all()}
    return [Change(e, names.get(e, str(e)), d, a, b) for e, d, a, b in rows]


async def version_number(session: AsyncSession, version_id: int | None) -> int | None:
    """The number of a version id (jobs store ids; people use numbers)."""
    if version_id is None:
        return None
    return await session.scalar(select(RosterVersion.number).where(RosterVersion.id == version_id))
