"""Regressions found by a black-box audit of attendance.

* a punch naming ``staff_no`` and ``employee_id`` of two different people (a time clock's
  single punch, its batch rows, a manager's upload) was booked to ``employee_id``;
* a correction with both ``void`` and ``at`` was stored (a void carrying an instant);
* a policy answer named only the first kind of bad field, said "expected a list" of an empty
  list, and a number beyond float range (``1e400``) was a 400 naming no field;
* the approval summary of a request for a late shift's after-midnight clock-out named the
  calendar date of the instant instead of the shift's day.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.approvals import service as approvals
from scheduler.approvals.models import ApprovalRequest
from scheduler.attendance.models import Punch
from scheduler.auth.service import principal_of
from tests.api.attendance_data import publish
from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot

Client = AsyncTestClient[Litestar]
SH = ZoneInfo("Asia/Shanghai")
DIFFERENT = "staff_no and employee_id name different people"


def _ago(minutes: int) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)).isoformat()


def _next_month() -> dt.date:
    today = dt.datetime.now(SH).date()
    return (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


async def _punch_count(sm: async_sessionmaker[AsyncSession]) -> int:
    async with sm() as s:
        return int(await s.scalar(select(func.count()).select_from(Punch)) or 0)


async def _device(client: Client, world: World) -> dict[str, str]:
    r = await client.post(
        f"/departments/{world.cs_id}/attendance/devices",
        json={"name": "Audit clock"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    return {"Authorization": r.json()["authorization"]}


def _fields(body: dict[str, Any]) -> set[str]:
    return {str(e.get("field")) for e in body.get("errors", [])}


# ---------------------------------------------------------------- 1. staff_no vs employee_id


async def test_a_device_punch_naming_two_people_is_refused(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    auth = await _device(client, world)
    agent = world.employees["agent"].id  # staff_no CS001
    r = await client.post(
        "/attendance/device/punches",
        json={"direction": "in", "at": _ago(5), "employee_id": agent, "staff_no": "CS002"},
        headers=auth,
    )
    body = assert_problem(r, 422)
    assert DIFFERENT in body["detail"]
    assert {"staff_no", "employee_id"} <= _fields(body)
    # A staff number nobody has is no more that person's than a colleague's.
    r = await client.post(
        "/attendance/device/punches",
        json={"direction": "in", "at": _ago(5), "employee_id": agent, "staff_no": "NOPE"},
        headers={**auth, "Idempotency-Key": "audit-2"},
    )
    assert DIFFERENT in assert_problem(r, 422, field="staff_no")["detail"]
    assert await _punch_count(sessionmaker) == 0
    r = await client.post(
        "/attendance/device/punches",
        json={"direction": "in", "at": _ago(5), "employee_id": agent, "staff_no": "CS001"},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    assert r.json()["employee_id"] == agent
    assert await _punch_count(sessionmaker) == 1


@pytest.mark.parametrize("sender", ["device", "manager"])
async def test_a_batch_row_naming_two_people_is_refused_alone(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession], sender: str
) -> None:
    agent, agent2 = world.employees["agent"].id, world.employees["agent2"].id
    if sender == "device":
        url, headers = "/attendance/device/punches/batch", await _device(client, world)
    else:
        url, headers = "/attendance/punches/batch", world.headers("manager")
    rows = [
        {"employee_id": agent, "staff_no": "CS002", "direction": "in", "at": _ago(30)},
        {"employee_id": agent, "staff_no": "CS001", "direction": "in", "at": _ago(29)},
        {"employee_id": agent2, "direction": "in", "at": _ago(28)},
    ]
    for row in rows:
        row["reason"] = "clock export"
    r = await client.post(url, json=rows, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [row["status"] for row in body["rows"]] == ["refused", "created", "created"]
    assert DIFFERENT in body["rows"][0]["error"]
    assert body["rows"][0]["field"] in ("staff_no", "employee_id")
    async with sessionmaker() as s:
        booked = sorted((await s.scalars(select(Punch.employee_id))).all())
    assert booked == sorted([agent, agent2])  # nothing booked to either for the bad row


async def test_a_csv_row_naming_two_people_is_refused(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    auth = await _device(client, world)
    agent = world.employees["agent"].id
    csv_body = (
        f"employee_id,staff_no,direction,at\n{agent},CS002,in,{_ago(20)}\n"
        f"{agent},CS001,out,{_ago(10)}\n"
    ).encode()
    r = await client.post(
        "/attendance/device/punches/batch",
        content=csv_body,
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert [row["status"] for row in r.json()["rows"]] == ["refused", "created"]
    assert DIFFERENT in r.json()["rows"][0]["error"]
    assert await _punch_count(sessionmaker) == 1


# ---------------------------------------------------------------- 2. void and at


async def _manager_punch(client: Client, world: World) -> int:
    r = await client.post(
        "/attendance/punches",
        json={
            "direction": "in",
            "at": _ago(120),
            "employee_id": world.employees["agent"].id,
            "reason": "paper sheet",
        },
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    punch_id: int = r.json()["id"]
    return punch_id


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"at": "now"}, {"void", "at"}),
        ({"direction": "out"}, {"void", "direction"}),
        ({"at": "now", "direction": "out"}, {"void", "at", "direction"}),
    ],
    ids=["at", "direction", "both"],
)
async def test_a_correction_moving_and_voiding_is_refused(
    client: Client,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    change: dict[str, str],
    named: set[str],
) -> None:
    punch_id = await _manager_punch(client, world)
    change = {k: _ago(60) if v == "now" else v for k, v in change.items()}
    before = await snapshot(sessionmaker)
    r = await client.post(
        f"/attendance/punches/{punch_id}/corrections",
        json={"void": True, "reason": "wrong", **change},
        headers=world.headers("manager"),
    )
    body = assert_problem(r, 422)
    assert named <= _fields(body), body
    assert "not both" in body["detail"]
    assert await snapshot(sessionmaker) == before  # nothing stored, the punch not voided
    r = await client.post(
        f"/attendance/punches/{punch_id}/corrections",
        json={"void": True, "reason": "wrong"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["corrects_id"]) == ("void", punch_id)


async def test_a_correction_request_moving_and_voiding_is_refused(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    punch_id = await _manager_punch(client, world)
    before = await snapshot(sessionmaker)
    r = await client.post(
        "/attendance/correction-requests",
        json={"punch_id": punch_id, "void": True, "at": _ago(60), "reason": "wrong"},
        headers=world.headers("agent"),
    )
    assert {"void", "at"} <= _fields(assert_problem(r, 422))
    assert await snapshot(sessionmaker) == before


# ---------------------------------------------------------------- 3. policy answers


async def _put_policy(client: Client, world: World, policy: Any) -> Any:
    return await client.put(
        f"/departments/{world.cs_id}/attendance/policy",
        json={"effective_from": _next_month().isoformat(), "policy": policy},
        headers=world.headers("manager"),
    )


async def test_one_policy_answer_names_unknown_and_bad_fields_alike(
    client: Client, world: World
) -> None:
    r = await _put_policy(client, world, {"grace_minutes": -5, "late_tiers": "x", "foo": 1})
    body = assert_problem(r, 422)
    assert {"foo", "grace_minutes", "late_tiers"} <= _fields(body), body
    for name in ("foo", "grace_minutes", "late_tiers"):
        assert name in body["detail"]


async def test_an_empty_tier_list_says_a_tier_is_needed(client: Client, world: World) -> None:
    r = await _put_policy(client, world, {"late_tiers": []})
    body = assert_problem(r, 422, field="late_tiers")
    messages = [e["message"] for e in body["errors"] if e["field"] == "late_tiers"]
    assert messages == ["at least one tier, the last open-ended"]
    assert "expected a list" not in json.dumps(body)
    # What "no penalty" is instead: one open tier costing nothing.
    r = await _put_policy(client, world, {"late_tiers": [{"up_to_minutes": None}]})
    assert r.status_code == 200, r.text
    assert r.json()["policy"]["late_tiers"] == [
        {"up_to_minutes": None, "deduction": 0, "absence_days": 0.0}
    ]


@pytest.mark.parametrize(
    ("policy", "named"),
    [
        ('{"grace_minutes":1e400}', {"grace_minutes"}),
        ('{"grace_minutes":-1e400}', {"grace_minutes"}),
        ('{"escalation_factor":1e400}', {"escalation_factor"}),
        (
            '{"late_tiers":[{"up_to_minutes":30,"deduction":1e400},{"up_to_minutes":null}]}',
            {"late_tiers[0]"},
        ),
        ('{"grace_minutes":1e400,"absence_deduction":-1}', {"grace_minutes", "absence_deduction"}),
    ],
    ids=["grace", "grace-negative", "factor", "tier-deduction", "with-another"],
)
async def test_a_number_beyond_float_range_is_a_422_naming_its_field(
    client: Client, world: World, policy: str, named: set[str]
) -> None:
    body = f'{{"effective_from":"{_next_month().isoformat()}","policy":{policy}}}'
    r = await client.put(
        f"/departments/{world.cs_id}/attendance/policy",
        content=body.encode(),
        headers={**world.headers("manager"), "Content-Type": "application/json"},
    )
    assert _fields(assert_problem(r, 422)) == named


async def test_fractional_policy_numbers_are_still_read(client: Client, world: World) -> None:
    r = await _put_policy(
        client,
        world,
        {"escalation_factor": 1.5, "late_tiers": [{"up_to_minutes": None, "absence_days": 0.5}]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["policy"]["escalation_factor"] == 1.5
    assert r.json()["policy"]["late_tiers"][0]["absence_days"] == 0.5


# ---------------------------------------------------------------- 4. the shift's day


async def test_a_request_for_a_late_shifts_clock_out_names_the_shifts_day(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    agent = world.employees["agent"].id
    day = dt.datetime.now(SH).date() - dt.timedelta(days=2)
    after = day + dt.timedelta(days=1)
    # The next morning's early shift too: the 00:05 clock-out is still the late shift's.
    await publish(
        sessionmaker, world.cs_id, day.replace(day=1), {agent: {day: "late", after: "early"}}
    )
    r = await client.post(
        "/attendance/punches",
        json={
            "direction": "in",
            "at": dt.datetime.combine(day, dt.time(14, 58), SH).isoformat(),
            "employee_id": agent,
            "reason": "paper sheet",
        },
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    out_at = dt.datetime.combine(after, dt.time(0, 5), SH)
    r = await client.post(
        "/attendance/correction-requests",
        json={"reason": "forgot to clock out", "direction": "out", "at": out_at.isoformat()},
        headers=world.headers("agent"),
    )
    assert r.status_code == 201, r.text
    request = r.json()
    async with sessionmaker() as s:
        approval = await s.get(ApprovalRequest, request["approval_request_id"])
        assert approval is not None
        summary = approval.summary
    assert summary.startswith(f"add missing clock-out of {day.isoformat()} (late shift"), summary
    assert after.isoformat() not in summary
    async with sessionmaker() as s:
        await approvals.decide(
            s, principal_of(world.users["manager"]), request["approval_request_id"], "approve", None
        )
    r = await client.get(
        f"/attendance/employees/{agent}",
        params={"month": f"{day:%Y-%m}"},
        headers=world.headers("manager"),
    )
    judged = next(d for d in r.json()["days"] if d["date"] == day.isoformat())
    assert dt.datetime.fromisoformat(judged["last_out"]) == out_at  # the same day, as named


async def test_a_request_on_no_shift_names_the_calendar_day(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    day = dt.datetime.now(SH).date() - dt.timedelta(days=3)
    at = dt.datetime.combine(day, dt.time(0, 5), SH)
    r = await client.post(
        "/attendance/correction-requests",
        json={"reason": "forgot", "direction": "out", "at": at.isoformat()},
        headers=world.headers("agent"),
    )
    assert r.status_code == 201, r.text
    async with sessionmaker() as s:
        approval = await s.get(ApprovalRequest, r.json()["approval_request_id"])
        assert approval is not None
    assert approval.summary == f"add missing clock-out of {day.isoformat()}: forgot"
