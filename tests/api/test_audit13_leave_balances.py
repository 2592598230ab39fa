"""Audit 13 (HR and a manager): balances over New Year, past 事假 recorded, handover on the page."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.approvals.service import local_today
from scheduler.handover.models import HandoverNote
from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.api.requests_setup import Client, file_leave
from tests.api.roster_views_data import store_roster


async def _set_annual(client: Client, world: World, year: int, days: float) -> None:
    agent = world.employees["agent"].id
    r = await client.put(
        f"/employees/{agent}/leave-balances/{year}/annual",
        json={"days": days},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text


async def _annual(client: Client, world: World, year: int) -> dict[str, float]:
    agent = world.employees["agent"].id
    r = await client.get(
        f"/employees/{agent}/leave-balances", params={"year": year}, headers=world.headers("hr")
    )
    assert r.status_code == 200, r.text
    row = next(b for b in r.json() if b["kind"] == "annual")
    return {"used": row["used"], "left": row["left"]}


async def test_leave_over_new_year_draws_each_day_from_its_own_year(
    client: Client, world: World
) -> None:
    """Dec 31 is the first year's day, Jan 4 the next year's: each year's balance pays its part.

    The old code charged the whole request to the year it starts in: one day left in the first
    year refused a request that took one day of it, and a short second year was never checked.
    """
    today = local_today()
    year = today.year if dt.date(today.year, 12, 24) >= today else today.year + 1
    start = dt.date(year, 12, 31)
    while start.weekday() >= 5:  # the last Monday-Friday of December
        start -= dt.timedelta(days=1)
    end = dt.date(year + 1, 1, 8)
    await _set_annual(client, world, year, 1)

    await _set_annual(client, world, year + 1, 1)
    body = assert_problem(
        await file_leave(
            client, world, "agent", type="annual", start_date=start, end_date=end, reason="ny"
        ),
        422,
        field="type",
    )
    assert f"for {year + 1}: 1 day(s) left" in body["detail"], body

    await _set_annual(client, world, year + 1, 5)
    r = await file_leave(
        client, world, "agent", type="annual", start_date=start, end_date=end, reason="ny"
    )
    assert r.status_code == 201, r.text
    counted = [dt.date.fromisoformat(p["date"]) for p in r.json()["schedule"] if p["counted"]]
    first = sum(1 for d in counted if d.year == year)
    second = sum(1 for d in counted if d.year == year + 1)
    assert (first, second) == (1, len(counted) - 1), counted
    assert second > 1, counted
    assert await _annual(client, world, year) == {"used": 1, "left": 0}
    assert await _annual(client, world, year + 1) == {"used": second, "left": 5 - second}


async def test_manager_records_past_personal_leave_without_notice(
    client: Client, world: World
) -> None:
    """事假 needs a day's notice when asked for; not when the manager records last week's."""
    today = local_today()
    start, end = today - dt.timedelta(days=8), today - dt.timedelta(days=2)
    agent = world.employees["agent"].id
    assert_problem(
        await file_leave(client, world, "agent", type="personal", start_date=start, end_date=end),
        422,
        field="start_date",
    )
    r = await file_leave(
        client,
        world,
        "manager",
        employee_id=agent,
        type="personal",
        start_date=start,
        end_date=end,
        reason="recorded after the fact",
    )
    assert r.status_code == 201, r.text
    assert r.json()["on_behalf"] is True
    # Asked for today by the person, the day's notice still holds.
    assert_problem(
        await file_leave(client, world, "agent", type="personal", start_date=today, end_date=today),
        422,
        field="start_date",
    )


async def test_roster_page_marks_days_with_a_handover_note(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The issue: "the roster page shows which days have one" (it showed none)."""
    roster = await store_roster(sessionmaker, world)
    async with sessionmaker() as s:
        s.add(
            HandoverNote(
                department_id=world.cs_id,
                team_id=world.team_a,
                date=dt.date(2026, 10, 12),
                from_shift="early",
                to_shift="late",
                to_date=dt.date(2026, 10, 12),
                body="case 881 waits for a call back",
                open_items=[],
            )
        )
        await s.commit()
    page = await client.get(f"/rosters/{roster.roster_id}/page", headers=world.headers("agent"))
    assert page.status_code == 200, page.text
    marked = re.findall(r">(\d+)<span class=\"handover-note\"", page.text)
    assert marked == ["12"], marked


async def test_changing_one_rule_keeps_the_others(client: Client, world: World) -> None:
    """A type switched off stays off when its max_days changes later (rules are merged)."""
    url = f"/departments/{world.cs_id}/leave-types/personal"
    manager = world.headers("manager")
    r = await client.put(url, json={"rules": {"active": False}}, headers=manager)
    assert r.status_code == 200, r.text
    r = await client.put(url, json={"rules": {"max_days": 2}}, headers=manager)
    assert r.status_code == 200, r.text
    assert (r.json()["active"], r.json()["max_days"]) == (False, 2)
    listed = await client.get(f"/departments/{world.cs_id}/leave-types", headers=manager)
    personal = next(t for t in listed.json() if t["code"] == "personal")
    assert (personal["active"], personal["max_days"]) == (False, 2)
    start = local_today() + dt.timedelta(days=14)
    assert_problem(
        await file_leave(client, world, "agent", type="personal", start_date=start, end_date=start),
        422,
        field="type",
    )


async def test_balance_note_is_shown(client: Client, world: World) -> None:
    """The manager's note on a 调休 grant (which rest day was worked) can be read back."""
    agent = world.employees["agent"].id
    year = local_today().year
    r = await client.put(
        f"/employees/{agent}/leave-balances/{year}/toil",
        json={"days": 1, "note": "came in on rest day 12-06; granted by the manager"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    got = await client.get(
        f"/employees/{agent}/leave-balances", params={"year": year}, headers=world.headers("hr")
    )
    toil = next(b for b in got.json() if b["kind"] == "toil")
    assert toil["note"] == "came in on rest day 12-06; granted by the manager"
    assert toil["left"] == 1


async def test_toil_grants_add_up_even_when_made_at_once(client: Client, world: World) -> None:
    """Each rest day worked that a manager grants adds to the year's 调休; PUT sets a total, so
    two managers granting at once with it lose one. Grants made at once both count, and each
    grant's note is kept."""
    agent = world.employees["agent"].id
    year = local_today().year
    url = f"/employees/{agent}/leave-balances/{year}/toil/grants"
    grants = await asyncio.gather(
        client.post(
            url, json={"days": 1, "note": "rest day 12-06"}, headers=world.headers("manager")
        ),
        client.post(url, json={"days": 0.5, "note": "rest day 12-13"}, headers=world.headers("hr")),
    )
    assert [g.status_code for g in grants] == [200, 200], [g.text for g in grants]
    r = await client.post(url, json={"days": 1}, headers=world.headers("manager"))
    toil = next(b for b in r.json() if b["kind"] == "toil")
    assert toil["left"] == 2.5
    assert set(toil["note"].split("; ")) == {"rest day 12-06", "rest day 12-13"}
    assert_problem(
        await client.post(url, json={"days": 0}, headers=world.headers("manager")),
        422,
        field="days",
    )
    assert_problem(await client.post(url, json={"days": 1}, headers=world.headers("agent")), 403)
    annual = url.replace("/toil/", "/annual/")
    assert_problem(
        await client.post(annual, json={"days": 1}, headers=world.headers("manager")),
        422,
        field="kind",
    )
