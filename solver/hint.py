"""A greedy roster used as CP-SAT's starting hint.

CP-SAT finds a first roster much sooner from a sensible pattern than from
scratch. The greedy fills each day's demand with the least-loaded people who
can legally work the shift (leave, locks, rest, six-in-a-row, weekly rest
days, contract maxima) and prefers people without a request against it. It
may leave demand unmet; the hint need not be feasible.
"""

from __future__ import annotations

from solver.check import OFF, covering, max_consecutive
from solver.problem import RequestKind, RosterProblem


def demand_per_shift(p: RosterProblem) -> list[list[int]]:
    """Headcount to aim for per (day, shift): target or minimum, at least 2 if never alone."""
    need = [[0] * len(p.shift_types) for _ in p.dates]
    for dem in p.shift_demand:
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


def greedy_grid(p: RosterProblem) -> list[list[int]]:
    """Build a roster day by day; see the module docstring."""
    H, E = p.num_days, len(p.staff)
    grid = [[OFF] * H for _ in range(E)]
    for (e, d), k in p.locked.items():
        if k is not None:
            grid[e][d] = k
    need = demand_per_shift(p)
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
    week_of: dict[int, tuple[list[int], int]] = {}
    for days, hist in p.week_groups:
        for d in days:
            week_of[d] = (days, len(hist))
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
        if p.rules.max_consecutive_days.enabled and run_length(e, d) >= max_consecutive(p, e):
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
            days, _ = week_of[d]
            need_rest = (p.rules.rest_days_per_week * len(days)) // 7
            rests = sum(1 for dd in days if dd != d and grid[e][dd] == OFF and dd < d)
            left = sum(1 for dd in days if dd > d)
            if rests + left < need_rest:
                return False
        return True

    for d in range(H):
        order = sorted(range(len(p.shift_types)), key=lambda k: -need[d][k])
        for k in order:
            have = sum(1 for e in range(E) if grid[e][d] == k)
            missing = need[d][k] - have
            if missing <= 0:
                continue
            cands = [e for e in range(E) if can(e, d, k)]
            cands.sort(
                key=lambda e: (
                    (e, d, -1) in against or (e, d, k) in against,
                    (e, d, k) not in wants,
                    worked[e],
                    e,
                )
            )
            if p.rules.trainee_not_alone.enabled and not any(
                grid[e][d] == k and not p.staff[e].trainee for e in range(E)
            ):
                cands.sort(key=lambda e: p.staff[e].trainee)
            for e in cands[:missing]:
                grid[e][d] = k
                worked[e] += 1
                per_type[e][k] += 1
    return grid
