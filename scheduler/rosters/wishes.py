"""Staff wishes for next month's roster: a shift on, a shift off, or a day off, with a weight.

Wishes are soft: the solver honours them where the rules and demand allow, and every wish it
could not honour is named in the roster's cost breakdown ("Li Wei: day-off request on 12 Dec
not met, cost 3"). An agent files wishes for themself; the department's manager sees them all.
A wish can be changed or withdrawn until the month's roster is published.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.errors import ConflictError, NotFoundError, ValidationFailedError
from scheduler.org.models import Department
from scheduler.people.models import Employee
from scheduler.rosters.models import Roster, ShiftWish
from scheduler.rosters.store import (
    FIRST_YEAR,
    LAST_YEAR,
    month_end,
    month_start,
    published_version,
)
from scheduler.shifts.models import ShiftType

KINDS = ("shift_on", "shift_off", "day_off")
MAX_WEIGHT = 10
#: How many wishes one person may file for one month (so wishes stay wishes, not a roster).
MAX_PER_MONTH = 8


async def _published_for(session: AsyncSession, employee: Employee, day: dt.date) -> bool:
    rosters = (
        await session.scalars(
            select(Roster).where(
                Roster.department_id == employee.department_id, Roster.month == month_start(day)
            )
        )
    ).all()
    for roster in rosters:
        if (
            roster.team_id in (None, employee.team_id)
            and await published_version(session, roster.id) is not None
        ):
            return True
    return False


async def add_wish(
    session: AsyncSession,
    actor: Principal,
    employee_id: int,
    day: dt.date,
    kind: str,
    shift_code: str | None,
    weight: int,
    note: str | None,
    today: dt.date | None = None,
) -> ShiftWish:
    """File a wish (the person themself, or their department's manager on their behalf)."""
    employee = await session.get(Employee, employee_id)
    if employee is None or not actor.can_read_employee(employee.id, employee.department_id):
        raise NotFoundError(f"employee {employee_id} not found")
    if today is None:
        department = await session.get(Department, employee.department_id)
        assert department is not None
        today = dt.datetime.now(ZoneInfo(department.timezone)).date()
    actor.require(
        actor.employee_id == employee.id or actor.can_manage_department(employee.department_id),
        "file wishes for someone else",
    )
    errors = []
    if kind not in KINDS:
        errors.append({"field": "kind", "message": "shift_on, shift_off or day_off"})
    if kind == "day_off" and shift_code is not None:
        errors.append({"field": "shift_code", "message": "a day-off wish names no shift"})
    if kind in ("shift_on", "shift_off"):
        codes = set(
            (
                await session.scalars(
                    select(ShiftType.code).where(ShiftType.department_id == employee.department_id)
                )
            ).all()
        )
        if shift_code not in codes:
            errors.append(
                {
                    "field": "shift_code",
                    "message": f"one of {', '.join(sorted(codes)) or '(no shift types)'}",
                }
            )
    if not 1 <= weight <= MAX_WEIGHT:
        errors.append({"field": "weight", "message": f"between 1 and {MAX_WEIGHT}"})
    if day <= today:
        errors.append({"field": "date", "message": "wishes are for future days"})
    elif not FIRST_YEAR <= day.year <= LAST_YEAR:
        # The month of 9999-12-31 has no roster to come and its end overflowed the calendar
        # (a 422 that named no field); say which field, like a month outside these years.
        errors.append(
            {"field": "date", "message": f"a day of the years {FIRST_YEAR} to {LAST_YEAR}"}
        )
    if errors:
        raise ValidationFailedError("the wish cannot be filed as given", errors=errors)
    if await _published_for(session, employee, day):
        raise ConflictError(
            f"the roster of {day:%Y-%m} is already published; ask for a swap or leave instead"
        )
    same_day = await session.scalar(
        select(ShiftWish.id).where(ShiftWish.employee_id == employee.id, ShiftWish.date == day)
    )
    if same_day:
        raise ConflictError(
            f"there is already a wish for {day.isoformat()}; withdraw it first", wish_id=same_day
        )
    in_month = (
        await session.scalars(
            select(ShiftWish.id).where(
                ShiftWish.employee_id == employee.id,
                ShiftWish.date >= month_start(day),
                ShiftWish.date <= month_end(day),
            )
        )
    ).all()
    if len(in_month) >= MAX_PER_MONTH:
        raise ValidationFailedError(
            f"at most {MAX_PER_MONTH} wishes per month",
            errors=[{"field": "date", "message": "too many wishes this month"}],
        )
    wish = ShiftWish(
        employee_id=employee.id,
        department_id=employee.department_id,
        date=day,
        kind=kind,
        shift_code=shift_code,
        weight=weight,
        note=note,
        created_by=actor.user_ref,
    )
    session.add(wish)
    await session.commit()
    return wish


async def list_wishes(
    session: AsyncSession,
    actor: Principal,
    *,
    department_id: int | None,
    employee_id: int | None,
    month: dt.date,
) -> list[ShiftWish]:
    """Wishes of a month: one's own, or a department's for its readers."""
    stmt = select(ShiftWish).where(ShiftWish.date >= month, ShiftWish.date <= month_end(month))
    if employee_id is not None:
        employee = await session.get(Employee, employee_id)
        if employee is None or not actor.can_read_employee(employee.id, employee.department_id):
            raise NotFoundError(f"employee {employee_id} not found")
        stmt = stmt.where(ShiftWish.employee_id == employee_id)
    elif department_id is not None:
        if not actor.belongs_to(department_id):
            raise NotFoundError(f"department {department_id} not found")
        # Their own department exists for an agent: a 403 says why, a 404 would deny it.
        actor.require(actor.can_read_department(department_id), "read every wish of the department")
        stmt = stmt.where(ShiftWish.department_id == department_id)
    else:
        stmt = stmt.where(ShiftWish.employee_id == (actor.employee_id or -1))
    return list((await session.scalars(stmt.order_by(ShiftWish.date, ShiftWish.employee_id))).all())


async def withdraw_wish(session: AsyncSession, actor: Principal, wish_id: int) -> None:
    """Withdraw a wish (its author's person, or the manager)."""
    wish = await session.get(ShiftWish, wish_id)
    if wish is None or not actor.can_read_employee(wish.employee_id, wish.department_id):
        raise NotFoundError(f"wish {wish_id} not found")
    actor.require(
        actor.employee_id == wish.employee_id or actor.can_manage_department(wish.department_id),
        "withdraw someone else's wish",
    )
    await session.delete(wish)
    await session.commit()


async def wishes_for(
    session: AsyncSession, employee_ids: list[int], start: dt.date, end: dt.date
) -> list[ShiftWish]:
    """The wishes a solve of these people and dates takes into account."""
    stmt = select(ShiftWish).where(
        ShiftWish.employee_id.in_(employee_ids), ShiftWish.date >= start, ShiftWish.date <= end
    )
    return list((await session.scalars(stmt)).all())
