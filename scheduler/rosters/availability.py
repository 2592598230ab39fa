"""Who cannot work when: the hard facts a roster must respect besides its rules.

Every source of unavailability is gathered here (employment dates: before the hire date, and
after the last working day of someone who left; on a team's rosters, before the day the person
joined the team; approved full-day leave from
``scheduler.leave``), so the solver, the repair and the checker of manual edits all see the
same facts. Half-day leave does not free the day's shift (the person works the other half), so
it is not a fact here. The rest days inside a leave's range (days its request did not count)
are facts too, without an absence: the person is away, and those days are their rest days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.leave.models import LeaveRequest
from scheduler.people.models import Employee


@dataclass(frozen=True, slots=True)
class Unavailable:
    """A person cannot be rostered from ``start`` to ``end`` (inclusive), for ``reason``.

    ``absence`` is the leave type code shown in the roster cell ("annual", "sick", ...), or
    None when the person is simply not there (not hired yet, or gone).
    """

    employee_id: int
    start: dt.date
    end: dt.date
    reason: str
    absence: str | None = None


#: Why a person is off the roster before their hire date; the solver reads it as "is not yet hired".
NOT_YET_HIRED = "not yet hired"
#: Why a person is off the roster after their last working day (``Employee.left_on``). Reads
#: as it is after "is" in the checker's messages ("... but is no longer employed").
NO_LONGER_EMPLOYED = "no longer employed"
#: Why a person who moved to another team is off their old team's roster from the move on.
NO_LONGER_IN_TEAM = "no longer in this team"
#: Why a person who moved into a team is off its roster before the move (the old team's days).
NOT_YET_IN_TEAM = "not yet in this team"


def rostered_from(e: Employee, team_id: int | None) -> dt.date:
    """The first day a roster of ``team_id`` (None: a whole department's) may have ``e`` on it.

    The hire date, or for a team's roster of someone who moved into it, the day of the move: the
    days before belong to the old team's roster.
    """
    if team_id is not None and e.team_id == team_id and e.team_since is not None:
        return max(e.hire_date, e.team_since)
    return e.hire_date


def leave_reason(type_code: str) -> str:
    """The reason approved leave of a type gives: "approved annual leave".

    One spelling for the problem builder and for the leave approval that adds the same fact to a
    published version's problem, so calling that leave off finds the fact again.
    """
    return f"approved {type_code} leave"


def rest_within(reason: str) -> str:
    """The reason a rest day inside a leave's range gives: "on a rest day within approved ...".

    A request counts only its working days (a weekend inside Friday-to-Monday leave is not
    leave); when the roster is solved after the leave was approved, those days stay rest days,
    so the roster, the request and attendance agree on the days of leave taken.
    """
    return f"on a rest day within {reason}"


def _runs(lv: LeaveRequest, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date, bool]]:
    """The leave's days within ``start``..``end`` as runs of (first, last, is a leave day).

    A leave day is one the request counted when filed (its stored day plan); a request without
    a plan (none are filed so) counts every day.
    """
    counted = {
        dt.date.fromisoformat(str(p["date"]))
        for p in (lv.schedule or [])
        if isinstance(p, dict) and p.get("counted")
    }
    planned = bool(lv.schedule)
    runs: list[tuple[dt.date, dt.date, bool]] = []
    day, last = max(start, lv.start_date), min(end, lv.end_date)
    while day <= last:
        on_leave = day in counted or not planned
        if runs and runs[-1][2] == on_leave and runs[-1][1] == day - dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day, on_leave)
        else:
            runs.append((day, day, on_leave))
        day += dt.timedelta(days=1)
    return runs


async def unavailability(
    session: AsyncSession,
    employees: list[Employee],
    start: dt.date,
    end: dt.date,
    *,
    team_id: int | None = None,
) -> list[Unavailable]:
    """Every fact that keeps one of ``employees`` off a roster between two dates.

    ``team_id`` is the roster's team (None for a whole department's): someone who moved into it
    is off its days before the move.
    """
    facts: list[Unavailable] = []
    for e in employees:
        if e.hire_date > start:
            facts.append(
                Unavailable(
                    e.id, start, min(end, e.hire_date - dt.timedelta(days=1)), NOT_YET_HIRED
                )
            )
        joined = rostered_from(e, team_id)
        if joined > max(start, e.hire_date):
            facts.append(
                Unavailable(
                    e.id,
                    max(start, e.hire_date),
                    min(end, joined - dt.timedelta(days=1)),
                    NOT_YET_IN_TEAM,
                )
            )
        if e.left_on is not None and e.left_on < end:
            facts.append(
                Unavailable(
                    e.id, max(start, e.left_on + dt.timedelta(days=1)), end, NO_LONGER_EMPLOYED
                )
            )
    by_id = {e.id: e for e in employees}
    if by_id:
        leave = await session.scalars(
            select(LeaveRequest).where(
                LeaveRequest.employee_id.in_(list(by_id)),
                LeaveRequest.status == "approved",
                LeaveRequest.half.is_(None),
                LeaveRequest.start_date <= end,
                LeaveRequest.end_date >= start,
            )
        )
        for lv in leave.all():
            reason = leave_reason(lv.type_code)
            for first, last, on_leave in _runs(lv, start, end):
                facts.append(
                    Unavailable(
                        lv.employee_id,
                        first,
                        last,
                        reason if on_leave else rest_within(reason),
                        absence=lv.type_code if on_leave else None,
                    )
                )
    return facts


@dataclass(frozen=True, slots=True)
class HalfDay:
    """Approved half-day leave: ``am`` (the first half of the day's shift) or ``pm``."""

    half: str
    type_code: str


async def half_days_of(
    session: AsyncSession, employee_ids: Collection[int], start: dt.date, end: dt.date
) -> dict[tuple[int, dt.date], list[HalfDay]]:
    """Approved half-day leave of some people between two dates, by (person, date).

    Half days are not facts of the roster (the person works the other half), but what people
    are shown must say which half: a person's shift list and calendar show the half they work,
    and the roster's window coverage (the handover) counts only those at work through it.
    """
    if not employee_ids:
        return {}
    rows = await session.scalars(
        select(LeaveRequest)
        .where(
            LeaveRequest.employee_id.in_(list(employee_ids)),
            LeaveRequest.status == "approved",
            LeaveRequest.half.is_not(None),
            LeaveRequest.start_date >= start,
            LeaveRequest.start_date <= end,
        )
        .order_by(LeaveRequest.half)
    )
    out: dict[tuple[int, dt.date], list[HalfDay]] = {}
    for lv in rows.all():
        key = (lv.employee_id, lv.start_date)
        out.setdefault(key, []).append(HalfDay(str(lv.half), lv.type_code))
    return out


async def half_days(
    session: AsyncSession, employee_id: int, start: dt.date, end: dt.date
) -> dict[dt.date, list[HalfDay]]:
    """One person's approved half-day leave between two dates, by date."""
    found = await half_days_of(session, [employee_id], start, end)
    return {day: halves for (_, day), halves in found.items()}


def worked_part(
    start_minute: int, end_minute: int, halves: list[HalfDay]
) -> tuple[int, int] | None:
    """The minutes of a shift left to work after half-day leave; None when both halves are off.

    The halves split the shift at its midpoint, as the leave request stored them.
    """
    taken = {h.half for h in halves}
    if {"am", "pm"} <= taken:
        return None
    mid = (start_minute + end_minute) // 2
    if "am" in taken:
        return mid, end_minute
    if "pm" in taken:
        return start_minute, mid
    return start_minute, end_minute
