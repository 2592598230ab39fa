"""The independent rule checker: no CP-SAT, just the rules as plain Python.

This is the executable specification of every rule and of the objective. The
solver's model must agree with it to the unit: every test that solves runs the
checker on the result, and the service calls it to validate a manager's manual
edits, so it is written to be fast (one pass over a small integer grid) and
returns structured :class:`~solver.result.Violation` records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from solver.problem import IntervalDemand, RosterProblem, RuleSetting, ShiftDemand
from solver.result import Assignment, CheckReport, FairnessSpread, Violation

OFF = -1
RULES = (
    "leave",
    "lock",
    "unknown_shift",
    "demand_minimum",
    "demand_target",
    "never_alone",
    "trainee_not_alone",
    "min_rest",
    "weekly_rest",
    "max_consecutive_days",
    "rest_pairs",
    "contract",
    "meeting",
    "holiday_work",
    "fairness_late",
    "fairness_weekend",
    "fairness_holiday",
    "requests",
    "stability",
)
"""Rule family names, the keys of every breakdown."""


def fmt_day(day: date) -> str:
    """The department's short date: ``"12 Dec"``."""
    return f"{day.day} {day.strftime('%b')}"


def fmt_unavailable(reason: str) -> str:
    """How a reason for being unavailable reads after "is": ``"on approved leave"``.

    A reason is usually something a person is *on* ("approved leave", "sick leave"); one that
    already states the person's condition ("not yet hired", "no longer employed", "on a rest
    day within approved annual leave") reads as it is. Without this, every sentence that names the reason said "is on not yet hired".
    """
    if reason.startswith(("not ", "no longer ", "on ")):
        return reason
    return f"on {reason}"


def to_grid(
    problem: RosterProblem, assignment: Assignment
) -> tuple[list[list[int]], list[Violation]]:
    """Turn an assignment into a staff x day grid of shift indices (-1 = off).

    Unknown staff or shift ids become violations rather than exceptions, since
    the assignment may come from a manager's hand edit.
    """
    grid = [[OFF] * problem.num_days for _ in problem.staff]
    problems: list[Violation] = []
    for pid, row in assignment.items():
        e = problem.staff_index.get(pid)
        if e is None:
            problems.append(Violation("unknown_shift", f"unknown staff {pid!r}", pid, hard=True))
            continue
        for day, sid in row.items():
            d = problem.day_index.get(day)
            if d is None or sid is None:
                continue
            k = problem.shift_index.get(sid)
            if k is None:
                problems.append(
                    Violation("unknown_shift", f"unknown shift {sid!r}", pid, day, sid, hard=True)
                )
                continue
            if problem.shift_types[k].retired:
                problems.append(
                    Violation(
                        "unknown_shift",
                        f"{problem.staff[e].name}: {problem.shift_types[k].name} on "
                        f"{fmt_day(day)} is a shift type no longer in use",
                        pid,
                        day,
                        sid,
                        hard=True,
                    )
                )
                continue
            grid[e][d] = k
    return grid, problems


def from_grid(problem: RosterProblem, grid: list[list[int]]) -> dict[str, dict[date, str | None]]:
    """Turn a grid of shift indices back into an assignment with every date present."""
    out: dict[str, dict[date, str | None]] = {}
    for e, person in enumerate(problem.staff):
        out[person.id] = {
            day: (None if grid[e][d] == OFF else problem.shift_types[grid[e][d]].id)
            for d, day in enumerate(problem.dates)
        }
    return out


class _Collector:
    """Accumulates violations and costs for one check."""

    def __init__(self, problem: RosterProblem) -> None:
        self.problem = problem
        self.hard: list[Violation] = []
        self.soft: list[Violation] = []

    def add(
        self,
        setting: RuleSetting | None,
        rule: str,
        message: str,
        amount: int = 1,
        *,
        staff: int | None = None,
        day: int | None = None,
        shift: int | None = None,
        weight: int | None = None,
    ) -> None:
        """Record ``amount`` units of a breach; hard or soft from the setting."""
        if amount <= 0:
            return
        p = self.problem
        pid = None if staff is None else p.staff[staff].id
        when = None if day is None else p.dates[day]
        sid = None if shift is None else p.shift_types[shift].id
        if setting is None or (setting.hard and weight is None):
            self.hard.append(Violation(rule, message, pid, when, sid, hard=True, amount=amount))
            return
        w = setting.weight if weight is None else weight
        cost = w * amount
        if cost > 0:
            self.soft.append(Violation(rule, f"{message}, cost {cost}", pid, when, sid, cost=cost))


def check(problem: RosterProblem, assignment: Assignment) -> CheckReport:
    """List every hard-rule violation and compute the objective of an assignment.

    Args:
        problem: The roster problem.
        assignment: Per staff id, per date, a shift id or ``None``; missing dates
            and missing staff are days off.

    Returns:
        The report: hard violations, named soft costs, total and breakdown, spreads.
    """
    grid, unknown = to_grid(problem, assignment)
    return check_grid(problem, grid, unknown)


def check_grid(
    problem: RosterProblem, grid: list[list[int]], extra: Iterable[Violation] = ()
) -> CheckReport:
    """Like :func:`check`, on a grid of shift indices (-1 = off)."""
    c = _Collector(problem)
    c.hard.extend(extra)
    spreads: list[FairnessSpread] = []
    _facts(problem, grid, c)
    _coverage(problem, grid, c)
    _rest(problem, grid, c)
    _contract(problem, grid, c)
    _calendar(problem, grid, c)
    spreads.extend(_fairness(problem, grid, c))
    _requests(problem, grid, c)
    breakdown = dict.fromkeys(RULES, 0)
    for v in c.soft:
        breakdown[v.rule] = breakdown.get(v.rule, 0) + v.cost
    return CheckReport(
        hard_violations=tuple(c.hard),
        penalties=tuple(c.soft),
        objective=sum(v.cost for v in c.soft),
        breakdown=breakdown,
        spreads=tuple(spreads),
    )


# ---------------------------------------------------------------- rule families


def _facts(p: RosterProblem, g: list[list[int]], c: _Collector) -> None:
    for (e, d), reason in p.unavailable.items():
        if g[e][d] != OFF:
            c.add(
                None,
                "leave",
                f"{p.staff[e].name} works on {fmt_day(p.dates[d])}"
                f" but is {fmt_unavailable(reason)}",
                staff=e,
                day=d,
                shift=g[e][d],
            )
    for (e, d), k in p.locked.items():
        if g[e][d] != (OFF if k is None else k):
            want = "off" if k is None else p.shift_types[k].name
            c.add(
                None,
                "lock",
                f"{p.staff[e].name}: {fmt_day(p.dates[d])} is locked to {want}",
                staff=e,
                day=d,
            )


def covering(p: RosterProblem, start: int, end: int) -> list[tuple[int, int]]:
    """(day offset, shift index) pairs whose shifts span a window; offset 1 = previous day."""
    out = []
    for k, s in enumerate(p.shift_types):
        for off in (0, 1):
            if s.covers(start, end, off):
                out.append((off, k))
    return out


def _count(p: RosterProblem, g: list[list[int]], d: int, k: int, team: str | None) -> int:
    return sum(
        1
        for e, person in enumerate(p.staff)
        if g[e][d] == k and (team is None or person.team == team)
    )


def _coverage(p: RosterProblem, g: list[list[int]], c: _Collector) -> None:
    rules = p.rules
    per_day_shift = [[0] * len(p.shift_types) for _ in p.dates]
    for e in range(len(p.staff)):
        for d, k in enumerate(g[e]):
            if k != OFF:
                per_day_shift[d][k] += 1
    rows: list[tuple[int, ShiftDemand | IntervalDemand, int]] = []
    for dem in p.shift_demand:
        d, k = p.day_index[dem.date], p.shift_index[dem.shift_id]
        n = per_day_shift[d][k] if dem.team is None else _count(p, g, d, k, dem.team)
        rows.append((d, dem, n))
    for iv in p.interval_demand:
        d = p.day_index[iv.date]
        n = 0
        for off, k in covering(p, iv.start_minute, iv.end_minute):
            if d - off >= 0:
                n += (
                    per_day_shift[d - off][k]
                    if iv.team is None
                    else _count(p, g, d - off, k, iv.team)
                )
            else:
                n += p.history_on(d - off, k, iv.team)  # last month's overnight shift
        rows.append((d, iv, n))
    for d, row, n in rows:
        minimum, target = row.minimum, row.target
        if n >= minimum and n == target:
            continue  # most rows of a good roster: no message to write
        under_w, over_w = row.under_weight, row.over_weight
        if isinstance(row, ShiftDemand):
            label = f"{fmt_day(row.date)} {p.shift_types[p.shift_index[row.shift_id]].name}"
        else:
            label = f"{fmt_day(row.date)} {_window(row.start_minute, row.end_minute)}"
        if row.team is not None:
            label += f" ({row.team})"  # two teams' rows of one day read alike otherwise
        if rules.demand_minimum.enabled:
            c.add(
                rules.demand_minimum,
                "demand_minimum",
                f"{label} needs at least {minimum}, has {n}",
                minimum - n,
                day=d,
            )
        if rules.demand_target.enabled:
            c.add(
                rules.demand_target,
                "demand_target",
                f"{label} target {target}, short by {target - n}",
                target - n,
                day=d,
                weight=under_w * rules.demand_target.weight,
            )
            c.add(
                rules.demand_target,
                "demand_target",
                f"{label} target {target}, {n - target} over",
                n - target,
                day=d,
                weight=over_w * rules.demand_target.weight,
            )
    if rules.never_alone.enabled:
        for k, s in enumerate(p.shift_types):
            if not s.never_alone:
                continue
            for d in range(p.num_days):
                if per_day_shift[d][k] == 1:
                    c.add(
                        rules.never_alone,
                        "never_alone",
                        f"{fmt_day(p.dates[d])} {s.name} staffed by one person alone",
                        day=d,
                        shift=k,
                    )
    if rules.trainee_not_alone.enabled and any(person.trainee for person in p.staff):
        for d in range(p.num_days):
            for k, s in enumerate(p.shift_types):
                trainees = [
                    e for e, q in enumerate(p.staff) if q.trainee_on(p.dates[d]) and g[e][d] == k
                ]
                if trainees and per_day_shift[d][k] == len(trainees):
                    names = ", ".join(p.staff[e].name for e in trainees)
                    c.add(
                        rules.trainee_not_alone,
                        "trainee_not_alone",
                        f"{fmt_day(p.dates[d])} {s.name}: trainee {names} without an experienced"
                        " colleague",
                        day=d,
                        shift=k,
                    )
    meeting = p.calendar.meeting
    if meeting is not None and rules.meeting.enabled:
        cov = [k for off, k in covering(p, meeting.start_minute, meeting.end_minute) if off == 0]
        for d, day in enumerate(p.dates):
            if day.weekday() != meeting.weekday or p.calendar.is_holiday(day):
                continue
            n = sum(per_day_shift[d][k] for k in cov)
            c.add(
                rules.meeting,
                "meeting",
                f"{fmt_day(day)} meeting {_window(meeting.start_minute, meeting.end_minute)}"
                f" needs {meeting.min_on_duty} on duty, has {n}",
                meeting.min_on_duty - n,
                day=d,
            )


def _window(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def extended_row(p: RosterProblem, e: int, g: list[list[int]], back: int) -> list[int | None]:
    """A person's row with ``back`` history days prepended (``None`` = unknown)."""
    hist = p.history_by_staff.get(e, {})
    prefix: list[int | None] = []
    for off in range(-back, 0):
        if off in hist:
            v = hist[off]
            prefix.append(OFF if v is None else v)
        else:
            prefix.append(None)
    return prefix + list(g[e])


def max_consecutive(p: RosterProblem, e: int) -> int:
    """A person's limit on consecutive working days."""
    own = p.staff[e].contract.max_consecutive_days
    return p.rules.default_max_consecutive_days if own is None else own


def _rest(p: RosterProblem, g: list[list[int]], c: _Collector) -> None:
    rules = p.rules
    H = p.num_days
    for e, person in enumerate(p.staff):
        name = person.name
        hist = p.history_by_staff.get(e, {})
        row = g[e]
        nxt = p.following_by_staff.get(e, {})
        if rules.min_rest.enabled or rules.forbidden_successions:
            prev0 = hist.get(-1)
            after = nxt.get(H)
            for d in range(-1, H):
                a = (OFF if prev0 is None else prev0) if d == -1 else row[d]
                b = row[d + 1] if d + 1 < H else (OFF if after is None else after)
                if a != OFF and b != OFF and (a, b) in p.forbidden_pairs[d]:
                    if d + 1 == H:
                        c.add(
                            rules.min_rest,
                            "min_rest",
                            f"{name}: {p.shift_types[a].name} on {fmt_day(p.dates[d])} then"
                            f" {p.shift_types[b].name} on the next roster's first day leaves"
                            " too little rest",
                            staff=e,
                            day=d,
                        )
                        continue
                    when = fmt_day(p.dates[d + 1])
                    c.add(
                        rules.min_rest,
                        "min_rest",
                        f"{name}: {p.shift_types[a].name} then {p.shift_types[b].name} on {when}"
                        " leaves too little rest",
                        staff=e,
                        day=d + 1,
                    )
        if rules.weekly_rest.enabled:
            for days, hist_offs in p.week_groups:
                need, known = p.weekly_requirement(e, days, hist_offs)
                rests = (
                    sum(1 for d in p.rest_days_of(e, days) if row[d] == OFF)
                    + sum(1 for off in known if hist[off] is None)
                    + sum(1 for d in p.following_in_week(e, days) if nxt[d] is None)
                )
                c.add(
                    rules.weekly_rest,
                    "weekly_rest",
                    f"{name}: {rests} rest days in the week of {fmt_day(p.dates[days[0]])},"
                    f" needs {need}",
                    need - rests,
                    staff=e,
                    day=days[0],
                )
        if rules.max_consecutive_days.enabled:
            k = max_consecutive(p, e)
            ext = extended_row(p, e, g, k) + [
                (OFF if nxt[d] is None else nxt[d]) if d in nxt else None
                for d in range(H, H + min(k, p.following_run(e)))
            ]
            for start in range(0, len(ext) - k):  # window ext[start .. start+k] ends on day start
                window = ext[start : start + k + 1]
                if len(window) == k + 1 and all(v is not None and v != OFF for v in window):
                    d = min(start, H - 1)  # a run into the next roster: its last day here
                    c.add(
                        rules.max_consecutive_days,
                        "max_consecutive_days",
                        f"{name}: more than {k} working days in a row up to {fmt_day(p.dates[d])}",
                        staff=e,
                        day=d,
                    )
        if rules.rest_pairs.enabled:
            prev = hist.get(-1, "unknown")
            for d in range(H - 1):
                before: object = (OFF if prev is None else prev) if d == 0 else row[d - 1]
                if row[d] == OFF and before not in (OFF, "unknown") and row[d + 1] != OFF:
                    c.add(
                        rules.rest_pairs,
                        "rest_pairs",
                        f"{name}: single rest day on {fmt_day(p.dates[d])}",
                        staff=e,
                        day=d,
                    )


def _contract(p: RosterProblem, g: list[list[int]], c: _Collector) -> None:
    setting = p.rules.contract
    if not setting.enabled:
        return
    H = p.num_days
    for e, person in enumerate(p.staff):
        ct, row, name = person.contract, g[e], person.name
        days = sum(1 for k in row if k != OFF)
        minutes = sum(p.shift_types[k].minutes for k in row if k != OFF)
        if ct.min_days is not None:
            c.add(
                setting,
                "contract",
                f"{name}: {days} working days, contract minimum {ct.min_days}",
                ct.min_days - days,
                staff=e,
            )
        if ct.max_days is not None:
            c.add(
                setting,
                "contract",
                f"{name}: {days} working days, contract maximum {ct.max_days}",
                days - ct.max_days,
                staff=e,
            )
        if ct.min_minutes is not None:
            c.add(
                setting,
                "contract",
                f"{name}: {minutes} working minutes, contract minimum {ct.min_minutes}",
                _hours(ct.min_minutes - minutes),
                staff=e,
            )
        if ct.max_minutes is not None:
            c.add(
                setting,
                "contract",
                f"{name}: {minutes} working minutes, contract maximum {ct.max_minutes}",
                _hours(minutes - ct.max_minutes),
                staff=e,
            )
        for k, s in enumerate(p.shift_types):
            limit = ct.max_shifts.get(s.id)
            if limit is None:
                continue
            n = sum(1 for v in row if v == k)
            c.add(
                setting,
                "contract",
                f"{name}: {n} {s.name} shifts, contract maximum {limit}",
                n - limit,
                staff=e,
                shift=k,
            )
        # Sequence and weekend limits are always hard (Curtois & Qu conventions).
        if ct.min_consecutive_days is not None and ct.min_consecutive_days > 1:
            need = ct.min_consecutive_days
            for d in range(1, H):
                if row[d - 1] == OFF and row[d] != OFF:
                    run = d
                    while run < H and row[run] != OFF:
                        run += 1
                    if run < H and run - d < need:
                        c.add(
                            None,
                            "contract",
                            f"{name}: only {run - d} working days in a row"
                            f" from {fmt_day(p.dates[d])}, needs {need}",
                            staff=e,
                            day=d,
                        )
        if ct.min_consecutive_days_off is not None and ct.min_consecutive_days_off > 1:
            need = ct.min_consecutive_days_off
            for d in range(1, H):
                if row[d - 1] != OFF and row[d] == OFF:
                    run = d
                    while run < H and row[run] == OFF:
                        run += 1
                    if run < H and run - d < need:
                        c.add(
                            None,
                            "contract",
                            f"{name}: only {run - d} days off in a row"
                            f" from {fmt_day(p.dates[d])}, needs {need}",
                            staff=e,
                            day=d,
                        )
        if ct.max_weekends is not None:
            worked = sum(1 for days in weekends(p) if any(row[d] != OFF for d in days))
            if worked > ct.max_weekends:
                c.add(
                    None,
                    "contract",
                    f"{name}: {worked} weekends worked, contract maximum {ct.max_weekends}",
                    staff=e,
                )


def _hours(minutes: int) -> int:
    """Started hours of a positive minute deviation (0 if not positive)."""
    return 0 if minutes <= 0 else (minutes + 59) // 60


def weekends(p: RosterProblem) -> list[list[int]]:
    """Day indices of each weekend (by ISO week) touching the horizon."""
    out: dict[tuple[int, int], list[int]] = defaultdict(list)
    for d, day in enumerate(p.dates):
        if day.weekday() in p.calendar.weekend_weekdays:
            iso = day.isocalendar()
            out[(iso.year, iso.week)].append(d)
    return list(out.values())


def _calendar(p: RosterProblem, g: list[list[int]], c: _Collector) -> None:
    setting = p.rules.holiday_work
    if not setting.enabled:
        return
    for d, day in enumerate(p.dates):
        if not p.calendar.is_holiday(day):
            continue
        for e, person in enumerate(p.staff):
            if g[e][d] != OFF:
                c.add(
                    setting,
                    "holiday_work",
                    f"{person.name} works on {fmt_day(day)} ({p.calendar.holidays[day]})",
                    staff=e,
                    day=d,
                )


def fairness_counts(p: RosterProblem, g: list[list[int]], rule: str, e: int) -> int:
    """The count a fairness rule balances for one person."""
    row = g[e]
    if rule == "fairness_late":
        return sum(1 for k in row if k != OFF and p.shift_types[k].late)
    if rule == "fairness_weekend":
        return sum(1 for d, k in enumerate(row) if k != OFF and p.calendar.is_weekend(p.dates[d]))
    return sum(1 for d, k in enumerate(row) if k != OFF and p.calendar.is_holiday(p.dates[d]))


FAIRNESS_LABEL = {
    "fairness_late": "late shifts",
    "fairness_weekend": "weekend days",
    "fairness_holiday": "holiday days",
}


def fairness_applies(p: RosterProblem, rule: str) -> bool:
    """Whether a fairness rule has anything to balance in this problem."""
    if rule == "fairness_late":
        return any(s.late for s in p.shift_types)
    if rule == "fairness_weekend":
        return any(p.calendar.is_weekend(day) for day in p.dates)
    return any(p.calendar.is_holiday(day) for day in p.dates)


def _fairness(p: RosterProblem, g: list[list[int]], c: _Collector) -> list[FairnessSpread]:
    spreads = []
    for rule in FAIRNESS_LABEL:
        setting: RuleSetting = getattr(p.rules, rule)
        if not setting.enabled or not fairness_applies(p, rule):
            continue
        for group in p.fairness_groups:
            counts = tuple(fairness_counts(p, g, rule, e) for e in group)
            spread = FairnessSpread(rule, tuple(p.staff[e].id for e in group), counts)
            spreads.append(spread)
            names = ", ".join(p.staff[e].name for e in group[:3]) + (
                ", ..." if len(group) > 3 else ""
            )
            c.add(
                setting,
                rule,
                f"{FAIRNESS_LABEL[rule]} range {min(counts)}-{max(counts)}"
                f" among comparable staff ({names})",
                spread.spread,
            )
    return spreads


def _requests(p: RosterProblem, g: list[list[int]], c: _Collector) -> None:
    setting = p.rules.requests
    if setting.enabled:
        for r in p.requests:
            e, d = p.staff_index[r.staff_id], p.day_index[r.date]
            k = g[e][d]
            name, when = p.staff[e].name, fmt_day(r.date)
            weight = r.weight * setting.weight
            if r.kind == "day_off":
                if k != OFF:
                    c.add(
                        setting,
                        "requests",
                        f"{name}: day-off request on {when} not met",
                        staff=e,
                        day=d,
                        weight=weight,
                    )
                continue
            assert r.shift_id is not None
            want = p.shift_index[r.shift_id]
            sname = p.shift_types[want].name
            if r.kind == "shift_on" and k != want:
                c.add(
                    setting,
                    "requests",
                    f"{name}: request for {sname} on {when} not met",
                    staff=e,
                    day=d,
                    shift=want,
                    weight=weight,
                )
            elif r.kind == "shift_off" and k == want:
                c.add(
                    setting,
                    "requests",
                    f"{name}: request not to work {sname} on {when} not met",
                    staff=e,
                    day=d,
                    shift=want,
                    weight=weight,
                )
    ref = p.reference
    if ref is not None and p.rules.stability.enabled:
        weight = ref.change_weight * p.rules.stability.weight
        for pid, cells in ref.cells.items():
            e = p.staff_index[pid]
            for d, day in enumerate(p.dates):
                sid = cells.get(day)
                want = OFF if sid is None else p.shift_index[sid]
                if g[e][d] != want:
                    was = "off" if want == OFF else p.shift_types[want].name
                    now = "off" if g[e][d] == OFF else p.shift_types[g[e][d]].name
                    c.add(
                        p.rules.stability,
                        "stability",
                        f"{p.staff[e].name}: {fmt_day(day)} changed from {was} to {now}",
                        staff=e,
                        day=d,
                        weight=weight,
                    )
