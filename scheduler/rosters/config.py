"""A department's roster settings: demand, rules and weights, the meeting slot, the calendar.

Stored as one JSON document per department (``roster_configs``), validated here before it is
saved, so a bad setting is refused with a message naming the field instead of surfacing later
as a strange roster. Defaults follow DOMAIN.md: early and late shifts every day, a late shift
never staffed alone, the handover window 15:00-17:30 covered, two rest days a week, at most six
days in a row, statutory holidays off unless needed, the Wednesday-afternoon meeting with one
agent on duty.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.errors import ConflictError, ValidationFailedError
from scheduler.org.models import Department
from scheduler.people.models import Employee
from scheduler.rosters.models import RosterConfig
from scheduler.shifts.models import ShiftType
from solver.io import rules_from_dict
from solver.problem import ProblemError, parse_hhmm

DAY_KINDS = ("weekday", "weekend", "holiday")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DEFAULT_CONFIG: dict[str, Any] = {
    # Headcount per shift code and kind of day; `minimum` is hard, `target` soft.
    "demand": {
        "weekday": {"early": {"minimum": 3, "target": 4}, "late": {"minimum": 2, "target": 3}},
        "weekend": {"early": {"minimum": 2, "target": 3}, "late": {"minimum": 2, "target": 2}},
        "holiday": {"early": {"minimum": 2, "target": 2}, "late": {"minimum": 2, "target": 2}},
        # Optional per-weekday overrides, e.g. {"mon": {"early": {"minimum": 4, "target": 5}}}.
        "by_weekday": {},
        "under_weight": 10,
        "over_weight": 1,
    },
    # Windows of the day met by every shift spanning them. The handover: both shifts overlap.
    "intervals": [
        {"name": "handover", "start": "15:00", "end": "17:30", "minimum": 2, "target": 3}
    ],
    # Rule switches and weights (the solver's RuleSettings; see docs/problem-format.md).
    "rules": {},
    "meeting": {"weekday": 2, "start": "14:00", "end": "15:00", "min_on_duty": 1},
    "calendar": {"statutory_holidays": True},
    "solver": {"time_limit_s": 60},
}


def _err(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message}


def _count(value: Any, field: str, errors: list[dict[str, Any]]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        errors.append(_err(field, "must be a whole number >= 0"))
        return 0
    return value


def _check_demand_row(
    row: Any, where: str, shift_codes: set[str], errors: list[dict[str, Any]]
) -> dict[str, int]:
    """Validate {shift: {minimum, target}}; returns the minimum per shift for headcount checks."""
    minimums: dict[str, int] = {}
    if not isinstance(row, dict):
        errors.append(_err(where, "must be an object of shift code to {minimum, target}"))
        return minimums
    for code, spec in row.items():
        here = f"{where}.{code}"
        if code not in shift_codes:
            errors.append(
                _err(here, f"unknown shift type {code!r}; known: {', '.join(sorted(shift_codes))}")
            )
            continue
        if not isinstance(spec, dict) or set(spec) - {"minimum", "target"}:
            errors.append(_err(here, "must be {minimum, target}"))
            continue
        minimum = _count(spec.get("minimum", 0), f"{here}.minimum", errors)
        target = _count(spec.get("target", minimum), f"{here}.target", errors)
        if target < minimum:
            errors.append(_err(f"{here}.target", "must not be below the minimum"))
        minimums[code] = minimum
    return minimums


def validate_config(document: Any, shift_codes: set[str], headcount: int | None) -> dict[str, Any]:
    """Check a whole settings document; returns it merged over the defaults.

    Raises ValidationFailedError listing every problem (unknown keys and rules, bad times, a
    target below its minimum, a daily minimum above the department's active headcount).
    """
    errors: list[dict[str, Any]] = []
    if not isinstance(document, dict):
        raise ValidationFailedError(
            "settings must be a JSON object", errors=[_err("", "expected an object")]
        )
    unknown = set(document) - set(DEFAULT_CONFIG)
    for key in sorted(unknown):
        errors.append(_err(key, f"unknown setting; known: {', '.join(sorted(DEFAULT_CONFIG))}"))
    merged = copy.deepcopy(DEFAULT_CONFIG)
    for key, value in document.items():
        if key in DEFAULT_CONFIG:
            merged[key] = value

    demand = merged["demand"]
    if not isinstance(demand, dict):
        errors.append(_err("demand", "must be an object"))
        demand = {}
    for key in sorted(set(demand) - {*DAY_KINDS, "by_weekday", "under_weight", "over_weight"}):
        errors.append(_err(f"demand.{key}", "unknown key"))
    daily_minimums = []
    for kind in DAY_KINDS:
        mins = _check_demand_row(demand.get(kind, {}), f"demand.{kind}", shift_codes, errors)
        daily_minimums.append((f"demand.{kind}", sum(mins.values())))
    by_weekday = demand.get("by_weekday", {})
    if not isinstance(by_weekday, dict):
        errors.append(_err("demand.by_weekday", "must be an object keyed mon..sun"))
        by_weekday = {}
    for day, row in by_weekday.items():
        if day not in WEEKDAYS:
            errors.append(_err(f"demand.by_weekday.{day}", "must be one of mon..sun"))
            continue
        mins = _check_demand_row(row, f"demand.by_weekday.{day}", shift_codes, errors)
        daily_minimums.append((f"demand.by_weekday.{day}", sum(mins.values())))
    for key in ("under_weight", "over_weight"):
        _count(demand.get(key, 1), f"demand.{key}", errors)
    if headcount is not None:
        for where, total in daily_minimums:
            if total > headcount:
                errors.append(
                    _err(
                        where,
                        f"needs {total} people a day at minimum but the department has {headcount} active",
                    )
                )

    intervals = merged["intervals"]
    if not isinstance(intervals, list):
        errors.append(_err("intervals", "must be a list"))
        intervals = []
    for i, iv in enumerate(intervals):
        where = f"intervals[{i}]"
        if not isinstance(iv, dict) or set(iv) - {"name", "start", "end", "minimum", "target"}:
            errors.append(_err(where, "must be {name, start, end, minimum, target}"))
            continue
        try:
            start = parse_hhmm(str(iv.get("start", "")), f"{where}.start")
            end = parse_hhmm(str(iv.get("end", "")), f"{where}.end")
            if not 0 <= start < end <= 1440:
                errors.append(
                    _err(where, "the window must lie within one day and end after it starts")
                )
        except ProblemError as exc:
            errors.append(_err(where, str(exc)))
        minimum = _count(iv.get("minimum", 0), f"{where}.minimum", errors)
        if _count(iv.get("target", minimum), f"{where}.target", errors) < minimum:
            errors.append(_err(f"{where}.target", "must not be below the minimum"))

    try:
        rules_from_dict(merged["rules"])
    except ProblemError as exc:
        errors.append(_err("rules", str(exc)))

    meeting = merged["meeting"]
    if meeting is not None:
        if not isinstance(meeting, dict) or set(meeting) - {
            "weekday",
            "start",
            "end",
            "min_on_duty",
        }:
            errors.append(_err("meeting", "must be {weekday, start, end, min_on_duty} or null"))
        else:
            wd = meeting.get("weekday", 2)
            if not isinstance(wd, int) or not 0 <= wd <= 6:
                errors.append(_err("meeting.weekday", "must be 0 (Monday) .. 6 (Sunday)"))
            try:
                if parse_hhmm(str(meeting.get("start", "")), "meeting.start") >= parse_hhmm(
                    str(meeting.get("end", "")), "meeting.end"
                ):
                    errors.append(_err("meeting.end", "must be after start"))
            except ProblemError as exc:
                errors.append(_err("meeting", str(exc)))
            _count(meeting.get("min_on_duty", 1), "meeting.min_on_duty", errors)

    calendar = merged["calendar"]
    if not isinstance(calendar, dict) or set(calendar) - {"statutory_holidays"}:
        errors.append(_err("calendar", "must be {statutory_holidays: true|false}"))
    solver_opts = merged["solver"]
    if not isinstance(solver_opts, dict) or set(solver_opts) - {"time_limit_s"}:
        errors.append(_err("solver", "must be {time_limit_s}"))
    else:
        limit = solver_opts.get("time_limit_s", 60)
        if not isinstance(limit, (int, float)) or not 1 <= limit <= 3600:
            errors.append(_err("solver.time_limit_s", "must be between 1 and 3600 seconds"))
    if errors:
        raise ValidationFailedError(
            "the roster settings are not valid: " + errors[0]["message"], errors=errors
        )
    return merged


async def shift_codes_of(session: AsyncSession, department_id: int) -> set[str]:
    """Active shift-type codes of a department."""
    stmt = select(ShiftType.code).where(
        ShiftType.department_id == department_id, ShiftType.active.is_(True)
    )
    return set((await session.scalars(stmt)).all())


async def active_headcount(
    session: AsyncSession, department_id: int, team_id: int | None = None
) -> int:
    """Active employees of a department (or one of its teams)."""
    stmt = select(func.count(Employee.id)).where(
        Employee.department_id == department_id, Employee.active.is_(True)
    )
    if team_id is not None:
        stmt = stmt.where(Employee.team_id == team_id)
    return int(await session.scalar(stmt) or 0)


async def load_config(session: AsyncSession, department_id: int) -> tuple[dict[str, Any], int]:
    """The department's settings merged over the defaults, and the stored version (0: defaults)."""
    row = await session.get(RosterConfig, department_id)
    merged = copy.deepcopy(DEFAULT_CONFIG)
    if row is None:
        return merged, 0
    merged.update(copy.deepcopy(row.document))
    return merged, row.version


async def save_config(
    session: AsyncSession,
    actor: Principal,
    department: Department,
    document: Any,
    expected_version: int | None,
) -> tuple[dict[str, Any], int]:
    """Validate and store the settings; a stale ``expected_version`` is a 409."""
    actor.require(
        actor.can_manage_department(department.id), "change this department's roster settings"
    )
    merged = validate_config(
        document,
        await shift_codes_of(session, department.id),
        await active_headcount(session, department.id),
    )
    row = await session.get(RosterConfig, department.id, with_for_update=True)
    current = row.version if row is not None else 0
    if expected_version is not None and expected_version != current:
        raise ConflictError(
            f"the settings are at version {current}, not {expected_version}; reload them",
            current_version=current,
        )
    if row is None:
        row = RosterConfig(department_id=department.id, document=document)
        session.add(row)
    else:
        row.document = document
    await session.commit()
    return merged, row.version
