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
from zoneinfo import ZoneInfo

import pendulum

from scheduler.attendance.policy import (
    Policy,
    absence_penalty,
    missing_punch_penalty,
    tier_penalty,
)

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


@lru_cache(maxsize=4096)
def local_instant(day: dt.date, minute: int, zone: str) -> dt.datetime:
    """The UTC instant of wall-clock ``minute`` after ``day``'s local midnight in ``zone``.

    Minutes of 1440 and more fall on the following days (24:00 is the next local midnight). A
    wall time skipped by a DST change moves forward, as pendulum does. Cached: every person of a
    department shares the same few shift times per day.
    """
    extra_days, minute_of_day = divmod(minute, 1440)
    d = day + dt.timedelta(days=extra_days)
    local = pendulum.datetime(
        d.year, d.month, d.day, minute_of_day // 60, minute_of_day % 60, tz=zone
    )
    return dt.datetime.fromtimestamp(local.timestamp(), tz=dt.UTC)


@lru_cache(maxsize=64)
def _zone(zone: str) -> ZoneInfo:
    return ZoneInfo(zone)


def local_date(at: dt.datetime, zone: str) -> dt.date:
    """The department-local date of an instant."""
    return at.astimezone(_zone(zone)).date()


def effective_punches(punches: Iterable[PunchFact]) -> list[PunchFact]:
    """The punches that count: without those a later record corrects, and without voids.

    A correction replaces its target (and can itself be corrected); a void cancels its target
    and counts for nothing itself. Ordered by instant, then id, so pairing is deterministic.
    """
    rows = list(punches)
    superseded = {p.corrects_id for p in rows if p.corrects_id is not None}
    return sorted(
        (p for p in rows if p.id not in superseded and p.kind != "void"),
        key=lambda p: (p.at, p.id),
    )


def _minutes(delta: dt.timedelta) -> int:
    """Whole minutes of a duration (seconds dropped), never negative."""
    return max(0, int(delta.total_seconds() // 60))


@dataclass(slots=True)
class _Slot:
    plan: DayPlan
    shift: ShiftPlan
    start: dt.datetime
    end: dt.datetime
    punches: list[PunchFact] = field(default_factory=list)


def _assign(slots: Sequence[_Slot], punches: Sequence[PunchFact]) -> list[PunchFact]:
    """Put each punch on the nearest shift whose window holds it; return those on none.

    Slots are ordered by start; a window spans at most a couple of days, so only the slots
    whose window opened before the punch and closes after it are looked at (two cursors over
    both sorted lists keep a month's pairing linear).
    """
    unassigned: list[PunchFact] = []
    first = 0
    opens = [s.start - WINDOW_BEFORE for s in slots]
    closes = [s.end + WINDOW_AFTER for s in slots]
    for p in punches:  # ordered by instant
        while first < len(slots) and closes[first] < p.at:
            first += 1
        best: _Slot | None = None
        best_distance: dt.timedelta | None = None
        i = first
        while i < len(slots) and opens[i] <= p.at:
            if p.at <= closes[i]:
                slot = slots[i]
                anchor = slot.start if p.direction == "in" else slot.end
                distance = abs(p.at - anchor)
                if best_distance is None or distance < best_distance:
                    best, best_distance = slot, distance
            i += 1
        if best is None:
            unassigned.append(p)
        else:
            best.punches.append(p)
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
    first = month.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    slots = [
        _Slot(
            plan=plan,
            shift=plan.shift,
            start=local_instant(plan.date, plan.shift.start_minute, zone),
            end=local_instant(plan.date, plan.shift.end_minute, zone),
        )
        for plan in sorted(plans.values(), key=lambda p: p.date)
        if plan.shift is not None and plan.absence is None
    ]
    unassigned = _assign(slots, effective_punches(punches))
    off_roster = _sessions(unassigned, zone)
    by_date = {s.plan.date: s for s in slots}

    results: list[DayResult] = []
    lateness_count = 0
    day = first
    while day <= last:
        plan = plans.get(day)
        slot = by_date.get(day)
        extra = off_roster.get(day, [])
        if slot is not None:
            result = _judge_shift(slot, policy, as_of, lateness_count)
            if any(b.kind == "late" for b in result.breaches):
                lateness_count += 1
        elif plan is not None and plan.absence is not None:
            result = DayResult(
                date=day,
                status="leave",
                leave_type=plan.absence,
                shift_code=plan.shift.code if plan.shift else None,
                shift_name=plan.shift.name if plan.shift else None,
            )
        elif plan is not None:
            result = DayResult(
                date=day,
                status="rest_day_worked" if extra else "rest",
                first_in=min((p.at for p in extra if p.direction == "in"), default=None),
                last_out=max((p.at for p in extra if p.direction == "out"), default=None),
                worked_minutes=_worked(extra),
                punch_ids=tuple(p.id for p in extra),
            )
        else:
            result = DayResult(
                date=day,
                status="worked_no_roster" if extra else "no_roster",
                first_in=min((p.at for p in extra if p.direction == "in"), default=None),
                last_out=max((p.at for p in extra if p.direction == "out"), default=None),
                worked_minutes=_worked(extra),
                punch_ids=tuple(p.id for p in extra),
            )
        results.append(result)
        day += dt.timedelta(days=1)
    return results


def _judge_shift(
    slot: _Slot, policy: Policy, as_of: dt.datetime, lateness_before: int
) -> DayResult:
    """One scheduled shift: lateness, early leave, missing punch, absence, overtime."""
    punches = slot.punches
    ins = [p.at for p in punches if p.direction == "in"]
    outs = [p.at for p in punches if p.direction == "out"]
    first_in = min(ins) if ins else None
    last_out = max(outs) if outs else None
    late = _minutes(first_in - slot.start) if first_in else 0
    early = _minutes(slot.end - last_out) if last_out else 0
    overtime = _minutes(last_out - slot.end) if last_out else 0
    if overtime < max(1, policy.overtime_min_minutes):
        overtime = 0
    worked = _minutes(last_out - first_in) if first_in and last_out and last_out > first_in else 0
    breaches: list[Breach] = []
    missing: str | None = None
    if as_of < slot.end + WINDOW_AFTER:
        status = "pending"  # the shift's punch window is still open: nothing judged yet
    elif not punches:
        p = absence_penalty(policy)
        breaches.append(Breach("absent", 0, p.rule, p.deduction, p.absence_days))
        status = "absent"
    else:
        is_late = first_in is not None and late > policy.grace_minutes
        if is_late:
            escalated = lateness_before + 1 >= policy.escalate_from_lateness
            p = tier_penalty(policy, "late", late, escalated=escalated)
            breaches.append(Breach("late", late, p.rule, p.deduction, p.absence_days, p.escalated))
        is_early = last_out is not None and early > policy.grace_minutes
        if is_early:
            p = tier_penalty(policy, "early_leave", early)
            breaches.append(Breach("early_leave", early, p.rule, p.deduction, p.absence_days))
        missing = "in" if first_in is None else "out" if last_out is None else None
        if missing:
            p = missing_punch_penalty(policy, missing)
            breaches.append(Breach("missing_punch", 0, p.rule, p.deduction))
            status = "missing_punch"
        elif is_late and is_early:
            status = "late_and_early"
        elif is_late:
            status = "late"
        elif is_early:
            status = "early_leave"
        else:
            status = "on_time"
    return DayResult(
        date=slot.plan.date,
        status=status,
        shift_code=slot.shift.code,
        shift_name=slot.shift.name,
        scheduled_start=slot.start,
        scheduled_end=slot.end,
        first_in=first_in,
        last_out=last_out,
        late_minutes=late,
        early_minutes=early,
        overtime_minutes=overtime,
        worked_minutes=worked,
        missing=missing,
        breaches=tuple(breaches),
        punch_ids=tuple(p.id for p in punches),
    )


def summarise(days: Iterable[DayResult]) -> MonthSummary:
    """Sum a person's days into the month's figures.

    ``working_days`` is the n of the monthly review (000 第四章): the days the person actually
    worked (a scheduled shift with any punch, a rest day worked, work with no roster).
    """
    s = MonthSummary()
    for d in days:
        if d.scheduled:
            s.scheduled_shifts += 1
        if d.shift_code is not None and d.status not in ("leave", "absent") and d.punch_ids:
            s.worked_shifts += 1
        if d.worked:
            s.working_days += 1
        for b in d.breaches:
            if b.kind == "late":
                s.late_count += 1
                s.late_minutes += b.minutes
            elif b.kind == "early_leave":
                s.early_count += 1
                s.early_minutes += b.minutes
            elif b.kind == "absent":
                s.absences += 1
            elif b.kind == "missing_punch":
                s.missing_punches += 1
        if d.status == "leave" and d.leave_type:
            s.leave_days[d.leave_type] = s.leave_days.get(d.leave_type, 0) + 1
        if d.status == "rest_day_worked":
            s.rest_days_worked += 1
        s.overtime_minutes += d.overtime_minutes
        s.absence_days += d.absence_days
        s.total_deduction += d.deduction
    s.total_deduction = round(s.total_deduction, 2)
    return s
