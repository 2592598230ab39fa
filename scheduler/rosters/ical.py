"""A person's published shifts as an iCalendar feed their phone subscribes to.

The feed is public by URL: the secret is the employee's ``calendar_token`` in it, because phone
calendar apps cannot send a login. Rotating the token is how a person (or their manager) revokes
a URL that leaked. Events carry the department's zone as TZID with a matching VTIMEZONE, so a
phone in another zone still shows 08:30 Shanghai time correctly; the late shift 15:00-24:00 ends
at 00:00 of the next date. UIDs are the employee and the date, so when a new version is published
the phone updates the same event instead of adding a duplicate. SEQUENCE only ever grows for a UID
(RFC 5545 3.8.7.4): a calendar that already holds an event with the same UID and SEQUENCE keeps
its copy, so half-day leave approved or cancelled, which moves an event's times without a new
roster version, bumps it too (see :func:`half_day_revisions`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.errors import NotFoundError
from scheduler.leave.models import LeaveRequest
from scheduler.org.models import Department
from scheduler.people.models import Employee
from scheduler.rosters import store
from scheduler.rosters.availability import HalfDay, half_days, worked_part
from scheduler.shifts.clock import shift_instants

#: The window a feed covers around today: enough history for "when did I work", a season ahead.
DAYS_BACK = 60
DAYS_AHEAD = 120
UID_DOMAIN = "rota"


def new_token() -> str:
    """An unguessable token for a feed URL (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


async def _employee_for_token_change(
    session: AsyncSession, actor: Principal, employee_id: int
) -> Employee:
    """The employee whose token the caller may see or rotate: themself, or their manager's staff.

    Someone the caller cannot even read is not found (404); a colleague they can read (a team
    lead's, a supervisor's staff) is refused with a 403 saying why: the feed is a credential.
    """
    employee = await session.get(Employee, employee_id)
    if employee is None or not actor.can_read_employee(employee_id, employee.department_id):
        raise NotFoundError(f"employee {employee_id} not found")
    actor.require(
        actor.employee_id == employee_id or actor.can_manage_department(employee.department_id),
        "see or rotate another person's calendar feed (it is their credential)",
    )
    return employee


async def calendar_token(
    session: AsyncSession, actor: Principal, employee_id: int, *, rotate: bool = False
) -> str:
    """The employee's feed token, created on first use; ``rotate`` replaces it.

    A rotated token invalidates every URL made from the old one. Committed here, because the
    caller hands the URL to a phone straight away.
    """
    employee = await _employee_for_token_change(session, actor, employee_id)
    if employee.calendar_token is None or rotate:
        employee.calendar_token = new_token()
        await session.commit()
    token = employee.calendar_token
    assert token is not None
    return token


def feed_url(public_url: str, token: str) -> str:
    """The subscription URL staff paste into their calendar app."""
    return f"{public_url.rstrip('/')}/calendar/{token}.ics"


def _event_uid(employee_id: int, day: dt.date) -> str:
    return f"{employee_id}-{day.isoformat()}@{UID_DOMAIN}"


def build_feed(
    employee: Employee,
    department: Department,
    cells: list[store.PublishedCell],
    now: dt.datetime,
    halves: Mapping[dt.date, list[HalfDay]] | None = None,
    revisions: Mapping[dt.date, int] | None = None,
) -> bytes:
    """The VCALENDAR for a person's published cells: shifts with times, leave as all-day events.

    A shift with approved half-day leave is the half worked, its summary naming the leave. An
    event's SEQUENCE is its cell's version number plus ``revisions`` of that date (changes made
    outside roster versions), so it grows whenever the event does.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//rota//roster feed//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{employee.name} · {department.name}")
    cal.add("x-wr-timezone", department.timezone)
    cal.add("refresh-interval", dt.timedelta(hours=6), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")
    stamp = now.astimezone(dt.UTC)
    for cell in cells:
        event = icalendar.Event()
        event.add("uid", _event_uid(employee.id, cell.date))
        event.add("dtstamp", stamp)
        event.add("sequence", cell.version_number + (revisions or {}).get(cell.date, 0))
        taken = (halves or {}).get(cell.date, []) if cell.shift_code is not None else []
        part = None
        if cell.shift_code is not None and cell.shift is not None:
            part = worked_part(
                int(str(cell.shift.get("start_minute", 0))),
                int(str(cell.shift.get("end_minute", 0))),
                taken,
            )
        if cell.shift_code is not None and cell.shift is not None and part is not None:
            start, end = shift_instants(cell.date, *part, cell.timezone)
            name = str(cell.shift.get("name") or cell.shift_code)
            if taken:
                name += f" ({', '.join(f'{h.half.upper()} {h.type_code} leave' for h in taken)})"
            event.add("summary", name)
            event.add("dtstart", start)
            event.add("dtend", end)
            event.add("categories", [cell.shift_code])
            event.add("transp", "OPAQUE")
        elif cell.absence or taken:
            event.add("summary", f"Leave: {cell.absence or taken[0].type_code}")
            event.add("dtstart", cell.date)
            event.add("dtend", cell.date + dt.timedelta(days=1))
            event.add("transp", "TRANSPARENT")
        else:
            continue  # a rest day is the absence of an event
        event.add("description", f"roster {cell.roster_id}, version {cell.version_number}")
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


async def feed_for_token(session: AsyncSession, token: str, now: dt.datetime) -> bytes:
    """The feed behind a token, from 60 days back to 120 days ahead of today in the department.

    Raises:
        NotFoundError: for an unknown (or rotated-away) token; the same answer as a wrong URL.
    """
    if not token or len(token) > 64:
        raise NotFoundError("no calendar at this address")
    employee = await session.scalar(select(Employee).where(Employee.calendar_token == token))
    if employee is None or not secrets.compare_digest(employee.calendar_token or "", token):
        raise NotFoundError("no calendar at this address")
    department = await session.get(Department, employee.department_id)
    if department is None:  # pragma: no cover - a foreign key guarantees it
        raise NotFoundError("no calendar at this address")
    today = now.astimezone(ZoneInfo(department.timezone)).date()
    cells = await store.published_cells_for_employee(
        session,
        employee.id,
        today - dt.timedelta(days=DAYS_BACK),
        today + dt.timedelta(days=DAYS_AHEAD),
    )
    first, last = today - dt.timedelta(days=DAYS_BACK), today + dt.timedelta(days=DAYS_AHEAD)
    halves = await half_days(session, employee.id, first, last)
    revisions = await half_day_revisions(session, employee.id, first, last)
    return build_feed(employee, department, cells, now, halves, revisions)


async def half_day_revisions(
    session: AsyncSession, employee_id: int, first: dt.date, last: dt.date
) -> dict[dt.date, int]:
    """By date, how often half-day leave changed the day's event without a new roster version.

    Half-day leave is not a roster fact (no new version), yet approving it shortens the shift's
    event and cancelling it lengthens it again. Each counts once: an approved request 1, a
    cancelled one 2 (only approved leave is cancelled; pending leave is withdrawn and never
    showed). Counts only grow, so the SEQUENCE built on them does too.
    """
    rows = await session.execute(
        select(LeaveRequest.start_date, LeaveRequest.status).where(
            LeaveRequest.employee_id == employee_id,
            LeaveRequest.half.is_not(None),
            LeaveRequest.status.in_(("approved", "cancelled")),
            LeaveRequest.start_date >= first,
            LeaveRequest.start_date <= last,
        )
    )
    out: dict[dt.date, int] = {}
    for day, status in rows.all():
        out[day] = out.get(day, 0) + (2 if status == "cancelled" else 1)
    return out
