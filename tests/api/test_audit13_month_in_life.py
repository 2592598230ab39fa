"""A department's month end to end: the same fact must read the same in every view.

Audit 13 (a month in the life): approved half-day leave showed in the person's shift list and
calendar, and the roster's handover coverage counted it, but the roster grid (JSON, printable
page, CSV and XLSX) still showed a plain early shift, and the approval answered "no shortfall"
while the window it emptied fell below its minimum. An approved swap answered without naming
the published version it made, where approved leave names its versions. A new hire stayed a
"trainee" for the whole month their 12 onboarding days touched, so leave on 9 December reported
a hard "trainee Zhao Lei without an experienced colleague" shortfall for someone live since the 7th.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl

from scheduler.people.models import Employee
from scheduler.people.onboarding import roster_flags, trainee_until
from scheduler.shifts.clock import local_today
from solver import Staff, check
from solver.io import problem_from_dict, problem_to_dict
from solver.testing import day as nth_day
from solver.testing import problem
from tests.api.conftest import World
from tests.api.requests_setup import (
    SM,
    Client,
    accepted_swap,
    decide,
    file_leave,
    grid,
    publish_team_roster,
)


async def _version(client: Client, world: World, roster_id: int, number: int) -> dict[str, Any]:
    r = await client.get(
        f"/rosters/{roster_id}/versions/{number}", headers=world.headers("manager")
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _handover(view: dict[str, Any], day: dt.date) -> dict[str, Any]:
    [window] = [
        w
        for w in view["interval_coverage"]
        if w["date"] == day.isoformat() and w["label"].startswith("handover")
    ]
    assert isinstance(window, dict)
    return window


async def test_half_day_leave_shows_on_the_grid_and_its_emptied_window_is_a_shortfall(
    client: Client, world: World, sessionmaker: SM
) -> None:
    roster_id = await publish_team_roster(client, world, sessionmaker)
    version, cells = await grid(sessionmaker, roster_id)
    view = await _version(client, world, roster_id, version.number)
    soon = local_today("Asia/Shanghai") + dt.timedelta(days=2)
    # An early agent on a day whose handover has exactly its minimum: a PM half (home at 13:00)
    # takes the window below it.
    person, day = next(
        (e, d)
        for (e, d), code in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        if code == "early"
        and d >= soon
        and f"u{e}" in world.users
        and _handover(view, d)["assigned"] == _handover(view, d)["minimum"]
    )
    r = await file_leave(
        client, world, f"u{person}", type="annual", start_date=day, end_date=day, half="pm"
    )
    assert r.status_code == 201, r.text
    ok = await decide(client, world, "manager", r.json()["approval_id"])
    assert ok.status_code == 200, ok.text
    shortfall = ok.json()["details"]["shortfall"]
    assert [(s["rule"], s["date"], s["roster_id"]) for s in shortfall] == [
        ("demand_minimum", day.isoformat(), roster_id)
    ], shortfall
    assert "handover" in shortfall[0]["message"]
    assert "pm leave" in shortfall[0]["message"]
    assert _handover(await _version(client, world, roster_id, version.number), day)["status"] == (
        "short"
    )

    # The grid says which half, in every form the manager and payroll read.
    after = await _version(client, world, roster_id, version.number)
    [cell] = [
        c
        for p in after["people"]
        if p["employee_id"] == person
        for c in p["cells"]
        if c["date"] == day.isoformat()
    ]
    assert (cell["shift_code"], cell["half_leave"], cell["leave"]) == ("early", "pm", None)
    others = [c for p in after["people"] for c in p["cells"] if c is not cell]
    assert all(c["half_leave"] is None for c in others)

    staff_no = next(p["staff_no"] for p in after["people"] if p["employee_id"] == person)
    r = await client.get(
        f"/rosters/{roster_id}/versions/{version.number}/export",
        params={"format": "csv"},
        headers=world.headers("manager"),
    )
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    [row] = [x for x in rows if x["staff_no"] == staff_no]
    assert row[day.isoformat()] == "early (pm leave)"

    r = await client.get(
        f"/rosters/{roster_id}/versions/{version.number}/export",
        params={"format": "xlsx"},
        headers=world.headers("manager"),
    )
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    values = [[c for c in line] for line in sheet.iter_rows(values_only=True)]
    [xrow] = [line for line in values if line and line[0] == staff_no]
    assert "early (pm leave)" in xrow

    page = await client.get(f"/rosters/{roster_id}/page", headers=world.headers("manager"))
    assert page.status_code == 200
    assert page.text.count("(pm leave)") >= 1


async def test_an_approved_swap_answers_with_the_version_it_published(
    client: Client, world: World, sessionmaker: SM
) -> None:
    roster_id = await publish_team_roster(client, world, sessionmaker)
    before, _ = await grid(sessionmaker, roster_id)
    _a, _b, _d, accepted = await accepted_swap(client, world, sessionmaker, roster_id)
    ok = await decide(client, world, "manager", accepted["approval_id"])
    assert ok.status_code == 200, ok.text
    after, _ = await grid(sessionmaker, roster_id)
    assert after.number == before.number + 1
    expected = [{"roster_id": roster_id, "number": after.number}]
    assert ok.json()["details"]["roster_versions"] == expected
    swap = await client.get(f"/swaps/{accepted['id']}", headers=world.headers("manager"))
    assert swap.json()["roster_versions"] == expected


def test_onboarding_that_ends_mid_month_makes_a_trainee_only_until_then() -> None:
    dec, dec_end = dt.date(2026, 12, 1), dt.date(2026, 12, 31)

    def hired(on: dt.date, flags: list[str] | None = None) -> Employee:
        return Employee(staff_no="N", name="New", department_id=1, hire_date=on, flags=flags or [])

    # Hired 25 Nov: days 1-12 run to 6 Dec; from the 7th they work as anyone else.
    assert roster_flags(hired(dt.date(2026, 11, 25)), dec, dec_end) == {"trainee"}
    assert trainee_until(hired(dt.date(2026, 11, 25)), dec, dec_end) == dt.date(2026, 12, 6)
    # Onboarding past the month's end, and the flag a manager set: the whole month.
    assert trainee_until(hired(dt.date(2026, 12, 25)), dec, dec_end) is None
    assert trainee_until(hired(dt.date(2020, 1, 1), ["trainee"]), dec, dec_end) is None
    assert trainee_until(hired(dt.date(2020, 1, 1)), dec, dec_end) is None

    staff = (
        Staff("t", "Zhao Lei", flags=frozenset({"trainee"}), trainee_until=nth_day(5)),
        Staff("s", "Senior Su"),
    )
    p = problem(10, staff)
    assert problem_from_dict(problem_to_dict(p)).staff == p.staff
    # Alone on an early shift on 3 Dec (in training) and on 9 Dec (live): only the first counts.
    cells: dict[str, dict[dt.date, str | None]] = {
        "t": {nth_day(i): "early" if i in (2, 8) else None for i in range(10)},
        "s": {nth_day(i): "late" if i in (2, 8) else None for i in range(10)},
    }
    alone = [v for v in check(p, cells).hard_violations if v.rule == "trainee_not_alone"]
    assert [v.date for v in alone] == [nth_day(2)]
