"""Defects found by the approvals audit, each pinned by a test that failed before its fix.

* A team lead acting by delegation decides (and is shown) only requests of their own team
  (DOMAIN.md: "approves within the team when delegated"); a supervisor keeps the department.
* ``GET /approvals?view=waiting`` carries the same details as the single view: a swap's hard
  violations reach the manager working from the queue.
* A swap the roster no longer allows is marked ``stale`` (with the reason) in the waiting list;
  approving it stays a 409 saying why, and one rejection closes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from scheduler.approvals.service import local_today
from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.api.requests_setup import (
    SM,
    Client,
    decide,
    file_leave,
    find_same_day_swap,
    make_employee_user,
    monday,
    publish_team_roster,
)


async def _delegate(client: Client, world: World, to: str) -> None:
    """The manager hands their steps to ``to`` from today for a month."""
    today = local_today()
    r = await client.post(
        "/approval-delegations",
        json={
            "delegate_id": world.users[to].id,
            "start": today.isoformat(),
            "end": (today + dt.timedelta(days=30)).isoformat(),
            "reason": "on holiday",
        },
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text


async def _leave(client: Client, world: World, who: str) -> int:
    """A one-day annual leave of ``who`` (the manager's step alone); its approval id."""
    mon = monday()
    r = await file_leave(client, world, who, type="annual", start_date=mon, end_date=mon)
    assert r.status_code == 201, r.text
    return int(r.json()["approval_id"])


async def _waiting(client: Client, world: World, who: str) -> dict[int, dict[str, Any]]:
    """``who``'s waiting list, by approval id."""
    r = await client.get("/approvals?view=waiting", headers=world.headers(who))
    assert r.status_code == 200, r.text
    return {int(a["id"]): a for a in r.json()["items"]}


# ---------------------------------------------------------------- 1. team lead by delegation


async def test_a_delegated_team_lead_decides_only_their_own_team(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await make_employee_user(sessionmaker, world, "lead", role="team_lead", team_id=world.team_a)
    await _delegate(client, world, "lead")
    team_a = await _leave(client, world, "agent")  # Li Wei, team A
    team_b = await _leave(client, world, "agent2")  # Wang Fang, team B
    # The other team's request is not waiting for the lead...
    assert set(await _waiting(client, world, "lead")) == {team_a}
    # ...and deciding it is refused, saying why; the request stays as it was.
    for action, body in (("approve", {}), ("reject", {"reason": "no"})):
        refused = assert_problem(await decide(client, world, "lead", team_b, action, **body), 403)
        assert "own team" in refused["detail"]
        assert refused["reason"] == "outside_delegate_team"
    got = await client.get(f"/approvals/{team_b}", headers=world.headers("manager"))
    assert (got.json()["status"], got.json()["steps"][0]["status"]) == ("pending", "pending")
    # Their own team's request they decide, for the manager.
    ok = await decide(client, world, "lead", team_a)
    assert ok.status_code == 200, ok.text
    step = ok.json()["steps"][0]
    assert (ok.json()["status"], step["decided_by"], step["on_behalf_of"]) == (
        "approved",
        world.users["lead"].id,
        world.users["manager"].id,
    )
    # A supervisor "may act for the manager": department-wide, every team.
    await _delegate(client, world, "supervisor")
    assert set(await _waiting(client, world, "supervisor")) == {team_b}
    ok = await decide(client, world, "supervisor", team_b)
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "approved"


async def test_a_delegated_team_lead_without_a_team_decides_nothing(
    client: Client, world: World, sessionmaker: SM
) -> None:
    # The seeded lead has no employee record, so no team.
    await _delegate(client, world, "lead")
    aid = await _leave(client, world, "agent")
    assert await _waiting(client, world, "lead") == {}
    refused = assert_problem(await decide(client, world, "lead", aid), 403)
    assert "no employee record in a team" in refused["detail"]
    assert refused["reason"] == "team_lead_without_team"
    # The manager still decides it.
    assert (await decide(client, world, "manager", aid)).status_code == 200


# ---------------------------------------------------------------- 2 and 3. swaps in the queue


@pytest.fixture
async def roster_id(client: Client, world: World, sessionmaker: SM) -> int:
    return await publish_team_roster(client, world, sessionmaker)


async def _accepted_swap(client: Client, world: World, a: int, b: int, d: dt.date) -> int:
    """a proposes trading their shift on ``d`` with b's, b accepts; the approval id."""
    body = {"date": d.isoformat(), "colleague_id": b, "colleague_date": d.isoformat()}
    r = await client.post("/swaps", json=body, headers=world.headers(f"u{a}"))
    assert r.status_code == 201, r.text
    acc = await client.post(
        f"/swaps/{r.json()['id']}/accept", json={}, headers=world.headers(f"u{b}")
    )
    assert acc.status_code == 200, acc.text
    return int(acc.json()["approval_id"])


async def test_the_waiting_list_shows_a_swaps_violations_like_the_single_view(
    client: Client, world: World, sessionmaker: SM, roster_id: int
) -> None:
    a, b, d = await find_same_day_swap(sessionmaker, roster_id, broken_rule="min_rest")
    swap = await _accepted_swap(client, world, a, b, d)
    leave = await _leave(client, world, "agent2")
    single = (await client.get(f"/approvals/{swap}", headers=world.headers("manager"))).json()
    assert "min_rest" in {v["rule"] for v in single["details"]["violations"]}
    waiting = await _waiting(client, world, "manager")
    assert set(waiting) == {swap, leave}
    listed = waiting[swap]["details"]
    assert listed is not None, "the queue hides the swap's violations"
    assert listed["violations"] == single["details"]["violations"]
    assert (listed["stale"], listed["problems"]) == (False, [])
    # Leave carries its details in the list too.
    leave_single = (
        await client.get(f"/approvals/{leave}", headers=world.headers("manager"))
    ).json()
    assert waiting[leave]["details"] == leave_single["details"]
    assert waiting[leave]["details"]["start_date"] == monday().isoformat()


async def test_a_swap_the_roster_no_longer_allows_is_marked_stale_and_rejected_in_one_step(
    client: Client, world: World, sessionmaker: SM, roster_id: int
) -> None:
    a, b, d = await find_same_day_swap(sessionmaker, roster_id, broken_rule=None)
    aid = await _accepted_swap(client, world, a, b, d)
    assert (await _waiting(client, world, "manager"))[aid]["details"]["stale"] is False
    # The requester's sick leave on the swap's date is approved meanwhile (the manager files it).
    leave = await client.post(
        "/leave-requests",
        json={
            "employee_id": a,
            "type": "sick",
            "start_date": d.isoformat(),
            "end_date": d.isoformat(),
        },
        headers=world.headers("manager"),
    )
    assert leave.status_code == 201, leave.text
    assert leave.json()["status"] == "approved"
    # The queue says the swap no longer fits, and why.
    details = (await _waiting(client, world, "manager"))[aid]["details"]
    assert details is not None
    assert details["stale"] is True
    assert "no longer fits the roster" in details["stale_reason"]
    assert f"(employee {a}) on {d}" in details["stale_reason"]
    assert "sick" not in details["stale_reason"]  # the parties are agents: no leave type
    assert details["problems"]
    # Approving it stays a 409 with the reason and what to do.
    refused = assert_problem(await decide(client, world, "manager", aid), 409)
    assert "changed" in refused["detail"]
    assert "reject it" in refused["detail"]
    assert refused["stale"] is True
    # One rejection closes it; the swap is rejected and the queue is empty of it.
    rej = await decide(
        client, world, "manager", aid, "reject", reason=details["stale_reason"][:200]
    )
    assert rej.status_code == 200, rej.text
    assert rej.json()["status"] == "rejected"
    swap_id = rej.json()["subject_id"]
    got = await client.get(f"/swaps/{swap_id}", headers=world.headers(f"u{a}"))
    assert got.json()["status"] == "rejected"
    assert aid not in await _waiting(client, world, "manager")
