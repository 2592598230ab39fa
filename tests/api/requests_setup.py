"""Shared set-up of the leave, approval and swap tests: dates relative to today, a few users.

Leave dates are counted on the department calendar when no roster is published, so tests that
do not need a roster pick weekdays a week or more ahead (never today's weekend or a holiday).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.approvals.models import ApprovalEvent
from scheduler.approvals.service import local_today
from scheduler.auth.models import User
from scheduler.people.models import Employee
from scheduler.rosters.models import RosterVersion
from scheduler.rosters.store import cells_of, published_version
from scheduler.swaps.service import violations_after
from tests.api.conftest import World
from tests.api.roster_setup import configure, generate, prepare_team

Client = AsyncTestClient[Litestar]
SM = async_sessionmaker[AsyncSession]


def monday(weeks_ahead: int = 2) -> dt.date:
    """A Monday at least ``weeks_ahead`` weeks away (clear of any notice rule)."""
    today = local_today()
    return today + dt.timedelta(days=7 * weeks_ahead - today.weekday())


def next_working_weekday(after: dt.date) -> dt.date:
    """The first Monday-Friday after a date."""
    day = after + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


async def file_leave(client: Client, world: World, who: str, **body: Any) -> Any:
    """POST /leave-requests as ``who``; dates may be given as dates."""
    payload = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in body.items()}
    return await client.post("/leave-requests", json=payload, headers=world.headers(who))


async def decide(
    client: Client, world: World, who: str, approval_id: int, action: str = "approve", **body: Any
) -> Any:
    """POST /approvals/{id}/{action} as ``who``."""
    headers = world.headers(who)
    if key := body.pop("idempotency_key", None):
        headers["Idempotency-Key"] = key
    return await client.post(f"/approvals/{approval_id}/{action}", json=body, headers=headers)


async def make_employee_user(
    sm: SM, world: World, username: str, *, role: str = "dept_manager", team_id: int | None = None
) -> None:
    """Give an existing role an employee (a manager who also takes leave), or a new agent."""
    async with sm() as s:
        emp = Employee(
            staff_no=f"X-{username}",
            name=username.title(),
            department_id=world.cs_id,
            team_id=team_id,
            hire_date=dt.date(2020, 1, 1),
            flags=[],
        )
        s.add(emp)
        await s.flush()
        user = await s.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(
                username=username,
                password_hash="x",
                display_name=username,
                role=role,
                department_id=world.cs_id,
                active=True,
            )
            s.add(user)
        user.employee_id = emp.id
        await s.commit()
        world.users[username] = user
        world.employees[username] = emp


async def event_count(sm: SM, approval_id: int, action: str) -> int:
    """How many audit events of one action a request has."""
    async with sm() as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(ApprovalEvent)
                .where(ApprovalEvent.request_id == approval_id, ApprovalEvent.action == action)
            )
            or 0
        )


async def add_member_logins(sm: SM, world: World, employee_ids: list[int]) -> None:
    """An agent login ``u<id>`` for each employee, known to ``world.headers``."""
    async with sm() as s:
        for emp in employee_ids:
            user = User(
                username=f"u{emp}",
                password_hash="x",
                display_name=f"u{emp}",
                role="agent",
                department_id=world.cs_id,
                employee_id=emp,
                active=True,
            )
            s.add(user)
            world.users[f"u{emp}"] = user
        await s.commit()


async def publish_team_roster(client: Client, world: World, sm: SM) -> int:
    """Team A's generated December roster, published; a login for every member."""
    ids = await prepare_team(sm, world)
    await configure(client, world)
    job = await generate(client, world)
    assert job["status"] == "succeeded", job
    r = await client.post(
        f"/rosters/{job['roster_id']}/versions/{job['result_version']}/publish",
        json={},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    await add_member_logins(sm, world, ids[1:])
    world.users[f"u{world.employees['agent'].id}"] = world.users["agent"]
    return int(job["roster_id"])


async def grid(
    sm: SM, roster_id: int
) -> tuple[RosterVersion, dict[tuple[int, dt.date], str | None]]:
    """The roster of record and its cells."""
    async with sm() as s:
        version = await published_version(s, roster_id)
        assert version is not None
        return version, {
            (c.employee_id, c.date): c.shift_code for c in await cells_of(s, version.id)
        }


async def find_same_day_swap(
    sm: SM, roster_id: int, *, broken_rule: str | None
) -> tuple[int, int, dt.date]:
    """(a, b, date) where a works early and b late; clean, or breaking ``broken_rule``."""
    _, cells = await grid(sm, roster_id)
    days = sorted({d for _, d in cells})
    people = sorted({e for e, _ in cells})
    async with sm() as s:
        for d in days[2:-2]:
            for a in people:
                for b in people:
                    if cells[(a, d)] != "early" or cells[(b, d)] != "late":
                        continue
                    found = await violations_after(
                        s, roster_id, {(a, d): ("late", None), (b, d): ("early", None)}
                    )
                    rules = {v["rule"] for v in found}
                    if (broken_rule is None and not found) or (broken_rule in rules):
                        return a, b, d
    pytest.fail(f"the generated roster offers no swap of the wanted kind ({broken_rule})")


async def accepted_swap(
    client: Client, world: World, sm: SM, roster_id: int
) -> tuple[int, int, dt.date, dict[str, Any]]:
    """A clean same-day swap proposed and accepted, waiting for the manager: (a, b, day, swap)."""
    a, b, d = await find_same_day_swap(sm, roster_id, broken_rule=None)
    body = {"date": d.isoformat(), "colleague_id": b, "colleague_date": d.isoformat()}
    swap = await client.post("/swaps", json=body, headers=world.headers(f"u{a}"))
    assert swap.status_code == 201, swap.text
    acc = await client.post(
        f"/swaps/{swap.json()['id']}/accept", json={}, headers=world.headers(f"u{b}")
    )
    assert acc.status_code == 200, acc.text
    return a, b, d, acc.json()
