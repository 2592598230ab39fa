"""Attendance as people and HR read it: facts loaded in bulk, derived on read.

Why on read rather than a stored table of results: the facts of a person's month are small
(about 31 cells and 60 punches), derivation is a pure function that runs in microseconds per
day, and computing on read means a late device upload, an approved leave, a correction or a
new roster version is reflected at once, with no recompute job to forget and no stale row to
explain to HR. "Recompute a month" is therefore simply reading it again. Exports read a
department in chunks of employees (two queries per chunk), which keeps memory flat.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from scheduler.attendance.derive import (
    DayPlan,
    DayResult,
    MonthSummary,
    PunchFact,
    ShiftPlan,
    derive_month,
    local_instant,
    summarise,
)
from scheduler.attendance.models import AttendancePolicy, Punch
from scheduler.attendance.policy import (
    Policy,
    check_effective_from,
    policy_for_month,
    policy_from_document,
)
from scheduler.auth.principal import Principal
from scheduler.auth.roles import Role
from scheduler.db.base import utcnow
from scheduler.errors import NotFoundError, ValidationFailedError
from scheduler.org.models import Department, Team
from scheduler.people.models import Employee
from scheduler.rosters.models import Roster, RosterCell, RosterVersion
from scheduler.rosters.store import month_end
from scheduler.shifts import clock

#: Employees derived per round trip in exports.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class Person:
    """The columns of an employee an attendance report shows."""

    id: int
    staff_no: str
    name: str
    department_id: int
    team: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class PersonMonth:
    """One person's derived month."""

    person: Person
    days: list[DayResult]
    summary: MonthSummary


# ------------------------------------------------------------------ facts


def _shift_plan(code: str, snapshot: dict[str, Any] | None) -> ShiftPlan | None:
    if not snapshot:
        return None
    return ShiftPlan(
        code=code,
        name=str(snapshot.get("name") or code),
        start_minute=int(snapshot["start_minute"]),
        end_minute=int(snapshot["end_minute"]),
    )


async def load_plans(
    session: AsyncSession, employee_ids: Sequence[int], start: dt.date, end: dt.date
) -> dict[int, dict[dt.date, DayPlan]]:
    """Published cells per person and date (the latest published version wins a date)."""
    if not employee_ids:
        return {}
    stmt = (
        select(
            RosterCell.employee_id,
            RosterCell.date,
            RosterCell.shift_code,
            RosterCell.absence,
            RosterCell.version_id,
        )
        .join(RosterVersion, RosterVersion.id == RosterCell.version_id)
        .where(
            RosterCell.employee_id.in_(employee_ids),
            RosterCell.date >= start,
            RosterCell.date <= end,
            RosterVersion.status == "published",
        )
        .order_by(RosterCell.employee_id, RosterCell.date, RosterVersion.number.desc())
    )
    # Core, not ORM: tens of thousands of plain rows per chunk, no objects needed; on
    # PostgreSQL straight from the driver (its C record decoding, no result-row processing).
    conn = await session.connection()
    rows: Sequence[Any] | None = await _driver_fetch(
        conn,
        "SELECT c.employee_id, c.date, c.shift_code, c.absence, c.version_id"
        " FROM roster_cells c JOIN roster_versions v ON v.id = c.version_id"
        " WHERE c.employee_id = ANY($1) AND c.date >= $2 AND c.date <= $3"
        " AND v.status = 'published'"
        " ORDER BY c.employee_id, c.date, v.number DESC",
        list(employee_ids),
        start,
        end,
    )
    if rows is None:
        rows = (await conn.execute(stmt)).all()
    version_ids = {r[4] for r in rows}
    snapshots: dict[int, dict[str, Any]] = {}
    if version_ids:
        for vid, snap in (
            await session.execute(
                select(RosterVersion.id, RosterVersion.shift_snapshot).where(
                    RosterVersion.id.in_(version_ids)
                )
            )
        ).all():
            snapshots[vid] = snap or {}
    shift_cache: dict[tuple[int, str], ShiftPlan | None] = {}
    # Cells are shared values (treated as immutable): a department's thousands of people have
    # a few dozen distinct (date, shift, leave) cells, so each is made once.
    plan_cache: dict[tuple[dt.date, int, str | None, str | None], DayPlan] = {}
    out: dict[int, dict[dt.date, DayPlan]] = {}
    for emp, day, code, absence, vid in rows:
        person = out.get(emp)
        if person is None:
            person = out[emp] = {}
        elif day in person:
            continue  # an older published version of the same day
        key = (day, vid, code, absence)
        plan = plan_cache.get(key)
        if plan is None:
            shift = None
            if code:
                if (vid, code) not in shift_cache:
                    shift_cache[vid, code] = _shift_plan(code, snapshots[vid].get(code))
                shift = shift_cache[vid, code]
            plan = plan_cache[key] = DayPlan(day, shift=shift, absence=absence)
        person[day] = plan
    return out


async def load_punches(
    session: AsyncSession, employee_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> dict[int, list[PunchFact]]:
    """Punches per person between two instants, with every record correcting one of them."""
    if not employee_ids:
        return {}
    cols = (Punch.id, Punch.employee_id, Punch.direction, Punch.at, Punch.kind, Punch.corrects_id)
    conn = await session.connection()
    ids = list(employee_ids)
    driver_sql = (
        "SELECT id, employee_id, direction, at, kind, corrects_id FROM attendance_punches"
        " WHERE employee_id = ANY($1) AND "
    )
    # In time order, so sorting each person's punches for pairing finds them already sorted.
    fetched = await _driver_fetch(
        conn, driver_sql + "at >= $2 AND at < $3 ORDER BY employee_id, at, id", ids, start, end
    )
    rows: list[Any] = (
        list(fetched)
        if fetched is not None
        else list(
            (
                await conn.execute(
                    select(*cols).where(
                        Punch.employee_id.in_(employee_ids), Punch.at >= start, Punch.at < end
                    )
                )
            ).all()
        )
    )
    # A correction or void of one of these punches may lie outside the range (it moved the
    # punch far away): fetch those too. Corrections are rare, so this reads few rows.
    if rows:
        more = await _driver_fetch(
            conn, driver_sql + "kind <> 'punch' AND (at < $2 OR at >= $3)", ids, start, end
        )
        if more is None:
            more = (
                await conn.execute(
                    select(*cols).where(
                        Punch.employee_id.in_(employee_ids),
                        Punch.kind != "punch",
                        (Punch.at < start) | (Punch.at >= end),
                    )
                )
            ).all()
        rows.extend(more)
    out: dict[int, list[PunchFact]] = {}
    for pid, emp, direction, at, kind, corrects in rows:
        person = out.get(emp)
        if person is None:
            person = out[emp] = []
        person.append(PunchFact(pid, direction, at, kind, corrects))
    return out


async def _driver_fetch(conn: AsyncConnection, sql: str, *args: Any) -> Sequence[Any] | None:
    """Rows of ``sql`` ($n parameters) straight from asyncpg on PostgreSQL; None elsewhere.

    The bulk loads of an export read hundreds of thousands of plain rows; asyncpg's records
    (decoded in C, timestamptz already aware in UTC) skip SQLAlchemy's per-row result
    processing, which cost more than the derivation itself. Same connection and transaction.
    """
    if conn.dialect.name != "postgresql":
        return None
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    rows: Sequence[Any] = await driver.fetch(sql, *args)
    return rows


def fact_ranges(month: dt.date, zone: str) -> tuple[dt.date, dt.date, dt.datetime, dt.datetime]:
    """Cells from the day before the month to the day after; punches around them (with windows)."""
    first = month.replace(day=1)
    last = month_end(first)
    cell_start, cell_end = first - dt.timedelta(days=1), last + dt.timedelta(days=1)
    punch_start = local_instant(cell_start, 0, zone) - dt.timedelta(hours=6)
    punch_end = local_instant(cell_end, 2 * 1440, zone)
    return cell_start, cell_end, punch_start, punch_end


async def derive_people(
    session: AsyncSession,
    people: Sequence[Person],
    month: dt.date,
    zone: str,
    policy: Policy,
    as_of: dt.datetime,
) -> list[PersonMonth]:
    """Derive a month for several people of one department (two queries in all)."""
    cell_start, cell_end, punch_start, punch_end = fact_ranges(month, zone)
    ids = [p.id for p in people]
    plans = await load_plans(session, ids, cell_start, cell_end)
    punches = await load_punches(session, ids, punch_start, punch_end)
    out = []
    for p in people:
        days = derive_month(month, plans.get(p.id, {}), punches.get(p.id, []), zone, policy, as_of)
        out.append(PersonMonth(p, days, summarise(days)))
    return out


# ------------------------------------------------------------------ reading


def _can_read_attendance(actor: Principal, department_id: int) -> bool:
    return actor.can_read_department(department_id)


async def _department(session: AsyncSession, actor: Principal, department_id: int) -> Department:
    department = await session.get(Department, department_id)
    if department is None or not actor.belongs_to(department_id):
        raise NotFoundError(f"department {department_id} not found")
    return department


def _person(e: Employee, team: str | None) -> Person:
    return Person(e.id, e.staff_no, e.name, e.department_id, team, e.active)


async def employee_month(
    session: AsyncSession,
    actor: Principal,
    employee_id: int,
    month: dt.date,
    as_of: dt.datetime | None = None,
) -> tuple[PersonMonth, Policy, int | None]:
    """A person's derived month: themself, or someone their role may read."""
    employee = await session.get(Employee, employee_id)
    if employee is None or not actor.can_read_employee(employee_id, employee.department_id):
        raise NotFoundError(f"employee {employee_id} not found")
    department = await session.get(Department, employee.department_id)
    assert department is not None
    team = await session.get(Team, employee.team_id) if employee.team_id else None
    policy, policy_id = await policy_for_month(session, department.id, month)
    (result,) = await derive_people(
        session,
        [_person(employee, team.name if team else None)],
        month,
        department.timezone,
        policy,
        as_of or utcnow(),
    )
    return result, policy, policy_id


async def departments_in_scope(
    session: AsyncSession, actor: Principal, department_id: int | None
) -> list[Department]:
    """The departments an export covers: one, or every one for org-wide roles (HR)."""
    if department_id is not None:
        department = await _department(session, actor, department_id)
        actor.require(
            _can_read_attendance(actor, department.id), "read this department's attendance"
        )
        return [department]
    actor.require(actor.is_org_wide, "export every department's attendance")
    return list((await session.scalars(select(Department).order_by(Department.code))).all())


async def departments_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Department]:
    """Departments in the given order (an export re-reads them in its own session)."""
    rows = {
        d.id: d
        for d in (await session.scalars(select(Department).where(Department.id.in_(ids)))).all()
    }
    return [rows[i] for i in ids if i in rows]


#: People derived between two turns of the event loop (so the next chunk's queries go out,
#: and a server's other requests are answered, while a big export is being derived).
YIELD_EVERY = 25

_Chunk = tuple[list[Person], dict[int, dict[dt.date, DayPlan]], dict[int, list[PunchFact]]]


async def iter_department(
    session: AsyncSession,
    department: Department,
    month: dt.date,
    as_of: dt.datetime,
    chunk: int = CHUNK,
) -> AsyncIterator[PersonMonth]:
    """Each person of a department with their derived month, ``chunk`` people per round trip.

    People are ordered by staff number; inactive people appear only if the month has roster
    cells or punches for them. The next chunk's facts are read while this chunk is derived: the
    database works on the queries (on its own core) while Python judges the shifts, instead of
    each waiting for the other. Only the loading task touches the session meanwhile.
    """
    policy, _ = await policy_for_month(session, department.id, month)
    teams = dict(
        (
            await session.execute(
                select(Team.id, Team.name).where(Team.department_id == department.id)
            )
        ).all()
    )
    cell_start, cell_end, punch_start, punch_end = fact_ranges(month, department.timezone)

    async def load(after: str, size: int) -> _Chunk | None:
        rows = (
            await session.execute(
                select(
                    Employee.id,
                    Employee.staff_no,
                    Employee.name,
                    Employee.team_id,
                    Employee.active,
                )
                .where(Employee.department_id == department.id, Employee.staff_no > after)
                .order_by(Employee.staff_no)
                .limit(size)
            )
        ).all()
        if not rows:
            return None
        people = [
            Person(r.id, r.staff_no, r.name, department.id, teams.get(r.team_id), r.active)
            for r in rows
        ]
        ids = [p.id for p in people]
        plans = await load_plans(session, ids, cell_start, cell_end)
        punches = await load_punches(session, ids, punch_start, punch_end)
        return people, plans, punches

    # A small first chunk: nothing overlaps its loading, so derivation should start soon.
    loading: asyncio.Task[_Chunk | None] = asyncio.create_task(load("", max(1, chunk // 5)))
    try:
        while (loaded := await loading) is not None:
            people, plans, punches = loaded
            loading = asyncio.create_task(load(people[-1].staff_no, chunk))
            for i, person in enumerate(people):
                if i % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                days = derive_month(
                    month,
                    plans.get(person.id, {}),
                    punches.get(person.id, []),
                    department.timezone,
                    policy,
                    as_of,
                )
                if person.active or any(d.status != "no_roster" for d in days):
                    yield PersonMonth(person, days, summarise(days))
    finally:
        if not loading.done():
            loading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loading


async def leave_types_of(
    session: AsyncSession, departments: Sequence[Department], month: dt.date
) -> list[str]:
    """Leave codes present in the published rosters of the month (the export's leave columns)."""
    first = month.replace(day=1)
    rows = await session.scalars(
        select(func.distinct(RosterCell.absence))
        .join(RosterVersion, RosterVersion.id == RosterCell.version_id)
        .join(Roster, Roster.id == RosterVersion.roster_id)
        .where(
            Roster.department_id.in_([d.id for d in departments]),
            RosterVersion.status == "published",
            RosterCell.date >= first,
            RosterCell.date <= month_end(first),
            RosterCell.absence.is_not(None),
        )
    )
    return sorted(str(r) for r in rows.all() if r)


async def list_punches(
    session: AsyncSession,
    actor: Principal,
    employee_id: int,
    start: dt.datetime,
    end: dt.datetime,
) -> list[Punch]:
    """Every record of a person between two instants, corrections and voids included (audit)."""
    employee = await session.get(Employee, employee_id)
    if employee is None or not actor.can_read_employee(employee_id, employee.department_id):
        raise NotFoundError(f"employee {employee_id} not found")
    rows = await session.scalars(
        select(Punch)
        .where(Punch.employee_id == employee_id, Punch.at >= start, Punch.at < end)
        .order_by(Punch.at, Punch.id)
    )
    return list(rows.all())


# ------------------------------------------------------------------ policy


async def get_policy(
    session: AsyncSession, actor: Principal, department_id: int, month: dt.date
) -> tuple[Policy, AttendancePolicy | None, list[AttendancePolicy]]:
    """The policy judging ``month``, its stored row (None: the defaults), and every version."""
    department = await _department(session, actor, department_id)
    actor.require(
        _can_read_attendance(actor, department.id) or actor.role == Role.AGENT,
        "read this department's attendance policy",
    )
    policy, row_id = await policy_for_month(session, department_id, month)
    history = list(
        (
            await session.scalars(
                select(AttendancePolicy)
                .where(AttendancePolicy.department_id == department_id)
                .order_by(AttendancePolicy.effective_from, AttendancePolicy.revision)
            )
        ).all()
    )
    row = next((r for r in history if r.id == row_id), None)
    return policy, row, history


async def set_policy(
    session: AsyncSession,
    actor: Principal,
    department_id: int,
    effective_from: dt.date,
    document: dict[str, Any],
    note: str | None,
    today: dt.date | None = None,
) -> tuple[Policy, AttendancePolicy]:
    """Store a new version from a month on (department manager, HR, admin).

    Months already begun before this one keep the policy that judged them: a version may take
    effect from the current month or later, never earlier.
    """
    department = await _department(session, actor, department_id)
    actor.require(
        actor.can_manage_department(department.id) or actor.role == Role.HR,
        "set this department's attendance policy",
    )
    check_effective_from(effective_from)
    now = today or local_today(department.timezone)
    if effective_from < now.replace(day=1):
        raise ValidationFailedError(
            "a policy cannot take effect in a past month (the months judged stay judged)",
            errors=[{"field": "effective_from", "message": "before the current month"}],
        )
    policy = policy_from_document(document)
    revision = (
        await session.scalar(
            select(func.max(AttendancePolicy.revision)).where(
                AttendancePolicy.department_id == department.id,
                AttendancePolicy.effective_from == effective_from,
            )
        )
        or 0
    ) + 1
    row = AttendancePolicy(
        department_id=department.id,
        effective_from=effective_from,
        revision=revision,
        document=policy.to_document(),
        created_by=actor.user_ref,
        note=note,
    )
    session.add(row)
    await session.commit()
    return policy, row


def local_today(zone: str) -> dt.date:
    """Today on the department's wall clock."""
    return clock.local_today(zone)
