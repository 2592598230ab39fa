"""A department's roster settings: demand, rules and weights, the meeting slot, the calendar.

Stored as one JSON document per department (``roster_configs``), validated here before it is
saved, so a bad setting is refused with a message naming the field instead of surfacing later
as a strange roster or a solver crash. Defaults follow DOMAIN.md: early and late shifts every
day, a late shift never staffed alone, the handover window 15:00-17:30 covered, two rest days a
week, at most six days in a row, statutory holidays off unless needed, the Wednesday-afternoon
meeting with one agent on duty.

How a change is applied (``PUT /departments/{id}/roster-config``): the settings sent are a
JSON merge patch (RFC 7396) on the settings in force. An object is merged key by key, at any
depth, so ``{"demand": {"weekday": {"early": {"minimum": 3}}}}`` changes that one number and
keeps the weekend, holiday and late-shift demand; any other value (a number, a list such as
``intervals``) replaces the old one; ``null`` removes the key. A removed key the product has a
default for comes back with its default (``{"demand": {"weekend": null}}`` restores the default
weekend demand); an entry without a default (one shift's demand row, a weekday override, a
rule's own setting) is simply gone. To do without the weekly meeting, switch its rule off:
``{"rules": {"meeting": {"enabled": false}}}``. The whole merged result is then validated, and
stored only if every setting is valid.

Types and ranges are declared once, as msgspec structs (the library the API's schemas use), and
checked leaf by leaf so one answer lists every bad field. The caps keep the solver's objective
far inside a 64-bit integer: weights up to 1,000,000 and headcounts up to 1,000 give at most
about 10^17 for a month, where an unchecked weight made OR-Tools fail with an internal error.
"""

from __future__ import annotations

import copy
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.errors import ConflictError, ValidationFailedError
from scheduler.org.models import Department
from scheduler.people.models import Employee
from scheduler.rosters.models import RosterConfig
from scheduler.shifts.models import ShiftType
from solver.io import rules_from_dict
from solver.problem import ProblemError, RuleSetting, RuleSettings, parse_hhmm

DAY_KINDS = ("weekday", "weekend", "holiday")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Largest weight of any cost (demand shortfall or surplus, a soft rule).
MAX_WEIGHT = 1_000_000
#: Largest headcount a shift, a window or the meeting may ask for.
MAX_HEADCOUNT = 1_000
#: Most windows of the day with their own demand (one per half-hour).
MAX_INTERVALS = 48

#: The root of every field path in an error: the body's ``settings`` object.
ROOT = "settings"

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

# ---------------------------------------------------------------- the schema

# A ``description`` is what an error says the value must be.
Count = Annotated[
    int,
    msgspec.Meta(ge=0, le=MAX_HEADCOUNT, description=f"a whole number from 0 to {MAX_HEADCOUNT}"),
]
Weight = Annotated[
    int, msgspec.Meta(ge=0, le=MAX_WEIGHT, description=f"a whole number from 0 to {MAX_WEIGHT}")
]
#: A wall-clock time of one day, "00:00" to "24:00" (the late shift ends at 24:00).
Clock = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$",
        description='a time "HH:MM" from "00:00" to "24:00"',
    ),
]
ShiftCode = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An object of the settings: fixed keys, an unknown one is refused (a typo must not pass).

    A field without a default is always present in the settings in force (the defaults fill
    it in), so the structs only say which types and ranges are allowed.
    """


class Headcount(_Section):
    """People wanted on one shift: ``minimum`` is hard, ``target`` (absent: the minimum) soft."""

    minimum: Count = 0
    target: Count | msgspec.UnsetType = msgspec.UNSET


DemandRow = dict[ShiftCode, Headcount]


class Demand(_Section):
    """Headcount per shift code for each kind of day, weekday overrides, shortfall costs.

    A ``by_weekday`` row replaces the weekday or weekend row of that day (not a holiday's).
    """

    weekday: DemandRow
    weekend: DemandRow
    holiday: DemandRow
    by_weekday: dict[Weekday, DemandRow]
    under_weight: Weight
    over_weight: Weight


class Interval(_Section):
    """A window of the day (the handover) and the people every shift spanning it must supply."""

    start: Clock
    end: Clock
    name: Annotated[str, msgspec.Meta(max_length=100)] | msgspec.UnsetType = msgspec.UNSET
    minimum: Count = 0
    target: Count | msgspec.UnsetType = msgspec.UNSET


class Meeting(_Section):
    """The weekly team meeting: weekday 0 (Monday) to 6, its hours, the agents left on duty."""

    weekday: Annotated[
        int, msgspec.Meta(ge=0, le=6, description="a whole number from 0 (Monday) to 6 (Sunday)")
    ]
    start: Clock
    end: Clock
    min_on_duty: Count


class CalendarOptions(_Section):
    """Whether the country's statutory holidays and make-up working days apply."""

    statutory_holidays: bool


class SolverOptions(_Section):
    """How long a solve may run."""

    time_limit_s: Annotated[
        float, msgspec.Meta(ge=1, le=3600, description="a number of seconds from 1 to 3600")
    ]


class Rule(_Section):
    """One rule: on or off, hard or soft, and its weight when soft (absent: the solver's)."""

    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    hard: bool | msgspec.UnsetType = msgspec.UNSET
    weight: Weight | msgspec.UnsetType = msgspec.UNSET


#: Ranges of the rules' numeric parameters (minutes of rest, days).
_RULE_NUMBERS: dict[str, Any] = {
    "min_rest_minutes": Annotated[
        int, msgspec.Meta(ge=0, le=48 * 60, description="a whole number of minutes, 0 to 2880")
    ],
    "rest_days_per_week": Annotated[
        int, msgspec.Meta(ge=0, le=7, description="a whole number from 0 to 7")
    ],
    "default_max_consecutive_days": Annotated[
        int, msgspec.Meta(ge=1, le=366, description="a whole number from 1 to 366")
    ],
}


def _rules_struct() -> type[msgspec.Struct]:
    """The ``rules`` object, one optional key per field of the solver's RuleSettings.

    Built from RuleSettings itself so a rule added to the solver can be set at once, with the
    same names the problem files use.
    """
    fields: list[tuple[str, Any, Any]] = []
    for name, value in vars(RuleSettings()).items():
        if isinstance(value, RuleSetting):
            kind: Any = Rule
        elif name == "forbidden_successions":
            kind = Annotated[list[tuple[ShiftCode, ShiftCode]], msgspec.Meta(max_length=400)]
        else:
            kind = _RULE_NUMBERS.get(name, Weight)
        fields.append((name, kind | msgspec.UnsetType, msgspec.UNSET))
    return msgspec.defstruct("Rules", fields, bases=(_Section,), kw_only=True)


Rules = _rules_struct()


class RosterSettings(_Section):
    """The whole settings document, as the problem builder reads it."""

    demand: Demand
    intervals: Annotated[list[Interval], msgspec.Meta(max_length=MAX_INTERVALS)]
    rules: Rules  # type: ignore[valid-type]  # built from RuleSettings at import
    meeting: Meeting
    calendar: CalendarOptions
    solver: SolverOptions


# ---------------------------------------------------------------- merging


def merge_patch(current: Any, patch: Any) -> Any:
    """``patch`` applied to ``current`` as a JSON merge patch (RFC 7396); neither is changed.

    Objects merge key by key at any depth, ``null`` removes a key, anything else replaces.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(current) if isinstance(current, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _struct_of(tp: Any) -> type[msgspec.Struct] | None:
    base = get_args(tp)[0] if get_origin(tp) is Annotated else tp
    return base if isinstance(base, type) and issubclass(base, msgspec.Struct) else None


def _fill(document: Any, defaults: Any, schema: Any) -> Any:
    """``document`` with every missing key of a fixed-key object taken from ``defaults``.

    Only objects with fixed keys are filled: a demand row keyed by shift code that is present
    stands as the manager left it, so removing one shift's row is possible.
    """
    struct = _struct_of(schema)
    if struct is None or not isinstance(document, dict) or not isinstance(defaults, dict):
        return document
    types = {f.encode_name: f.type for f in msgspec.structs.fields(struct)}
    out = dict(document)
    for key, default in defaults.items():
        if out.get(key) is None:
            out[key] = copy.deepcopy(default)
        elif key in types:
            out[key] = _fill(out[key], default, types[key])
    return out


def _upgrade(stored: dict[str, Any]) -> dict[str, Any]:
    """A document stored before ``null`` meant "back to the default", in today's terms.

    Then ``"meeting": null`` meant "no meeting slot"; today that is the meeting rule switched
    off, so such a department keeps rostering without the meeting.
    """
    if "meeting" not in stored or stored["meeting"] is not None:
        return stored
    out = {k: v for k, v in stored.items() if k != "meeting"}
    rules = dict(out["rules"]) if isinstance(out.get("rules"), dict) else {}
    own = rules.get("meeting")
    rules["meeting"] = {**own, "enabled": False} if isinstance(own, dict) else {"enabled": False}
    out["rules"] = rules
    return out


def effective(stored: Any) -> dict[str, Any]:
    """The settings in force: the stored document with the defaults filled in where absent."""
    document = _upgrade(copy.deepcopy(stored)) if isinstance(stored, dict) else {}
    filled: dict[str, Any] = _fill(document, DEFAULT_CONFIG, RosterSettings)
    return filled


# ---------------------------------------------------------------- validation


def _err(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message}


def _convert(value: Any, tp: Any) -> tuple[str, str] | None:
    """What msgspec says is wrong with ``value`` as ``tp``, and where inside ``value``."""
    try:
        msgspec.convert(value, tp, strict=True)
    except msgspec.ValidationError as exc:
        message, _, inside = str(exc).partition(" - at `$")
        metas = get_args(tp)[1:] if get_origin(tp) is Annotated else ()
        wanted = next((m.description for m in metas if getattr(m, "description", None)), None)
        if wanted is not None:
            message = f"must be {wanted}, got {msgspec.json.encode(value).decode()[:40]}"
        return message, inside.rstrip("`")
    return None


def _without_unset(tp: Any) -> Any:
    """``X | UnsetType`` is X: UNSET only marks a key that may be absent."""
    if get_origin(tp) in (Union, UnionType):
        rest = [a for a in get_args(tp) if a is not msgspec.UnsetType]
        if len(rest) == 1:
            return rest[0]
    return tp


def _check_types(value: Any, tp: Any, path: str, errors: list[dict[str, Any]]) -> None:
    """Check ``value`` against the schema type ``tp``, recording every bad field under ``path``.

    msgspec alone stops at the first error; walking the objects, maps and lists here and
    leaving each leaf to msgspec names every bad field in one answer.
    """
    tp = _without_unset(tp)
    base: Any = tp
    metas: tuple[Any, ...] = ()
    if get_origin(tp) is Annotated:
        base, *rest = get_args(tp)
        metas = tuple(rest)
    struct = _struct_of(base)
    if struct is not None:
        if not isinstance(value, dict):
            errors.append(_err(path, "must be an object"))
            return
        fields = {f.encode_name: f for f in msgspec.structs.fields(struct)}
        for key in value:
            if key not in fields:
                errors.append(_err(f"{path}.{key}", f"unknown setting; known: {', '.join(fields)}"))
        for name, f in fields.items():
            if name in value:
                _check_types(value[name], f.type, f"{path}.{name}", errors)
            elif f.required:
                errors.append(_err(f"{path}.{name}", "is required"))
        return
    origin = get_origin(base)
    if origin not in (dict, list):
        if (problem := _convert(value, tp)) is not None:
            message, inside = problem
            errors.append(_err(path + inside, message))
        return
    if not isinstance(value, origin):
        errors.append(_err(path, "must be an object" if origin is dict else "must be a list"))
        return
    longest = min((m.max_length for m in metas if getattr(m, "max_length", None)), default=None)
    if longest is not None and len(value) > longest:
        errors.append(_err(path, f"at most {longest} entries"))
        return
    if origin is list:
        (item_type,) = get_args(base)
        for i, item in enumerate(value):
            _check_types(item, item_type, f"{path}[{i}]", errors)
        return
    key_type, item_type = get_args(base)
    for key, item in value.items():
        where = f"{path}.{key}"
        if (problem := _convert(key, key_type)) is not None:
            known = get_args(key_type) if get_origin(key_type) is Literal else ()
            errors.append(
                _err(where, f"must be one of {', '.join(known)}" if known else problem[0])
            )
            continue
        _check_types(item, item_type, where, errors)


def _minutes(text: str) -> int:
    return parse_hhmm(text, "time")  # the pattern was checked: never raises


def _check_demand_row(
    row: dict[str, Any],
    where: str,
    shift_codes: set[str] | None,
    headcount: int | None,
    errors: list[dict[str, Any]],
) -> None:
    """Known shift codes, target not below minimum, a day's minimum the staff can meet."""
    total = 0
    for code, spec in row.items():
        here = f"{where}.{code}"
        if shift_codes is not None and code not in shift_codes:
            known = ", ".join(sorted(shift_codes)) or "none is active"
            errors.append(_err(here, f"unknown shift type {code!r}; known: {known}"))
            continue
        minimum = spec.get("minimum", 0)
        if spec.get("target", minimum) < minimum:
            errors.append(_err(f"{here}.target", "must not be below the minimum"))
        total += minimum
    if headcount is not None and total > headcount:
        errors.append(
            _err(
                where,
                f"needs {total} people a day at minimum but the department has {headcount} active",
            )
        )


def _check_consistency(
    settings: dict[str, Any],
    shift_codes: set[str] | None,
    headcount: int | None,
    errors: list[dict[str, Any]],
) -> None:
    """The rules between fields, on settings whose types and ranges are already right."""
    demand = settings["demand"]
    for kind in DAY_KINDS:
        _check_demand_row(demand[kind], f"{ROOT}.demand.{kind}", shift_codes, headcount, errors)
    for day, row in demand["by_weekday"].items():
        where = f"{ROOT}.demand.by_weekday.{day}"
        _check_demand_row(row, where, shift_codes, headcount, errors)

    for i, iv in enumerate(settings["intervals"]):
        where = f"{ROOT}.intervals[{i}]"
        if _minutes(iv["end"]) <= _minutes(iv["start"]):
            errors.append(_err(f"{where}.end", "must be after start (within one day)"))
        minimum = iv.get("minimum", 0)
        if iv.get("target", minimum) < minimum:
            errors.append(_err(f"{where}.target", "must not be below the minimum"))

    meeting = settings["meeting"]
    if _minutes(meeting["end"]) <= _minutes(meeting["start"]):
        errors.append(_err(f"{ROOT}.meeting.end", "must be after start"))

    rules = settings["rules"]
    if shift_codes is not None:
        for i, pair in enumerate(rules.get("forbidden_successions", [])):
            for j, code in enumerate(pair):
                if code not in shift_codes:
                    errors.append(
                        _err(
                            f"{ROOT}.rules.forbidden_successions[{i}][{j}]",
                            f"unknown shift type {code!r}",
                        )
                    )
    try:
        rules_from_dict(rules)  # the solver's own checks: a soft-only rule made hard...
    except ProblemError as exc:
        field, _, message = str(exc).partition(": ")
        errors.append(_err(f"{ROOT}.{field}", message or str(exc)))


def validate_config(
    document: Any, shift_codes: set[str] | None, headcount: int | None
) -> dict[str, Any]:
    """Check a whole settings document; returns it with the defaults filled in where absent.

    Every type and range is checked first (booleans are JSON booleans, counts and weights whole
    numbers within their caps, times HH:MM, no unknown key), then the rules between fields (a
    target below its minimum, a window ending before it starts, a shift code the department
    does not have, a daily minimum above the active headcount). ``shift_codes`` and
    ``headcount`` None skip the checks against the department's current staff and shifts.

    Raises:
        ValidationFailedError: listing every problem, each naming its field path
            (``settings.demand.weekday.early.minimum``).
    """
    errors: list[dict[str, Any]] = []
    if not isinstance(document, dict):
        raise ValidationFailedError(
            "the roster settings must be a JSON object", errors=[_err(ROOT, "must be an object")]
        )
    settings = effective(document)
    _check_types(settings, RosterSettings, ROOT, errors)
    if not errors:
        _check_consistency(settings, shift_codes, headcount, errors)
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ValidationFailedError(
            f"the roster settings are not valid: {first['field']}: {first['message']}{more}",
            errors=errors,
        )
    return settings


# ---------------------------------------------------------------- storage


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


async def load_config(
    session: AsyncSession, department_id: int, *, check: bool = True
) -> tuple[dict[str, Any], int]:
    """The settings in force and the stored version (0: nothing stored, the defaults).

    With ``check`` (the solver's path) settings stored before every range was checked are
    refused with the fields to correct, instead of reaching the solver; the settings page
    reads them unchecked so the manager can see and correct them.

    Raises:
        ValidationFailedError: ``check`` and a stored setting is not valid.
    """
    row = await session.get(RosterConfig, department_id)
    if row is None:
        return effective({}), 0
    if not check:
        return effective(row.document), row.version
    try:
        return validate_config(row.document, None, None), row.version
    except ValidationFailedError as exc:
        raise ValidationFailedError(
            "the department's stored roster settings are not valid; correct them first: "
            + exc.detail.removeprefix("the roster settings are not valid: "),
            errors=exc.errors,
        ) from exc


async def save_config(
    session: AsyncSession,
    actor: Principal,
    department: Department,
    patch: Any,
    expected_version: int | None,
) -> tuple[dict[str, Any], int]:
    """Merge ``patch`` into the settings in force, validate the whole and store it.

    The row is locked before it is read, so two managers' changes apply one after the other
    instead of one merging into a stale copy (on SQLite the version column catches the race).
    Nothing is written unless the whole merged document is valid.

    Raises:
        ConflictError: ``expected_version`` is not the stored version.
        ValidationFailedError: a merged setting is not valid, each one named.
    """
    actor.require(
        actor.can_manage_department(department.id), "change this department's roster settings"
    )
    if not isinstance(patch, dict):
        raise ValidationFailedError(
            "the roster settings must be a JSON object", errors=[_err(ROOT, "must be an object")]
        )
    row = await session.get(
        RosterConfig, department.id, with_for_update=True, populate_existing=True
    )
    current = row.version if row is not None else 0
    if expected_version is not None and expected_version != current:
        raise ConflictError(
            f"the settings are at version {current}, not {expected_version}; reload them",
            current_version=current,
        )
    merged = merge_patch(effective(row.document if row is not None else {}), patch)
    settings = validate_config(
        merged,
        await shift_codes_of(session, department.id),
        await active_headcount(session, department.id),
    )
    if row is None:
        row = RosterConfig(department_id=department.id, document=copy.deepcopy(settings))
        session.add(row)
    else:
        row.document = copy.deepcopy(settings)
    await session.commit()
    return settings, row.version
