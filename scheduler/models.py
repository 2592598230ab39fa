"""Every table, imported in one place so Alembic and the tests see the whole metadata."""

from scheduler.auth.models import User
from scheduler.db.base import Base, metadata
from scheduler.org.models import Department, Organisation, Team
from scheduler.people.models import Employee
from scheduler.rosters.models import (
    CalendarDay,
    Roster,
    RosterCell,
    RosterConfig,
    RosterEdit,
    RosterJob,
    RosterVersion,
)
from scheduler.shifts.models import ShiftType

__all__ = [
    "Base",
    "CalendarDay",
    "Department",
    "Employee",
    "Organisation",
    "Roster",
    "RosterCell",
    "RosterConfig",
    "RosterEdit",
    "RosterJob",
    "RosterVersion",
    "ShiftType",
    "Team",
    "User",
    "metadata",
]
