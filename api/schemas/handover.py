"""Bodies of the handover routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.schemas.base import Counter, Input, Output


class OpenItem(Input):
    """Something the next shift must follow up."""

    text: str
    done: bool = False


class HandoverIn(Input):
    """A handover from ``from_shift`` on ``date``; ``to_shift`` defaults to the next shift."""

    date: dt.date
    from_shift: str
    to_shift: str | None = None
    body: str = ""
    open_items: list[OpenItem] = []  # noqa: RUF012 - msgspec copies mutable defaults


class HandoverPatch(Input):
    """An edit, with the version it was made against."""

    version: Counter
    body: str | None = None
    open_items: list[OpenItem] | None = None


class HandoverOut(Output):
    """A handover note."""

    id: int
    team_id: int
    date: dt.date
    from_shift: str
    to_shift: str
    to_date: dt.date
    body: str
    open_items: list[dict[str, Any]]
    author_id: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
