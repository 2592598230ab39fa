"""Corrections of punches: a manager's direct correction, and an agent's request for one.

A correction never changes a stored punch. It is a new punch record whose ``corrects_id``
points at the wrong one: ``kind = 'correction'`` replaces it (another instant or direction),
``kind = 'void'`` cancels it. A missing punch is corrected by a new punch entered by the
manager (``source = 'manager'``, with a reason). Each record names who made it and why, which
is the audit trail; derived attendance reads only the punches no later record supersedes, so it
follows at once.

An agent asks through the shared approval mechanism (``scheduler.approvals``): the request row
here is the approval's subject (kind ``attendance_correction``), and approving it writes the
correction in the approver's transaction, attributed to the approver with the agent's reason.
Requests are accepted only within the policy's ``correction_window_days`` of the punch's day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.approvals import service as approvals
from scheduler.approvals.models import ApprovalRequest
from scheduler.approvals.registry import register
from scheduler.attendance.derive import PunchFact, ShiftPlan, judged_day, local_date
from scheduler.attendance.models import DIRECTIONS, CorrectionRequest, Punch
from scheduler.attendance.policy import policy_for_month
from scheduler.attendance.punches import FUTURE_TOLERANCE, check_instant
from scheduler.attendance.service import apply_leave, load_plans, load_punches
from scheduler.auth.principal import Principal
from scheduler.db.base import MAX_ID, utcnow
from scheduler.errors import (
    ConflictError,
    NotFoundError,
    ValidationFailedError,
)
from scheduler.org.models import Department
from scheduler.people.models import Employee

KIND = "attendance_correction"
#: How far back a manager may correct directly.
MANAGER_LIMIT = dt.timedelta(days=92)


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailedError("a correction needs a reason", field="reason")
    return text


def _direction(direction: str | None, default: str) -> str:
    value = (direction or default).strip().lower()
    if value not in DIRECTIONS:
        raise ValidationFailedError("direction must be 'in' or 'out'", field="direction")
    return value


def _check_change(at: dt.datetime | None, direction: str | None, void: bool) -> None:
    """A correction moves a punch (``at``, ``direction``) or cancels it (``void``), not both.

    A void cancels its target outright; an instant or direction sent with it would be stored
    on the void and mean nothing (or, read back, suggest the punch was moved), and which of
    the two the sender meant cannot be guessed. So the request is refused, naming the fields.
    """
    if not void:
        return
    sent = [name for name, value in (("at", at), ("direction", direction)) if value is not None]
    if sent:
        fields = " and ".join(sent)
        raise ValidationFailedError(
            f"a correction either moves the punch ({fields}) or voids it (void), not both: "
            f"send void alone to cancel the punch, or {fields} without void to move it",
            errors=[
                {"field": name, "message": "not with void: a void cancels the punch"}
                for name in ("void", *sent)
            ],
        )


async def _target(session: AsyncSession, punch_id: int) -> Punch:
    """The punch to correct: it exists, is not a void, and nothing corrects it yet."""
    target = await session.get(Punch, punch_id)
    if target is None:
        raise NotFoundError(f"punch {punch_id} not found", field="punch_id")
    if target.kind == "void":
        raise ValidationFailedError(
            f"punch {punch_id} is a cancellation; it cannot be corrected", field="punch_id"
        )
    newer = await session.scalar(select(Punch.id).where(Punch.corrects_id == punch_id))
    if newer is not None:
        raise ConflictError(
            f"punch {punch_id} was already corrected by punch {newer}; correct that one",
            field="punch_id",
            corrected_by=newer,
        )
    return target


def _correction_row(
    target: Punch,
    actor: Principal,
    at: dt.datetime | None,
    direction: str | None,
    void: bool,
    reason: str,
) -> Punch:
    new_at = at or target.at
    new_direction = _direction(direction, target.direction)
    kind = "void" if void else "correction"
    text = f"{target.id}|{kind}|{new_direction}|{new_at.astimezone(dt.UTC).isoformat()}|{reason}"
    return Punch(
        employee_id=target.employee_id,
        department_id=target.department_id,
        direction=new_direction,
        at=new_at,
        kind=kind,
        source="manager",
        actor=f"user:{actor.user_id}",
        idempotency_key=None,
        fingerprint=hashlib.sha256(text.encode()).hexdigest(),
        reason=reason,
        created_by=actor.user_ref,
        corrects_id=target.id,
        created_at=utcnow(),
    )


async def correct_punch(
    session: AsyncSession,
    actor: Principal,
    punch_id: int,
    *,
    at: dt.datetime | None,
    direction: str | None,
    void: bool,
    reason: str | None,
) -> Punch:
    """A manager replaces (new instant or direction) or cancels (``void``) a wrong punch."""
    text = _reason(reason)
    _check_change(at, direction, void)
    target = await _target(session, punch_id)
    if not actor.can_read_employee(target.employee_id, target.department_id):
        raise NotFoundError(f"punch {punch_id} not found", field="punch_id")
    actor.require(actor.can_manage_department(target.department_id), "correct punches here")
    if at is not None:
        check_instant(at, utcnow(), oldest=MANAGER_LIMIT)
    if not void and at is None and direction is None:
        raise ValidationFailedError(
            "say what is wrong: a new instant (at), a direction, or void", field="at"
        )
    row = _correction_row(target, actor, at, direction, void, text)
    session.add(row)
    try:
        await session.commit()
    except IntegrityError as exc:  # a concurrent correction of the same punch won
        await session.rollback()
        raise ConflictError(
            f"punch {punch_id} was corrected meanwhile; reload and correct the newer record",
            field="punch_id",
        ) from exc
    return row


# ------------------------------------------------------------------ requests by agents


async def request_correction(
    session: AsyncSession,
    actor: Principal,
    *,
    punch_id: int | None,
    direction: str | None,
    at: dt.datetime | None,
    void: bool,
    reason: str | None,
) -> tuple[CorrectionRequest, ApprovalRequest]:
    """A person asks for their own missing or wrong punch to be corrected (within the window).

    The window and the approver's summary go by the day the punch is judged for (the shift it
    pairs with, as derivation pairs it), not by the calendar date of its instant.
    """
    text = _reason(reason)
    _check_change(at, direction, void)
    if actor.employee_id is None:
        raise ValidationFailedError(
            "only staff with an employee record ask for corrections of their punches"
        )
    employee = await session.get(Employee, actor.employee_id)
    assert employee is not None
    department = await session.get(Department, employee.department_id)
    assert department is not None
    now = utcnow()
    target: Punch | None = None
    if punch_id is not None:
        target = await _target(session, punch_id)
        if target.employee_id != employee.id:
            raise NotFoundError(f"punch {punch_id} not found", field="punch_id")
        new_direction = _direction(direction, target.direction)
        if not void and at is None and direction is None:
            raise ValidationFailedError(
                "say what is wrong: a new instant (at), a direction, or void", field="at"
            )
    else:
        if void or at is None:
            raise ValidationFailedError(
                "a missing punch needs its instant (at) and direction", field="at"
            )
        new_direction = _direction(direction, "")
    if at is not None:
        if at.tzinfo is None:
            check_instant(at, now, oldest=MANAGER_LIMIT)
        if at > now + FUTURE_TOLERANCE:
            check_instant(at, now, oldest=MANAGER_LIMIT)
    day, shift = await _judged(session, employee.id, department.timezone, target, at, new_direction)
    policy, _ = await policy_for_month(session, department.id, day)
    today = local_date(now, department.timezone)
    if (today - day).days > policy.correction_window_days:
        raise ValidationFailedError(
            f"corrections are asked for within {policy.correction_window_days} days; "
            f"{day.isoformat()} is too long ago, ask your manager",
            field="at",
        )
    request = CorrectionRequest(
        employee_id=employee.id,
        department_id=department.id,
        punch_id=target.id if target else None,
        direction=new_direction,
        at=at,
        void=void,
        reason=text,
        status="pending",
        created_by=actor.user_ref,
    )
    session.add(request)
    await session.flush()
    what = "cancel" if void else "correct" if target else "add missing"
    approval = await approvals.submit(
        session,
        kind=KIND,
        subject_id=request.id,
        department_id=department.id,
        requester=actor,
        employee_id=employee.id,
        days=0,
        summary=f"{what} clock-{new_direction} of {_day_label(day, shift)}: {text}",
    )
    request.approval_request_id = approval.id
    await session.commit()
    return request, approval


#: The id a punch not stored yet is given while its day is worked out: above every real id,
#: so at an equal instant it comes after the stored punches, as it will once stored.
_NEW_PUNCH_ID = MAX_ID + 1


#: How far around a punch its shift and the punches paired with it can lie.
_AROUND = dt.timedelta(days=2)

_When = TypeVar("_When", dt.date, dt.datetime)


def _moved(value: _When, delta: dt.timedelta) -> _When:
    """``value + delta``, or ``value`` itself at the ends of the calendar (year 1 or 9999).

    An absurd instant is refused later by the correction window, with a message; reading the
    facts around it must not fail first with an overflow.
    """
    try:
        return value + delta
    except OverflowError:
        return value


async def _judged(
    session: AsyncSession,
    employee_id: int,
    zone: str,
    target: Punch | None,
    at: dt.datetime | None,
    direction: str,
) -> tuple[dt.date, ShiftPlan | None]:
    """The day (and shift) a requested correction is about, as attendance derivation pairs it.

    The record in question (a missing punch, a moved one, or the punch to void) is paired with
    the person's published shifts and other punches around it (``derive.judged_day``), so a
    clock-out at 00:05 for the previous day's late shift is about that day. A move is about the
    earlier of the day its target counts for now and the day it would count for.
    """
    current: PunchFact | None = None
    proposed: PunchFact | None = None
    if target is None:
        assert at is not None  # request_correction refused a missing punch without one
        proposed = PunchFact(_NEW_PUNCH_ID, direction, at)
    else:
        current = PunchFact(target.id, target.direction, target.at, target.kind, target.corrects_id)
        if at is not None or direction != target.direction:
            moved = at or target.at
            proposed = PunchFact(_NEW_PUNCH_ID, direction, moved, "correction", target.id)
    instants = [p.at for p in (current, proposed) if p is not None]
    # Wide enough for every shift whose punch windows can hold these instants (a shift may
    # end the day after its start, and its clock-out window runs hours past that).
    first = _moved(min(local_date(i, zone) for i in instants), -_AROUND)
    last = _moved(max(local_date(i, zone) for i in instants), _AROUND)
    roster = await load_plans(session, [employee_id], first, last)
    # Half-day leave too: a shift wholly on leave (AM and PM) holds no punches.
    today = local_date(utcnow(), zone)
    await apply_leave(session, roster.plans, [employee_id], first, last, first, today)
    plans = roster.plans.get(employee_id, {})
    start, end = _moved(min(instants), -_AROUND), _moved(max(instants), _AROUND)
    loaded = await load_punches(session, [employee_id], start, end)
    # The target as built here stands for its stored copy (judged_day finds it by identity).
    stored = [p for p in loaded.get(employee_id, []) if current is None or p.id != current.id]
    if current is not None:
        stored.append(current)
    days: list[tuple[dt.date, ShiftPlan | None]] = []
    if current is not None:
        days.append(judged_day(plans, stored, current, zone))
    if proposed is not None:
        days.append(judged_day(plans, [*stored, proposed], proposed, zone))
    return min(days, key=lambda d: d[0])


def _day_label(day: dt.date, shift: ShiftPlan | None) -> str:
    """``2026-11-26 (late shift 晚班)``: the day, and the shift the punch counts for."""
    if shift is None:
        return day.isoformat()
    name = "" if shift.name == shift.code else f" {shift.name}"
    return f"{day.isoformat()} ({shift.code} shift{name})"


async def get_request(
    session: AsyncSession, actor: Principal, request_id: int
) -> CorrectionRequest:
    """A correction request the caller may see (their own, or in their department)."""
    row = await session.get(CorrectionRequest, request_id)
    if row is None or not actor.can_read_employee(row.employee_id, row.department_id):
        raise NotFoundError(f"correction request {request_id} not found")
    return row


async def _subject(session: AsyncSession, request: ApprovalRequest) -> CorrectionRequest:
    row = await session.get(CorrectionRequest, request.subject_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"correction request {request.subject_id} not found")
    return row


class CorrectionHandler:
    """What approving or ending an ``attendance_correction`` request does."""

    async def before_approve(
        self, session: AsyncSession, request: ApprovalRequest, actor: Principal, comment: str | None
    ) -> None:
        """Refuse when the punch to correct was corrected by someone else meanwhile."""
        row = await _subject(session, request)
        if row.punch_id is not None:
            await _target(session, row.punch_id)

    async def on_approved(
        self, session: AsyncSession, request: ApprovalRequest, actor: Principal, comment: str | None
    ) -> None:
        """Write the correction (or the missing punch), attributed to the approver."""
        row = await _subject(session, request)
        reason = f"{row.reason} (requested by the employee; approved request {request.id})"
        if row.punch_id is not None:
            target = await _target(session, row.punch_id)
            punch = _correction_row(target, actor, row.at, row.direction, row.void, reason)
        else:
            assert row.at is not None
            text = f"request|{row.id}|{row.direction}|{row.at.astimezone(dt.UTC).isoformat()}"
            punch = Punch(
                employee_id=row.employee_id,
                department_id=row.department_id,
                direction=row.direction,
                at=row.at,
                kind="punch",
                source="manager",
                actor=f"user:{actor.user_id}",
                idempotency_key=f"correction-request:{row.id}",
                fingerprint=hashlib.sha256(text.encode()).hexdigest(),
                reason=reason,
                created_by=actor.user_ref,
                created_at=utcnow(),
            )
        session.add(punch)
        await session.flush()
        row.status = "approved"
        row.result_punch_id = punch.id
        row.decided_by = actor.user_ref
        row.decided_at = utcnow()

    async def on_ended(
        self, session: AsyncSession, request: ApprovalRequest, actor: Principal, outcome: str
    ) -> None:
        """Rejected, withdrawn or cancelled: the request says so, no punch is written."""
        row = await _subject(session, request)
        row.status = outcome
        row.decided_by = actor.user_ref
        row.decided_at = utcnow()

    async def describe(self, session: AsyncSession, request: ApprovalRequest) -> dict[str, Any]:
        """What the approver sees: the punch to correct and the proposed change."""
        row = await session.get(CorrectionRequest, request.subject_id)
        if row is None:
            return {}
        target = await session.get(Punch, row.punch_id) if row.punch_id else None
        return {
            "correction_request_id": row.id,
            "punch": None
            if target is None
            else {"id": target.id, "direction": target.direction, "at": target.at.isoformat()},
            "direction": row.direction,
            "at": row.at.isoformat() if row.at else None,
            "void": row.void,
            "reason": row.reason,
        }


register(KIND, CorrectionHandler())
