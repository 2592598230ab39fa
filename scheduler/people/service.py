"""Employees: create, read, update, deactivate, list, all within the caller's scope."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.db.paging import Page, paginate
from scheduler.errors import ConflictError, NotFoundError, ValidationFailedError
from scheduler.org.models import Department, Team
from scheduler.people.models import CONTRACT_KINDS, Employee

FLAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
#: Flags the roster rules read; others are free skills (e.g. "english", "chat").
KNOWN_FLAGS = frozenset({"trainee"})


@dataclass(slots=True)
class EmployeeData:
    """The fields of an employee a client sets."""

    staff_no: str
    name: str
    department_id: int
    hire_date: dt.date
    team_id: int | None = None
    active: bool = True
    flags: list[str] = field(default_factory=list)
    contract_kind: str = "days"
    contract_min: int | None = None
    contract_max: int | None = None
    email: str | None = None
    phone: str | None = None


def field_problems(data: EmployeeData) -> list[dict[str, Any]]:
    """Rule checks that need no database; shared by single create, update and CSV import."""
    errors: list[dict[str, Any]] = []
    if not data.staff_no.strip():
        errors.append({"field": "staff_no", "message": "must not be empty"})
    if not data.name.strip():
        errors.append({"field": "name", "message": "must not be empty"})
    if data.contract_kind not in CONTRACT_KINDS:
        errors.append({"field": "contract_kind", "message": "must be 'days' or 'hours'"})
    limit = 31 if data.contract_kind == "days" else 31 * 24
    for name in ("contract_min", "contract_max"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= limit:
            errors.append(
                {
                    "field": name,
                    "message": f"must be between 0 and {limit} {data.contract_kind} per month",
                }
            )
    if (
        data.contract_min is not None
        and data.contract_max is not None
        and data.contract_min > data.contract_max
    ):
        errors.append({"field": "contract_min", "message": "must not exceed contract_max"})
    for flag in data.flags:
        if not FLAG_PATTERN.match(flag):
            errors.append(
                {"field": "flags", "message": f"{flag!r}: lowercase letters, digits, - and _ only"}
            )
    if data.hire_date > dt.date(2100, 1, 1) or data.hire_date < dt.date(1950, 1, 1):
        errors.append({"field": "hire_date", "message": "must be a plausible date"})
    return errors


async def _check_team(
    session: AsyncSession, team_id: int | None, department_id: int
) -> list[dict[str, Any]]:
    if team_id is None:
        return []
    team = await session.get(Team, team_id)
    if team is None:
        return [{"field": "team_id", "message": f"team {team_id} does not exist"}]
    if team.department_id != department_id:
        return [{"field": "team_id", "message": f"team {team_id} belongs to another department"}]
    return []


async def create_employee(session: AsyncSession, actor: Principal, data: EmployeeData) -> Employee:
    """One new employee in a department the caller may onboard into."""
    if await session.get(Department, data.department_id) is None:
        raise ValidationFailedError(
            f"department {data.department_id} does not exist",
            errors=[{"field": "department_id", "message": "no such department"}],
        )
    actor.require(actor.can_onboard_into(data.department_id), "create employees in this department")
    errors = field_problems(data) + await _check_team(session, data.team_id, data.department_id)
    if errors:
        raise ValidationFailedError("the employee cannot be created as given", errors=errors)
    if await session.scalar(select(Employee.id).where(Employee.staff_no == data.staff_no)):
        raise ConflictError(f"staff number {data.staff_no!r} is already in use", field="staff_no")
    employee = Employee(
        staff_no=data.staff_no.strip(),
        name=data.name.strip(),
        department_id=data.department_id,
        team_id=data.team_id,
        hire_date=data.hire_date,
        active=data.active,
        flags=sorted(set(data.flags)),
        contract_kind=data.contract_kind,
        contract_min=data.contract_min,
        contract_max=data.contract_max,
        email=data.email,
        phone=data.phone,
    )
    session.add(employee)
    await session.commit()
    return employee


async def get_employee(session: AsyncSession, actor: Principal, employee_id: int) -> Employee:
    """An employee the caller may see (404 otherwise, so scope does not leak existence)."""
    employee = await session.get(Employee, employee_id)
    if employee is None or not actor.can_read_employee(employee.id, employee.department_id):
        raise NotFoundError(f"employee {employee_id} not found")
    return employee


@dataclass(frozen=True, slots=True)
class EmployeeFilter:
    """List filters; None means any."""

    department_id: int | None = None
    team_id: int | None = None
    active: bool | None = None
    flag: str | None = None
    q: str | None = None


async def list_employees(
    session: AsyncSession, actor: Principal, filters: EmployeeFilter, limit: int, offset: int
) -> Page[Employee]:
    """Employees the caller may see, filtered and paged, ordered by staff number."""
    stmt = select(Employee).order_by(Employee.staff_no)
    if actor.is_org_wide:
        pass
    elif actor.can_read_department(actor.department_id or -1):
        stmt = stmt.where(Employee.department_id == actor.department_id)
    else:
        stmt = stmt.where(Employee.id == (actor.employee_id or -1))
    if filters.department_id is not None:
        stmt = stmt.where(Employee.department_id == filters.department_id)
    if filters.team_id is not None:
        stmt = stmt.where(Employee.team_id == filters.team_id)
    if filters.active is not None:
        stmt = stmt.where(Employee.active.is_(filters.active))
    if filters.q:
        # autoescape: a "%" or "_" the user types is a character to find, not a wildcard.
        needle = filters.q.strip()
        stmt = stmt.where(
            or_(
                Employee.name.icontains(needle, autoescape=True),
                Employee.staff_no.icontains(needle, autoescape=True),
            )
        )
    page = await paginate(
        session, stmt, limit if not filters.flag else 100_000, offset if not filters.flag else 0
    )
    if filters.flag:
        # flags is a small JSON list; filtering in Python keeps one query for both databases.
        matching = [e for e in page.items if filters.flag in (e.flags or [])]
        return Page(
            items=matching[offset : offset + limit], total=len(matching), limit=limit, offset=offset
        )
    return page


UPDATABLE = frozenset(
    {
        "name",
        "team_id",
        "hire_date",
        "active",
        "flags",
        "contract_kind",
        "contract_min",
        "contract_max",
        "email",
        "phone",
    }
)


async def update_employee(
    session: AsyncSession,
    actor: Principal,
    employee_id: int,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Employee:
    """Change some fields of an employee; a stale ``expected_version`` is a 409, not a lost update."""
    employee = await get_employee(session, actor, employee_id)
    actor.require(
        actor.can_manage_department(employee.department_id), "change employees of this department"
    )
    if expected_version is not None and expected_version != employee.version:
        raise ConflictError(
            f"employee {employee_id} is at version {employee.version}, not {expected_version}; reload it",
            current_version=employee.version,
        )
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValidationFailedError(
            "these fields cannot be changed here",
            errors=[{"field": f, "message": "not updatable"} for f in sorted(unknown)],
        )
    merged = EmployeeData(
        staff_no=employee.staff_no,
        name=changes.get("name", employee.name),
        department_id=employee.department_id,
        hire_date=changes.get("hire_date", employee.hire_date),
        team_id=changes.get("team_id", employee.team_id),
        active=changes.get("active", employee.active),
        flags=list(changes.get("flags", employee.flags)),
        contract_kind=changes.get("contract_kind", employee.contract_kind),
        contract_min=changes.get("contract_min", employee.contract_min),
        contract_max=changes.get("contract_max", employee.contract_max),
        email=changes.get("email", employee.email),
        phone=changes.get("phone", employee.phone),
    )
    errors = field_problems(merged) + await _check_team(
        session, merged.team_id, merged.department_id
    )
    if errors:
        raise ValidationFailedError("the employee cannot be changed as given", errors=errors)
    for key, value in changes.items():
        setattr(employee, key, sorted(set(value)) if key == "flags" else value)
    await session.commit()
    return employee
