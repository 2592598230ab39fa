"""Shift swaps on a real published roster: propose, accept, approve, and the roster follows."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.rosters.models import RosterCell, RosterVersion
from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot
from tests.api.requests_setup import (
    SM,
    Client,
    decide,
    find_same_day_swap,
    grid,
    publish_team_roster,
)


@pytest.fixture
async def roster_id(client: Client, world: World, sessionmaker: SM) -> int:
    return await publish_team_roster(client, world, sessionmaker)


async def _propose(client: Client, world: World, a: int, b: int, d: dt.date, **extra: Any) -> Any:
    body = {"date": d.isoformat(), "colleague_id": b, "colleague_date": d.isoformat(), **extra}
    return await client.post("/swaps", json=body, headers=world.headers(f"u{a}"))


async def test_swap_proposed_accepted_approved_changes_the_roster(
    client: Client, world: World, sessionmaker: SM, roster_id: int
) -> None:
    a, b, d = await find_same_day_swap(sessionmaker, roster_id, broken_rule=None)
    before_version, _ = await grid(sessionmaker, roster_id)
    r = await _propose(client, world, a, b, d, note="dentist in the morning")
    assert r.status_code == 201, r.text
    swap = r.json()
    assert (swap["status"], swap["shift"], swap["colleague_shift"]) == ("proposed", "early", "late")
    assert swap["violations"] == []
    assert swap["waiting_for"] == "colleague"
    # The same shift cannot be in a second open swap.
    assert_problem(await _propose(client, world, a, b, d), 409)
    # Only the colleague answers; the manager cannot approve before they accept.
    assert_problem(
        await client.post(f"/swaps/{swap['id']}/accept", json={}, headers=world.headers(f"u{a}")),
        403,
    )
    acc = await client.post(f"/swaps/{swap['id']}/accept", json={}, headers=world.headers(f"u{b}"))
    assert acc.status_code == 200, acc.text
    aid = acc.json()["approval_id"]
    assert acc.json()["status"] == "accepted"
    assert acc.json()["waiting_for"] == "dept_manager"
    # Neither party approves; the manager does.
    assert_problem(await decide(client, world, f"u{a}", aid), 403)
    assert_problem(await decide(client, world, f"u{b}", aid), 403)
    approval = (await client.get(f"/approvals/{aid}", headers=world.headers("manager"))).json()
    assert approval["details"]["violations"] == []
    assert [s["role"] for s in approval["steps"]] == ["dept_manager"]
    ok = await decide(client, world, "manager", aid)
    assert ok.status_code == 200, ok.text
    after_version, cells = await grid(sessionmaker, roster_id)
    assert after_version.number == before_version.number + 1
    assert after_version.origin == "swap"
    assert (cells[(a, d)], cells[(b, d)]) == ("late", "early")
    got = (await client.get(f"/swaps/{swap['id']}", headers=world.headers(f"u{a}"))).json()
    assert (got["status"], got["waiting_for"]) == ("approved", None)
    assert got["roster_versions"] == [{"roster_id": roster_id, "number": after_version.number}]
    # The old version is superseded, not changed.
    async with sessionmaker() as s:
        old = await s.get(RosterVersion, before_version.id)
        assert old is not None
        assert old.status == "superseded"
        cell = await s.scalar(
            select(RosterCell).where(
                RosterCell.version_id == before_version.id,
                RosterCell.employee_id == a,
                RosterCell.date == d,
            )
        )
        assert cell is not None
        assert cell.shift_code == "early"


async def test_swap_breaking_rest_rules_shows_its_violations(
    client: Client, world: World, sessionmaker: SM, roster_id: int
) -> None:
    a, b, d = await find_same_day_swap(sessionmaker, roster_id, broken_rule="min_rest")
    r = await _propose(client, world, a, b, d)
    assert r.status_code == 201, r.text
    assert "min_rest" in {v["rule"] for v in r.json()["violations"]}
    acc = await client.post(
        f"/swaps/{r.json()['id']}/accept", json={}, headers=world.headers(f"u{b}")
    )
    aid = acc.json()["approval_id"]
    approval = (await client.get(f"/approvals/{aid}", headers=world.headers("manager"))).json()
    assert "min_rest" in {v["rule"] for v in approval["details"]["violations"]}
    before = await snapshot(sessionmaker)
    refused = assert_problem(await decide(client, world, "manager", aid), 422, field="comment")
    assert "hard rule" in refused["detail"]
    assert await snapshot(sessionmaker) == before
    # The manager may still reject it (or approve with a reason); here: reject.
    rej = await decide(client, world, "manager", aid, "reject", reason="too little rest for them")
    assert rej.json()["status"] == "rejected"
    got = (await client.get(f"/swaps/{r.json()['id']}", headers=world.headers(f"u{a}"))).json()
    assert got["status"] == "rejected"
    # The shifts are free again for another swap.
    assert (await _propose(client, world, a, b, d)).status_code == 201


async def test_swap_whose_shift_changed_cannot_be_approved(
    client: Client, world: World, sessionmaker: SM, roster_id: int
) -> None:
    a, b, d = await find_same_day_swap(sessionmaker, roster_id, broken_rule=None)
    r = await _propose(client, world, a, b, d)
    acc = await client.post(
        f"/swaps/{r.json()['id']}/accept", json={}, headers=world.headers(f"u{b}")
    )
    aid = acc.json()["approval_id"]
    # Meanwhile a's day becomes approved sick leave recorded by the manager.
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
    _, cells = await grid(sessionmaker, roster_id)
    assert cells[(a, d)] is None
    body = assert_problem(await decide(client, world, "manager", aid), 409)
    assert "changed" in body["detail"]


async def test_give_away_and_bad_swaps(
    client: Client, world: World, sessionmaker: SM, roster_id: int
) -> None:
    _, cells = await grid(sessionmaker, roster_id)
    days = sorted({d for _, d in cells})
    people = sorted({e for e, _ in cells})
    before = await snapshot(sessionmaker)
    a = people[0]
    d = next(x for x in days[3:] if cells[(a, x)] is not None)
    rest = next(x for x in days[3:] if cells[(a, x)] is None)
    other = next(p for p in people if p != a)
    bad = [
        ({"date": rest.isoformat(), "colleague_id": other}, 422, "date"),
        ({"date": "2027-03-01", "colleague_id": other}, 422, "date"),
        ({"date": d.isoformat(), "colleague_id": a}, 422, "colleague_id"),
        (
            {"date": d.isoformat(), "colleague_id": world.employees["sales_agent"].id},
            422,
            "colleague_id",
        ),
        ({"date": d.isoformat(), "colleague_id": other, "shift": "late"}, 400, "shift"),
    ]
    for body, status, field in bad:
        r = await client.post("/swaps", json=body, headers=world.headers(f"u{a}"))
        assert_problem(r, status, field=field)
    assert_problem(
        await client.post(
            "/swaps",
            json={"date": d.isoformat(), "colleague_id": other},
            headers=world.headers("manager"),
        ),
        403,
    )
    assert await snapshot(sessionmaker) == before
    # Give the shift to someone resting that day.
    free = next((p for p in people if p != a and cells[(p, d)] is None), None)
    if free is None:
        pytest.fail("the generated roster has nobody resting that day to give the shift to")
    g = await client.post(
        "/swaps", json={"date": d.isoformat(), "colleague_id": free}, headers=world.headers(f"u{a}")
    )
    assert g.status_code == 201, g.text
    assert g.json()["kind"] == "give_away"
    dec = await client.post(
        f"/swaps/{g.json()['id']}/decline", json={"note": "busy"}, headers=world.headers(f"u{free}")
    )
    assert dec.json()["status"] == "declined"
    w = await client.post(
        "/swaps", json={"date": d.isoformat(), "colleague_id": free}, headers=world.headers(f"u{a}")
    )
    wd = await client.post(f"/swaps/{w.json()['id']}/withdraw", headers=world.headers(f"u{a}"))
    assert wd.json()["status"] == "withdrawn"


async def test_a_retried_swap_proposal_is_made_once(
    client: Client, world: World, sessionmaker: SM, roster_id: int
) -> None:
    a, b, d = await find_same_day_swap(sessionmaker, roster_id, broken_rule=None)
    body = {"date": d.isoformat(), "colleague_id": b, "colleague_date": d.isoformat()}
    headers = {**world.headers(f"u{a}"), "Idempotency-Key": "swap-tap-1"}
    answers = await asyncio.gather(
        *(client.post("/swaps", json=body, headers=headers) for _ in range(3))
    )
    assert sorted(r.status_code for r in answers) == [200, 200, 201], [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    mine = await client.get("/swaps", headers=world.headers(f"u{a}"))
    assert len(mine.json()) == 1
    assert_problem(
        await client.post("/swaps", json={**body, "note": "other"}, headers=headers),
        422,
        field="Idempotency-Key",
    )
