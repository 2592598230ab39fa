"""Organisations, departments and teams."""

from __future__ import annotations

from litestar import get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import ConflictProblem, UnprocessableProblem
from api.schemas.base import PageOut
from api.schemas.org import (
    DepartmentIn,
    DepartmentOut,
    OrganisationIn,
    OrganisationOut,
    TeamIn,
    TeamOut,
)
from api.schemas.query import Limit, Offset
from scheduler.auth.principal import Principal
from scheduler.org import service
from scheduler.org.models import Department, Organisation, Team


def org_out(org: Organisation) -> OrganisationOut:
    """Public view of an organisation."""
    return OrganisationOut(id=org.id, name=org.name)


def dept_out(dept: Department) -> DepartmentOut:
    """Public view of a department."""
    return DepartmentOut(
        id=dept.id,
        organisation_id=dept.organisation_id,
        name=dept.name,
        code=dept.code,
        timezone=dept.timezone,
        country=dept.country,
    )


def team_out(team: Team) -> TeamOut:
    """Public view of a team."""
    return TeamOut(id=team.id, department_id=team.department_id, name=team.name)


@get("/organisations", tags=["organisation"], summary="List organisations")
async def list_organisations(
    principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
) -> list[OrganisationOut]:
    """Every organisation (any signed-in user may know the company they work for)."""
    return [org_out(o) for o in await service.list_organisations(db_session)]


@post(
    "/organisations",
    tags=["organisation"],
    summary="Create an organisation",
    status_code=201,
    raises=[PermissionDeniedException, ConflictProblem],
)
async def create_organisation(
    data: JSONBody[OrganisationIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> OrganisationOut:
    """Admin only."""
    return org_out(await service.create_organisation(db_session, principal, data.name))


@post(
    "/departments",
    tags=["organisation"],
    summary="Create a department",
    status_code=201,
    raises=[PermissionDeniedException, ConflictProblem, UnprocessableProblem],
)
async def create_department(
    data: JSONBody[DepartmentIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> DepartmentOut:
    """Admin only; the time zone must be an IANA zone (shift times are local to it)."""
    dept = await service.create_department(
        db_session,
        principal,
        service.NewDepartment(
            organisation_id=data.organisation_id,
            name=data.name,
            code=data.code,
            timezone=data.timezone,
            country=data.country,
        ),
    )
    return dept_out(dept)


@get("/departments", tags=["organisation"], summary="List departments")
async def list_departments(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[DepartmentOut]:
    """All departments for HR, GM and admin; one's own for everybody else."""
    page = await service.list_departments(db_session, principal, limit, offset)
    return PageOut(
        items=[dept_out(d) for d in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@get(
    "/departments/{department_id:int}",
    tags=["organisation"],
    summary="One department",
    raises=[NotFoundException],
)
async def get_department(
    department_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> DepartmentOut:
    """A department in the caller's scope."""
    return dept_out(await service.get_department(db_session, principal, department_id))


@get(
    "/departments/{department_id:int}/teams",
    tags=["organisation"],
    summary="Teams of a department",
    raises=[NotFoundException],
)
async def list_teams(
    department_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> list[TeamOut]:
    """Teams, by name."""
    return [team_out(t) for t in await service.list_teams(db_session, principal, department_id)]


@post(
    "/departments/{department_id:int}/teams",
    tags=["organisation"],
    summary="Create a team",
    status_code=201,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem],
)
async def create_team(
    department_id: FromPath[int],
    data: JSONBody[TeamIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> TeamOut:
    """The department's manager (or admin) creates teams."""
    return team_out(await service.create_team(db_session, principal, department_id, data.name))


@get("/teams/{team_id:int}", tags=["organisation"], summary="One team", raises=[NotFoundException])
async def get_team(
    team_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> TeamOut:
    """A team in the caller's scope."""
    return team_out(await service.get_team(db_session, principal, team_id))


@patch(
    "/teams/{team_id:int}",
    tags=["organisation"],
    summary="Rename a team",
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem],
)
async def rename_team(
    team_id: FromPath[int],
    data: JSONBody[TeamIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> TeamOut:
    """The department's manager (or admin) renames teams."""
    return team_out(await service.rename_team(db_session, principal, team_id, data.name))


ROUTES = [
    list_organisations,
    create_organisation,
    create_department,
    list_departments,
    get_department,
    list_teams,
    create_team,
    get_team,
    rename_team,
]
