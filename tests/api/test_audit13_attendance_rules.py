"""Acceptance scenarios of attendance (audit 13, no. 7): one per promise, at its exact boundaries.

The promise: each scheduled shift of the published roster is on time, late or early by N
minutes, absent without leave (旷工), missing a punch, overtime (the late shift past 24:00 too),
a rostered rest day worked (no rest day back), or leave; judged by the department's versioned
penalty policy (grace 5; tiers up to 15, 15-30, over 30 = half a day, over 2 h = a day; the
4th lateness of a month and later doubled); what ``/attendance/employees/{id}`` answers and
HR's export shows agree and add up. Rosters are stored published (``attendance_data.publish``);
punches go in as a manager's upload, leave and corrections through the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.attendance import punches
from scheduler.org.models import Department
from scheduler.people.models import Employee
from tests.api.attendance_data import publish
from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.api.requests_setup import file_leave

Client = AsyncTestClient[Litestar]
SM = async_sessionmaker[AsyncSession]
SH = ZoneInfo("Asia/Shanghai")
AUG = dt.date(2026, 8, 1)
SEP = dt.date(2026, 9, 1)


@pytest.fixture(autouse=True)
def old_months_may_be_uploaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scenarios sit in fixed past months; a manager's upload may reach them here."""
    monkeypatch.setattr(punches, "BACKFILL_LIMIT", dt.timedelta(days=3650))


def at(day: dt.date, hh: int, mm: int, ss: int = 0, zone: ZoneInfo = SH) -> str:
    """A wall-clock instant of the department as an ISO string with its offset."""
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=zone).isoformat()


def aug(day: int) -> dt.date:
    return AUG.replace(day=day)


async def upload(
    client: Client, world: World, employee_id: int, rows: list[tuple[str, str]]
) -> None:
    body = [
        {"employee_id": employee_id, "direction": d, "at": t, "reason": "time clock export"}
        for d, t in rows
    ]
    r = await client.post("/attendance/punches/batch", json=body, headers=world.headers("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == len(rows), r.json()


async def month_of(client: Client, world: World, employee_id: int, month: str) -> dict[str, Any]:
    r = await client.get(
        f"/attendance/employees/{employee_id}", params={"month": month}, headers=world.headers("hr")
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def days_of(month: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(d["date"][-2:]): d for d in month["days"]}


async def export_rows(
    client: Client, world: World, department_id: int, month: str, sheet: str
) -> list[dict[str, str]]:
    import csv
    import io

    r = await client.get(
        "/attendance/export",
        params={"department_id": department_id, "month": month, "format": "csv", "sheet": sheet},
        headers=world.headers("hr"),
    )
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def number(text: str) -> float:
    return float(text) if text else 0.0


async def check_cs001_export(
    client: Client, world: World, month: str, api_summary: dict[str, Any]
) -> None:
    """Li Wei's rows of HR's export of ``month`` agree with the API (:func:`check_export_adds_up`)."""
    (summary,) = [
        r
        for r in await export_rows(client, world, world.cs_id, month, "summary")
        if r["Staff no."] == "CS001"
    ]
    detail = [
        r
        for r in await export_rows(client, world, world.cs_id, month, "detail")
        if r["Staff no."] == "CS001"
    ]
    check_export_adds_up(summary, detail, api_summary)


def check_export_adds_up(
    summary: dict[str, str], detail: list[dict[str, str]], api_summary: dict[str, Any]
) -> None:
    """The export's summary row is the API's summary, and the detail rows add up to it."""
    assert number(summary["Total deduction"]) == api_summary["total_deduction"]
    assert number(summary["Late (minutes)"]) == api_summary["late_minutes"]
    assert number(summary["Left early (minutes)"]) == api_summary["early_minutes"]
    assert number(summary["Overtime (minutes)"]) == api_summary["overtime_minutes"]
    assert number(summary["Absent without leave (days)"]) == api_summary["absences"]
    assert number(summary["Missing punches"]) == api_summary["missing_punches"]
    assert number(summary["Rest days worked"]) == api_summary["rest_days_worked"]
    for column in ("Deduction", "Late (minutes)", "Left early (minutes)", "Overtime (minutes)"):
        key = "Total deduction" if column == "Deduction" else column
        assert sum(number(d[column]) for d in detail) == number(summary[key]), column
    assert sum(number(d["Counted as absence (days)"]) for d in detail) == number(
        summary[next(k for k in summary if k.startswith("Counted as absence"))]
    )


# ---------------------------------------------------------------- early leave tiers (no escalation)


EARLY_OUTS = {  # day: (clock-out, minutes early, deduction, absence days)
    3: ((17, 25, 0), 5, 0, 0),
    4: ((17, 24, 0), 6, 20, 0),
    5: ((17, 15, 0), 15, 20, 0),
    6: ((17, 14, 0), 16, 50, 0),
    7: ((17, 0, 0), 30, 50, 0),
    10: ((16, 59, 0), 31, 100, 0.5),
    11: ((15, 30, 0), 120, 100, 0.5),
    12: ((15, 29, 0), 121, 200, 1.0),
    13: ((17, 24, 30), 5, 0, 0),  # 5 min 30 s early: whole minutes, within the grace
}


async def test_early_leave_tiers_at_every_boundary(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    await publish(sessionmaker, world.cs_id, AUG, {agent: {aug(d): "early" for d in EARLY_OUTS}})
    rows: list[tuple[str, str]] = []
    for d, ((hh, mm, ss), *_rest) in EARLY_OUTS.items():
        rows += [("in", at(aug(d), 8, 30)), ("out", at(aug(d), hh, mm, ss))]
    await upload(client, world, agent, rows)
    month = await month_of(client, world, agent, "2026-08")
    days = days_of(month)
    for d, (_, minutes, deduction, absence) in EARLY_OUTS.items():
        day = days[d]
        assert day["early_minutes"] == minutes, (d, day)
        assert day["status"] == ("on_time" if minutes <= 5 else "early_leave"), (d, day)
        assert sum(b["deduction"] for b in day["breaches"]) == deduction, (d, day)
        assert sum(b["absence_days"] for b in day["breaches"]) == absence, (d, day)
        assert all(b["rule"] for b in day["breaches"])
    s = month["summary"]
    assert s["early_count"] == 4
    assert s["early_minutes"] == 6 + 15 + 16 + 30
    assert s["absence_days"] == 2.0
    assert s["total_deduction"] == 20 + 20 + 50 + 50 + 100 + 100 + 200
    (summary,) = [
        r
        for r in await export_rows(client, world, world.cs_id, "2026-08", "summary")
        if r["Staff no."] == "CS001"
    ]
    detail = [
        r
        for r in await export_rows(client, world, world.cs_id, "2026-08", "detail")
        if r["Staff no."] == "CS001"
    ]
    check_export_adds_up(summary, detail, s)


# ---------------------------------------------------------------- lateness tiers and escalation


async def test_lateness_tiers_grace_and_fourth_lateness_doubled(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent2"].id
    # August: 5 (grace), 6, 15, 16, then the 4th and 5th lateness (10 min each) doubled.
    aug_ins = {
        3: (8, 35, 59),
        4: (8, 36, 0),
        5: (8, 45, 0),
        6: (8, 46, 0),
        7: (8, 40, 0),
        10: (8, 40, 0),
    }
    # September: 30, 31, 120, 121 (the 4th, a day's absence: escalation never passes absence).
    sep_ins = {1: (9, 0, 0), 2: (9, 1, 0), 3: (10, 30, 0), 4: (10, 31, 0)}
    await publish(sessionmaker, world.cs_id, AUG, {agent: {aug(d): "early" for d in aug_ins}})
    await publish(
        sessionmaker, world.cs_id, SEP, {agent: {SEP.replace(day=d): "early" for d in sep_ins}}
    )
    rows: list[tuple[str, str]] = []
    for first, ins in ((AUG, aug_ins), (SEP, sep_ins)):
        for d, (hh, mm, ss) in ins.items():
            day = first.replace(day=d)
            rows += [("in", at(day, hh, mm, ss)), ("out", at(day, 17, 30))]
    await upload(client, world, agent, rows)

    days = days_of(await month_of(client, world, agent, "2026-08"))
    got = {
        d: (
            days[d]["late_minutes"],
            days[d]["status"],
            [b["deduction"] for b in days[d]["breaches"]],
        )
        for d in aug_ins
    }
    assert got == {
        3: (5, "on_time", []),
        4: (6, "late", [20]),
        5: (15, "late", [20]),
        6: (16, "late", [50]),
        7: (10, "late", [40]),
        10: (10, "late", [40]),
    }
    assert [days[d]["breaches"][0]["escalated"] for d in (4, 5, 6, 7, 10)] == [False] * 3 + [
        True
    ] * 2
    assert "lateness no. 4" in days[7]["breaches"][0]["rule"]

    month = await month_of(client, world, agent, "2026-09")
    days = days_of(month)
    tiers = {
        d: (
            days[d]["late_minutes"],
            [(b["deduction"], b["absence_days"]) for b in days[d]["breaches"]],
        )
        for d in sep_ins
    }
    assert tiers == {
        1: (30, [(50, 0)]),
        2: (31, [(100, 0.5)]),
        3: (120, [(100, 0.5)]),
        4: (121, [(200, 1.0)]),
    }
    assert month["summary"]["late_count"] == 1  # the other three are counted as absence
    assert month["summary"]["absence_days"] == 2.0


# ---------------------------------------------------------------- the late shift past 24:00


async def test_late_shift_midnight_and_overtime_boundaries(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    cells: dict[dt.date, str | None] = {aug(d): "late" for d in (3, 4, 6, 31)}
    cells |= {aug(5): "early", aug(7): None}
    await publish(sessionmaker, world.cs_id, AUG, {agent: cells})
    await publish(sessionmaker, world.cs_id, SEP, {agent: {SEP: "early"}})
    await upload(
        client,
        world,
        agent,
        [
            ("in", at(aug(3), 15, 0)),
            ("out", at(aug(3), 23, 59, 59)),  # the last second of the shift: on time
            ("in", at(aug(4), 15, 0)),
            ("out", at(aug(5), 0, 0, 0)),  # exactly 24:00: on time, no overtime
            ("in", at(aug(5), 8, 25)),  # early shift 08:25-17:31: on time, 1 min overtime
            ("out", at(aug(5), 17, 31)),
            ("in", at(aug(6), 15, 0)),
            ("out", at(aug(7), 2, 0)),  # customers waiting: two hours' overtime
            ("in", at(aug(31), 15, 0)),
            ("out", at(SEP, 2, 0)),  # the month's last late shift, out in September
            ("in", at(SEP, 8, 30)),
            ("out", at(SEP, 17, 30)),
        ],
    )
    month = await month_of(client, world, agent, "2026-08")
    days = days_of(month)
    assert (days[3]["status"], days[3]["early_minutes"], days[3]["overtime_minutes"]) == (
        "on_time",
        0,
        0,
    )
    assert (days[4]["status"], days[4]["overtime_minutes"]) == ("on_time", 0)
    assert (days[5]["status"], days[5]["overtime_minutes"], days[5]["worked_minutes"]) == (
        "on_time",
        1,
        546,
    )
    assert (days[6]["status"], days[6]["overtime_minutes"], days[6]["worked_minutes"]) == (
        "on_time",
        120,
        660,
    )
    assert days[7]["status"] == "rest"  # the 02:00 clock-out is the 6th's, not rest-day work
    assert (days[31]["status"], days[31]["overtime_minutes"]) == ("on_time", 120)
    assert month["summary"]["overtime_minutes"] == 1 + 120 + 120
    assert month["summary"]["total_deduction"] == 0
    sep = days_of(await month_of(client, world, agent, "2026-09"))
    assert (sep[1]["status"], sep[1]["overtime_minutes"]) == ("on_time", 0)
    await check_cs001_export(client, world, "2026-08", month["summary"])


# ---------------------------------------------------------------- absence, missing punch, rest day, leave


async def test_absent_missing_rest_day_worked_and_leave(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    cells: dict[dt.date, str | None] = {aug(d): "early" for d in (3, 4, 5, 6)}
    cells |= {aug(8): None, aug(9): None, aug(10): "leave:annual"}
    await publish(sessionmaker, world.cs_id, AUG, {agent: cells})
    await upload(
        client,
        world,
        agent,
        [
            ("in", at(aug(4), 8, 30)),  # no clock-out
            ("out", at(aug(5), 17, 30)),  # no clock-in
            ("in", at(aug(8), 9, 0)),  # a rostered rest day, came in anyway
            ("out", at(aug(8), 15, 0)),
        ],
    )
    month = await month_of(client, world, agent, "2026-08")
    days = days_of(month)
    assert days[3]["status"] == "absent"
    assert [(b["kind"], b["deduction"], b["absence_days"]) for b in days[3]["breaches"]] == [
        ("absent", 200, 1.0)
    ]
    assert (days[4]["status"], days[4]["missing"], days[4]["breaches"][0]["deduction"]) == (
        "missing_punch",
        "out",
        30,
    )
    assert (days[5]["status"], days[5]["missing"]) == ("missing_punch", "in")
    assert (days[8]["status"], days[8]["worked_minutes"], days[8]["breaches"]) == (
        "rest_day_worked",
        360,
        [],
    )
    assert days[9]["status"] == "rest"
    assert days[10]["status"] == "leave"
    s = month["summary"]
    assert (s["absences"], s["missing_punches"], s["rest_days_worked"]) == (2, 2, 1)
    assert s["rest_day_minutes"] == 360
    assert s["total_deduction"] == 200 + 200 + 30 + 30
    # Approved leave filed afterwards for the 6th (a no-show so far): a morning and an
    # afternoon (the stored roster keeps its shift; half-day leave does not rewrite it).
    for half in ("am", "pm"):
        r = await file_leave(
            client,
            world,
            "manager",
            employee_id=agent,
            type="annual",
            start_date=aug(6),
            end_date=aug(6),
            half=half,
            reason="forgot to file",
        )
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "approved"
    again = await month_of(client, world, agent, "2026-08")
    day6 = days_of(again)[6]
    assert (day6["status"], day6["breaches"]) == ("leave", [])
    assert again["summary"]["total_deduction"] == 200 + 30 + 30
    assert again["summary"]["leave_days"] == {"annual": 2.0}
    await check_cs001_export(client, world, "2026-08", again["summary"])
    # Repeatable: the same facts, the same answer.
    assert await month_of(client, world, agent, "2026-08") == again


# ---------------------------------------------------------------- a zone with DST


async def test_late_shift_over_the_dst_end_counts_real_overtime(
    client: Client, world: World, sessionmaker: SM
) -> None:
    """New York falls back at 02:00 on 1 November 2026: 24:00 to 02:00 is three real hours."""
    ny = ZoneInfo("America/New_York")
    async with sessionmaker() as s:
        dept = Department(
            organisation_id=world.org_id, name="New York", code="NYC", timezone="America/New_York"
        )
        s.add(dept)
        await s.flush()
        person = Employee(
            staff_no="NY001", name="Sam", department_id=dept.id, hire_date=AUG, flags=[]
        )
        s.add(person)
        await s.commit()
        dept_id, emp_id = dept.id, person.id
    octo, nov = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
    await publish(sessionmaker, dept_id, octo, {emp_id: {dt.date(2026, 10, 31): "late"}})
    await publish(sessionmaker, dept_id, nov, {emp_id: {nov: "early"}})
    await upload(
        client,
        world,
        emp_id,
        [
            ("in", at(dt.date(2026, 10, 31), 15, 0, zone=ny)),
            # 02:00 EST (after the repeated 01:00-02:00 hour), 07:00 UTC.
            ("out", dt.datetime(2026, 11, 1, 7, 0, tzinfo=dt.UTC).isoformat()),
            ("in", at(nov, 8, 36, zone=ny)),
            ("out", at(nov, 17, 30, zone=ny)),
        ],
    )
    october = days_of(await month_of(client, world, emp_id, "2026-10"))
    assert (october[31]["status"], october[31]["overtime_minutes"]) == ("on_time", 180)
    assert october[31]["worked_minutes"] == 540 + 180
    november = days_of(await month_of(client, world, emp_id, "2026-11"))
    assert (november[1]["status"], november[1]["late_minutes"]) == ("late", 6)
    assert november[1]["scheduled_start"].startswith("2026-11-01T13:30")  # 08:30 EST
    assert november[1]["worked_minutes"] == 534


# ---------------------------------------------------------------- policy versions


async def test_policy_mid_month_refused_next_month_judges_only_that_month(
    client: Client, world: World, sessionmaker: SM
) -> None:
    url = f"/departments/{world.cs_id}/attendance/policy"
    today = dt.datetime.now(SH).date()
    next_first = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    r = await client.put(
        url,
        json={
            "effective_from": next_first.replace(day=15).isoformat(),
            "policy": {"grace_minutes": 10},
        },
        headers=world.headers("hr"),
    )
    assert_problem(r, 422, field="effective_from")
    r = await client.put(
        url,
        json={"effective_from": next_first.isoformat(), "policy": {"grace_minutes": 10}},
        headers=world.headers("hr"),
    )
    assert r.status_code in (200, 201), r.text
    # August (past) keeps the defaults: late 6 min is still late.
    agent = world.employees["agent"].id
    await publish(sessionmaker, world.cs_id, AUG, {agent: {aug(3): "early"}})
    await upload(client, world, agent, [("in", at(aug(3), 8, 36)), ("out", at(aug(3), 17, 30))])
    day = days_of(await month_of(client, world, agent, "2026-08"))[3]
    assert (day["status"], day["breaches"][0]["deduction"]) == ("late", 20)
    r = await client.get(url, params={"month": f"{next_first:%Y-%m}"}, headers=world.headers("hr"))
    assert r.json()["policy"]["grace_minutes"] == 10
    r = await client.get(url, params={"month": f"{today:%Y-%m}"}, headers=world.headers("hr"))
    assert r.json()["policy"]["grace_minutes"] == 5


# ---------------------------------------------------------------- bad punches


async def test_bad_punches_are_4xx_and_not_stored(client: Client, world: World) -> None:
    m = world.headers("manager")
    now = dt.datetime.now(dt.UTC)
    bad = [
        {"direction": "in", "at": now.isoformat(), "employee_id": 999999, "reason": "x"},
        {
            "direction": "in",
            "at": now.isoformat(),
            "employee_id": world.employees["sales_agent"].id,
            "reason": "x",
        },
        {
            "direction": "in",
            "at": now.replace(tzinfo=None).isoformat(),
            "employee_id": world.employees["agent"].id,
            "reason": "x",
        },
        {
            "direction": "in",
            "at": (now + dt.timedelta(days=400)).isoformat(),
            "employee_id": world.employees["agent"].id,
            "reason": "x",
        },
    ]
    for body in bad:
        r = await client.post("/attendance/punches", json=body, headers=m)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
    r = await client.get(
        "/attendance/punches",
        params={"employee_id": world.employees["agent"].id, "month": f"{now:%Y-%m}"},
        headers=m,
    )
    assert r.json() == []


# ---------------------------------------------------------------- a team move mid-month


async def _publish_team(
    sm: SM, world: World, team_id: int, number: int, cells: dict[dt.date, str | None], emp: int
) -> None:
    """A team roster of August whose published version is ``number`` (earlier ones superseded)."""
    from scheduler.rosters.models import Roster, RosterCell, RosterVersion
    from tests.api.attendance_data import SNAPSHOT

    async with sm() as s:
        roster = Roster(
            department_id=world.cs_id, team_id=team_id, scope_key=f"team:{team_id}", month=AUG
        )
        s.add(roster)
        await s.flush()
        for n in range(1, number + 1):
            version = RosterVersion(
                roster_id=roster.id,
                number=n,
                status="published" if n == number else "superseded",
                origin="edit",
                shift_snapshot=SNAPSHOT,
                problem={},
                published_at=dt.datetime(2026, 7, 25, tzinfo=dt.UTC),
            )
            s.add(version)
            await s.flush()
        s.add_all(
            RosterCell(version_id=version.id, employee_id=emp, date=d, shift_code=c, absence=None)
            for d, c in cells.items()
        )
        await s.commit()


async def test_team_move_mid_month_keeps_the_shifts_of_both_teams(
    client: Client, world: World, sessionmaker: SM
) -> None:
    """Moved from team A to team B on 10 August: A's roster (its 2nd version, the move cleared
    the 10th on) and B's (its 1st, off before the 10th) both hold every day of the person; the
    shifts of each side are the person's roster, whatever the two rosters' version numbers."""
    agent = world.employees["agent"].id
    days = range(3, 17)
    a_cells = {aug(d): ("early" if d < 10 else None) for d in days}
    b_cells = {aug(d): ("late" if d >= 10 else None) for d in days}
    await _publish_team(sessionmaker, world, world.team_a, 2, a_cells, agent)
    await _publish_team(sessionmaker, world, world.team_b, 1, b_cells, agent)
    await upload(
        client,
        world,
        agent,
        [
            ("in", at(aug(3), 8, 30)),
            ("out", at(aug(3), 17, 30)),
            ("in", at(aug(10), 15, 0)),
            ("out", at(aug(11), 0, 0)),
        ],
    )
    got = days_of(await month_of(client, world, agent, "2026-08"))
    assert (got[3]["status"], got[3]["shift_code"]) == ("on_time", "early")
    assert (got[4]["status"], got[4]["shift_code"]) == ("absent", "early")
    assert (got[10]["status"], got[10]["shift_code"]) == ("on_time", "late")
    assert (got[11]["status"], got[11]["shift_code"]) == ("absent", "late")


# ---------------------------------------------------------------- "this month" is the department's


async def test_policy_of_this_month_is_the_departments_month(
    client: Client, world: World, sessionmaker: SM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 02:00 UTC on 1 March it is March in Shanghai but still February in New York."""
    from scheduler.attendance import service
    from scheduler.shifts.clock import local_date

    instant = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(service, "local_today", lambda zone: local_date(instant, zone))
    async with sessionmaker() as s:
        dept = Department(
            organisation_id=world.org_id, name="New York", code="NYC", timezone="America/New_York"
        )
        s.add(dept)
        await s.commit()
        ny_id = dept.id
    r = await client.get(f"/departments/{ny_id}/attendance/policy", headers=world.headers("hr"))
    assert r.status_code == 200, r.text
    assert r.json()["month"] == "2027-02"
    r = await client.get(
        f"/departments/{world.cs_id}/attendance/policy", headers=world.headers("hr")
    )
    assert r.json()["month"] == "2027-03"


# ---------------------------------------------------------------- correction requests


async def test_correction_window_boundary_and_rejection(client: Client, world: World) -> None:
    """Default window 7 days: a punch of 7 days ago may be asked for, one of 8 days may not;
    a rejected request stores no punch."""
    from tests.api.requests_setup import decide

    today = dt.datetime.now(SH).date()
    agent = world.headers("agent")

    def body(days_ago: int) -> dict[str, str]:
        day = today - dt.timedelta(days=days_ago)
        return {"direction": "in", "at": at(day, 8, 30), "reason": "forgot to clock in"}

    r = await client.post("/attendance/correction-requests", json=body(8), headers=agent)
    assert_problem(r, 422, field="at")
    r = await client.post("/attendance/correction-requests", json=body(7), headers=agent)
    assert r.status_code == 201, r.text
    request = r.json()
    r = await decide(
        client, world, "manager", request["approval_request_id"], "reject", comment="no proof"
    )
    assert r.status_code == 200, r.text
    r = await client.get(f"/attendance/correction-requests/{request['id']}", headers=agent)
    assert (r.json()["status"], r.json()["result_punch_id"]) == ("rejected", None)
    day = today - dt.timedelta(days=7)
    r = await client.get(
        "/attendance/punches",
        params={"employee_id": world.employees["agent"].id, "month": f"{day:%Y-%m}"},
        headers=world.headers("manager"),
    )
    assert r.json() == []
