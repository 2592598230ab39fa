"""Every table, imported in one place so Alembic and the tests see the whole metadata."""

from scheduler.auth.models import User
from scheduler.db.base import Base, metadata
from scheduler.org.models import Department, Organisation, Team
from scheduler.people.models import Employee
from scheduler.shifts.models import ShiftType

__all__ = [
    "Base",
    "Department",
    "Employee",
    "Organisation",
    "ShiftType",
    "Team",
    "User",
    "metadata",
]
