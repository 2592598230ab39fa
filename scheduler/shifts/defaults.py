"""The shift types every new department starts with (DOMAIN.md): early 08:30-17:30, late 15:00-24:00.

The late shift is marked late (fairness counts it) and never staffed by one person alone (the
late shift leaves together; if anyone stays, at least two stay). A department edits or adds to
these through the API.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.shifts.models import ShiftType

#: (code, name, start minute, end minute, late, never alone, colour)
DEFAULT_SHIFTS = [
    ("early", "Early 早班", 8 * 60 + 30, 17 * 60 + 30, False, False, "#8ecae6"),
    ("late", "Late 晚班", 15 * 60, 24 * 60, True, True, "#ffb703"),
]


def add_default_shifts(session: AsyncSession, department_id: int) -> list[ShiftType]:
    """Add the default shift types to a new department (the caller flushes or commits)."""
    rows = [
        ShiftType(
            department_id=department_id,
            code=code,
            name=name,
            start_minute=start,
            end_minute=end,
            late=late,
            never_alone=never_alone,
            colour=colour,
        )
        for code, name, start, end, late, never_alone, colour in DEFAULT_SHIFTS
    ]
    session.add_all(rows)
    return rows
