"""Who cannot work when: the hard facts a roster must respect besides its rules.

Every source of unavailability is gathered here (employment dates; approved leave once the
leave module records it), so the solver, the repair and the checker of manual edits all see the
same facts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.people.models import Employee


@dataclass(frozen=True, slots=True)
class Unavailable:
    """A person cannot be rostered from ``start`` to ``end`` (inclusive), for ``reason``.

    ``absence`` is the leave type code shown in the roster cell ("annual", "sick", ...), or
    None when the person is simply not there (not hired yet).
    """

    employee_id: int
    start: dt.date
    end: dt.date
    reason: str
    absence: str | None = None


async def unavailability(
    session: AsyncSession, employees: list[Employee], start: dt.date, end: dt.date
) -> list[Unavailable]:
    """Every fact that keeps one of ``employees`` off the roster between two dates."""
    facts: list[Unavailable] = []
    for e in employees:
        if e.hire_date > start:
            facts.append(
                Unavailable(
                    e.id, start, min(end, e.hire_date - dt.timedelta(days=1)), "not yet hired"
                )
            )
    return facts
