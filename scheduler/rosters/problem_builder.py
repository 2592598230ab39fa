"""From the database to a solver problem: everything a month's roster depends on.

Gathers, for one scope and month: the active staff and their contracts (limits prorated for the
days each cannot work, see :func:`prorated_contract`), the department's shift types, demand per
date from the settings and the calendar, approved leave and other unavailability, cells the
manager locked, the tail of last month's published roster (so rest and consecutive-day rules
hold across the month boundary), and for a repair the published roster to stay close to. The
result is plain data; the solve runs elsewhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from scheduler.errors import ValidationFailedError
from scheduler.people.models import Employee
from scheduler.people.onboarding import roster_flags, trainee_until
from scheduler.rosters import calendar as dept_calendar
from scheduler.rosters.availability import (
    Unavailable,
    rest_within,
    rostered_from,
    unavailability,
)
from scheduler.rosters.config import WEEKDAYS, load_config
from scheduler.rosters.models import Roster, RosterCell, RosterVersion
from scheduler.rosters.store import Scope, cells_of, month_end, published_version
from scheduler.rosters.wishes import wishes_for
from scheduler.shifts.models import ShiftType as ShiftTypeRow
from solver.io import rules_from_dict
from solver.problem import (
    Calendar,
    Contract,
    HistoryCell,
    IntervalDemand,
    Leave,
    Lock,
    MeetingSlot,
    ProblemError,
    ReferenceRoster,
    Request,
    RequestKind,
    RosterProblem,
    ShiftDemand,
    ShiftType,
    Staff,
    parse_hhmm,
)

HISTORY_DAYS = 7


@dataclass(frozen=True, slots=True)
class BuiltProblem:
    """A solver problem plus what is needed to turn its answer back into roster cells."""

    problem: RosterProblem
    employees: dict[str, Employee]
    absences: dict[tuple[int, dt.date], str]
    shift_snapshot: dict[str, dict[str, Any]]
    time_limit_s: float


def snapshot_of(shift_types: list[ShiftTypeRow]) -> dict[str, dict[str, Any]]:
    """The shift types as stored on a version (immutable once published)."""
    return {
        s.code: {
            "name": s.name,
            "start_minute": s.start_minute,
            "end_minute": s.end_minute,
            "late": s.late,
            "never_alone": s.never_alone,
            "colour": s.colour,
        }
        for s in shift_types
    }


async def scope_staff(
    session: AsyncSession, scope: Scope, start: dt.date, end: dt.date
) -> list[Employee]:
    """Employees of the scope who are employed at some point of the month.

    Inactive people are never rostered, with one exception: someone who left during the month
    (``left_on`` on or after its first day) worked its first days, and a repair of that month
    must keep those shifts; :func:`~scheduler.rosters.availability.unavailability` keeps them
    off every day after ``left_on``. Someone deactivated without a leaving day is left out.
    """
    stmt = select(Employee).where(
        Employee.department_id == scope.department.id,
        or_(Employee.active.is_(True), Employee.left_on >= start),
        Employee.hire_date <= end,
    )
    if scope.team is not None:
        stmt = stmt.where(Employee.team_id == scope.team.id)
    stmt = stmt.options(selectinload(Employee.team)).order_by(Employee.staff_no)
    return list((await session.scalars(stmt)).all())


def prorated_contract(
    e: Employee,
    start: dt.date,
    end: dt.date,
    off_days: Collection[dt.date],
    longest_shift_minutes: int,
    *,
    team_id: int | None = None,
    calendar: Calendar | None = None,
) -> Contract:
    """The person's contract limits for the part of ``start``..``end`` they can be rostered.

    A contract states working days (or hours) for a whole month; a month the person cannot
    work in full must not ask the whole of it, or a recent hire makes the month infeasible and
    approved leave publishes a "contract minimum" breach of the person on leave. Two rules:

    * Days not employed (before the hire date), and on a team's roster the days before the
      person joined the team (``team_id``: they worked for the old team), shrink both limits in
      proportion to the days employed: the minimum rounded down, the maximum rounded up, since a fraction of a day
      cannot be worked and rounding towards the looser limit never makes a month impossible
      that the full contract allowed. Hired on 20 Nov (11 of 30 days), 18-23 days becomes 6-9.
    * Each day off the roster while employed (approved leave of any type, sick leave included,
      and any other fact in ``off_days``) counts toward the month's working days, as paid leave
      does in payroll: it lowers the minimum by one day, or by the longest shift's minutes for
      an hours contract (the most one such day can take off the roster), never below zero. The
      maximum stays: lowering it could turn a roster whose leave fell on rest days into a
      breach. Under this rule approving leave can never break the contract of the person on
      leave: each leave day removes at most one shift and lowers the minimum by one.

    * Statutory holidays are paid days off: each one on a weekday of the days employed lowers
      the minimum like a leave day, less one for each make-up working day (调休) there. Without
      this a month like February 2027 (16 working days after the Spring Festival) asked 18 days
      of an 18-23 contract, and the solver filled the gap with shifts nobody needed on
      holidays and weekends. Working a holiday stays possible (a soft cost).

    Args:
        e: The employee (contract kind, limits, hire date).
        start: First day of the horizon.
        end: Last day of the horizon (inclusive).
        off_days: Days the person cannot be rostered (leave, not yet hired); others are ignored.
        longest_shift_minutes: Length of the department's longest shift type.
        team_id: The roster's team (None for a whole department's roster).
        calendar: The month's holidays and make-up working days (None: no holiday credit).
    """
    horizon = (end - start).days + 1
    first = max(start, rostered_from(e, team_id))
    employed = max(0, (end - first).days + 1)
    off = {d for d in off_days if first <= d <= end}
    credited = len(off)
    if calendar is not None:
        days = [first + dt.timedelta(days=i) for i in range(employed)]
        holidays = sum(
            1
            for d in days
            if calendar.is_holiday(d)
            and d.weekday() not in calendar.weekend_weekdays
            and d not in off
        )
        credited += max(0, holidays - sum(1 for d in days if d in calendar.makeup_workdays))
    per_day = longest_shift_minutes if e.contract_kind == "hours" else 1
    unit = 60 if e.contract_kind == "hours" else 1
    low = None
    if e.contract_min is not None:
        low = max(0, e.contract_min * unit * employed // horizon - credited * per_day)
    high = None
    if e.contract_max is not None:
        high = -(-e.contract_max * unit * employed // horizon)
    if e.contract_kind == "hours":
        return Contract(min_minutes=low, max_minutes=high)
    return Contract(min_days=low, max_days=high)


def fairness_group(e: Employee, available: int, horizon: int) -> str:
    """Who a person's late, weekend and holiday shares are compared with.

    People on the same contract are comparable, whatever the month took from them: the
    solver's own grouping compares the (prorated) limits of the month, so a recent hire or
    someone with a few days of leave would each be a group of one, their shares balanced
    against nobody. A trainee is comparable too: the trainee rule keeps them from working
    alone, and without a group their late shifts piled up (13 against 8 in the demo's
    December). Fairness compares counts, not shares of the days worked, so someone who can
    work less than half the month (``available`` of ``horizon`` days) is compared only with
    others like them: equal counts would give them twice the share.
    """
    flags = sorted(set(e.flags or []) - {"trainee"})
    part = "" if 2 * available >= horizon else "|part-month"
    return f"{e.contract_kind}:{e.contract_min}-{e.contract_max}|{','.join(flags)}{part}"


def _off_days(leave: Iterable[Leave], staff_id: str, start: dt.date, end: dt.date) -> set[dt.date]:
    """The days of the horizon a problem keeps one person off the roster."""
    days: set[dt.date] = set()
    for lv in leave:
        if lv.staff_id != staff_id:
            continue
        d = max(lv.start, start)
        while d <= min(lv.end, end):
            days.add(d)
            d += dt.timedelta(days=1)
    return days


def problem_with_leave(
    problem: RosterProblem,
    employee: Employee,
    leave: Leave,
    *,
    approved: bool,
    team_id: int | None,
) -> RosterProblem:
    """A version's problem after ``leave`` of ``employee`` was approved, or called off.

    A version derived from the roster of record for an approval carries its source's problem,
    which knows nothing of the new leave: the checker would then count the shifts the leave took
    against the person's full contract minimum. This adds the leave as a fact (or removes it
    when the leave is called off) and restates the person's limits with
    :func:`prorated_contract`, so the derived version is judged as a fresh solve of the month
    would judge it. The person's current contract is used, as a fresh solve would; ``team_id``
    is the version's roster's team (see :func:`prorated_contract`).
    """
    sid = str(employee.id)
    if sid not in problem.staff_index:
        return problem
    clipped = replace(leave, start=max(leave.start, problem.start), end=min(leave.end, problem.end))
    if clipped.start > clipped.end:
        return problem
    if approved:
        facts = problem.leave if clipped in problem.leave else (*problem.leave, clipped)
    else:
        facts = tuple(
            lv
            for lv in problem.leave
            if not (
                lv.staff_id == sid
                and lv.reason in (leave.reason, rest_within(leave.reason))
                and leave.start <= lv.start
                and lv.end <= leave.end
            )
        )
    off = _off_days(facts, sid, problem.start, problem.end)
    longest = max(s.minutes for s in problem.shift_types)
    fresh = prorated_contract(
        employee,
        problem.start,
        problem.end,
        off,
        longest,
        team_id=team_id,
        calendar=problem.calendar,
    )
    staff = tuple(
        replace(
            q,
            contract=replace(
                q.contract,
                min_days=fresh.min_days,
                max_days=fresh.max_days,
                min_minutes=fresh.min_minutes,
                max_minutes=fresh.max_minutes,
            ),
        )
        if q.id == sid
        else q
        for q in problem.staff
    )
    return replace(problem, staff=staff, leave=facts)


async def _neighbour_cells(
    session: AsyncSession,
    roster: Roster,
    first: dt.date,
    stop: dt.date,
    staff_ids: Collection[str],
    codes: Collection[str],
) -> list[HistoryCell]:
    """The cells of ``first`` .. ``stop`` (excluded) in the neighbouring month's rosters of record.

    ``first`` .. ``stop`` lies within one month (at most a week at either end of the horizon);
    a month with no published roster gives nothing. Every roster of record of the department is
    read, not only this scope's: someone who moved into the team at the month's start worked
    last month's final week on their old team's roster, and the rest rules hold across that too.
    A day with a shift on one roster and none on another (the move's day) counts as worked.
    """
    neighbours = await session.scalars(
        select(Roster).where(
            Roster.department_id == roster.department_id, Roster.month == first.replace(day=1)
        )
    )
    found: dict[tuple[str, dt.date], str | None] = {}
    for neighbour in neighbours.all():
        record = await published_version(session, neighbour.id)
        if record is None:
            continue
        stmt = select(RosterCell).where(
            RosterCell.version_id == record.id,
            RosterCell.date >= first,
            RosterCell.date < stop,
            RosterCell.employee_id.in_([int(i) for i in staff_ids]),
        )
        for cell in (await session.scalars(stmt)).all():
            key = (str(cell.employee_id), cell.date)
            shift = cell.shift_code if cell.shift_code in codes else None
            if found.get(key) is None:
                found[key] = shift
    return [HistoryCell(pid, day, shift) for (pid, day), shift in sorted(found.items())]


def _demand_row(config: dict[str, Any], kind: str, day: dt.date) -> dict[str, Any]:
    demand = config["demand"]
    override = demand.get("by_weekday", {}).get(WEEKDAYS[day.weekday()])
    if override is not None and kind != "holiday":
        return dict(override)
    return dict(demand.get(kind, {}))


async def build_problem(
    session: AsyncSession,
    roster: Roster,
    scope: Scope,
    *,
    lock_from: RosterVersion | None = None,
    reference: RosterVersion | None = None,
) -> BuiltProblem:
    """Build the problem for ``roster``'s month.

    Args:
        session: Database session.
        roster: The roster (scope and month).
        scope: Its department and team.
        lock_from: A draft whose locked cells must be kept.
        reference: For a repair, the published version to change as little as possible.
    """
    start = roster.month
    end = month_end(start)
    config, _ = await load_config(session, scope.department.id)
    shift_rows = list(
        (
            await session.scalars(
                select(ShiftTypeRow)
                .where(
                    ShiftTypeRow.department_id == scope.department.id, ShiftTypeRow.active.is_(True)
                )
                .order_by(ShiftTypeRow.start_minute)
            )
        ).all()
    )
    if not shift_rows:
        raise ValidationFailedError(
            f"department {scope.department.code} has no active shift types; add some first"
        )
    employees = await scope_staff(session, scope, start, end)
    if not employees:
        raise ValidationFailedError(f"{scope.label} has no active staff to roster")
    staff_ids = {str(e.id): e for e in employees}
    shift_types = tuple(
        ShiftType(
            s.code, s.name, s.start_minute, s.end_minute, late=s.late, never_alone=s.never_alone
        )
        for s in shift_rows
    )
    codes = {s.code for s in shift_rows}

    cal = await dept_calendar.resolve(
        session,
        scope.department,
        start,
        end,
        statutory_holidays=bool(config["calendar"].get("statutory_holidays", True)),
    )
    under = int(config["demand"].get("under_weight", 10))
    over = int(config["demand"].get("over_weight", 1))
    shift_demand: list[ShiftDemand] = []
    interval_demand: list[IntervalDemand] = []
    day = start
    while day <= end:
        row = _demand_row(config, cal.kind(day), day)
        for code, spec in row.items():
            if code in codes:
                minimum = int(spec.get("minimum", 0))
                target = int(spec.get("target", minimum))
                shift_demand.append(ShiftDemand(day, code, minimum, target, under, over))
        for iv in config["intervals"]:
            interval_demand.append(
                IntervalDemand(
                    day,
                    parse_hhmm(iv["start"], "start"),
                    parse_hhmm(iv["end"], "end"),
                    int(iv.get("minimum", 0)),
                    int(iv.get("target", iv.get("minimum", 0))),
                    under,
                    # More people in a window than its target is never a cost: the window is
                    # covered by whole shifts whose own targets already price overstaffing.
                    0,
                )
            )
        day += dt.timedelta(days=1)

    meeting = None
    if config.get("meeting"):
        m = config["meeting"]
        meeting = MeetingSlot(
            weekday=int(m.get("weekday", 2)),
            start_minute=parse_hhmm(m.get("start", "14:00"), "meeting.start"),
            end_minute=parse_hhmm(m.get("end", "15:00"), "meeting.end"),
            min_on_duty=int(m.get("min_on_duty", 1)),
        )

    team_id = scope.team.id if scope.team is not None else None
    facts: list[Unavailable] = await unavailability(session, employees, start, end, team_id=team_id)
    # Days a leave request counted are leave taken, not rest days (``Leave.absence``): the
    # weekly rest days fall on the person's other days, as they would have without the leave.
    leave = tuple(
        Leave(
            str(f.employee_id),
            max(f.start, start),
            min(f.end, end),
            f.reason,
            absence=f.absence is not None,
        )
        for f in facts
        if f.start <= end and f.end >= start
    )
    longest_shift = max(s.minutes for s in shift_types)
    horizon = (end - start).days + 1
    # Rest days inside a leave's range keep the person off the roster but are not leave: they
    # neither count toward the contract minimum nor shrink what the person could work.
    credited = tuple(lv for lv in leave if not lv.reason.startswith(rest_within("")))
    off_days = {e.id: _off_days(credited, str(e.id), start, end) for e in employees}
    blocked = {(e.id, d) for e in employees for d in _off_days(leave, str(e.id), start, end)}
    absences: dict[tuple[int, dt.date], str] = {}
    for f in facts:
        if f.absence is None:
            continue
        d = max(f.start, start)
        while d <= min(f.end, end):
            absences[(f.employee_id, d)] = f.absence
            d += dt.timedelta(days=1)

    wishes = [
        Request(
            str(w.employee_id),
            w.date,
            RequestKind(w.kind),
            w.shift_code if w.shift_code in codes else None,
            w.weight,
        )
        for w in await wishes_for(session, [e.id for e in employees], start, end)
        if w.kind == "day_off" or w.shift_code in codes
    ]

    locks: list[Lock] = []
    if lock_from is not None:
        for cell in await cells_of(session, lock_from.id):
            if cell.locked and str(cell.employee_id) in staff_ids and start <= cell.date <= end:
                if (cell.employee_id, cell.date) in blocked:
                    continue  # leave (or a move, a departure) since the lock: the fact wins
                locks.append(
                    Lock(
                        str(cell.employee_id),
                        cell.date,
                        cell.shift_code if cell.shift_code in codes else None,
                    )
                )

    # The rules look across both month ends: back into last month's roster of record, and
    # forward into next month's when that was published first (a re-solve or repair late in
    # the month must fit the roster people already have for the 1st).
    # A shift of a type since switched off is still a day worked: such types join the problem
    # as retired (never assigned), so the rest rules see those days.
    retired = {
        s.code: s
        for s in await session.scalars(
            select(ShiftTypeRow).where(
                ShiftTypeRow.department_id == scope.department.id,
                ShiftTypeRow.active.is_(False),
            )
        )
    }
    worked_codes = codes | set(retired)
    history = await _neighbour_cells(
        session, roster, start - dt.timedelta(days=HISTORY_DAYS), start, staff_ids, worked_codes
    )
    following = await _neighbour_cells(
        session,
        roster,
        end + dt.timedelta(days=1),
        end + dt.timedelta(days=1 + HISTORY_DAYS),
        staff_ids,
        worked_codes,
    )
    seen = {h.shift_id for h in (*history, *following)}
    shift_types += tuple(
        ShiftType(
            s.code,
            s.name,
            s.start_minute,
            s.end_minute,
            late=s.late,
            never_alone=s.never_alone,
            retired=True,
        )
        for code, s in sorted(retired.items())
        if code in seen
    )

    ref = None
    if reference is not None:
        rows: dict[str, dict[dt.date, str | None]] = {}
        for cell in await cells_of(session, reference.id):
            if str(cell.employee_id) in staff_ids:
                rows.setdefault(str(cell.employee_id), {})[cell.date] = (
                    cell.shift_code if cell.shift_code in codes else None
                )
        ref = ReferenceRoster(cells=rows, change_weight=5)

    calendar = Calendar(holidays=cal.holidays, makeup_workdays=cal.makeup_workdays, meeting=meeting)
    try:
        problem = RosterProblem(
            start=start,
            end=end,
            timezone=scope.department.timezone,
            shift_types=shift_types,
            staff=tuple(
                Staff(
                    id=str(e.id),
                    name=e.name,
                    team=e.team.name if e.team is not None else None,
                    flags=roster_flags(e, start, end),
                    trainee_until=trainee_until(e, start, end),
                    contract=prorated_contract(
                        e,
                        start,
                        end,
                        off_days[e.id],
                        longest_shift,
                        team_id=team_id,
                        calendar=calendar,
                    ),
                    fairness_group=fairness_group(e, horizon - len(off_days[e.id]), horizon),
                )
                for e in employees
            ),
            shift_demand=tuple(shift_demand),
            interval_demand=tuple(interval_demand),
            calendar=calendar,
            leave=leave,
            locks=tuple(locks),
            history=tuple(history),
            following=tuple(following),
            reference=ref,
            requests=tuple(wishes),
            rules=rules_from_dict(config["rules"]),
            name=f"{scope.label} {start:%Y-%m}",
        )
    except ProblemError as exc:
        raise ValidationFailedError(f"the roster cannot be set up: {exc}") from exc
    return BuiltProblem(
        problem=problem,
        employees=staff_ids,
        absences=absences,
        shift_snapshot=snapshot_of(shift_rows),
        time_limit_s=float(config["solver"].get("time_limit_s", 60)),
    )
