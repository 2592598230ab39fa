"""The approval state machine: submit, decide (approve / reject), withdraw, cancel; delegation.

A transition locks the request row (``with_for_update`` + ``populate_existing``; then its steps,
always in that order), checks :data:`TRANSITIONS`, writes the new state and an audit event, runs
the kind's handler (``registry.py``) and commits, all in one transaction. The request also carries
a ``version_id_col``: its UPDATE says ``WHERE revision = <read>``, so where row locks do not exist
(SQLite ignores ``FOR UPDATE``) a second, concurrent decision still changes nothing and gets a 409.

Decisions may carry an ``Idempotency-Key``: the first answer is stored with a fingerprint of the
operation in the same transaction; the same key and payload again returns the stored answer, the
same key with another payload is a 422. The key is checked again after the row lock, so a retry
that raced its own first attempt gets the replay rather than a 409.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from scheduler.approvals.models import (
    ApprovalDelegation,
    ApprovalEvent,
    ApprovalIdempotency,
    ApprovalRequest,
    ApprovalStep,
)
from scheduler.approvals.policy import chain_for, load_policy
from scheduler.approvals.registry import BatchDescriber, handler_for
from scheduler.auth.models import User
from scheduler.auth.principal import Principal
from scheduler.auth.roles import DEPARTMENT_READERS, ORGANISATION_ROLES, Role
from scheduler.db.base import utcnow
from scheduler.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from scheduler.org.models import Department
from scheduler.people.models import Employee
from scheduler.shifts import clock

#: (request status, action) -> the status after it. ``approve`` may also stay ``pending`` when
#: later steps remain; anything not listed is refused with 409.
TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("pending", "approve"): ("pending", "approved"),
    ("pending", "reject"): ("rejected",),
    ("pending", "withdraw"): ("withdrawn",),
    ("pending", "cancel"): ("cancelled",),
}

#: Every status a request can have (the list filter of ``GET /approvals`` takes these).
REQUEST_STATUSES = ("pending", "approved", "rejected", "withdrawn", "cancelled")

#: Who may be handed a step of each role by delegation (the department roles stay in department).
DELEGATE_ROLES: dict[str, frozenset[Role]] = {
    Role.DEPT_MANAGER.value: frozenset({Role.DEPT_MANAGER, Role.SUPERVISOR, Role.TEAM_LEAD}),
    Role.SUPERVISOR.value: frozenset({Role.SUPERVISOR, Role.TEAM_LEAD}),
    Role.TEAM_LEAD.value: frozenset({Role.TEAM_LEAD}),
    Role.HR.value: frozenset({Role.HR}),
    Role.GM.value: frozenset({Role.GM}),
}

ORG_WIDE_STEPS = frozenset({Role.HR.value, Role.GM.value})


def local_today(zone: str = "Asia/Shanghai") -> dt.date:
    """Today's date on the wall clock of a department (delegations and notice run by it)."""
    return clock.local_today(zone)


# ---------------------------------------------------------------- serialisation


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def approval_json(
    request: ApprovalRequest, steps: list[ApprovalStep], events: list[ApprovalEvent]
) -> dict[str, Any]:
    """A request as answered and as stored for idempotent replay (plain JSON)."""
    return {
        "id": request.id,
        "kind": request.kind,
        "subject_id": request.subject_id,
        "department_id": request.department_id,
        "requester_id": request.requester_id,
        "employee_id": request.employee_id,
        "summary": request.summary,
        "days": request.days,
        "status": request.status,
        "current_step": request.current_step,
        "revision": request.revision,
        "created_at": _iso(request.created_at),
        "decided_at": _iso(request.decided_at),
        "steps": [
            {
                "position": s.position,
                "role": s.role,
                "department_id": s.department_id,
                "status": s.status,
                "decided_by": s.decided_by,
                "on_behalf_of": s.on_behalf_of,
                "decided_at": _iso(s.decided_at),
                "comment": s.comment,
            }
            for s in steps
        ],
        "events": [
            {
                "action": e.action,
                "step": e.step_position,
                "actor_id": e.actor_id,
                "on_behalf_of": e.on_behalf_of,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "comment": e.comment,
                "at": _iso(e.at),
            }
            for e in events
        ],
    }


async def steps_of(
    session: AsyncSession, request_id: int, *, lock: bool = False
) -> list[ApprovalStep]:
    """The chain of a request, in order (locked with the request while deciding)."""
    stmt = (
        select(ApprovalStep)
        .where(ApprovalStep.request_id == request_id)
        .order_by(ApprovalStep.position)
        .execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update()
    return list((await session.scalars(stmt)).all())


async def waiting_for(session: AsyncSession, request_ids: Sequence[int | None]) -> dict[int, str]:
    """The role each still-pending request waits on (its current step), by request id.

    A phone app shows "waiting for HR" from the leave or swap answer itself; requests that are
    decided, withdrawn or cancelled are absent (nobody must act).
    """
    ids = {i for i in request_ids if i is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(ApprovalStep.request_id, ApprovalStep.role)
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStep.request_id)
        .where(
            ApprovalStep.request_id.in_(ids),
            ApprovalStep.status == "pending",
            ApprovalRequest.status == "pending",
        )
    )
    return {request_id: role for request_id, role in rows}


async def events_of(session: AsyncSession, request_id: int) -> list[ApprovalEvent]:
    """The audit trail of a request, oldest first."""
    stmt = (
        select(ApprovalEvent)
        .where(ApprovalEvent.request_id == request_id)
        .order_by(ApprovalEvent.id)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(stmt)).all())


async def full_json(session: AsyncSession, request: ApprovalRequest) -> dict[str, Any]:
    """``approval_json`` with the chain and trail loaded."""
    return approval_json(
        request, await steps_of(session, request.id), await events_of(session, request.id)
    )


# ---------------------------------------------------------------- who may act


@dataclass(frozen=True, slots=True)
class Capacity:
    """A role, in a department (None: organisation-wide), the actor may decide steps of.

    A team lead "approves within the team when delegated" (DOMAIN.md): the delegation hands
    them the manager's steps, but only for requests about members of their own team. Such a
    capacity is ``team_only``, and ``team_id`` is the team of the lead's own employee record
    (None: a lead without a team, who decides nothing by delegation). A supervisor "may act for
    the manager" as a whole and keeps the department-wide scope.
    """

    role: str
    department_id: int | None
    on_behalf_of: int | None = None
    team_only: bool = False
    team_id: int | None = None


async def _team_of(session: AsyncSession, employee_id: int | None) -> int | None:
    """The team of an employee as recorded now (None: no employee, or in no team)."""
    if employee_id is None:
        return None
    team: int | None = await session.scalar(
        select(Employee.team_id).where(Employee.id == employee_id)
    )
    return team


async def capacities(session: AsyncSession, actor: Principal) -> list[Capacity]:
    """The actor's own role plus every delegation to them in force today.

    Delegations to a team lead are limited to the lead's team (see :class:`Capacity`).
    """
    out: list[Capacity] = []
    if actor.role.value in DELEGATE_ROLES:
        scope = None if actor.role.value in ORG_WIDE_STEPS else actor.department_id
        out.append(Capacity(actor.role.value, scope))
    if not actor.user_ref:
        return out
    rows = (
        await session.execute(
            select(ApprovalDelegation, Department.timezone)
            .outerjoin(Department, Department.id == ApprovalDelegation.department_id)
            .where(
                ApprovalDelegation.delegate_id == actor.user_id,
                ApprovalDelegation.revoked_at.is_(None),
            )
        )
    ).all()
    team_only = actor.role == Role.TEAM_LEAD
    lead_team = await _team_of(session, actor.employee_id) if team_only and rows else None
    for d, zone in rows:
        if d.start_date <= local_today(zone or "Asia/Shanghai") <= d.end_date:
            out.append(Capacity(d.role, d.department_id, d.delegator_id, team_only, lead_team))
    return out


def _matches(cap: Capacity, step: ApprovalStep) -> bool:
    return cap.role == step.role and (
        step.department_id is None or cap.department_id == step.department_id
    )


def _within_team(cap: Capacity, subject_team: int | None) -> bool:
    """Whether a capacity reaches a request about someone of ``subject_team``."""
    return not cap.team_only or (cap.team_id is not None and cap.team_id == subject_team)


def _outside_team(cap: Capacity, subject_team: int | None) -> PermissionDeniedError:
    """Why a team lead's delegation does not reach this request (a 403 that says so)."""
    if cap.team_id is None:
        return PermissionDeniedError(
            "a team lead decides by delegation only requests of their own team, and your login "
            "has no employee record in a team: you decide no request by this delegation (an "
            "admin can link your employee record, or the manager can delegate to a supervisor)",
            reason="team_lead_without_team",
        )
    whose = f"team {subject_team}" if subject_team is not None else "no team"
    return PermissionDeniedError(
        f"a team lead decides by delegation only requests of their own team (team "
        f"{cap.team_id}); this request is about someone of {whose}",
        reason="outside_delegate_team",
        team_id=cap.team_id,
    )


def _is_own(actor: Principal, request: ApprovalRequest) -> bool:
    """A request the actor made, or one about the actor."""
    if actor.user_ref is not None and actor.user_id == request.requester_id:
        return True
    return actor.employee_id is not None and actor.employee_id == request.employee_id


def may_see(actor: Principal, request: ApprovalRequest, caps: list[Capacity]) -> bool:
    """Requester and subject, the department's readers, organisation roles, and any approver."""
    if _is_own(actor, request) or actor.role in ORGANISATION_ROLES:
        return True
    if actor.role in DEPARTMENT_READERS and actor.department_id == request.department_id:
        return True
    return any(c.department_id in (None, request.department_id) for c in caps if c.on_behalf_of)


async def get_request(
    session: AsyncSession, actor: Principal, request_id: int, *, lock: bool = False
) -> ApprovalRequest:
    """One request the actor may see (404 otherwise, as for anything outside one's scope)."""
    stmt = (
        select(ApprovalRequest)
        .where(ApprovalRequest.id == request_id)
        .execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update()
    request = await session.scalar(stmt)
    if request is None or not may_see(actor, request, await capacities(session, actor)):
        raise NotFoundError(f"approval request {request_id} not found")
    return request


# ---------------------------------------------------------------- submit


async def submit(
    session: AsyncSession,
    *,
    kind: str,
    subject_id: int,
    department_id: int,
    requester: Principal,
    employee_id: int | None,
    days: float,
    summary: str,
) -> ApprovalRequest:
    """Open a request with the chain the department's policy gives now (the caller commits).

    When the requester is themself the first approver and the request is not about them (a
    manager recording a team member's sick leave), that step is approved at submission: they
    plainly agree, and the trail says so.
    """
    policy, _ = await load_policy(session, department_id)
    chain = chain_for(policy, kind, days)
    request = ApprovalRequest(
        kind=kind,
        subject_id=subject_id,
        department_id=department_id,
        requester_id=requester.user_ref,
        employee_id=employee_id,
        summary=summary[:300],
        days=days,
        status="pending",
        current_step=0,
    )
    session.add(request)
    await session.flush()
    steps = [
        ApprovalStep(
            request_id=request.id,
            position=i,
            role=role,
            department_id=None if role in ORG_WIDE_STEPS else department_id,
            status="pending" if i == 0 else "waiting",
        )
        for i, role in enumerate(chain)
    ]
    session.add_all(steps)
    now = utcnow()
    session.add(
        ApprovalEvent(
            request_id=request.id,
            action="submit",
            actor_id=requester.user_ref,
            from_status=None,
            to_status="pending",
            comment=summary[:300] or None,
            at=now,
        )
    )
    own_caps = [c for c in await capacities(session, requester) if c.on_behalf_of is None]
    about_self = requester.employee_id is not None and requester.employee_id == employee_id
    while (
        not about_self
        and request.current_step is not None
        and any(_matches(c, steps[request.current_step]) for c in own_caps)
    ):
        await _advance(
            session, request, steps, requester, None, "filed by the approver of this step", now
        )
    await session.flush()
    return request


async def _advance(
    session: AsyncSession,
    request: ApprovalRequest,
    steps: list[ApprovalStep],
    actor: Principal,
    on_behalf_of: int | None,
    comment: str | None,
    now: dt.datetime,
) -> None:
    """Approve the current step; open the next one or finish the request."""
    assert request.current_step is not None
    step = steps[request.current_step]
    step.status = "approved"
    step.decided_by = actor.user_ref
    step.on_behalf_of = on_behalf_of
    step.decided_at = now
    step.comment = comment
    last = request.current_step == len(steps) - 1
    session.add(
        ApprovalEvent(
            request_id=request.id,
            action="approve",
            step_position=step.position,
            actor_id=actor.user_ref,
            on_behalf_of=on_behalf_of,
            from_status="pending",
            to_status="approved" if last else "pending",
            comment=comment,
            at=now,
        )
    )
    if last:
        request.status = "approved"
        request.current_step = None
        request.decided_at = now
        handler = handler_for(request.kind)
        if handler is not None:
            await handler.on_approved(session, request, actor, comment)
    else:
        request.current_step += 1
        steps[request.current_step].status = "pending"


# ---------------------------------------------------------------- idempotency


@dataclass(frozen=True, slots=True)
class Idempotency:
    """An ``Idempotency-Key`` and the fingerprint of the operation it came with."""

    key: str
    fingerprint: str

    @classmethod
    def of(cls, key: str | None, operation: dict[str, Any]) -> Idempotency | None:
        """None without a key; a 422 for a key that is empty or too long."""
        if key is None:
            return None
        if not key.strip() or len(key) > 200:
            raise ValidationFailedError(
                "Idempotency-Key must be 1-200 characters",
                errors=[{"field": "Idempotency-Key", "message": "1-200 characters"}],
            )
        digest = hashlib.sha256(json.dumps(operation, sort_keys=True).encode()).hexdigest()
        return cls(key=key, fingerprint=digest)


async def _replay(
    session: AsyncSession, actor: Principal, idem: Idempotency | None
) -> dict[str, Any] | None:
    if idem is None or not actor.user_ref:
        return None
    row = await session.scalar(
        select(ApprovalIdempotency)
        .where(ApprovalIdempotency.user_id == actor.user_id, ApprovalIdempotency.key == idem.key)
        .execution_options(populate_existing=True)
    )
    if row is None:
        return None
    if row.fingerprint != idem.fingerprint:
        raise ValidationFailedError(
            "this Idempotency-Key was used with another request",
            errors=[{"field": "Idempotency-Key", "message": "already used for another payload"}],
        )
    return row.response


async def stored_answer(
    session: AsyncSession, actor: Principal, idem: Idempotency | None
) -> dict[str, Any] | None:
    """The answer stored for this user's key (None: first time); 422 for another payload.

    For other write routes that take an ``Idempotency-Key`` (filing leave): keys live in one
    namespace per user, and the operation is part of the fingerprint.
    """
    return await _replay(session, actor, idem)


def remember(
    session: AsyncSession,
    actor: Principal,
    idem: Idempotency | None,
    status_code: int,
    response: dict[str, Any],
) -> None:
    """Store the answer to a keyed request in the caller's transaction (it commits)."""
    if idem is not None and actor.user_ref:
        session.add(
            ApprovalIdempotency(
                user_id=actor.user_id,
                key=idem.key,
                fingerprint=idem.fingerprint,
                status_code=status_code,
                response=response,
            )
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to a decision and whether it is a replay of an earlier one."""

    body: dict[str, Any]
    replayed: bool = False


async def _finish(
    session: AsyncSession, actor: Principal, request: ApprovalRequest, idem: Idempotency | None
) -> Decision:
    """Flush (the version check), store the idempotent answer, commit: one transaction."""
    try:
        await session.flush()
    except StaleDataError as exc:
        await session.rollback()
        raise ConflictError(
            "someone else decided this request at the same moment; reload it"
        ) from exc
    body = await full_json(session, request)
    remember(session, actor, idem, 200, body)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        replay = await _replay(session, actor, idem)
        if replay is not None:
            return Decision(replay, replayed=True)
        raise ConflictError("this request changed while deciding; reload it") from exc
    return Decision(body)


# ---------------------------------------------------------------- decide


async def _locked(
    session: AsyncSession, actor: Principal, request_id: int
) -> tuple[ApprovalRequest, list[ApprovalStep]]:
    request = await get_request(session, actor, request_id, lock=True)
    return request, await steps_of(session, request.id, lock=True)


def _check_transition(request: ApprovalRequest, action: str) -> None:
    if (request.status, action) not in TRANSITIONS:
        raise ConflictError(
            f"approval request {request.id} is {request.status}; it cannot be "
            f"{'rejected' if action == 'reject' else action + 'd'} now",
            current_status=request.status,
        )


async def _stale_is_conflict(session: AsyncSession, work: Awaitable[Decision]) -> Decision:
    """A lost race seen by the version check (at any flush, even a handler's autoflush) is a 409."""
    try:
        return await work
    except StaleDataError as exc:
        await session.rollback()
        raise ConflictError(
            "someone else decided this request at the same moment; reload it"
        ) from exc


async def decide(
    session: AsyncSession,
    actor: Principal,
    request_id: int,
    action: str,
    comment: str | None,
    idem: Idempotency | None = None,
) -> Decision:
    """Approve or reject the current step of a request, as its role (or their delegate)."""
    return await _stale_is_conflict(
        session, _decide(session, actor, request_id, action, comment, idem)
    )


async def _decide(
    session: AsyncSession,
    actor: Principal,
    request_id: int,
    action: str,
    comment: str | None,
    idem: Idempotency | None,
) -> Decision:
    if action not in ("approve", "reject"):
        raise ValidationFailedError(
            "unknown decision", errors=[{"field": "action", "message": "approve or reject"}]
        )
    comment = comment.strip() if comment else None
    if action == "reject" and not comment:
        raise ValidationFailedError(
            "a rejection needs a reason",
            errors=[{"field": "reason", "message": "say why the request is rejected"}],
        )
    if (replay := await _replay(session, actor, idem)) is not None:
        return Decision(replay, replayed=True)
    request, steps = await _locked(session, actor, request_id)
    if (replay := await _replay(session, actor, idem)) is not None:
        await session.rollback()
        return Decision(replay, replayed=True)
    _check_transition(request, action)
    if _is_own(actor, request):
        raise PermissionDeniedError("nobody approves or rejects their own request")
    assert request.current_step is not None
    step = steps[request.current_step]
    caps = await capacities(session, actor)
    matching = [c for c in caps if _matches(c, step)]
    subject_team = (
        await _team_of(session, request.employee_id) if any(c.team_only for c in matching) else None
    )
    cap = next((c for c in matching if _within_team(c, subject_team)), None)
    if cap is None and matching:
        raise _outside_team(matching[0], subject_team)
    if cap is None:
        later = [s for s in steps[request.current_step + 1 :] if any(_matches(c, s) for c in caps)]
        if later:
            raise ConflictError(
                f"step {step.position + 1} ({step.role}) has not decided yet; steps go in order "
                f"and none is skipped",
                current_step=step.position,
                waiting_for=step.role,
            )
        raise PermissionDeniedError(
            f"step {step.position + 1} of this request is for {step.role}"
            + (f" of department {step.department_id}" if step.department_id else "")
        )
    now = utcnow()
    handler = handler_for(request.kind)
    if action == "approve":
        if handler is not None:
            await handler.before_approve(session, request, actor, comment)
        await _advance(session, request, steps, actor, cap.on_behalf_of, comment, now)
    else:
        step.status = "rejected"
        step.decided_by = actor.user_ref
        step.on_behalf_of = cap.on_behalf_of
        step.decided_at = now
        step.comment = comment
        await _end(session, request, steps, actor, "rejected", "reject", comment, cap.on_behalf_of)
    return await _finish(session, actor, request, idem)


async def _end(
    session: AsyncSession,
    request: ApprovalRequest,
    steps: list[ApprovalStep],
    actor: Principal,
    outcome: str,
    action: str,
    comment: str | None,
    on_behalf_of: int | None = None,
) -> None:
    now = utcnow()
    session.add(
        ApprovalEvent(
            request_id=request.id,
            action=action,
            step_position=request.current_step,
            actor_id=actor.user_ref,
            on_behalf_of=on_behalf_of,
            from_status=request.status,
            to_status=outcome,
            comment=comment,
            at=now,
        )
    )
    for s in steps:
        if s.status in ("waiting", "pending"):
            s.status = "skipped"
    request.status = outcome
    request.current_step = None
    request.decided_at = now
    handler = handler_for(request.kind)
    if handler is not None:
        await handler.on_ended(session, request, actor, outcome)


async def withdraw(
    session: AsyncSession,
    actor: Principal,
    request_id: int,
    comment: str | None = None,
    idem: Idempotency | None = None,
) -> Decision:
    """The requester (or the person it is about) takes a pending request back."""
    return await _stale_is_conflict(session, _withdraw(session, actor, request_id, comment, idem))


async def _withdraw(
    session: AsyncSession,
    actor: Principal,
    request_id: int,
    comment: str | None,
    idem: Idempotency | None,
) -> Decision:
    if (replay := await _replay(session, actor, idem)) is not None:
        return Decision(replay, replayed=True)
    request, steps = await _locked(session, actor, request_id)
    if not _is_own(actor, request):
        raise PermissionDeniedError("only the requester can withdraw a request")
    _check_transition(request, "withdraw")
    await _end(session, request, steps, actor, "withdrawn", "withdraw", comment)
    return await _finish(session, actor, request, idem)


async def cancel_in_transaction(
    session: AsyncSession,
    request_id: int,
    actor: Principal,
    reason: str,
    *,
    approved_too: bool = False,
) -> None:
    """End a request because its subject went away or was called off (the caller commits).

    A pending request is always ended; an approved one only with ``approved_too`` (leave called
    off after approval: its handler undoes what approval did).
    """
    request = await session.scalar(
        select(ApprovalRequest)
        .where(ApprovalRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    ending = ("pending", "approved") if approved_too else ("pending",)
    if request is None or request.status not in ending:
        return
    steps = await steps_of(session, request.id, lock=True)
    await _end(session, request, steps, actor, "cancelled", "cancel", reason)


# ---------------------------------------------------------------- listing


def _step_filter(caps: list[Capacity]) -> ColumnElement[bool]:
    """Current steps the capacities decide (a team lead's delegation: their team's requests)."""
    conds: list[ColumnElement[bool]] = []
    for c in caps:
        cond: ColumnElement[bool] = ApprovalStep.role == c.role
        if c.department_id is not None:
            cond = and_(cond, ApprovalStep.department_id == c.department_id)
        if c.team_only:
            if c.team_id is None:
                continue
            team = select(Employee.id).where(Employee.team_id == c.team_id)
            cond = and_(cond, ApprovalRequest.employee_id.in_(team))
        conds.append(cond)
    return or_(*conds) if conds else false()


async def list_requests(
    session: AsyncSession,
    actor: Principal,
    *,
    view: str,
    kind: str | None = None,
    status: str | None = None,
    department_id: int | None = None,
    employee_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ApprovalRequest], int]:
    """``waiting`` (for my decision), ``mine`` (I asked, or it is about me), ``all`` (HR...)."""
    stmt = select(ApprovalRequest)
    if view == "waiting":
        caps = await capacities(session, actor)
        stmt = stmt.join(
            ApprovalStep,
            and_(
                ApprovalStep.request_id == ApprovalRequest.id,
                ApprovalStep.position == ApprovalRequest.current_step,
            ),
        ).where(ApprovalRequest.status == "pending", _step_filter(caps))
        if actor.user_ref:
            stmt = stmt.where(
                or_(
                    ApprovalRequest.requester_id.is_(None),
                    ApprovalRequest.requester_id != actor.user_id,
                )
            )
        if actor.employee_id is not None:
            stmt = stmt.where(
                or_(
                    ApprovalRequest.employee_id.is_(None),
                    ApprovalRequest.employee_id != actor.employee_id,
                )
            )
    elif view == "mine":
        mine = [ApprovalRequest.requester_id == actor.user_id]
        if actor.employee_id is not None:
            mine.append(ApprovalRequest.employee_id == actor.employee_id)
        stmt = stmt.where(or_(*mine))
    elif view == "all":
        if actor.role in ORGANISATION_ROLES:
            pass
        elif actor.role in DEPARTMENT_READERS and actor.department_id is not None:
            stmt = stmt.where(ApprovalRequest.department_id == actor.department_id)
        else:
            raise PermissionDeniedError(f"role {actor.role.value} may not list every request")
    else:
        raise ValidationFailedError(
            "unknown view", errors=[{"field": "view", "message": "waiting, mine or all"}]
        )
    if kind is not None:
        stmt = stmt.where(ApprovalRequest.kind == kind)
    if status is not None:
        stmt = stmt.where(ApprovalRequest.status == status)
    if department_id is not None:
        stmt = stmt.where(ApprovalRequest.department_id == department_id)
    if employee_id is not None:
        stmt = stmt.where(ApprovalRequest.employee_id == employee_id)
    total = int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = await session.scalars(
        stmt.order_by(ApprovalRequest.created_at.desc(), ApprovalRequest.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), total


async def describe(session: AsyncSession, request: ApprovalRequest) -> dict[str, Any]:
    """The kind's own details of a request (leave dates, a swap's violations)."""
    handler = handler_for(request.kind)
    return await handler.describe(session, request) if handler is not None else {}


async def describe_all(
    session: AsyncSession, requests: Sequence[ApprovalRequest]
) -> dict[int, dict[str, Any]]:
    """:func:`describe` for a page of a list, by request id.

    An approver working from the waiting list must see what the single view shows (a swap's
    hard violations, that it no longer fits the roster) without opening each request. A kind
    whose handler can describe many requests at once (one query for the subjects, the roster
    loaded once) does so; the others are described one by one.
    """
    by_kind: dict[str, list[ApprovalRequest]] = defaultdict(list)
    for request in requests:
        by_kind[request.kind].append(request)
    out: dict[int, dict[str, Any]] = {}
    for kind, group in by_kind.items():
        handler = handler_for(kind)
        if handler is None:
            out.update({r.id: {} for r in group})
        elif isinstance(handler, BatchDescriber):
            out.update(await handler.describe_many(session, group))
        else:
            for request in group:
                out[request.id] = await handler.describe(session, request)
    return out


# ---------------------------------------------------------------- delegation


async def delegate(
    session: AsyncSession,
    actor: Principal,
    *,
    delegate_id: int,
    start: dt.date,
    end: dt.date,
    reason: str | None,
) -> ApprovalDelegation:
    """Let another user of a suitable role decide the actor's steps between two dates."""
    role = actor.role.value
    if role not in DELEGATE_ROLES or not actor.user_ref:
        raise PermissionDeniedError(f"role {role} decides no approval steps to delegate")
    if start > end:
        raise ValidationFailedError(
            "the delegation ends before it starts",
            errors=[{"field": "end", "message": "on or after start"}],
        )
    target = await session.get(User, delegate_id)
    errors = []
    if target is None or not target.active:
        errors.append({"field": "delegate_id", "message": "no active user with this id"})
    elif target.id == actor.user_id:
        errors.append({"field": "delegate_id", "message": "delegate to someone else"})
    elif Role(target.role) not in DELEGATE_ROLES[role]:
        allowed = ", ".join(sorted(r.value for r in DELEGATE_ROLES[role]))
        errors.append({"field": "delegate_id", "message": f"a {role} delegates to {allowed}"})
    elif role not in ORG_WIDE_STEPS and target.department_id != actor.department_id:
        errors.append(
            {"field": "delegate_id", "message": "the delegate must be in your department"}
        )
    if errors:
        raise ValidationFailedError("this user cannot be your delegate", errors=errors)
    row = ApprovalDelegation(
        delegator_id=actor.user_id,
        delegate_id=delegate_id,
        role=role,
        department_id=None if role in ORG_WIDE_STEPS else actor.department_id,
        start_date=start,
        end_date=end,
        reason=reason,
    )
    session.add(row)
    await session.commit()
    return row


async def list_delegations(session: AsyncSession, actor: Principal) -> list[ApprovalDelegation]:
    """Delegations the actor gave or received (HR and admin: all of them)."""
    stmt = select(ApprovalDelegation).order_by(ApprovalDelegation.start_date, ApprovalDelegation.id)
    if actor.role not in (Role.HR, Role.ADMIN):
        stmt = stmt.where(
            or_(
                ApprovalDelegation.delegator_id == actor.user_id,
                ApprovalDelegation.delegate_id == actor.user_id,
            )
        )
    return list((await session.scalars(stmt)).all())


async def revoke_delegation(
    session: AsyncSession, actor: Principal, delegation_id: int
) -> ApprovalDelegation:
    """End a delegation early (its giver or admin); kept in the record, marked revoked."""
    row = await session.get(ApprovalDelegation, delegation_id, with_for_update=True)
    if row is None or (row.delegator_id != actor.user_id and actor.role != Role.ADMIN):
        raise NotFoundError(f"delegation {delegation_id} not found")
    if row.revoked_at is not None:
        raise ConflictError(f"delegation {delegation_id} is already revoked")
    row.revoked_at = utcnow()
    await session.commit()
    return row
