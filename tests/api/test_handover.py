"""Handover notes: the early shift writes for the late, the late for the next morning."""

from __future__ import annotations

import datetime as dt

from scheduler.handover.service import days_with_notes
from scheduler.shifts.models import ShiftType
from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot
from tests.api.requests_setup import SM, Client


async def _shifts(sm: SM, world: World) -> None:
    async with sm() as s:
        s.add_all(
            [
                ShiftType(
                    department_id=world.cs_id,
                    code="early",
                    name="早班",
                    start_minute=510,
                    end_minute=1050,
                ),
                ShiftType(
                    department_id=world.cs_id,
                    code="late",
                    name="晚班",
                    start_minute=900,
                    end_minute=1440,
                ),
            ]
        )
        await s.commit()


async def test_handover_notes_by_team_and_date(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await _shifts(sessionmaker, world)
    day = dt.date(2026, 12, 7)
    url = f"/teams/{world.team_a}/handover-notes"
    early = await client.post(
        url,
        json={
            "date": day.isoformat(),
            "from_shift": "early",
            "body": "Order 8812 refund promised by 18:00.",
            "open_items": [{"text": "call back Mrs Liu about the window seal"}],
        },
        headers=world.headers("agent"),
    )
    assert early.status_code == 201, early.text
    assert (early.json()["to_shift"], early.json()["to_date"]) == ("late", day.isoformat())
    late = await client.post(
        url,
        json={"date": day.isoformat(), "from_shift": "late", "body": "Queue empty at 24:00."},
        headers=world.headers("lead"),
    )
    assert (late.json()["to_shift"], late.json()["to_date"]) == ("early", "2026-12-08")
    listed = await client.get(
        url,
        params={"start": "2026-12-01", "end": "2026-12-31"},
        headers=world.headers("supervisor"),
    )
    assert [(n["from_shift"], n["date"]) for n in listed.json()] == [
        ("early", "2026-12-07"),
        ("late", "2026-12-07"),
    ]
    # Tick the item off with the version read; a stale version is a conflict.
    note = early.json()
    ok = await client.patch(
        f"/handover-notes/{note['id']}",
        json={
            "version": note["version"],
            "open_items": [{"text": "call back Mrs Liu about the window seal", "done": True}],
        },
        headers=world.headers("agent"),
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["open_items"][0]["done"] is True
    assert_problem(
        await client.patch(
            f"/handover-notes/{note['id']}",
            json={"version": note["version"], "body": "x"},
            headers=world.headers("agent"),
        ),
        409,
    )
    async with sessionmaker() as s:
        assert await days_with_notes(
            s, world.team_a, dt.date(2026, 12, 1), dt.date(2026, 12, 31)
        ) == {day}
        assert (
            await days_with_notes(s, world.team_b, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
            == set()
        )


async def test_bad_handover_input(client: Client, world: World, sessionmaker: SM) -> None:
    await _shifts(sessionmaker, world)
    url = f"/teams/{world.team_a}/handover-notes"
    first = await client.post(
        url,
        json={"date": "2026-12-07", "from_shift": "early", "body": "hi"},
        headers=world.headers("agent"),
    )
    assert first.status_code == 201
    before = await snapshot(sessionmaker)
    cases = [
        (
            {"date": "2026-12-07", "from_shift": "early", "body": "again"},
            "agent",
            409,
            "from_shift",
        ),
        ({"date": "2026-12-08", "from_shift": "night", "body": "x"}, "agent", 422, "from_shift"),
        ({"date": "2026-12-08", "from_shift": "early", "body": " "}, "agent", 422, "body"),
        (
            {"date": "2026-12-08", "from_shift": "early", "open_items": [{"text": ""}]},
            "agent",
            422,
            "open_items[0].text",
        ),
        (
            {"date": "2026-12-08", "from_shift": "early", "body": "x", "mood": "tired"},
            "agent",
            400,
            "mood",
        ),
        ({"date": "2026-12-08", "from_shift": "early", "body": "x"}, "agent2", 403, None),  # team B
        ({"date": "2026-12-08", "from_shift": "early", "body": "x"}, "hr", 403, None),
    ]
    for body, who, status, field in cases:
        assert_problem(
            await client.post(url, json=body, headers=world.headers(who)), status, field=field
        )
    assert_problem(
        await client.post(
            f"/teams/{world.team_s}/handover-notes",
            json={"date": "2026-12-08", "from_shift": "early", "body": "x"},
            headers=world.headers("agent"),
        ),
        404,
    )
    assert_problem(
        await client.get(
            url, params={"start": "2026-12-31", "end": "2026-12-01"}, headers=world.headers("agent")
        ),
        422,
        field="end",
    )
    assert_problem(
        await client.get(
            f"/handover-notes/{first.json()['id']}", headers=world.headers("sales_agent")
        ),
        404,
    )
    assert await snapshot(sessionmaker) == before
