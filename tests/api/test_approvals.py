"""The approval mechanism under pressure: concurrent deciders, idempotent replays."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from scheduler.approvals import service
from scheduler.approvals.models import ApprovalRequest
from scheduler.auth.service import principal_of
from scheduler.errors import ConflictError
from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot
from tests.api.requests_setup import SM, Client, decide, event_count, file_leave, monday


async def _delegate_to_supervisor(client: Client, world: World) -> None:
    today = service.local_today()
    r = await client.post(
        "/approval-delegations",
        json={
            "delegate_id": world.users["supervisor"].id,
            "start": today.isoformat(),
            "end": (today + dt.timedelta(days=3)).isoformat(),
        },
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text


async def test_two_approvers_at_once_make_one_transition(
    client: Client, world: World, sessionmaker: SM
) -> None:
    """Manager and their delegate approve the same step on two connections at the same moment."""
    await _delegate_to_supervisor(client, world)
    mon = monday()
    r = await file_leave(client, world, "agent", type="annual", start_date=mon, end_date=mon)
    aid = r.json()["approval_id"]

    async def attempt(who: str) -> str:
        async with sessionmaker() as s:
            try:
                await service.decide(s, principal_of(world.users[who]), aid, "approve", None)
            except ConflictError:
                return "conflict"
            return "approved"

    outcomes = await asyncio.gather(attempt("manager"), attempt("supervisor"))
    assert sorted(outcomes) == ["approved", "conflict"]
    assert await event_count(sessionmaker, aid, "approve") == 1
    async with sessionmaker() as s:
        row = await s.scalar(select(ApprovalRequest).where(ApprovalRequest.id == aid))
        assert row is not None
        assert (row.status, row.revision) == ("approved", 2)


async def test_two_approvers_at_once_through_the_api(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await _delegate_to_supervisor(client, world)
    mon = monday()
    r = await file_leave(client, world, "agent", type="annual", start_date=mon, end_date=mon)
    aid = r.json()["approval_id"]
    answers = await asyncio.gather(
        decide(client, world, "manager", aid), decide(client, world, "supervisor", aid)
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    for a in answers:
        if a.status_code == 409:
            assert_problem(a, 409)
    assert await event_count(sessionmaker, aid, "approve") == 1


async def test_a_decision_replays_under_its_idempotency_key(
    client: Client, world: World, sessionmaker: SM
) -> None:
    mon = monday()
    r = await file_leave(
        client, world, "agent", type="annual", start_date=mon, end_date=mon + dt.timedelta(days=3)
    )
    aid = r.json()["approval_id"]
    first = await decide(client, world, "manager", aid, comment="fine", idempotency_key="k-1")
    assert first.status_code == 200, first.text
    assert first.json()["current_step"] == 1
    again = await decide(client, world, "manager", aid, comment="fine", idempotency_key="k-1")
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await event_count(sessionmaker, aid, "approve") == 1
    before = await snapshot(sessionmaker)
    other = await decide(client, world, "manager", aid, comment="other", idempotency_key="k-1")
    assert_problem(other, 422, field="Idempotency-Key")
    # Without the key, a repeat is simply too late: HR's step is open now.
    assert_problem(await decide(client, world, "manager", aid, comment="fine"), 403)
    assert await snapshot(sessionmaker) == before
    # Keys belong to their user: HR may use the same key for its own decision.
    hr = await decide(client, world, "hr", aid, comment="fine", idempotency_key="k-1")
    assert hr.status_code == 200, hr.text
    assert hr.json()["current_step"] == 2


async def test_decisions_on_unknown_or_unseen_requests(client: Client, world: World) -> None:
    assert_problem(await decide(client, world, "manager", 999999), 404)
    r = await client.get("/approvals", params={"view": "sideways"}, headers=world.headers("hr"))
    assert_problem(r, 422, field="view")
    mon = monday()
    r = await file_leave(client, world, "agent", type="annual", start_date=mon, end_date=mon)
    aid = r.json()["approval_id"]
    assert_problem(await client.get(f"/approvals/{aid}", headers=world.headers("agent2")), 404)
    assert_problem(
        await client.get(f"/approvals/{aid}", headers=world.headers("sales_manager")), 404
    )
    assert (await client.get(f"/approvals/{aid}", headers=world.headers("gm"))).status_code == 200
