"""Drafts, manual edits, publishing and derived versions of a roster.

A solve produces a draft. The manager edits cells; each edit is re-checked by the solver's
independent checker against the problem the draft answers, and an edit that breaks a hard rule
is refused unless the manager overrides it with a reason, which is recorded. Publishing makes a
draft the roster of record: numbered, immutable, with who and when; the previous published
version becomes ``superseded``. Later changes (edits, approved leave, swaps) make new versions
and never touch a published one. Concurrent edits of one draft are detected with the draft's
``revision``: the second writer gets a 409, not a lost update.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.db.base import utcnow
from scheduler.errors import ConflictError, NotFoundError, ValidationFailedError
from scheduler.rosters.models import Roster, RosterCell, RosterEdit, RosterVersion
from scheduler.rosters.store import cells_of, get_version, published_version
from solver.check import check
from solver.io import problem_from_dict, problem_to_dict
from solver.problem import RosterProblem
from solver.result import CheckReport, RosterSolution, Violation


def violation_json(v: Violation) -> dict[str, Any]:
    """A violation as stored and answered."""
    return {
        "rule": v.rule,
        "message": v.message,
        "employee_id": int(v.staff_id) if v.staff_id and v.staff_id.isdigit() else None,
        "date": v.date.isoformat() if v.date else None,
        "shift": v.shift_id,
        "hard": v.hard,
        "cost": v.cost,
    }


def _key(v: Violation) -> tuple[object, ...]:
    return (v.rule, v.staff_id, v.date, v.shift_id, v.message)


def assignment_of(cells: Iterable[RosterCell]) -> dict[str, dict[dt.date, str | None]]:
    """Cells as the solver's assignment (staff id -> date -> shift or None)."""
    out: dict[str, dict[dt.date, str | None]] = {}
    for c in cells:
        out.setdefault(str(c.employee_id), {})[c.date] = c.shift_code
    return out


def problem_of(version: RosterVersion) -> RosterProblem:
    """The problem a version answers, as stored with it."""
    return problem_from_dict(version.problem)


async def check_version(session: AsyncSession, version: RosterVersion) -> CheckReport:
    """Run the independent checker on a stored version."""
    return check(problem_of(version), assignment_of(await cells_of(session, version.id)))


async def next_number(session: AsyncSession, roster_id: int) -> int:
    """The number the next version of a roster gets."""
    current = await session.scalar(
        select(func.max(RosterVersion.number)).where(RosterVersion.roster_id == roster_id)
    )
    return int(current or 0) + 1


async def store_solution(
    session: AsyncSession,
    roster: Roster,
    problem: RosterProblem,
    solution: RosterSolution,
    *,
    origin: str,
    shift_snapshot: Mapping[str, Any],
    absences: Mapping[tuple[int, dt.date], str],
    based_on: RosterVersion | None,
    created_by: int | None,
) -> RosterVersion:
    """Store a solver's roster as a new draft (the caller commits)."""
    assert solution.assignment is not None
    report = check(problem, solution.assignment)
    locked = {(lk.staff_id, lk.date) for lk in problem.locks}
    version = RosterVersion(
        roster_id=roster.id,
        number=await next_number(session, roster.id),
        status="draft",
        origin=origin,
        based_on_id=based_on.id if based_on else None,
        created_by=created_by,
        shift_snapshot=dict(shift_snapshot),
        problem=problem_to_dict(problem),
        objective=report.objective,
        breakdown=dict(report.breakdown),
        solve_stats={
            "status": solution.status.value,
            "objective": solution.objective,
            "best_bound": solution.best_bound,
            "gap": solution.gap,
            "time_to_first_s": solution.time_to_first,
            "total_time_s": solution.total_time,
            "solutions": solution.num_solutions,
            "spreads": [
                {
                    "rule": s.rule,
                    "staff": list(s.staff_ids),
                    "counts": list(s.counts),
                    "spread": s.spread,
                }
                for s in solution.spreads
            ],
        },
        hard_violations=len(report.hard_violations),
    )
    session.add(version)
    await session.flush()
    for staff in problem.staff:
        row = solution.assignment.get(staff.id, {})
        for day in problem.dates:
            employee_id = int(staff.id)
            session.add(
                RosterCell(
                    version_id=version.id,
                    employee_id=employee_id,
                    date=day,
                    shift_code=row.get(day),
                    absence=absences.get((employee_id, day)),
                    locked=(staff.id, day) in locked,
                )
            )
    await session.flush()
    return version


@dataclass(frozen=True, slots=True)
class CellEdit:
    """One change to a draft cell: assign a shift, clear it to rest, lock or unlock it."""

    employee_id: int
    date: dt.date
    action: str
    shift_code: str | None = None


@dataclass(slots=True)
class EditResult:
    """What an edit did: the draft, the violations it caused, and the draft's state after it."""

    version: RosterVersion
    caused: list[Violation] = field(default_factory=list)
    report: CheckReport | None = None


def _require_manager(actor: Principal, roster: Roster) -> None:
    actor.require(
        actor.can_manage_department(roster.department_id), "change rosters of this department"
    )


async def _locked_draft(
    session: AsyncSession, roster: Roster, number: int, expected_revision: int | None
) -> RosterVersion:
    version = await session.scalar(
        select(RosterVersion)
        .where(RosterVersion.roster_id == roster.id, RosterVersion.number == number)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if version is None:
        raise NotFoundError(f"roster {roster.id} has no version {number}")
    if version.status != "draft":
        raise ConflictError(
            f"version {number} is {version.status}; published versions never change. Make a new draft from it "
            f"(POST /rosters/{roster.id}/drafts) and edit that."
        )
    if expected_revision is not None and expected_revision != version.revision:
        raise ConflictError(
            f"draft {number} is at revision {version.revision}, not {expected_revision}: someone else edited it; "
            "reload and try again",
            current_revision=version.revision,
        )
    return version


async def edit_cells(
    session: AsyncSession,
    actor: Principal,
    roster: Roster,
    number: int,
    edits: list[CellEdit],
    *,
    expected_revision: int | None,
    override_reason: str | None,
) -> EditResult:
    """Apply edits to a draft, re-check it, and refuse new hard violations without an override."""
    _require_manager(actor, roster)
    if not edits:
        raise ValidationFailedError(
            "no edits given", errors=[{"field": "edits", "message": "at least one edit"}]
        )
    version = await _locked_draft(session, roster, number, expected_revision)
    problem = problem_of(version)
    cells = {(c.employee_id, c.date): c for c in await cells_of(session, version.id)}
    before = check(problem, assignment_of(cells.values()))
    errors: list[dict[str, Any]] = []
    shift_codes = set(problem.shift_by_id)
    changes: list[tuple[CellEdit, str | None, str | None]] = []
    for i, e in enumerate(edits):
        cell = cells.get((e.employee_id, e.date))
        if cell is None:
            errors.append(
                {
                    "field": f"edits[{i}]",
                    "message": f"employee {e.employee_id} has no cell on {e.date} in this roster",
                }
            )
            continue
        if e.action == "assign":
            if e.shift_code not in shift_codes:
                errors.append(
                    {
                        "field": f"edits[{i}].shift_code",
                        "message": f"unknown shift {e.shift_code!r}; known: {', '.join(sorted(shift_codes))}",
                    }
                )
                continue
            changes.append((e, cell.shift_code, e.shift_code))
        elif e.action == "clear":
            changes.append((e, cell.shift_code, None))
        elif e.action in ("lock", "unlock"):
            changes.append((e, cell.shift_code, cell.shift_code))
        else:
            errors.append(
                {"field": f"edits[{i}].action", "message": "assign, clear, lock or unlock"}
            )
    if errors:
        raise ValidationFailedError("some edits are not possible", errors=errors)
    for e, _old, new in changes:
        cell = cells[(e.employee_id, e.date)]
        cell.shift_code = new
        if e.action == "lock":
            cell.locked = True
        elif e.action == "unlock":
            cell.locked = False
        elif e.action == "assign":
            cell.locked = True  # a manager's choice is kept by later re-solves
    after = check(problem, assignment_of(cells.values()))
    known = {_key(v) for v in before.hard_violations}
    caused = [v for v in after.hard_violations if _key(v) not in known]
    if caused and not (override_reason and override_reason.strip()):
        await session.rollback()
        raise ValidationFailedError(
            f"the edit breaks {len(caused)} hard rule(s); send override_reason to apply it anyway",
            errors=[violation_json(v) for v in caused],
            violations=[violation_json(v) for v in caused],
        )
    now = utcnow()
    for e, old, new in changes:
        session.add(
            RosterEdit(
                version_id=version.id,
                employee_id=e.employee_id,
                date=e.date,
                action=e.action,
                from_shift=old,
                to_shift=new,
                violations=[
                    violation_json(v) for v in caused if v.staff_id in (None, str(e.employee_id))
                ],
                override_reason=override_reason if caused else None,
                user_id=actor.user_ref,
                at=now,
            )
        )
    version.objective = after.objective
    version.breakdown = dict(after.breakdown)
    version.hard_violations = len(after.hard_violations)
    await session.commit()
    return EditResult(version=version, caused=caused, report=after)


async def publish(
    session: AsyncSession,
    actor: Principal,
    roster: Roster,
    number: int,
    *,
    expected_revision: int | None,
) -> RosterVersion:
    """Make a draft the roster of record; the previous published version is superseded."""
    _require_manager(actor, roster)
    # Lock the roster row first: two publishes of one roster queue up instead of racing.
    await session.execute(select(Roster.id).where(Roster.id == roster.id).with_for_update())
    version = await _locked_draft(session, roster, number, expected_revision)
    previous = await published_version(session, roster.id)
    if previous is not None:
        previous.status = "superseded"
    version.status = "published"
    version.published_by = actor.user_ref
    version.published_at = utcnow()
    await session.commit()
    return version


async def discard(
    session: AsyncSession, actor: Principal, roster: Roster, number: int
) -> RosterVersion:
    """Drop a draft (it stays in the history, marked discarded)."""
    _require_manager(actor, roster)
    version = await _locked_draft(session, roster, number, None)
    version.status = "discarded"
    await session.commit()
    return version


async def copy_version(
    session: AsyncSession,
    roster: Roster,
    source: RosterVersion,
    *,
    origin: str,
    created_by: int | None,
    changes: Mapping[tuple[int, dt.date], tuple[str | None, str | None]] | None = None,
    note: str | None = None,
) -> RosterVersion:
    """A new draft with the cells of ``source``, optionally changed: {(employee, date): (shift, absence)}."""
    version = RosterVersion(
        roster_id=roster.id,
        number=await next_number(session, roster.id),
        status="draft",
        origin=origin,
        based_on_id=source.id,
        created_by=created_by,
        shift_snapshot=dict(source.shift_snapshot),
        problem=dict(source.problem),
        note=note,
    )
    session.add(version)
    await session.flush()
    changes = changes or {}
    cells = []
    for c in await cells_of(session, source.id):
        shift, absence = changes.get((c.employee_id, c.date), (c.shift_code, c.absence))
        cells.append(
            RosterCell(
                version_id=version.id,
                employee_id=c.employee_id,
                date=c.date,
                shift_code=shift,
                absence=absence,
                locked=c.locked,
            )
        )
    session.add_all(cells)
    await session.flush()
    report = check(problem_of(version), assignment_of(cells))
    version.objective = report.objective
    version.breakdown = dict(report.breakdown)
    version.hard_violations = len(report.hard_violations)
    return version


async def new_draft(
    session: AsyncSession, actor: Principal, roster: Roster, from_number: int | None
) -> RosterVersion:
    """A draft to edit, copied from a version (default: the roster of record)."""
    _require_manager(actor, roster)
    if from_number is None:
        source = await published_version(session, roster.id)
        if source is None:
            raise ConflictError(
                "this roster has no published version to start a draft from; generate one"
            )
    else:
        source = await get_version(session, roster, from_number)
    version = await copy_version(session, roster, source, origin="edit", created_by=actor.user_ref)
    await session.commit()
    return version


async def derive_published(
    session: AsyncSession,
    roster: Roster,
    changes: Mapping[tuple[int, dt.date], tuple[str | None, str | None]],
    *,
    origin: str,
    actor_id: int | None,
    note: str,
) -> RosterVersion:
    """A new published version = the roster of record with ``changes`` applied (leave, swaps).

    Runs inside the caller's transaction (the caller commits together with its own change, so
    an approval and the roster it changes are one atomic step).
    """
    await session.execute(select(Roster.id).where(Roster.id == roster.id).with_for_update())
    current = await published_version(session, roster.id)
    if current is None:
        raise ConflictError("this roster has no published version to change")
    version = await copy_version(
        session, roster, current, origin=origin, created_by=actor_id, changes=changes, note=note
    )
    current.status = "superseded"
    version.status = "published"
    version.published_by = actor_id
    version.published_at = utcnow()
    await session.flush()
    return version


def diff_cells(
    before: Iterable[RosterCell], after: Iterable[RosterCell]
) -> list[tuple[int, dt.date, str | None, str | None]]:
    """(employee, date, from, to) for every cell whose shift differs.

    A person missing from ``after`` (they left the team) shows as every shift removed.
    """
    old = {(c.employee_id, c.date): c.shift_code for c in before}
    new = {(c.employee_id, c.date): c.shift_code for c in after}
    out = [(e, d, old.get((e, d)), code) for (e, d), code in new.items() if old.get((e, d)) != code]
    out += [
        (e, d, code, None) for (e, d), code in old.items() if (e, d) not in new and code is not None
    ]
    return sorted(out, key=lambda t: (t[1], t[0]))
