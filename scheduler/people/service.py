"""Employees: create, read, update, deactivate, list, all within the caller's scope.

Deactivating someone records their last working day (``left_on``) and a team move its first
day; either clears the person's later cells from the published rosters in the same transaction
(``scheduler.people.departures``), so nobody is expected at work, or counted in coverage, after
they left the department or the team. Leaving also closes the person's open requests for later
days and disables their login (signing them out everywhere); coming back re-enables the login.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.auth.service import follow_employee
from scheduler.db.paging import Page, paginate
from scheduler.errors import ConflictError, NotFoundError, ValidationFailedError
from scheduler.org.models import Department, Team
from scheduler.people.departures import (
    ClosedRequest,
    RosterEffects,
    clear_from,
    close_open_requests,
)
from scheduler.people.models import CONTRACT_KINDS, Employee
from scheduler.people.onboarding import TRAINEE
from scheduler.rosters.availability import NO_LONGER_EMPLOYED, NO_LONGER_IN_TEAM
from scheduler.shifts import clock

FLAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
#: Flags the roster rules read; others are free skills (e.g. "english", "chat").
KNOWN_FLAGS = frozenset({TRAINEE})


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
    #: Last working day of someone who left; only an inactive employee has one.
    left_on: dt.date | None = None


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
    if data.left_on is not None and data.left_on < data.hire_date:
        errors.append(
            {
                "field": "left_on",
                "message": f"must not be before the hire date ({data.hire_date.isoformat()})",
            }
        )
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


@dataclass(slots=True)
class EmployeeUpdate:
    """An employee after a change, and what the change did to the published rosters."""

    employee: Employee
    rosters: RosterEffects = field(default_factory=RosterEffects)
    #: Leave requests and swaps closed because the person left.
    closed: list[ClosedRequest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _leaving_day(
    employee: Employee,
    merged: EmployeeData,
    left_on: dt.date | None,
    today: dt.date,
    errors: list[dict[str, Any]],
) -> None:
    """Set ``merged.left_on`` as the change makes it, adding to ``errors`` what is refused.

    A leaving day goes with ``active: false`` only, and is today or earlier: the person is
    deactivated once they have gone, since an inactive employee can no longer clock in, and every
    shift until a later leaving day would then read as an absence. Deactivating without a date
    means today. Someone deactivated before their hire date never started: they get no leaving
    day (it would precede the hire date) and every cell from the hire date on is cleared.
    Re-activating clears the day.
    """
    if merged.active:
        if left_on is not None:
            errors.append(
                {
                    "field": "left_on",
                    "message": "a last working day goes with active: false (re-activating "
                    "someone clears it)",
                }
            )
        merged.left_on = None
        return
    if left_on is not None:
        merged.left_on = left_on
    elif employee.active:
        merged.left_on = today if merged.hire_date <= today else None
    if left_on is not None and left_on > today:
        errors.append(
            {
                "field": "left_on",
                "message": f"{left_on.isoformat()} is after today ({today.isoformat()} in the "
                "department's time zone): deactivate someone on or after their last working "
                "day, since until then they must be able to clock in",
            }
        )


async def update_employee(
    session: AsyncSession,
    actor: Principal,
    employee_id: int,
    changes: dict[str, Any],
    expected_version: int | None,
    *,
    left_on: dt.date | None = None,
    moved_from: dt.date | None = None,
) -> EmployeeUpdate:
    """Change some fields of an employee; a stale ``expected_version`` is a 409, not a lost update.

    Deactivating (``active: false``) records the last working day (``left_on``, default today in
    the department's time zone) and clears every later shift and leave day from the published
    rosters; changing ``team_id`` clears the old team's rosters from ``moved_from`` (default
    today) on. Each roster changed gets a new published version, listed in the answer with the
    staffing rules it now breaks so the manager can ask for a repair. Leaving also closes the
    person's pending leave, approved leave beginning after ``left_on`` and open swaps touching a
    later day (``close_open_requests``, audited with the reason "employee left on ..."), and
    disables their login and existing tokens. Re-activating clears ``left_on`` and re-enables
    the login but does not give back the shifts cleared or the requests closed when they left.
    The change, the roster versions, the closed requests and the login are one transaction.
    """
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
        left_on=employee.left_on,
    )
    department = await session.get(Department, employee.department_id)
    assert department is not None  # a foreign key guarantees it
    today = clock.local_today(department.timezone)
    errors: list[dict[str, Any]] = []
    _leaving_day(employee, merged, left_on, today, errors)
    old_team = employee.team_id
    moving = merged.team_id != old_team
    move_day = moved_from if moved_from is not None else today
    if not merged.active and employee.active and actor.employee_id == employee.id:
        # Their own login would be disabled mid-request, as an admin may not disable their own.
        errors.append({"field": "active", "message": "you cannot deactivate yourself"})
    if moved_from is not None and not moving:
        errors.append({"field": "from", "message": "a move date goes with a change of team_id"})
    elif moving and move_day < merged.hire_date:
        errors.append(
            {
                "field": "from",
                "message": f"must not be before the hire date ({merged.hire_date.isoformat()})",
            }
        )
    elif moving and move_day > today:
        # The team changes now: until a future day the old team's published rosters would
        # still have the person while the new team's solves roster them too (two rosters of
        # record for one person). Move them on the day, or from a day already begun.
        errors.append(
            {
                "field": "from",
                "message": f"{move_day.isoformat()} is after today ({today.isoformat()} in the "
                "department's time zone): change the team on the day of the move",
            }
        )
    errors += field_problems(merged) + await _check_team(
        session, merged.team_id, merged.department_id
    )
    if errors:
        raise ValidationFailedError("the employee cannot be changed as given", errors=errors)

    was_active, had_left_on = employee.active, employee.left_on
    for key, value in changes.items():
        setattr(employee, key, sorted(set(value)) if key == "flags" else value)
    employee.left_on = merged.left_on
    if moving:
        # The new team's rosters keep the person off the days before the move (the old team's).
        employee.team_since = move_day if merged.team_id is not None else None
    # The row is written (and locked) before any roster changes: a concurrent change of the
    # same employee fails here with a 409 instead of after the rosters were changed twice.
    await session.flush()

    result = EmployeeUpdate(employee=employee)
    who = f"{employee.name} ({employee.staff_no})"
    if not merged.active and (was_active or left_on is not None):
        if merged.left_on is not None:
            first_day = merged.left_on + dt.timedelta(days=1)
            note = (
                f"{who} left: last working day {merged.left_on.isoformat()}; their shifts and "
                "leave after it are cleared"
            )
        else:
            first_day = merged.hire_date
            note = (
                f"{who} was deactivated before their hire date ({merged.hire_date.isoformat()}); "
                "their shifts and leave are cleared"
            )
        effects = await clear_from(
            session, actor, employee, first_day, reason=NO_LONGER_EMPLOYED, note=note
        )
        result.rosters.versions += effects.versions
        result.rosters.shortfall += effects.shortfall
        # After the clearing: approved leave cancelled now finds its days off the roster and
        # gives no shift back after the person left.
        reason = (
            f"employee left on {merged.left_on.isoformat()}"
            if merged.left_on is not None
            else f"employee deactivated before their hire date ({merged.hire_date.isoformat()})"
        )
        closing = await close_open_requests(session, actor, employee, first_day, reason)
        result.closed = closing.closed
        for leave in closing.kept:
            result.notes.append(
                f"approved leave request {leave.id} ({leave.start_date.isoformat()} to "
                f"{leave.end_date.isoformat()}) began before they left and is kept: its days "
                f"after {first_day - dt.timedelta(days=1)} still count against the balance"
            )
    if was_active and not merged.active:
        user = await follow_employee(session, employee.id, active=False)
        if user is not None:
            result.notes.append(f"login {user.username!r} disabled and signed out everywhere")
    if merged.active and not was_active:
        result.notes.append(
            "re-activated"
            + (
                f": the last working day {had_left_on.isoformat()} is cleared"
                if had_left_on
                else ""
            )
            + "; shifts cleared and requests closed when they left are not given back: roster "
            "them again (a repair or a draft of each roster)"
        )
        user = await follow_employee(session, employee.id, active=True)
        if user is not None:
            result.notes.append(f"login {user.username!r} enabled again (sign in afresh)")
    if moving and old_team is not None:
        names = {
            t.id: t.name
            for t in await session.scalars(
                select(Team).where(Team.id.in_([old_team, merged.team_id or old_team]))
            )
        }
        new_name = f"team {names[merged.team_id]}" if merged.team_id is not None else "no team"
        effects = await clear_from(
            session,
            actor,
            employee,
            move_day,
            reason=NO_LONGER_IN_TEAM,
            note=(
                f"{who} moved from team {names[old_team]} to {new_name} on "
                f"{move_day.isoformat()}; their shifts and leave from that day are cleared here "
                "(the new team rosters them)"
            ),
            team_id=old_team,
        )
        result.rosters.versions += effects.versions
        result.rosters.shortfall += effects.shortfall
    await session.commit()
    return result
