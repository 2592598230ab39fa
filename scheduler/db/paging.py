"""Offset pagination shared by every list route."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results plus the total, so a client can draw a pager."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int


async def paginate(session: AsyncSession, stmt: Select[Any], limit: int, offset: int) -> Page[Any]:
    """Run ``stmt`` for one page and count all its rows (same filters, no order)."""
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = (await session.scalars(stmt.limit(limit).offset(offset))).all()
    return Page(items=rows, total=int(total or 0), limit=limit, offset=offset)
