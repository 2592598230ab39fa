"""Attendance derived from facts: pure functions, no database, no clock.

Given one person's published roster cells (shift times as wall-clock minutes of the
department's zone, or a leave code), their punches (UTC instants, corrections included) and
the penalty policy, :func:`derive_month` says for every day of a month what happened and what
each breach costs. The same facts always give the same answer, so a month can be recomputed
at any time; it is computed on read (see ``service``) and therefore always follows the latest
punches, corrections, leave and roster version.

Pairing punches to shifts: a punch can belong to a shift whose window
``[start - 4 h, end + 6 h]`` contains it; when two windows contain it (the late shift's
after-midnight tail and the next morning's early shift), a clock-in goes to the shift whose
start is nearer and a clock-out to the shift whose end is nearer. So an out punch at 00:40
belongs to the previous day's late shift (overtime past 24:00), while an in punch at 08:20 on
the same morning belongs to that day's early shift. Punches outside every window are work
outside the roster: on a rostered rest day they make the day "rest_day_worked" (recorded, no
rest day given back, DOMAIN.md).

Wall-clock shift times are turned into instants with pendulum in the department's IANA zone,
so a shift on a DST change day lasts its real length (08:30 local is 08:30 local; a 24:00 end
is the next day's local midnight).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
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

#: How long before a shift's start a clock-in may come and still be for that shift.
WINDOW_BEFORE = dt.timedelta(hours=4)
#: How long after a shift's end a clock-out may come (overtime, a late shift past midnight).
WINDOW_AFTER = dt.timedelta(hours=6)
#: Work outside the roster: an out punch closes the in punch before it within this time.
MAX_SESSION = dt.timedelta(hours=16)

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
)


@dataclass(frozen=True, slots=True)
class ShiftPlan:
    """A shift as published: wall-clock minutes from the day's local midnight (end may be >= 1440)."""

    code: str
    name: str
    start_minute: int
    end_minute: int


# The value classes below are treated as immutable but not declared frozen: a frozen
# dataclass's __init__ goes through object.__setattr__ for every field, and an export builds
# hundreds of thousands of them.


@dataclass(slots=True)
class DayPlan:
    """One published roster cell: a shift, a leave (absence code), or neither (a rest day)."""

    date: dt.date
    shift: ShiftPlan | None = None
    absence: str | None = None


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
    """One breach of a day, its penalty and the rule that produced it."""

    kind: str  # late | early_leave | absent | missing_punch
    minutes: int
    rule: str
    deduction: float
    absence_days: float = 0.0
    escalated: bool = False


@dataclass(slots=True)
class DayResult:
    """What happened on one day for one person."""

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

    @property
    def deduction(self) -> float:
        """The day's total deduction."""
        return round(sum(b.deduction for b in self.breaches), 2)

    @property
    def absence_days(self) -> float:
        """Days of absence the day's breaches count as."""
        return sum(b.absence_days for b in self.breaches)

    @property
    def scheduled(self) -> bool:
        """Whether the roster put the person on a shift this day."""
        return self.shift_code is not None and self.status != "leave"

    @property
    def worked(self) -> bool:
        """Whether the person worked this day (any punch of a shift, or work off the roster)."""
        return bool(self.punch_ids) and self.status not in ("leave", "absent", "rest")

    @property
    def rules(self) -> str:
        """The rules behind the day's breaches, for people to read."""
        return "; ".join(b.rule for b in self.breaches)


@dataclass(slots=True)
class MonthSummary:
    """One person's month, summed from their days (what HR's summary sheet shows)."""

    scheduled_shifts: int = 0
    worked_shifts: int = 0
    late_count: int = 0
    late_minutes: int = 0
    early_count: int = 0
    early_minutes: int = 0
    absences: int = 0
    missing_punches: int = 0
    leave_days: dict[str, int] = field(default_factory=dict)
    overtime_minutes: int = 0
    rest_days_worked: int = 0
    absence_days: float = 0.0
    total_deduction: float = 0.0
    working_days: int = 0


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
_BEFORE_US = WINDOW_BEFORE // _US
_AFTER_US = WINDOW_AFTER // _US


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


class _Slot:
    """A scheduled shift with its instants, and the punches paired to it (in time order)."""

    __slots__ = (
        "end",
        "end_us",
        "first_in",
        "first_in_us",
        "last_out",
        "last_out_us",
        "plan",
        "punches",
        "shift",
        "start",
        "start_us",
    )

    def __init__(self, plan: DayPlan, shift: ShiftPlan, zone: str) -> None:
        self.plan = plan
        self.shift = shift
        self.start, self.end, self.start_us, self.end_us = _slot_times(
            plan.date, shift.start_minute, shift.end_minute, zone
        )
        self.punches: list[PunchFact] = []
        self.first_in: dt.datetime | None = None
        self.first_in_us = 0
        self.last_out: dt.datetime | None = None
        self.last_out_us = 0

    def add(self, p: PunchFact, t: int) -> None:
        self.punches.append(p)
        if p.direction == "in":
            if self.first_in is None or t < self.first_in_us:
                self.first_in, self.first_in_us = p.at, t
        elif self.last_out is None or t >= self.last_out_us:
            self.last_out, self.last_out_us = p.at, t


def _assign(slots: Sequence[_Slot], punches: Sequence[PunchFact]) -> list[PunchFact]:
    """Put each punch on the nearest shift whose window holds it; return those on none.

    Slots are ordered by start; a window spans at most a couple of days, so only the slots
    whose window opened before the punch and closes after it are looked at (two cursors over
    both sorted lists keep a month's pairing linear).
    """
    unassigned: list[PunchFact] = []
    first = 0
    n = len(slots)
    opens = [s.start_us - _BEFORE_US for s in slots]
    closes = [s.end_us + _AFTER_US for s in slots]
    for p in punches:  # ordered by instant
        t = _us(p.at)
        while first < n and closes[first] < t:
            first += 1
        best: _Slot | None = None
        best_distance = 0
        is_in = p.direction == "in"
        i = first
        while i < n and opens[i] <= t:
            if t <= closes[i]:
                slot = slots[i]
                distance = abs(t - (slot.start_us if is_in else slot.end_us))
                if best is None or distance < best_distance:
                    best, best_distance = slot, distance
            i += 1
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
    ins = [p.at for p in punches if p.direction == "in"]
    outs = [p.at for p in punches if p.direction == "out"]
    if ins and outs and max(outs) > min(ins):
        return _minutes(max(outs) - min(ins))
    return 0


def _off_roster_day(day: dt.date, status: str, extra: list[PunchFact]) -> DayResult:
    return DayResult(
        date=day,
        status=status,
        first_in=min((p.at for p in extra if p.direction == "in"), default=None),
        last_out=max((p.at for p in extra if p.direction == "out"), default=None),
        worked_minutes=_worked(extra),
        punch_ids=tuple(p.id for p in extra),
    )


def derive_month(
    month: dt.date,
    plans: dict[dt.date, DayPlan],
    punches: Iterable[PunchFact],
    zone: str,
    policy: Policy,
    as_of: dt.datetime,
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
    """
    slots = [
        _Slot(plan, plan.shift, zone)
        for plan in sorted(plans.values(), key=lambda p: p.date)
        if plan.shift is not None and plan.absence is None
    ]
    unassigned = _assign(slots, effective_punches(punches))
    off_roster = _sessions(unassigned, zone) if unassigned else {}
    by_date = {s.plan.date: s for s in slots}
    as_of_us = _us(as_of)

    results: list[DayResult] = []
    append = results.append
    lateness_count = 0
    for day in _month_days(month.replace(day=1)):
        slot = by_date.get(day)
        if slot is not None:
            result, late = _judge_shift(slot, policy, as_of_us, lateness_count)
            lateness_count += late
            append(result)
            continue
        plan = plans.get(day)
        extra = off_roster.get(day)
        if plan is not None and plan.absence is not None:
            shift = plan.shift
            append(
                DayResult(
                    date=day,
                    status="leave",
                    leave_type=plan.absence,
                    shift_code=shift.code if shift else None,
                    shift_name=shift.name if shift else None,
                )
            )
        elif plan is not None:
            append(
                _off_roster_day(day, "rest_day_worked", extra) if extra else DayResult(day, "rest")
            )
        elif extra:
            append(_off_roster_day(day, "worked_no_roster", extra))
        else:
            append(DayResult(day, "no_roster"))
    return results


def _judge_shift(
    slot: _Slot, policy: Policy, as_of_us: int, lateness_before: int
) -> tuple[DayResult, int]:
    """One scheduled shift: lateness, early leave, missing punch, absence, overtime.

    Returns the day and 1 if it counts as a lateness (for the monthly escalation), else 0.
    """
    punches = slot.punches
    first_in = slot.first_in
    last_out = slot.last_out
    start_us = slot.start_us
    end_us = slot.end_us
    late = early = overtime = worked = 0
    if first_in is not None:
        late = max(0, (slot.first_in_us - start_us) // _MINUTE_US)
    if last_out is not None:
        early = max(0, (end_us - slot.last_out_us) // _MINUTE_US)
        overtime = max(0, (slot.last_out_us - end_us) // _MINUTE_US)
        if overtime < max(1, policy.overtime_min_minutes):
            overtime = 0
        if first_in is not None and slot.last_out_us > slot.first_in_us:
            worked = (slot.last_out_us - slot.first_in_us) // _MINUTE_US
    breaches: tuple[Breach, ...] = ()
    missing: str | None = None
    is_late = False
    if as_of_us < end_us + _AFTER_US:
        status = "pending"  # the shift's punch window is still open: nothing judged yet
    elif not punches:
        p = absence_penalty(policy)
        breaches = (Breach("absent", 0, p.rule, p.deduction, p.absence_days),)
        status = "absent"
    else:
        found: list[Breach] = []
        grace = policy.grace_minutes
        is_late = first_in is not None and late > grace
        if is_late:
            escalated = lateness_before + 1 >= policy.escalate_from_lateness
            p = tier_penalty(policy, "late", late, escalated=escalated)
            found.append(Breach("late", late, p.rule, p.deduction, p.absence_days, p.escalated))
        is_early = last_out is not None and early > grace
        if is_early:
            p = tier_penalty(policy, "early_leave", early)
            found.append(Breach("early_leave", early, p.rule, p.deduction, p.absence_days))
        missing = "in" if first_in is None else "out" if last_out is None else None
        if missing:
            p = missing_punch_penalty(policy, missing)
            found.append(Breach("missing_punch", 0, p.rule, p.deduction))
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
            breaches = tuple(found)
    shift = slot.shift
    day = DayResult(
        slot.plan.date,
        status,
        shift.code,
        shift.name,
        None,
        slot.start,
        slot.end,
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
    return day, 1 if is_late else 0


def summarise(days: Iterable[DayResult]) -> MonthSummary:
    """Sum a person's days into the month's figures.

    ``working_days`` is the n of the monthly review (000 第四章): the days the person actually
    worked (a scheduled shift with any punch, a rest day worked, work with no roster).
    """
    s = MonthSummary()
    leave_days = s.leave_days
    total = 0.0
    for d in days:
        status = d.status
        if status == "leave":
            if d.leave_type:
                leave_days[d.leave_type] = leave_days.get(d.leave_type, 0) + 1
            continue  # not scheduled, not worked, no breaches, no overtime (see DayResult)
        if d.shift_code is not None:
            s.scheduled_shifts += 1
            if status != "absent" and d.punch_ids:
                s.worked_shifts += 1
        if d.punch_ids and status != "absent" and status != "rest":
            s.working_days += 1
        breaches = d.breaches
        if breaches:
            for b in breaches:
                kind = b.kind
                if kind == "late":
                    s.late_count += 1
                    s.late_minutes += b.minutes
                elif kind == "early_leave":
                    s.early_count += 1
                    s.early_minutes += b.minutes
                elif kind == "absent":
                    s.absences += 1
                elif kind == "missing_punch":
                    s.missing_punches += 1
            s.absence_days += sum(b.absence_days for b in breaches)
            total += round(sum(b.deduction for b in breaches), 2)
        if status == "rest_day_worked":
            s.rest_days_worked += 1
        s.overtime_minutes += d.overtime_minutes
    s.total_deduction = round(total, 2)
    return s
