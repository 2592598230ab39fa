"""Shift swaps: propose, accept / decline, withdraw, list and read (approval via /approvals)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import ConflictProblem, UnprocessableProblem
from api.schemas.headers import IdempotencyKey
from api.schemas.query import Limit, Offset, choice, require_one_of
from api.schemas.swaps import SwapIn, SwapOut, SwapResponseIn
from scheduler.approvals import service as approvals
from scheduler.approvals.service import Idempotency
from scheduler.auth.principal import Principal
from scheduler.swaps import service
from scheduler.swaps.models import SWAP_STATUSES, SwapRequest

Status = Annotated[str | None, choice("only swaps in this status", SWAP_STATUSES)]


async def _waiting(session: AsyncSession, swaps: list[SwapRequest]) -> dict[int, str]:
    """Who must act next on each open swap: the colleague, then the approval's current role."""
    roles = await approvals.waiting_for(session, [s.approval_id for s in swaps])
    out = {s.id: "colleague" for s in swaps if s.status == "proposed"}
    out.update({s.id: roles[s.approval_id] for s in swaps if s.approval_id in roles})
    return out


async def swap_answer(
    session: AsyncSession, s: SwapRequest, details: dict[str, Any] | None = None
) -> SwapOut:
    """:func:`swap_out` with who must act next."""
    return swap_out(s, details, (await _waiting(session, [s])).get(s.id))


def swap_out(
    s: SwapRequest, details: dict[str, Any] | None = None, waiting_for: str | None = None
) -> SwapOut:
    """Public view of a swap (with fresh checks when given)."""
    return SwapOut(
        id=s.id,
        department_id=s.department_id,
        requester_id=s.requester_id,
        date=s.requester_date,
        shift=s.requester_shift,
        colleague_id=s.colleague_id,
        colleague_date=s.colleague_date,
        colleague_shift=s.colleague_shift,
        kind="give_away" if s.colleague_date is None else "swap",
        note=s.note,
        status=s.status,
        response_note=s.response_note,
        approval_id=s.approval_id,
        waiting_for=waiting_for,
        violations=list((details or {}).get("violations", s.violations)),
        problems=list((details or {}).get("problems", [])),
        roster_versions=list(s.roster_versions),
        created_at=s.created_at,
    )


_RAISES = [NotFoundException, PermissionDeniedException, ConflictProblem, UnprocessableProblem]


@post("/swaps", tags=["swaps"], status_code=201, raises=_RAISES)
async def propose_swap(
    data: JSONBody[SwapIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    idempotency_key: IdempotencyKey = None,
) -> Response[SwapOut]:
    """Propose a swap (or, without ``colleague_date``, give the shift away); shows violations.

    With an ``Idempotency-Key``, a retry answers the swap the first attempt proposed (200,
    ``Idempotent-Replayed: true``).
    """
    request = service.SwapInput(
        requester_date=data.date,
        colleague_id=data.colleague_id,
        colleague_date=data.colleague_date,
        note=data.note,
    )
    fields = {k: str(v) for k, v in dataclasses.asdict(request).items()}
    idem = Idempotency.of(idempotency_key, {"op": "propose_swap", **fields})
    proposed = await service.propose(db_session, principal, request, idem)
    if proposed.replayed:
        return Response(
            await swap_answer(db_session, proposed.swap),
            status_code=200,
            headers={"Idempotent-Replayed": "true"},
        )
    return Response(await swap_answer(db_session, proposed.swap), status_code=201)


@get("/swaps", tags=["swaps"], raises=[UnprocessableProblem])
async def list_swaps(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    status: FromQuery[Status] = None,
    limit: FromQuery[Limit] = 50,
    offset: FromQuery[Offset] = 0,
) -> list[SwapOut]:
    """Swaps I am party to, and my department's for managers and leads.

    An unknown ``status`` is a 422 listing the values it takes.
    """
    require_one_of("status", status, SWAP_STATUSES)
    rows = await service.list_swaps(
        db_session, principal, status=status, limit=limit, offset=offset
    )
    waiting = await _waiting(db_session, rows)
    return [swap_out(s, None, waiting.get(s.id)) for s in rows]


@get("/swaps/{swap_id:int}", tags=["swaps"], raises=[NotFoundException])
async def get_swap(
    swap_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> SwapOut:
    """A swap, re-checked against the roster as it is now."""
    swap = await service.get_swap(db_session, principal, swap_id)
    return await swap_answer(db_session, swap, await service.swap_details(db_session, swap))


@post("/swaps/{swap_id:int}/accept", tags=["swaps"], status_code=200, raises=_RAISES)
async def accept_swap(
    swap_id: FromPath[int],
    data: JSONBody[SwapResponseIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> SwapOut:
    """The colleague agrees; the department manager's approval opens (``approval_id``)."""
    swap = await service.respond(db_session, principal, swap_id, accept=True, note=data.note)
    return await swap_answer(db_session, swap)


@post("/swaps/{swap_id:int}/decline", tags=["swaps"], status_code=200, raises=_RAISES)
async def decline_swap(
    swap_id: FromPath[int],
    data: JSONBody[SwapResponseIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> SwapOut:
    """The colleague says no; the shifts are free for another swap."""
    swap = await service.respond(db_session, principal, swap_id, accept=False, note=data.note)
    return await swap_answer(db_session, swap)


@post("/swaps/{swap_id:int}/withdraw", tags=["swaps"], status_code=200, raises=_RAISES)
async def withdraw_swap(
    swap_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> SwapOut:
    """The proposer takes the swap back (before or after the colleague accepted)."""
    return await swap_answer(db_session, await service.withdraw(db_session, principal, swap_id))


ROUTES = [propose_swap, list_swaps, get_swap, accept_swap, decline_swap, withdraw_swap]
