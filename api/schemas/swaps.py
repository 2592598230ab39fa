"""Bodies of the swap routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.schemas.base import Comment, Id, Input, Output


class SwapIn(Input):
    """Swap my shift on ``date`` with a colleague's on ``colleague_date``, or give it away."""

    date: dt.date
    colleague_id: Id
    colleague_date: dt.date | None = None
    note: Comment | None = None


class SwapResponseIn(Input):
    """The colleague's answer, with an optional note."""

    note: Comment | None = None


class SwapOut(Output):
    """A swap, its state, the violations it would cause and the approval it waits on."""

    id: int
    department_id: int
    requester_id: int
    date: dt.date
    shift: str
    colleague_id: int
    colleague_date: dt.date | None
    colleague_shift: str | None
    kind: str
    note: str | None
    status: str
    response_note: str | None
    approval_id: int | None
    #: Who must act next while the swap is open: ``colleague``, then ``dept_manager``.
    waiting_for: str | None
    violations: list[dict[str, Any]]
    problems: list[str]
    roster_versions: list[dict[str, Any]]
    created_at: dt.datetime
