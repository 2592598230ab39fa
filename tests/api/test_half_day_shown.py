"""Half-day leave shows where staff look: their shift list and their calendar.

An agent with approved PM leave on an early shift still saw 08:30-17:30 in /me/shifts and in the
calendar feed; with both halves off, a shift they were not to work at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar

from scheduler.shifts.clock import local_today
from tests.api.conftest import World
from tests.api.requests_setup import SM, Client, decide, file_leave, grid, publish_team_roster


async def _my(client: Client, world: World, day: dt.date) -> dict[str, Any]:
    r = await client.get(
        "/me/shifts",
        params={"from": day.isoformat(), "to": day.isoformat()},
        headers=world.headers("agent"),
    )
    assert r.status_code == 200, r.text
    [shift] = r.json()
    assert isinstance(shift, dict)
    return shift


async def _handover_early(client: Client, world: World, roster_id: int, day: dt.date) -> int:
    r = await client.get(f"/rosters/{roster_id}/versions/1", headers=world.headers("manager"))
    assert r.status_code == 200, r.text
    [window] = [
        w
        for w in r.json()["interval_coverage"]
        if w["date"] == day.isoformat() and w["label"].startswith("handover")
    ]
    early: int = window["by_shift"]["early"]
    return early


async def _half(client: Client, world: World, day: dt.date, half: str) -> None:
    r = await file_leave(
        client, world, "agent", type="annual", start_date=day, end_date=day, half=half
    )
    assert r.status_code == 201, r.text
    assert (await decide(client, world, "manager", r.json()["approval_id"])).status_code == 200


async def test_half_day_leave_shows_the_half_worked_and_both_halves_show_leave(
    client: Client, world: World, sessionmaker: SM
) -> None:
    roster_id = await publish_team_roster(client, world, sessionmaker)
    agent = world.employees["agent"].id
    _, cells = await grid(sessionmaker, roster_id)
    soon = local_today("Asia/Shanghai") + dt.timedelta(days=2)
    day = min(d for (e, d), code in cells.items() if e == agent and code == "early" and d >= soon)

    handover_before = await _handover_early(client, world, roster_id, day)
    await _half(client, world, day, "pm")
    # The PM half leaves at 13:00: the handover (15:00-17:30) has one early agent fewer.
    assert await _handover_early(client, world, roster_id, day) == handover_before - 1
    mine = await _my(client, world, day)
    assert mine["half_leave"] == "pm"
    assert (mine["start"][11:16], mine["end"][11:16]) == ("08:30", "13:00")

    link = await client.post(f"/employees/{agent}/calendar-token", headers=world.headers("agent"))
    path = link.json()["url"].split("8000", 1)[1]
    feed = icalendar.Calendar.from_ical((await client.get(path)).content)
    [event] = [e for e in feed.walk("VEVENT") if e.decoded("dtstart").isoformat()[:10] == str(day)]
    assert "PM annual leave" in str(event["SUMMARY"])
    assert event.decoded("dtend").strftime("%H:%M") == "13:00"

    await _half(client, world, day, "am")
    both = await _my(client, world, day)
    assert (both["half_leave"], both["start"], both["absence"]) == ("am+pm", None, "annual")
