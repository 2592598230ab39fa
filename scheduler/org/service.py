"""Organisation, departments and teams: creating and listing them within the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.db.paging import Page, paginate
from scheduler.errors import ConflictError, NotFoundError, ValidationFailedError
from scheduler.org.models import Department, Organisation, Team
from scheduler.shifts.defaults import add_default_shifts


async def get_or_create_organisation(session: AsyncSession, name: str) -> Organisation:
    """The installation's organisation (rota normally serves one company)."""
    org = await session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name)
        session.add(org)
        await session.flush()
    return org


async def list_organisations(session: AsyncSession) -> list[Organisation]:
    """Every organisation."""
    return list((await session.scalars(select(Organisation).order_by(Organisation.id))).all())


async def create_organisation(session: AsyncSession, actor: Principal, name: str) -> Organisation:
    """A new organisation (admin only)."""
    actor.require_admin("create organisations")
    if await session.scalar(select(Organisation.id).where(Organisation.name == name)):
        raise ConflictError(f"organisation {name!r} exists", field="name")
    org = Organisation(name=name)
    session.add(org)
    await session.commit()
    return org


@dataclass(frozen=True, slots=True)
class NewDepartment:
    """A department's identity, zone and country."""

    organisation_id: int
    name: str
    code: str
    timezone: str
    country: str


def _check_zone(zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailedError(
            f"{zone!r} is not an IANA time zone",
            errors=[{"field": "timezone", "message": "unknown time zone, e.g. Asia/Shanghai"}],
        ) from exc


async def create_department(
    session: AsyncSession, actor: Principal, data: NewDepartment
) -> Department:
    """A new department (admin only), with the default early and late shifts of DOMAIN.md.

    Its zone must be a real IANA zone: shift times are wall-clock times there.
    """
    actor.require_admin("create departments")
    _check_zone(data.timezone)
    if await session.get(Organisation, data.organisation_id) is None:
        raise ValidationFailedError(
            f"organisation {data.organisation_id} does not exist",
            errors=[{"field": "organisation_id", "message": "no such organisation"}],
        )
    if await session.scalar(select(Department.id).where(Department.code == data.code)):
        raise ConflictError(f"department code {data.code!r} is taken", field="code")
    if await session.scalar(
        select(Department.id).where(
            Department.organisation_id == data.organisation_id, Department.name == data.name
        )
    ):
        raise ConflictError(f"department {data.name!r} exists in this organisation", field="name")
    dept = Department(
        organisation_id=data.organisation_id,
        name=data.name,
        code=data.code,
        timezone=data.timezone,
        country=data.country.upper(),
    )
    session.add(dept)
    await session.flush()
    add_default_shifts(session, dept.id)
    await session.commit()
    return dept


async def list_departments(
    session: AsyncSession, actor: Principal, limit: int, offset: int
) -> Page[Department]:
    """Departments the caller may see: all for organisation roles, else their own."""
    stmt = select(Department).order_by(Department.id)
    if not actor.is_org_wide:
        stmt = stmt.where(Department.id == actor.department_id)
    return await paginate(session, stmt, limit, offset)


async def get_department(session: AsyncSession, actor: Principal, department_id: int) -> Department:
    """A department in the caller's scope (404 otherwise, so scope does not leak existence)."""
    dept = await session.get(Department, department_id)
    if dept is None or not (actor.is_org_wide or actor.department_id == department_id):
        raise NotFoundError(f"department {department_id} not found")
    return dept


async def create_team(
    session: AsyncSession, actor: Principal, department_id: int, name: str
) -> Team:
    """A new team in a department the caller manages."""
    await get_department(session, actor, department_id)
    actor.require(actor.can_manage_department(department_id), "create teams in this department")
    if await session.scalar(
        select(Team.id).where(Team.department_id == department_id, Team.name == name)
    ):
        raise ConflictError(f"team {name!r} exists in this department", field="name")
    team = Team(department_id=department_id, name=name)
    session.add(team)
    await session.commit()
    return team


async def list_teams(session: AsyncSession, actor: Principal, department_id: int) -> list[Team]:
    """Teams of a department in the caller's scope."""
    await get_department(session, actor, department_id)
    stmt = select(Team).where(Team.department_id == department_id).order_by(Team.name)
    return list((await session.scalars(stmt)).all())


async def get_team(session: AsyncSession, actor: Principal, team_id: int) -> Team:
    """A team in the caller's scope."""
    team = await session.get(Team, team_id)
    if team is None or not (actor.is_org_wide or actor.department_id == team.department_id):
        raise NotFoundError(f"team {team_id} not found")
    return team


async def rename_team(session: AsyncSession, actor: Principal, team_id: int, name: str) -> Team:
    """Rename a team of a department the caller manages."""
    team = await get_team(session, actor, team_id)
    actor.require(
        actor.can_manage_department(team.department_id), "rename teams in this department"
    )
    clash = await session.scalar(
        select(Team.id).where(
            Team.department_id == team.department_id, Team.name == name, Team.id != team.id
        )
    )
    if clash:
        raise ConflictError(f"team {name!r} exists in this department", field="name")
    team.name = name
    await session.commit()
    return team
