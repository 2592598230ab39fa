"""The QA inspector (质检员, DOMAIN.md): staff of the department with no scheduling rights.

A department manager gives a QA inspector their login like any other staff member's. They sign
in, see their own records and ask for their own leave, as an agent does, and are refused
whatever schedules or decides for others: solving or editing a roster, deciding a request,
reading colleagues, entering someone else's punch, being handed the manager's steps.
"""

from __future__ import annotations

import datetime as dt

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.api.requests_setup import file_leave, monday

pytestmark = pytest.mark.db
Client = AsyncTestClient[Litestar]
PASSWORD = "listen-to-calls-2026"


async def _qa_login(client: Client, world: World) -> dict[str, str]:
    """The manager creates the inspector's employee record and login; the inspector signs in."""
    manager = world.headers("manager")
    r = await client.post(
        "/employees",
        json={
            "staff_no": "QA001",
            "name": "Sun Li",
            "department_id": world.cs_id,
            "hire_date": "2024-06-01",
        },
        headers=manager,
    )
    assert r.status_code == 201, r.text
    employee_id = r.json()["id"]
    r = await client.post(
        "/users",
        json={
            "username": "qa-sun",
            "password": PASSWORD,
            "role": "qa_inspector",
            "department_id": world.cs_id,
            "employee_id": employee_id,
        },
        headers=manager,
    )
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "qa_inspector"
    r = await client.post("/auth/login", json={"username": "qa-sun", "password": PASSWORD})
    assert r.status_code in (200, 201), r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_a_qa_inspector_sees_their_own_records_and_asks_for_leave(
    client: Client, world: World
) -> None:
    qa = await _qa_login(client, world)
    me = await client.get("/me", headers=qa)
    assert me.status_code == 200
    assert me.json()["role"] == "qa_inspector"

    day = monday(3)
    r = await client.post(
        "/leave-requests",
        json={"type": "annual", "start_date": day.isoformat(), "end_date": day.isoformat()},
        headers=qa,
    )
    assert r.status_code == 201, r.text
    assert r.json()["employee_id"] == me.json()["employee_id"]

    listed = await client.get("/leave-requests", headers=qa)
    assert listed.status_code == 200
    assert {item["employee_id"] for item in listed.json()["items"]} == {me.json()["employee_id"]}
    # The colleague's own leave stays out of the inspector's list.
    other = await file_leave(
        client, world, "agent", type="annual", start_date=day, end_date=day, reason="x"
    )
    assert other.status_code == 201, other.text
    listed = await client.get("/leave-requests", headers=qa)
    assert other.json()["id"] not in {item["id"] for item in listed.json()["items"]}


async def test_a_qa_inspector_has_no_scheduling_rights(client: Client, world: World) -> None:
    qa = await _qa_login(client, world)
    month = (monday(3) + dt.timedelta(days=31)).strftime("%Y-%m")

    r = await client.post(
        "/roster-jobs", json={"team_id": world.team_a, "month": month}, headers=qa
    )
    assert_problem(r, 403)
    r = await client.get("/employees", params={"department_id": world.cs_id}, headers=qa)
    assert r.status_code in (200, 403)
    if r.status_code == 200:
        assert [e["staff_no"] for e in r.json()["items"]] == ["QA001"]
    r = await client.get(f"/employees/{world.employees['agent'].id}", headers=qa)
    assert r.status_code in (403, 404)

    # A colleague's leave waits for the manager; the inspector may not decide it.
    day = monday(3)
    filed = await file_leave(
        client, world, "agent", type="annual", start_date=day, end_date=day, reason="x"
    )
    assert filed.status_code == 201, filed.text
    approval_id = filed.json()["approval_id"]
    r = await client.post(f"/approvals/{approval_id}/approve", json={}, headers=qa)
    assert r.status_code in (403, 404), r.text
    waiting = await client.get("/approvals", params={"view": "waiting"}, headers=qa)
    assert waiting.status_code in (200, 403)
    if waiting.status_code == 200:
        assert waiting.json()["items"] == []

    # Nor can the manager hand the inspector their steps.
    me = (await client.get("/me", headers=qa)).json()
    r = await client.post(
        "/approval-delegations",
        json={
            "delegate_id": me["id"],
            "start": day.isoformat(),
            "end": day.isoformat(),
        },
        headers=world.headers("manager"),
    )
    assert_problem(r, 422, field="delegate_id")

    # Nor enter a colleague's punch.
    r = await client.post(
        "/attendance/punches",
        json={
            "employee_id": world.employees["agent"].id,
            "direction": "in",
            "at": dt.datetime.now(dt.UTC).isoformat(),
            "reason": "forgot",
        },
        headers={**qa, "Idempotency-Key": "qa-punch-1"},
    )
    assert r.status_code in (403, 404), r.text
