"""Employees: CRUD, filters, and the CSV import."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, RawBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.openapi_extra import CSV_MEDIA_TYPE, upload_operation
from api.problems import ConflictProblem, UnprocessableProblem
from api.schemas.base import PageOut
from api.schemas.people import (
    ClearedCellOut,
    ClosedRequestOut,
    EmployeeChangeOut,
    EmployeeIn,
    EmployeeOut,
    EmployeePatch,
    ImportOut,
    RosterChangeOut,
    ShortfallOut,
)
from api.schemas.query import Limit, Offset, OptionalIdParam
from scheduler.auth.principal import Principal
from scheduler.people import csv_import, service
from scheduler.people.models import Employee


def employee_out(e: Employee) -> EmployeeOut:
    """Public view of an employee."""
    return EmployeeOut(**_employee_fields(e))


def _employee_fields(e: Employee) -> dict[str, Any]:
    return dict(
        id=e.id,
        staff_no=e.staff_no,
        name=e.name,
        department_id=e.department_id,
        team_id=e.team_id,
        team_since=e.team_since,
        hire_date=e.hire_date,
        active=e.active,
        left_on=e.left_on,
        flags=list(e.flags or []),
        contract_kind=e.contract_kind,
        contract_min=e.contract_min,
        contract_max=e.contract_max,
        email=e.email,
        phone=e.phone,
        version=e.version,
    )


@post(
    "/employees",
    tags=["people"],
    summary="Create an employee",
    status_code=201,
    raises=[PermissionDeniedException, UnprocessableProblem, ConflictProblem],
)
async def create_employee(
    data: JSONBody[EmployeeIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> EmployeeOut:
    """The department's manager, HR or admin adds a person; the team must be of that department."""
    employee = await service.create_employee(
        db_session,
        principal,
        service.EmployeeData(
            staff_no=data.staff_no,
            name=data.name,
            department_id=data.department_id,
            hire_date=data.hire_date,
            team_id=data.team_id,
            active=data.active,
            flags=list(data.flags),
            contract_kind=data.contract_kind,
            contract_min=data.contract_min,
            contract_max=data.contract_max,
            email=data.email,
            phone=data.phone,
        ),
    )
    return employee_out(employee)


@get("/employees", tags=["people"], summary="List employees")
async def list_employees(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    department_id: FromQuery[OptionalIdParam] = None,
    team_id: FromQuery[OptionalIdParam] = None,
    active: FromQuery[bool | None] = None,
    flag: FromQuery[str | None] = None,
    q: Annotated[
        str | None,
        QueryParameter(max_length=100, description="name or staff number contains"),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[EmployeeOut]:
    """Agents see themself; department roles their department; HR, GM and admin everyone."""
    page = await service.list_employees(
        db_session,
        principal,
        service.EmployeeFilter(
            department_id=department_id, team_id=team_id, active=active, flag=flag, q=q
        ),
        limit,
        offset,
    )
    return PageOut(
        items=[employee_out(e) for e in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@get(
    "/employees/{employee_id:int}",
    tags=["people"],
    summary="One employee",
    raises=[NotFoundException],
)
async def get_employee(
    employee_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> EmployeeOut:
    """An employee in the caller's scope."""
    return employee_out(await service.get_employee(db_session, principal, employee_id))


@patch(
    "/employees/{employee_id:int}",
    tags=["people"],
    summary="Change an employee",
    raises=[NotFoundException, PermissionDeniedException, UnprocessableProblem, ConflictProblem],
)
async def update_employee(
    employee_id: FromPath[int],
    data: JSONBody[EmployeePatch],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> EmployeeChangeOut:
    """The department's manager or admin; send ``version`` to be told (409) of a concurrent change.

    ``{"active": false, "left_on": "2026-12-10"}`` deactivates someone who has left: their shifts
    and leave after ``left_on`` are cleared from every published roster, each in a new published
    version listed in ``roster_versions``, with the days and shifts now below their minimum in
    ``shortfall`` (ask for a repair at its link); their pending leave, approved leave beginning
    after ``left_on`` and open swaps touching a later day are cancelled (``closed_requests``),
    and their login is disabled and signed out everywhere. ``{"team_id": 7, "from": "2026-12-10"}`` moves
    someone; the old team's published rosters lose their cells from ``from`` on. Re-activating
    clears ``left_on`` and does not give the cleared shifts back (``notes`` says so).
    """
    result = await service.update_employee(
        db_session,
        principal,
        employee_id,
        data.changes(),
        data.version,
        left_on=data.date_of("left_on"),
        moved_from=data.date_of("moved_from"),
    )
    return EmployeeChangeOut(
        **_employee_fields(result.employee),
        roster_versions=[
            RosterChangeOut(
                roster_id=v.roster_id,
                team_id=v.team_id,
                month=f"{v.month:%Y-%m}",
                number=v.number,
                cleared=[ClearedCellOut(c.date, c.shift_code, c.absence) for c in v.cleared],
            )
            for v in result.rosters.versions
        ],
        shortfall=[
            ShortfallOut(
                rule=str(s["rule"]),
                message=str(s["message"]),
                date=dt.date.fromisoformat(s["date"]) if s.get("date") else None,
                shift=s.get("shift"),
                roster_id=int(s["roster_id"]),
                repair=str(s["repair"]),
            )
            for s in result.rosters.shortfall
        ],
        closed_requests=[
            ClosedRequestOut(
                kind=c.kind,
                id=c.id,
                approval_id=c.approval_id,
                was=c.was,
                status=c.status,
                first_date=c.first_date,
                last_date=c.last_date,
            )
            for c in result.closed
        ],
        notes=list(result.notes),
    )


@post(
    "/departments/{department_id:int}/employees/import",
    tags=["people"],
    summary="Import employees from CSV (all or nothing)",
    status_code=201,
    raises=[PermissionDeniedException, UnprocessableProblem],
    request_max_body_size=csv_import.MAX_BYTES + 1024,
    operation_class=upload_operation(
        "The CSV file itself (UTF-8 or GB18030), one employee per row after a header row",
        CSV_MEDIA_TYPE,
    ),
)
async def import_employees(
    department_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    body: RawBody,
) -> ImportOut:
    """One bad row rejects the whole file with a row-by-row error list; nothing is written.

    Send the CSV file itself as the request body (``Content-Type: text/csv``, UTF-8 or GB18030).
    Columns: staff_no, name, hire_date (required); team, flags, contract_kind, contract_min,
    contract_max, email, phone, active (optional). Chinese headers (工号, 姓名, 入职日期, 班组)
    are understood too.
    """
    result = await csv_import.import_employees(db_session, principal, department_id, body)
    return ImportOut(
        created=len(result.created), employees=[employee_out(e) for e in result.created]
    )


ROUTES = [create_employee, list_employees, get_employee, update_employee, import_employees]
