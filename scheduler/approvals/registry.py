"""What happens when a request of some kind is decided: one handler per ``kind``.

The approval service knows nothing about leave or swaps; a module that wants approvals registers
an :class:`ApprovalHandler` for its kind at import time (``register("leave", LeaveHandler())``).
Modules listed in :data:`HANDLER_MODULES` are imported the first time a handler is looked up, so
a decision made through the generic ``/approvals`` routes finds its handler even when nothing else
imported the module yet. A new kind (attendance corrections) adds its module name here.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.approvals.models import ApprovalRequest
from scheduler.auth.principal import Principal


class ApprovalHandler(Protocol):
    """The callbacks of one kind of request. All run inside the deciding transaction."""

    async def before_approve(
        self, session: AsyncSession, request: ApprovalRequest, actor: Principal, comment: str | None
    ) -> None:
        """Refuse an approval step (raise a DomainError): e.g. a swap whose shift changed."""

    async def on_approved(
        self, session: AsyncSession, request: ApprovalRequest, actor: Principal, comment: str | None
    ) -> None:
        """The last step approved: apply the request (change the roster...)."""

    async def on_ended(
        self, session: AsyncSession, request: ApprovalRequest, actor: Principal, outcome: str
    ) -> None:
        """The request ended otherwise: ``rejected``, ``withdrawn`` or ``cancelled``."""

    async def describe(self, session: AsyncSession, request: ApprovalRequest) -> dict[str, Any]:
        """What an approver needs to see besides the chain (the leave dates, a swap's violations)."""


@runtime_checkable
class BatchDescriber(Protocol):
    """A handler that can also describe a page of requests at once (optional).

    Lists show each request's details; a kind whose details cost queries per request (a swap
    re-checked against its roster) loads what they share once. Keyed by approval request id.
    """

    async def describe_many(
        self, session: AsyncSession, requests: Sequence[ApprovalRequest]
    ) -> dict[int, dict[str, Any]]:
        """``describe`` of every request given, by ``ApprovalRequest.id``."""


#: Modules that register a handler when imported.
HANDLER_MODULES = [
    "scheduler.leave.approval",
    "scheduler.swaps.service",
    "scheduler.attendance.corrections",
]

_HANDLERS: dict[str, ApprovalHandler] = {}


def register(kind: str, handler: ApprovalHandler) -> None:
    """Make ``handler`` decide what approving a request of ``kind`` does."""
    _HANDLERS[kind] = handler


def handler_for(kind: str) -> ApprovalHandler | None:
    """The handler of a kind, importing the known handler modules on first need."""
    if kind not in _HANDLERS:
        for name in HANDLER_MODULES:
            importlib.import_module(name)
    return _HANDLERS.get(kind)


def known_kinds() -> frozenset[str]:
    """Every kind a handler module registers (a policy may name only these, or ``"*"``)."""
    for name in HANDLER_MODULES:
        importlib.import_module(name)
    return frozenset(_HANDLERS)
