"""One absence asked as several requests is judged as one.

Four days asked as two requests of two, back to back, each went to the department manager
alone, skipping HR and the general manager that DOMAIN.md asks for leave of three days or more;
two single days of sick leave in a row each needed no certificate.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.api.conftest import World
from tests.api.requests_setup import Client, file_leave, monday


async def _steps(client: Client, world: World, leave: dict[str, Any]) -> list[str]:
    r = await client.get(f"/approvals/{leave['approval_id']}", headers=world.headers("manager"))
    assert r.status_code == 200, r.text
    return [s["role"] for s in r.json()["steps"]]


async def _file(client: Client, world: World, who: str, **body: Any) -> dict[str, Any]:
    r = await file_leave(client, world, who, **body)
    assert r.status_code == 201, r.text
    leave: dict[str, Any] = r.json()
    return leave


async def test_leave_back_to_back_with_earlier_leave_climbs_the_whole_ladder(
    client: Client, world: World
) -> None:
    mon = monday()
    first = await _file(
        client, world, "agent", type="personal", start_date=mon, end_date=mon + dt.timedelta(1)
    )
    assert await _steps(client, world, first) == ["dept_manager"]
    second = await _file(
        client,
        world,
        "agent",
        type="personal",
        start_date=mon + dt.timedelta(2),
        end_date=mon + dt.timedelta(3),
    )
    assert second["days"] == 2
    assert await _steps(client, world, second) == ["dept_manager", "hr", "gm"]


async def test_only_rest_days_between_two_requests_make_them_one_absence(
    client: Client, world: World
) -> None:
    mon = monday(3)
    await _file(
        client,
        world,
        "agent",
        type="personal",
        start_date=mon + dt.timedelta(3),
        end_date=mon + dt.timedelta(4),
    )  # Thursday and Friday
    after_weekend = mon + dt.timedelta(7)
    monday_after = await _file(
        client, world, "agent", type="personal", start_date=after_weekend, end_date=after_weekend
    )
    assert await _steps(client, world, monday_after) == ["dept_manager", "hr", "gm"]


async def test_leave_with_a_working_day_between_stays_apart(client: Client, world: World) -> None:
    mon = monday()
    await _file(
        client, world, "agent", type="personal", start_date=mon, end_date=mon + dt.timedelta(1)
    )
    apart = await _file(
        client,
        world,
        "agent",
        type="personal",
        start_date=mon + dt.timedelta(3),
        end_date=mon + dt.timedelta(4),
    )
    assert await _steps(client, world, apart) == ["dept_manager"]


async def test_two_single_days_of_sick_leave_in_a_row_need_a_certificate(
    client: Client, world: World
) -> None:
    mon = monday()
    agent = world.employees["agent"].id
    one = await _file(
        client, world, "supervisor", type="sick", employee_id=agent, start_date=mon, end_date=mon
    )
    assert one["certificate"] is None
    tue = mon + dt.timedelta(1)
    two = await _file(
        client, world, "supervisor", type="sick", employee_id=agent, start_date=tue, end_date=tue
    )
    assert (two["certificate"], two["certificate_missing"]) == ("missing", True)
    assert two["certificate_due"] == (mon + dt.timedelta(2)).isoformat()
