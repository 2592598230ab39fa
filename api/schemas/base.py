"""Bases of every body: inputs refuse unknown fields (a typo must not be silently ignored)."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")


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
