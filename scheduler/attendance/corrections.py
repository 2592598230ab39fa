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
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.approvals import service as approvals
from scheduler.approvals.models import ApprovalRequest
from scheduler.approvals.registry import register
from scheduler.attendance.derive import local_date
from scheduler.attendance.models import DIRECTIONS, CorrectionRequest, Punch
from scheduler.attendance.policy import policy_for_month
from scheduler.attendance.punches import FUTURE_TOLERANCE, check_instant
from scheduler.auth.principal import Principal
from scheduler.db.base import utcnow
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
    """A person asks for their own missing or wrong punch to be corrected (within the window)."""
    text = _reason(reason)
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
    day = local_date(at or (target.at if target else now), department.timezone)
    if target is not None:
        day = min(day, local_date(target.at, department.timezone))
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
        summary=f"{what} clock-{new_direction} of {day.isoformat()}: {text}",
    )
    request.approval_request_id = approval.id
    await session.commit()
    return request, approval


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
