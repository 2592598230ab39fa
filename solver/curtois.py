"""Curtois & Qu (2014) shift-scheduling benchmark instances as roster problems.

The reader maps the benchmark's rules (see bench-data FORMAT.md) onto ours:
maximum shifts per type, total minutes, consecutive shifts, consecutive days
off and weekends become contract limits; CannotFollow lists become forbidden
successions (our clock-based minimum rest is switched off, since the files
carry no start times); days off become leave; requests and cover keep their
weights. Its boundary conventions hold: no history (days before the horizon
count as days off for the maximum run, and runs touching either edge are
exempt from the minimum run lengths). Every rule of ours the benchmark does
not have is disabled, so our objective equals the benchmark's penalty.
"""

from __future__ import annotations

from datetime import date, timedelta

from solver.problem import (
    Contract,
    Leave,
    ProblemError,
    Request,
    RequestKind,
    RosterProblem,
    RuleSetting,
    RuleSettings,
    ShiftDemand,
    ShiftType,
    Staff,
)
from solver.result import Assignment

EPOCH = date(2024, 1, 1)
"""A Monday: every instance starts on a Monday; day 0 maps to this date."""

_SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)

_OFF = RuleSetting(enabled=False)
_SOFT_OFF = RuleSetting(enabled=False, hard=False)


def _sections(text: str) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.strip().rstrip("\r")
        if not line or line.startswith("#"):
            continue
        if line in _SECTIONS:
            current = line
            out[current] = []
            continue
        if current is None:
            raise ProblemError(f"curtois: data before the first section: {line!r}")
        out[current].append(line.split(","))
    return out


def read_instance(text: str, name: str = "") -> RosterProblem:
    """Parse an instance file's text into a :class:`RosterProblem`.

    Raises:
        ProblemError: if the file is malformed.
    """
    sec = _sections(text)
    try:
        horizon = int(sec["SECTION_HORIZON"][0][0])
    except (KeyError, IndexError, ValueError) as exc:
        raise ProblemError("curtois: SECTION_HORIZON: expected one integer") from exc

    def day(i: str) -> date:
        d = int(i)
        if not 0 <= d < horizon:
            raise ProblemError(f"curtois: day {d} outside the horizon")
        return EPOCH + timedelta(days=d)

    shifts: list[ShiftType] = []
    successions: list[tuple[str, str]] = []
    for row in sec.get("SECTION_SHIFTS", []):
        sid, length = row[0], int(row[1])
        shifts.append(ShiftType(sid, sid, 0, length))
        for nxt in row[2].split("|") if len(row) > 2 and row[2] else []:
            successions.append((sid, nxt))
    staff: list[Staff] = []
    for row in sec.get("SECTION_STAFF", []):
        if len(row) != 8:
            raise ProblemError(f"curtois: SECTION_STAFF: expected 8 fields, got {row!r}")
        max_shifts = {}
        for part in row[1].split("|"):
            sid, n = part.split("=")
            max_shifts[sid] = int(n)
        contract = Contract(
            max_minutes=int(row[2]),
            min_minutes=int(row[3]),
            max_shifts=max_shifts,
            max_consecutive_days=int(row[4]),
            min_consecutive_days=int(row[5]),
            min_consecutive_days_off=int(row[6]),
            max_weekends=int(row[7]),
        )
        staff.append(Staff(row[0], row[0], contract=contract))
    leave = [
        Leave(row[0], day(d), day(d), "day off")
        for row in sec.get("SECTION_DAYS_OFF", [])
        for d in row[1:]
        if d
    ]
    requests = [
        Request(row[0], day(row[1]), RequestKind.SHIFT_ON, row[2], int(row[3]))
        for row in sec.get("SECTION_SHIFT_ON_REQUESTS", [])
    ] + [
        Request(row[0], day(row[1]), RequestKind.SHIFT_OFF, row[2], int(row[3]))
        for row in sec.get("SECTION_SHIFT_OFF_REQUESTS", [])
    ]
    cover = [
        ShiftDemand(day(row[0]), row[1], 0, int(row[2]), int(row[3]), int(row[4]))
        for row in sec.get("SECTION_COVER", [])
    ]
    rules = RuleSettings(
        never_alone=_OFF,
        trainee_not_alone=_OFF,
        min_rest=_OFF,
        forbidden_successions=tuple(successions),
        weekly_rest=_OFF,
        rest_pairs=_SOFT_OFF,
        meeting=_OFF,
        holiday_work=_SOFT_OFF,
        fairness_late=_SOFT_OFF,
        fairness_weekend=_SOFT_OFF,
        fairness_holiday=_SOFT_OFF,
        stability=_SOFT_OFF,
    )
    return RosterProblem(
        start=EPOCH,
        end=EPOCH + timedelta(days=horizon - 1),
        timezone="UTC",
        shift_types=tuple(shifts),
        staff=tuple(staff),
        shift_demand=tuple(cover),
        leave=tuple(leave),
        requests=tuple(requests),
        rules=rules,
        name=name,
    )


def write_solution(problem: RosterProblem, assignment: Assignment) -> str:
    """The benchmark's solution format: per employee, ID then one field per day, tab-separated."""
    lines = []
    for person in problem.staff:
        row = assignment.get(person.id, {})
        cells = [row.get(d) or "" for d in problem.dates]
        lines.append("\t".join([person.id, *cells]))
    return "\n".join(lines) + "\n"


def read_solution(problem: RosterProblem, text: str) -> dict[str, dict[date, str | None]]:
    """Parse a solution file written by :func:`write_solution`."""
    out: dict[str, dict[date, str | None]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t")
        out[fields[0]] = {
            d: (fields[i + 1] or None) for i, d in enumerate(problem.dates) if i + 1 < len(fields)
        }
    return out
