"""What people look at: a roster version as a grid, its coverage against demand, per-person counts.

One view model feeds the JSON view, the CSV and XLSX exports and the HTML page, so a number a
manager reads on the printed sheet is the same number the API returns. It is built from what the
version itself stores (cells, the shift snapshot and the solver problem with its demand), never
from today's shift types or demand, because a published roster must read the same next year as
the day it was pinned up.

The department calendar (weekends, statutory holidays, make-up working days, from
``scheduler.rosters.calendar``) only shades the view and feeds the weekend and holiday counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.auth.roles import OWN_DATA_ROLES
from scheduler.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from scheduler.org.models import Department, Team
from scheduler.people.models import Employee
from scheduler.rosters import calendar, store
from scheduler.rosters.availability import HalfDay, half_days, half_days_of, worked_part
from scheduler.rosters.models import Roster, RosterCell, RosterVersion
from scheduler.rosters.versions import assignment_of, problem_of, violation_json
from scheduler.shifts.clock import shift_instants
from solver.check import check, fmt_day

#: The handover window of DOMAIN.md (15:00-17:30), shown on every day even without demand rows.
HANDOVER_START = 15 * 60
HANDOVER_END = 17 * 60 + 30
#: Statuses an agent may read: what staff were told, never a draft still being worked on.
TOLD_STATUSES = frozenset({"published", "superseded"})
_DEFAULT_COLOUR = "#d9d9d9"
_MINUTES_PER_DAY = 1440


def hhmm(minutes: int) -> str:
    """Minutes after midnight as ``HH:MM``; 1440 stays ``24:00`` as the department writes it."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True, slots=True)
class DayInfo:
    """One date of the month as the department's calendar sees it."""

    date: dt.date
    weekday: int
    weekend: bool
    holiday: str | None
    makeup_workday: bool

    @property
    def off_day(self) -> bool:
        """A weekend or holiday: shaded on the grid, counted in the weekend/holiday columns."""
        return self.weekend or self.holiday is not None


async def department_days(
    session: AsyncSession, department: Department, start: dt.date, end: dt.date
) -> list[DayInfo]:
    """Every date from ``start`` to ``end`` with its weekend/holiday flags for the department.

    The shared department calendar (country's statutory days plus the company's own). A country
    the ``holidays`` library does not know still renders, just without holiday shading: a view
    must never fail because of a calendar gap.
    """
    try:
        cal = await calendar.resolve(session, department, start, end)
    except ValidationFailedError:
        cal = await calendar.resolve(session, department, start, end, statutory_holidays=False)
    days = []
    day = start
    while day <= end:
        days.append(
            DayInfo(
                date=day,
                weekday=day.weekday(),
                weekend=cal.is_weekend(day),
                holiday=cal.holidays.get(day),
                makeup_workday=day in cal.makeup_workdays,
            )
        )
        day += dt.timedelta(days=1)
    return days


# --------------------------------------------------------------------------- view model


@dataclass(frozen=True, slots=True)
class ShiftInfo:
    """A shift type as the version recorded it."""

    code: str
    name: str
    start_minute: int
    end_minute: int
    late: bool
    colour: str

    @property
    def hours(self) -> str:
        """``08:30-17:30``, for legends."""
        return f"{hhmm(self.start_minute)}-{hhmm(self.end_minute)}"

    def covers(self, start_minute: int, end_minute: int, day_offset: int = 0) -> bool:
        """Whether a shift starting ``day_offset`` days earlier spans the window."""
        shift = day_offset * _MINUTES_PER_DAY
        return self.start_minute <= start_minute + shift and self.end_minute >= end_minute + shift


@dataclass(frozen=True, slots=True)
class GridCell:
    """One person on one date: a shift, a rest day, or leave.

    ``half_leave``: approved half-day leave on the shift ("am", "pm" or "am+pm"). Half days stay
    out of the roster's cells (the person works the other half), but the grid must say so as
    the person's shift list and calendar do: otherwise the manager sees an early agent on a day
    whose handover the same view counts without them.
    """

    date: dt.date
    shift_code: str | None
    shift_name: str | None
    colour: str | None
    rest: bool
    leave: str | None
    locked: bool
    half_leave: str | None = None


@dataclass(frozen=True, slots=True)
class PersonCounts:
    """How a person's month adds up; the columns a manager checks for fairness."""

    working_days: int = 0
    late_shifts: int = 0
    weekend_days: int = 0
    holiday_days: int = 0
    rest_days: int = 0
    leave_days: int = 0


@dataclass(frozen=True, slots=True)
class PersonRow:
    """A person's row of the grid."""

    employee_id: int
    staff_no: str
    name: str
    team_id: int | None
    team_name: str | None
    cells: list[GridCell]
    counts: PersonCounts


@dataclass(frozen=True, slots=True)
class ShiftCoverage:
    """People on one shift on one date against the demand the version was solved for."""

    date: dt.date
    shift_code: str
    assigned: int
    minimum: int | None
    target: int | None

    @property
    def status(self) -> str:
        """``short`` (below minimum), ``under`` (below target), ``ok`` or ``no_demand``."""
        return _status(self.assigned, self.minimum, self.target)


@dataclass(frozen=True, slots=True)
class IntervalCoverage:
    """People on duty through a window of a date (every shift spanning it counts)."""

    date: dt.date
    start_minute: int
    end_minute: int
    label: str
    assigned: int
    by_shift: dict[str, int]
    minimum: int | None
    target: int | None

    @property
    def status(self) -> str:
        """As for :class:`ShiftCoverage`."""
        return _status(self.assigned, self.minimum, self.target)


def _status(assigned: int, minimum: int | None, target: int | None) -> str:
    if minimum is None and target is None:
        return "no_demand"
    if minimum is not None and assigned < minimum:
        return "short"
    if target is not None and assigned < target:
        return "under"
    return "ok"


@dataclass(frozen=True, slots=True)
class RosterView:
    """A roster version, ready to show: grid, coverage, counts, the objective's breakdown."""

    roster_id: int
    version_number: int
    status: str
    origin: str
    month: dt.date
    department_id: int
    department_name: str
    team_id: int | None
    scope_label: str
    timezone: str
    published_at: dt.datetime | None
    objective: int | None
    hard_violations: int
    breakdown: dict[str, Any]
    shifts: list[ShiftInfo]
    days: list[DayInfo]
    people: list[PersonRow]
    shift_coverage: list[ShiftCoverage]
    interval_coverage: list[IntervalCoverage]
    teams: dict[int | None, str] = field(default_factory=dict)
    violations: list[dict[str, Any]] = field(default_factory=list)
    #: What the manager must know to trust the month (an estimated national calendar).
    notices: list[str] = field(default_factory=list)
    """The hard rules the version breaks, each named (for the department's managers; a count
    alone does not tell a manager what to fix before publishing)."""

    def coverage_for(self, shift_code: str) -> list[ShiftCoverage]:
        """One shift's coverage row, date by date."""
        return [c for c in self.shift_coverage if c.shift_code == shift_code]

    def interval_rows(self) -> list[tuple[str, dict[dt.date, IntervalCoverage]]]:
        """Interval coverage as rows by window (time order), each keyed by date.

        Keyed rather than listed because a window with demand on some dates only leaves gaps.
        """
        rows: dict[str, dict[dt.date, IntervalCoverage]] = {}
        for item in sorted(self.interval_coverage, key=lambda c: (c.start_minute, c.end_minute)):
            rows.setdefault(item.label, {})[item.date] = item
        return list(rows.items())


def shifts_of(snapshot: Mapping[str, Any]) -> list[ShiftInfo]:
    """The version's shift types, ordered by start time (early before late)."""
    out = []
    for code, raw in snapshot.items():
        out.append(
            ShiftInfo(
                code=code,
                name=str(raw.get("name") or code),
                start_minute=int(raw.get("start_minute", 0)),
                end_minute=int(raw.get("end_minute", 0)),
                late=bool(raw.get("late", False)),
                colour=str(raw.get("colour") or _DEFAULT_COLOUR),
            )
        )
    return sorted(out, key=lambda s: (s.start_minute, s.end_minute, s.code))


def _minutes(text: Any) -> int:
    hours, minutes = str(text).split(":")
    return int(hours) * 60 + int(minutes)


def _demand_dates(row: Mapping[str, Any]) -> list[dt.date]:
    if "dates" in row:
        return [dt.date.fromisoformat(d) for d in row["dates"]]
    return [dt.date.fromisoformat(row["date"])]


def _staff_teams(problem: Mapping[str, Any], employees: Mapping[int, Employee]) -> dict[int, str]:
    """Each employee's team as the problem names it (for team-scoped demand rows).

    The problem's staff ids are employee ids as text, or staff numbers; either is matched.
    """
    by_key: dict[str, str] = {}
    for raw in problem.get("staff", []):
        if raw.get("team") is not None:
            by_key[str(raw["id"])] = str(raw["team"])
    out = {}
    for emp_id, emp in employees.items():
        team = by_key.get(str(emp_id), by_key.get(emp.staff_no))
        if team is not None:
            out[emp_id] = team
    return out


def compute_coverage(
    problem: Mapping[str, Any],
    shifts: Sequence[ShiftInfo],
    days: Sequence[dt.date],
    cells: Iterable[RosterCell],
    employee_teams: Mapping[int, str] | None = None,
    halves: Mapping[tuple[int, dt.date], list[HalfDay]] | None = None,
) -> tuple[list[ShiftCoverage], list[IntervalCoverage]]:
    """Per-day coverage per shift and per window, against the problem's demand.

    A demand row scoped to a team counts only that team's people; several rows for the same
    date and shift (one per team) add up. The handover window is always reported, with its
    demand when the problem has a row for exactly that window. Someone on approved half-day
    leave (``halves``) still counts for their shift, but for a window only if the half they
    work spans it: an early shift's PM half leaves at 13:00, before the handover.
    """
    halves = halves or {}
    employee_teams = employee_teams or {}
    by_code = {s.code: s for s in shifts}
    on: dict[tuple[dt.date, str], list[int]] = defaultdict(list)
    for cell in cells:
        if cell.shift_code is not None:
            on[(cell.date, cell.shift_code)].append(cell.employee_id)

    def count(day: dt.date, code: str, team: str | None) -> int:
        people = on.get((day, code), [])
        if team is None:
            return len(people)
        return sum(1 for e in people if employee_teams.get(e) == team)

    def in_window(
        day: dt.date, s: ShiftInfo, team: str | None, start: int, end: int, offset: int
    ) -> int:
        """People of ``day``'s shift ``s`` (of ``team``) at work for the whole window."""
        n = 0
        for e in on.get((day, s.code), []):
            if team is not None and employee_teams.get(e) != team:
                continue
            part = worked_part(s.start_minute, s.end_minute, halves.get((e, day), []))
            if part is not None and part[0] <= start + offset and part[1] >= end + offset:
                n += 1
        return n

    day_set = set(days)
    shift_demand: dict[tuple[dt.date, str], list[tuple[int, int, str | None]]] = defaultdict(list)
    for raw in problem.get("shift_demand", []):
        for day in _demand_dates(raw):
            low = int(raw.get("minimum") or 0)
            high = int(raw.get("target") if raw.get("target") is not None else low)
            shift_demand[(day, str(raw["shift"]))].append((low, high, raw.get("team")))

    shift_rows = []
    for day in days:
        for s in shifts:
            rows = shift_demand.get((day, s.code))
            minimum: int | None = None
            target: int | None = None
            if rows:
                assigned = sum(count(day, s.code, team) for _, _, team in rows)
                if all(team is None for _, _, team in rows):
                    assigned = count(day, s.code, None)
                minimum = sum(r[0] for r in rows)
                target = sum(r[1] for r in rows)
            else:
                assigned = count(day, s.code, None)
            shift_rows.append(ShiftCoverage(day, s.code, assigned, minimum, target))

    windows: dict[tuple[dt.date, int, int], list[tuple[int, int, str | None]]] = defaultdict(list)
    for raw in problem.get("interval_demand", []):
        start, end = _minutes(raw["start"]), _minutes(raw["end"])
        for day in _demand_dates(raw):
            if day in day_set:
                low = int(raw.get("minimum") or 0)
                high = int(raw.get("target") if raw.get("target") is not None else low)
                windows[(day, start, end)].append((low, high, raw.get("team")))
    for day in days:
        windows.setdefault((day, HANDOVER_START, HANDOVER_END), [])

    interval_rows = []
    for (day, start, end), rows in sorted(windows.items()):
        by_shift: dict[str, int] = {}
        teams = {team for _, _, team in rows}
        team = next(iter(teams)) if len(teams) == 1 else None
        for s in shifts:
            n = 0
            if s.covers(start, end):
                n += in_window(day, s, team, start, end, 0)
            if s.end_minute > _MINUTES_PER_DAY and s.covers(start, end, day_offset=1):
                n += in_window(day - dt.timedelta(days=1), s, team, start, end, _MINUTES_PER_DAY)
            if s.covers(start, end) or s.covers(start, end, day_offset=1):
                by_shift[s.code] = n
        label = f"{hhmm(start)}-{hhmm(end)}"
        if (start, end) == (HANDOVER_START, HANDOVER_END):
            label = f"handover {label}"
        interval_rows.append(
            IntervalCoverage(
                date=day,
                start_minute=start,
                end_minute=end,
                label=label,
                assigned=sum(by_shift.values()),
                by_shift={code: by_shift[code] for code in by_code if code in by_shift},
                minimum=sum(r[0] for r in rows) if rows else None,
                target=sum(r[1] for r in rows) if rows else None,
            )
        )
    return shift_rows, interval_rows


def person_counts(
    cells: Iterable[RosterCell], shifts: Mapping[str, ShiftInfo], days: Mapping[dt.date, DayInfo]
) -> PersonCounts:
    """A person's working days, late shifts, weekend and holiday days worked, rest and leave."""
    working = late = weekend = holiday = rest = leave = 0
    for cell in cells:
        if cell.shift_code is None:
            if cell.absence:
                leave += 1
            else:
                rest += 1
            continue
        working += 1
        info = days.get(cell.date)
        if shifts.get(cell.shift_code, None) is not None and shifts[cell.shift_code].late:
            late += 1
        if info is not None and info.weekend:
            weekend += 1
        if info is not None and info.holiday is not None:
            holiday += 1
    return PersonCounts(working, late, weekend, holiday, rest, leave)


def compose_view(
    roster: Roster,
    version: RosterVersion,
    cells: Sequence[RosterCell],
    employees: Mapping[int, Employee],
    teams: Mapping[int, Team],
    department: Department,
    days: Sequence[DayInfo],
    halves: Mapping[tuple[int, dt.date], list[HalfDay]] | None = None,
) -> RosterView:
    """Build the view model from loaded rows; pure, so tests and exports can call it directly.

    ``halves``: approved half-day leave by (employee, date), for the windows' coverage and for
    the cells that show it.
    """
    halves = halves or {}
    shifts = shifts_of(version.shift_snapshot or {})
    by_code = {s.code: s for s in shifts}
    day_info = {d.date: d for d in days}
    by_person: dict[int, list[RosterCell]] = defaultdict(list)
    for cell in cells:
        by_person[cell.employee_id].append(cell)

    def team_of(emp_id: int) -> int | None:
        # A team's roster lists everyone in that team's section: someone who moved since keeps
        # the rows they worked there, and must not show in their new team's section of it.
        if roster.team_id is not None:
            return roster.team_id
        emp = employees.get(emp_id)
        return emp.team_id if emp is not None else None

    def sort_key(emp_id: int) -> tuple[str, str, int]:
        emp = employees.get(emp_id)
        team_id = team_of(emp_id)
        team = teams.get(team_id) if team_id is not None else None
        return (team.name if team else "\uffff", emp.staff_no if emp else "", emp_id)

    people = []
    for emp_id in sorted(by_person, key=sort_key):
        emp = employees.get(emp_id)
        own = {c.date: c for c in by_person[emp_id]}
        row_cells = []
        for d in days:
            c = own.get(d.date)
            shift = by_code.get(c.shift_code) if c is not None and c.shift_code else None
            row_cells.append(
                GridCell(
                    date=d.date,
                    shift_code=c.shift_code if c is not None else None,
                    shift_name=shift.name if shift else (c.shift_code if c else None),
                    colour=shift.colour if shift else None,
                    rest=c is not None and c.shift_code is None and not c.absence,
                    leave=c.absence if c is not None and c.shift_code is None else None,
                    locked=bool(c.locked) if c is not None else False,
                    half_leave=half_label(halves.get((emp_id, d.date), []))
                    if c is not None and c.shift_code
                    else None,
                )
            )
        team_id = team_of(emp_id)
        people.append(
            PersonRow(
                employee_id=emp_id,
                staff_no=emp.staff_no if emp else str(emp_id),
                name=emp.name if emp else f"#{emp_id}",
                team_id=team_id,
                team_name=teams[team_id].name if team_id is not None and team_id in teams else None,
                cells=row_cells,
                counts=person_counts(by_person[emp_id], by_code, day_info),
            )
        )
    problem = version.problem or {}
    shift_cov, interval_cov = compute_coverage(
        problem, shifts, [d.date for d in days], cells, _staff_teams(problem, employees), halves
    )
    scope_team = teams.get(roster.team_id) if roster.team_id is not None else None
    return RosterView(
        roster_id=roster.id,
        version_number=version.number,
        status=version.status,
        origin=version.origin,
        month=roster.month,
        department_id=department.id,
        department_name=department.name,
        team_id=roster.team_id,
        scope_label=f"{department.name} / {scope_team.name}" if scope_team else department.name,
        timezone=department.timezone,
        published_at=version.published_at,
        objective=version.objective,
        hard_violations=version.hard_violations,
        breakdown=dict(version.breakdown or {}),
        shifts=shifts,
        days=list(days),
        people=people,
        shift_coverage=shift_cov,
        interval_coverage=interval_cov,
        teams={p.team_id: p.team_name or "No team" for p in people},
    )


# --------------------------------------------------------------------------- access and loading


def _agent_may_read(actor: Principal, roster: Roster) -> bool:
    return actor.role in OWN_DATA_ROLES and actor.department_id == roster.department_id


async def readable_roster(session: AsyncSession, actor: Principal, roster_id: int) -> Roster:
    """A roster the caller may look at: department roles, HR/GM/admin, and its department's agents.

    Outside the caller's scope the roster does not exist for them (404), as elsewhere.
    """
    roster = await session.get(Roster, roster_id)
    if roster is None or not (
        actor.can_read_department(roster.department_id) or _agent_may_read(actor, roster)
    ):
        raise NotFoundError(f"roster {roster_id} not found")
    return roster


def _require_visible(actor: Principal, roster: Roster, version: RosterVersion) -> None:
    """Agents read what staff were told, never a draft the manager is still changing."""
    if not actor.can_read_department(roster.department_id) and version.status not in TOLD_STATUSES:
        raise PermissionDeniedError(
            f"version {version.number} is a {version.status}; agents may read published rosters only"
        )


async def readable_version(
    session: AsyncSession, actor: Principal, roster_id: int, number: int
) -> tuple[Roster, RosterVersion]:
    """Version ``number`` of a roster, if the caller may read it."""
    roster = await readable_roster(session, actor, roster_id)
    version = await store.get_version(session, roster, number)
    _require_visible(actor, roster, version)
    return roster, version


async def current_version(
    session: AsyncSession, actor: Principal, roster_id: int
) -> tuple[Roster, RosterVersion]:
    """The version a roster's page shows: the roster of record, else the latest draft.

    Agents only ever get the published one; without it there is nothing for them to see.
    """
    roster = await readable_roster(session, actor, roster_id)
    version = await store.published_version(session, roster_id)
    if version is None and actor.can_read_department(roster.department_id):
        version = await session.scalar(
            select(RosterVersion)
            .where(RosterVersion.roster_id == roster_id, RosterVersion.status == "draft")
            .order_by(RosterVersion.number.desc())
            .limit(1)
        )
    if version is None:
        raise NotFoundError(f"roster {roster_id} has no published version yet")
    return roster, version


async def load_view(
    session: AsyncSession, roster: Roster, version: RosterVersion, *, violations: bool = False
) -> RosterView:
    """Load everything a version's view needs and compose it.

    ``violations``: also name the hard rules the version breaks (checked again, so a version
    stored before a rule's message changed reads in today's words).
    """
    cells = await store.cells_of(session, version.id)
    department = await session.get(Department, roster.department_id)
    if department is None:  # pragma: no cover - a foreign key guarantees it
        raise NotFoundError(f"department {roster.department_id} not found")
    emp_ids = sorted({c.employee_id for c in cells})
    employees = {
        e.id: e for e in await session.scalars(select(Employee).where(Employee.id.in_(emp_ids)))
    }
    team_ids = {e.team_id for e in employees.values() if e.team_id is not None}
    if roster.team_id is not None:
        team_ids.add(roster.team_id)
    teams = {t.id: t for t in await session.scalars(select(Team).where(Team.id.in_(team_ids)))}
    days = await department_days(session, department, roster.month, store.month_end(roster.month))
    halves = await half_days_of(session, emp_ids, roster.month, store.month_end(roster.month))
    view = compose_view(roster, version, cells, employees, teams, department, days, halves)
    notice = await calendar.provisional_notice(
        session, department, roster.month, store.month_end(roster.month)
    )
    if notice is not None:
        view = replace(view, notices=[notice])
    if violations and version.hard_violations:
        report = check(problem_of(version), assignment_of(cells))
        view = replace(view, violations=[violation_json(v) for v in report.hard_violations])
    return view


#: What an agent reads in a colleague's leave cell: that they are away, not why.
PRIVATE_LEAVE = "leave"


def for_viewer(view: RosterView, actor: Principal) -> RosterView:
    """The view as ``actor`` may see it: an agent sees colleagues' leave without its type.

    Staff need to know who works when (to swap, to hand over), but a leave type is personal:
    "sick" on a colleague's day is health information the department keeps to managers and HR.
    An agent's own row keeps its types.
    """
    if actor.role not in OWN_DATA_ROLES:
        return view
    people = [
        row
        if row.employee_id == actor.employee_id
        else replace(
            row,
            cells=[
                replace(c, leave=PRIVATE_LEAVE) if c.leave is not None else c for c in row.cells
            ],
        )
        for row in view.people
    ]
    return replace(view, people=people)


async def view_version(
    session: AsyncSession, actor: Principal, roster_id: int, number: int
) -> RosterView:
    """The view of version ``number`` of a roster, for the caller."""
    roster, version = await readable_version(session, actor, roster_id, number)
    view = await load_view(session, roster, version, violations=actor.role not in OWN_DATA_ROLES)
    return for_viewer(view, actor)


async def view_current(session: AsyncSession, actor: Principal, roster_id: int) -> RosterView:
    """The view of a roster's current version (see :func:`current_version`)."""
    roster, version = await current_version(session, actor, roster_id)
    view = await load_view(session, roster, version, violations=actor.role not in OWN_DATA_ROLES)
    return for_viewer(view, actor)


# --------------------------------------------------------------------------- diff


@dataclass(frozen=True, slots=True)
class CellChange:
    """One person on one date that differs between two versions.

    ``None`` shift with ``None`` absence is a rest day; a missing cell reads as rest too.
    """

    employee_id: int
    date: dt.date
    from_shift: str | None
    to_shift: str | None
    from_absence: str | None
    to_absence: str | None


def diff_cells(cells_a: Iterable[RosterCell], cells_b: Iterable[RosterCell]) -> list[CellChange]:
    """Who, which date, from what to what: the cells where two versions disagree."""
    a = {(c.employee_id, c.date): (c.shift_code, c.absence) for c in cells_a}
    b = {(c.employee_id, c.date): (c.shift_code, c.absence) for c in cells_b}
    changes = []
    for key in sorted(a.keys() | b.keys()):
        before, after = a.get(key, (None, None)), b.get(key, (None, None))
        if before != after:
            changes.append(CellChange(key[0], key[1], before[0], after[0], before[1], after[1]))
    return changes


async def diff(
    session: AsyncSession, version_a: RosterVersion, version_b: RosterVersion
) -> list[CellChange]:
    """The changes from ``version_a`` to ``version_b`` (what staff would be told is different)."""
    return diff_cells(
        await store.cells_of(session, version_a.id), await store.cells_of(session, version_b.id)
    )


async def diff_versions(
    session: AsyncSession, actor: Principal, roster_id: int, number: int, against: int
) -> list[CellChange]:
    """The changes from version ``against`` to version ``number``, both readable by the caller."""
    roster, version = await readable_version(session, actor, roster_id, number)
    other = await store.get_version(session, roster, against)
    _require_visible(actor, roster, other)
    return await diff(session, other, version)


# --------------------------------------------------------------------------- the agent's own shifts

#: The longest span ``/me/shifts`` answers in one call (keeps a typo from reading years of rows).
MAX_MY_SHIFTS_DAYS = 366


@dataclass(frozen=True, slots=True)
class MyShift:
    """A day of the signed-in person's published roster, with the shift's instants."""

    date: dt.date
    shift_code: str | None
    shift_name: str | None
    start: dt.datetime | None
    end: dt.datetime | None
    absence: str | None
    roster_id: int
    version_number: int
    #: Approved half-day leave on the shift: "am", "pm" or "am+pm"; start and end are then the
    #: half the person works (both halves: no work, and ``absence`` names the leave).
    half_leave: str | None = None


async def my_shifts(
    session: AsyncSession, actor: Principal, start: dt.date | None, end: dt.date | None
) -> list[MyShift]:
    """What the caller was told: their published cells from ``start`` to ``end`` (inclusive).

    Defaults to today and the next 30 days in the caller's department zone. A user without an
    employee record (HR, admin) has no shifts: 404 says why.
    """
    if actor.employee_id is None:
        raise NotFoundError("your user is not linked to an employee, so it has no shifts")
    employee = await session.get(Employee, actor.employee_id)
    if employee is None:
        raise NotFoundError("your employee record no longer exists")
    department = await session.get(Department, employee.department_id)
    zone = department.timezone if department is not None else "UTC"
    today = dt.datetime.now(ZoneInfo(zone)).date()
    first = start or today
    last = end or (first + dt.timedelta(days=30))
    if last < first:
        raise ValidationFailedError(
            "to is before from", errors=[{"field": "to", "message": "must not be before from"}]
        )
    if (last - first).days >= MAX_MY_SHIFTS_DAYS:
        raise ValidationFailedError(
            f"at most {MAX_MY_SHIFTS_DAYS} days per request",
            errors=[{"field": "to", "message": f"at most {MAX_MY_SHIFTS_DAYS} days after from"}],
        )
    out = []
    halves = await half_days(session, employee.id, first, last)
    for cell in await store.published_cells_for_employee(session, employee.id, first, last):
        start_at = end_at = None
        name = None
        absence = cell.absence
        taken = halves.get(cell.date, []) if cell.shift_code is not None else []
        if cell.shift_code is not None and cell.shift is not None:
            part = worked_part(
                int(str(cell.shift.get("start_minute", 0))),
                int(str(cell.shift.get("end_minute", 0))),
                taken,
            )
            if part is not None:
                start_at, end_at = shift_instants(cell.date, *part, cell.timezone)
            else:
                absence = taken[0].type_code
            name = str(cell.shift.get("name") or cell.shift_code)
        out.append(
            MyShift(
                date=cell.date,
                shift_code=cell.shift_code,
                shift_name=name,
                start=start_at,
                end=end_at,
                absence=absence,
                roster_id=cell.roster_id,
                version_number=cell.version_number,
                half_leave="+".join(sorted({h.half for h in taken})) or None,
            )
        )
    return out


async def half_day_gaps(
    session: AsyncSession, roster: Roster, version: RosterVersion, employee_id: int, day: dt.date
) -> list[dict[str, Any]]:
    """The windows of ``day`` that the person's approved half-day leave left uncovered.

    Half days stay out of the roster's cells, so the checker that finds a full day's shortfall
    cannot see them; the view's window coverage can (the half worked must span the window). A
    window is reported when, with this person's half days, it falls below its minimum or the
    handover loses one of its sides (DOMAIN.md: both shifts hand over), and without them it
    did not: what the manager must cover by editing a draft (a repair's solver does not know
    half days either). Answered on the approval, as a full day's shortfall is.
    """
    cells = await store.cells_of(session, version.id)
    employees = {
        e.id: e
        for e in await session.scalars(
            select(Employee).where(Employee.id.in_(sorted({c.employee_id for c in cells})))
        )
    }
    problem = version.problem or {}
    shifts = shifts_of(version.shift_snapshot or {})
    teams = _staff_teams(problem, employees)
    with_half = await half_days_of(session, [employee_id], day, day)
    _, after = compute_coverage(problem, shifts, [day], cells, teams, with_half)
    _, before = compute_coverage(problem, shifts, [day], cells, teams, {})
    person = employees.get(employee_id)
    who = person.name if person is not None else f"#{employee_id}"
    half = half_label(with_half.get((employee_id, day), [])) or "half-day"
    names = {sh.code: sh.name for sh in shifts}
    out: list[dict[str, Any]] = []
    for new, old in zip(after, before, strict=True):
        if new.status == "short" and old.status != "short":
            message = (
                f"{fmt_day(day)} {new.label} needs at least {new.minimum}, has {new.assigned} "
                f"({who} on {half} leave)"
            )
            out.append(_gap_json("demand_minimum", message, day, None, roster.id))
        if handover_gap(new) and not handover_gap(old):
            for code, n in new.by_shift.items():
                if n == 0 and old.by_shift.get(code):
                    message = (
                        f"{fmt_day(day)} {new.label}: no {names.get(code, code)} agent to hand "
                        f"over ({who} on {half} leave)"
                    )
                    out.append(_gap_json("handover", message, day, code, roster.id))
    return out


def _gap_json(
    rule: str, message: str, day: dt.date, shift: str | None, roster_id: int
) -> dict[str, Any]:
    """A window left uncovered, shaped as a leave's shortfall entry (no repair: edit a draft)."""
    return {
        "rule": rule,
        "message": message,
        "employee_id": None,
        "date": day.isoformat(),
        "shift": shift,
        "hard": True,
        "cost": 0,
        "roster_id": roster_id,
        "repair": None,
    }


def half_label(taken: Sequence[HalfDay]) -> str | None:
    """``am``, ``pm`` or ``am+pm``: the halves of a shift on approved leave (None: none)."""
    return "+".join(sorted({h.half for h in taken})) or None


def handover_gap(window: IntervalCoverage) -> bool:
    """A handover window where some shift that should hand over has nobody on it.

    DOMAIN.md: every day that has both shifts needs agents of both in the window. A shift with
    nobody at all that day has nothing to hand over, so only a day staffed by one side but not
    the other is a gap; shown in red on the page and the sheet.
    """
    if window.start_minute != HANDOVER_START or window.end_minute != HANDOVER_END:
        return False
    counts = list(window.by_shift.values())
    return len(counts) >= 2 and 0 in counts and any(counts)
