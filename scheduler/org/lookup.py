"""Finding departments, teams and employees by the names operators type at a command line.

The command line names things as people do (a department code, a team name, a staff number);
these lookups turn those into rows, raising a NotFoundError or ValidationFailedError that says
what was not found or what is ambiguous.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.errors import NotFoundError, ValidationFailedError
from scheduler.org.models import Department, Team
from scheduler.people.models import Employee


async def department_by_code_or_id(session: AsyncSession, text: str) -> Department:
    """A department by its code, or by its id when ``text`` is a number."""
    stmt = select(Department).where(Department.code == text)
    if text.isdigit():
        stmt = select(Department).where((Department.code == text) | (Department.id == int(text)))
    department = await session.scalar(stmt)
    if department is None:
        raise NotFoundError(f"no department {text!r}")
    return department


async def all_departments(session: AsyncSession) -> list[Department]:
    """Every department, by code."""
    return list((await session.scalars(select(Department).order_by(Department.code))).all())


async def team_by_name_or_id(
    session: AsyncSession, text: str, department: Department | None
) -> Team:
    """A team by name (within ``department`` when given), or by id when ``text`` is a number."""
    stmt = (
        select(Team).where(Team.id == int(text))
        if text.isdigit()
        else select(Team).where(Team.name == text)
    )
    if department is not None:
        stmt = stmt.where(Team.department_id == department.id)
    found = list((await session.scalars(stmt)).all())
    if not found:
        raise NotFoundError(f"no team {text!r}")
    if len(found) > 1:
        raise ValidationFailedError(f"several teams are called {text!r}; name the department too")
    return found[0]


async def employee_id_by_staff_no(session: AsyncSession, staff_no: str) -> int:
    """An employee's id from their staff number."""
    employee_id = await session.scalar(select(Employee.id).where(Employee.staff_no == staff_no))
    if employee_id is None:
        raise NotFoundError(f"no employee with staff number {staff_no!r}")
    return int(employee_id)


async def employees_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Employee]:
    """Employees keyed by id."""
    rows = (await session.scalars(select(Employee).where(Employee.id.in_(set(ids))))).all()
    return {e.id: e for e in rows}
