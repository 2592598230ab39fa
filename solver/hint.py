"""A greedy roster used as CP-SAT's starting hint.

CP-SAT finds a first roster much sooner from a sensible pattern than from
scratch. The greedy fills each day's demand with the least-loaded people who
can legally work the shift (leave, locks, rest, six-in-a-row, weekly rest
days, contract maxima) and prefers people without a request against it. It
may leave demand unmet; the hint need not be feasible.
"""

from __future__ import annotations

from collections.abc import Callable

from solver.check import OFF, covering, max_consecutive
from solver.problem import RequestKind, RosterProblem


def demand_per_shift(p: RosterProblem, *, with_teams: bool = True) -> list[list[int]]:
    """Headcount to aim for per (day, shift): target or minimum, at least 2 if never alone."""
    need = [[0] * len(p.shift_types) for _ in p.dates]
    for dem in p.shift_demand:
        if dem.team is not None and not with_teams:
            continue
        d, k = p.day_index[dem.date], p.shift_index[dem.shift_id]
        need[d][k] += max(dem.minimum, dem.target)
    for iv in p.interval_demand:
        d = p.day_index[iv.date]
        cov = [k for off, k in covering(p, iv.start_minute, iv.end_minute) if off == 0]
        if cov:
            share = -(-max(iv.minimum, iv.target) // len(cov))
            for k in cov:
                need[d][k] = max(need[d][k], share)
    for k, s in enumerate(p.shift_types):
        if s.never_alone and p.rules.never_alone.enabled:
            for row in need:
                if row[k] == 1:
                    row[k] = 2
    meeting = p.calendar.meeting
    if meeting is not None and p.rules.meeting.enabled:
        cov = [k for off, k in covering(p, meeting.start_minute, meeting.end_minute) if off == 0]
        for d, day in enumerate(p.dates):
            if (
                cov
                and day.weekday() == meeting.weekday
                and not p.calendar.is_holiday(day)
                and sum(need[d][k] for k in cov) < meeting.min_on_duty
            ):
                need[d][cov[0]] = meeting.min_on_duty
    return need


def demand_rows(p: RosterProblem) -> list[list[tuple[int, str | None, int]]]:
    """Per day: (shift, team or None, headcount) to fill, team rows first, then totals."""
    rows: list[list[tuple[int, str | None, int]]] = [[] for _ in p.dates]
    for dem in p.shift_demand:
        if dem.team is not None:
            d, k = p.day_index[dem.date], p.shift_index[dem.shift_id]
            rows[d].append((k, dem.team, max(dem.minimum, dem.target)))
    for d in range(p.num_days):
        rows[d].sort(key=lambda r: -r[2])
    totals = demand_per_shift(p, with_teams=False)
    for d, row in enumerate(totals):
        team_sum = [0] * len(p.shift_types)
        for k, _team, n in rows[d]:
            team_sum[k] += n
        for k, n in enumerate(row):
            n = max(n, team_sum[k] if n else 0)
            if n == 1 and team_sum[k] == 0 and p.shift_types[k].never_alone:
                n = 2
            if n > 0:
                rows[d].append((k, None, n))
    return rows


def greedy_grid(p: RosterProblem) -> list[list[int]]:
    """Build a roster day by day; see the module docstring."""
    H, E = p.num_days, len(p.staff)
    grid = [[OFF] * H for _ in range(E)]
    for (e, d), k in p.locked.items():
        if k is not None:
            grid[e][d] = k
    against: set[tuple[int, int, int]] = set()  # (e, d, k) with k=-1 for day off
    wants: set[tuple[int, int, int]] = set()
    for r in p.requests:
        e, d = p.staff_index[r.staff_id], p.day_index[r.date]
        if r.kind is RequestKind.DAY_OFF:
            against.add((e, d, -1))
        elif r.kind is RequestKind.SHIFT_OFF:
            assert r.shift_id is not None
            against.add((e, d, p.shift_index[r.shift_id]))
        else:
            assert r.shift_id is not None
            wants.add((e, d, p.shift_index[r.shift_id]))
    allowed = [set(p.allowed_shifts(e)) for e in range(E)]
    week_of: dict[int, tuple[list[int], list[int]]] = {}
    for days, hist_offs in p.week_groups:
        for d in days:
            week_of[d] = (days, hist_offs)
    worked = [0] * E
    per_type = [[0] * len(p.shift_types) for _ in range(E)]
    hard_rest = p.rules.min_rest.enabled or bool(p.rules.forbidden_successions)

    def run_length(e: int, d: int) -> int:
        n, j = 0, d - 1
        hist = p.history_by_staff.get(e, {})
        while True:
            v = grid[e][j] if j >= 0 else (hist.get(j) if j in hist else None)
            if v is None or v == OFF:
                return n
            n += 1
            j -= 1

    def single_rest(e: int, d: int) -> bool:
        """Working on d would leave d-1 as a single rest day between two working days."""
        if d < 2 or grid[e][d - 1] != OFF:
            return False
        return grid[e][d - 2] != OFF

    def can(e: int, d: int, k: int) -> bool:
        person = p.staff[e]
        if (
            grid[e][d] != OFF
            or (e, d) in p.unavailable
            or (e, d) in p.locked
            or k not in allowed[e]
        ):
            return False
        prev = grid[e][d - 1] if d > 0 else p.history_by_staff.get(e, {}).get(-1)
        if hard_rest and prev is not None and prev != OFF and (prev, k) in p.forbidden_pairs[d - 1]:
            return False
        if d + 1 < H and grid[e][d + 1] != OFF and (k, grid[e][d + 1]) in p.forbidden_pairs[d]:
            return False
        if p.rules.max_consecutive_days.enabled:
            ahead = 0
            while d + ahead + 1 < H and grid[e][d + ahead + 1] != OFF:
                ahead += 1
            if run_length(e, d) + 1 + ahead > max_consecutive(p, e):
                return False
        ct = person.contract
        if ct.max_days is not None and worked[e] >= ct.max_days:
            return False
        limit = ct.max_shifts.get(p.shift_types[k].id)
        if limit is not None and per_type[e][k] >= limit:
            return False
        if ct.max_minutes is not None:
            used = sum(p.shift_types[kk].minutes for kk in grid[e] if kk != OFF)
            if used + p.shift_types[k].minutes > ct.max_minutes:
                return False
        if p.rules.weekly_rest.enabled:
            days, hist_offs = week_of[d]
            need_rest, known = p.weekly_requirement(e, days, hist_offs)
            hist = p.history_by_staff.get(e, {})
            rests = sum(1 for dd in p.rest_days_of(e, days) if dd != d and grid[e][dd] == OFF)
            rests += sum(1 for off in known if hist[off] is None)
            if rests < need_rest:
                return False
        return True

    rows = demand_rows(p)
    for d in range(H):
        for k, team, count in rows[d]:
            members = [e for e in range(E) if team is None or p.staff[e].team == team]
            have = sum(1 for e in members if grid[e][d] == k)
            missing = count - have
            if missing <= 0:
                continue
            cands = [e for e in members if can(e, d, k)]
            cands.sort(
                key=lambda e: (
                    (e, d, -1) in against or (e, d, k) in against,
                    single_rest(e, d),
                    (e, d, k) not in wants,
                    per_type[e][k] if p.shift_types[k].late else 0,
                    worked[e] - (2 if d > 0 and grid[e][d - 1] != OFF else 0),
                    e,
                )
            )
            if p.rules.trainee_not_alone.enabled and not any(
                grid[e][d] == k and not p.staff[e].trainee_on(p.dates[d]) for e in range(E)
            ):
                cands.sort(key=lambda e: p.staff[e].trainee_on(p.dates[d]))
            for e in cands[:missing]:
                grid[e][d] = k
                worked[e] += 1
                per_type[e][k] += 1
    _top_up(p, grid, can, worked, per_type, demand_per_shift(p))
    return grid


def _top_up(
    p: RosterProblem,
    grid: list[list[int]],
    can: Callable[[int, int, int], bool],
    worked: list[int],
    per_type: list[list[int]],
    need: list[list[int]],
) -> None:
    """Give people below their contract minimum days on the least-covered shifts."""
    for e, person in enumerate(p.staff):
        ct = person.contract
        minimum = ct.min_days or 0
        if ct.min_minutes:
            longest = max(s.minutes for s in p.shift_types)
            minimum = max(minimum, -(-ct.min_minutes // longest))
        while worked[e] < minimum:
            best: tuple[int, int, int] | None = None
            for d in range(p.num_days):
                for k in range(len(p.shift_types)):
                    if not can(e, d, k):
                        continue
                    slack = sum(1 for q in range(len(p.staff)) if grid[q][d] == k) - need[d][k]
                    if best is None or slack < best[0]:
                        best = (slack, d, k)
            if best is None:
                break
            _, d, k = best
            grid[e][d] = k
            worked[e] += 1
            per_type[e][k] += 1
