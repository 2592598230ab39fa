"""Shift types: list, add, change.

Times are validated here: a shift must end after it starts and at most 24 h later; an end
earlier than the start means the shift crosses midnight.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.errors import ConflictError, NotFoundError, ValidationFailedError
from scheduler.org.models import Department
from scheduler.shifts.models import ShiftType
from solver.problem import ProblemError, format_hhmm, parse_hhmm


def minutes_of(start: str, end: str) -> tuple[int, int]:
    """("15:00", "24:00") -> (900, 1440); ("22:00", "06:00") -> (1320, 1800)."""
    errors = []
    try:
        s = parse_hhmm(start, "start")
        if s >= 1440:
            errors.append({"field": "start", "message": "must be before 24:00"})
    except ProblemError as exc:
        errors.append({"field": "start", "message": str(exc)})
        s = 0
    try:
        e = parse_hhmm(end, "end")
        if e > 1440:
            errors.append(
                {
                    "field": "end",
                    "message": "write times after midnight as the next day's HH:MM, e.g. 06:00",
                }
            )
    except ProblemError as exc:
        errors.append({"field": "end", "message": str(exc)})
        e = 0
    if errors:
        raise ValidationFailedError("the shift times are not valid", errors=errors)
    if e == s:
        raise ValidationFailedError(
            "a shift cannot end when it starts",
            errors=[{"field": "end", "message": "must differ from start"}],
        )
    if e < s:
        e += 1440  # crosses midnight
    return s, e


def times_of(shift: ShiftType) -> tuple[str, str]:
    """Wall-clock HH:MM of start and end (the end after midnight as the next day's time, 24:00 kept)."""
    end = shift.end_minute if shift.end_minute <= 1440 else shift.end_minute - 1440
    return format_hhmm(shift.start_minute), format_hhmm(end)


async def list_shift_types(session: AsyncSession, department_id: int) -> list[ShiftType]:
    """Shift types of a department, by start time."""
    stmt = (
        select(ShiftType)
        .where(ShiftType.department_id == department_id)
        .order_by(ShiftType.start_minute)
    )
    return list((await session.scalars(stmt)).all())


async def create_shift_type(
    session: AsyncSession, actor: Principal, department: Department, data: dict[str, Any]
) -> ShiftType:
    """Add a shift type (the department's manager or admin)."""
    actor.require(
        actor.can_manage_department(department.id), "change this department's shift types"
    )
    start, end = minutes_of(data["start"], data["end"])
    if await session.scalar(
        select(ShiftType.id).where(
            ShiftType.department_id == department.id, ShiftType.code == data["code"]
        )
    ):
        raise ConflictError(f"shift type {data['code']!r} exists in this department", field="code")
    row = ShiftType(
        department_id=department.id,
        code=data["code"],
        name=data["name"],
        start_minute=start,
        end_minute=end,
        late=data.get("late", False),
        never_alone=data.get("never_alone", False),
        colour=data.get("colour", "#9ecae1"),
        active=data.get("active", True),
    )
    session.add(row)
    await session.commit()
    return row


async def update_shift_type(
    session: AsyncSession, actor: Principal, shift_id: int, changes: dict[str, Any]
) -> ShiftType:
    """Change a shift type; published rosters keep the times they were published with."""
    row = await session.get(ShiftType, shift_id)
    if row is None or not actor.belongs_to(row.department_id):
        raise NotFoundError(f"shift type {shift_id} not found")
    actor.require(
        actor.can_manage_department(row.department_id), "change this department's shift types"
    )
    if "start" in changes or "end" in changes:
        cur_start, cur_end = times_of(row)
        row.start_minute, row.end_minute = minutes_of(
            changes.get("start", cur_start), changes.get("end", cur_end)
        )
    for key in ("name", "late", "never_alone", "colour", "active"):
        if key in changes:
            setattr(row, key, changes[key])
    await session.commit()
    return row
