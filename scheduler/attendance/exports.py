"""HR's monthly attendance exports: CSV and XLSX, a summary and a per-day detail.

Both formats are produced as a stream: people are derived a chunk at a time
(``service.iter_department``) and each chunk is written out before the next is read, so memory
stays flat however many people a department has. CSV yields bytes as it goes; XLSX is written by
xlsxwriter in ``constant_memory`` mode (each row goes to a temporary file as it is written) and
the finished file is then read back in blocks. The XLSX writing runs in a worker thread, chunk by
chunk, so the event loop keeps serving other requests.

The summary has one row per person: the figures of ``derive.MonthSummary`` plus the working days
n of the month that the monthly review of DOMAIN.md (000 第四章) needs; the detail has one row per
person per day with every breach's rule, so HR can see why a deduction was made.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.attendance.derive import DayResult, MonthSummary, local_date, zone_info
from scheduler.attendance.service import PersonMonth, iter_department, leave_types_of
from scheduler.org.models import Department

LANGS = ("en", "zh")
FORMATS = ("csv", "xlsx")
SHEETS = ("summary", "detail")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READ_BLOCK = 256 * 1024
CSV_FLUSH = 64 * 1024

STATUS_ZH = {
    "on_time": "正常",
    "late": "迟到",
    "early_leave": "早退",
    "late_and_early": "迟到早退",
    "missing_punch": "缺卡",
    "absent": "旷工",
    "leave": "请假",
    "rest": "休息",
    "rest_day_worked": "休息日出勤",
    "pending": "待定",
    "no_roster": "无排班",
    "worked_no_roster": "无排班出勤",
}

#: (key, English header, Chinese header) of the summary sheet; leave columns are added per type.
SUMMARY_COLUMNS: list[tuple[str, str, str]] = [
    ("staff_no", "Staff no.", "工号"),
    ("name", "Name", "姓名"),
    ("department", "Department", "部门"),
    ("team", "Team", "班组"),
    ("scheduled_shifts", "Scheduled shifts", "排班班次"),
    ("worked_shifts", "Worked shifts", "出勤班次"),
    ("late_count", "Late (times)", "迟到次数"),
    ("late_minutes", "Late (minutes)", "迟到分钟"),
    ("early_count", "Left early (times)", "早退次数"),
    ("early_minutes", "Left early (minutes)", "早退分钟"),
    ("absences", "Absent without leave (days)", "旷工天数"),
    ("missing_punches", "Missing punches", "缺卡次数"),
    ("overtime_minutes", "Overtime (minutes)", "加班分钟"),
    ("rest_days_worked", "Rest days worked", "休息日出勤天数"),
    ("absence_days", "Counted as absence (days)", "折算缺勤天数"),
    ("total_deduction", "Total deduction", "扣款合计"),
    ("working_days", "Working days n", "本月工作天数n"),
]

DETAIL_COLUMNS: list[tuple[str, str, str]] = [
    ("staff_no", "Staff no.", "工号"),
    ("name", "Name", "姓名"),
    ("department", "Department", "部门"),
    ("date", "Date", "日期"),
    ("shift", "Shift", "班次"),
    ("scheduled_start", "Scheduled start", "计划上班"),
    ("scheduled_end", "Scheduled end", "计划下班"),
    ("first_in", "Clock-in", "上班打卡"),
    ("last_out", "Clock-out", "下班打卡"),
    ("status", "Status", "状态"),
    ("late_minutes", "Late (minutes)", "迟到分钟"),
    ("early_minutes", "Left early (minutes)", "早退分钟"),
    ("overtime_minutes", "Overtime (minutes)", "加班分钟"),
    ("worked_minutes", "Worked (minutes)", "工作分钟"),
    ("missing", "Missing punch", "缺卡"),
    ("leave_type", "Leave type", "假别"),
    ("deduction", "Deduction", "扣款"),
    ("rules", "Rules applied", "适用规则"),
]


@dataclass(frozen=True, slots=True)
class ExportSpec:
    """What to export."""

    departments: Sequence[Department]
    month: dt.date
    lang: str = "en"
    as_of: dt.datetime | None = None


def summary_header(lang: str, leave_types: Sequence[str]) -> list[str]:
    """The summary's column titles; one leave column per leave type present."""
    zh = lang == "zh"
    head = [z if zh else e for _, e, z in SUMMARY_COLUMNS]
    leave = [f"请假天数({t})" if zh else f"Leave days ({t})" for t in leave_types]
    return head[:13] + leave + head[13:]


def detail_header(lang: str) -> list[str]:
    """The detail's column titles."""
    return [z if lang == "zh" else e for _, e, z in DETAIL_COLUMNS]


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def summary_row(pm: PersonMonth, department: Department, leave_types: Sequence[str]) -> list[Any]:
    """One person's summary row, in ``summary_header`` order."""
    s: MonthSummary = pm.summary
    head = [
        pm.person.staff_no,
        pm.person.name,
        department.name,
        pm.person.team or "",
        s.scheduled_shifts,
        s.worked_shifts,
        s.late_count,
        s.late_minutes,
        s.early_count,
        s.early_minutes,
        s.absences,
        s.missing_punches,
        s.overtime_minutes,
    ]
    leave = [s.leave_days.get(t, 0) for t in leave_types]
    tail = [
        s.rest_days_worked,
        _number(s.absence_days),
        _number(s.total_deduction),
        s.working_days,
    ]
    return head + leave + tail


def _local(value: dt.datetime | None, zone: str) -> str:
    """``2026-10-01 08:30`` on the zone's wall clock (isoformat: C, unlike strftime)."""
    if value is None:
        return ""
    return value.astimezone(zone_info(zone)).replace(tzinfo=None).isoformat(" ", "minutes")


def detail_row(pm: PersonMonth, department: Department, day: DayResult, lang: str) -> list[Any]:
    """One person-day, in ``detail_header`` order (times on the department's wall clock)."""
    zone = department.timezone
    status = STATUS_ZH.get(day.status, day.status) if lang == "zh" else day.status
    return [
        pm.person.staff_no,
        pm.person.name,
        department.name,
        day.date.isoformat(),
        day.shift_name or day.shift_code or "",
        _local(day.scheduled_start, zone),
        _local(day.scheduled_end, zone),
        _local(day.first_in, zone),
        _local(day.last_out, zone),
        status,
        day.late_minutes,
        day.early_minutes,
        day.overtime_minutes,
        day.worked_minutes,
        day.missing or "",
        day.leave_type or "",
        _number(day.deduction),
        day.rules,
    ]


def filename(spec: ExportSpec, fmt: str, sheet: str | None = None) -> str:
    """``attendance-CS-2026-12.xlsx`` (or ``-all-`` for every department)."""
    scope = spec.departments[0].code if len(spec.departments) == 1 else "all"
    part = f"-{sheet}" if sheet and fmt == "csv" else ""
    return f"attendance-{scope}-{spec.month:%Y-%m}{part}.{fmt}"


async def _people(
    session: AsyncSession, spec: ExportSpec
) -> AsyncIterator[tuple[Department, PersonMonth]]:
    as_of = spec.as_of or dt.datetime.now(dt.UTC)
    for department in spec.departments:
        async for pm in iter_department(session, department, spec.month, as_of):
            yield department, pm


async def csv_stream(
    session: AsyncSession, spec: ExportSpec, sheet: str = "summary"
) -> AsyncIterator[bytes]:
    """The summary or the detail as UTF-8 CSV (with a BOM so spreadsheet programs read 中文)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    if sheet == "summary":
        leave_types = await leave_types_of(session, spec.departments, spec.month)
        writer.writerow(summary_header(spec.lang, leave_types))
    else:
        writer.writerow(detail_header(spec.lang))
    async for department, pm in _people(session, spec):
        if sheet == "summary":
            writer.writerow(summary_row(pm, department, leave_types))
        else:
            writer.writerows(detail_row(pm, department, d, spec.lang) for d in pm.days)
        if buffer.tell() >= CSV_FLUSH:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


class _Workbook:
    """An xlsxwriter workbook in constant-memory mode with a summary and a detail sheet."""

    def __init__(self, path: str, tmpdir: str, spec: ExportSpec, leave_types: list[str]) -> None:
        self.book = xlsxwriter.Workbook(
            path, {"constant_memory": True, "tmpdir": tmpdir, "in_memory": False}
        )
        bold = self.book.add_format({"bold": True})
        zh = spec.lang == "zh"
        self.summary = self.book.add_worksheet("汇总" if zh else "Summary")
        self.detail = self.book.add_worksheet("明细" if zh else "Detail")
        self.summary.write_row(0, 0, summary_header(spec.lang, leave_types), bold)
        self.detail.write_row(0, 0, detail_header(spec.lang), bold)
        self.summary.freeze_panes(1, 2)
        self.detail.freeze_panes(1, 2)
        self.summary_rows = 1
        self.detail_rows = 1

    def write(self, summary: list[list[Any]], detail: list[list[Any]]) -> None:
        for row in summary:
            self.summary.write_row(self.summary_rows, 0, row)
            self.summary_rows += 1
        for row in detail:
            self.detail.write_row(self.detail_rows, 0, row)
            self.detail_rows += 1


async def xlsx_stream(
    session: AsyncSession, spec: ExportSpec, chunk_rows: int = 200
) -> AsyncIterator[bytes]:
    """Both sheets as one XLSX file, written chunk by chunk, then read back in blocks."""
    leave_types = await leave_types_of(session, spec.departments, spec.month)
    with tempfile.TemporaryDirectory(prefix="rota-attendance-") as tmp:
        path = os.path.join(tmp, "export.xlsx")
        book = await asyncio.to_thread(_Workbook, path, tmp, spec, leave_types)
        summary: list[list[Any]] = []
        detail: list[list[Any]] = []
        async for department, pm in _people(session, spec):
            summary.append(summary_row(pm, department, leave_types))
            detail.extend(detail_row(pm, department, d, spec.lang) for d in pm.days)
            if len(summary) >= chunk_rows:
                await asyncio.to_thread(book.write, summary, detail)
                summary, detail = [], []
        await asyncio.to_thread(book.write, summary, detail)
        await asyncio.to_thread(book.book.close)
        with open(path, "rb") as handle:  # noqa: ASYNC230 - blocks of a local temp file
            while block := await asyncio.to_thread(handle.read, READ_BLOCK):
                yield block


async def write_export(
    session: AsyncSession,
    spec: ExportSpec,
    fmt: str,
    sink: Callable[[bytes], object],
    sheet: str = "summary",
) -> None:
    """Write an export to ``sink`` (a file's ``write``), for the command line."""
    stream = xlsx_stream(session, spec) if fmt == "xlsx" else csv_stream(session, spec, sheet)
    async for block in stream:
        sink(block)


def today_month(zone: str) -> dt.date:
    """The first day of the current month on a department's wall clock."""
    return local_date(dt.datetime.now(dt.UTC), zone).replace(day=1)
