"""Handover notes per team and date."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import ConflictProblem, UnprocessableProblem
from api.schemas.handover import HandoverIn, HandoverOut, HandoverPatch
from scheduler.auth.principal import Principal
from scheduler.handover import service
from scheduler.handover.models import HandoverNote


def note_out(n: HandoverNote) -> HandoverOut:
    """Public view of a note."""
    return HandoverOut(
        id=n.id,
        team_id=n.team_id,
        date=n.date,
        from_shift=n.from_shift,
        to_shift=n.to_shift,
        to_date=n.to_date,
        body=n.body,
        open_items=list(n.open_items),
        author_id=n.author_id,
        version=n.version,
        created_at=n.created_at,
        updated_at=n.updated_at,
    )


@post(
    "/teams/{team_id:int}/handover-notes",
    tags=["handover"],
    status_code=201,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem, UnprocessableProblem],
)
async def create_note(
    team_id: FromPath[int],
    data: JSONBody[HandoverIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> HandoverOut:
    """Write the handover of one shift for the next (one per team, date and shift)."""
    note = await service.create_note(
        db_session,
        principal,
        team_id,
        date=data.date,
        from_shift=data.from_shift,
        to_shift=data.to_shift,
        body=data.body,
        open_items=[msgspec.structs.asdict(i) for i in data.open_items],
    )
    return note_out(note)


@get(
    "/teams/{team_id:int}/handover-notes",
    tags=["handover"],
    raises=[NotFoundException, UnprocessableProblem],
)
async def list_notes(
    team_id: FromPath[int],
    start: FromQuery[dt.date],
    end: FromQuery[dt.date],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> list[HandoverOut]:
    """The team's handover notes between two dates (inclusive)."""
    return [
        note_out(n) for n in await service.list_notes(db_session, principal, team_id, start, end)
    ]


@get("/handover-notes/{note_id:int}", tags=["handover"], raises=[NotFoundException])
async def get_note(
    note_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> HandoverOut:
    """One note."""
    return note_out(await service.get_note(db_session, principal, note_id))


@patch(
    "/handover-notes/{note_id:int}",
    tags=["handover"],
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem, UnprocessableProblem],
)
async def update_note(
    note_id: FromPath[int],
    data: JSONBody[HandoverPatch],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> HandoverOut:
    """Edit the text or tick off open items; send the version you read (409 if stale)."""
    note = await service.update_note(
        db_session,
        principal,
        note_id,
        body=data.body,
        open_items=None
        if data.open_items is None
        else [msgspec.structs.asdict(i) for i in data.open_items],
        expected_version=data.version,
    )
    return note_out(note)


ROUTES = [create_note, list_notes, get_note, update_note]
