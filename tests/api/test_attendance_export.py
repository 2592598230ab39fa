"""HR's attendance exports: the figures match the derived attendance."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.attendance.service import iter_department
from scheduler.org.models import Department
from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.api.test_attendance import EXPECTED_SUMMARY, seed_october

Client = AsyncTestClient[Litestar]


async def test_xlsx_export_matches_derived_attendance(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    agent = await seed_october(client, world, sessionmaker)
    derived = (
        await client.get(
            f"/attendance/employees/{agent}",
            params={"month": "2026-10"},
            headers=world.headers("hr"),
        )
    ).json()
    r = await client.get(
        "/attendance/export",
        params={"department_id": world.cs_id, "month": "2026-10", "format": "xlsx"},
        headers=world.headers("hr"),
    )
    assert r.status_code == 200, r.text
    assert "attendance-CS-2026-10.xlsx" in r.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert book.sheetnames == ["Summary", "Detail"]
    summary = list(book["Summary"].iter_rows(values_only=True))
    header = list(summary[0])
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in summary[1:]}
    assert set(rows) == {"CS001", "CS002"}  # only this department's people
    li = rows["CS001"]
    s = derived["summary"]
    assert s == EXPECTED_SUMMARY
    assert li["Scheduled shifts"] == s["scheduled_shifts"]
    assert li["Worked shifts"] == s["worked_shifts"]
    assert (li["Late (times)"], li["Late (minutes)"]) == (s["late_count"], s["late_minutes"])
    assert (li["Left early (times)"], li["Left early (minutes)"]) == (
        s["early_count"],
        s["early_minutes"],
    )
    assert li["Absent without leave (days)"] == s["absences"]
    assert li["Missing punches"] == s["missing_punches"]
    assert li["Leave days (annual)"] == 1
    assert li["Leave days (sick)"] == 1
    assert li["Overtime (minutes)"] == s["overtime_minutes"]
    assert li["Rest days worked"] == s["rest_days_worked"]
    assert li["Total deduction"] == s["total_deduction"]
    assert li["Working days n"] == s["working_days"]

    detail = list(book["Detail"].iter_rows(values_only=True))
    dh = list(detail[0])
    days = [dict(zip(dh, row, strict=True)) for row in detail[1:] if row[0] == "CS001"]
    assert len(days) == 31
    assert len(detail) == 1 + 2 * 31
    by_date = {d["Date"].date().isoformat(): d for d in days}  # real date cells
    for day in derived["days"]:
        row = by_date[day["date"]]
        assert row["Status"] == day["status"]
        # The detail shows the lateness the summary counts (payroll audit #3, #5): breaches
        # beyond the grace not counted as absence; not the measured 4 minutes of the 2nd.
        counted = sum(
            b["minutes"] for b in day["breaches"] if b["kind"] == "late" and not b["as_absence"]
        )
        assert row["Late (minutes)"] == counted
        assert row["Deduction"] == day["deduction"]
    clock_out = dt.datetime(2026, 10, 11, 0, 45, tzinfo=dt.UTC).replace(tzinfo=None)  # wall clock
    assert by_date["2026-10-10"]["Clock-out"] == clock_out
    assert by_date["2026-10-10"]["Overtime (minutes)"] == 45
    # The 5th's lateness was charged as absence, so the 6th is the third lateness: no x2.
    assert "tier 4" in by_date["2026-10-06"]["Rules applied"]
    assert "x2" not in by_date["2026-10-06"]["Rules applied"]
    assert by_date["2026-10-12"]["Leave type"] == "annual"


async def test_csv_exports_in_chinese_and_for_every_department(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await seed_october(client, world, sessionmaker)
    r = await client.get(
        "/attendance/export",
        params={"month": "2026-10", "format": "csv", "lang": "zh"},
        headers=world.headers("hr"),
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["工号", "姓名", "部门"]
    assert "本月工作天数n" in rows[0]
    assert {row[0] for row in rows[1:]} == {"CS001", "CS002", "SA001"}
    li = dict(zip(rows[0], next(row for row in rows if row[0] == "CS001"), strict=True))
    # 2 lateness (the 5th and 6th count as absence), 700 (the 6th is 200, not 400): audit #2, #5
    assert (li["迟到次数"], li["扣款合计"], li["本月工作天数n"]) == ("2", "700", "11")

    r = await client.get(
        "/attendance/export",
        params={
            "department_id": world.cs_id,
            "month": "2026-10",
            "format": "csv",
            "sheet": "detail",
            "lang": "zh",
        },
        headers=world.headers("manager"),
    )
    detail = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(detail) == 1 + 2 * 31
    assert {row[9] for row in detail[1:]} >= {"旷工", "迟到", "请假", "休息日出勤"}

    r = await client.get(
        "/attendance/export", params={"month": "2026-10"}, headers=world.headers("manager")
    )
    assert_problem(r, 403)
    r = await client.get(
        "/attendance/export",
        params={"month": "2026-10", "department_id": world.cs_id},
        headers=world.headers("agent"),
    )
    assert_problem(r, 403)
    r = await client.get(
        "/attendance/export",
        params={"month": "2026-10", "department_id": world.sales_id},
        headers=world.headers("manager"),
    )
    assert_problem(r, 404)
    r = await client.get(
        "/attendance/export",
        params={"month": "October", "department_id": world.cs_id},
        headers=world.headers("hr"),
    )
    assert_problem(r, 422, field="month")


async def test_cli_export(
    client: Client,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    monkeypatch: object,
) -> None:
    import pytest

    from api.cli import main

    await seed_october(client, world, sessionmaker)
    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    from scheduler.settings import get_settings

    mp.setenv("DATABASE_URL", database_url)
    mp.setenv("ROTA_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
    get_settings.cache_clear()
    out = tmp_path / "a.xlsx"
    import asyncio

    result = await asyncio.to_thread(
        CliRunner().invoke,
        main,
        [
            "export",
            "attendance",
            "--department",
            "CS",
            "--month",
            "2026-10",
            "--format",
            "xlsx",
            "--out",
            str(out),
        ],
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out, read_only=True)
    summary = list(book["Summary"].iter_rows(values_only=True))
    li = dict(zip(summary[0], next(r for r in summary if r[0] == "CS001"), strict=True))
    assert li["Total deduction"] == 700  # was 900: audit #2 (the 6th costs an absence, 200)


async def test_export_reads_the_same_in_small_chunks(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The next chunk is loaded while one is derived: chunk size must not change any figure."""
    await seed_october(client, world, sessionmaker)
    as_of = dt.datetime(2026, 11, 15, tzinfo=dt.UTC)
    async with sessionmaker() as s:
        department = await s.get(Department, world.cs_id)
        assert department is not None
        whole = [
            (pm.person.staff_no, pm.summary, pm.days)
            async for pm in iter_department(s, department, dt.date(2026, 10, 1), as_of)
        ]
        one_by_one = [
            (pm.person.staff_no, pm.summary, pm.days)
            async for pm in iter_department(s, department, dt.date(2026, 10, 1), as_of, chunk=1)
        ]
    assert [staff_no for staff_no, _, _ in whole] == ["CS001", "CS002"]
    assert one_by_one == whole
    assert whole[0][1].late_count > 0  # the seeded month has breaches to compare
