"""Shift swaps (换班): propose, the colleague accepts or declines, the department manager approves.

Three shapes, all on one published roster (one team's month):

* same date: A's shift X and B's shift Y on one date trade places;
* two dates: A works B's shift Y on B's date and B works A's shift X on A's date (each must be
  free on the other's date, and each is then free on their own);
* give-away: B, free that day, takes A's shift; A rests.

Every cell the swap would change is claimed (``swap_claims``, primary key per person and date)
while it is open, so one shift takes part in at most one open swap even when two are proposed at
once. On acceptance the approval request opens (kind ``swap``, chain from the department's policy:
the department manager by default, DOMAIN.md). Before approval the resulting roster is run through
the solver's checker (rest between shifts, days in a row, trainee not alone, contract limits); a
swap at the end of a month is also checked against the next month's roster of record. The
approver sees every hard violation the swap causes (not one it finds or makes better); approving
despite them needs a comment, recorded as the reason. A swap whose shifts have started
(department time zone) or whose cells changed since it was proposed cannot be approved (409).
Approval publishes a new roster version in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pendulum
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.approvals import service as approvals
from scheduler.approvals.models import ApprovalRequest
from scheduler.approvals.registry import register
from scheduler.auth.principal import Principal
from scheduler.auth.roles import ORGANISATION_ROLES
from scheduler.db.base import utcnow
from scheduler.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from scheduler.org import lookup
from scheduler.people.models import Employee
from scheduler.rosters.models import Roster
from scheduler.rosters.store import (
    PublishedCell,
    cells_of,
    published_cells_for_employee,
    published_version,
)
from scheduler.rosters.versions import (
    assignment_of,
    caused_violations,
    derive_published,
    lock_rosters,
    problem_of,
    violation_json,
)
from scheduler.swaps.models import OPEN_SWAP_STATUSES, SwapClaim, SwapRequest
from solver.problem import RosterProblem
from solver.result import Assignment

Key = tuple[int, dt.date]
Changes = dict[Key, tuple[str | None, str | None]]


# ---------------------------------------------------------------- the swap's cells


def expected_cells(swap: SwapRequest) -> dict[Key, str | None]:
    """What the roster said at proposal for every cell the swap touches (None: free)."""
    a, b, d1, d2 = swap.requester_id, swap.colleague_id, swap.requester_date, swap.colleague_date
    if d2 is None:
        return {(a, d1): swap.requester_shift, (b, d1): None}
    if d2 == d1:
        return {(a, d1): swap.requester_shift, (b, d1): swap.colleague_shift}
    return {
        (a, d1): swap.requester_shift,
        (b, d1): None,
        (b, d2): swap.colleague_shift,
        (a, d2): None,
    }


def changes_of(swap: SwapRequest) -> Changes:
    """The cells after the swap."""
    a, b, d1, d2 = swap.requester_id, swap.colleague_id, swap.requester_date, swap.colleague_date
    x, y = swap.requester_shift, swap.colleague_shift
    if d2 is None:
        return {(a, d1): (None, None), (b, d1): (x, None)}
    if d2 == d1:
        return {(a, d1): (y, None), (b, d1): (x, None)}
    return {(a, d1): (None, None), (b, d1): (x, None), (b, d2): (None, None), (a, d2): (y, None)}


async def _cell(session: AsyncSession, employee_id: int, day: dt.date) -> PublishedCell | None:
    cells = await published_cells_for_employee(session, employee_id, day, day)
    return cells[0] if cells else None


def _start_of(cell: PublishedCell) -> dt.datetime | None:
    shift = cell.shift or {}
    minute = shift.get("start_minute")
    if not isinstance(minute, int):
        return None
    local = pendulum.datetime(cell.date.year, cell.date.month, cell.date.day, tz=cell.timezone)
    start = local.add(minutes=minute)
    return dt.datetime.fromtimestamp(start.timestamp(), tz=dt.UTC)


@dataclass(frozen=True, slots=True)
class CurrentState:
    """The published cells a swap touches, as they are now."""

    cells: dict[Key, PublishedCell | None]
    #: Who each employee id is, so a refusal names people as the roster does.
    names: dict[int, str] = field(default_factory=dict)

    def _who(self, emp: int) -> str:
        name = self.names.get(emp)
        return f"{name} (employee {emp})" if name else f"employee {emp}"

    def differences(self, expected: dict[Key, str | None]) -> list[str]:
        """Why the roster no longer matches what the swap was proposed against."""
        out = []
        for (emp, day), shift in expected.items():
            cell = self.cells.get((emp, day))
            now = None if cell is None else cell.shift_code
            if cell is None:
                out.append(f"{self._who(emp)} has no published cell on {day}")
            elif now != shift or (shift is None and cell.absence is not None):
                # What the swap needs against what the roster has: "was" would claim a past
                # state nobody saw (at a proposal the needed "free" is a requirement, not news).
                # "on leave", not its type: the parties of a swap are agents, and a colleague's
                # sick leave is health information (as on the roster agents read).
                has = f"on {now}" if now else "on leave" if cell.absence else "free"
                out.append(
                    f"{self._who(emp)} on {day}: the swap needs them "
                    f"{f'on {shift}' if shift else 'free'}, but the roster has them {has}"
                )
        return out

    def started(self, now: dt.datetime) -> list[str]:
        """Shifts of the swap that have already begun."""
        out = []
        for (emp, day), cell in self.cells.items():
            if cell is not None and cell.shift_code is not None:
                start = _start_of(cell)
                if start is not None and start <= now:
                    who = self._who(emp)
                    out.append(f"{who}: the {cell.shift_code} shift on {day} has started")
        return out


async def current_state(session: AsyncSession, keys: list[Key]) -> CurrentState:
    """The published cells of the given (person, date) pairs."""
    people = await lookup.employees_by_id(session, {emp for emp, _ in keys})
    return CurrentState(
        {k: await _cell(session, *k) for k in keys},
        {emp: person.name for emp, person in people.items()},
    )


@dataclass(frozen=True, slots=True)
class RosterOfRecord:
    """A roster's published version as the swap check needs it (loaded once per list page)."""

    roster: Roster
    problem: RosterProblem
    assignment: Assignment


#: Rosters of record already loaded while describing a page of swaps, by roster id.
RosterCache = dict[int, RosterOfRecord | None]


async def _of_record(
    session: AsyncSession, roster_id: int, cache: RosterCache | None
) -> RosterOfRecord | None:
    if cache is not None and roster_id in cache:
        return cache[roster_id]
    roster = await session.get(Roster, roster_id)
    version = await published_version(session, roster_id)
    found = None
    if roster is not None and version is not None:
        cells = await cells_of(session, version.id)
        found = RosterOfRecord(roster, problem_of(version), assignment_of(cells))
    if cache is not None:
        cache[roster_id] = found
    return found


def _copy(assignment: Assignment) -> dict[str, dict[dt.date, str | None]]:
    """A private copy: the cached cells serve every swap of a page, unchanged."""
    return {emp: dict(days) for emp, days in assignment.items()}


async def violations_after(
    session: AsyncSession, roster_id: int, changes: Changes, cache: RosterCache | None = None
) -> list[dict[str, Any]]:
    """Hard rule violations the swap would add to the roster of record.

    Only new ones: a breach already there that the swap leaves or improves (a cover that brings
    someone closer to their contract minimum) is not the swap's doing and needs no override. A
    swap on the month's last days is also checked against the next month's roster of record.
    With a ``cache`` (a list of swaps), each roster's cells are read once.
    """
    record = await _of_record(session, roster_id, cache)
    if record is None:
        return []
    before, after = _copy(record.assignment), _copy(record.assignment)
    for (emp, day), (shift, _absence) in changes.items():
        after.setdefault(str(emp), {})[day] = shift
    caused = await caused_violations(session, record.roster, record.problem, before, after)
    return [violation_json(v) for v in caused]


# ---------------------------------------------------------------- propose / respond


@dataclass(frozen=True, slots=True)
class SwapInput:
    """What the proposer asks."""

    requester_date: dt.date
    colleague_id: int
    colleague_date: dt.date | None = None
    note: str | None = None


def _bad(message: str, field: str, detail: str) -> ValidationFailedError:
    return ValidationFailedError(detail, errors=[{"field": field, "message": message}])


@dataclass(frozen=True, slots=True)
class Proposed:
    """A swap as proposed, and whether this was a retry answered with the stored one."""

    swap: SwapRequest
    replayed: bool = False


async def _proposed_before(
    session: AsyncSession, actor: Principal, idem: approvals.Idempotency | None
) -> Proposed | None:
    stored = await approvals.stored_answer(session, actor, idem)
    if stored is None:
        return None
    swap = await session.get(SwapRequest, int(stored["swap_id"]))
    return Proposed(swap, replayed=True) if swap is not None else None


async def propose(
    session: AsyncSession,
    actor: Principal,
    data: SwapInput,
    idem: approvals.Idempotency | None = None,
) -> Proposed:
    """Propose a swap or give-away of the actor's own shift (commits).

    With an ``Idempotency-Key``, a retry gets the swap the first attempt proposed; a concurrent
    retry loses the race on the shifts' claims and then finds the winner's stored answer.
    """
    if actor.employee_id is None:
        raise PermissionDeniedError("only staff with shifts propose swaps")
    if (before := await _proposed_before(session, actor, idem)) is not None:
        return before
    me = await session.get(Employee, actor.employee_id)
    other = await session.get(Employee, data.colleague_id)
    assert me is not None
    if other is None or other.department_id != me.department_id or not other.active:
        raise _bad("an active colleague of your department", "colleague_id", "unknown colleague")
    if other.id == me.id:
        raise _bad("someone else", "colleague_id", "you cannot swap with yourself")
    mine = await _cell(session, me.id, data.requester_date)
    if mine is None:
        raise _bad("no published roster on this date", "date", "that date has no published roster")
    if mine.shift_code is None:
        raise _bad("you have no shift on this date", "date", "you have no shift to swap that day")
    x = mine.shift_code
    y: str | None = None
    d2 = data.colleague_date
    if d2 is None:
        theirs = await _cell(session, other.id, data.requester_date)
        if theirs is None or theirs.shift_code is not None or theirs.absence is not None:
            raise _bad(
                "the colleague must be free that day",
                "colleague_id",
                "the colleague is not free to take your shift",
            )
    else:
        theirs = await _cell(session, other.id, d2)
        if theirs is None or theirs.shift_code is None:
            raise _bad(
                "the colleague has no shift on this date",
                "colleague_date",
                "no shift of the colleague to swap with",
            )
        y = theirs.shift_code
        if d2 == data.requester_date and x == y:
            raise _bad(
                "both work the same shift", "colleague_date", "nothing to swap: the same shift"
            )
        if theirs.roster_id != mine.roster_id:
            raise _bad(
                "swaps stay within one roster (team and month)",
                "colleague_date",
                "different rosters",
            )
    swap = SwapRequest(
        department_id=me.department_id,
        requester_id=me.id,
        requester_date=data.requester_date,
        requester_shift=x,
        colleague_id=other.id,
        colleague_date=d2,
        colleague_shift=y,
        note=data.note,
        status="proposed",
        created_by=actor.user_ref,
    )
    state = await current_state(session, list(expected_cells(swap)))
    if diffs := state.differences(expected_cells(swap)):
        raise _bad(
            "; ".join(diffs),
            "colleague_date" if d2 else "colleague_id",
            "the cells do not allow this swap",
        )
    if any(c is not None and c.roster_id != mine.roster_id for c in state.cells.values()):
        raise _bad("swaps stay within one roster (team and month)", "date", "different rosters")
    if started := state.started(utcnow()):
        raise _bad("; ".join(started), "date", "a shift of this swap has already started")
    swap.violations = await violations_after(session, mine.roster_id, changes_of(swap))
    session.add(swap)
    await session.flush()
    session.add_all(SwapClaim(employee_id=e, date=d, swap_id=swap.id) for e, d in changes_of(swap))
    approvals.remember(session, actor, idem, 201, {"swap_id": swap.id})
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        if (before := await _proposed_before(session, actor, idem)) is not None:
            return before
        raise ConflictError(
            "one of these shifts is already part of an open swap",
            errors=[{"field": "date", "message": "already in an open swap"}],
        ) from exc
    await session.commit()
    return Proposed(swap)


def _may_see(actor: Principal, swap: SwapRequest) -> bool:
    if actor.employee_id in (swap.requester_id, swap.colleague_id):
        return True
    return actor.role in ORGANISATION_ROLES or actor.can_read_department(swap.department_id)


async def get_swap(
    session: AsyncSession, actor: Principal, swap_id: int, *, lock: bool = False
) -> SwapRequest:
    """One swap the actor may see (404 otherwise)."""
    stmt = (
        select(SwapRequest)
        .where(SwapRequest.id == swap_id)
        .execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update()
    swap = await session.scalar(stmt)
    if swap is None or not _may_see(actor, swap):
        raise NotFoundError(f"swap {swap_id} not found")
    return swap


async def _release(session: AsyncSession, swap: SwapRequest) -> None:
    await session.execute(delete(SwapClaim).where(SwapClaim.swap_id == swap.id))


async def _roster_id(session: AsyncSession, swap: SwapRequest) -> int:
    cell = await _cell(session, swap.requester_id, swap.requester_date)
    if cell is None:
        raise ConflictError("the roster of this swap is no longer published")
    return cell.roster_id


#: Said wherever a swap no longer fits: what the approver can still do with it.
STALE_ADVICE = "it can no longer be approved; reject it to close it and free the shifts"


async def _verify_still_valid(session: AsyncSession, swap: SwapRequest) -> None:
    """409 for a swap the roster no longer allows (the waiting list marks it ``stale``)."""
    state = await current_state(session, list(expected_cells(swap)))
    if diffs := state.differences(expected_cells(swap)):
        raise ConflictError(
            "the roster changed since this swap was proposed: "
            + "; ".join(diffs)
            + f"; {STALE_ADVICE}",
            changes=diffs,
            stale=True,
        )
    if started := state.started(utcnow()):
        raise ConflictError(
            "too late: " + "; ".join(started) + f"; {STALE_ADVICE}", changes=started, stale=True
        )


async def respond(
    session: AsyncSession, actor: Principal, swap_id: int, *, accept: bool, note: str | None
) -> SwapRequest:
    """The colleague accepts (the manager's approval opens) or declines (commits)."""
    swap = await get_swap(session, actor, swap_id, lock=True)
    if actor.employee_id != swap.colleague_id:
        raise PermissionDeniedError("only the colleague asked accepts or declines")
    if swap.status != "proposed":
        raise ConflictError(f"swap {swap_id} is {swap.status}")
    swap.responded_at = utcnow()
    swap.response_note = note
    swap.revision += 1
    if not accept:
        swap.status = "declined"
        await _release(session, swap)
        await session.commit()
        return swap
    await _verify_still_valid(session, swap)
    swap.violations = await violations_after(
        session, await _roster_id(session, swap), changes_of(swap)
    )
    swap.status = "accepted"
    requester = await session.get(Employee, swap.requester_id)
    colleague = await session.get(Employee, swap.colleague_id)
    assert requester is not None
    assert colleague is not None
    what = (
        f"gives {swap.requester_shift} on {swap.requester_date} to {colleague.name}"
        if swap.colleague_date is None
        else f"{swap.requester_shift} on {swap.requester_date} <-> {colleague.name}'s "
        f"{swap.colleague_shift} on {swap.colleague_date}"
    )
    request = await approvals.submit(
        session,
        kind="swap",
        subject_id=swap.id,
        department_id=swap.department_id,
        requester=actor,
        employee_id=swap.requester_id,
        days=0,
        summary=f"swap: {requester.name} {what}",
    )
    swap.approval_id = request.id
    await session.commit()
    return swap


async def withdraw(session: AsyncSession, actor: Principal, swap_id: int) -> SwapRequest:
    """The proposer takes the swap back, before or after the colleague accepted (commits)."""
    swap = await get_swap(session, actor, swap_id, lock=True)
    if actor.employee_id != swap.requester_id:
        raise PermissionDeniedError("only the proposer withdraws a swap")
    if swap.status == "proposed":
        swap.status = "withdrawn"
        swap.revision += 1
        await _release(session, swap)
        await session.commit()
        return swap
    if swap.status == "accepted" and swap.approval_id is not None:
        await approvals.withdraw(session, actor, swap.approval_id)
        return await get_swap(session, actor, swap_id)
    raise ConflictError(f"swap {swap_id} is {swap.status}")


async def list_swaps(
    session: AsyncSession,
    actor: Principal,
    *,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[SwapRequest]:
    """Swaps I am party to, plus my department's (readers) or all (organisation roles)."""
    stmt = select(SwapRequest)
    if actor.role not in ORGANISATION_ROLES:
        conds = [
            SwapRequest.requester_id == (actor.employee_id or -1),
            SwapRequest.colleague_id == (actor.employee_id or -1),
        ]
        if actor.department_id is not None and actor.can_read_department(actor.department_id):
            conds.append(SwapRequest.department_id == actor.department_id)
        stmt = stmt.where(or_(*conds))
    if status is not None:
        stmt = stmt.where(SwapRequest.status == status)
    rows = await session.scalars(stmt.order_by(SwapRequest.id.desc()).limit(limit).offset(offset))
    return list(rows.all())


# ---------------------------------------------------------------- approval handler


class SwapHandler:
    """What deciding a swap does."""

    async def _swap(self, session: AsyncSession, request: ApprovalRequest) -> SwapRequest:
        swap = await session.scalar(
            select(SwapRequest)
            .where(SwapRequest.id == request.subject_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert swap is not None
        return swap

    async def before_approve(
        self, session: AsyncSession, request: ApprovalRequest, actor: Principal, comment: str | None
    ) -> None:
        """Refuse a swap that started or changed; violations need the approver's reason."""
        swap = await self._swap(session, request)
        # Hold the roster from the check on: a draft published between this check and the new
        # version would otherwise have the swap applied over the manager's changes.
        await lock_rosters(session, [await _roster_id(session, swap)])
        await _verify_still_valid(session, swap)
        found = await violations_after(session, await _roster_id(session, swap), changes_of(swap))
        swap.violations = found
        if found and not comment:
            raise ValidationFailedError(
                f"this swap breaks {len(found)} hard rule(s); approve with a comment giving the "
                "reason, or reject it",
                errors=[{"field": "comment", "message": v["message"]} for v in found],
                violations=found,
            )

    async def on_approved(
        self, session: AsyncSession, request: ApprovalRequest, actor: Principal, comment: str | None
    ) -> None:
        """Publish the swapped roster in the deciding transaction."""
        swap = await self._swap(session, request)
        roster = await session.get(Roster, await _roster_id(session, swap))
        assert roster is not None
        version = await derive_published(
            session,
            roster,
            changes_of(swap),
            origin="swap",
            actor_id=actor.user_ref,
            note=f"swap {swap.id} approved" + (f": {comment}" if comment else ""),
        )
        swap.status = "approved"
        swap.roster_versions = [{"roster_id": roster.id, "number": version.number}]
        swap.revision += 1
        await _release(session, swap)

    async def on_ended(
        self, session: AsyncSession, request: ApprovalRequest, actor: Principal, outcome: str
    ) -> None:
        """Rejected, withdrawn or cancelled: the shifts are free for another swap."""
        swap = await self._swap(session, request)
        swap.status = outcome
        swap.revision += 1
        await _release(session, swap)

    async def describe(self, session: AsyncSession, request: ApprovalRequest) -> dict[str, Any]:
        """The swap, its violations as of now, and whether it still fits the roster."""
        swap = await session.get(SwapRequest, request.subject_id, populate_existing=True)
        if swap is None:
            return {}
        return await swap_details(session, swap)

    async def describe_many(
        self, session: AsyncSession, requests: Sequence[ApprovalRequest]
    ) -> dict[int, dict[str, Any]]:
        """``describe`` for a list page: the swaps in one query, each roster's cells read once."""
        approval_of = {r.subject_id: r.id for r in requests}
        swaps = await session.scalars(
            select(SwapRequest)
            .where(SwapRequest.id.in_(approval_of))
            .execution_options(populate_existing=True)
        )
        out: dict[int, dict[str, Any]] = {r.id: {} for r in requests}
        cache: RosterCache = {}
        for swap in swaps.all():
            out[approval_of[swap.id]] = await swap_details(session, swap, cache)
        return out


async def swap_details(
    session: AsyncSession, swap: SwapRequest, cache: RosterCache | None = None
) -> dict[str, Any]:
    """Fresh checks of an open swap (stored ones for a closed swap).

    ``stale`` says the swap no longer fits the roster (a cell changed, a shift began): approving
    it is refused with 409, so the approver sees why in ``stale_reason`` and rejects it in one
    step instead of learning it from a failed approval. ``roster_versions``: the published
    versions the approved swap made, so the approver's answer names them as a leave's does.
    """
    out: dict[str, Any] = {
        "swap_id": swap.id,
        "violations": swap.violations,
        "problems": [],
        "stale": False,
        "stale_reason": None,
        "roster_versions": list(swap.roster_versions or []),
    }
    if swap.status in OPEN_SWAP_STATUSES:
        state = await current_state(session, list(expected_cells(swap)))
        problems = state.differences(expected_cells(swap)) + state.started(utcnow())
        out["problems"] = problems
        if problems:
            out["stale"] = True
            out["stale_reason"] = (
                "this swap no longer fits the roster: " + "; ".join(problems) + f"; {STALE_ADVICE}"
            )
        else:
            mine = state.cells.get((swap.requester_id, swap.requester_date))
            roster_id = mine.roster_id if mine is not None else await _roster_id(session, swap)
            out["violations"] = await violations_after(session, roster_id, changes_of(swap), cache)
    return out


register("swap", SwapHandler())
