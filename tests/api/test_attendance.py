"""Attendance through the API: punches, devices, batches, derived months, corrections, policy."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.approvals import service as approvals
from scheduler.attendance import punches
from scheduler.attendance.models import Punch
from scheduler.auth.service import principal_of
from scheduler.org.models import Department
from scheduler.people.models import Employee
from tests.api.attendance_data import publish
from tests.api.conftest import World
from tests.api.helpers import assert_problem

Client = AsyncTestClient[Litestar]
SH = ZoneInfo("Asia/Shanghai")
OCT = dt.date(2026, 10, 1)


def local(day: int, hh: int, mm: int, month: int = 10, zone: ZoneInfo = SH) -> str:
    return dt.datetime(2026, month, day, hh, mm, tzinfo=zone).isoformat()


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


async def count_punches(sm: async_sessionmaker[AsyncSession]) -> int:
    async with sm() as s:
        return int(await s.scalar(select(func.count()).select_from(Punch)) or 0)


# ---------------------------------------------------------------- punches


async def test_own_punch_idempotent_and_duplicate_window(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    h = {**world.headers("agent"), "Idempotency-Key": "k-1"}
    at = now_iso()
    r = await client.post("/attendance/punches", json={"direction": "in", "at": at}, headers=h)
    assert r.status_code == 201, r.text
    first = r.json()
    assert (first["source"], first["employee_id"]) == ("web", world.employees["agent"].id)
    r = await client.post("/attendance/punches", json={"direction": "in", "at": at}, headers=h)
    assert r.status_code == 200
    assert r.headers["idempotent-replayed"] == "true"
    assert r.json()["id"] == first["id"]
    r = await client.post("/attendance/punches", json={"direction": "out", "at": at}, headers=h)
    assert_problem(r, 422, field="idempotency_key")
    # Without a key, the same punch a minute later is recognised as the same punch.
    later = (dt.datetime.fromisoformat(at) + dt.timedelta(minutes=1)).isoformat()
    r = await client.post(
        "/attendance/punches",
        json={"direction": "in", "at": later},
        headers=world.headers("agent"),
    )
    assert r.status_code == 200
    assert r.json()["duplicate"] == "window"
    assert await count_punches(sessionmaker) == 1


async def test_concurrent_retries_with_one_key_store_once(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    h = {**world.headers("agent"), "Idempotency-Key": "retry-storm"}
    body = {"direction": "in", "at": now_iso()}
    answers = await asyncio.gather(
        *(client.post("/attendance/punches", json=body, headers=h) for _ in range(8))
    )
    assert sorted(r.status_code for r in answers) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in answers}) == 1
    # And straight at the service, each retry on its own connection and transaction.
    async with sessionmaker() as s:
        device_user = await s.get(Employee, world.employees["agent2"].id)
        assert device_user is not None
    sender = punches.Sender.of_user(principal_of(world.users["agent2"]))
    data = punches.PunchData(
        direction="out",
        at=dt.datetime.now(dt.UTC),
        employee_id=world.employees["agent2"].id,
        idempotency_key="race",
    )

    async def attempt() -> punches.PunchOutcome:
        async with sessionmaker() as s:
            return await punches.record_punch(s, sender, data)

    outcomes = await asyncio.gather(*(attempt() for _ in range(6)))
    assert sum(o.created for o in outcomes) == 1
    assert len({o.punch.id for o in outcomes}) == 1
    assert await count_punches(sessionmaker) == 2


@pytest.mark.real_backfill
async def test_punches_too_old_for_their_kind_are_refused_and_not_stored(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A manager enters punches up to 92 days back; an agent's own punch is "now" (15 min)."""
    agent = world.employees["agent"].id
    now = dt.datetime.now(dt.UTC)
    r = await client.post(
        "/attendance/punches",
        json={
            "direction": "in",
            "at": (now - dt.timedelta(days=93)).isoformat(),
            "employee_id": agent,
            "reason": "paper sheet found",
        },
        headers=world.headers("manager"),
    )
    assert_problem(r, 422, field="at")
    r = await client.post(
        "/attendance/punches",
        json={"direction": "in", "at": (now - dt.timedelta(hours=1)).isoformat()},
        headers={**world.headers("agent"), "Idempotency-Key": "old-web-punch"},
    )
    assert_problem(r, 422, field="at")
    r = await client.post(
        "/attendance/punches",
        json={
            "direction": "in",
            "at": (now - dt.timedelta(days=91)).isoformat(),
            "employee_id": agent,
            "reason": "paper sheet found",
        },
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    async with sessionmaker() as s:
        stored = (await s.scalars(select(Punch).where(Punch.employee_id == agent))).all()
    assert len(stored) == 1


async def test_bad_punches_refused_and_not_stored(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    m = world.headers("manager")
    reason = {"reason": "clock broken"}
    r = await client.post(
        "/attendance/punches",
        json={"direction": "in", "at": now_iso(), "employee_id": 999999, **reason},
        headers=m,
    )
    assert_problem(r, 404, field="employee_id")
    r = await client.post(
        "/attendance/punches",
        json={
            "direction": "in",
            "at": now_iso(),
            "employee_id": world.employees["sales_agent"].id,
            **reason,
        },
        headers=m,
    )
    assert_problem(r, 404, field="employee_id")  # out of scope: as if nobody, like elsewhere
    agent = world.employees["agent"].id
    r = await client.post(
        "/attendance/punches",
        json={"direction": "in", "at": "2026-10-05T08:30:00", "employee_id": agent, **reason},
        headers=m,
    )
    assert_problem(r, 422, field="at")
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
    r = await client.post(
        "/attendance/punches",
        json={"direction": "in", "at": future, "employee_id": agent, **reason},
        headers=m,
    )
    assert_problem(r, 422, field="at")
    r = await client.post(
        "/attendance/punches",
        json={"direction": "in", "at": now_iso(), "employee_id": agent},
        headers=m,
    )
    assert_problem(r, 422, field="reason")
    r = await client.post(
        "/attendance/punches",
        json={"direction": "in", "at": now_iso(), "employee_id": world.employees["agent2"].id},
        headers=world.headers("agent"),
    )
    assert_problem(r, 404)
    r = await client.post(
        "/attendance/punches",
        json={"direction": "in", "at": local(5, 8, 30)},
        headers=world.headers("agent"),
    )
    assert_problem(r, 422, field="at")  # an agent's own old punch is a correction request
    r = await client.post(
        "/attendance/punches", json={"direction": "sideways", "at": now_iso()}, headers=m
    )
    assert r.status_code == 400
    assert await count_punches(sessionmaker) == 0


async def test_device_credential_and_batch(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    r = await client.post(
        f"/departments/{world.cs_id}/attendance/devices",
        json={"name": "Front door"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    device = r.json()
    auth = {"Authorization": device["authorization"]}
    r = await client.post(
        f"/departments/{world.cs_id}/attendance/devices",
        json={"name": "Rogue"},
        headers=world.headers("agent"),
    )
    assert_problem(r, 403)
    agent = world.employees["agent"].id
    r = await client.post(
        "/attendance/device/punches",
        json={"direction": "in", "at": local(5, 8, 29), "employee_id": agent},
        headers={**auth, "Idempotency-Key": "dev-1"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "device:Front door"
    r = await client.post(
        "/attendance/device/punches",
        json={"direction": "in", "at": local(5, 8, 29), "employee_id": agent},
        headers={"Authorization": f"Device {device['id']}:wrong"},
    )
    assert_problem(r, 401)
    r = await client.post(
        "/attendance/device/punches",
        json={
            "direction": "in",
            "at": local(5, 8, 29),
            "employee_id": world.employees["sales_agent"].id,
        },
        headers=auth,
    )
    assert_problem(r, 404, field="employee_id")

    csv_body = (
        "staff_no,direction,at,key\n"
        f"CS001,out,{local(5, 17, 31)},row-1\n"
        f"CS002,in,{local(5, 8, 25)},row-2\n"
        f"SA001,in,{local(5, 8, 25)},row-3\n"
        f"NOPE,in,{local(5, 8, 25)},row-4\n"
        "CS001,in,2026-10-05T08:30:00,row-5\n"
        f"CS001,out,{local(5, 17, 31)},row-1\n"
        f"CS002,in,{local(5, 8, 26)},\n"
    ).encode()
    r = await client.post(
        "/attendance/device/punches/batch",
        content=csv_body,
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [row["status"] for row in body["rows"]] == [
        "created",
        "created",
        "refused",
        "refused",
        "refused",
        "duplicate",
        "duplicate",
    ]
    assert (body["created"], body["duplicates"], body["refused"]) == (2, 2, 3)
    assert "not found in the department of device" in body["rows"][2]["error"]
    assert body["rows"][4]["field"] == "at"
    assert await count_punches(sessionmaker) == 3

    r = await client.post(
        f"/attendance/devices/{device['id']}/revoke", headers=world.headers("manager")
    )
    assert r.status_code == 200
    r = await client.post(
        "/attendance/device/punches",
        json={"direction": "out", "at": local(6, 17, 30), "employee_id": agent},
        headers=auth,
    )
    assert_problem(r, 401)


# ---------------------------------------------------------------- derived month

#: (day, shift or leave or None, punches as (direction, day, hh, mm))
OCTOBER: list[tuple[int, str | None, list[tuple[str, int, int, int]]]] = [
    (1, "early", [("in", 1, 8, 28), ("out", 1, 17, 30)]),  # on time
    (2, "early", [("in", 2, 8, 34), ("out", 2, 17, 30)]),  # late within grace
    (3, "early", [("in", 3, 8, 40), ("out", 3, 17, 30)]),  # late 10: tier 1
    (4, "early", [("in", 4, 8, 50), ("out", 4, 17, 30)]),  # late 20: tier 2
    (5, "early", [("in", 5, 9, 15), ("out", 5, 17, 30)]),  # late 45: half a day
    (6, "early", [("in", 6, 11, 0), ("out", 6, 17, 30)]),  # late 150: a day, 4th: doubled
    (7, "early", [("in", 7, 8, 30), ("out", 7, 16, 30)]),  # left 60 min early
    (8, "early", []),  # absent without leave
    (9, "early", [("in", 9, 8, 30)]),  # missing clock-out
    (10, "late", [("in", 10, 14, 58), ("out", 11, 0, 45)]),  # overtime past midnight
    (11, None, [("in", 11, 10, 0), ("out", 11, 16, 0)]),  # rest day worked
    (12, "leave:annual", []),
    (13, "leave:sick", []),
    (14, "late", [("in", 14, 15, 0), ("out", 15, 0, 0)]),  # on time, ends 24:00
]
EXPECTED_STATUS = {
    1: "on_time",
    2: "on_time",
    3: "late",
    4: "late",
    5: "late",
    6: "late",
    7: "early_leave",
    8: "absent",
    9: "missing_punch",
    10: "on_time",
    11: "rest_day_worked",
    12: "leave",
    13: "leave",
    14: "on_time",
    15: "rest",
}
EXPECTED_SUMMARY = {
    "scheduled_shifts": 11,
    "worked_shifts": 10,
    # Lateness (5th, 6th) and early leave (7th) their tiers count as absence are counted in
    # absence_days only, not as lateness too (payroll audit #5; were 4/225 and 1/60).
    "late_count": 2,
    "late_minutes": 10 + 20,
    "early_count": 0,
    "early_minutes": 0,
    "absences": 1,
    "absent_days": 1.0,
    "missing_punches": 1,
    "leave_days": {"annual": 1, "sick": 1},
    "overtime_minutes": 45,
    "rest_days_worked": 1,
    "absence_days": 3.0,
    "total_deduction": 700.0,  # the 6th: 200, not 400 (payroll audit #2)
    "working_days": 11,
    "rest_day_minutes": 360,  # the 11th
    "holiday_days_worked": 3,  # 1-3 October, National Day
    "holiday_minutes_worked": 542 + 536 + 530,
    "stray_punches": 0,
    "pending_shifts": 0,
    "certificates": [],
}


async def seed_october(client: Client, world: World, sm: async_sessionmaker[AsyncSession]) -> int:
    agent = world.employees["agent"].id
    cells: dict[dt.date, str | None] = {OCT.replace(day=d): None for d in range(1, 32)}
    for day, cell, _ in OCTOBER:
        cells[OCT.replace(day=day)] = cell
    await publish(sm, world.cs_id, OCT, {agent: cells})
    rows = [
        {
            "employee_id": agent,
            "direction": direction,
            "at": local(d, hh, mm),
            "reason": "time clock export",
        }
        for _, _, ps in OCTOBER
        for direction, d, hh, mm in ps
    ]
    r = await client.post("/attendance/punches/batch", json=rows, headers=world.headers("manager"))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == len(rows), r.json()
    return agent


async def test_derived_month_against_roster(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    agent = await seed_october(client, world, sessionmaker)
    r = await client.get(
        f"/attendance/employees/{agent}", params={"month": "2026-10"}, headers=world.headers("hr")
    )
    assert r.status_code == 200, r.text
    month = r.json()
    days = {int(d["date"][-2:]): d for d in month["days"]}
    assert {d: days[d]["status"] for d in EXPECTED_STATUS} == EXPECTED_STATUS
    assert days[2]["late_minutes"] == 4
    assert days[2]["counted_late_minutes"] == 0  # within the grace: what HR's export shows
    # A tier counting as a day's absence costs an absence (200), never more than not coming
    # at all (payroll audit #2; was 400). The 5th's half day of absence is counted as absence
    # only, so the 6th is the month's third lateness, not escalated (the summary counts the
    # same latenesses the escalation does).
    assert [days[d]["breaches"][0]["deduction"] for d in (3, 4, 5, 6)] == [20, 50, 100, 200]
    assert days[6]["breaches"][0]["escalated"] is False
    assert "tier 4" in days[6]["breaches"][0]["rule"]
    assert days[9]["missing"] == "out"
    assert days[10]["overtime_minutes"] == 45
    assert days[10]["last_out"].startswith("2026-10-10T16:45")  # 00:45 on the 11th, +08:00
    assert days[11]["worked_minutes"] == 360
    assert days[12]["breaches"] == []
    assert month["summary"] == EXPECTED_SUMMARY
    # The agent sees their own month; another agent does not.
    r = await client.get(
        "/me/attendance", params={"month": "2026-10"}, headers=world.headers("agent")
    )
    assert r.json()["summary"] == EXPECTED_SUMMARY
    r = await client.get(
        f"/attendance/employees/{agent}",
        params={"month": "2026-10"},
        headers=world.headers("agent2"),
    )
    assert_problem(r, 404)
    # Reading again recomputes from the same facts: the same answer.
    again = await client.get(
        f"/attendance/employees/{agent}", params={"month": "2026-10"}, headers=world.headers("hr")
    )
    assert again.json() == month


async def test_dst_change_in_berlin(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as s:
        berlin = Department(
            organisation_id=world.org_id, name="Berlin", code="BER", timezone="Europe/Berlin"
        )
        s.add(berlin)
        await s.flush()
        person = Employee(
            staff_no="BE001", name="Anna", department_id=berlin.id, hire_date=OCT, flags=[]
        )
        s.add(person)
        await s.commit()
        dept_id, emp_id = berlin.id, person.id
    cells: dict[dt.date, str | None] = {
        OCT.replace(day=24): "late",
        OCT.replace(day=25): "early",
        OCT.replace(day=26): "early",
    }
    await publish(sessionmaker, dept_id, OCT, {emp_id: cells})
    bz = ZoneInfo("Europe/Berlin")
    rows = [
        ("in", local(24, 15, 0, zone=bz)),
        ("out", local(25, 1, 30, zone=bz)),  # 01:30 CEST, before clocks go back
        ("in", local(25, 8, 30, zone=bz)),  # 08:30 CET = 07:30 UTC
        ("out", local(25, 17, 30, zone=bz)),
        ("in", local(26, 8, 36, zone=bz)),
        ("out", local(26, 17, 30, zone=bz)),
    ]
    r = await client.post(
        "/attendance/punches/batch",
        json=[
            {"employee_id": emp_id, "direction": d, "at": at, "reason": "import"} for d, at in rows
        ],
        headers=world.headers("admin"),
    )
    assert r.json()["created"] == 6, r.json()
    r = await client.get(
        f"/attendance/employees/{emp_id}", params={"month": "2026-10"}, headers=world.headers("hr")
    )
    days = {int(d["date"][-2:]): d for d in r.json()["days"]}
    assert days[24]["status"] == "on_time"
    assert days[24]["overtime_minutes"] == 90
    assert days[25]["status"] == "on_time"
    assert days[25]["scheduled_start"].startswith("2026-10-25T07:30")
    assert days[25]["worked_minutes"] == 540
    assert days[26]["late_minutes"] == 6
    assert days[26]["status"] == "late"


# ---------------------------------------------------------------- corrections


async def test_manager_corrections_follow_through(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    agent = world.employees["agent"].id
    await publish(sessionmaker, world.cs_id, OCT, {agent: {OCT.replace(day=20): "early"}})
    m = world.headers("manager")
    made = []
    for direction, hh, mm in (("in", 9, 30), ("out", 12, 0), ("out", 17, 30)):
        r = await client.post(
            "/attendance/punches",
            json={
                "direction": direction,
                "at": local(20, hh, mm),
                "employee_id": agent,
                "reason": "paper sheet",
            },
            headers=m,
        )
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])

    async def day20() -> dict[str, Any]:
        r = await client.get(
            f"/attendance/employees/{agent}", params={"month": "2026-10"}, headers=m
        )
        result: dict[str, Any] = r.json()["days"][19]
        return result

    assert (await day20())["status"] == "late"
    r = await client.post(
        f"/attendance/punches/{made[0]}/corrections",
        json={"at": local(20, 8, 29), "reason": "badge reader was down"},
        headers=m,
    )
    assert r.status_code == 201, r.text
    correction = r.json()
    assert (correction["kind"], correction["corrects_id"]) == ("correction", made[0])
    assert (await day20())["status"] == "on_time"
    r = await client.post(
        f"/attendance/punches/{made[0]}/corrections",
        json={"at": local(20, 8, 0), "reason": "again"},
        headers=m,
    )
    assert_problem(r, 409, field="punch_id")
    r = await client.post(
        f"/attendance/punches/{made[2]}/corrections",
        json={"void": True, "reason": "punched by mistake"},
        headers=m,
    )
    assert r.status_code == 201
    day = await day20()
    assert day["status"] == "early_leave"  # the 12:00 out is now the last one
    r = await client.post(
        f"/attendance/punches/{made[1]}/corrections",
        json={"reason": "no"},
        headers=world.headers("agent"),
    )
    assert_problem(r, 403)
    r = await client.post(
        f"/attendance/punches/{made[1]}/corrections", json={"at": local(20, 8, 0)}, headers=m
    )
    assert r.status_code == 400  # a reason is required
    # Nothing was edited or deleted: the audit trail has every record.
    r = await client.get(
        "/attendance/punches", params={"employee_id": agent, "month": "2026-10"}, headers=m
    )
    records = r.json()
    assert len(records) == 5
    assert {p["kind"] for p in records} == {"punch", "correction", "void"}
    assert all(p["created_by"] == world.users["manager"].id for p in records)
    # The agent reads their own trail without naming themself; HR (nobody's login) must name one.
    mine = await client.get(
        "/attendance/punches", params={"month": "2026-10"}, headers=world.headers("agent")
    )
    assert [p["id"] for p in mine.json()] == [p["id"] for p in records]
    assert_problem(
        await client.get(
            "/attendance/punches", params={"month": "2026-10"}, headers=world.headers("hr")
        ),
        422,
        field="employee_id",
    )


async def test_agent_correction_request_through_approvals(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    today = dt.datetime.now(SH).date()
    two_days_ago = today - dt.timedelta(days=2)
    at = dt.datetime.combine(two_days_ago, dt.time(8, 30), SH).isoformat()
    r = await client.post(
        "/attendance/correction-requests",
        json={"direction": "in", "at": at, "reason": "forgot to clock in"},
        headers=world.headers("agent"),
    )
    assert r.status_code == 201, r.text
    request = r.json()
    assert request["status"] == "pending"
    assert request["approval_request_id"]
    assert request["approval_id"] == request["approval_request_id"]  # as leave and swaps name it
    too_old = dt.datetime.combine(today - dt.timedelta(days=10), dt.time(8, 30), SH).isoformat()
    r = await client.post(
        "/attendance/correction-requests",
        json={"direction": "in", "at": too_old, "reason": "forgot"},
        headers=world.headers("agent"),
    )
    assert_problem(r, 422, field="at")
    async with sessionmaker() as s:
        await approvals.decide(
            s, principal_of(world.users["manager"]), request["approval_request_id"], "approve", None
        )
    r = await client.get(
        f"/attendance/correction-requests/{request['id']}", headers=world.headers("agent")
    )
    done = r.json()
    assert done["status"] == "approved"
    assert done["result_punch_id"]
    r = await client.get(
        "/attendance/punches",
        params={"employee_id": world.employees["agent"].id, "month": f"{two_days_ago:%Y-%m}"},
        headers=world.headers("agent"),
    )
    (stored,) = r.json()
    assert stored["id"] == done["result_punch_id"]
    assert stored["created_by"] == world.users["manager"].id
    assert "forgot to clock in" in stored["reason"]


# ---------------------------------------------------------------- policy


async def test_policy_versions_and_validation(client: Client, world: World) -> None:
    url = f"/departments/{world.cs_id}/attendance/policy"
    r = await client.get(url, params={"month": "2026-10"}, headers=world.headers("manager"))
    assert r.status_code == 200
    assert r.json()["is_default"] is True
    assert r.json()["policy"]["grace_minutes"] == 5
    today = dt.datetime.now(SH).date()
    next_month = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    r = await client.put(
        url,
        json={"effective_from": next_month.isoformat(), "policy": {"grace_minutes": 10}},
        headers=world.headers("hr"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["policy"]["grace_minutes"] == 10
    assert r.json()["policy_id"]
    r = await client.get(url, params={"month": "2026-10"}, headers=world.headers("manager"))
    assert r.json()["is_default"] is True  # October is still judged by the defaults
    assert len(r.json()["versions"]) == 1
    r = await client.put(
        url,
        json={"effective_from": "2026-10-01", "policy": {"grace_minutes": 10}},
        headers=world.headers("manager"),
    )
    assert_problem(r, 422, field="effective_from")
    r = await client.put(
        url,
        json={
            "effective_from": next_month.isoformat(),
            "policy": {"late_tiers": [{"up_to_minutes": 30}, {"up_to_minutes": 10}]},
        },
        headers=world.headers("manager"),
    )
    assert_problem(r, 422)
    r = await client.put(
        url,
        json={"effective_from": next_month.replace(day=2).isoformat(), "policy": {}},
        headers=world.headers("manager"),
    )
    assert_problem(r, 422, field="effective_from")
    r = await client.put(
        url,
        json={"effective_from": next_month.isoformat(), "policy": {}},
        headers=world.headers("agent"),
    )
    assert_problem(r, 403)
    r = await client.put(
        f"/departments/{world.sales_id}/attendance/policy",
        json={"effective_from": next_month.isoformat(), "policy": {}},
        headers=world.headers("manager"),
    )
    assert r.status_code in (403, 404)
