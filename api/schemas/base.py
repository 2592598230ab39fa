"""Bases of every body: inputs refuse unknown fields (a typo must not be silently ignored)."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec

from scheduler.db.base import MAX_ID

T = TypeVar("T")

#: An id in a request body. Bounded like the database's ids, so a number beyond 64 bits is a
#: 400 naming the field, not a driver's error at the first query that uses it.
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
#: A version or revision a change was made against: stored as a 64-bit counter, so anything
#: beyond it is refused naming the field (not left to the driver's unnamed "out of range").
Counter = Annotated[int, msgspec.Meta(ge=0, le=MAX_ID)]
#: Free text a person writes (a reason, comment or note): bounded, so a client's runaway
#: paste is refused naming the field instead of stored and shown on every screen.
Comment = Annotated[str, msgspec.Meta(max_length=2000)]
#: A name people read (of a person, team or department): 1-200 characters on one line, not
#: starting or ending with blanks, so " " is not a team and "Li Wei " not a second Li Wei.
Name = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$", examples=["Li Wei"])
]


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A request body. Unknown fields are a 400 naming the field."""


class Output(msgspec.Struct, kw_only=True):
    """A response body."""


class PageOut(Output, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Problem(Output):
    """RFC 9457 problem details, as every error is answered (documented for clients)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None = None
    errors: list[dict[str, object]] | None = None
