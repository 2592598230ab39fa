"""Drafts, manual edits, publishing and derived versions of a roster.

A solve produces a draft. The manager edits cells; each edit is re-checked by the solver's
independent checker against the problem the draft answers, and an edit that breaks a hard rule
is refused unless the manager overrides it with a reason, which is recorded. Publishing makes a
draft the roster of record: numbered, immutable, with who and when; the previous published
version becomes ``superseded``. Later changes (edits, approved leave, swaps) make new versions
and never touch a published one. Concurrent edits of one draft are detected with the draft's
``revision``: the second writer gets a 409, not a lost update.

A draft is a copy of the roster of record as it was when the draft was made. Publishing it after
another version was published (approved leave, a swap, another draft) would silently undo that
version, so ``publish`` refuses a stale draft, and any draft that puts someone on shift on a day
the roster of record gives them leave, with a 409 saying what to do instead.

Rest and days-in-a-row rules run across the month boundary. A month's problem carries the
previous month's last days as history, so a change is checked backwards by the month's own check;
``caused_violations`` also checks it forwards, against the next month's roster of record with that
history replaced by the changed month's last days.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.db.base import utcnow
from scheduler.errors import ConflictError, NotFoundError, ValidationFailedError
from scheduler.people.models import Employee
from scheduler.rosters.availability import unavailability
from scheduler.rosters.models import Roster, RosterCell, RosterEdit, RosterJob, RosterVersion
from scheduler.rosters.problem_builder import HISTORY_DAYS
from scheduler.rosters.store import cells_of, get_version, month_end, published_version
from solver.check import check, fmt_unavailable
from solver.io import problem_from_dict, problem_to_dict
from solver.problem import HistoryCell, RosterProblem
from solver.result import Assignment, CheckReport, RosterSolution, Violation

#: Counts in a message ("16 working days", "has 1"): numbers standing alone, not clock times
#: ("15:00-17:30") or numbers inside a name ("Early2", "早班2").
_COUNT = re.compile(r"(?<![\w:])\d+(?![\w:])")


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
    """What makes two violations "the same breach" before and after a change.

    The counts in the message are left out: "Wang Fang: 16 working days, contract minimum 18"
    becoming "17 working days" is the breach that was already there, and whether the change
    made it better or worse is told by its ``amount`` (see :func:`newly_broken`). Clock times
    stay, so two demand windows of a day differ.
    """
    return (v.rule, v.staff_id, v.date, v.shift_id, _COUNT.sub("#", v.message))


def newly_broken(before: Iterable[Violation], after: Iterable[Violation]) -> list[Violation]:
    """The breaches of ``after`` that are new, or worse than the same breach in ``before``.

    One eased or left as it was is not the change's doing, so a manager is not asked to
    override a swap that brings someone closer to their contract minimum; one made worse
    (a shift that had one agent short now has two short) is.
    """
    known: dict[tuple[object, ...], int] = {}
    for v in before:
        known[_key(v)] = max(v.amount, known.get(_key(v), 0))
    return [v for v in after if v.amount > known.get(_key(v), 0)]


def new_hard_violations(
    problem: RosterProblem, before: Assignment, after: Assignment
) -> list[Violation]:
    """Hard violations of ``after`` that ``before`` did not have, or had less of."""
    return newly_broken(
        check(problem, before).hard_violations, check(problem, after).hard_violations
    )


def _with_tail(problem: RosterProblem, tail: Assignment) -> RosterProblem:
    """``problem`` with its history replaced by the previous month's cells in ``tail``.

    Only the last ``HISTORY_DAYS`` days count, as when a month's problem is built; a person the
    tail does not know keeps the history the problem was built with.
    """
    first = problem.start - dt.timedelta(days=HISTORY_DAYS)
    cells = {(h.staff_id, h.date): h.shift_id for h in problem.history}
    known_staff = {s.id for s in problem.staff}
    for staff_id, row in tail.items():
        if staff_id not in known_staff:
            continue
        for day, shift in row.items():
            if first <= day < problem.start:
                cells[(staff_id, day)] = shift if shift in problem.shift_by_id else None
    history = tuple(HistoryCell(pid, day, shift) for (pid, day), shift in sorted(cells.items()))
    return replace(problem, history=history)


def _tail_of(assignment: Assignment, start: dt.date) -> dict[str, dict[dt.date, str | None]]:
    first = start - dt.timedelta(days=HISTORY_DAYS)
    return {
        pid: {d: shift for d, shift in row.items() if first <= d < start}
        for pid, row in assignment.items()
    }


async def next_month_violations(
    session: AsyncSession, roster: Roster, before: Assignment, after: Assignment
) -> list[Violation]:
    """Hard violations a change of ``roster``'s month newly causes in the next month.

    The next month's roster of record (same scope) was checked with this month's tail as it was
    when it was built; a late shift added on the 31st or a seventh day in a row breaks it there,
    where no check of this month can see it. Its messages name that roster.
    """
    following = month_end(roster.month) + dt.timedelta(days=1)
    nxt = await session.scalar(
        select(Roster).where(Roster.scope_key == roster.scope_key, Roster.month == following)
    )
    record = await published_version(session, nxt.id) if nxt is not None else None
    if nxt is None or record is None:
        return []
    problem = problem_of(record)
    old_tail, new_tail = _tail_of(before, problem.start), _tail_of(after, problem.start)
    if old_tail == new_tail:
        return []
    cells = assignment_of(await cells_of(session, record.id))
    label = f"{following:%Y-%m} roster of record (version {record.number})"
    return [
        replace(v, message=f"{label}: {v.message}")
        for v in newly_broken(
            check(_with_tail(problem, old_tail), cells).hard_violations,
            check(_with_tail(problem, new_tail), cells).hard_violations,
        )
    ]


async def caused_violations(
    session: AsyncSession,
    roster: Roster,
    problem: RosterProblem,
    before: Assignment,
    after: Assignment,
) -> list[Violation]:
    """Hard violations a change of a month's cells newly causes: in the month and the next one."""
    return new_hard_violations(problem, before, after) + await next_month_violations(
        session, roster, before, after
    )


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
    before = assignment_of(cells.values())
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
    after_cells = assignment_of(cells.values())
    caused = await caused_violations(session, roster, problem, before, after_cells)
    after = check(problem, after_cells)
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
    # Every applied edit is a new revision, also one that leaves the counts as they were (a lock,
    # an assign of equal cost): the row only gets an UPDATE, and so a new ``revision``, when an
    # attribute changes, and without one a second editor holding the old revision was not told.
    version.updated_at = now
    await session.commit()
    return EditResult(version=version, caused=caused, report=after)


async def publish(
    session: AsyncSession,
    actor: Principal,
    roster: Roster,
    number: int,
    *,
    expected_revision: int | None,
    override_reason: str | None = None,
) -> RosterVersion:
    """Make a draft the roster of record; the previous published version is superseded.

    Refused (409) when the draft would undo what the roster of record holds: a version published
    after the draft was made (approved leave, a swap, another draft), or leave of the roster of
    record on a day the draft has a shift (attendance would count that person absent). Refused
    too (409) when the draft breaks a hard rule across the month boundary with a neighbouring
    month's roster of record that it was not made against (:func:`boundary_violations`), unless
    ``override_reason`` is given; the reason is then kept in the version's note.
    """
    _require_manager(actor, roster)
    # Lock the roster row first: two publishes of one roster queue up instead of racing, and
    # leave or a swap (derive_published takes the same lock) cannot slip in between the checks.
    await session.execute(select(Roster.id).where(Roster.id == roster.id).with_for_update())
    version = await _locked_draft(session, roster, number, expected_revision)
    previous = await published_version(session, roster.id)
    await _refuse_undoing(session, roster, version, previous)
    broken = await boundary_violations(session, roster, version)
    reason = (override_reason or "").strip()
    if broken and not reason:
        first = broken[0].message
        raise ConflictError(
            f"draft {version.number} breaks {len(broken)} hard rule(s) across the month boundary"
            f" with a neighbouring month's roster of record published after it was made ({first});"
            f" ask for a new solve of the month (POST /roster-jobs), which holds the neighbouring"
            f" months, or edit the draft, or send override_reason to publish it anyway",
            errors=[{"field": "cells", **violation_json(v)} for v in broken],
            violations=[violation_json(v) for v in broken],
        )
    if broken:
        note = f"published over {len(broken)} month-boundary violation(s): {reason}"
        version.note = f"{version.note}; {note}" if version.note else note
    if previous is not None:
        previous.status = "superseded"
    version.status = "published"
    version.published_by = actor.user_ref
    version.published_at = utcnow()
    await session.commit()
    return version


def _month_before(month: dt.date) -> dt.date:
    """The first day of the month before ``month``'s."""
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


async def boundary_violations(
    session: AsyncSession, roster: Roster, draft: RosterVersion
) -> list[Violation]:
    """Hard rules ``draft`` newly breaks with the neighbouring months' rosters of record.

    A draft is judged by the problem it was solved or made with, which holds the previous
    month's last week and the next month's first one as they were then. A month solved before
    its neighbour was published (July solved, then June published) knows nothing of it: an
    audit published a July with a night shift on 30 June followed by an early shift on 1 July
    (2.5 h of rest) and nine days in a row, reported as breaking nothing. Here the draft is
    checked again with the previous month's roster of record as its history, and that roster's
    next month (the one after) with the draft's last days as its history; only breaches the
    stored judgement did not already have count (the manager may have overridden those).
    """
    problem = problem_of(draft)
    cells = assignment_of(await cells_of(session, draft.id))
    broken: list[Violation] = []
    before = await session.scalar(
        select(Roster).where(
            Roster.scope_key == roster.scope_key, Roster.month == _month_before(roster.month)
        )
    )
    record = await published_version(session, before.id) if before is not None else None
    if before is not None and record is not None:
        tail = _tail_of(assignment_of(await cells_of(session, record.id)), problem.start)
        label = f"with the {before.month:%Y-%m} roster of record (version {record.number})"
        broken += [
            replace(v, message=f"{v.message} ({label})")
            for v in newly_broken(
                check(problem, cells).hard_violations,
                check(_with_tail(problem, tail), cells).hard_violations,
            )
        ]
    following = month_end(roster.month) + dt.timedelta(days=1)
    after = await session.scalar(
        select(Roster).where(Roster.scope_key == roster.scope_key, Roster.month == following)
    )
    record = await published_version(session, after.id) if after is not None else None
    if record is not None:
        nxt = problem_of(record)
        nxt_cells = assignment_of(await cells_of(session, record.id))
        label = f"{following:%Y-%m} roster of record (version {record.number})"
        broken += [
            replace(v, message=f"{label}: {v.message}")
            for v in newly_broken(
                check(nxt, nxt_cells).hard_violations,
                check(_with_tail(nxt, _tail_of(cells, nxt.start)), nxt_cells).hard_violations,
            )
        ]
    return broken


async def _made_at(session: AsyncSession, version: RosterVersion) -> tuple[dt.datetime, str]:
    """When a draft's content was taken from the roster of record, and how to say so.

    A solve or repair builds its problem (leave, the roster to stay close to) when it is asked
    for, and stores the draft only when it ends: a change published meanwhile is not in it.
    """
    job = await session.scalar(select(RosterJob).where(RosterJob.result_version_id == version.id))
    if job is not None:
        return (
            job.created_at,
            f"the {job.kind} job {job.id} that made draft {version.number} was requested",
        )
    return version.created_at, f"draft {version.number} was made"


async def _refuse_undoing(
    session: AsyncSession, roster: Roster, draft: RosterVersion, record: RosterVersion | None
) -> None:
    """409 when publishing ``draft`` would undo a later publish or leave in ``record``."""
    made_at, made = await _made_at(session, draft)
    published = await session.scalars(
        select(RosterVersion).where(
            RosterVersion.roster_id == roster.id,
            RosterVersion.id != draft.id,
            RosterVersion.published_at.is_not(None),
        )
    )
    newer = sorted(
        (v for v in published.all() if v.published_at is not None and v.published_at > made_at),
        key=lambda v: v.number,
    )
    draft_cells = await cells_of(session, draft.id)
    # Why each person cannot work a day: leave the roster of record shows, and every fact the
    # database holds now (leave approved after the draft was made, even where no roster of
    # record existed yet to show it; days before the hire date or after the last working day).
    blocked: dict[tuple[int, dt.date], tuple[str, str | None]] = {}
    if record is not None:
        for c in await cells_of(session, record.id):
            if c.absence:
                blocked[(c.employee_id, c.date)] = (f"on {c.absence} leave", c.absence)
    people = list(
        await session.scalars(
            select(Employee).where(Employee.id.in_({c.employee_id for c in draft_cells}))
        )
    )
    for fact in await unavailability(
        session, people, roster.month, month_end(roster.month), team_id=roster.team_id
    ):
        day = fact.start
        while day <= fact.end:
            blocked.setdefault(
                (fact.employee_id, day), (fmt_unavailable(fact.reason), fact.absence)
            )
            day += dt.timedelta(days=1)
    clashes = [
        (c, *why)
        for c in draft_cells
        if c.shift_code is not None and (why := blocked.get((c.employee_id, c.date)))
    ]
    if not newer and not clashes:
        return
    names = {e.id: e.name for e in people}
    errors: list[dict[str, Any]] = [
        {
            "field": "number",
            "version": v.number,
            "message": f"version {v.number} ({v.note or v.origin}) was published after {made}",
        }
        for v in newer
    ]
    errors += [
        {
            "field": "cells",
            "employee_id": c.employee_id,
            "date": c.date.isoformat(),
            "shift": c.shift_code,
            "reason": why,
            "absence": absence,
            "message": f"{names.get(c.employee_id, c.employee_id)} is {why} on "
            f"{c.date.isoformat()} but has the {c.shift_code} shift in draft {draft.number}",
        }
        for c, why, absence in clashes
    ]
    redo = (
        f"make a new draft from the roster of record (POST /rosters/{roster.id}/drafts) and redo "
        f"the changes there, or ask for a repair (POST /rosters/{roster.id}/repair)"
    )
    if newer:
        latest = newer[-1]
        detail = (
            f"draft {draft.number} is out of date: version {latest.number} "
            f"({latest.note or latest.origin}) was published after {made}, and publishing the "
            f"draft would undo it; {redo}"
        )
    else:
        who = ", ".join(
            f"{names.get(c.employee_id, c.employee_id)} on {c.date.isoformat()}"
            for c, _, _ in clashes
        )
        detail = (
            f"draft {draft.number} puts people on shift on days they cannot work ({who}: approved "
            f"leave, or not employed then); clear those cells (or call the leave off first), or "
            f"{redo}"
        )
    raise ConflictError(
        detail,
        errors=errors,
        current_version=record.number if record is not None else None,
        published_since=[v.number for v in newer],
    )


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


async def lock_rosters(session: AsyncSession, roster_ids: Iterable[int]) -> None:
    """Take the roster rows' lock (the one publish and ``derive_published`` take), in id order.

    A change that first reads the roster of record and then derives a version from it (leave
    reading which days the person works, a swap checking its cells are still as proposed) must
    hold this lock from the read on: otherwise a draft published in between is the version the
    change lands on, and the change is applied to cells it never saw (a shift kept on approved
    leave, a manager's edit silently overwritten by a swap). Ordering by id keeps two changes
    that lock several rosters (leave across a month end) from deadlocking each other. On SQLite
    ``FOR UPDATE`` is ignored; the database lock held by the first writer serialises instead.
    """
    ids = sorted(set(roster_ids))
    if ids:
        await session.execute(
            select(Roster.id).where(Roster.id.in_(ids)).order_by(Roster.id).with_for_update()
        )


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
