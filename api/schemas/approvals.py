"""Bodies of the approval routes: decisions, the request with its chain and trail, delegations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from api.schemas.base import Comment, Counter, Id, Input, Output


class ApproveIn(Input):
    """Approve the current step; the comment is optional (a swap with violations needs one)."""

    comment: Comment | None = msgspec.field(default=None)


class RejectIn(Input):
    """Reject: a reason is required and ends the request.

    ``reason`` is the documented field; ``comment`` is accepted as its synonym, as approve and
    withdraw call their text ``comment`` (one of the two, or both with the same text).
    """

    reason: Comment | None = None
    comment: Comment | None = None


class WithdrawIn(Input):
    """Withdraw a pending request (the requester)."""

    comment: Comment | None = None


class StepOut(Output):
    """One step of the chain."""

    position: int
    role: str
    department_id: int | None
    status: str
    decided_by: int | None
    on_behalf_of: int | None
    decided_at: dt.datetime | None
    comment: str | None


class EventOut(Output):
    """One audited transition."""

    action: str
    step: int | None
    actor_id: int | None
    on_behalf_of: int | None
    from_status: str | None
    to_status: str
    comment: str | None
    at: dt.datetime


class ApprovalOut(Output):
    """A request, its chain, its trail, and (on reads) the kind's own details."""

    id: int
    kind: str
    subject_id: int
    department_id: int
    requester_id: int | None
    employee_id: int | None
    summary: str
    days: float
    status: str
    current_step: int | None
    revision: int
    created_at: dt.datetime
    decided_at: dt.datetime | None
    steps: list[StepOut]
    events: list[EventOut]
    details: dict[str, Any] | None = None


class DelegationIn(Input):
    """Let another user decide my steps between two dates (inclusive)."""

    delegate_id: Id
    start: dt.date
    end: dt.date
    reason: Comment | None = None


class DelegationOut(Output):
    """A recorded delegation."""

    id: int
    delegator_id: int
    delegate_id: int
    role: str
    department_id: int | None
    start: dt.date
    end: dt.date
    reason: str | None
    revoked_at: dt.datetime | None


class PolicyIn(Input):
    """A department's chains per kind: {kind: [{min_days, chain: [role, ...]}]}."""

    policy: dict[str, Any]
    version: Counter | None = None


class PolicyOut(Output):
    """The policy in force (version 0: the default of DOMAIN.md).

    ``problems`` lists what a stored policy breaks of DOMAIN.md's rules (one saved before they
    were checked); each kind named there is served by the default until a valid policy is put.
    """

    department_id: int
    policy: dict[str, Any]
    version: int
    problems: list[dict[str, Any]] = msgspec.field(default_factory=list)
