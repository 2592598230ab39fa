"""Attendance as payroll reads it: half-day leave, punch pairing, payroll columns, the zh export.

Each test is a finding of the HR/agent audit: the behaviour HR relies on when it pays people from
the monthly export. Rosters are stored directly (``attendance_data.publish``); leave goes through
the API as a manager records it (October 2026 is past, so the manager files it).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import openpyxl
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.attendance.exports import LEAVE_ZH
from scheduler.attendance.service import iter_department
from scheduler.leave.types import DEFAULT_TYPES
from scheduler.org.models import Department
from scheduler.people.models import Employee
from scheduler.rosters.models import Roster, RosterCell, RosterVersion
from tests.api.attendance_data import SNAPSHOT, publish
from tests.api.conftest import World
from tests.api.requests_setup import file_leave
from tests.api.test_attendance import OCT, local

Client = AsyncTestClient[Litestar]
SM = async_sessionmaker[AsyncSession]
LATIN = re.compile(r"[A-Za-z]")


async def punch_all(client: Client, world: World, rows: list[tuple[int, str, str]]) -> None:
    """Store (employee, direction, ISO instant) punches as a manager's upload; all must be new."""
    body = [
        {"employee_id": e, "direction": d, "at": at, "reason": "time clock export"}
        for e, d, at in rows
    ]
    r = await client.post("/attendance/punches/batch", json=body, headers=world.headers("manager"))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == len(rows), r.json()


async def month_of(client: Client, world: World, employee_id: int) -> dict[str, Any]:
    r = await client.get(
        f"/attendance/employees/{employee_id}",
        params={"month": "2026-10"},
        headers=world.headers("hr"),
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def wall(day: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    """A wall-clock time of October as a spreadsheet cell holds it: naive, no zone."""
    return dt.datetime(2026, 10, day, hh, mm, tzinfo=dt.UTC).replace(tzinfo=None)


def by_day(month: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(d["date"][-2:]): d for d in month["days"]}


async def export_csv(
    client: Client, world: World, sheet: str, lang: str = "en", month: str = "2026-10"
) -> list[dict[str, str]]:
    r = await client.get(
        "/attendance/export",
        params={
            "department_id": world.cs_id,
            "month": month,
            "format": "csv",
            "sheet": sheet,
            "lang": lang,
        },
        headers=world.headers("hr"),
    )
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


async def record_leave(client: Client, world: World, **body: Any) -> dict[str, Any]:
    """The department manager records leave for Li Wei; one approval step, taken by filing."""
    r = await file_leave(client, world, "manager", employee_id=world.employees["agent"].id, **body)
    assert r.status_code == 201, r.text
    leave: dict[str, Any] = r.json()
    assert leave["status"] == "approved", leave
    return leave


# ---------------------------------------------------------------- half-day leave


async def test_half_day_leave_expects_the_other_half_and_counts_half_a_day(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    cells: dict[dt.date, str | None] = {OCT.replace(day=d): "early" for d in (21, 22, 23)}
    await publish(sessionmaker, world.cs_id, OCT, {agent: cells})
    pm = await record_leave(
        client, world, type="annual", start_date="2026-10-21", end_date="2026-10-21", half="pm"
    )
    assert (pm["days"], pm["schedule"][0]["start"], pm["schedule"][0]["end"]) == (
        0.5,
        "13:00",
        "17:30",
    )
    await record_leave(
        client, world, type="sick", start_date="2026-10-22", end_date="2026-10-22", half="am"
    )
    await record_leave(
        client, world, type="annual", start_date="2026-10-23", end_date="2026-10-23", half="pm"
    )
    await punch_all(
        client,
        world,
        [
            (agent, "in", local(21, 8, 30)),
            (agent, "out", local(21, 13, 0)),  # PM on leave: the working half ends at 13:00
            (agent, "in", local(22, 13, 0)),  # AM on leave: arriving at the midpoint is on time
            (agent, "out", local(22, 17, 30)),
            # The 23rd: no punch at all in the half he should work.
        ],
    )
    days = by_day(await month_of(client, world, agent))
    d21, d22, d23 = days[21], days[22], days[23]
    assert d21["status"] == "on_time"
    assert d21["early_minutes"] == 0
    assert d21["breaches"] == []
    assert d21["deduction"] == 0
    assert (d21["leave_type"], d21["half"], d21["leave_days"]) == ("annual", "pm", 0.5)
    assert d21["scheduled_start"].startswith("2026-10-21T00:30")  # 08:30 +08:00
    assert d21["scheduled_end"].startswith("2026-10-21T05:00")  # 13:00 +08:00
    assert d21["worked_minutes"] == 270
    assert d22["status"] == "on_time"
    assert d22["late_minutes"] == 0
    assert (d22["leave_type"], d22["half"], d22["leave_days"]) == ("sick", "am", 0.5)
    assert d22["scheduled_start"].startswith("2026-10-22T05:00")
    # Absent from the half not on leave: half a day's absence, not a whole one.
    assert d23["status"] == "absent"
    assert [(b["absence_days"], b["deduction"]) for b in d23["breaches"]] == [(0.5, 100)]
    month = await month_of(client, world, agent)
    s = month["summary"]
    assert s["leave_days"] == {"annual": 1.0, "sick": 0.5}
    assert (s["scheduled_shifts"], s["worked_shifts"], s["absences"]) == (3, 2, 1)
    assert (s["absence_days"], s["total_deduction"]) == (0.5, 100)

    summary = {r["Staff no."]: r for r in await export_csv(client, world, "summary")}
    li = summary["CS001"]
    assert (li["Leave days (annual)"], li["Leave days (sick)"]) == ("1", "0.5")
    detail = {
        r["Date"]: r for r in await export_csv(client, world, "detail") if r["Staff no."] == "CS001"
    }
    assert (detail["2026-10-21"]["Leave type"], detail["2026-10-21"]["Half day"]) == (
        "annual",
        "PM",
    )
    assert detail["2026-10-21"]["Leave (days)"] == "0.5"
    assert detail["2026-10-21"]["Scheduled end"] == "2026-10-21 13:00"
    assert (detail["2026-10-22"]["Leave type"], detail["2026-10-22"]["Half day"]) == ("sick", "AM")
    assert detail["2026-10-22"]["Status"] == "on_time"
    zh = {r["工号"]: r for r in await export_csv(client, world, "summary", "zh")}
    assert (zh["CS001"]["年假天数"], zh["CS001"]["病假天数"]) == ("1", "0.5")


async def test_morning_and_afternoon_leave_make_the_whole_day_leave(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    await publish(sessionmaker, world.cs_id, OCT, {agent: {OCT.replace(day=21): "late"}})
    await record_leave(
        client, world, type="annual", start_date="2026-10-21", end_date="2026-10-21", half="am"
    )
    await record_leave(
        client, world, type="sick", start_date="2026-10-21", end_date="2026-10-21", half="pm"
    )
    month = await month_of(client, world, agent)
    d21 = by_day(month)[21]
    assert (d21["status"], d21["leave_days"], d21["breaches"]) == ("leave", 1.0, [])
    assert month["summary"]["leave_days"] == {"annual": 0.5, "sick": 0.5}
    assert month["summary"]["absences"] == 0


# ---------------------------------------------------------------- punch pairing


async def test_punches_hours_after_a_shift_are_stray_not_lateness_or_overtime(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    cells: dict[dt.date, str | None] = {
        OCT.replace(day=26): "early",
        OCT.replace(day=27): "late",
        OCT.replace(day=28): "early",
        OCT.replace(day=29): "late",
        OCT.replace(day=30): None,
    }
    await publish(sessionmaker, world.cs_id, OCT, {agent: cells})
    await punch_all(
        client,
        world,
        [
            (agent, "in", local(26, 8, 30)),
            (agent, "out", local(26, 17, 30)),
            # An in and an out at the same instant, 4 h 22 min after the early shift ended.
            (agent, "in", local(26, 21, 52)),
            (agent, "out", local(26, 21, 52)),
            (agent, "in", local(27, 15, 0)),
            (agent, "out", local(28, 0, 0)),
            # The same again after the late shift (24:00 + 4 h 22 min): the audit's 802 minutes.
            (agent, "in", local(28, 4, 22)),
            (agent, "out", local(28, 4, 22)),
            (agent, "in", local(28, 8, 29)),
            (agent, "out", local(28, 17, 30)),
            # A late shift with no punch of its own, then a lone pair before a rest day's dawn.
            (agent, "in", local(30, 4, 22)),
            (agent, "out", local(30, 4, 22)),
        ],
    )
    month = await month_of(client, world, agent)
    days = by_day(month)
    assert (days[26]["status"], days[26]["overtime_minutes"], days[26]["worked_minutes"]) == (
        "on_time",
        0,
        540,
    )
    assert len(days[26]["stray_punch_ids"]) == 2
    assert (days[27]["status"], days[27]["late_minutes"], days[27]["overtime_minutes"]) == (
        "on_time",
        0,
        0,
    )
    assert days[27]["worked_minutes"] == 540
    assert (days[28]["status"], days[28]["late_minutes"]) == ("on_time", 0)
    assert len(days[28]["stray_punch_ids"]) == 2
    assert days[28]["first_in"].startswith("2026-10-28T00:29")  # 08:29, not the 04:22 punch
    # A shift nobody clocked for is an absence, not 802 minutes of lateness.
    assert (days[29]["status"], days[29]["late_minutes"], days[29]["punch_ids"]) == (
        "absent",
        0,
        [],
    )
    assert (days[30]["status"], days[30]["worked_minutes"]) == ("rest_day_worked", 0)
    s = month["summary"]
    assert (s["late_count"], s["late_minutes"], s["overtime_minutes"]) == (0, 0, 0)
    assert s["stray_punches"] == 4
    detail = {
        r["Date"]: r for r in await export_csv(client, world, "detail") if r["Staff no."] == "CS001"
    }
    assert detail["2026-10-28"]["Stray punches"] == "in 04:22; out 04:22"


async def test_overtime_is_work_past_the_end_and_pending_days_stay_out_of_totals(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    cells: dict[dt.date, str | None] = {OCT.replace(day=d): "late" for d in (5, 6)}
    await publish(sessionmaker, world.cs_id, OCT, {agent: cells})
    await punch_all(
        client,
        world,
        [
            (agent, "in", local(5, 14, 58)),
            (agent, "out", local(6, 0, 40)),  # 40 minutes past 24:00
            (agent, "in", local(6, 15, 0)),
            (agent, "out", local(7, 0, 30)),  # the 6th's window is still open at 02:00 on the 7th
        ],
    )
    as_of = dt.datetime(2026, 10, 7, 2, 0, tzinfo=dt.UTC) - dt.timedelta(hours=8)
    async with sessionmaker() as s:
        department = await s.get(Department, world.cs_id)
        assert department is not None
        months = {pm.person.staff_no: pm async for pm in iter_department(s, department, OCT, as_of)}
    li = months["CS001"]
    d5, d6 = li.days[4], li.days[5]
    assert (d5.status, d5.overtime_minutes, d5.worked_minutes) == ("on_time", 40, 582)
    assert (d6.status, d6.overtime_minutes) == ("pending", 30)  # shown on the day as it stands
    summary = li.summary
    assert (summary.overtime_minutes, summary.pending_shifts) == (40, 1)
    assert (summary.scheduled_shifts, summary.worked_shifts, summary.working_days) == (1, 1, 1)


# ---------------------------------------------------------------- payroll columns


async def test_holidays_rest_days_and_certificates_in_summary_and_export(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    # Two-day sick leaves, recorded before the roster is published (counted on the calendar).
    overdue = await record_leave(
        client, world, type="sick", start_date="2026-10-13", end_date="2026-10-14"
    )
    assert (overdue["certificate"], overdue["certificate_due"]) == ("overdue", "2026-10-15")
    attached = await record_leave(
        client, world, type="sick", start_date="2026-10-19", end_date="2026-10-20"
    )
    r = await client.post(
        f"/leave-requests/{attached['id']}/certificate",
        json={"reference": "hospital form 2026-311"},
        headers=world.headers("agent"),
    )
    assert r.status_code == 200, r.text
    one_day = await record_leave(
        client, world, type="sick", start_date="2026-10-26", end_date="2026-10-26"
    )
    assert one_day["certificate"] is None
    cells: dict[dt.date, str | None] = {
        OCT.replace(day=1): "early",  # National Day: a statutory holiday
        OCT.replace(day=2): None,  # a statutory holiday on a rest day
        OCT.replace(day=6): "early",  # a day off moved from a weekend: not a statutory holiday
        OCT.replace(day=10): None,  # an ordinary rest day
        OCT.replace(day=13): "leave:sick",
        OCT.replace(day=14): "leave:sick",
        OCT.replace(day=19): "leave:sick",
        OCT.replace(day=20): "leave:sick",
        OCT.replace(day=26): "leave:sick",
    }
    await publish(sessionmaker, world.cs_id, OCT, {agent: cells})
    await punch_all(
        client,
        world,
        [
            (agent, "in", local(1, 8, 30)),
            (agent, "out", local(1, 17, 30)),
            (agent, "in", local(2, 9, 0)),
            (agent, "out", local(2, 13, 0)),
            (agent, "in", local(6, 8, 30)),
            (agent, "out", local(6, 17, 30)),
            (agent, "in", local(10, 10, 0)),
            (agent, "out", local(10, 12, 30)),
        ],
    )
    month = await month_of(client, world, agent)
    s = month["summary"]
    assert (s["holiday_days_worked"], s["holiday_minutes_worked"]) == (2, 540 + 240)
    assert (s["rest_days_worked"], s["rest_day_minutes"]) == (2, 240 + 150)
    assert s["leave_days"] == {"sick": 5.0}
    assert [(c["start_date"], c["status"], c["due"]) for c in s["certificates"]] == [
        ("2026-10-13", "overdue", "2026-10-15"),
        ("2026-10-19", "attached", "2026-10-21"),
    ]
    days = by_day(month)
    assert [d for d in days if days[d]["holiday"]] == [1, 2, 3]

    li = {r["Staff no."]: r for r in await export_csv(client, world, "summary")}["CS001"]
    assert li["Statutory holidays worked (days)"] == "2"
    assert li["Statutory holiday work (minutes)"] == "780"
    assert li["Rest-day work (minutes)"] == "390"
    assert li["Medical certificate (sick leave 2+ days)"] == (
        "2026-10-13~2026-10-14 overdue (due 2026-10-15); 2026-10-19~2026-10-20 attached"
    )
    zh = {r["工号"]: r for r in await export_csv(client, world, "summary", "zh")}["CS001"]
    assert zh["法定节假日出勤天数"] == "2"
    assert zh["病假证明(2天及以上)"] == (
        "2026-10-13~2026-10-14 逾期未交(截止2026-10-15)；2026-10-19~2026-10-20 已提交"
    )


# ---------------------------------------------------------------- the Chinese export


async def test_chinese_export_translates_headers_and_every_coded_value(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    cells: dict[dt.date, str | None] = {
        OCT.replace(day=5): "early",
        OCT.replace(day=6): "early",
        OCT.replace(day=7): "early",
        OCT.replace(day=8): "early",
        OCT.replace(day=12): "leave:annual",
        OCT.replace(day=13): "leave:personal",
    }
    await publish(sessionmaker, world.cs_id, OCT, {agent: cells})
    await punch_all(
        client,
        world,
        [
            (agent, "in", local(5, 8, 40)),  # late 10: tier 1
            (agent, "out", local(5, 17, 30)),
            (agent, "in", local(6, 11, 0)),  # late 150: tier 4, a day's absence
            (agent, "out", local(6, 16, 0)),  # and left 90 minutes early
            (agent, "in", local(7, 8, 30)),  # no clock-out
        ],
    )
    zh_summary = await export_csv(client, world, "summary", "zh")
    header = list(zh_summary[0])
    assert [h for h in header if LATIN.search(h.replace("本月工作天数n", ""))] == []
    assert {"年假天数", "事假天数"} <= set(header)
    zh_detail = [r for r in await export_csv(client, world, "detail", "zh") if r["工号"] == "CS001"]
    assert [h for h in zh_detail[0] if LATIN.search(h)] == []
    days = {r["日期"]: r for r in zh_detail}
    assert days["2026-10-05"]["适用规则"] == "迟到第1档(15分钟以内)"
    # One shift costs at most its absence (payroll audit #1): the early leave beside a day's
    # lateness is capped, and its rule says so (was 1.5 days without a word).
    assert days["2026-10-06"]["适用规则"] == (
        "迟到第4档(超过120分钟)：折算缺勤1天；早退第3档(30–120分钟)：折算缺勤0.5天"
        "；已封顶：同一班次合计最多按旷工计(1天，200)"
    )
    assert (days["2026-10-07"]["缺卡"], days["2026-10-07"]["适用规则"]) == ("缺下班卡", "缺下班卡")
    assert (days["2026-10-08"]["状态"], days["2026-10-08"]["适用规则"]) == ("旷工", "旷工：1天")
    assert (days["2026-10-12"]["假别"], days["2026-10-13"]["假别"]) == ("年假", "事假")
    coded = ("状态", "缺卡", "假别", "适用规则", "法定节假日", "异常打卡")
    assert [(r["日期"], c) for r in zh_detail for c in coded if LATIN.search(r[c])] == []
    # English keeps the policy's own words.
    en = {
        r["Date"]: r for r in await export_csv(client, world, "detail") if r["Staff no."] == "CS001"
    }
    assert en["2026-10-05"]["Rules applied"] == "late tier 1 (up to 15 min)"


def test_every_leave_type_has_a_chinese_name() -> None:
    assert set(DEFAULT_TYPES) <= set(LEAVE_ZH)


async def test_xlsx_has_real_date_and_time_cells_and_numbers(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    await publish(
        sessionmaker,
        world.cs_id,
        OCT,
        {agent: {OCT.replace(day=5): "early", OCT.replace(day=12): "leave:annual"}},
    )
    await punch_all(
        client, world, [(agent, "in", local(5, 8, 40)), (agent, "out", local(5, 17, 30))]
    )
    r = await client.get(
        "/attendance/export",
        params={"department_id": world.cs_id, "month": "2026-10", "lang": "zh"},
        headers=world.headers("hr"),
    )
    assert r.status_code == 200, r.text
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["汇总", "明细"]
    detail = book["明细"]
    header = [c.value for c in detail[1]]
    col = {name: i for i, name in enumerate(header)}
    row = next(
        cells
        for cells in detail.iter_rows(min_row=2)
        if cells[0].value == "CS001" and cells[col["日期"]].value == wall(5)
    )
    date = row[col["日期"]]
    assert (date.is_date, date.number_format) == (True, "yyyy-mm-dd")
    for name, when in (
        ("计划上班", wall(5, 8, 30)),
        ("计划下班", wall(5, 17, 30)),
        ("上班打卡", wall(5, 8, 40)),
        ("下班打卡", wall(5, 17, 30)),
    ):
        cell = row[col[name]]
        assert (cell.is_date, cell.number_format, cell.value) == (
            True,
            "yyyy-mm-dd hh:mm",
            when,
        )
    for name, expected in (("迟到分钟", 10), ("工作分钟", 530), ("扣款", 20)):
        cell = row[col[name]]
        assert (cell.data_type, cell.value) == ("n", expected)
    summary = book["汇总"]
    sh = [c.value for c in summary[1]]
    li = next(cells for cells in summary.iter_rows(min_row=2) if cells[0].value == "CS001")
    values = {h: c for h, c in zip(sh, li, strict=True)}
    for name, expected in (("迟到次数", 1), ("扣款合计", 20), ("年假天数", 1), ("出勤班次", 1)):
        assert (values[name].data_type, values[name].value) == ("n", expected)


# ---------------------------------------------------------------- who gets a row, in which team


async def _roster(
    sm: SM,
    department_id: int,
    team_id: int | None,
    cells: dict[int, dict[dt.date, str | None]],
    problem: dict[str, Any] | None = None,
) -> None:
    """A published roster of October for a team (or the department, with its problem)."""
    async with sm() as s:
        roster = Roster(
            department_id=department_id,
            team_id=team_id,
            scope_key=f"team:{team_id}" if team_id else f"department:{department_id}",
            month=OCT,
        )
        s.add(roster)
        await s.flush()
        version = RosterVersion(
            roster_id=roster.id,
            number=1,
            status="published",
            origin="edit",
            shift_snapshot=SNAPSHOT,
            problem=problem or {},
            published_at=dt.datetime(2026, 9, 25, tzinfo=dt.UTC),
        )
        s.add(version)
        await s.flush()
        for employee_id, days in cells.items():
            for day, shift in days.items():
                s.add(
                    RosterCell(
                        version_id=version.id, employee_id=employee_id, date=day, shift_code=shift
                    )
                )
        await s.commit()


async def test_rows_only_for_people_employed_and_in_their_rostered_team(
    client: Client, world: World, sessionmaker: SM
) -> None:
    li, wang = world.employees["agent"].id, world.employees["agent2"].id
    async with sessionmaker() as s:
        s.add(
            Employee(
                staff_no="CS003",
                name="Chen Jing",
                department_id=world.cs_id,
                team_id=world.team_a,
                hire_date=dt.date(2026, 11, 2),
                flags=[],
            )
        )
        await s.commit()
    # Li Wei (now team A) was rostered in team B's October roster; Wang Fang (now team B) in
    # the department roster, whose problem recorded her in team A that month.
    await _roster(sessionmaker, world.cs_id, world.team_b, {li: {OCT.replace(day=5): "early"}})
    await _roster(
        sessionmaker,
        world.cs_id,
        None,
        {wang: {OCT.replace(day=5): "late", OCT.replace(day=6): "late"}},
        problem={"staff": [{"id": str(wang), "name": "Wang Fang", "team": "A"}]},
    )
    rows = {r["Staff no."]: r for r in await export_csv(client, world, "summary")}
    assert set(rows) == {"CS001", "CS002"}  # Chen Jing was hired in November
    assert (rows["CS001"]["Team"], rows["CS002"]["Team"]) == ("B", "A")
    detail = await export_csv(client, world, "detail")
    assert {r["Staff no."] for r in detail} == {"CS001", "CS002"}
    november = {r["Staff no."] for r in await export_csv(client, world, "summary", month="2026-11")}
    assert "CS003" in november
