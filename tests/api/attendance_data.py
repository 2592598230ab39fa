"""Published rosters stored directly in the database for the attendance tests.

Same approach as ``roster_views_data``: a roster row and one published version whose shift
snapshot has the early (08:30-17:30) and late (15:00-24:00) shifts; cells are given per person
and date as a shift code, a leave code (``"leave:annual"``) or ``None`` for a rest day.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.rosters.models import Roster, RosterCell, RosterVersion

SNAPSHOT = {
    "early": {"name": "早班", "start_minute": 510, "end_minute": 1050, "late": False},
    "late": {"name": "晚班", "start_minute": 900, "end_minute": 1440, "late": True},
}


async def publish(
    sm: async_sessionmaker[AsyncSession],
    department_id: int,
    month: dt.date,
    cells: dict[int, dict[dt.date, str | None]],
) -> int:
    """Store a published department roster of ``month`` with ``cells``; its id."""
    async with sm() as s:
        roster = Roster(
            department_id=department_id,
            team_id=None,
            scope_key=f"department:{department_id}",
            month=month,
        )
        s.add(roster)
        await s.flush()
        version = RosterVersion(
            roster_id=roster.id,
            number=1,
            status="published",
            origin="edit",
            shift_snapshot=SNAPSHOT,
            problem={},
            published_at=dt.datetime(2026, 9, 25, tzinfo=dt.UTC),
        )
        s.add(version)
        await s.flush()
        for employee_id, days in cells.items():
            for day, value in days.items():
                absence = value.split(":", 1)[1] if value and value.startswith("leave:") else None
                s.add(
                    RosterCell(
                        version_id=version.id,
                        employee_id=employee_id,
                        date=day,
                        shift_code=None if absence or value is None else value,
                        absence=absence,
                    )
                )
        await s.commit()
        return roster.id
