"""Response bodies of the roster views: the grid, coverage, counts, diffs, the agent's shifts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.schemas.base import Output
from api.schemas.rosters import ViolationOut


class ShiftOut(Output):
    """A shift type as the version recorded it; minutes after local midnight (1440 = 24:00)."""

    code: str
    name: str
    start_minute: int
    end_minute: int
    late: bool
    colour: str


class DayOut(Output):
    """A date with the department calendar's flags."""

    date: dt.date
    weekday: int
    weekend: bool
    holiday: str | None
    makeup_workday: bool


class GridCellOut(Output):
    """One person on one date: a shift, rest, or leave (``leave`` is the leave type).

    ``half_leave``: approved half-day leave on the shift ("am", "pm" or "am+pm"); the person
    works only the other half (and counts for the handover only if that half spans it).
    """

    date: dt.date
    shift_code: str | None
    shift_name: str | None
    colour: str | None
    rest: bool
    leave: str | None
    locked: bool
    half_leave: str | None = None


class CountsOut(Output):
    """A person's month in numbers (weekend and holiday count days worked)."""

    working_days: int
    late_shifts: int
    weekend_days: int
    holiday_days: int
    rest_days: int
    leave_days: int


class PersonRowOut(Output):
    """A person's row."""

    employee_id: int
    staff_no: str
    name: str
    team_id: int | None
    team_name: str | None
    cells: list[GridCellOut]
    counts: CountsOut


class ShiftCoverageOut(Output):
    """People on a shift on a date against the version's demand (null = no demand row)."""

    date: dt.date
    shift_code: str
    assigned: int
    minimum: int | None
    target: int | None
    status: str


class IntervalCoverageOut(Output):
    """People on duty through a window (e.g. the 15:00-17:30 handover), by shift."""

    date: dt.date
    start_minute: int
    end_minute: int
    label: str
    assigned: int
    by_shift: dict[str, int]
    minimum: int | None
    target: int | None
    status: str


class RosterViewOut(Output):
    """A roster version: grid, coverage, counts and the objective's breakdown by rule."""

    roster_id: int
    version_number: int
    status: str
    origin: str
    month: dt.date
    department_id: int
    team_id: int | None
    scope_label: str
    timezone: str
    published_at: dt.datetime | None
    objective: int | None
    hard_violations: int
    breakdown: dict[str, Any]
    shifts: list[ShiftOut]
    days: list[DayOut]
    people: list[PersonRowOut]
    shift_coverage: list[ShiftCoverageOut]
    interval_coverage: list[IntervalCoverageOut]
    violations: list[ViolationOut]
    """The hard rules the version breaks, each named (empty for agents)."""
    notices: list[str]
    """What to check before trusting the month, e.g. a national calendar that is an estimate."""


class CellChangeOut(Output):
    """A cell that differs: who, which date, from what to what (null shift = no shift)."""

    employee_id: int
    date: dt.date
    from_shift: str | None
    to_shift: str | None
    from_absence: str | None
    to_absence: str | None


class DiffOut(Output):
    """The changes from version ``against`` to version ``number``."""

    roster_id: int
    number: int
    against: int
    changes: list[CellChangeOut]


class MyShiftOut(Output):
    """A day of the caller's published roster; instants are ISO 8601 with the local offset."""

    date: dt.date
    shift_code: str | None
    shift_name: str | None
    start: dt.datetime | None
    end: dt.datetime | None
    absence: str | None
    roster_id: int
    version_number: int
    #: Approved half-day leave ("am", "pm", "am+pm"): start and end are the half worked.
    half_leave: str | None = None


class CalendarLinkOut(Output):
    """A calendar subscription URL; the token in it is the only secret, so keep it private."""

    employee_id: int
    url: str
    token: str
