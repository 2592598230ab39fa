"""HR's monthly attendance exports: CSV and XLSX, a summary and a per-day detail.

Both formats are produced as a stream: people are derived a chunk at a time
(``service.iter_department``) and each chunk is written out before the next is read, so memory
stays flat however many people a department has. CSV yields bytes as it goes; XLSX is written by
xlsxwriter in ``constant_memory`` mode (each row goes to a temporary file as it is written) and
the finished file is then read back in blocks. The XLSX writing runs in a worker thread, chunk by
chunk, so the event loop keeps serving other requests.

The summary has one row per person employed in the month: the figures of
``derive.MonthSummary`` (leave in days, half days as 0.5; statutory holidays and rest days worked,
with their minutes, for payroll's premiums; the state of each medical certificate sick leave of 2+
days needs) plus the working days n of the month that the monthly review of DOMAIN.md (000 第四章)
needs, and the team the person was rostered in that month. The detail has one row per person per
day with every breach's rule, so HR can see why a deduction was made.

What payroll relies on (the payroll audit):

* a person's detail rows add up to their summary row: late and early minutes are those of breaches
  (not the 4 minutes within the grace), overtime is none on a day not yet judged, and each row
  carries the days it counts as absence;
* nothing is charged twice: lateness or early leave that a tier counts as absence is in "Counted
  as absence (days)" only, not in the late/early columns (the column's title says so), and
  "Absent without leave (days)" is in days (half a day beside half-day leave), not a count;
* the summary carries the hire date and last working day (days outside are ``not_employed``, so
  payroll can prorate), and names the rules behind its figures: the policy version (effective
  from, revision, or the defaults), its grace minutes and the unit deductions are counted in
  (``Policy.deduction_unit``; the shipped "points", 分 in Chinese).

``lang=zh`` is Chinese throughout, headers and coded values alike (status, leave types, missing
punches, the rules), since the sheet goes to people who read Chinese. In the XLSX, dates and times
are real Excel date cells with a number format and figures are numbers, so HR can sort, filter and
compute with them; the CSV carries the same as text. A name or staff number that starts like a
formula (``=HYPERLINK(...)``) stays text in both (``scheduler.spreadsheets``).
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
from functools import lru_cache
from typing import Any

import xlsxwriter
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.attendance.derive import (
    DayResult,
    LeaveCertificate,
    MonthSummary,
    local_date,
    zone_info,
)
from scheduler.attendance.policy import Policy, PolicyVersion, Tier
from scheduler.attendance.service import PersonMonth, iter_department, leave_types_of
from scheduler.org.models import Department
from scheduler.spreadsheets import XLSX_OPTIONS, csv_row

LANGS = ("en", "zh")
FORMATS = ("csv", "xlsx")
SHEETS = ("summary", "detail")
READ_BLOCK = 256 * 1024
CSV_FLUSH = 64 * 1024
#: Excel number formats of the detail's date and wall-clock time cells.
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"

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
    "not_employed": "未在职",
}
#: Every leave type code of ``scheduler.leave.types.DEFAULT_TYPES`` (a test keeps them in step).
LEAVE_ZH = {
    "annual": "年假",
    "sick": "病假",
    "personal": "事假",
    "toil": "调休",
    "marriage": "婚假",
    "bereavement": "丧假",
    "maternity": "产假",
    "paternity": "陪产假",
    "unpaid": "无薪假",
}
HALF_EN = {"am": "AM", "pm": "PM"}
HALF_ZH = {"am": "上午", "pm": "下午"}
MISSING_ZH = {"in": "缺上班卡", "out": "缺下班卡"}
DIRECTION_ZH = {"in": "上班", "out": "下班"}
CERTIFICATE_ZH = {"attached": "已提交", "missing": "待提交", "overdue": "逾期未交"}
#: The shipped policy's deduction unit in Chinese (a unit the company names is shown as named).
UNIT_ZH = {"points": "分"}

#: (key, English header, Chinese header) of the summary sheet; leave columns (one per type
#: taken in the month) come after ``LEAVE_AFTER``.
SUMMARY_COLUMNS: list[tuple[str, str, str]] = [
    ("staff_no", "Staff no.", "工号"),
    ("name", "Name", "姓名"),
    ("department", "Department", "部门"),
    ("team", "Team", "班组"),
    ("hire_date", "Hire date", "入职日期"),
    ("left_on", "Last working day", "最后工作日"),
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
    ("rest_day_minutes", "Rest-day work (minutes)", "休息日出勤分钟"),
    ("holiday_days_worked", "Statutory holidays worked (days)", "法定节假日出勤天数"),
    ("holiday_minutes_worked", "Statutory holiday work (minutes)", "法定节假日出勤分钟"),
    (
        "absence_days",
        "Counted as absence (days; incl. lateness/early leave counted as absence, not in the "
        "late/early columns)",
        "折算缺勤天数(含按缺勤计的迟到早退，其不再计入迟到早退列)",
    ),
    ("total_deduction", "Total deduction", "扣款合计"),
    ("deduction_unit", "Deduction unit", "扣款单位"),
    ("working_days", "Working days n", "本月工作天数n"),
    ("certificates", "Medical certificate (sick leave 2+ days)", "病假证明(2天及以上)"),
    ("stray_punches", "Stray punches", "异常打卡次数"),
    ("pending_shifts", "Shifts not yet judged", "待定班次"),
    ("policy", "Attendance policy (effective from)", "考勤制度(生效日期)"),
    ("grace_minutes", "Grace (minutes)", "宽限分钟"),
]
#: Summary columns holding dates (hire date, last working day), before any leave column.
SUMMARY_DATES = range(
    next(i for i, c in enumerate(SUMMARY_COLUMNS) if c[0] == "hire_date"),
    next(i for i, c in enumerate(SUMMARY_COLUMNS) if c[0] == "left_on") + 1,
)
LEAVE_AFTER = "overtime_minutes"
_LEAVE_AT = next(i for i, c in enumerate(SUMMARY_COLUMNS) if c[0] == LEAVE_AFTER) + 1

#: Detail columns whose figures are those the summary adds up (breaches only, none on a day not
#: yet judged), so a person's detail rows sum to their summary row.
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
    ("leave_half", "Half day", "半天"),
    ("leave_days", "Leave (days)", "请假天数"),
    ("holiday", "Statutory holiday", "法定节假日"),
    ("absence_days", "Counted as absence (days)", "折算缺勤天数"),
    ("deduction", "Deduction", "扣款"),
    ("rules", "Rules applied", "适用规则"),
    ("strays", "Stray punches", "异常打卡"),
]
#: Detail columns holding a date, and wall-clock instants (typed cells in the XLSX).
DATE_COLUMN = 3
TIME_COLUMNS = range(5, 9)


@dataclass(frozen=True, slots=True)
class ExportSpec:
    """What to export."""

    departments: Sequence[Department]
    month: dt.date
    lang: str = "en"
    as_of: dt.datetime | None = None


def leave_name(code: str, lang: str) -> str:
    """A leave type as the export shows it: its code in English, its Chinese name in zh."""
    return LEAVE_ZH.get(code, code) if lang == "zh" else code


def summary_header(lang: str, leave_types: Sequence[str]) -> list[str]:
    """The summary's column titles; one leave column per leave type taken in the month."""
    zh = lang == "zh"
    head = [z if zh else e for _, e, z in SUMMARY_COLUMNS]
    leave = [f"{leave_name(t, lang)}天数" if zh else f"Leave days ({t})" for t in leave_types]
    return head[:_LEAVE_AT] + leave + head[_LEAVE_AT:]


def detail_header(lang: str) -> list[str]:
    """The detail's column titles."""
    return [z if lang == "zh" else e for _, e, z in DETAIL_COLUMNS]


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def certificates_text(certificates: Sequence[LeaveCertificate], lang: str) -> str:
    """Each leave needing a certificate: its dates and where the certificate stands."""
    zh = lang == "zh"
    parts = []
    for c in certificates:
        dates = f"{c.start_date.isoformat()}~{c.end_date.isoformat()}"
        if zh:
            due = "" if c.status == "attached" else f"(截止{c.due.isoformat()})"
            parts.append(f"{dates} {CERTIFICATE_ZH.get(c.status, c.status)}{due}")
        else:
            due = "" if c.status == "attached" else f" (due {c.due.isoformat()})"
            parts.append(f"{dates} {c.status}{due}")
    return ("；" if zh else "; ").join(parts)


def unit_text(policy: Policy, lang: str) -> str:
    """The policy's deduction unit as the export shows it."""
    unit = policy.deduction_unit
    return UNIT_ZH.get(unit, unit) if lang == "zh" else unit


def policy_text(version: PolicyVersion, lang: str) -> str:
    """Which policy judged the month: the version's first day and revision, or the defaults."""
    zh = lang == "zh"
    if version.effective_from is None:
        return "系统默认" if zh else "default"
    day = version.effective_from.isoformat()
    return f"{day}(第{version.revision}版)" if zh else f"{day} (revision {version.revision})"


def summary_row(
    pm: PersonMonth, department: Department, leave_types: Sequence[str], lang: str = "en"
) -> list[Any]:
    """One person's summary row, in ``summary_header`` order (numbers as numbers).

    Dates (hire date, last working day) are ``date`` values: text in the CSV, date cells in
    the XLSX. The policy columns name the rules behind the figures (a department's version
    may differ from another's in an export of every department), and the deduction's unit.
    """
    s: MonthSummary = pm.summary
    values: dict[str, Any] = {
        "staff_no": pm.person.staff_no,
        "name": pm.person.name,
        "department": department.name,
        "team": pm.person.team or "",
        "hire_date": pm.person.hire_date,
        "left_on": pm.person.left_on,
        "scheduled_shifts": s.scheduled_shifts,
        "worked_shifts": s.worked_shifts,
        "late_count": s.late_count,
        "late_minutes": s.late_minutes,
        "early_count": s.early_count,
        "early_minutes": s.early_minutes,
        "absences": _number(s.absent_days),
        "missing_punches": s.missing_punches,
        "overtime_minutes": s.overtime_minutes,
        "rest_days_worked": s.rest_days_worked,
        "rest_day_minutes": s.rest_day_minutes,
        "holiday_days_worked": s.holiday_days_worked,
        "holiday_minutes_worked": s.holiday_minutes_worked,
        "absence_days": _number(s.absence_days),
        "total_deduction": _number(s.total_deduction),
        "deduction_unit": unit_text(pm.policy, lang),
        "working_days": s.working_days,
        "certificates": certificates_text(s.certificates, lang),
        "stray_punches": s.stray_punches,
        "pending_shifts": s.pending_shifts,
        "policy": policy_text(pm.version, lang),
        "grace_minutes": pm.policy.grace_minutes,
    }
    row = [values[key] for key, _, _ in SUMMARY_COLUMNS]
    leave = [_number(s.leave_days.get(t, 0)) for t in leave_types]
    return row[:_LEAVE_AT] + leave + row[_LEAVE_AT:]


def _local(value: dt.datetime | None, zone: str) -> dt.datetime | None:
    """The instant on the zone's wall clock, naive (what a spreadsheet shows)."""
    if value is None:
        return None
    return value.astimezone(zone_info(zone)).replace(tzinfo=None)


def _text(value: dt.datetime | None) -> str:
    """``2026-10-01 08:30`` (isoformat: C, unlike strftime)."""
    return "" if value is None else value.isoformat(" ", "minutes")


def _tier_label_zh(tiers: tuple[Tier, ...], index: int) -> str:
    low = tiers[index - 1].up_to_minutes if index else None
    high = tiers[index].up_to_minutes
    if high is None:
        return f"超过{low}分钟"
    return f"{low}–{high}分钟" if low is not None else f"{high}分钟以内"


def _capped_zh(policy: Policy, half: bool) -> str:
    """The note of a breach cut to keep its shift within the shift's absence (see derive)."""
    days = 0.5 if half else 1.0
    price = policy.absence_deduction * days
    money = f"，{price:g}" if price > 0 else ""
    return f"；已封顶：同一班次合计最多按旷工计({days:g}天{money})"


@lru_cache(maxsize=4096)
def rule_zh(
    policy: Policy,
    kind: str,
    minutes: int,
    absence_days: float,
    escalated: bool,
    detail: str | None,
    capped: bool = False,
    half: bool = False,
) -> str:
    """A breach's rule in Chinese, from the policy that judged it (as ``policy`` words it).

    ``capped``: the breach was cut so the shift costs at most its absence (``half``: the
    shift's other half was leave, so its absence is half a day), as the English rule says.
    """
    if kind in ("late", "early_leave"):
        tiers = policy.late_tiers if kind == "late" else policy.early_tiers
        index = next(
            i for i, t in enumerate(tiers) if t.up_to_minutes is None or minutes <= t.up_to_minutes
        )
        tier = tiers[index]
        name = "迟到" if kind == "late" else "早退"
        rule = f"{name}第{index + 1}档({_tier_label_zh(tiers, index)})"
        if tier.absence_days:
            rule += f"：折算缺勤{tier.absence_days:g}天"
        if escalated:
            rule += (
                f"；本月第{policy.escalate_from_lateness}次迟到起扣款×{policy.escalation_factor:g}"
            )
            if tier.absence_days:
                rule += "(仅档位扣款，缺勤不加倍)"
            escalated_deduction = (
                tier.deduction * policy.escalation_factor
                + tier.absence_days * policy.absence_deduction
            )
            unescalated = tier.deduction + tier.absence_days * policy.absence_deduction
            if escalated_deduction > policy.absence_deduction >= unescalated:
                rule += f"，最多按旷工计({policy.absence_deduction:g})"
        return rule + (_capped_zh(policy, half) if capped else "")
    if kind == "absent":
        return "旷工：半天(另半天为请假)" if detail == "half" else f"旷工：{absence_days:g}天"
    if kind == "missing_punch":
        return MISSING_ZH.get(detail or "", "缺卡") + (_capped_zh(policy, half) if capped else "")
    return kind


def rules_text(day: DayResult, policy: Policy, lang: str) -> str:
    """The rules behind a day's breaches, in the export's language."""
    if lang != "zh":
        return day.rules
    half = day.half is not None
    return "；".join(
        rule_zh(policy, b.kind, b.minutes, b.absence_days, b.escalated, b.detail, b.capped, half)
        for b in day.breaches
    )


def _leave_text(day: DayResult, lang: str) -> str:
    """The day's leave types alone, so a payroll SUMIFS on a type counts half days too.

    Which half is its own column (:func:`_half_text`).
    """
    if not day.leaves:
        return ""
    return "+".join(dict.fromkeys(leave_name(code, lang) for code, _ in day.leaves))


def _half_text(day: DayResult, lang: str) -> str:
    if not day.leaves or day.half is None or len(day.leaves) > 1:
        return ""
    return HALF_ZH[day.half] if lang == "zh" else HALF_EN[day.half]


def _strays_text(day: DayResult, zone: str, lang: str) -> str:
    if not day.strays:
        return ""
    parts = []
    for p in day.strays:
        local = p.at.astimezone(zone_info(zone))
        when = local.strftime("%H:%M" if local.date() == day.date else "%Y-%m-%d %H:%M")
        parts.append(
            f"{DIRECTION_ZH.get(p.direction, p.direction)} {when}"
            if lang == "zh"
            else f"{p.direction} {when}"
        )
    return ("；" if lang == "zh" else "; ").join(parts)


def detail_row(
    pm: PersonMonth, department: Department, day: DayResult, lang: str, *, typed: bool = False
) -> list[Any]:
    """One person-day, in ``detail_header`` order (times on the department's wall clock).

    ``typed``: the date as a ``date`` and times as naive local ``datetime``s (for XLSX cells
    with a number format); else as text (CSV).
    """
    zone = department.timezone
    zh = lang == "zh"
    times = [
        _local(day.scheduled_start, zone),
        _local(day.scheduled_end, zone),
        _local(day.first_in, zone),
        _local(day.last_out, zone),
    ]
    missing = day.missing or ""
    return [
        pm.person.staff_no,
        pm.person.name,
        department.name,
        day.date if typed else day.date.isoformat(),
        day.shift_name or day.shift_code or "",
        *(times if typed else [_text(t) for t in times]),
        STATUS_ZH.get(day.status, day.status) if zh else day.status,
        day.counted_late_minutes,
        day.counted_early_minutes,
        day.counted_overtime_minutes,
        day.worked_minutes,
        MISSING_ZH.get(missing, missing) if zh else missing,
        _leave_text(day, lang),
        _half_text(day, lang),
        _number(day.leave_days),
        ("是" if zh else "yes") if day.holiday else "",
        _number(day.absence_days),
        _number(day.deduction),
        rules_text(day, pm.policy, lang),
        _strays_text(day, zone, lang),
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
            writer.writerow(csv_row(summary_row(pm, department, leave_types, spec.lang)))
        else:
            writer.writerows(csv_row(detail_row(pm, department, d, spec.lang)) for d in pm.days)
        if buffer.tell() >= CSV_FLUSH:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


class _Workbook:
    """An xlsxwriter workbook in constant-memory mode with a summary and a detail sheet."""

    def __init__(self, path: str, tmpdir: str, spec: ExportSpec, leave_types: list[str]) -> None:
        self.book = xlsxwriter.Workbook(
            path, {"constant_memory": True, "tmpdir": tmpdir, "in_memory": False, **XLSX_OPTIONS}
        )
        bold = self.book.add_format({"bold": True})
        self.date_format = self.book.add_format({"num_format": DATE_FORMAT})
        self.time_format = self.book.add_format({"num_format": TIME_FORMAT})
        zh = spec.lang == "zh"
        self.summary = self.book.add_worksheet("汇总" if zh else "Summary")
        self.detail = self.book.add_worksheet("明细" if zh else "Detail")
        self.summary.write_row(0, 0, summary_header(spec.lang, leave_types), bold)
        self.detail.write_row(0, 0, detail_header(spec.lang), bold)
        self.summary.freeze_panes(1, 2)
        self.detail.freeze_panes(1, 2)
        # Wide enough that dates and times show rather than "####".
        self.detail.set_column(DATE_COLUMN, DATE_COLUMN, 11)
        self.detail.set_column(TIME_COLUMNS.start, TIME_COLUMNS.stop - 1, 16)
        self.summary.set_column(SUMMARY_DATES.start, SUMMARY_DATES.stop - 1, 11)
        self.summary_rows = 1
        self.detail_rows = 1

    def write(self, summary: list[list[Any]], detail: list[list[Any]]) -> None:
        for row in summary:  # a row per person: cell by cell, dates as date cells
            r = self.summary_rows
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    self.summary.write_datetime(r, c, value, self.date_format)
                elif value is not None:
                    self.summary.write(r, c, value)
            self.summary_rows += 1
        sheet, date_format, time_format = self.detail, self.date_format, self.time_format
        first_time, after_times = TIME_COLUMNS.start, TIME_COLUMNS.stop
        for row in detail:  # from detail_row(typed=True): real date and time cells
            r = self.detail_rows
            sheet.write_row(r, 0, row[:DATE_COLUMN])
            sheet.write_datetime(r, DATE_COLUMN, row[DATE_COLUMN], date_format)
            sheet.write_row(r, DATE_COLUMN + 1, row[DATE_COLUMN + 1 : first_time])
            for c in TIME_COLUMNS:
                if row[c] is not None:
                    sheet.write_datetime(r, c, row[c], time_format)
            sheet.write_row(r, after_times, row[after_times:])
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
            summary.append(summary_row(pm, department, leave_types, spec.lang))
            detail.extend(detail_row(pm, department, d, spec.lang, typed=True) for d in pm.days)
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
