"""The roster problem: plain, frozen, self-validating data.

Everything the solver and the checker need arrives here and nowhere else: no
database rows, no wall clock. Validation happens in ``__post_init__`` so that a
malformed problem fails loudly at the boundary with a :class:`ProblemError`
naming the bad field, instead of producing a strange roster later.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 1440
#: The most people a demand row may ask for, and the largest weight of any cost: far beyond any
#: department, and small enough that no sum of the model can overflow 64 bits.
MAX_HEADCOUNT = 10_000
MAX_WEIGHT = 1_000_000


class ProblemError(ValueError):
    """A roster problem is malformed; the message names the offending field."""


def parse_hhmm(text: str, field_name: str) -> int:
    """Parse ``"HH:MM"`` into minutes after midnight.

    ``"24:00"`` is allowed (it is how the department writes the end of the late
    shift), and so are later times such as ``"30:00"`` for a shift that ends at
    06:00 the next morning.

    Raises:
        ProblemError: if the text is not a valid time.
    """
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[1]) != 2:
        raise ProblemError(f"{field_name}: expected HH:MM, got {text!r}")
    hours, minutes = int(parts[0]), int(parts[1])
    if minutes >= 60 or hours > 48:
        raise ProblemError(f"{field_name}: invalid time {text!r}")
    return hours * 60 + minutes


def format_hhmm(minutes: int) -> str:
    """Format minutes after midnight as ``"HH:MM"`` (``1440`` becomes ``"24:00"``)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ProblemError(message)


@dataclass(frozen=True)
class ShiftType:
    """A kind of shift with local wall-clock times.

    ``end_minute`` may exceed 1440: the late shift 15:00-24:00 has
    ``end_minute == 1440`` and a night shift 22:00-06:00 has ``end_minute == 1800``.

    Attributes:
        id: Stable identifier used in every other part of the problem.
        name: The name the department uses (for explanations and grids).
        start_minute: Start, minutes after local midnight of the shift's date.
        end_minute: End, minutes after local midnight of the shift's date.
        late: Counts as a late shift for the fairness rule on late shifts.
        never_alone: Must be staffed by zero or at least two people (DOMAIN.md:
            the late shift leaves together).
        retired: No longer rostered (a department switched the type off): known only so that
            the neighbouring rosters' shifts of this type (``history``, ``following``) count as
            worked days for the rest rules across the month boundary. Never assigned.
    """

    id: str
    name: str
    start_minute: int
    end_minute: int
    late: bool = False
    never_alone: bool = False
    retired: bool = False

    def __post_init__(self) -> None:
        """Validate the times."""
        _check(bool(self.id), "shift_types[].id: must not be empty")
        _check(
            0 <= self.start_minute < MINUTES_PER_DAY,
            f"shift_types[{self.id}].start: must be within the day",
        )
        _check(
            self.start_minute < self.end_minute <= self.start_minute + MINUTES_PER_DAY,
            f"shift_types[{self.id}].end: must be after start and at most 24 h later",
        )

    @property
    def minutes(self) -> int:
        """Length of the shift in minutes (wall clock, ignoring DST)."""
        return self.end_minute - self.start_minute

    def covers(self, start_minute: int, end_minute: int, day_offset: int = 0) -> bool:
        """Whether a shift of this type covers a window of the same or next day.

        Args:
            start_minute: Window start, minutes after midnight of the window's date.
            end_minute: Window end, minutes after midnight of the window's date.
            day_offset: 0 if the shift starts on the window's date, 1 if it started the
                day before (a shift that crosses midnight).
        """
        offset = day_offset * MINUTES_PER_DAY
        return self.start_minute <= start_minute + offset and self.end_minute >= end_minute + offset


@dataclass(frozen=True)
class Contract:
    """Limits from a person's contract; ``None`` means no limit.

    Attributes:
        min_days: Minimum working days in the horizon.
        max_days: Maximum working days in the horizon.
        min_minutes: Minimum working minutes in the horizon.
        max_minutes: Maximum working minutes in the horizon.
        max_shifts: Maximum number of each shift type; 0 means cannot work it.
        max_consecutive_days: Overrides the department default (6) for this person.
        min_consecutive_days: Minimum length of a run of working days; runs touching
            the horizon edges are exempt (the Curtois & Qu convention).
        min_consecutive_days_off: Minimum length of a run of days off; runs touching
            the horizon edges are exempt.
        max_weekends: Maximum weekends worked (Saturday or Sunday worked).
    """

    min_days: int | None = None
    max_days: int | None = None
    min_minutes: int | None = None
    max_minutes: int | None = None
    max_shifts: Mapping[str, int] = field(default_factory=dict)
    max_consecutive_days: int | None = None
    min_consecutive_days: int | None = None
    min_consecutive_days_off: int | None = None
    max_weekends: int | None = None

    def key(self) -> tuple[object, ...]:
        """A hashable summary: staff with equal keys have comparable contracts."""
        return (
            self.min_days,
            self.max_days,
            self.min_minutes,
            self.max_minutes,
            tuple(sorted(self.max_shifts.items())),
            self.max_consecutive_days,
            self.min_consecutive_days,
            self.min_consecutive_days_off,
            self.max_weekends,
        )


@dataclass(frozen=True)
class Staff:
    """One person who can be rostered.

    Attributes:
        id: Stable identifier.
        name: Display name used in explanations ("Li Wei").
        team: Team the person belongs to (demand rows may ask for a team).
        flags: Free-form flags; ``"trainee"`` is understood by the trainee rule.
        contract: Contract limits.
        fairness_group: Overrides the automatic grouping of comparable staff.
        trainee_until: Last day a ``"trainee"`` is one (None: the whole horizon). A new hire's
            onboarding ends inside the month (DOMAIN.md: 12 days, live after the test on day 11);
            from the next day they may work a shift alone or beside another trainee.
    """

    id: str
    name: str
    team: str | None = None
    flags: frozenset[str] = frozenset()
    contract: Contract = field(default_factory=Contract)
    fairness_group: str | None = None
    trainee_until: date | None = None

    @property
    def trainee(self) -> bool:
        """Whether the person is a trainee on some day of the horizon (see ``trainee_on``)."""
        return "trainee" in self.flags

    def trainee_on(self, day: date) -> bool:
        """Whether the person may not work a shift of ``day`` without an experienced colleague."""
        return self.trainee and (self.trainee_until is None or day <= self.trainee_until)


@dataclass(frozen=True)
class ShiftDemand:
    """Staff needed on one shift type on one date.

    Attributes:
        date: The date the shift starts.
        shift_id: The shift type.
        minimum: Hard minimum headcount.
        target: Soft target headcount.
        under_weight: Cost per person below target.
        over_weight: Cost per person above target.
        team: If set, only members of this team count.
    """

    date: date
    shift_id: str
    minimum: int = 0
    target: int = 0
    under_weight: int = 10
    over_weight: int = 1
    team: str | None = None


@dataclass(frozen=True)
class IntervalDemand:
    """Staff needed during a window of the day, met by every shift spanning it.

    The handover window 15:00-17:30 is one such interval: early and late both
    cover it.
    """

    date: date
    start_minute: int
    end_minute: int
    minimum: int = 0
    target: int = 0
    under_weight: int = 10
    over_weight: int = 1
    team: str | None = None


@dataclass(frozen=True)
class MeetingSlot:
    """The weekly team meeting: someone must stay on duty during it.

    Attributes:
        weekday: ISO weekday index as ``date.weekday()`` (Wednesday is 2).
        start_minute: Meeting start, minutes after midnight.
        end_minute: Meeting end, minutes after midnight.
        min_on_duty: Agents on a shift covering the slot.
    """

    weekday: int = 2
    start_minute: int = 14 * 60
    end_minute: int = 15 * 60
    min_on_duty: int = 1


@dataclass(frozen=True)
class Calendar:
    """Weekends, statutory holidays, make-up working days and the meeting slot.

    Attributes:
        holidays: Statutory holidays with their names.
        makeup_workdays: Weekend dates that are working days (调休).
        weekend_weekdays: ``date.weekday()`` values of the weekend.
        meeting: The weekly meeting slot, or ``None``.
    """

    holidays: Mapping[date, str] = field(default_factory=dict)
    makeup_workdays: frozenset[date] = frozenset()
    weekend_weekdays: frozenset[int] = frozenset({5, 6})
    meeting: MeetingSlot | None = None

    def is_weekend(self, day: date) -> bool:
        """A weekend day that is not a make-up working day."""
        return day.weekday() in self.weekend_weekdays and day not in self.makeup_workdays

    def is_holiday(self, day: date) -> bool:
        """A statutory holiday."""
        return day in self.holidays


@dataclass(frozen=True)
class Leave:
    """Approved leave or other unavailability, inclusive dates; hard.

    Attributes:
        absence: The days are leave taken (its request counted them as working days), not rest
            days. The weekly rest rule does not count them as rest: leave approved before the
            solve must replace days the person would have worked, so a week of Monday-to-Friday
            leave still leaves its two rest days, and two sick days midweek do not become the
            week's rest (the roster would otherwise have the person work every other day of it).
            False (the default, and what older problem files mean) for a day that is simply off:
            not yet hired, gone, or a rest day inside a leave's range.
    """

    staff_id: str
    start: date
    end: date
    reason: str = "approved leave"
    absence: bool = False


@dataclass(frozen=True)
class Lock:
    """A cell the manager fixed: a shift, or ``None`` for a day off; hard."""

    staff_id: str
    date: date
    shift_id: str | None


@dataclass(frozen=True)
class HistoryCell:
    """One day of the previous roster's tail, before the horizon starts."""

    staff_id: str
    date: date
    shift_id: str | None


class RequestKind(enum.StrEnum):
    """What a person asked for."""

    SHIFT_ON = "shift_on"
    SHIFT_OFF = "shift_off"
    DAY_OFF = "day_off"


@dataclass(frozen=True)
class Request:
    """A soft wish: a shift on, not a given shift, or the whole day off."""

    staff_id: str
    date: date
    kind: RequestKind
    shift_id: str | None = None
    weight: int = 1


@dataclass(frozen=True)
class ReferenceRoster:
    """A previous roster to stay close to when re-rostering.

    Attributes:
        cells: Per staff id, per date, the shift id or ``None`` (day off). Dates
            missing for a listed person count as days off; unlisted staff are free.
        change_weight: Cost per changed cell.
    """

    cells: Mapping[str, Mapping[date, str | None]]
    change_weight: int = 5


@dataclass(frozen=True)
class RuleSetting:
    """Whether a rule applies, and whether it is hard or soft with a weight."""

    enabled: bool = True
    hard: bool = True
    weight: int = 0


@dataclass(frozen=True)
class RuleSettings:
    """The department's rules, defaults from DOMAIN.md.

    Rules that can only be soft (fairness, pairs, holidays) reject ``hard=True``.
    """

    demand_minimum: RuleSetting = RuleSetting(hard=True, weight=1000)
    demand_target: RuleSetting = RuleSetting(hard=False, weight=1)
    never_alone: RuleSetting = RuleSetting(hard=True, weight=500)
    trainee_not_alone: RuleSetting = RuleSetting(hard=True, weight=500)
    min_rest: RuleSetting = RuleSetting(hard=True, weight=200)
    min_rest_minutes: int = 11 * 60
    forbidden_successions: tuple[tuple[str, str], ...] = ()
    weekly_rest: RuleSetting = RuleSetting(hard=True, weight=200)
    rest_days_per_week: int = 2
    max_consecutive_days: RuleSetting = RuleSetting(hard=True, weight=200)
    default_max_consecutive_days: int = 6
    rest_pairs: RuleSetting = RuleSetting(hard=False, weight=2)
    contract: RuleSetting = RuleSetting(hard=True, weight=100)
    meeting: RuleSetting = RuleSetting(hard=True, weight=500)
    holiday_work: RuleSetting = RuleSetting(hard=False, weight=3)
    fairness_late: RuleSetting = RuleSetting(hard=False, weight=2)
    fairness_weekend: RuleSetting = RuleSetting(hard=False, weight=2)
    fairness_holiday: RuleSetting = RuleSetting(hard=False, weight=3)
    requests: RuleSetting = RuleSetting(hard=False, weight=1)
    stability: RuleSetting = RuleSetting(hard=False, weight=1)

    SOFT_ONLY: ClassVar[tuple[str, ...]] = (
        "demand_target",
        "rest_pairs",
        "holiday_work",
        "fairness_late",
        "fairness_weekend",
        "fairness_holiday",
        "requests",
        "stability",
    )

    def __post_init__(self) -> None:
        """Reject hard settings of soft-only rules and negative weights."""
        for name, value in vars(self).items():
            if isinstance(value, RuleSetting):
                _check(value.weight >= 0, f"rules.{name}.weight: must be >= 0")
                if name in self.SOFT_ONLY:
                    _check(not value.hard, f"rules.{name}.hard: this rule can only be soft")
        _check(self.min_rest_minutes >= 0, "rules.min_rest_minutes: must be >= 0")
        _check(0 <= self.rest_days_per_week <= 7, "rules.rest_days_per_week: must be 0..7")
        _check(
            self.default_max_consecutive_days >= 1,
            "rules.default_max_consecutive_days: must be >= 1",
        )


@dataclass(frozen=True)
class RosterProblem:
    """A complete monthly roster problem for one department or team.

    Attributes:
        start: First date of the horizon.
        end: Last date of the horizon (inclusive).
        timezone: IANA zone of the department's wall clock.
        shift_types: Shift types, in display order.
        staff: Staff, in display order.
        shift_demand: Demand per (date, shift type).
        interval_demand: Demand per window of the day (alternative or complement).
        calendar: Weekends, holidays, make-up days, meeting slot.
        leave: Approved leave and unavailability (hard).
        locks: Cells fixed by the manager (hard).
        history: The previous roster's tail (days before ``start``).
        following: The next roster's head (days after ``end``, at most a week), when the
            next month was published first: a re-solve or repair of this month must not
            break rest, the weekly rest days or the days in a row across into it.
        requests: Soft wishes.
        reference: A roster to stay close to, for repair.
        rules: Rule settings.
        name: Free text for reports.
    """

    start: date
    end: date
    timezone: str
    shift_types: tuple[ShiftType, ...]
    staff: tuple[Staff, ...]
    shift_demand: tuple[ShiftDemand, ...] = ()
    interval_demand: tuple[IntervalDemand, ...] = ()
    calendar: Calendar = field(default_factory=Calendar)
    leave: tuple[Leave, ...] = ()
    locks: tuple[Lock, ...] = ()
    history: tuple[HistoryCell, ...] = ()
    following: tuple[HistoryCell, ...] = ()
    requests: tuple[Request, ...] = ()
    reference: ReferenceRoster | None = None
    rules: RuleSettings = field(default_factory=RuleSettings)
    name: str = ""

    def __post_init__(self) -> None:
        """Validate every cross-reference so the model never meets a dangling id."""
        _check(self.start <= self.end, "horizon.end: must not be before horizon.start")
        _check(self.num_days <= 366 * 2, "horizon: at most two years")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ProblemError(f"horizon.timezone: unknown zone {self.timezone!r}") from exc
        _check(len(self.shift_types) > 0, "shift_types: at least one shift type is needed")
        shift_ids = [s.id for s in self.shift_types]
        _check(len(set(shift_ids)) == len(shift_ids), "shift_types: duplicate id")
        staff_ids = [p.id for p in self.staff]
        _check(len(set(staff_ids)) == len(staff_ids), "staff: duplicate id")
        sids, pids = set(shift_ids), set(staff_ids)
        for person in self.staff:
            c = person.contract
            for sid, n in c.max_shifts.items():
                _check(sid in sids, f"staff[{person.id}].contract.max_shifts: unknown shift {sid}")
                _check(n >= 0, f"staff[{person.id}].contract.max_shifts[{sid}]: must be >= 0")
            for attr in (
                "min_days",
                "max_days",
                "min_minutes",
                "max_minutes",
                "max_consecutive_days",
                "min_consecutive_days",
                "min_consecutive_days_off",
                "max_weekends",
            ):
                value = getattr(c, attr)
                _check(value is None or value >= 0, f"staff[{person.id}].contract.{attr}: >= 0")
        _check(bool(self.staff), "staff: at least one person")
        teams = {p.team for p in self.staff}
        for i, d in enumerate(self.shift_demand):
            where = f"shift_demand[{i}]"
            self._check_date(d.date, f"{where}.date")
            _check(d.shift_id in sids, f"{where}.shift: unknown shift {d.shift_id!r}")
            _check(d.team is None or d.team in teams, f"{where}.team: unknown team {d.team!r}")
            self._check_counts(where, d.minimum, d.target, d.under_weight, d.over_weight)
        for i, iv in enumerate(self.interval_demand):
            where = f"interval_demand[{i}]"
            self._check_date(iv.date, f"{where}.date")
            _check(
                0 <= iv.start_minute < iv.end_minute <= MINUTES_PER_DAY,
                f"{where}: window must lie within its day",
            )
            self._check_counts(where, iv.minimum, iv.target, iv.under_weight, iv.over_weight)
            _check(iv.team is None or iv.team in teams, f"{where}.team: unknown team {iv.team!r}")
        for i, lv in enumerate(self.leave):
            _check(lv.staff_id in pids, f"leave[{i}].staff: unknown staff {lv.staff_id!r}")
            _check(lv.start <= lv.end, f"leave[{i}].end: before start")
        locked: dict[tuple[str, date], int] = {}
        for i, lk in enumerate(self.locks):
            _check(lk.staff_id in pids, f"locks[{i}].staff: unknown staff {lk.staff_id!r}")
            first = locked.setdefault((lk.staff_id, lk.date), i)
            _check(
                first == i,
                f"locks[{i}]: {lk.staff_id} on {lk.date.isoformat()} is already locked by "
                f"locks[{first}]",
            )
            self._check_date(lk.date, f"locks[{i}].date")
            _check(
                lk.shift_id is None or lk.shift_id in sids,
                f"locks[{i}].shift: unknown shift {lk.shift_id!r}",
            )
        for i, h in enumerate(self.history):
            _check(h.staff_id in pids, f"history[{i}].staff: unknown staff {h.staff_id!r}")
            _check(h.date < self.start, f"history[{i}].date: must be before horizon.start")
            _check(
                h.shift_id is None or h.shift_id in sids,
                f"history[{i}].shift: unknown shift {h.shift_id!r}",
            )
        for i, h in enumerate(self.following):
            _check(h.staff_id in pids, f"following[{i}].staff: unknown staff {h.staff_id!r}")
            _check(
                self.end < h.date <= self.end + timedelta(days=7),
                f"following[{i}].date: must be within the week after horizon.end",
            )
            _check(
                h.shift_id is None or h.shift_id in sids,
                f"following[{i}].shift: unknown shift {h.shift_id!r}",
            )
        for i, r in enumerate(self.requests):
            _check(r.staff_id in pids, f"requests[{i}].staff: unknown staff {r.staff_id!r}")
            self._check_date(r.date, f"requests[{i}].date")
            _check(0 <= r.weight <= MAX_WEIGHT, f"requests[{i}].weight: 0..{MAX_WEIGHT}")
            if r.kind is RequestKind.DAY_OFF:
                _check(r.shift_id is None, f"requests[{i}].shift: a day-off request has no shift")
            else:
                _check(r.shift_id is not None, f"requests[{i}].shift: required for {r.kind.value}")
                _check(r.shift_id in sids, f"requests[{i}].shift: unknown shift {r.shift_id!r}")
        for a, b in self.rules.forbidden_successions:
            _check(a in sids and b in sids, f"rules.forbidden_successions: unknown shift {a}/{b}")
        if self.reference is not None:
            _check(self.reference.change_weight >= 0, "reference.change_weight: must be >= 0")
            for pid, row in self.reference.cells.items():
                _check(pid in pids, f"reference.rows: unknown staff {pid!r}")
                for day, ref_sid in row.items():
                    self._check_date(day, f"reference.rows[{pid}]")
                    _check(
                        ref_sid is None or ref_sid in sids, f"reference.rows[{pid}]: unknown shift"
                    )
        _check(
            self.calendar.weekend_weekdays <= set(range(7)),
            "calendar.weekend_weekdays: each must be 0 (Monday) .. 6 (Sunday)",
        )
        meeting = self.calendar.meeting
        if meeting is not None:
            _check(0 <= meeting.weekday <= 6, "calendar.meeting.weekday: must be 0..6")
            _check(
                meeting.start_minute < meeting.end_minute,
                "calendar.meeting.end: must be after start",
            )
            _check(meeting.min_on_duty >= 0, "calendar.meeting.min_on_duty: must be >= 0")

    def _check_date(self, day: date, where: str) -> None:
        _check(self.start <= day <= self.end, f"{where}: {day.isoformat()} is outside the horizon")

    @staticmethod
    def _check_counts(where: str, minimum: int, target: int, under: int, over: int) -> None:
        # Bounded so that every sum of the model stays far inside 64 bits (a 20-digit minimum
        # or weight used to end in CP-SAT's overflow error instead of a message).
        _check(0 <= minimum <= MAX_HEADCOUNT, f"{where}.minimum: 0..{MAX_HEADCOUNT}")
        _check(0 <= target <= MAX_HEADCOUNT, f"{where}.target: 0..{MAX_HEADCOUNT}")
        _check(
            0 <= under <= MAX_WEIGHT and 0 <= over <= MAX_WEIGHT,
            f"{where}: weights must be 0..{MAX_WEIGHT}",
        )

    # ----- derived views (cached; the dataclass is frozen so they never go stale)

    @property
    def num_days(self) -> int:
        """Number of days in the horizon."""
        return (self.end - self.start).days + 1

    @cached_property
    def dates(self) -> tuple[date, ...]:
        """Every date of the horizon, in order."""
        return tuple(self.start + timedelta(days=i) for i in range(self.num_days))

    @cached_property
    def day_index(self) -> dict[date, int]:
        """Date to index in ``dates``."""
        return {d: i for i, d in enumerate(self.dates)}

    @cached_property
    def shift_by_id(self) -> dict[str, ShiftType]:
        """Shift type by id."""
        return {s.id: s for s in self.shift_types}

    @cached_property
    def shift_index(self) -> dict[str, int]:
        """Shift id to index in ``shift_types``."""
        return {s.id: i for i, s in enumerate(self.shift_types)}

    @cached_property
    def staff_index(self) -> dict[str, int]:
        """Staff id to index in ``staff``."""
        return {p.id: i for i, p in enumerate(self.staff)}

    @cached_property
    def unavailable(self) -> dict[tuple[int, int], str]:
        """(staff index, day index) to the reason the person cannot work."""
        out: dict[tuple[int, int], str] = {}
        for lv in self.leave:
            e = self.staff_index[lv.staff_id]
            day = max(lv.start, self.start)
            while day <= min(lv.end, self.end):
                out.setdefault((e, self.day_index[day]), lv.reason)
                day += timedelta(days=1)
        return out

    @cached_property
    def absent(self) -> frozenset[tuple[int, int]]:
        """(staff index, day index) of leave taken (:attr:`Leave.absence`): off, but no rest day."""
        out: set[tuple[int, int]] = set()
        for lv in self.leave:
            if not lv.absence:
                continue
            e = self.staff_index[lv.staff_id]
            day = max(lv.start, self.start)
            while day <= min(lv.end, self.end):
                out.add((e, self.day_index[day]))
                day += timedelta(days=1)
        return frozenset(out)

    def rest_days_of(self, e: int, days: list[int]) -> list[int]:
        """The horizon ``days`` that may count as person ``e``'s rest days: all but leave taken."""
        absent = self.absent
        return [d for d in days if (e, d) not in absent]

    @cached_property
    def locked(self) -> dict[tuple[int, int], int | None]:
        """(staff index, day index) to the locked shift index, or ``None`` for off."""
        out: dict[tuple[int, int], int | None] = {}
        for lk in self.locks:
            key = (self.staff_index[lk.staff_id], self.day_index[lk.date])
            out[key] = None if lk.shift_id is None else self.shift_index[lk.shift_id]
        return out

    @cached_property
    def history_by_staff(self) -> dict[int, dict[int, int | None]]:
        """Staff index to {negative day offset: shift index or None}; -1 is the day before."""
        out: dict[int, dict[int, int | None]] = {}
        for h in self.history:
            e = self.staff_index[h.staff_id]
            offset = (h.date - self.start).days
            out.setdefault(e, {})[offset] = (
                None if h.shift_id is None else self.shift_index[h.shift_id]
            )
        return out

    def history_on(self, offset: int, k: int, team: str | None = None) -> int:
        """How many people of ``team`` (None: anyone) history has on shift ``k`` at ``offset``.

        ``offset`` is negative (-1: the day before the horizon): last month's overnight shift
        covers the first hours of day one.
        """
        return sum(
            1
            for e, days in self.history_by_staff.items()
            if days.get(offset) == k and (team is None or self.staff[e].team == team)
        )

    @cached_property
    def following_by_staff(self) -> dict[int, dict[int, int | None]]:
        """Staff index to {day index H, H+1, ... after the horizon: shift index or None}."""
        out: dict[int, dict[int, int | None]] = {}
        for h in self.following:
            e = self.staff_index[h.staff_id]
            out.setdefault(e, {})[(h.date - self.start).days] = (
                None if h.shift_id is None else self.shift_index[h.shift_id]
            )
        return out

    def following_run(self, e: int) -> int:
        """Working days in a row the next roster starts with for person ``e``."""
        nxt = self.following_by_staff.get(e, {})
        n = 0
        while nxt.get(self.num_days + n) is not None:
            n += 1
        return n

    def following_in_week(self, e: int, days: list[int]) -> list[int]:
        """The next roster's known days (indices >= H) in the ISO week of horizon ``days``.

        Only the horizon's last week reaches past its end.
        """
        nxt = self.following_by_staff.get(e, {})
        if not nxt or days[-1] != self.num_days - 1:
            return []
        week = self.dates[days[-1]].isocalendar()[:2]
        return [
            d for d in sorted(nxt) if (self.start + timedelta(days=d)).isocalendar()[:2] == week
        ]

    def allowed_shifts(self, e: int) -> list[int]:
        """Shift indices person ``e`` may work at all (not retired, contract max > 0)."""
        limits = self.staff[e].contract.max_shifts
        return [
            k for k, s in enumerate(self.shift_types) if not s.retired and limits.get(s.id, 1) > 0
        ]

    @cached_property
    def forbidden_pairs(self) -> dict[int, frozenset[tuple[int, int]]]:
        """Day index d (-1 .. H-1) to (shift on d, shift on d+1) pairs that break rest.

        Rest is measured between real instants in the department's zone, so a DST
        change shortens or lengthens it; explicit forbidden successions are added.
        """
        rules = self.rules
        explicit = {
            (self.shift_index[a], self.shift_index[b]) for a, b in rules.forbidden_successions
        }
        out: dict[int, frozenset[tuple[int, int]]] = {}
        zone = ZoneInfo(self.timezone)
        need = rules.min_rest_minutes if rules.min_rest.enabled else 0
        for d in range(-1, self.num_days):
            pairs = set(explicit)
            if need > 0:
                day = self.start + timedelta(days=d)
                for a, sa in enumerate(self.shift_types):
                    end = _instant(day, sa.end_minute, zone)
                    for b, sb in enumerate(self.shift_types):
                        begin = _instant(day + timedelta(days=1), sb.start_minute, zone)
                        if (begin - end).total_seconds() < need * 60:
                            pairs.add((a, b))
            out[d] = frozenset(pairs)
        return out

    @cached_property
    def fairness_groups(self) -> list[list[int]]:
        """Groups (of two or more) of comparable staff: same contract and flags."""
        groups: dict[object, list[int]] = {}
        for e, p in enumerate(self.staff):
            key: object = p.fairness_group or (p.contract.key(), tuple(sorted(p.flags)))
            groups.setdefault(key, []).append(e)
        return [g for g in groups.values() if len(g) >= 2]

    @cached_property
    def week_groups(self) -> list[tuple[list[int], list[int]]]:
        """ISO weeks touching the horizon: (horizon day indices, history day offsets).

        The history offsets (-6..-1) are the days of the first week that fall before
        the horizon; whether they are known depends on the person (see
        :meth:`weekly_requirement`).
        """
        weeks: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
        for i, day in enumerate(self.dates):
            iso = day.isocalendar()
            weeks.setdefault((iso.year, iso.week), ([], []))[0].append(i)
        first = self.dates[0].isocalendar()
        for off in range(-6, 0):
            iso = (self.start + timedelta(days=off)).isocalendar()
            if (iso.year, iso.week) == (first.year, first.week):
                weeks[(iso.year, iso.week)][1].append(off)
        return list(weeks.values())

    def weekly_requirement(self, e: int, days: list[int], hist: list[int]) -> tuple[int, list[int]]:
        """Rest days person ``e`` needs in a week and the history offsets known for them.

        Partial weeks at the horizon edges count the previous roster's known days
        (and the next roster's, :meth:`following_in_week`, whose rest days the callers add);
        the requirement is pro-rated as ``floor(rest_days_per_week * known / 7)``,
        so a 4-to-6-day edge week needs one rest day and a shorter one none (the
        neighbouring month's roster completes that week). Leave taken in the week
        (:attr:`absent`) is not rest: the rest days must fall on the other days, so the
        requirement is at most the number of those (a week all on leave needs none).
        """
        known = [off for off in hist if off in self.history_by_staff.get(e, {})]
        n = len(days) + len(known) + len(self.following_in_week(e, days))
        need = (self.rules.rest_days_per_week * n) // 7
        on_leave = len(days) - len(self.rest_days_of(e, days))
        return min(need, n - on_leave), known


def _instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The real instant of a local wall-clock minute offset from a date's midnight."""
    local_day = day + timedelta(days=minute // MINUTES_PER_DAY)
    rem = minute % MINUTES_PER_DAY
    wall = datetime.combine(local_day, time(rem // 60, rem % 60), tzinfo=zone)
    return wall.astimezone(UTC)
