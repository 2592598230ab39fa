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
from functools import lru_cache
from typing import Any

import holidays
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from scheduler.attendance.derive import (
    HALVES,
    DayPlan,
    DayResult,
    HalfLeave,
    LeaveCertificate,
    MonthSummary,
    PunchFact,
    ShiftPlan,
    derive_month,
    local_date,
    local_instant,
    summarise,
)
from scheduler.attendance.models import AttendancePolicy, Punch
from scheduler.attendance.policy import (
    DEFAULT_POLICY,
    DEFAULT_VERSION,
    Policy,
    PolicyVersion,
    check_effective_from,
    policy_for_month,
    policy_from_document,
    policy_version_for_month,
)
from scheduler.auth.principal import Principal
from scheduler.auth.roles import OWN_DATA_ROLES, Role
from scheduler.db.base import utcnow
from scheduler.errors import NotFoundError
from scheduler.leave.models import LeaveRequest
from scheduler.leave.service import certificate_status
from scheduler.org.models import Department, Team
from scheduler.people.models import Employee
from scheduler.rosters.models import Roster, RosterCell, RosterVersion
from scheduler.rosters.store import month_end
from scheduler.shifts import clock

#: Employees derived per round trip in exports.
CHUNK = 500
#: Day statuses that give an inactive person no row in an export (nothing to pay or judge).
_NOTHING = frozenset({"no_roster", "not_employed"})


@dataclass(frozen=True, slots=True)
class Person:
    """The columns of an employee an attendance report shows.

    ``hire_date`` and ``left_on`` (the last working day) bound the days judged: payroll
    prorates a month someone joined or left in, so days outside are ``not_employed``.
    """

    id: int
    staff_no: str
    name: str
    department_id: int
    team: str | None
    active: bool
    hire_date: dt.date | None = None
    left_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class PersonMonth:
    """One person's derived month, and the policy that judged it (reports explain its rules).

    ``version`` says which stored version that policy is (empty: the shipped defaults).
    """

    person: Person
    days: list[DayResult]
    summary: MonthSummary
    policy: Policy = DEFAULT_POLICY
    version: PolicyVersion = DEFAULT_VERSION


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


@dataclass(slots=True)
class RosterFacts:
    """Published cells per person and date, and which roster each person was on in the month.

    ``version_of`` maps a person to the published version that gave most of their cells of the
    month (their roster of record); ``team_of_version`` that version's roster team (None: a
    department roster, whose problem records each person's team when it was made).
    """

    plans: dict[int, dict[dt.date, DayPlan]]
    version_of: dict[int, int]
    team_of_version: dict[int, int | None]


async def load_plans(
    session: AsyncSession,
    employee_ids: Sequence[int],
    start: dt.date,
    end: dt.date,
    month: dt.date | None = None,
) -> RosterFacts:
    """Published cells per person and date (the latest published version wins a date).

    A person on two rosters of the month (a team move) has a day from the one that gives it a
    shift or leave, not a rest day the other roster keeps for them (see the loop below).

    ``month`` (any day of it) is the month whose cells decide each person's roster of record.
    """
    if not employee_ids:
        return RosterFacts({}, {}, {})
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
    teams: dict[int, int | None] = {}
    if version_ids:
        for vid, snap, team_id in (
            await session.execute(
                select(RosterVersion.id, RosterVersion.shift_snapshot, Roster.team_id)
                .join(Roster, Roster.id == RosterVersion.roster_id)
                .where(RosterVersion.id.in_(version_ids))
            )
        ).all():
            snapshots[vid] = snap or {}
            teams[vid] = team_id
    shift_cache: dict[tuple[int, str], ShiftPlan | None] = {}
    # Cells are shared values (treated as immutable): a department's thousands of people have
    # a few dozen distinct (date, shift, leave) cells, so each is made once.
    plan_cache: dict[tuple[dt.date, int, str | None, str | None], DayPlan] = {}
    out: dict[int, dict[dt.date, DayPlan]] = {}
    # Cells of the month per person and version, for the roster of record.
    counts: dict[int, dict[int, int]] = {}
    first = month.replace(day=1) if month is not None else None
    # The version each chosen cell came from, to move a count when a later row wins its day.
    chosen: dict[tuple[int, dt.date], int] = {}
    for emp, day, code, absence, vid in rows:
        person = out.get(emp)
        if person is None:
            person = out[emp] = {}
        elif day in person:
            # Another published version holds the same day: a roster has one published
            # version, so this is another roster (a team move mid-month leaves the person in
            # the old team's roster as rest from the move on, and in the new team's as rest
            # before it). Version numbers count per roster and say nothing about which is
            # right, so the one that gives the day a shift or leave wins over a rest day;
            # otherwise the first row (the higher number) stays.
            held = person[day]
            if held.shift is not None or held.absence is not None or not (code or absence):
                continue
            if first is not None and day.month == first.month and day.year == first.year:
                per = counts[emp]
                per[chosen[emp, day]] -= 1
        if first is not None and day.month == first.month and day.year == first.year:
            per = counts.setdefault(emp, {})
            per[vid] = per.get(vid, 0) + 1
            chosen[emp, day] = vid
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
    # Most cells wins; on a tie the later version (a person moved mid-month ends in the new one).
    version_of = {emp: max(per, key=lambda v: (per[v], v)) for emp, per in counts.items()}
    return RosterFacts(out, version_of, teams)


def _minute_of(text: object) -> int | None:
    """``"13:00"`` (or ``"24:00"``, ``"30:00"`` past midnight) as minutes; None if not a time."""
    if not isinstance(text, str) or ":" not in text:
        return None
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit()):
        return None
    return int(hours) * 60 + int(minutes)


def half_leave_of(leave: LeaveRequest, shift: ShiftPlan) -> HalfLeave:
    """The part of ``shift`` a half-day request takes, as the leave module stored it.

    The request's ``schedule`` keeps the half's times for the shift it was filed against (AM:
    the shift's start to its midpoint, PM: the midpoint to the end). If the roster of record now
    has another shift that day (a swap, a re-roster), the same rule is applied to that shift.
    """
    half = leave.half or "am"
    for entry in leave.schedule or []:
        if not isinstance(entry, dict) or entry.get("date") != leave.start_date.isoformat():
            continue
        start, end = _minute_of(entry.get("start")), _minute_of(entry.get("end"))
        if entry.get("shift") == shift.code and start is not None and end is not None:
            return HalfLeave(leave.type_code, half, start, end)
    mid = (shift.start_minute + shift.end_minute) // 2  # scheduler.leave.days.PlanDay.json
    if half == "am":
        return HalfLeave(leave.type_code, half, shift.start_minute, mid)
    return HalfLeave(leave.type_code, half, mid, shift.end_minute)


async def apply_leave(
    session: AsyncSession,
    plans: dict[int, dict[dt.date, DayPlan]],
    employee_ids: Sequence[int],
    start: dt.date,
    end: dt.date,
    month: dt.date,
    today: dt.date,
) -> dict[int, list[LeaveCertificate]]:
    """Add approved half-day leave to ``plans``; the certificates the month's leave needs.

    Half days leave the roster as it is (``scheduler.leave.approval``), so they are read from the
    requests: a shift cell with approved half-day leave gets its halves (a new cell value: the
    loaded ones are shared). A half day on a day without a shift takes no work and is ignored.
    Certificates: approved leave overlapping the month that needs one (sick leave of 2+ days),
    with the leave module's status as of ``today``. One query; such requests are few.
    """
    if not employee_ids:
        return {}
    first = month.replace(day=1)
    last = month_end(first)
    rows = await session.scalars(
        select(LeaveRequest)
        .where(
            LeaveRequest.employee_id.in_(employee_ids),
            LeaveRequest.status == "approved",
            LeaveRequest.start_date <= end,
            LeaveRequest.end_date >= start,
            LeaveRequest.half.is_not(None) | LeaveRequest.certificate_due.is_not(None),
        )
        .order_by(LeaveRequest.employee_id, LeaveRequest.start_date, LeaveRequest.id)
    )
    certificates: dict[int, list[LeaveCertificate]] = {}
    for leave in rows.all():
        person = plans.get(leave.employee_id)
        plan = person.get(leave.start_date) if person and leave.half in HALVES else None
        if person is not None and plan is not None and plan.shift and plan.absence is None:
            half = half_leave_of(leave, plan.shift)
            person[plan.date] = DayPlan(plan.date, plan.shift, None, (*plan.half_leaves, half))
        due = leave.certificate_due
        if due is not None and leave.start_date <= last and leave.end_date >= first:
            certificates.setdefault(leave.employee_id, []).append(
                LeaveCertificate(
                    leave_request_id=leave.id,
                    type_code=leave.type_code,
                    start_date=leave.start_date,
                    end_date=leave.end_date,
                    days=leave.days,
                    due=due,
                    status=certificate_status(leave, today) or "missing",
                )
            )
    return certificates


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


def _normalised(entries: Any) -> tuple[tuple[int, ...], ...]:
    """The ``holidays`` library's special days of a year: one tuple, or a tuple of them."""
    if not entries:
        return ()
    return (entries,) if isinstance(entries[0], int) else tuple(entries)


@lru_cache(maxsize=256)
def statutory_holidays(country: str, first: dt.date, last: dt.date) -> frozenset[dt.date]:
    """The country's statutory holidays proper between two dates, for payroll's premium.

    The department calendar (``scheduler.rosters.calendar``) rightly treats every day off of the
    national calendar as a holiday for the roster; payroll must not. Under PRC law only the
    statutory days themselves (e.g. 1-3 October) carry the holiday premium, while the rest of a
    "golden week" are weekend rest days moved there (``Day off (substituted from ...)``) or days
    observed in lieu, which pay as rest days. So: the ``holidays`` library's public holidays
    without observed days (``observed=False``) and without its substituted days off (in its data,
    special public holidays given as (to month, to day, from month, from day[, from year])). A
    country the library does not know has none: attendance must not fail for a calendar gap.
    """
    years = range(first.year, last.year + 1)
    try:
        calendar = holidays.country_holidays(country, years=years, observed=False)
    except NotImplementedError:
        return frozenset()
    special = getattr(calendar, "special_public_holidays", None) or {}
    moved = {
        dt.date(year, entry[0], entry[1])
        for year in years
        for entry in _normalised(special.get(year))
        if len(entry) >= 4
    }
    return frozenset(d for d in calendar if first <= d <= last and d not in moved)


def holidays_of(department: Department, month: dt.date) -> frozenset[dt.date]:
    """The statutory holidays of ``month`` in the department's country."""
    first = month.replace(day=1)
    return statutory_holidays(department.country, first, month_end(first))


@dataclass(slots=True)
class _Facts:
    """What a chunk of people's months are derived from."""

    roster: RosterFacts
    punches: dict[int, list[PunchFact]]
    certificates: dict[int, list[LeaveCertificate]]


async def load_facts(
    session: AsyncSession, ids: Sequence[int], month: dt.date, zone: str, as_of: dt.datetime
) -> _Facts:
    """Cells, half-day leave, punches and certificates of some people.

    Four queries (cells, their versions' shift snapshots, punches, leave requests).
    """
    cell_start, cell_end, punch_start, punch_end = fact_ranges(month, zone)
    roster = await load_plans(session, ids, cell_start, cell_end, month)
    punches = await load_punches(session, ids, punch_start, punch_end)
    certificates = await apply_leave(
        session, roster.plans, ids, cell_start, cell_end, month, local_date(as_of, zone)
    )
    return _Facts(roster, punches, certificates)


def _derive(
    person: Person,
    facts: _Facts,
    month: dt.date,
    zone: str,
    policy: Policy,
    as_of: dt.datetime,
    holidays: frozenset[dt.date],
    version: PolicyVersion = DEFAULT_VERSION,
) -> PersonMonth:
    days = derive_month(
        month,
        facts.roster.plans.get(person.id, {}),
        facts.punches.get(person.id, []),
        zone,
        policy,
        as_of,
        holidays,
        hired=person.hire_date,
        left=person.left_on,
    )
    summary = summarise(days)
    summary.certificates = facts.certificates.get(person.id, [])
    return PersonMonth(person, days, summary, policy, version)


async def derive_people(
    session: AsyncSession,
    people: Sequence[Person],
    department: Department,
    month: dt.date,
    policy: Policy,
    as_of: dt.datetime,
    version: PolicyVersion = DEFAULT_VERSION,
) -> list[PersonMonth]:
    """Derive a month for several people of one department."""
    facts = await load_facts(session, [p.id for p in people], month, department.timezone, as_of)
    holidays = holidays_of(department, month)
    zone = department.timezone
    return [_derive(p, facts, month, zone, policy, as_of, holidays, version) for p in people]


# ------------------------------------------------------------------ reading


def _can_read_attendance(actor: Principal, department_id: int) -> bool:
    return actor.can_read_department(department_id)


async def _department(session: AsyncSession, actor: Principal, department_id: int) -> Department:
    department = await session.get(Department, department_id)
    if department is None or not actor.belongs_to(department_id):
        raise NotFoundError(f"department {department_id} not found")
    return department


def _person(e: Employee, team: str | None) -> Person:
    return Person(e.id, e.staff_no, e.name, e.department_id, team, e.active, e.hire_date, e.left_on)


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
    policy, version = await policy_version_for_month(session, department.id, month)
    (result,) = await derive_people(
        session,
        [_person(employee, team.name if team else None)],
        department,
        month,
        policy,
        as_of or utcnow(),
        version,
    )
    return result, policy, version.id


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

_Chunk = tuple[list[Person], _Facts]


async def _staff_teams(
    session: AsyncSession, version_ids: Sequence[int], cache: dict[int, dict[int, str]]
) -> None:
    """Each person's team as recorded in department rosters' problems, into ``cache``.

    A department roster is made for people of several teams; its problem keeps each person's
    team of that month. Only the ``staff`` list is read, once per version per export.
    """
    wanted = [v for v in version_ids if v not in cache]
    if not wanted:
        return
    rows = await session.execute(
        select(RosterVersion.id, RosterVersion.problem["staff"]).where(RosterVersion.id.in_(wanted))
    )
    for vid, staff in rows.all():
        teams: dict[int, str] = {}
        for entry in staff if isinstance(staff, list) else []:
            if isinstance(entry, dict) and entry.get("team") and str(entry.get("id")).isdigit():
                teams[int(entry["id"])] = str(entry["team"])
        cache[vid] = teams
    for vid in wanted:
        cache.setdefault(vid, {})


async def iter_department(
    session: AsyncSession,
    department: Department,
    month: dt.date,
    as_of: dt.datetime,
    chunk: int = CHUNK,
) -> AsyncIterator[PersonMonth]:
    """Each person of a department with their derived month, ``chunk`` people per round trip.

    People are ordered by staff number; someone hired after the month has no row, and inactive
    people appear only if the month has roster cells or punches for them. A person's team is the
    one they were rostered in that month (the team of their roster of record, or the team a
    department roster recorded for them), else their current team. The next chunk's facts are
    read while this chunk is derived: the database works on the queries (on its own core) while
    Python judges the shifts, instead of each waiting for the other. Only the loading task
    touches the session meanwhile.
    """
    policy, version = await policy_version_for_month(session, department.id, month)
    holidays = holidays_of(department, month)
    teams = dict(
        (
            await session.execute(
                select(Team.id, Team.name).where(Team.department_id == department.id)
            )
        ).all()
    )
    last = month_end(month.replace(day=1))
    zone = department.timezone
    staff_teams: dict[int, dict[int, str]] = {}

    async def load(after: str, size: int) -> _Chunk | None:
        rows = (
            await session.execute(
                select(
                    Employee.id,
                    Employee.staff_no,
                    Employee.name,
                    Employee.team_id,
                    Employee.active,
                    Employee.hire_date,
                    Employee.left_on,
                )
                .where(
                    Employee.department_id == department.id,
                    Employee.staff_no > after,
                    Employee.hire_date <= last,
                )
                .order_by(Employee.staff_no)
                .limit(size)
            )
        ).all()
        if not rows:
            return None
        facts = await load_facts(session, [r.id for r in rows], month, zone, as_of)
        roster = facts.roster
        versions = {roster.version_of[r.id] for r in rows if r.id in roster.version_of}
        await _staff_teams(
            session, [v for v in versions if roster.team_of_version.get(v) is None], staff_teams
        )
        people = []
        for r in rows:
            team = teams.get(r.team_id)
            vid = roster.version_of.get(r.id)
            if vid is not None:
                team_id = roster.team_of_version.get(vid)
                if team_id is not None:
                    team = teams.get(team_id, team)
                else:
                    team = staff_teams.get(vid, {}).get(r.id, team)
            people.append(
                Person(
                    r.id,
                    r.staff_no,
                    r.name,
                    department.id,
                    team,
                    r.active,
                    r.hire_date,
                    r.left_on,
                )
            )
        return people, facts

    # A small first chunk: nothing overlaps its loading, so derivation should start soon.
    loading: asyncio.Task[_Chunk | None] = asyncio.create_task(load("", max(1, chunk // 5)))
    try:
        while (loaded := await loading) is not None:
            people, facts = loaded
            loading = asyncio.create_task(load(people[-1].staff_no, chunk))
            for i, person in enumerate(people):
                if i % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                pm = _derive(person, facts, month, zone, policy, as_of, holidays, version)
                if person.active or any(d.status not in _NOTHING for d in pm.days):
                    yield pm
    finally:
        if not loading.done():
            loading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loading


async def leave_types_of(
    session: AsyncSession, departments: Sequence[Department], month: dt.date
) -> list[str]:
    """Leave codes taken in the month (the export's leave columns).

    Full days are leave cells of the published rosters; half days are approved half-day
    requests (they leave the roster as it is).
    """
    first = month.replace(day=1)
    last = month_end(first)
    ids = [d.id for d in departments]
    rows = await session.scalars(
        select(func.distinct(RosterCell.absence))
        .join(RosterVersion, RosterVersion.id == RosterCell.version_id)
        .join(Roster, Roster.id == RosterVersion.roster_id)
        .where(
            Roster.department_id.in_(ids),
            RosterVersion.status == "published",
            RosterCell.date >= first,
            RosterCell.date <= last,
            RosterCell.absence.is_not(None),
        )
    )
    halves = await session.scalars(
        select(func.distinct(LeaveRequest.type_code)).where(
            LeaveRequest.department_id.in_(ids),
            LeaveRequest.status == "approved",
            LeaveRequest.half.is_not(None),
            LeaveRequest.start_date >= first,
            LeaveRequest.start_date <= last,
        )
    )
    return sorted({str(r) for r in [*rows.all(), *halves.all()] if r})


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
    session: AsyncSession, actor: Principal, department_id: int, month: dt.date | None
) -> tuple[Policy, AttendancePolicy | None, list[AttendancePolicy], dt.date]:
    """The policy judging ``month``, its stored row (None: the defaults), every version, the month.

    Without ``month``, the current month on the department's wall clock: on the 1st at 08:00
    in Shanghai it is still the last day of the month before in New York, whose staff are
    judged by that month's policy, not by the version the new month brings.
    """
    department = await _department(session, actor, department_id)
    actor.require(
        _can_read_attendance(actor, department.id) or actor.role in OWN_DATA_ROLES,
        "read this department's attendance policy",
    )
    if month is None:
        month = local_today(department.timezone).replace(day=1)
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
    return policy, row, history, month


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

    Days already past keep the policy that judged them: a version takes effect from the next
    month's first day (today, on a month's first) or later (policy.earliest_effective_from).
    """
    department = await _department(session, actor, department_id)
    actor.require(
        actor.can_manage_department(department.id) or actor.role == Role.HR,
        "set this department's attendance policy",
    )
    check_effective_from(effective_from, today or local_today(department.timezone))
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
