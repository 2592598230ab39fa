"""What someone leaving the department, or moving to another team, does to published rosters.

A published roster is what staff were told, and attendance judges each of its shifts: a shift
left on the roster after someone's last working day is an absence (旷工) on their record and a
gap nobody sees in coverage. So when a person leaves (``left_on``), every roster of record that
still gives them a shift or leave after that day gets a new derived published version with those
cells cleared; when a person moves team, the old team's rosters get the same from the day of the
move (the new team's manager rosters them; shifts before the move stay where they were worked).

Requests still open for days the person will not work are closed in the same transaction
(``close_open_requests``): pending leave is cancelled through its approval, approved leave that
begins after the leaving day is cancelled (its balance is given back), and open swaps are
cancelled, so none can be approved for a day after the person left. Each carries the reason.

Each derived version's problem learns the fact (the person is "no longer employed", or "no
longer in this team", from that day), so the version is not counted as breaking the person's
contract and a draft made from it cannot put them back. The staffing rules the clearing newly
breaks are answered, per day and shift, with the link to ask for a repair, as leave approval
does. Everything runs in the caller's transaction: the employee change and the roster versions
are stored together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.approvals import service as approvals
from scheduler.auth.principal import Principal
from scheduler.leave.models import ACTIVE_STATUSES, LeaveRequest
from scheduler.leave.service import SHORTFALL_RULES
from scheduler.people.models import Employee
from scheduler.rosters.models import Roster, RosterCell, RosterVersion
from scheduler.rosters.problem_builder import problem_with_leave
from scheduler.rosters.store import cells_of, published_version
from scheduler.rosters.versions import (
    assignment_of,
    derive_published,
    newly_broken,
    problem_of,
    violation_json,
)
from scheduler.swaps.models import OPEN_SWAP_STATUSES, SwapClaim, SwapRequest
from solver.check import check
from solver.io import problem_to_dict
from solver.problem import Leave

#: The origin of the versions made here: a manager's change of the roster of record, as an edit
#: is (an existing origin, so the table's check constraint stays as it is); the note says why.
ORIGIN = "edit"


@dataclass(frozen=True, slots=True)
class ClearedCell:
    """A cell that was cleared: its date and the shift (or leave type) it held."""

    date: dt.date
    shift_code: str | None
    absence: str | None


@dataclass(frozen=True, slots=True)
class RosterChange:
    """A published version made because someone left or moved, and the cells it cleared."""

    roster_id: int
    team_id: int | None
    month: dt.date
    number: int
    cleared: list[ClearedCell]


@dataclass(slots=True)
class RosterEffects:
    """Every version made and the staffing rules now broken (each with its repair link)."""

    versions: list[RosterChange] = field(default_factory=list)
    shortfall: list[dict[str, Any]] = field(default_factory=list)


async def _rosters_with_cells_from(
    session: AsyncSession, employee_id: int, first_day: dt.date, team_id: int | None
) -> list[Roster]:
    """Rosters whose roster of record gives the person a shift or leave on ``first_day`` or later.

    ``team_id`` limits them to that team's rosters (a team move); None means every roster.
    """
    stmt = (
        select(Roster)
        .join(RosterVersion, RosterVersion.roster_id == Roster.id)
        .join(RosterCell, RosterCell.version_id == RosterVersion.id)
        .where(
            RosterVersion.status == "published",
            RosterCell.employee_id == employee_id,
            RosterCell.date >= first_day,
            or_(RosterCell.shift_code.is_not(None), RosterCell.absence.is_not(None)),
        )
        .distinct()
        .order_by(Roster.id)
    )
    if team_id is not None:
        stmt = stmt.where(Roster.team_id == team_id)
    return list((await session.scalars(stmt)).all())


async def clear_from(
    session: AsyncSession,
    actor: Principal,
    employee: Employee,
    first_day: dt.date,
    *,
    reason: str,
    note: str,
    team_id: int | None = None,
) -> RosterEffects:
    """Clear ``employee``'s cells from ``first_day`` on, in a new published version of each roster.

    Rosters are changed in id order, each locked first, so two changes of the same rosters queue
    up in the same order instead of deadlocking.

    Args:
        session: The caller's transaction (not committed here).
        actor: Who made the change (recorded as the versions' author and publisher).
        employee: The person, with ``left_on`` and ``team_id`` already as they now are.
        first_day: The first day to clear (the day after ``left_on``, or the day of the move).
        reason: The fact the versions' problems learn (``NO_LONGER_EMPLOYED``...).
        note: Why the versions exist, stored on each and shown with the roster.
        team_id: Only this team's rosters (a team move); None for every roster (leaving).
    """
    effects = RosterEffects()
    for roster in await _rosters_with_cells_from(session, employee.id, first_day, team_id):
        # The lock derive_published takes; taken before reading the cells to clear, so a version
        # published meanwhile by leave or a swap is the one these changes are computed from.
        await session.execute(select(Roster.id).where(Roster.id == roster.id).with_for_update())
        before = await published_version(session, roster.id)
        if before is None:  # pragma: no cover - the query found a published version
            continue
        before_cells = await cells_of(session, before.id)
        cleared = [
            c
            for c in before_cells
            if c.employee_id == employee.id
            and c.date >= first_day
            and (c.shift_code is not None or c.absence is not None)
        ]
        if not cleared:
            continue
        after = await derive_published(
            session,
            roster,
            {(c.employee_id, c.date): (None, None) for c in cleared},
            origin=ORIGIN,
            actor_id=actor.user_ref,
            note=note,
        )
        effects.shortfall += await _restate(
            session, roster, after, before_cells, employee, first_day, reason
        )
        effects.versions.append(
            RosterChange(
                roster_id=roster.id,
                team_id=roster.team_id,
                month=roster.month,
                number=after.number,
                cleared=[ClearedCell(c.date, c.shift_code, c.absence) for c in cleared],
            )
        )
    return effects


async def _restate(
    session: AsyncSession,
    roster: Roster,
    version: RosterVersion,
    before_cells: list[RosterCell],
    employee: Employee,
    first_day: dt.date,
    reason: str,
) -> list[dict[str, Any]]:
    """Teach ``version``'s problem that the person is gone from ``first_day``; the new shortfall.

    The derived version starts with its source's problem, where the person still owes their
    whole contract minimum: the cleared shifts would read as a contract breach of someone who is
    not there. With the days as a fact and the limits restated (``problem_with_leave``, the
    same restatement leave approval uses), the version's counts and any draft made from it see
    that they are gone. The shortfall is the staffing rules (as leave approval counts them) the
    new cells break that the old ones did not, or break worse, both judged by the new problem.
    """
    problem = problem_of(version)
    fact = Leave(str(employee.id), max(first_day, problem.start), problem.end, reason)
    if fact.start <= fact.end:
        problem = problem_with_leave(problem, employee, fact, approved=True, team_id=roster.team_id)
    version.problem = problem_to_dict(problem)
    report = check(problem, assignment_of(await cells_of(session, version.id)))
    version.objective = report.objective
    version.breakdown = dict(report.breakdown)
    version.hard_violations = len(report.hard_violations)
    await session.flush()
    old = [
        v
        for v in check(problem, assignment_of(before_cells)).hard_violations
        if v.rule in SHORTFALL_RULES
    ]
    new = [v for v in report.hard_violations if v.rule in SHORTFALL_RULES]
    return [
        {**violation_json(v), "roster_id": roster.id, "repair": f"/rosters/{roster.id}/repair"}
        for v in newly_broken(old, new)
    ]


@dataclass(frozen=True, slots=True)
class ClosedRequest:
    """A leave request or swap closed because its person left: what it was and what it is now."""

    kind: str
    id: int
    approval_id: int | None
    was: str
    status: str
    first_date: dt.date
    last_date: dt.date


@dataclass(slots=True)
class Closing:
    """Requests closed, and approved leave left as it is (it began on or before the last day)."""

    closed: list[ClosedRequest] = field(default_factory=list)
    kept: list[LeaveRequest] = field(default_factory=list)


async def close_open_requests(
    session: AsyncSession, actor: Principal, employee: Employee, first_day: dt.date, reason: str
) -> Closing:
    """Close every request of ``employee`` that still holds a day from ``first_day`` on.

    Left open, pending leave could be approved after the person left (and counted as leave used
    in a leave payout), and a swap would fail only at approval. So, in the caller's transaction:
    pending leave touching such a day is cancelled through its approval (audited with
    ``reason``, the dates and balance freed); approved leave that begins on or after
    ``first_day`` is cancelled the same way, giving the balance back (run after ``clear_from``,
    its days are no longer on the roster, so no shift is given back); approved leave that began
    before is kept, since its earlier days were taken, and returned so the caller can say so.
    Open swaps with a date from ``first_day`` on are cancelled: an accepted one through its
    approval, a proposed one (no approval yet) here, with ``reason`` as its answer and its
    shifts' claims released, as a decline does. Rows are handled in id order.
    """
    out = Closing()
    leaves = await session.scalars(
        select(LeaveRequest)
        .where(
            LeaveRequest.employee_id == employee.id,
            LeaveRequest.status.in_(ACTIVE_STATUSES),
            LeaveRequest.end_date >= first_day,
        )
        .order_by(LeaveRequest.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for leave in list(leaves.all()):
        was = leave.status
        if (was == "approved" and leave.start_date < first_day) or leave.approval_id is None:
            out.kept.append(leave)
            continue
        await approvals.cancel_in_transaction(
            session, leave.approval_id, actor, reason, approved_too=was == "approved"
        )
        out.closed.append(
            ClosedRequest(
                "leave",
                leave.id,
                leave.approval_id,
                was,
                leave.status,
                leave.start_date,
                leave.end_date,
            )
        )
    swaps = await session.scalars(
        select(SwapRequest)
        .where(
            SwapRequest.status.in_(OPEN_SWAP_STATUSES),
            or_(SwapRequest.requester_id == employee.id, SwapRequest.colleague_id == employee.id),
            or_(SwapRequest.requester_date >= first_day, SwapRequest.colleague_date >= first_day),
        )
        .order_by(SwapRequest.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for swap in list(swaps.all()):
        was = swap.status
        if swap.approval_id is not None:
            await approvals.cancel_in_transaction(session, swap.approval_id, actor, reason)
        else:
            swap.status = "cancelled"
            swap.response_note = reason
            swap.revision += 1
            await session.execute(delete(SwapClaim).where(SwapClaim.swap_id == swap.id))
        days = [d for d in (swap.requester_date, swap.colleague_date) if d is not None]
        out.closed.append(
            ClosedRequest("swap", swap.id, swap.approval_id, was, swap.status, min(days), max(days))
        )
    await session.flush()
    return out
