"""Handover notes (交接, DOMAIN.md): the early shift writes for the late, the late for the morning.

A note belongs to a team, a date and the shift handing over; the receiving shift defaults to the
next shift by start time that day, or the first shift of the next day after the last one. Anyone
of the team (its agents) and the department's leads, supervisors and manager write and edit them;
everyone who can see the department reads them. Edits carry the note's version so two people
editing one note get a 409 rather than a lost update. ``days_with_notes`` is what the roster page
asks to mark the days that have a handover.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.auth.roles import DEPARTMENT_READERS
from scheduler.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from scheduler.handover.models import HandoverNote
from scheduler.org.models import Team
from scheduler.people.models import Employee
from scheduler.rosters.store import FIRST_YEAR, LAST_YEAR
from scheduler.shifts.service import list_shift_types

MAX_BODY = 10_000
MAX_ITEMS = 50


async def days_with_notes(
    session: AsyncSession, team_id: int, start: dt.date, end: dt.date
) -> set[dt.date]:
    """Dates between ``start`` and ``end`` (inclusive) on which the team wrote a handover."""
    rows = await session.scalars(
        select(HandoverNote.date)
        .where(
            HandoverNote.team_id == team_id, HandoverNote.date >= start, HandoverNote.date <= end
        )
        .distinct()
    )
    return set(rows.all())


async def note_days(
    session: AsyncSession, department_id: int, team_id: int | None, start: dt.date, end: dt.date
) -> set[dt.date]:
    """Dates with a handover for a roster's scope: its team's, or any team's of a department roster.

    The roster page marks these days (the issue: "the roster page shows which days have one").
    """
    if team_id is not None:
        return await days_with_notes(session, team_id, start, end)
    rows = await session.scalars(
        select(HandoverNote.date)
        .where(
            HandoverNote.department_id == department_id,
            HandoverNote.date >= start,
            HandoverNote.date <= end,
        )
        .distinct()
    )
    return set(rows.all())


async def _team(session: AsyncSession, actor: Principal, team_id: int) -> Team:
    team = await session.get(Team, team_id)
    if team is None or not actor.belongs_to(team.department_id):
        raise NotFoundError(f"team {team_id} not found")
    return team


async def _require_writer(session: AsyncSession, actor: Principal, team: Team) -> None:
    if actor.role in DEPARTMENT_READERS and actor.department_id == team.department_id:
        return
    if actor.employee_id is not None:
        me = await session.get(Employee, actor.employee_id)
        if me is not None and me.team_id == team.id:
            return
    raise PermissionDeniedError("only the team and its department's leads write its handover")


def _items(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_ITEMS:
        raise ValidationFailedError(
            "open items are a list",
            errors=[{"field": "open_items", "message": f"at most {MAX_ITEMS}"}],
        )
    out = []
    for i, item in enumerate(raw):
        text = item.get("text") if isinstance(item, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise ValidationFailedError(
                "an open item needs text",
                errors=[{"field": f"open_items[{i}].text", "message": "non-empty text"}],
            )
        out.append({"text": text.strip(), "done": bool(item.get("done", False))})
    return out


def _body(body: str, items: list[dict[str, Any]]) -> str:
    if len(body) > MAX_BODY:
        raise ValidationFailedError(
            "the note is too long",
            errors=[{"field": "body", "message": f"at most {MAX_BODY} characters"}],
        )
    if not body.strip() and not items:
        raise ValidationFailedError(
            "an empty handover",
            errors=[{"field": "body", "message": "write something or list open items"}],
        )
    return body


async def create_note(
    session: AsyncSession,
    actor: Principal,
    team_id: int,
    *,
    date: dt.date,
    from_shift: str,
    to_shift: str | None,
    body: str,
    open_items: list[dict[str, Any]],
) -> HandoverNote:
    """Write the handover of ``from_shift`` on ``date`` (one per team, date and shift; commits)."""
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        # 9999-12-31's next day (the late shift hands over to tomorrow) overflowed the calendar,
        # a 422 naming no field; the years are those a roster can be made for.
        raise ValidationFailedError(
            f"{date} is outside the years {FIRST_YEAR}-{LAST_YEAR}",
            errors=[
                {"field": "date", "message": f"a day of the years {FIRST_YEAR} to {LAST_YEAR}"}
            ],
        )
    team = await _team(session, actor, team_id)
    await _require_writer(session, actor, team)
    shifts = [s for s in await list_shift_types(session, team.department_id) if s.active]
    codes = [s.code for s in shifts]
    if from_shift not in codes:
        raise ValidationFailedError(
            f"unknown shift {from_shift!r}",
            errors=[
                {"field": "from_shift", "message": f"one of {', '.join(codes) or '(none defined)'}"}
            ],
        )
    i = codes.index(from_shift)
    if to_shift is None:
        to_shift = codes[i + 1] if i + 1 < len(codes) else codes[0]
    if to_shift not in codes:
        raise ValidationFailedError(
            f"unknown shift {to_shift!r}",
            errors=[{"field": "to_shift", "message": f"one of {', '.join(codes)}"}],
        )
    later_same_day = shifts[codes.index(to_shift)].start_minute > shifts[i].start_minute
    items = _items(open_items)
    note = HandoverNote(
        department_id=team.department_id,
        team_id=team.id,
        date=date,
        from_shift=from_shift,
        to_shift=to_shift,
        to_date=date if later_same_day else date + dt.timedelta(days=1),
        body=_body(body, items),
        open_items=items,
        author_id=actor.user_ref,
    )
    session.add(note)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise ConflictError(
            f"the {from_shift} shift of {date} already has a handover note; edit it",
            errors=[{"field": "from_shift", "message": "one note per team, date and shift"}],
        ) from exc
    return note


async def get_note(session: AsyncSession, actor: Principal, note_id: int) -> HandoverNote:
    """One note the actor may read."""
    note = await session.get(HandoverNote, note_id, populate_existing=True)
    if note is None or not actor.belongs_to(note.department_id):
        raise NotFoundError(f"handover note {note_id} not found")
    return note


async def update_note(
    session: AsyncSession,
    actor: Principal,
    note_id: int,
    *,
    body: str | None,
    open_items: list[dict[str, Any]] | None,
    expected_version: int,
) -> HandoverNote:
    """Edit the text or tick items off; a stale ``version`` is a 409 (commits)."""
    note = await session.scalar(
        select(HandoverNote)
        .where(HandoverNote.id == note_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if note is None or not actor.belongs_to(note.department_id):
        raise NotFoundError(f"handover note {note_id} not found")
    team = await _team(session, actor, note.team_id)
    await _require_writer(session, actor, team)
    if note.version != expected_version:
        raise ConflictError(
            f"note {note_id} is at version {note.version}, not {expected_version}: reload it",
            current_version=note.version,
        )
    items = _items(open_items) if open_items is not None else list(note.open_items)
    note.body = _body(body if body is not None else note.body, items)
    note.open_items = items
    await session.commit()
    return note


async def list_notes(
    session: AsyncSession, actor: Principal, team_id: int, start: dt.date, end: dt.date
) -> list[HandoverNote]:
    """A team's notes between two dates, by date and shift."""
    await _team(session, actor, team_id)
    if end < start or (end - start).days > 366:
        raise ValidationFailedError(
            "bad date range",
            errors=[{"field": "end", "message": "on or after start, within a year"}],
        )
    rows = await session.scalars(
        select(HandoverNote)
        .where(
            HandoverNote.team_id == team_id, HandoverNote.date >= start, HandoverNote.date <= end
        )
        .order_by(HandoverNote.date, HandoverNote.id)
    )
    return list(rows.all())
