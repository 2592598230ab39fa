"""The payroll audit of the month-end export: each test is one finding, and fails without its fix.

HR pays people from ``GET /attendance/export`` and checks single people with
``GET /attendance/employees/{id}``; the audit compared both with what payroll needs. Rosters are
stored directly (``attendance_data.publish``, an early 08:30-17:30 and a late 15:00-24:00 shift),
punches go in as a manager's upload, and October 2026 is a month already judged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from scheduler.attendance.models import AttendancePolicy
from scheduler.attendance.policy import DEFAULT_POLICY, Policy, policy_from_document, tier_penalty
from scheduler.errors import ValidationFailedError
from scheduler.people.models import Employee
from tests.api.attendance_data import publish
from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.api.test_attendance import OCT, SH, local
from tests.api.test_attendance_payroll import (
    SM,
    Client,
    by_day,
    export_csv,
    month_of,
    punch_all,
    record_leave,
)


def local_s(day: int, hh: int, mm: int, ss: int) -> str:
    """An October wall-clock instant in Shanghai, to the second."""
    return dt.datetime(2026, 10, day, hh, mm, ss, tzinfo=SH).isoformat()


def cells_of(days: dict[int, str | None]) -> dict[dt.date, str | None]:
    return {OCT.replace(day=d): code for d, code in days.items()}


def number(text: str) -> float:
    return float(text) if text else 0.0


async def put_employee(sm: SM, employee_id: int, **values: Any) -> None:
    async with sm() as s:
        await s.execute(update(Employee).where(Employee.id == employee_id).values(**values))
        await s.commit()


async def manager_punch(
    client: Client, world: World, employee_id: int, direction: str, at: str
) -> Any:
    return await client.post(
        "/attendance/punches",
        json={"direction": direction, "at": at, "employee_id": employee_id, "reason": "clock"},
        headers=world.headers("manager"),
    )


async def seed_mixed_month(client: Client, world: World, sm: SM) -> int:
    """Li Wei's October with a breach of every kind; his id.

    5th on time (4 min within the grace), 6th late 10 and left 10 early (tier 1 each), 7th
    late 45 (half a day's absence), 8th absent, 9th a late shift with 45 min of overtime, 10th
    a late shift worked 18:00-21:00 only (late 180 and early 180), 11th only a clock-out at
    10:00 (missing clock-in beside 450 minutes of early leave).
    """
    agent = world.employees["agent"].id
    shifts = {5: "early", 6: "early", 7: "early", 8: "early", 9: "late", 10: "late", 11: "early"}
    await publish(sm, world.cs_id, OCT, {agent: cells_of(dict(shifts))})
    await punch_all(
        client,
        world,
        [
            (agent, "in", local(5, 8, 34)),
            (agent, "out", local(5, 17, 30)),
            (agent, "in", local(6, 8, 40)),
            (agent, "out", local(6, 17, 20)),
            (agent, "in", local(7, 9, 15)),
            (agent, "out", local(7, 17, 30)),
            (agent, "in", local(9, 15, 0)),
            (agent, "out", local(10, 0, 45)),
            (agent, "in", local(10, 18, 0)),
            (agent, "out", local(10, 21, 0)),
            (agent, "out", local(11, 10, 0)),
        ],
    )
    return agent


# ---------------------------------------------------------------- 1. one shift, one absence


async def test_one_shift_never_costs_more_than_not_showing_up(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = await seed_mixed_month(client, world, sessionmaker)
    days = by_day(await month_of(client, world, agent))
    no_show = days[8]
    assert (no_show["status"], no_show["deduction"]) == ("absent", 200)
    # Late 180 and left 180 early: one day's absence, the no-show's 200 (was 2 days, 400).
    worked_three_hours = days[10]
    assert worked_three_hours["status"] == "late_and_early"
    assert sum(b["absence_days"] for b in worked_three_hours["breaches"]) == 1.0
    assert worked_three_hours["deduction"] == no_show["deduction"]
    assert (
        "capped: one shift counts at most as its absence (1 day, 200)"
        in (worked_three_hours["breaches"][1]["rule"])
    )
    assert [b["capped"] for b in worked_three_hours["breaches"]] == [False, True]
    # A missing clock-in beside a day's early leave: 200, not 230.
    only_out = days[11]
    assert (only_out["status"], only_out["missing"]) == ("missing_punch", "in")
    assert only_out["deduction"] == 200
    assert sum(b["absence_days"] for b in only_out["breaches"]) == 1.0


# ---------------------------------------------------------------- 2. escalation vs absence


def test_escalation_never_prices_a_lateness_above_an_absence() -> None:
    absent = DEFAULT_POLICY.absence_deduction
    for minutes in (60, 180):  # half a day's and a day's absence by the default tiers
        p = tier_penalty(DEFAULT_POLICY, "late", minutes, escalated=True)
        assert p.deduction <= absent
        assert p.escalated
    assert tier_penalty(DEFAULT_POLICY, "late", 180, escalated=True).deduction == absent
    assert tier_penalty(DEFAULT_POLICY, "late", 60, escalated=True).deduction == absent / 2
    # A tier priced by a deduction is still escalated.
    assert tier_penalty(DEFAULT_POLICY, "late", 10, escalated=True).deduction == 40
    # ... but never above an absence, even with a steep factor.
    steep = Policy(escalation_factor=10.0)
    assert tier_penalty(steep, "late", 20, escalated=True).deduction == absent


async def test_fourth_lateness_of_three_hours_costs_an_absence(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    await publish(
        sessionmaker, world.cs_id, OCT, {agent: cells_of(dict.fromkeys(range(1, 6), "early"))}
    )
    rows = [(agent, "in", local(d, 8, 40)) for d in (1, 2, 3, 5)] + [
        (agent, "in", local(4, 11, 30))
    ]
    rows += [(agent, "out", local(d, 17, 30)) for d in range(1, 6)]
    await punch_all(client, world, rows)
    days = by_day(await month_of(client, world, agent))
    fourth = days[4]["breaches"][0]
    assert (fourth["escalated"], fourth["deduction"]) == (True, 200)  # was 400
    assert "not on absence" in fourth["rule"]
    assert days[5]["breaches"][0]["deduction"] == 40  # the 5th, tier 1, still doubled


# ---------------------------------------------------------------- 3 and 5. detail = summary


async def test_export_detail_adds_up_to_the_summary(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await seed_mixed_month(client, world, sessionmaker)
    for lang, staff, keys in (
        (
            "en",
            "Staff no.",
            (
                ("Late (minutes)", "Late (minutes)"),
                ("Left early (minutes)", "Left early (minutes)"),
                ("Counted as absence (days)", None),
                ("Deduction", "Total deduction"),
                ("Overtime (minutes)", "Overtime (minutes)"),
            ),
        ),
        (
            "zh",
            "工号",
            (
                ("迟到分钟", "迟到分钟"),
                ("早退分钟", "早退分钟"),
                ("折算缺勤天数", None),
                ("扣款", "扣款合计"),
                ("加班分钟", "加班分钟"),
            ),
        ),
    ):
        summary = {r[staff]: r for r in await export_csv(client, world, "summary", lang)}["CS001"]
        detail = [r for r in await export_csv(client, world, "detail", lang) if r[staff] == "CS001"]
        absence_header = next(
            h for h in summary if h.startswith(("Counted as absence", "折算缺勤"))
        )
        for in_detail, in_summary in keys:
            total = sum(number(r[in_detail]) for r in detail)
            assert total == number(summary[in_summary or absence_header]), (lang, in_detail)
        dated = {r["Date" if lang == "en" else "日期"]: r for r in detail}
        # 4 minutes within the grace is no lateness: 0 in the detail, as in the summary.
        assert dated["2026-10-05"]["Late (minutes)" if lang == "en" else "迟到分钟"] == "0"
    en = {r["Staff no."]: r for r in await export_csv(client, world, "summary")}["CS001"]
    # Only the 6th's 10 minutes are lateness; the 7th's and 10th's count as absence (audit 5).
    assert (en["Late (times)"], en["Late (minutes)"]) == ("1", "10")
    assert (en["Left early (times)"], en["Left early (minutes)"]) == ("1", "10")
    assert en["Total deduction"] == str(20 + 20 + 100 + 200 + 200 + 200)
    assert number(next(v for h, v in en.items() if h.startswith("Counted as absence"))) == 3.5
    assert en["Overtime (minutes)"] == "45"


# ---------------------------------------------------------------- 4. absence in days


async def test_absence_beside_half_day_leave_is_half_a_day(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    await publish(sessionmaker, world.cs_id, OCT, {agent: cells_of({23: "early", 26: "early"})})
    await record_leave(
        client, world, type="annual", start_date="2026-10-23", end_date="2026-10-23", half="am"
    )
    summary = (await month_of(client, world, agent))["summary"]
    assert (summary["absences"], summary["absent_days"]) == (2, 1.5)
    en = {r["Staff no."]: r for r in await export_csv(client, world, "summary")}["CS001"]
    assert en["Absent without leave (days)"] == "1.5"  # was 2 (breaches counted)
    zh = {r["工号"]: r for r in await export_csv(client, world, "summary", "zh")}["CS001"]
    assert zh["旷工天数"] == "1.5"


# ---------------------------------------------------------------- 6. overtime after the shift


async def test_overtime_on_a_half_day_starts_at_the_shift_end(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    await publish(sessionmaker, world.cs_id, OCT, {agent: cells_of({21: "late", 22: "late"})})
    for day in ("2026-10-21", "2026-10-22"):
        await record_leave(client, world, type="annual", start_date=day, end_date=day, half="pm")
    await punch_all(
        client,
        world,
        [
            (agent, "in", local(21, 15, 0)),
            (agent, "out", local(21, 22, 0)),  # stayed on into the half on leave
            (agent, "in", local(22, 15, 0)),
            (agent, "out", local(23, 0, 40)),  # and past the shift's own end (24:00)
        ],
    )
    days = by_day(await month_of(client, world, agent))
    assert days[21]["scheduled_end"].startswith("2026-10-21T11:30")  # 19:30 local
    assert (days[21]["status"], days[21]["overtime_minutes"]) == ("on_time", 0)  # was 150
    assert days[21]["worked_minutes"] == 420
    assert days[22]["overtime_minutes"] == 40  # only after 24:00


# ---------------------------------------------------------------- 7. a double tap


async def test_a_double_tap_does_not_end_the_shift(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    await publish(sessionmaker, world.cs_id, OCT, {agent: cells_of({10: "late"})})
    await punch_all(
        client,
        world,
        [
            (agent, "in", local(10, 14, 59)),
            (agent, "out", local_s(10, 15, 0, 30)),  # tapped twice at the clock
            (agent, "out", local(11, 0, 45)),  # the real clock-out
        ],
    )
    day = by_day(await month_of(client, world, agent))[10]
    assert day["status"] == "on_time"
    assert day["worked_minutes"] == 9 * 60 + 46  # 14:59 to 00:45 (was 1)
    assert day["overtime_minutes"] == 45  # (was 0)


# ---------------------------------------------------------------- 8. before the hire date


async def test_days_before_the_hire_date_are_not_employed_and_refuse_punches(
    client: Client, world: World, sessionmaker: SM
) -> None:
    wang = world.employees["agent2"].id
    await put_employee(sessionmaker, wang, hire_date=dt.date(2026, 10, 15))
    await publish(sessionmaker, world.cs_id, OCT, {wang: cells_of({10: "early", 20: "early"})})
    r = await manager_punch(client, world, wang, "in", local(12, 8, 30))
    assert_problem(r, 422, field="at")  # was 201, a rest day worked before he was hired
    assert "2026-10-15" in r.json()["detail"]
    r = await manager_punch(client, world, wang, "in", local(15, 8, 30))
    assert r.status_code == 201, r.text
    device = await client.post(
        f"/departments/{world.cs_id}/attendance/devices",
        json={"name": "Front door"},
        headers=world.headers("manager"),
    )
    auth = {"Authorization": device.json()["authorization"]}
    # 23:00 on the 14th in Shanghai is refused; 00:30 on the 15th (still the 14th in UTC) is not.
    for at, status in ((local(14, 23, 0), 422), (local(15, 0, 30), 201)):
        r = await client.post(
            "/attendance/device/punches",
            json={"direction": "in", "at": at, "employee_id": wang},
            headers={**auth, "Idempotency-Key": at},
        )
        assert r.status_code == status, r.text

    r = await client.get(
        f"/attendance/employees/{wang}", params={"month": "2026-10"}, headers=world.headers("hr")
    )
    month = r.json()
    days = by_day(month)
    assert month["hire_date"] == "2026-10-15"
    assert {days[d]["status"] for d in range(1, 15)} == {"not_employed"}  # the 10th: not absent
    assert month["summary"]["scheduled_shifts"] == 1
    assert month["summary"]["absences"] == 1  # the 20th only
    summary = {r["Staff no."]: r for r in await export_csv(client, world, "summary")}["CS002"]
    assert (summary["Hire date"], summary["Last working day"]) == ("2026-10-15", "")
    detail = {
        r["Date"]: r for r in await export_csv(client, world, "detail") if r["Staff no."] == "CS002"
    }
    assert detail["2026-10-10"]["Status"] == "not_employed"
    zh = [r for r in await export_csv(client, world, "detail", "zh") if r["工号"] == "CS002"]
    assert zh[0]["状态"] == "未在职"


# ---------------------------------------------------------------- 9. a leaver's last late shift


async def test_a_leavers_clock_out_after_midnight_closes_the_last_shift(
    client: Client, world: World, sessionmaker: SM
) -> None:
    wang = world.employees["agent2"].id
    await publish(sessionmaker, world.cs_id, OCT, {wang: cells_of({19: "early", 20: "late"})})
    await put_employee(sessionmaker, wang, active=False, left_on=dt.date(2026, 10, 20))
    r = await manager_punch(client, world, wang, "in", local(20, 15, 0))
    assert r.status_code == 201, r.text
    r = await manager_punch(client, world, wang, "out", local(21, 0, 10))
    assert r.status_code == 201, r.text  # was 422 "a punch after the end of that day"
    r = await manager_punch(client, world, wang, "in", local(21, 8, 30))
    assert_problem(r, 422, field="at")  # the next day's work is still refused
    r = await manager_punch(client, world, wang, "out", local(22, 0, 10))
    assert_problem(r, 422, field="at")

    r = await client.get(
        f"/attendance/employees/{wang}", params={"month": "2026-10"}, headers=world.headers("hr")
    )
    month = r.json()
    days = by_day(month)
    assert days[20]["status"] == "on_time"
    assert days[20]["last_out"].startswith("2026-10-20T16:10")  # 00:10 on the 21st
    assert {days[d]["status"] for d in range(21, 32)} == {"not_employed"}
    assert month["left_on"] == "2026-10-20"
    summary = {r["Staff no."]: r for r in await export_csv(client, world, "summary")}["CS002"]
    assert (summary["Hire date"], summary["Last working day"]) == ("2025-01-06", "2026-10-20")


# ---------------------------------------------------------------- 10. whole-number deductions


def test_a_fractional_tier_deduction_is_refused_not_truncated() -> None:
    tiers: list[dict[str, Any]] = [
        {"up_to_minutes": 15, "deduction": 12.5},
        {"up_to_minutes": None, "deduction": 50},
    ]
    with pytest.raises(ValidationFailedError) as caught:
        policy_from_document({"late_tiers": tiers})
    assert [e["field"] for e in caught.value.errors] == ["late_tiers[0]"]
    assert "whole numbers" in caught.value.detail
    whole = policy_from_document({"late_tiers": [{**tiers[0], "deduction": 12}, tiers[1]]})
    assert whole.late_tiers[0].deduction == 12


async def test_the_api_refuses_a_fractional_tier_deduction(client: Client, world: World) -> None:
    r = await client.put(
        f"/departments/{world.cs_id}/attendance/policy",
        json={
            "effective_from": "2027-01-01",
            "policy": {"early_tiers": [{"up_to_minutes": None, "deduction": 12.5}]},
        },
        headers=world.headers("manager"),
    )
    assert_problem(r, 422, field="early_tiers[0]")


# ---------------------------------------------------------------- 11. the policy and its unit


async def test_the_summary_names_the_policy_and_the_deduction_unit(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await seed_mixed_month(client, world, sessionmaker)
    en = {r["Staff no."]: r for r in await export_csv(client, world, "summary")}["CS001"]
    assert (
        en["Attendance policy (effective from)"],
        en["Grace (minutes)"],
        en["Deduction unit"],
    ) == ("default", "5", "points")
    zh = {r["工号"]: r for r in await export_csv(client, world, "summary", "zh")}["CS001"]
    assert (zh["考勤制度(生效日期)"], zh["宽限分钟"], zh["扣款单位"]) == ("系统默认", "5", "分")

    async with sessionmaker() as s:
        document = Policy(grace_minutes=10, deduction_unit="CNY").to_document()
        s.add(
            AttendancePolicy(
                department_id=world.cs_id, effective_from=OCT, revision=1, document=document
            )
        )
        await s.commit()
    en = {r["Staff no."]: r for r in await export_csv(client, world, "summary")}["CS001"]
    assert (
        en["Attendance policy (effective from)"],
        en["Grace (minutes)"],
        en["Deduction unit"],
    ) == ("2026-10-01 (revision 1)", "10", "CNY")
    zh = {r["工号"]: r for r in await export_csv(client, world, "summary", "zh")}["CS001"]
    assert (zh["考勤制度(生效日期)"], zh["扣款单位"]) == ("2026-10-01(第1版)", "CNY")
    r = await client.get(
        "/attendance/export",
        params={"department_id": world.cs_id, "month": "2026-10", "format": "xlsx"},
        headers=world.headers("hr"),
    )
    sheet = list(openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)["Summary"].values)
    li = dict(zip(sheet[0], next(row for row in sheet if row[0] == "CS001"), strict=True))
    assert (li["Attendance policy (effective from)"], li["Deduction unit"]) == (
        "2026-10-01 (revision 1)",
        "CNY",
    )
    assert li["Hire date"] == dt.datetime(2024, 3, 1, tzinfo=dt.UTC).replace(
        tzinfo=None
    )  # a date cell


# ---------------------------------------------------------------- 12. overtime threshold


async def test_every_minute_past_midnight_is_overtime_and_a_threshold_drops_slack(
    client: Client, world: World, sessionmaker: SM
) -> None:
    # DOMAIN.md: the late shift extends past 24:00 and the extra time is overtime, so by
    # default every minute counts; a company threshold drops a few minutes of clock slack.
    assert DEFAULT_POLICY.overtime_min_minutes == 0
    agent = world.employees["agent"].id
    await publish(sessionmaker, world.cs_id, OCT, {agent: cells_of({5: "early", 6: "late"})})
    await punch_all(
        client,
        world,
        [
            (agent, "in", local(5, 8, 25)),
            (agent, "out", local(5, 17, 39)),  # 9 minutes of slack
            (agent, "in", local(6, 14, 55)),
            (agent, "out", local(7, 0, 20)),  # 20 minutes past midnight
        ],
    )
    days = by_day(await month_of(client, world, agent))
    assert (days[5]["overtime_minutes"], days[6]["overtime_minutes"]) == (9, 20)
    async with sessionmaker() as s:
        document = Policy(overtime_min_minutes=15).to_document()
        s.add(
            AttendancePolicy(
                department_id=world.cs_id, effective_from=OCT, revision=1, document=document
            )
        )
        await s.commit()
    days = by_day(await month_of(client, world, agent))
    assert (days[5]["overtime_minutes"], days[6]["overtime_minutes"]) == (0, 20)


# ---------------------------------------------------------------- 13. the CLI's month message


async def test_cli_says_why_a_month_is_refused() -> None:
    from api.cli import main

    result = await asyncio.to_thread(
        CliRunner().invoke,
        main,
        ["export", "attendance", "--department", "CS", "--month", "1999-01", "--format", "csv"],
    )
    assert result.exit_code != 0
    assert "outside the years 2000-2100" in result.output  # was "'1999-01' is not YYYY-MM"
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["export", "attendance", "--month", "Jan", "--format", "csv"]
    )
    assert "is not YYYY-MM" in result.output
