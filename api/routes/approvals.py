"""Approvals: lists (waiting for me, mine, all), decisions with Idempotency-Key, delegation, policy."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException, ValidationException
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import ConflictProblem, UnprocessableProblem
from api.schemas.approvals import (
    ApprovalOut,
    ApproveIn,
    DelegationIn,
    DelegationOut,
    PolicyIn,
    PolicyOut,
    RejectIn,
    WithdrawIn,
)
from api.schemas.base import PageOut
from api.schemas.query import Limit, Offset, choice, require_one_of
from scheduler.approvals import policy as approval_policy
from scheduler.approvals import service
from scheduler.approvals.models import ApprovalDelegation
from scheduler.approvals.registry import known_kinds
from scheduler.auth.principal import Principal
from scheduler.org.service import get_department

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description="repeat a decision safely: the same key and body return the first answer",
    ),
]
View = Annotated[
    str,
    QueryParameter(
        enum=["waiting", "mine", "all"],
        description="waiting (for my decision), mine, or all (HR, managers)",
    ),
]
Status = Annotated[str | None, choice("only requests in this status", service.REQUEST_STATUSES)]
Kind = Annotated[
    str | None, QueryParameter(description="only this kind: leave, swap, attendance_correction")
]


def approval_out(body: dict[str, Any], details: dict[str, Any] | None = None) -> ApprovalOut:
    """The stored / computed JSON of a request as its public shape."""
    out = msgspec.convert(body, ApprovalOut, strict=False)
    if details is not None:
        out.details = details
    return out


async def _decision(
    session: AsyncSession, actor: Principal, approval_id: int, decision: service.Decision
) -> Response[ApprovalOut]:
    """The decision's answer with what it did, as the single view shows it.

    Approving leave made a roster version and may have left days short: the approver learns it
    in this answer (the README promised it), not from a second request.
    """
    headers = {"Idempotent-Replayed": "true"} if decision.replayed else {}
    request = await service.get_request(session, actor, approval_id)
    details = await service.describe(session, request)
    return Response(approval_out(decision.body, details), headers=headers)


@get("/approvals", tags=["approvals"], raises=[PermissionDeniedException, UnprocessableProblem])
async def list_approvals(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    view: FromQuery[View] = "waiting",
    kind: FromQuery[Kind] = None,
    status: FromQuery[Status] = None,
    department_id: FromQuery[int | None] = None,
    employee_id: FromQuery[int | None] = None,
    limit: FromQuery[Limit] = 50,
    offset: FromQuery[Offset] = 0,
) -> PageOut[ApprovalOut]:
    """Requests waiting for my decision (default), mine, or all (HR, GM; managers: department).

    Each item carries the kind's ``details`` as the single view does (a swap's hard violations;
    ``stale`` with its reason for a swap the roster no longer allows), so an approver can decide
    from the list. An unknown ``kind`` or ``status`` is a 422 listing the values it takes.
    """
    require_one_of("kind", kind, sorted(known_kinds()))
    require_one_of("status", status, service.REQUEST_STATUSES)
    rows, total = await service.list_requests(
        db_session,
        principal,
        view=view,
        kind=kind,
        status=status,
        department_id=department_id,
        employee_id=employee_id,
        limit=limit,
        offset=offset,
    )
    details = await service.describe_all(db_session, rows)
    items = [
        approval_out(await service.full_json(db_session, r), details.get(r.id, {})) for r in rows
    ]
    return PageOut(items=items, total=total, limit=limit, offset=offset)


@get("/approvals/{approval_id:int}", tags=["approvals"], raises=[NotFoundException])
async def get_approval(
    approval_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> ApprovalOut:
    """A request with its chain, its audit trail and what the approver decides on."""
    request = await service.get_request(db_session, principal, approval_id)
    return approval_out(
        await service.full_json(db_session, request), await service.describe(db_session, request)
    )


_DECIDE_RAISES = [
    NotFoundException,
    PermissionDeniedException,
    ConflictProblem,
    UnprocessableProblem,
]


@post(
    "/approvals/{approval_id:int}/approve",
    tags=["approvals"],
    status_code=200,
    raises=_DECIDE_RAISES,
)
async def approve(
    approval_id: FromPath[int],
    data: JSONBody[ApproveIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    idempotency_key: IdempotencyKey = None,
) -> Response[ApprovalOut]:
    """Approve the current step (as its role in scope, or their delegate); 409 if not its turn."""
    idem = service.Idempotency.of(
        idempotency_key, {"op": "approve", "id": approval_id, "comment": data.comment}
    )
    decision = await service.decide(
        db_session, principal, approval_id, "approve", data.comment, idem
    )
    return await _decision(db_session, principal, approval_id, decision)


def _rejection_text(data: RejectIn) -> str:
    """The reason, sent as ``reason`` or (like approve's text) as ``comment``; 400 without one."""
    both = data.reason is not None and data.comment is not None
    if both and (data.reason or "").strip() != (data.comment or "").strip():
        raise ValidationException(
            "reason and comment differ: send the reason once",
            extra=[
                {"key": "comment", "source": "body", "message": "differs from reason; send one"}
            ],
        )
    text = data.reason if data.reason is not None else data.comment
    if text is None:
        raise ValidationException(
            "a rejection needs a reason",
            extra=[
                {
                    "key": "reason",
                    "source": "body",
                    "message": "required: say why the request is rejected (comment is accepted too)",
                }
            ],
        )
    return text


@post(
    "/approvals/{approval_id:int}/reject",
    tags=["approvals"],
    status_code=200,
    raises=_DECIDE_RAISES,
)
async def reject(
    approval_id: FromPath[int],
    data: JSONBody[RejectIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    idempotency_key: IdempotencyKey = None,
) -> Response[ApprovalOut]:
    """Reject the request at the current step; the reason is required and ends it.

    The reason goes in ``reason``; ``comment`` (approve's name for its text) is taken as well.
    """
    reason = _rejection_text(data)
    idem = service.Idempotency.of(
        idempotency_key, {"op": "reject", "id": approval_id, "reason": reason}
    )
    decision = await service.decide(db_session, principal, approval_id, "reject", reason, idem)
    return await _decision(db_session, principal, approval_id, decision)


@post(
    "/approvals/{approval_id:int}/withdraw",
    tags=["approvals"],
    status_code=200,
    raises=_DECIDE_RAISES,
)
async def withdraw(
    approval_id: FromPath[int],
    data: JSONBody[WithdrawIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    idempotency_key: IdempotencyKey = None,
) -> Response[ApprovalOut]:
    """The requester takes back a pending request."""
    idem = service.Idempotency.of(
        idempotency_key, {"op": "withdraw", "id": approval_id, "comment": data.comment}
    )
    decision = await service.withdraw(db_session, principal, approval_id, data.comment, idem)
    return await _decision(db_session, principal, approval_id, decision)


def delegation_out(d: ApprovalDelegation) -> DelegationOut:
    """Public view of a delegation."""
    return DelegationOut(
        id=d.id,
        delegator_id=d.delegator_id,
        delegate_id=d.delegate_id,
        role=d.role,
        department_id=d.department_id,
        start=d.start_date,
        end=d.end_date,
        reason=d.reason,
        revoked_at=d.revoked_at,
    )


@post(
    "/approval-delegations",
    tags=["approvals"],
    status_code=201,
    raises=[PermissionDeniedException, UnprocessableProblem],
)
async def create_delegation(
    data: JSONBody[DelegationIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> DelegationOut:
    """Let a user of a suitable role decide my steps between two dates (a manager on holiday)."""
    row = await service.delegate(
        db_session,
        principal,
        delegate_id=data.delegate_id,
        start=data.start,
        end=data.end,
        reason=data.reason,
    )
    return delegation_out(row)


@get("/approval-delegations", tags=["approvals"])
async def list_delegations(
    principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
) -> list[DelegationOut]:
    """Delegations I gave or received (HR and admin: all)."""
    return [delegation_out(d) for d in await service.list_delegations(db_session, principal)]


@delete(
    "/approval-delegations/{delegation_id:int}",
    tags=["approvals"],
    status_code=200,
    raises=[NotFoundException, ConflictProblem],
)
async def revoke_delegation(
    delegation_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> DelegationOut:
    """End a delegation early; it stays on record, marked revoked."""
    return delegation_out(await service.revoke_delegation(db_session, principal, delegation_id))


def _policy_out(department_id: int, state: approval_policy.PolicyState) -> PolicyOut:
    return PolicyOut(
        department_id=department_id,
        policy=state.policy,
        version=state.version,
        problems=state.problems,
    )


@get(
    "/departments/{department_id:int}/approval-policy",
    tags=["approvals"],
    raises=[NotFoundException],
)
async def get_policy(
    department_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> PolicyOut:
    """The approval chains in force for the department.

    ``problems`` names what a policy stored before DOMAIN.md's rules were checked breaks; each
    kind it names is decided by the default chains until HR puts a valid policy.
    """
    await get_department(db_session, principal, department_id)
    state = await approval_policy.load_policy_state(db_session, department_id)
    return _policy_out(department_id, state)


@put(
    "/departments/{department_id:int}/approval-policy",
    tags=["approvals"],
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem, UnprocessableProblem],
)
async def put_policy(
    department_id: FromPath[int],
    data: JSONBody[PolicyIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> PolicyOut:
    """Replace the chains (HR or admin); submitted requests keep the chain they were given.

    Every chain starts with the department manager and climbs ``dept_manager, hr, gm`` without
    skipping or repeating a level, and leave of three days or more climbs all three: a
    department may be stricter than DOMAIN.md, never laxer (422 naming the tier otherwise). The
    department manager gets 403: they are the first approver the policy governs.
    """
    await get_department(db_session, principal, department_id)
    state = await approval_policy.save_policy(
        db_session, principal, department_id, data.policy, expected_version=data.version
    )
    return _policy_out(department_id, state)


ROUTES = [
    list_approvals,
    get_approval,
    approve,
    reject,
    withdraw,
    create_delegation,
    list_delegations,
    revoke_delegation,
    get_policy,
    put_policy,
]
