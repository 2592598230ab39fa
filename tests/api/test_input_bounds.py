"""Months and dates at the edges of the calendar are the client's mistake, never a 500.

A month "9999-12" made the week after it overflow Python's calendar, and "26-11" read as the year
26; leave for 9999-12-30 failed while its certificate's due date was worked out. Each is a 422
naming the field, and nothing is stored.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot
from tests.api.requests_setup import SM, Client, file_leave

MONTH_ROUTES = [
    "/attendance/employees/{employee}?month={month}",
    "/me/attendance?month={month}",
    "/departments/{department}/calendar?month={month}",
    "/wishes?month={month}",
    "/attendance/punches?employee_id={employee}&month={month}",
    "/attendance/export?department_id={department}&month={month}&format=csv",
    "/rosters?month={month}",
]


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "26-11", "0026-11", "2026-1", "2026-13"])
@pytest.mark.parametrize("route", MONTH_ROUTES)
async def test_a_month_outside_the_calendar_or_not_yyyy_mm_is_422_naming_it(
    client: Client, world: World, route: str, month: str
) -> None:
    url = route.format(employee=world.employees["agent"].id, department=world.cs_id, month=month)
    who = "agent" if route.startswith(("/me/", "/wishes")) else "manager"
    assert_problem(await client.get(url, headers=world.headers(who)), 422, field="month")


@pytest.mark.parametrize("start", ["9999-12-30", "2200-01-01", "1990-05-04"])
async def test_leave_years_away_is_422_naming_the_dates_and_stores_nothing(
    client: Client, world: World, sessionmaker: SM, start: str
) -> None:
    before = await snapshot(sessionmaker)
    first = dt.date.fromisoformat(start)
    r = await file_leave(
        client,
        world,
        "manager",
        type="sick",
        employee_id=world.employees["agent"].id,
        start_date=first,
        end_date=first + dt.timedelta(days=1),
        emergency=True,
    )
    assert_problem(r, 422, field="start_date")
    assert await snapshot(sessionmaker) == before


async def test_a_missing_field_is_named_in_the_errors_list(client: Client, world: World) -> None:
    r = await client.post(
        "/leave-requests",
        json={"type": "annual", "start_date": "2026-12-07"},
        headers=world.headers("agent"),
    )
    body = assert_problem(r, 400)
    assert [e["field"] for e in body["errors"]] == ["end_date"]
    assert "end_date" in body["detail"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/leave-requests", {"type": "sick", "start_date": "2026-12-07"}, "employee_id"),
        ("/roster-jobs", {"month": "2026-12"}, "team_id"),
    ],
)
async def test_an_id_beyond_64_bits_in_a_body_is_named(
    client: Client, world: World, path: str, body: dict[str, object], field: str
) -> None:
    payload = (
        {**body, field: 10**20, "end_date": "2026-12-07"}
        if "leave" in path
        else {
            **body,
            field: 10**20,
        }
    )
    r = await client.post(path, json=payload, headers=world.headers("manager"))
    problem = assert_problem(r, 400)
    assert [e["field"] for e in problem["errors"]] == [field]
