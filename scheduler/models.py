"""Every table, imported in one place so Alembic and the tests see the whole metadata."""

from scheduler.approvals.models import (
    ApprovalDelegation,
    ApprovalEvent,
    ApprovalIdempotency,
    ApprovalPolicy,
    ApprovalRequest,
    ApprovalStep,
)
from scheduler.attendance.models import (
    AttendanceDevice,
    AttendancePolicy,
    CorrectionRequest,
    Punch,
)
from scheduler.auth.models import User
from scheduler.db.base import Base, metadata
from scheduler.handover.models import HandoverNote
from scheduler.leave.models import LeaveBalance, LeaveRequest, LeaveTypeSetting
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
from scheduler.swaps.models import SwapClaim, SwapRequest

__all__ = [
    "ApprovalDelegation",
    "ApprovalEvent",
    "ApprovalIdempotency",
    "ApprovalPolicy",
    "ApprovalRequest",
    "ApprovalStep",
    "AttendanceDevice",
    "AttendancePolicy",
    "Base",
    "CalendarDay",
    "CorrectionRequest",
    "Department",
    "Employee",
    "HandoverNote",
    "LeaveBalance",
    "LeaveRequest",
    "LeaveTypeSetting",
    "Organisation",
    "Punch",
    "Roster",
    "RosterCell",
    "RosterConfig",
    "RosterEdit",
    "RosterJob",
    "RosterVersion",
    "ShiftType",
    "SwapClaim",
    "SwapRequest",
    "Team",
    "User",
    "metadata",
]
