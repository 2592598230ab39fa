"""Which days of a leave request are working days, and the shift each would take.

A request's length is counted in working days of the person's published roster (a rest day
inside the range is not leave), falling back to the department's calendar (weekends, statutory
holidays, make-up working days) where no roster is published yet. The same plan dates a sick
leave's certificate (due on the first working day after it) and is stored on the request, so
attendance and a roster solved later read the days the request counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.org.models import Department
from scheduler.people.models import Employee
from scheduler.rosters import calendar as dept_calendar
from scheduler.rosters.store import published_cells_for_employee


@dataclass(frozen=True, slots=True)
class PlanDay:
    """One date of a leave range: whether it is a working day, and which shift it would take."""

    date: dt.date
    counted: bool
    source: str
    shift: str | None = None
    start_minute: int | None = None
    end_minute: int | None = None
    roster_id: int | None = None

    def json(self, half: str | None) -> dict[str, Any]:
        """As stored on the request; a half day keeps the first (AM) or second (PM) half."""
        start, end = self.start_minute, self.end_minute
        if half and start is not None and end is not None:
            mid = (start + end) // 2
            start, end = (start, mid) if half == "am" else (mid, end)
        return {
            "date": self.date.isoformat(),
            "counted": self.counted,
            "source": self.source,
            "shift": self.shift,
            "start": _hhmm(start),
            "end": _hhmm(end),
            "roster_id": self.roster_id,
        }


def _hhmm(minutes: int | None) -> str | None:
    return None if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


async def day_plan(
    session: AsyncSession, employee: Employee, department: Department, start: dt.date, end: dt.date
) -> list[PlanDay]:
    """Each date: a working day of the published roster, or of the calendar where none exists."""
    cells = {
        c.date: c for c in await published_cells_for_employee(session, employee.id, start, end)
    }
    dates = _dates(start, end)
    calendar = None
    if any(d not in cells for d in dates):
        calendar = await dept_calendar.resolve(session, department, start, end)
    out = []
    for d in dates:
        cell = cells.get(d)
        if cell is not None:
            shift = cell.shift or {}
            out.append(
                PlanDay(
                    date=d,
                    counted=cell.shift_code is not None,
                    source="roster",
                    shift=cell.shift_code,
                    start_minute=_int(shift.get("start_minute")),
                    end_minute=_int(shift.get("end_minute")),
                    roster_id=cell.roster_id,
                )
            )
        else:
            assert calendar is not None
            off = calendar.is_weekend(d) or calendar.is_holiday(d)
            out.append(PlanDay(date=d, counted=not off, source="calendar"))
    return out


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


async def first_working_day_after(
    session: AsyncSession, employee: Employee, department: Department, day: dt.date
) -> dt.date:
    """The first working day after ``day`` (certificates are due then)."""
    start = day + dt.timedelta(days=1)
    for p in await day_plan(session, employee, department, start, start + dt.timedelta(days=31)):
        if p.counted:
            return p.date
    return start
