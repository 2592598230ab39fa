"""What approving, rejecting, withdrawing or calling off a leave request does to the rosters.

On final approval every full day on a published roster becomes a leave cell in a new published
version (``derive_published``), whose problem learns the leave and the person's contract limits
less the leave (never a contract breach of the person on leave); the days and shifts now below
their minimum are stored on the request with a link to ask for a repaired draft. Approved leave
called off gives the shifts back where the cells still show it. Half days leave the roster as
it is (attendance reads them from the request); the windows they leave uncovered (the handover
without an early agent after a PM half) are the request's shortfall.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.approvals import service as approvals
from scheduler.approvals.models import ApprovalRequest
from scheduler.approvals.registry import register
from scheduler.auth.principal import Principal
from scheduler.leave.models import LeaveRequest
from scheduler.leave.service import SHORTFALL_RULES, certificate_status
from scheduler.org.models import Department
from scheduler.people.models import Employee
from scheduler.rosters.availability import leave_reason
from scheduler.rosters.models import Roster, RosterVersion
from scheduler.rosters.problem_builder import problem_with_leave
from scheduler.rosters.store import cells_of, published_cells_for_employee, published_version
from scheduler.rosters.versions import (
    assignment_of,
    derive_published,
    lock_rosters,
    problem_of,
    violation_json,
)
from scheduler.rosters.views import half_day_gaps
from solver.check import check
from solver.io import problem_to_dict
from solver.problem import Leave


async def _restore_shifts(session: AsyncSession, leave: LeaveRequest, actor: Principal) -> None:
    """Give back the shifts approved leave took, in a new published version of each roster.

    A cell is restored only while it still shows this leave (a manager may have re-rostered the
    day since); the shift comes from the version the leave's own version was derived from.
    """
    restored: list[dict[str, Any]] = []
    # The cells read below must be the ones the new versions are derived from (see lock_rosters).
    await lock_rosters(
        session,
        {e["roster_id"] for e in leave.roster_versions or [] if not e.get("cancelled")},
    )
    for entry in leave.roster_versions or []:
        if entry.get("cancelled"):
            continue
        roster = await session.get(Roster, entry["roster_id"])
        applied = await session.scalar(
            select(RosterVersion).where(
                RosterVersion.roster_id == entry["roster_id"],
                RosterVersion.number == entry["number"],
            )
        )
        if roster is None or applied is None or applied.based_on_id is None:
            continue
        before = {
            c.date: c.shift_code
            for c in await cells_of(session, applied.based_on_id)
            if c.employee_id == leave.employee_id
        }
        changes: dict[tuple[int, dt.date], tuple[str | None, str | None]] = {}
        for cell in await published_cells_for_employee(
            session, leave.employee_id, leave.start_date, leave.end_date
        ):
            shift = before.get(cell.date)
            if (
                cell.roster_id == roster.id
                and cell.shift_code is None
                and cell.absence == leave.type_code
                and shift is not None
            ):
                changes[(leave.employee_id, cell.date)] = (shift, None)
        if changes:
            after = await derive_published(
                session,
                roster,
                changes,
                origin="leave",
                actor_id=actor.user_ref,
                note=f"leave request {leave.id} called off",
            )
            await _restate_leave(session, after, leave, approved=False)
            restored.append({"roster_id": roster.id, "number": after.number, "cancelled": True})
    if restored:
        leave.roster_versions = [*(leave.roster_versions or []), *restored]


async def _restate_leave(
    session: AsyncSession, version: RosterVersion, leave: LeaveRequest, *, approved: bool
) -> None:
    """Make a version derived for approved (or called-off) leave answer a problem that knows it.

    The derived version starts with its source's problem, where the person still owes the full
    contract minimum; checked against that, the shifts the leave took would be a hard contract
    breach of the person on leave. With the leave as a fact and the person's limits restated
    (``problem_with_leave``), the stored problem, the version's counts and later edits of drafts
    made from it all see the leave. Runs in the approval's transaction.
    """
    employee = await session.get(Employee, leave.employee_id)
    assert employee is not None
    fact = Leave(
        str(leave.employee_id), leave.start_date, leave.end_date, leave_reason(leave.type_code)
    )
    roster = await session.get(Roster, version.roster_id)
    assert roster is not None
    problem = problem_with_leave(
        problem_of(version), employee, fact, approved=approved, team_id=roster.team_id
    )
    version.problem = problem_to_dict(problem)
    report = check(problem, assignment_of(await cells_of(session, version.id)))
    version.objective = report.objective
    version.breakdown = dict(report.breakdown)
    version.hard_violations = len(report.hard_violations)
    await session.flush()


async def _shortfall_after(
    session: AsyncSession, roster: Roster, before: RosterVersion, after: RosterVersion
) -> list[dict[str, Any]]:
    """Hard staffing rules broken by the new version that the old one kept."""
    problem = problem_of(after)

    def keyed(version_cells: Any) -> dict[tuple[object, ...], Any]:
        report = check(problem, assignment_of(version_cells))
        return {
            (v.rule, v.date, v.shift_id, v.message): v
            for v in report.hard_violations
            if v.rule in SHORTFALL_RULES
        }

    old = keyed(await cells_of(session, before.id))
    new = keyed(await cells_of(session, after.id))
    return [
        {**violation_json(v), "roster_id": roster.id, "repair": f"/rosters/{roster.id}/repair"}
        for k, v in new.items()
        if k not in old
    ]


async def _half_day_shortfall(session: AsyncSession, leave: LeaveRequest) -> list[dict[str, Any]]:
    """Windows approved half-day leave leaves uncovered on the published rosters of its day.

    The roster keeps the shift (the person works the other half), so no version is made; but
    the view counts the window without them, and the approval must say so as it does for a
    full day (a PM half of the only early shift leaves the handover without an early agent).
    """
    await session.flush()  # the view reads approved half days from the database
    out: list[dict[str, Any]] = []
    for cell in await published_cells_for_employee(
        session, leave.employee_id, leave.start_date, leave.end_date
    ):
        if cell.shift_code is None:
            continue
        roster = await session.get(Roster, cell.roster_id)
        version = await published_version(session, cell.roster_id)
        if roster is None or version is None:
            continue
        out += await half_day_gaps(session, roster, version, leave.employee_id, cell.date)
    return out


class LeaveHandler:
    """What approving, rejecting or withdrawing a leave request does."""

    async def _leave(self, session: AsyncSession, request: ApprovalRequest) -> LeaveRequest:
        leave = await session.scalar(
            select(LeaveRequest)
            .where(LeaveRequest.id == request.subject_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert leave is not None
        return leave

    async def before_approve(
        self, session: AsyncSession, request: ApprovalRequest, actor: Principal, comment: str | None
    ) -> None:
        """Nothing to re-check: the dates were checked and held when filed."""

    async def on_approved(
        self, session: AsyncSession, request: ApprovalRequest, actor: Principal, comment: str | None
    ) -> None:
        """Mark the full days as leave on every published roster they fall in."""
        leave = await self._leave(session, request)
        leave.status = "approved"
        leave.revision += 1
        if leave.half is not None:
            leave.shortfall = await _half_day_shortfall(session, leave)
            return
        cells = await published_cells_for_employee(
            session, leave.employee_id, leave.start_date, leave.end_date
        )
        # Lock those rosters, then read the cells again: a draft published between the first
        # read and the lock would otherwise keep a shift on a day of this leave.
        await lock_rosters(session, {c.roster_id for c in cells})
        cells = await published_cells_for_employee(
            session, leave.employee_id, leave.start_date, leave.end_date
        )
        by_roster: dict[int, dict[tuple[int, dt.date], tuple[str | None, str | None]]] = (
            defaultdict(dict)
        )
        for c in cells:
            if c.shift_code is not None:
                by_roster[c.roster_id][(c.employee_id, c.date)] = (None, leave.type_code)
        versions, shortfall = [], []
        for roster_id, changes in sorted(by_roster.items()):
            roster = await session.get(Roster, roster_id)
            assert roster is not None
            before = await published_version(session, roster_id)
            assert before is not None
            after = await derive_published(
                session,
                roster,
                changes,
                origin="leave",
                actor_id=actor.user_ref,
                note=f"leave request {leave.id} approved",
            )
            await _restate_leave(session, after, leave, approved=True)
            versions.append({"roster_id": roster_id, "number": after.number})
            shortfall += await _shortfall_after(session, roster, before, after)
        leave.roster_versions = versions
        leave.shortfall = shortfall

    async def on_ended(
        self, session: AsyncSession, request: ApprovalRequest, actor: Principal, outcome: str
    ) -> None:
        """Rejected, withdrawn or cancelled: the dates are free again.

        Approved leave called off gives the person their shifts back on the rosters it changed.
        """
        leave = await self._leave(session, request)
        was_approved = leave.status == "approved"
        leave.status = outcome
        leave.revision += 1
        if was_approved and leave.half is None:
            await _restore_shifts(session, leave, actor)

    async def describe(self, session: AsyncSession, request: ApprovalRequest) -> dict[str, Any]:
        """The dates, days, shifts and certificate state an approver decides on."""
        leave = await session.get(LeaveRequest, request.subject_id, populate_existing=True)
        if leave is None:
            return {}
        department = await session.get(Department, leave.department_id)
        today = approvals.local_today(department.timezone if department else "Asia/Shanghai")
        return {
            "leave_request_id": leave.id,
            "type": leave.type_code,
            "start_date": leave.start_date.isoformat(),
            "end_date": leave.end_date.isoformat(),
            "half": leave.half,
            "days": leave.days,
            "emergency": leave.emergency,
            "on_behalf": leave.on_behalf,
            "certificate": certificate_status(leave, today),
            "schedule": leave.schedule,
            "roster_versions": leave.roster_versions or [],
            "shortfall": leave.shortfall,
        }


register("leave", LeaveHandler())
