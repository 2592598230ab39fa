"""Attendance derived from facts: pure functions, no database, no clock.

Given one person's published roster cells (shift times as wall-clock minutes of the
department's zone, or a leave code, plus approved half-day leave), their punches (UTC instants,
corrections included) and the penalty policy, :func:`derive_month` says for every day of a month
what happened and what each breach costs. The same facts always give the same answer, so a month
can be recomputed at any time; it is computed on read (see ``service``) and therefore always
follows the latest punches, corrections, leave and roster version.

Pairing punches to shifts. A clock-in belongs to a shift only from ``CLOCK_IN_BEFORE`` before its
start up to its end (an ``in`` after the shift ended cannot have started it: that is how a stray
punch hours later became "802 minutes late"); a clock-out only from the shift's start to
``CLOCK_OUT_AFTER`` after its end (overtime, a late shift running past midnight). When two
windows hold a punch (the late shift's after-midnight tail and the next morning's early shift),
an ``in`` goes to the shift whose start is nearer and an ``out`` to the shift whose end is nearer.
An ``out`` that follows an ``in`` ends that piece of work: it goes where its ``in`` went if that
shift's window holds it, and after an ``in`` that belongs to no shift it belongs to no shift
either, unless it falls within a shift's own hours (someone who clocked in far too early and left
at the end). Punches of no shift are work outside the roster on a rostered rest day (the day is
``rest_day_worked``: recorded, no rest day given back, DOMAIN.md) or on a day with no roster;
on a day with a shift or leave they are listed as stray punches and judge nothing.

Worked time is the sum of in-to-out pieces of the shift's own punches, and overtime only the part
of those pieces after the shift's end (at least ``Policy.overtime_min_minutes``): a lone clock-out
long after the shift, or an in and an out at the same instant, is never overtime. A piece runs from
an in to the last out before the next in, so an accidental out a minute after the in (a double tap
at the clock) does not end the shift that the real clock-out ends hours later. Overtime starts at
the end of the shift itself, also on a half-day: someone on PM leave who stays on is not doing
overtime during the shift's own hours.

One shift never costs more than not showing up for it: its breaches together count at most the
absence days and the deduction a no-show of that shift would (a day, or half a day when the other
half is leave). Late 180 minutes and leaving 180 minutes early is one day's absence, not two.

Days outside the person's employment (before the hire date, after the last working day) are
``not_employed``: nothing is expected of them and nothing is judged.

Half-day leave (AM = first half of the shift, PM = second half, with the times the leave module
stored on the request) leaves the roster cell a shift; the person is expected for the other half
only, so lateness and early leave are judged against that half and the day counts half a day of
leave.

Wall-clock shift times are turned into instants with pendulum in the department's IANA zone,
so a shift on a DST change day lasts its real length (08:30 local is 08:30 local; a 24:00 end
is the next day's local midnight).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter

from scheduler.attendance.policy import (
    Policy,
    absence_penalty,
    missing_punch_penalty,
    tier_penalty,
)

# Wall-clock conversions live in one place for rosters, the calendar feed and attendance;
# re-exported here for the attendance modules that read them from derive.
from scheduler.shifts.clock import local_date as local_date
from scheduler.shifts.clock import local_instant as local_instant
from scheduler.shifts.clock import zone_info as zone_info

#: How long before a shift's start a clock-in may come and still be for that shift: an early
#: shift's agent who comes in at dawn (05:00 for 08:30) is still clocking in for it, while the
#: previous evening is another day's business.
CLOCK_IN_BEFORE = dt.timedelta(hours=4)
#: How long after a shift's end a clock-out may come and still close it: a late shift that runs
#: on past midnight while customers wait (DOMAIN.md) is overtime, up to 06:00 for a 24:00 end.
CLOCK_OUT_AFTER = dt.timedelta(hours=6)
#: Work outside the roster: an out punch closes the in punch before it within this time.
MAX_SESSION = dt.timedelta(hours=16)
#: The share of a day a half-day leave takes (and half a day's absence, unexcused).
HALF_DAY = 0.5

STATUSES = (
    "on_time",
    "late",
    "early_leave",
    "late_and_early",
    "missing_punch",
    "absent",
    "leave",
    "rest",
    "rest_day_worked",
    "pending",
    "no_roster",
    "worked_no_roster",
    "not_employed",
)
HALVES = ("am", "pm")


@dataclass(frozen=True, slots=True)
class ShiftPlan:
    """A shift as published: wall-clock minutes from the day's local midnight (end may be >= 1440)."""

    code: str
    name: str
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class HalfLeave:
    """Approved half-day leave on a shift: its type, ``am``/``pm`` and the leave part's minutes.

    The minutes are the part of the shift on leave (wall-clock minutes like ``ShiftPlan``): AM
    leave of an 08:30-17:30 shift is 08:30-13:00, so the person is expected from 13:00 to 17:30.
    """

    code: str
    half: str
    start_minute: int
    end_minute: int


# The value classes below are treated as immutable but not declared frozen: a frozen
# dataclass's __init__ goes through object.__setattr__ for every field, and an export builds
# hundreds of thousands of them.


@dataclass(slots=True)
class DayPlan:
    """One published roster cell: a shift, a leave (absence code), or neither (a rest day).

    ``half_leaves`` holds approved half-day leave of a shift day (the roster keeps the shift).
    """

    date: dt.date
    shift: ShiftPlan | None = None
    absence: str | None = None
    half_leaves: tuple[HalfLeave, ...] = ()


@dataclass(slots=True)
class PunchFact:
    """A stored punch as derivation needs it."""

    id: int
    direction: str
    at: dt.datetime
    kind: str = "punch"
    corrects_id: int | None = None


@dataclass(slots=True)
class Breach:
    """One breach of a day, its penalty and the rule that produced it.

    ``detail`` says which punch is missing (``in``/``out``) or ``half`` for an absence from the
    half of a shift not on leave, so the rule can be told in another language. ``as_absence``:
    a lateness or early leave whose tier counts it as absence; payroll counts it there, not as
    a lateness too (the summary's late and early figures leave it out). ``capped``: the shift's
    breaches together reached what a no-show costs, and this one was cut to stay within it.
    """

    kind: str  # late | early_leave | absent | missing_punch
    minutes: int
    rule: str
    deduction: float
    absence_days: float = 0.0
    escalated: bool = False
    detail: str | None = None
    as_absence: bool = False
    capped: bool = False


@dataclass(slots=True)
class DayResult:
    """What happened on one day for one person.

    ``scheduled_start``/``scheduled_end`` are the expected working window: the shift, or the half
    of it not on leave (``half`` names the half on leave). ``leaves`` is the leave taken that day
    as (type, days). ``strays`` are punches of the day that belong to no shift and judge nothing
    (listed so a manager can correct them). ``holiday``: a statutory holiday.
    """

    date: dt.date
    status: str
    shift_code: str | None = None
    shift_name: str | None = None
    leave_type: str | None = None
    scheduled_start: dt.datetime | None = None
    scheduled_end: dt.datetime | None = None
    first_in: dt.datetime | None = None
    last_out: dt.datetime | None = None
    late_minutes: int = 0
    early_minutes: int = 0
    overtime_minutes: int = 0
    worked_minutes: int = 0
    missing: str | None = None
    breaches: tuple[Breach, ...] = ()
    punch_ids: tuple[int, ...] = ()
    leaves: tuple[tuple[str, float], ...] = ()
    half: str | None = None
    strays: tuple[PunchFact, ...] = ()
    holiday: bool = False

    @property
    def deduction(self) -> float:
        """The day's total deduction."""
        return round(sum(b.deduction for b in self.breaches), 2)

    @property
    def absence_days(self) -> float:
        """Days of absence the day's breaches count as."""
        return sum(b.absence_days for b in self.breaches)

    @property
    def counted_late_minutes(self) -> int:
        """Lateness as the month's summary counts it: breaches only, not those counted as absence.

        ``late_minutes`` is what was measured (4 minutes within the grace included); payroll's
        detail shows this figure so its rows add up to the summary.
        """
        return sum(b.minutes for b in self.breaches if b.kind == "late" and not b.as_absence)

    @property
    def counted_early_minutes(self) -> int:
        """Early leave as the month's summary counts it (see ``counted_late_minutes``)."""
        return sum(b.minutes for b in self.breaches if b.kind == "early_leave" and not b.as_absence)

    @property
    def counted_overtime_minutes(self) -> int:
        """Overtime as the summary counts it: none while the day is still ``pending``."""
        return 0 if self.status == "pending" else self.overtime_minutes

    @property
    def absent_days(self) -> float:
        """Days of absence without leave (a no-show: 1, or 0.5 beside half-day leave)."""
        return sum(b.absence_days for b in self.breaches if b.kind == "absent")

    @property
    def scheduled(self) -> bool:
        """Whether the roster put the person on a shift this day."""
        return self.shift_code is not None and self.status != "leave"

    @property
    def worked(self) -> bool:
        """Whether the person worked this day (any punch of a shift, or work off the roster)."""
        return bool(self.punch_ids) and self.status not in ("leave", "absent", "rest")

    @property
    def stray_punch_ids(self) -> tuple[int, ...]:
        """Ids of the day's stray punches."""
        return tuple(p.id for p in self.strays)

    @property
    def leave_days(self) -> float:
        """Days of leave taken this day (1, or 0.5 for half a day)."""
        return sum(days for _, days in self.leaves)

    @property
    def rules(self) -> str:
        """The rules behind the day's breaches, for people to read."""
        return "; ".join(b.rule for b in self.breaches)


@dataclass(frozen=True, slots=True)
class LeaveCertificate:
    """A leave that needs a medical certificate (sick leave of 2+ days) and where it stands.

    ``status`` is the leave module's: ``attached``, ``missing`` (not yet due) or ``overdue``.
    """

    leave_request_id: int
    type_code: str
    start_date: dt.date
    end_date: dt.date
    days: float
    due: dt.date
    status: str


@dataclass(slots=True)
class MonthSummary:
    """One person's month, summed from their days (what HR's summary sheet shows).

    Days still ``pending`` (their punch window is open) feed no figure but ``pending_shifts``:
    a provisional lateness or overtime must not reach payroll before the day is judged. Leave
    counts in days, half days as 0.5. Lateness and early leave count only as breaches (not within
    the grace) and not when their tier counts them as absence: those are in ``absence_days`` (the
    days of every breach counted as absence) and nowhere else. ``absences`` counts no-shows and
    ``absent_days`` their days (half a day beside half-day leave). ``holiday_*`` count every day
    worked on a statutory holiday (rostered or not) and the minutes worked on them;
    ``rest_day_minutes`` the minutes worked on rostered rest days. ``certificates`` is filled by
    the service (it comes from leave requests).
    """

    scheduled_shifts: int = 0
    worked_shifts: int = 0
    late_count: int = 0
    late_minutes: int = 0
    early_count: int = 0
    early_minutes: int = 0
    absences: int = 0
    absent_days: float = 0.0
    missing_punches: int = 0
    leave_days: dict[str, float] = field(default_factory=dict)
    overtime_minutes: int = 0
    rest_days_worked: int = 0
    absence_days: float = 0.0
    total_deduction: float = 0.0
    working_days: int = 0
    rest_day_minutes: int = 0
    holiday_days_worked: int = 0
    holiday_minutes_worked: int = 0
    stray_punches: int = 0
    pending_shifts: int = 0
    certificates: list[LeaveCertificate] = field(default_factory=list)


_AT_ID = attrgetter("at", "id")


def effective_punches(punches: Iterable[PunchFact]) -> list[PunchFact]:
    """The punches that count: without those a later record corrects, and without voids.

    A correction replaces its target (and can itself be corrected); a void cancels its target
    and counts for nothing itself. Ordered by instant, then id, so pairing is deterministic.
    """
    rows = punches if isinstance(punches, list) else list(punches)
    superseded = {p.corrects_id for p in rows if p.corrects_id is not None}
    if superseded:
        rows = [p for p in rows if p.id not in superseded and p.kind != "void"]
    else:  # the usual month: no corrections at all
        rows = [p for p in rows if p.kind != "void"]
    rows.sort(key=_AT_ID)
    return rows


def _minutes(delta: dt.timedelta) -> int:
    """Whole minutes of a duration (seconds dropped), never negative."""
    return max(0, int(delta.total_seconds() // 60))


# The hot path works on integer microseconds since the epoch: exact (no float rounding), and
# an int subtraction or comparison costs a fraction of the same on datetimes.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
_MINUTE_US = 60_000_000
_BEFORE_US = CLOCK_IN_BEFORE // _US
_AFTER_US = CLOCK_OUT_AFTER // _US
_SESSION_US = MAX_SESSION // _US


def _us(at: dt.datetime) -> int:
    return (at - _EPOCH) // _US


@lru_cache(maxsize=8192)
def _slot_times(
    day: dt.date, start_minute: int, end_minute: int, zone: str
) -> tuple[dt.datetime, dt.datetime, int, int]:
    """A shift's start and end instants on ``day``, as datetimes and as microseconds."""
    start = local_instant(day, start_minute, zone)
    end = local_instant(day, end_minute, zone)
    return start, end, _us(start), _us(end)


@lru_cache(maxsize=256)
def _month_days(first: dt.date) -> tuple[dt.date, ...]:
    days = []
    day = first
    while day.month == first.month:
        days.append(day)
        day += dt.timedelta(days=1)
    return tuple(days)


def work_window(shift: ShiftPlan, halves: Sequence[HalfLeave]) -> tuple[int, int] | None:
    """The wall-clock minutes a person is expected on a shift with half-day leave; None if none.

    AM leave moves the start to the leave's end, PM leave the end to the leave's start; both
    halves (two requests) leave nothing to work, and the day is leave.
    """
    start, end = shift.start_minute, shift.end_minute
    for h in halves:
        if h.half == "am":
            start = max(start, h.end_minute)
        else:
            end = min(end, h.start_minute)
    return (start, end) if start < end else None


class _Slot:
    """A scheduled shift with its instants, and the punches paired to it (in time order).

    ``start``/``end`` are the shift's (they place the punch windows); ``work_start``/``work_end``
    the part the person is expected for (the shift, or its half not on leave).
    """

    __slots__ = (
        "end",
        "end_us",
        "first_in",
        "first_in_us",
        "halves",
        "last_out",
        "last_out_us",
        "plan",
        "punches",
        "shift",
        "start",
        "start_us",
        "times",
        "work_end",
        "work_end_us",
        "work_start",
        "work_start_us",
    )

    def __init__(
        self, plan: DayPlan, shift: ShiftPlan, zone: str, window: tuple[int, int] | None = None
    ) -> None:
        self.plan = plan
        self.shift = shift
        self.halves = plan.half_leaves
        self.start, self.end, self.start_us, self.end_us = _slot_times(
            plan.date, shift.start_minute, shift.end_minute, zone
        )
        if window is None:
            self.work_start, self.work_end = self.start, self.end
            self.work_start_us, self.work_end_us = self.start_us, self.end_us
        else:
            self.work_start, self.work_end, self.work_start_us, self.work_end_us = _slot_times(
                plan.date, window[0], window[1], zone
            )
        self.punches: list[PunchFact] = []
        self.times: list[int] = []
        self.first_in: dt.datetime | None = None
        self.first_in_us = 0
        self.last_out: dt.datetime | None = None
        self.last_out_us = 0

    def add(self, p: PunchFact, t: int) -> None:
        self.punches.append(p)
        self.times.append(t)
        if p.direction == "in":
            if self.first_in is None or t < self.first_in_us:
                self.first_in, self.first_in_us = p.at, t
        elif self.last_out is None or t >= self.last_out_us:
            self.last_out, self.last_out_us = p.at, t


def _assign(slots: Sequence[_Slot], punches: Sequence[PunchFact]) -> list[PunchFact]:
    """Put each punch on the shift whose window holds it (see the module); return those on none.

    Slots are ordered by start; a window spans at most a couple of days, so only the slots
    whose window opened before the punch and closes after it are looked at (two cursors over
    both sorted lists keep a month's pairing linear).
    """
    unassigned: list[PunchFact] = []
    first = 0
    n = len(slots)
    opens = [s.start_us - _BEFORE_US for s in slots]
    closes = [s.end_us + _AFTER_US for s in slots]
    # The last punch, when it was an ``in``: its instant and its shift (None: no shift).
    open_at: int | None = None
    open_slot: _Slot | None = None
    for p in punches:  # ordered by instant
        t = _us(p.at)
        while first < n and closes[first] < t:
            first += 1
        best: _Slot | None = None
        best_distance = 0
        i = first
        if p.direction == "in":
            while i < n and opens[i] <= t:
                slot = slots[i]
                if t < slot.end_us:  # clock-in window: [start - CLOCK_IN_BEFORE, end)
                    distance = abs(t - slot.start_us)
                    if best is None or distance < best_distance:
                        best, best_distance = slot, distance
                i += 1
            open_at, open_slot = t, best
        else:
            follows_in = open_at is not None and t - open_at <= _SESSION_US
            if follows_in and open_slot is not None and t <= open_slot.end_us + _AFTER_US:
                best = open_slot  # closes the work its clock-in started (t > its in >= start-4h)
                if t <= best.start_us:
                    best = None  # before the shift began: not a clock-out of it
            else:
                # After an in of no shift: only a clock-out within a shift's own hours.
                stray_in = follows_in and open_slot is None
                while i < n and opens[i] <= t:
                    slot = slots[i]
                    if slot.start_us < t <= (slot.end_us if stray_in else closes[i]):
                        distance = abs(t - slot.end_us)
                        if best is None or distance < best_distance:
                            best, best_distance = slot, distance
                    i += 1
            open_at, open_slot = None, None
        if best is None:
            unassigned.append(p)
        else:
            best.add(p, t)
    return unassigned


def _sessions(punches: Sequence[PunchFact], zone: str) -> dict[dt.date, list[PunchFact]]:
    """Work off the roster grouped by the local date it started on (an in and its out)."""
    by_date: dict[dt.date, list[PunchFact]] = {}
    open_in: PunchFact | None = None
    for p in punches:
        if p.direction == "in":
            open_in = p
            by_date.setdefault(local_date(p.at, zone), []).append(p)
        elif open_in is not None and p.at - open_in.at <= MAX_SESSION:
            by_date[local_date(open_in.at, zone)].append(p)
            open_in = None
        else:
            by_date.setdefault(local_date(p.at, zone), []).append(p)
            open_in = None
    return by_date


def _worked(punches: Sequence[PunchFact]) -> int:
    """Minutes of the in-to-out pieces of ``punches`` (in time order); unpaired punches add none.

    A piece runs from an in to the last out before the next in, as on a shift
    (:func:`_work_minutes`): a double tap right after clocking in does not end the day's work.
    """
    total = dt.timedelta()
    opened: dt.datetime | None = None
    closed: dt.datetime | None = None
    for p in punches:
        if p.direction == "in":
            if opened is None:
                opened = p.at
            elif closed is not None:
                total += closed - opened
                opened, closed = p.at, None
        elif opened is not None:
            closed = p.at
    if opened is not None and closed is not None:
        total += closed - opened
    return _minutes(total)


def _off_roster_day(day: dt.date, status: str, extra: list[PunchFact]) -> DayResult:
    return DayResult(
        date=day,
        status=status,
        first_in=min((p.at for p in extra if p.direction == "in"), default=None),
        last_out=max((p.at for p in extra if p.direction == "out"), default=None),
        worked_minutes=_worked(extra),
        punch_ids=tuple(p.id for p in extra),
    )


def _slots(plans: dict[dt.date, DayPlan], zone: str) -> tuple[list[_Slot], dict[dt.date, DayPlan]]:
    """The shifts punches pair with, by start; and the shift days wholly on half-day leave."""
    slots = []
    halves_off: dict[dt.date, DayPlan] = {}  # shifts entirely on half-day leave (AM + PM)
    for cell in sorted(plans.values(), key=lambda p: p.date):
        shift = cell.shift
        if shift is None or cell.absence is not None:
            continue
        if cell.half_leaves:
            window = work_window(shift, cell.half_leaves)
            if window is None:
                halves_off[cell.date] = cell
                continue
            slots.append(_Slot(cell, shift, zone, window))
        else:
            slots.append(_Slot(cell, shift, zone))
    return slots, halves_off


def judged_day(
    plans: dict[dt.date, DayPlan], punches: Iterable[PunchFact], punch: PunchFact, zone: str
) -> tuple[dt.date, ShiftPlan | None]:
    """The day a punch counts for in :func:`derive_month`, and the shift it is paired with.

    A clock-out at 00:05 closing the previous evening's late shift counts for that shift's
    day, not for the calendar date of its instant; anything that names "the punch's day" to a
    person (a correction request's summary, its window) must say the day derivation judges.
    ``punches`` are the person's records around it, as for :func:`derive_month`, and must
    hold ``punch``. A punch of no shift counts for the day its piece of work started on (as
    derivation groups off-roster work); one that counts for nothing (a void), for its own
    local date.
    """
    slots, _ = _slots(plans, zone)
    unassigned = _assign(slots, effective_punches(punches))
    for slot in slots:
        if any(p is punch for p in slot.punches):
            return slot.plan.date, slot.shift
    for day, work in _sessions(unassigned, zone).items():
        if any(p is punch for p in work):
            return day, None
    return local_date(punch.at, zone), None


def derive_month(
    month: dt.date,
    plans: dict[dt.date, DayPlan],
    punches: Iterable[PunchFact],
    zone: str,
    policy: Policy,
    as_of: dt.datetime,
    holidays: Collection[dt.date] = frozenset(),
    *,
    hired: dt.date | None = None,
    left: dt.date | None = None,
) -> list[DayResult]:
    """Every day of ``month`` for one person, judged by ``policy``.

    Args:
        month: any day of the month to derive.
        plans: published cells by date; include the day before the month and the day after,
            so a late shift on the last day of the previous month keeps its after-midnight
            clock-out and the next month's first early shift keeps its early clock-in.
        punches: every punch of the person around the month (corrections and voids included).
        zone: the department's IANA time zone.
        policy: the policy in force for the month.
        as_of: now; a shift whose punch window has not closed yet is ``pending``, not absent.
        holidays: the statutory holidays of the month (marked on the days, for payroll).
        hired: the person's hire date; days before it are ``not_employed``.
        left: the person's last working day; days after it are ``not_employed`` (a late shift
            of that day keeps its clock-out after midnight: it is judged by the shift's day).
    """
    slots, halves_off = _slots(plans, zone)
    unassigned = _assign(slots, effective_punches(punches))
    off_roster = _sessions(unassigned, zone) if unassigned else {}
    by_date = {s.plan.date: s for s in slots}
    as_of_us = _us(as_of)

    results: list[DayResult] = []
    append = results.append
    lateness_count = 0
    for day in _month_days(month.replace(day=1)):
        if (hired is not None and day < hired) or (left is not None and day > left):
            # Not employed: no shift is owed, so nothing is absent, rest or worked for payroll.
            append(DayResult(day, "not_employed"))
            continue
        slot = by_date.get(day)
        extra = off_roster.get(day)
        if slot is not None:
            result, late = _judge_shift(slot, policy, as_of_us, lateness_count)
            lateness_count += late
            if extra:
                result.strays = tuple(extra)
            if day in holidays:
                result.holiday = True
            append(result)
            continue
        plan = plans.get(day)
        if plan is not None and (plan.absence is not None or day in halves_off):
            shift = plan.shift
            leaves = (
                ((plan.absence, 1.0),)
                if plan.absence is not None
                else tuple((h.code, HALF_DAY) for h in plan.half_leaves)
            )
            result = DayResult(
                date=day,
                status="leave",
                leave_type=leaves[0][0],
                shift_code=shift.code if shift else None,
                shift_name=shift.name if shift else None,
                leaves=leaves,
                strays=tuple(extra) if extra else (),
            )
        elif plan is not None:
            result = (
                _off_roster_day(day, "rest_day_worked", extra) if extra else DayResult(day, "rest")
            )
        elif extra:
            result = _off_roster_day(day, "worked_no_roster", extra)
        else:
            result = DayResult(day, "no_roster")
        if day in holidays:
            result.holiday = True
        append(result)
    return results


@lru_cache(maxsize=256)
def _absence(policy: Policy, half: bool) -> Breach:
    """What not showing up for a shift costs (half a day beside half-day leave): shared, as is.

    Also the most any shift's breaches may cost together (``_cap_to_absence``).
    """
    if half:
        return _half_absence(policy)
    p = absence_penalty(policy)
    return Breach("absent", 0, p.rule, p.deduction, p.absence_days)


def _half_absence(policy: Policy) -> Breach:
    """Absence without leave from the half of a shift not on leave: half a day."""
    days = HALF_DAY
    return Breach(
        "absent",
        0,
        "absent without leave: half a day (the other half is leave)",
        round(policy.absence_deduction * days, 2),
        days,
        detail="half",
    )


def _work_minutes(slot: _Slot) -> tuple[int, int]:
    """Worked minutes of a shift's in-to-out pieces, and of them those after the shift's end.

    A piece runs from an in to the last out before the next in: an out followed by another
    out (a double tap right after clocking in, then the real clock-out) does not end the work,
    the later one does. Overtime is measured from the shift's own end, not from the end of the
    half worked on a half-day: staying on into the half on leave is not overtime.
    """
    end_us = slot.end_us
    total = after = 0
    opened: int | None = None
    closed: int | None = None
    for punch, t in zip(slot.punches, slot.times, strict=True):
        if punch.direction == "in":
            if opened is None:
                opened = t
            elif closed is not None:  # the piece ended at its last out; a new one starts
                total += closed - opened
                if closed > end_us:
                    after += closed - max(opened, end_us)
                opened, closed = t, None
        elif opened is not None:
            closed = t
    if opened is not None and closed is not None:
        total += closed - opened
        if closed > end_us:
            after += closed - max(opened, end_us)
    return total // _MINUTE_US, after // _MINUTE_US


def _cap_to_absence(found: list[Breach], days: float, deduction: float) -> tuple[Breach, ...]:
    """A shift's breaches, cut so that together they cost at most its absence.

    Not showing up for a shift is the worst a shift can be, so late 180 and early 180 minutes
    (each a day's absence by the default tiers) are one day's absence, not two, and a missing
    clock-in beside a day's early leave does not cost more than the day. Breaches keep their
    order (late, early leave, missing punch): the first keep their price, the later ones are
    cut to what is left and say so in their rule. A policy that prices absence at 0 (it docks
    absence in days only) caps the days alone: capping money at 0 would waive every lateness.
    """
    if deduction <= 0:
        deduction = float("inf")
    if (
        sum(b.absence_days for b in found) <= days
        and sum(b.deduction for b in found) <= deduction + 0.005
    ):
        return tuple(found)
    price = "" if deduction == float("inf") else f", {deduction:g}"
    note = f"; capped: one shift counts at most as its absence ({days:g} day{price})"
    days_left, deduction_left = days, deduction
    out: list[Breach] = []
    for b in found:
        b_days = min(b.absence_days, days_left)
        b_deduction = round(min(b.deduction, max(0.0, deduction_left)), 2)
        if b_days != b.absence_days or b_deduction != b.deduction:
            b = Breach(
                b.kind,
                b.minutes,
                b.rule + note,
                b_deduction,
                b_days,
                b.escalated,
                b.detail,
                b.as_absence,
                capped=True,
            )
        days_left -= b_days
        deduction_left -= b_deduction
        out.append(b)
    return tuple(out)


def _judge_shift(
    slot: _Slot, policy: Policy, as_of_us: int, lateness_before: int
) -> tuple[DayResult, int]:
    """One scheduled shift: lateness, early leave, missing punch, absence, overtime.

    Lateness and early leave are measured against the expected window (the half not on leave
    on a half-day); overtime is the worked time of the shift's in-to-out pieces after its end
    (:func:`_work_minutes`). The breaches together cost at most the shift's absence
    (:func:`_cap_to_absence`). Returns the day and 1 if it counts as a lateness (for the
    monthly escalation), else 0: a lateness long enough to be charged as absence is counted as
    absence only, in the escalation as in the month's summary, so HR never sees "lateness no. 4"
    beside a month that counts one lateness.
    """
    punches = slot.punches
    first_in = slot.first_in
    last_out = slot.last_out
    start_us = slot.work_start_us
    end_us = slot.work_end_us
    late = early = overtime = worked = 0
    if first_in is not None:
        late = max(0, (slot.first_in_us - start_us) // _MINUTE_US)
    if last_out is not None:
        early = max(0, (end_us - slot.last_out_us) // _MINUTE_US)
        if first_in is not None:
            worked, overtime = _work_minutes(slot)
            if overtime < max(1, policy.overtime_min_minutes):
                overtime = 0
    breaches: tuple[Breach, ...] = ()
    missing: str | None = None
    is_late = False
    counts_as_lateness = False
    halves = slot.halves
    absence = _absence(policy, bool(halves))
    if as_of_us < slot.end_us + _AFTER_US:
        status = "pending"  # the shift's punch window is still open: nothing judged yet
    elif not punches:
        breaches = (absence,)
        status = "absent"
    else:
        found: list[Breach] = []
        grace = policy.grace_minutes
        is_late = first_in is not None and late > grace
        if is_late:
            escalated = lateness_before + 1 >= policy.escalate_from_lateness
            p = tier_penalty(policy, "late", late, escalated=escalated)
            counts_as_lateness = p.absence_days == 0
            found.append(
                Breach(
                    "late",
                    late,
                    p.rule,
                    p.deduction,
                    p.absence_days,
                    p.escalated,
                    as_absence=p.absence_days > 0,
                )
            )
        is_early = last_out is not None and early > grace
        if is_early:
            p = tier_penalty(policy, "early_leave", early)
            found.append(
                Breach(
                    "early_leave",
                    early,
                    p.rule,
                    p.deduction,
                    p.absence_days,
                    as_absence=p.absence_days > 0,
                )
            )
        missing = "in" if first_in is None else "out" if last_out is None else None
        if missing:
            p = missing_punch_penalty(policy, missing)
            found.append(Breach("missing_punch", 0, p.rule, p.deduction, detail=missing))
            status = "missing_punch"
        elif is_late and is_early:
            status = "late_and_early"
        elif is_late:
            status = "late"
        elif is_early:
            status = "early_leave"
        else:
            status = "on_time"
        if found:
            breaches = _cap_to_absence(found, absence.absence_days, absence.deduction)
    shift = slot.shift
    day = DayResult(
        slot.plan.date,
        status,
        shift.code,
        shift.name,
        None,
        slot.work_start,
        slot.work_end,
        first_in,
        last_out,
        late,
        early,
        overtime,
        worked,
        missing,
        breaches,
        tuple([p.id for p in punches]),
    )
    if halves:
        day.leave_type = halves[0].code
        day.half = halves[0].half
        day.leaves = tuple((h.code, HALF_DAY) for h in halves)
    return day, 1 if counts_as_lateness else 0


def summarise(days: Iterable[DayResult]) -> MonthSummary:
    """Sum a person's days into the month's figures.

    ``working_days`` is the n of the monthly review (000 第四章): the days the person actually
    worked (a scheduled shift with any punch, a rest day worked, work with no roster). Leave
    counts whatever the day's state; a ``pending`` day adds nothing else (see MonthSummary).
    """
    s = MonthSummary()
    leave_days = s.leave_days
    total = 0.0
    for d in days:
        status = d.status
        for code, n in d.leaves:
            leave_days[code] = leave_days.get(code, 0.0) + n
        if status == "pending":
            s.pending_shifts += 1
            continue
        if d.strays:
            s.stray_punches += len(d.strays)
        if status == "leave" or status == "not_employed":
            continue  # not scheduled, not worked, no breaches, no overtime (see DayResult)
        if d.shift_code is not None:
            s.scheduled_shifts += 1
            if status != "absent" and d.punch_ids:
                s.worked_shifts += 1
        if d.punch_ids and status != "absent" and status != "rest":
            s.working_days += 1
            if d.holiday:
                s.holiday_days_worked += 1
                s.holiday_minutes_worked += d.worked_minutes
        breaches = d.breaches
        if breaches:
            for b in breaches:
                kind = b.kind
                if b.as_absence:
                    pass  # counted as absence (absence_days below), not as a lateness too
                elif kind == "late":
                    s.late_count += 1
                    s.late_minutes += b.minutes
                elif kind == "early_leave":
                    s.early_count += 1
                    s.early_minutes += b.minutes
                elif kind == "absent":
                    s.absences += 1
                    s.absent_days += b.absence_days
                elif kind == "missing_punch":
                    s.missing_punches += 1
            s.absence_days += sum(b.absence_days for b in breaches)
            total += round(sum(b.deduction for b in breaches), 2)
        if status == "rest_day_worked":
            s.rest_days_worked += 1
            s.rest_day_minutes += d.worked_minutes
        s.overtime_minutes += d.overtime_minutes
    s.total_deduction = round(total, 2)
    return s
