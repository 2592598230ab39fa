"""A roster version as files a manager downloads: CSV for spreadsheets, XLSX to print and pin up.

Both are drawn from the same :class:`~scheduler.rosters.views.RosterView` as the JSON view and the
page, so the printed sheet and the API never disagree. The CSV starts with a UTF-8 byte-order
mark because Excel on Windows otherwise reads UTF-8 as the local code page and garbles Chinese
names. The XLSX is written by xlsxwriter in ``constant_memory`` mode (rows streamed to disk in
order), so a department of hundreds stays cheap; that is why every sheet is laid out strictly
top to bottom.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path
from typing import Any

import xlsxwriter

from scheduler.rosters.views import GridCell, PersonRow, RosterView, handover_gap
from scheduler.spreadsheets import XLSX_OPTIONS, csv_row

WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAYS_ZH = ("一", "二", "三", "四", "五", "六", "日")
COUNT_HEADERS = (
    ("working_days", "工作日 days"),
    ("late_shifts", "晚班 late"),
    ("weekend_days", "周末 weekend"),
    ("holiday_days", "节假日 holiday"),
)
REST_MARK = "休"
_WEEKEND_FILL = "#eeeeee"
_HOLIDAY_FILL = "#fde0dd"
_LEAVE_FILL = "#fff2cc"
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def cell_text(cell: GridCell) -> str:
    """What a grid cell says in a file: the shift code, ``休`` for rest, the leave type.

    A shift with approved half-day leave reads ``early (pm leave)``: payroll and the manager
    see the same half the person's calendar shows.
    """
    if cell.shift_code is not None:
        if cell.half_leave:
            return f"{cell.shift_code} ({cell.half_leave} leave)"
        return cell.shift_code
    if cell.leave:
        return f"leave:{cell.leave}"
    return REST_MARK if cell.rest else ""


def filename(view: RosterView, extension: str) -> str:
    """``roster-12-2026-12-v3.xlsx``: ASCII, so every browser keeps it as given."""
    return f"roster-{view.roster_id}-{view.month:%Y-%m}-v{view.version_number}.{extension}"


def to_csv(view: RosterView) -> bytes:
    """One row per person, a column per date, the counts at the end; UTF-8 with BOM."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(
        [
            "staff_no",
            "name",
            "team",
            *(d.date.isoformat() for d in view.days),
            *(key for key, _ in COUNT_HEADERS),
        ]
    )
    for person in view.people:
        c = person.counts
        writer.writerow(
            csv_row(
                [
                    person.staff_no,
                    person.name,
                    person.team_name or "",
                    *(cell_text(cell) for cell in person.cells),
                    c.working_days,
                    c.late_shifts,
                    c.weekend_days,
                    c.holiday_days,
                ]
            )
        )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _sheet_name(name: str, used: set[str]) -> str:
    r"""An Excel-legal, unique sheet name (31 characters, none of ``[]:*?/\\``)."""
    base = _SHEET_BAD.sub("_", name).strip("'") or "Team"
    candidate = base[:31]
    n = 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def _text_colour(fill: str) -> str:
    """Black or white text, whichever reads better on ``fill``."""
    try:
        r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    except ValueError:
        return "#000000"
    return "#000000" if (0.299 * r + 0.587 * g + 0.114 * b) > 140 else "#ffffff"


class _Formats:
    """The workbook's formats, made once (xlsxwriter needs each registered on the workbook)."""

    def __init__(self, book: Any, view: RosterView) -> None:
        border = {"border": 1, "border_color": "#bfbfbf", "align": "center", "valign": "vcenter"}
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.note = book.add_format({"italic": True, "font_color": "#595959"})
        self.header = book.add_format({**border, "bold": True, "bg_color": "#d9e1f2"})
        self.header_off = book.add_format({**border, "bold": True, "bg_color": _WEEKEND_FILL})
        self.header_holiday = book.add_format({**border, "bold": True, "bg_color": _HOLIDAY_FILL})
        self.name = book.add_format({**border, "align": "left"})
        self.plain = book.add_format(border)
        self.off = book.add_format({**border, "bg_color": _WEEKEND_FILL})
        self.holiday = book.add_format({**border, "bg_color": _HOLIDAY_FILL})
        self.leave = book.add_format({**border, "bg_color": _LEAVE_FILL, "italic": True})
        self.count = book.add_format({**border, "bold": True})
        self.short = book.add_format({**border, "bg_color": "#f4cccc", "bold": True})
        self.label = book.add_format({**border, "align": "left", "bold": True})
        self.shift = {
            s.code: book.add_format(
                {**border, "bg_color": s.colour, "font_color": _text_colour(s.colour)}
            )
            for s in view.shifts
        }
        self.locked = {
            s.code: book.add_format(
                {
                    **border,
                    "bg_color": s.colour,
                    "font_color": _text_colour(s.colour),
                    "bold": True,
                    "underline": 1,
                }
            )
            for s in view.shifts
        }


def _cell_format(f: _Formats, cell: GridCell, holiday: bool, weekend: bool) -> Any:
    if cell.shift_code is not None and cell.shift_code in f.shift:
        return (f.locked if cell.locked else f.shift)[cell.shift_code]
    if cell.leave:
        return f.leave
    if holiday:
        return f.holiday
    return f.off if weekend else f.plain


def _title(view: RosterView, team_id: int | None, name: str) -> str:
    """A sheet's title line: the scope, the sheet's team unless the scope already names it."""
    team = "" if view.team_id is not None and team_id == view.team_id else f" · {name}"
    return f"{view.scope_label}{team} · {view.month:%Y-%m} · v{view.version_number}"


def _write_sheet(
    book: Any,
    f: _Formats,
    view: RosterView,
    name: str,
    people: list[PersonRow],
    whole: bool,
    team_id: int | None = None,
) -> None:
    """One team's sheet, written row by row (constant-memory mode forbids going back up)."""
    sheet = book.add_worksheet(name)
    first_date_col = 2
    n_days = len(view.days)
    counts_col = first_date_col + n_days
    last_col = counts_col + len(COUNT_HEADERS) - 1

    sheet.set_column(0, 0, 9)
    sheet.set_column(1, 1, 14)
    sheet.set_column(first_date_col, counts_col - 1, 5.5)
    sheet.set_column(counts_col, last_col, 9)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.3, right=0.3, top=0.5, bottom=0.5)
    sheet.repeat_rows(2, 3)
    sheet.freeze_panes(4, first_date_col)

    row = 0
    status = view.status if view.status != "published" else "published"
    sheet.write(row, 0, _title(view, team_id, name), f.title)
    row += 1
    sheet.write(row, 0, f"{status}; times in {view.timezone}; 休 = rest; leave:<type>", f.note)
    row += 1
    sheet.write(row, 0, "工号 No.", f.header)
    sheet.write(row, 1, "姓名 Name", f.header)
    for i, d in enumerate(view.days):
        fmt = f.header_holiday if d.holiday else (f.header_off if d.weekend else f.header)
        sheet.write(row, first_date_col + i, d.date.day, fmt)
    for j, (_, label) in enumerate(COUNT_HEADERS):
        sheet.write(row, counts_col + j, label, f.header)
    row += 1
    sheet.write(row, 0, "", f.header)
    sheet.write(row, 1, "", f.header)
    for i, d in enumerate(view.days):
        fmt = f.header_holiday if d.holiday else (f.header_off if d.weekend else f.header)
        sheet.write(row, first_date_col + i, WEEKDAYS_ZH[d.weekday], fmt)
    row += 1

    for person in people:
        sheet.write(row, 0, person.staff_no, f.name)
        sheet.write(row, 1, person.name, f.name)
        for i, (cell, d) in enumerate(zip(person.cells, view.days, strict=True)):
            fmt = _cell_format(f, cell, d.holiday is not None, d.weekend)
            sheet.write(row, first_date_col + i, cell_text(cell), fmt)
        c = person.counts
        for j, value in enumerate((c.working_days, c.late_shifts, c.weekend_days, c.holiday_days)):
            sheet.write_number(row, counts_col + j, value, f.count)
        row += 1

    row += 1
    sheet.write(row, 0, "覆盖 Coverage", f.label)
    sheet.write(
        row,
        1,
        "on duty / minimum" if whole else "this team on duty",
        f.note,
    )
    row += 1
    for s in view.shifts:
        sheet.write(row, 0, s.code, f.shift[s.code])
        sheet.write(row, 1, s.name, f.label)
        for i, cov in enumerate(view.coverage_for(s.code)):
            if whole:
                text = str(cov.assigned) if cov.minimum is None else f"{cov.assigned}/{cov.minimum}"
                fmt = f.short if cov.status == "short" else f.plain
            else:
                text = str(sum(1 for p in people if p.cells[i].shift_code == s.code))
                fmt = f.plain
            sheet.write(row, first_date_col + i, text, fmt)
        row += 1
    for label, items in view.interval_rows():
        sheet.write(row, 0, "交接" if label.startswith("handover") else "时段", f.label)
        sheet.write(row, 1, label, f.label)
        for i, d in enumerate(view.days):
            window = items.get(d.date)
            if window is None:
                text, fmt = "", f.plain
            elif whole:
                text = (
                    str(window.assigned)
                    if window.minimum is None
                    else f"{window.assigned}/{window.minimum}"
                )
                fmt = f.short if window.status == "short" or handover_gap(window) else f.plain
            else:
                covering = set(window.by_shift)
                text = str(sum(1 for p in people if p.cells[i].shift_code in covering))
                fmt = f.plain
            sheet.write(row, first_date_col + i, text, fmt)
        row += 1

    row += 1
    sheet.write(row, 0, "图例 Legend", f.label)
    row += 1
    for s in view.shifts:
        sheet.write(row, 0, s.code, f.shift[s.code])
        sheet.write(row, 1, f"{s.name} {s.hours}" + (" (late)" if s.late else ""), f.name)
        row += 1
    sheet.write(row, 0, REST_MARK, f.plain)
    sheet.write(row, 1, "rest day 休息", f.name)
    row += 1
    sheet.write(row, 0, "leave", f.leave)
    sheet.write(row, 1, "on leave 请假", f.name)
    row += 1
    sheet.write(row, 0, "", f.off)
    sheet.write(row, 1, "weekend 周末", f.name)
    row += 1
    sheet.write(row, 0, "", f.holiday)
    sheet.write(row, 1, "holiday 节假日", f.name)
    row += 1
    sheet.print_area(0, 0, row, last_col)


def to_xlsx(view: RosterView) -> bytes:
    """The workbook: one sheet per team, coloured by shift, counts at the side, coverage under.

    With one team (the usual team roster) the coverage rows compare with the version's demand;
    with several teams on a department roster each sheet shows its own team's headcount, since
    the demand is for the whole department.
    """
    by_team: dict[int | None, list[PersonRow]] = {}
    for person in view.people:
        by_team.setdefault(person.team_id, []).append(person)
    if not by_team:
        by_team[view.team_id] = []
    whole = len(by_team) == 1
    with tempfile.TemporaryDirectory(prefix="rota-xlsx-") as tmp:
        path = Path(tmp) / "roster.xlsx"
        book = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "tmpdir": tmp, "in_memory": False, **XLSX_OPTIONS}
        )
        book.set_properties({"title": f"{view.scope_label} {view.month:%Y-%m}", "author": "rota"})
        formats = _Formats(book, view)
        used: set[str] = set()
        for team_id, people in by_team.items():
            name = _sheet_name(
                view.teams.get(team_id) or (people[0].team_name if people else None) or "No team",
                used,
            )
            _write_sheet(book, formats, view, name, people, whole, team_id)
        book.close()
        return path.read_bytes()
