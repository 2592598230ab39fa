"""JSON and CSV for problems and solutions (format: docs/problem-format.md).

Dates are ISO (``"2026-12-01"``), times ``"HH:MM"`` with ``"24:00"`` allowed.
Reading validates strictly: an unknown key or a wrong type raises
:class:`~solver.problem.ProblemError` naming the field, so a typo in a rule
name never silently falls back to a default.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import fields
from datetime import date
from typing import Any

from solver.check import OFF, check, to_grid
from solver.problem import (
    Calendar,
    Contract,
    HistoryCell,
    IntervalDemand,
    Leave,
    Lock,
    MeetingSlot,
    ProblemError,
    ReferenceRoster,
    Request,
    RequestKind,
    RosterProblem,
    RuleSetting,
    RuleSettings,
    ShiftDemand,
    ShiftType,
    Staff,
    format_hhmm,
    parse_hhmm,
)
from solver.result import Assignment, RosterSolution

_IGNORED = {"note", "notes", "description", "$schema"}


def _obj(
    value: Any, where: str, allowed: set[str], required: set[str] | None = None
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: expected an object")
    unknown = set(value) - allowed - _IGNORED
    if unknown:
        raise ProblemError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    missing = (required or set()) - set(value)
    if missing:
        raise ProblemError(f"{where}: missing field(s) {', '.join(sorted(missing))}")
    return value


def _date(value: Any, where: str) -> date:
    if not isinstance(value, str):
        raise ProblemError(f"{where}: expected an ISO date string")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ProblemError(f"{where}: invalid date {value!r}") from exc


def _int(value: Any, where: str, default: int | None = None) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProblemError(f"{where}: expected an integer")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ProblemError(f"{where}: expected true or false")
    return value


def _opt_int(value: Any, where: str) -> int | None:
    return None if value is None else _int(value, where)


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ProblemError(f"{where}: expected a string")
    return value


def _opt_str(value: Any, where: str) -> str | None:
    return None if value is None else _str(value, where)


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProblemError(f"{where}: expected a list")
    return value


def _dates(row: dict[str, Any], where: str) -> list[date]:
    if "date" in row and "dates" in row:
        raise ProblemError(f"{where}: give either date or dates")
    if "dates" in row:
        return [_date(v, f"{where}.dates") for v in _list(row["dates"], f"{where}.dates")]
    return [_date(row.get("date"), f"{where}.date")]


def _cells(value: Any, where: str) -> dict[str, dict[date, str | None]]:
    out: dict[str, dict[date, str | None]] = {}
    if value is None:
        return out
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: expected an object of staff rows")
    for pid, row in value.items():
        if not isinstance(row, dict):
            raise ProblemError(f"{where}.{pid}: expected an object of date: shift")
        out[pid] = {
            _date(k, f"{where}.{pid}"): _opt_str(v, f"{where}.{pid}.{k}") for k, v in row.items()
        }
    return out


def _rule(value: Any, where: str, default: RuleSetting) -> RuleSetting:
    row = _obj(value, where, {"enabled", "hard", "weight"})
    enabled = row.get("enabled", default.enabled)
    hard = row.get("hard", default.hard)
    if not isinstance(enabled, bool) or not isinstance(hard, bool):
        raise ProblemError(f"{where}: enabled and hard must be true or false")
    return RuleSetting(enabled, hard, _int(row.get("weight"), f"{where}.weight", default.weight))


def rules_to_dict(rules: RuleSettings) -> dict[str, Any]:
    """The JSON form of rule settings (round-trips through :func:`rules_from_dict`)."""
    out: dict[str, Any] = {}
    for f in fields(RuleSettings):
        value = getattr(rules, f.name)
        if isinstance(value, RuleSetting):
            out[f.name] = _setting(value)
        elif f.name == "forbidden_successions":
            out[f.name] = [list(pair) for pair in value]
        else:
            out[f.name] = value
    return out


def _rules(value: Any) -> RuleSettings:
    if value is None:
        return RuleSettings()
    base = RuleSettings()
    names = {f.name for f in fields(RuleSettings)}
    row = _obj(value, "rules", names)
    kwargs: dict[str, Any] = {}
    for name, raw in row.items():
        current = getattr(base, name)
        where = f"rules.{name}"
        if isinstance(current, RuleSetting):
            kwargs[name] = _rule(raw, where, current)
        elif name == "forbidden_successions":
            pairs = []
            for i, pair in enumerate(_list(raw, where)):
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ProblemError(f"{where}[{i}]: expected [first, second]")
                pairs.append((_str(pair[0], where), _str(pair[1], where)))
            kwargs[name] = tuple(pairs)
        else:
            kwargs[name] = _int(raw, where)
    return RuleSettings(**kwargs)


def problem_from_dict(data: Any) -> RosterProblem:
    """Build and validate a :class:`RosterProblem` from parsed JSON.

    Raises:
        ProblemError: naming the first bad field.
    """
    top = _obj(
        data,
        "problem",
        {
            "name",
            "horizon",
            "shift_types",
            "staff",
            "shift_demand",
            "interval_demand",
            "calendar",
            "leave",
            "locks",
            "history",
            "following",
            "requests",
            "reference",
            "rules",
        },
        {"horizon", "shift_types", "staff"},
    )
    hz = _obj(top["horizon"], "horizon", {"start", "end", "timezone"}, {"start", "end"})
    shifts = []
    for i, raw in enumerate(_list(top["shift_types"], "shift_types")):
        w = f"shift_types[{i}]"
        row = _obj(
            raw,
            w,
            {"id", "name", "start", "end", "late", "never_alone", "retired"},
            {"id", "start", "end"},
        )
        start = parse_hhmm(_str(row["start"], f"{w}.start"), f"{w}.start")
        end = parse_hhmm(_str(row["end"], f"{w}.end"), f"{w}.end")
        if end <= start:
            end += 1440  # ends after midnight, e.g. 22:00-06:00
        shifts.append(
            ShiftType(
                _str(row["id"], f"{w}.id"),
                _str(row.get("name", row["id"]), f"{w}.name"),
                start,
                end,
                late=_bool(row.get("late", False), f"{w}.late"),
                never_alone=_bool(row.get("never_alone", False), f"{w}.never_alone"),
                retired=_bool(row.get("retired", False), f"{w}.retired"),
            )
        )
    staff = []
    contract_keys = {f.name for f in fields(Contract)}
    if not isinstance(top["staff"], list):
        raise ProblemError("staff: expected a list")
    for i, raw in enumerate(_list(top["staff"], "staff")):
        w = f"staff[{i}]"
        row = _obj(
            raw,
            w,
            {"id", "name", "team", "flags", "contract", "fairness_group", "trainee_until"},
            {"id"},
        )
        c = _obj(row.get("contract", {}), f"{w}.contract", contract_keys)
        max_shifts = c.get("max_shifts", {})
        if not isinstance(max_shifts, dict):
            raise ProblemError(f"{w}.contract.max_shifts: expected an object")
        contract = Contract(
            **{k: _opt_int(c.get(k), f"{w}.contract.{k}") for k in contract_keys - {"max_shifts"}},
            max_shifts={k: _int(v, f"{w}.contract.max_shifts.{k}") for k, v in max_shifts.items()},
        )
        staff.append(
            Staff(
                _str(row["id"], f"{w}.id"),
                _str(row.get("name", row["id"]), f"{w}.name"),
                team=_opt_str(row.get("team"), f"{w}.team"),
                flags=frozenset(
                    _str(f, f"{w}.flags") for f in _list(row.get("flags"), f"{w}.flags")
                ),
                contract=contract,
                fairness_group=_opt_str(row.get("fairness_group"), f"{w}.fairness_group"),
                trainee_until=_date(row["trainee_until"], f"{w}.trainee_until")
                if row.get("trainee_until") is not None
                else None,
            )
        )
    demand_keys = {"date", "dates", "minimum", "target", "under_weight", "over_weight", "team"}
    shift_demand = []
    for i, raw in enumerate(_list(top.get("shift_demand"), "shift_demand")):
        w = f"shift_demand[{i}]"
        row = _obj(raw, w, demand_keys | {"shift"}, {"shift"})
        for day in _dates(row, w):
            shift_demand.append(
                ShiftDemand(
                    day,
                    _str(row["shift"], f"{w}.shift"),
                    _int(row.get("minimum"), f"{w}.minimum", 0),
                    _int(row.get("target"), f"{w}.target", _int(row.get("minimum"), w, 0)),
                    _int(row.get("under_weight"), f"{w}.under_weight", 10),
                    _int(row.get("over_weight"), f"{w}.over_weight", 1),
                    _opt_str(row.get("team"), f"{w}.team"),
                )
            )
    interval_demand = []
    for i, raw in enumerate(_list(top.get("interval_demand"), "interval_demand")):
        w = f"interval_demand[{i}]"
        row = _obj(raw, w, demand_keys | {"start", "end"}, {"start", "end"})
        for day in _dates(row, w):
            interval_demand.append(
                IntervalDemand(
                    day,
                    parse_hhmm(_str(row["start"], f"{w}.start"), f"{w}.start"),
                    parse_hhmm(_str(row["end"], f"{w}.end"), f"{w}.end"),
                    _int(row.get("minimum"), f"{w}.minimum", 0),
                    _int(row.get("target"), f"{w}.target", _int(row.get("minimum"), w, 0)),
                    _int(row.get("under_weight"), f"{w}.under_weight", 10),
                    _int(row.get("over_weight"), f"{w}.over_weight", 1),
                    _opt_str(row.get("team"), f"{w}.team"),
                )
            )
    cal_raw = _obj(
        top.get("calendar", {}),
        "calendar",
        {"holidays", "makeup_workdays", "weekend_weekdays", "meeting"},
    )
    holidays_raw = cal_raw.get("holidays", {})
    if not isinstance(holidays_raw, dict):
        raise ProblemError("calendar.holidays: expected an object of date: name")
    meeting = None
    if cal_raw.get("meeting") is not None:
        m = _obj(cal_raw["meeting"], "calendar.meeting", {"weekday", "start", "end", "min_on_duty"})
        meeting = MeetingSlot(
            _int(m.get("weekday"), "calendar.meeting.weekday", 2),
            parse_hhmm(
                _str(m.get("start", "14:00"), "calendar.meeting.start"), "calendar.meeting.start"
            ),
            parse_hhmm(_str(m.get("end", "15:00"), "calendar.meeting.end"), "calendar.meeting.end"),
            _int(m.get("min_on_duty"), "calendar.meeting.min_on_duty", 1),
        )
    calendar = Calendar(
        holidays={
            _date(k, "calendar.holidays"): _str(v, "calendar.holidays")
            for k, v in holidays_raw.items()
        },
        makeup_workdays=frozenset(
            _date(v, "calendar.makeup_workdays")
            for v in _list(cal_raw.get("makeup_workdays"), "calendar.makeup_workdays")
        ),
        weekend_weekdays=frozenset(
            _int(v, "calendar.weekend_weekdays") for v in cal_raw.get("weekend_weekdays", [5, 6])
        ),
        meeting=meeting,
    )
    leave = []
    for i, raw in enumerate(_list(top.get("leave"), "leave")):
        w = f"leave[{i}]"
        row = _obj(raw, w, {"staff", "start", "end", "reason", "absence"}, {"staff", "start"})
        first = _date(row["start"], f"{w}.start")
        leave.append(
            Leave(
                _str(row["staff"], f"{w}.staff"),
                first,
                _date(row["end"], f"{w}.end") if "end" in row else first,
                _str(row.get("reason", "approved leave"), f"{w}.reason"),
                _bool(row.get("absence", False), f"{w}.absence"),
            )
        )
    locks = []
    for i, raw in enumerate(_list(top.get("locks"), "locks")):
        w = f"locks[{i}]"
        row = _obj(raw, w, {"staff", "date", "shift"}, {"staff", "date"})
        locks.append(
            Lock(
                _str(row["staff"], f"{w}.staff"),
                _date(row["date"], f"{w}.date"),
                _opt_str(row.get("shift"), f"{w}.shift"),
            )
        )
    history = [
        HistoryCell(pid, day, sid)
        for pid, row in _cells(top.get("history"), "history").items()
        for day, sid in row.items()
    ]
    following = [
        HistoryCell(pid, day, sid)
        for pid, row in _cells(top.get("following"), "following").items()
        for day, sid in row.items()
    ]
    requests = []
    for i, raw in enumerate(_list(top.get("requests"), "requests")):
        w = f"requests[{i}]"
        row = _obj(raw, w, {"staff", "date", "kind", "shift", "weight"}, {"staff", "date", "kind"})
        try:
            kind = RequestKind(row["kind"])
        except ValueError as exc:
            raise ProblemError(f"{w}.kind: expected one of shift_on, shift_off, day_off") from exc
        requests.append(
            Request(
                _str(row["staff"], f"{w}.staff"),
                _date(row["date"], f"{w}.date"),
                kind,
                _opt_str(row.get("shift"), f"{w}.shift"),
                _int(row.get("weight"), f"{w}.weight", 1),
            )
        )
    reference = None
    if top.get("reference") is not None:
        ref = _obj(top["reference"], "reference", {"change_weight", "rows"}, {"rows"})
        reference = ReferenceRoster(
            _cells(ref["rows"], "reference.rows"),
            _int(ref.get("change_weight"), "reference.change_weight", 5),
        )
    return RosterProblem(
        start=_date(hz["start"], "horizon.start"),
        end=_date(hz["end"], "horizon.end"),
        timezone=_str(hz.get("timezone", "Asia/Shanghai"), "horizon.timezone"),
        shift_types=tuple(shifts),
        staff=tuple(staff),
        shift_demand=tuple(shift_demand),
        interval_demand=tuple(interval_demand),
        calendar=calendar,
        leave=tuple(leave),
        locks=tuple(locks),
        history=tuple(history),
        following=tuple(following),
        requests=tuple(requests),
        reference=reference,
        rules=_rules(top.get("rules")),
        name=_str(top.get("name", ""), "name"),
    )


def load_problem(text: str) -> RosterProblem:
    """Parse problem JSON text.

    Raises:
        ProblemError: on invalid JSON or an invalid problem.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemError(f"problem: invalid JSON ({exc})") from exc
    return problem_from_dict(data)


def _setting(s: RuleSetting) -> dict[str, Any]:
    return {"enabled": s.enabled, "hard": s.hard, "weight": s.weight}


def problem_to_dict(p: RosterProblem) -> dict[str, Any]:
    """The JSON form of a problem (round-trips through :func:`problem_from_dict`)."""
    rules = rules_to_dict(p.rules)
    out: dict[str, Any] = {
        "name": p.name,
        "horizon": {"start": p.start.isoformat(), "end": p.end.isoformat(), "timezone": p.timezone},
        "shift_types": [
            {
                "id": s.id,
                "name": s.name,
                "start": format_hhmm(s.start_minute),
                "end": format_hhmm(s.end_minute if s.end_minute <= 1440 else s.end_minute - 1440),
                "late": s.late,
                "never_alone": s.never_alone,
                **({"retired": True} if s.retired else {}),
            }
            for s in p.shift_types
        ],
        "staff": [
            {
                "id": q.id,
                "name": q.name,
                "team": q.team,
                "flags": sorted(q.flags),
                "fairness_group": q.fairness_group,
                **(
                    {"trainee_until": q.trainee_until.isoformat()}
                    if q.trainee_until is not None
                    else {}
                ),
                "contract": {
                    **{
                        f.name: getattr(q.contract, f.name)
                        for f in fields(Contract)
                        if f.name != "max_shifts" and getattr(q.contract, f.name) is not None
                    },
                    "max_shifts": dict(q.contract.max_shifts),
                },
            }
            for q in p.staff
        ],
        "shift_demand": [
            {
                "date": d.date.isoformat(),
                "shift": d.shift_id,
                "minimum": d.minimum,
                "target": d.target,
                "under_weight": d.under_weight,
                "over_weight": d.over_weight,
                "team": d.team,
            }
            for d in p.shift_demand
        ],
        "interval_demand": [
            {
                "date": d.date.isoformat(),
                "start": format_hhmm(d.start_minute),
                "end": format_hhmm(d.end_minute),
                "minimum": d.minimum,
                "target": d.target,
                "under_weight": d.under_weight,
                "over_weight": d.over_weight,
                "team": d.team,
            }
            for d in p.interval_demand
        ],
        "calendar": {
            "holidays": {k.isoformat(): v for k, v in sorted(p.calendar.holidays.items())},
            "makeup_workdays": sorted(d.isoformat() for d in p.calendar.makeup_workdays),
            "weekend_weekdays": sorted(p.calendar.weekend_weekdays),
            "meeting": None
            if p.calendar.meeting is None
            else {
                "weekday": p.calendar.meeting.weekday,
                "start": format_hhmm(p.calendar.meeting.start_minute),
                "end": format_hhmm(p.calendar.meeting.end_minute),
                "min_on_duty": p.calendar.meeting.min_on_duty,
            },
        },
        "leave": [
            {
                "staff": lv.staff_id,
                "start": lv.start.isoformat(),
                "end": lv.end.isoformat(),
                "reason": lv.reason,
                **({"absence": True} if lv.absence else {}),
            }
            for lv in p.leave
        ],
        "locks": [
            {"staff": lk.staff_id, "date": lk.date.isoformat(), "shift": lk.shift_id}
            for lk in p.locks
        ],
        "history": _history_out(p.history),
        **({"following": _history_out(p.following)} if p.following else {}),
        "requests": [
            {
                "staff": r.staff_id,
                "date": r.date.isoformat(),
                "kind": r.kind.value,
                "shift": r.shift_id,
                "weight": r.weight,
            }
            for r in p.requests
        ],
        "reference": None
        if p.reference is None
        else {"change_weight": p.reference.change_weight, "rows": _rows_out(p.reference.cells)},
        "rules": rules,
    }
    return out


def _history_out(history: tuple[HistoryCell, ...]) -> dict[str, dict[str, str | None]]:
    out: dict[str, dict[str, str | None]] = {}
    for h in history:
        out.setdefault(h.staff_id, {})[h.date.isoformat()] = h.shift_id
    return out


def _rows_out(cells: Mapping[str, Mapping[date, str | None]]) -> dict[str, dict[str, str | None]]:
    return {pid: {d.isoformat(): s for d, s in sorted(row.items())} for pid, row in cells.items()}


def dump_problem(p: RosterProblem) -> str:
    """Problem JSON text, indented for humans."""
    return json.dumps(problem_to_dict(p), indent=2, ensure_ascii=False)


def solution_to_dict(p: RosterProblem, sol: RosterSolution) -> dict[str, Any]:
    """The JSON form of a solution: status, figures, roster, breakdown, named costs."""
    return {
        "status": sol.status.value,
        "objective": sol.objective,
        "best_bound": sol.best_bound,
        "gap": sol.gap,
        "time_to_first": sol.time_to_first,
        "total_time": sol.total_time,
        "breakdown": dict(sol.breakdown),
        "penalties": [
            {
                "rule": v.rule,
                "message": v.message,
                "staff": v.staff_id,
                "date": None if v.date is None else v.date.isoformat(),
                "shift": v.shift_id,
                "cost": v.cost,
            }
            for v in sol.penalties
        ],
        "spreads": [
            {
                "rule": s.rule,
                "staff": list(s.staff_ids),
                "counts": list(s.counts),
                "spread": s.spread,
            }
            for s in sol.spreads
        ],
        "explanation": None
        if sol.explanation is None
        else {"summary": sol.explanation.summary, "facts": list(sol.explanation.facts)},
        "roster": None if sol.assignment is None else _rows_out(sol.assignment),
    }


def assignment_from_rows(
    rows: Mapping[str, Mapping[str, str | None]],
) -> dict[str, dict[date, str | None]]:
    """Parse ``{"staff": {"2026-12-01": "early"}}`` rows into an assignment."""
    return _cells(dict(rows), "roster")


def assignment_to_csv(p: RosterProblem, assignment: Assignment) -> str:
    """CSV: a header of dates, one row per person (id, name, shift ids, empty = off)."""
    grid, _ = to_grid(p, assignment)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["staff_id", "name", *(d.isoformat() for d in p.dates)])
    for e, person in enumerate(p.staff):
        writer.writerow(
            [person.id, person.name, *("" if k == OFF else p.shift_types[k].id for k in grid[e])]
        )
    return buf.getvalue()


def validate_assignment(
    p: RosterProblem, rows: Mapping[str, Mapping[str, str | None]]
) -> dict[str, Any]:
    """Check a manager's roster given as JSON rows; the report as JSON-ready data."""
    report = check(p, assignment_from_rows(rows))
    return {
        "valid": report.valid,
        "objective": report.objective,
        "breakdown": dict(report.breakdown),
        "hard_violations": [
            {
                "rule": v.rule,
                "message": v.message,
                "staff": v.staff_id,
                "date": None if v.date is None else v.date.isoformat(),
                "shift": v.shift_id,
            }
            for v in report.hard_violations
        ],
    }


def rules_from_dict(value: Any) -> RuleSettings:
    """Rule settings from their JSON form (the ``rules`` object of a problem).

    Public so a department's stored settings are validated by exactly the code that reads
    problems: an unknown rule or a hard setting of a soft-only rule is a ``ProblemError``.
    """
    return _rules(value)
