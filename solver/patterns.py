"""A person's work/off pattern by dynamic programming, for rows CP-SAT is slow to find.

Why: on Curtois 22-24 (a year, 50-150 people) a single person's row can take CP-SAT
5-10 s to find, even with the objective removed (bench/RESULTS.md 2m). What makes it
hard is the day-level structure alone: working 232 of 364 days in runs of 2-5 with
rest runs of at least 2, around fixed days off, with at most 26 weekends worked.
Without the weekend limit, or without the minimum rest run, the same row takes 0.2 s.
That structure is a small automaton over days, so a dynamic program over (run state,
weekends used) finds the pattern with the most working days exactly, in a fraction of
a second; dropping days from the ends of runs then brings it down to any smaller count
without breaking a run. CP-SAT only has to choose the shift of each working day.

The pattern honours: days the person cannot work (leave, unavailability) and locked
cells, the maximum run of working days (hard), the contract's minimum runs of working
days and of days off, and the contract's maximum of weekends worked. It follows the
model's edge convention: runs that touch either end of the horizon are exempt from the
minimum runs, and the days before the horizon count as days off. It does not know
rules on shifts (successions, per-type maximums, minutes by shift) or the weekly rest
rule; the caller's CP-SAT solve with the pattern fixed checks those, and a pattern
that breaks one simply yields no row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from solver.check import max_consecutive, weekends
from solver.problem import RosterProblem

_NONE = -(2**62)
"""The value of an unreachable state."""


def pattern_counts(problem: RosterProblem, e: int) -> list[int]:
    """Working-day counts a valid row of person ``e`` may have, nearest the middle first.

    From the contract's day limits and its minute limits divided by the shortest and
    longest shift the person may work. Empty when the person may not work at all.
    """
    lengths = [problem.shift_types[k].minutes for k in problem.allowed_shifts(e)]
    if not lengths:
        return []
    ct = problem.staff[e].contract
    H = problem.num_days
    lo, hi = ct.min_days or 0, H if ct.max_days is None else min(H, ct.max_days)
    short, long = min(lengths), max(lengths)
    if ct.min_minutes:
        lo = max(lo, math.ceil(ct.min_minutes / long))
    if ct.max_minutes is not None:
        hi = min(hi, ct.max_minutes // short)
    if lo > hi:
        return []
    middle = (lo + hi) / 2
    if ct.min_minutes and ct.max_minutes is not None:
        middle = (ct.min_minutes + ct.max_minutes) / 2 / (sum(lengths) / len(lengths))
    return sorted(range(lo, hi + 1), key=lambda c: (abs(c - middle), c))


def work_pattern(
    problem: RosterProblem, e: int, count: int, value: Sequence[int] | None = None
) -> list[bool] | None:
    """Person ``e``'s working days (True) with exactly ``count`` of them, or None.

    :func:`most_days`, then :func:`drop_to` ``count``: None when the person's history
    reaches into the horizon (not modelled here), when no pattern has ``count`` days or
    more, or when ``count`` cannot be reached by dropping days.
    """
    best = most_days(problem, e, value)
    return None if best is None else drop_to(problem, e, best, count, value)


def most_days(
    problem: RosterProblem, e: int, value: Sequence[int] | None = None
) -> list[bool] | None:
    """The valid pattern with the most working days; among those, the most ``value``.

    ``value`` is per day and non-negative. None when no pattern is valid or when the
    person's history reaches into the horizon (not modelled here).
    """
    if problem.history_by_staff.get(e):
        return None
    return _most_days(problem, e, _gain(problem, value))


def drop_to(
    problem: RosterProblem,
    e: int,
    pattern: list[bool],
    count: int,
    value: Sequence[int] | None = None,
) -> list[bool] | None:
    """``pattern`` cut down to ``count`` working days, the days of least ``value`` first.

    None when the pattern has fewer days, or when ``count`` cannot be reached by
    dropping days without breaking a run.
    """
    if sum(pattern) < count:
        return None
    return _drop_to(problem, e, pattern, count, _gain(problem, value))


def _gain(problem: RosterProblem, value: Sequence[int] | None) -> list[int]:
    return [0] * problem.num_days if value is None else [max(0, int(v)) for v in value]


def _rules(problem: RosterProblem, e: int) -> tuple[int, int, int | None]:
    """Minimum working run, minimum run of days off, maximum working run (None: none)."""
    ct = problem.staff[e].contract
    on = problem.rules.contract.enabled
    least = (ct.min_consecutive_days or 1) if on else 1
    rest = (ct.min_consecutive_days_off or 1) if on else 1
    setting = problem.rules.max_consecutive_days
    most = max_consecutive(problem, e) if setting.enabled and setting.hard else None
    return max(1, least), max(1, rest), most


def _states(least: int, rest: int, most: int | None) -> list[tuple[str, int, bool]]:
    """The run states: ("start"), ("work", length, exempt) and ("off", length, exempt).

    Lengths saturate where no rule tells them apart; ``exempt`` marks a run that began
    on the first day (exempt from the minimum runs).
    """
    cap = most if most is not None else least
    out: list[tuple[str, int, bool]] = [("start", 0, True)]
    for ex in (True, False):
        out += [("work", n, ex) for n in range(1, cap + 1)]
        out += [("off", n, ex) for n in range(1, rest + 1)]
    return out


def _step(
    state: tuple[str, int, bool], work: bool, least: int, rest: int, most: int | None
) -> tuple[str, int, bool] | None:
    """The run state after one more day, or None when a run rule forbids that day."""
    kind, n, ex = state
    cap = most if most is not None else least
    if kind == "start":
        return ("work", 1, True) if work else ("off", 1, True)
    if kind == "work":
        if work:
            if most is not None and n + 1 > most:
                return None
            return ("work", min(n + 1, cap), ex)
        return ("off", 1, False) if ex or n >= least else None
    if work:
        return ("work", 1, False) if ex or n >= rest else None
    return ("off", min(n + 1, rest), ex)


def _most_days(problem: RosterProblem, e: int, gain: list[int]) -> list[bool] | None:
    """The valid pattern with the most working days (ties: most gain), or None."""
    H = problem.num_days
    least, rest, most = _rules(problem, e)
    states = _states(least, rest, most)
    index = {s: i for i, s in enumerate(states)}
    moves: list[tuple[int, bool, int]] = []
    for i, s in enumerate(states):
        for work in (False, True):
            nxt = _step(s, work, least, rest, most)
            if nxt is not None:
                moves.append((i, work, index[nxt]))

    groups = weekends(problem)
    limit = problem.staff[e].contract.max_weekends
    if not problem.rules.contract.enabled or limit is None or limit >= len(groups):
        limit = None
    group_of: dict[int, tuple[int, bool]] = {}
    for g, days in enumerate(groups):
        for j, d in enumerate(sorted(days)):
            group_of[d] = (g, j == 0)
    W = 1 if limit is None else limit + 1

    can_work = [(e, d) not in problem.unavailable for d in range(H)]
    can_rest = [True] * H
    for d in range(H):
        locked = problem.locked.get((e, d), -1)
        if locked is None:
            can_work[d] = False
        elif locked != -1:
            can_rest[d] = False
    if not problem.allowed_shifts(e):
        can_work = [False] * H
    scale = sum(gain) + 1

    # value[state, counted, weekends used]; counted: this weekend already has a worked day.
    value = np.full((len(states), 2, W), _NONE, dtype=np.int64)
    value[index[("start", 0, True)], 0, 0] = 0
    back = np.zeros((H, len(states), 2, W), dtype=np.int32)
    for d in range(H):
        weekend = group_of.get(d)
        new = np.full_like(value, _NONE)
        alive: np.ndarray = np.any(value > _NONE // 2, axis=2)
        for i, work, j in moves:
            if not (can_work[d] if work else can_rest[d]):
                continue
            for counted in (0, 1):
                if not alive[i, counted]:
                    continue
                src = value[i, counted]
                if weekend is None:
                    out, adds = 0, False
                else:
                    seen = counted and not weekend[1]  # a new weekend starts uncounted
                    out, adds = int(work or seen), work and not seen and limit is not None
                got = src + (scale + gain[d] if work else 0)
                if adds:
                    got = np.concatenate(([_NONE], got[:-1]))
                target = new[j, out]
                better = got > target
                if better.any():
                    target[better] = got[better]
                    back[d, j, out][better] = (i * 2 + counted) * 2 + int(work)
        new[new < _NONE // 2] = _NONE
        value = new

    flat = int(np.argmax(value))
    if value.flat[flat] <= _NONE // 2:
        return None
    last = np.unravel_index(flat, value.shape)
    state, counted, used = (int(x) for x in last)
    pattern = [False] * H
    for d in range(H - 1, -1, -1):
        code = int(back[d, state, counted, used])
        work = bool(code & 1)
        state, counted = code >> 2, (code >> 1) & 1
        weekend = group_of.get(d)
        seen = weekend is not None and counted and not weekend[1]
        if work and weekend is not None and not seen and limit is not None:
            used -= 1
        pattern[d] = work
    return pattern


def _drop_to(
    problem: RosterProblem, e: int, pattern: list[bool], count: int, gain: list[int]
) -> list[bool] | None:
    """Drop working days of least gain from the ends of runs until ``count`` remain.

    A day may go from either end of a run as long as what remains of the run is still
    valid (long enough, or touching the edge of the horizon); a whole run may go too.
    Days off only get longer, and weekends worked only fewer, so nothing else breaks.
    """
    H = problem.num_days
    least = _rules(problem, e)[0]
    locked = {d for (p, d), k in problem.locked.items() if p == e and k is not None}
    row = list(pattern)
    while sum(row) > count:
        excess = sum(row) - count
        spans = runs(row)
        options: list[tuple[int, list[int]]] = []
        for a, b in spans:
            length = b - a + 1
            for day, rest_a, rest_b in ((a, a + 1, b), (b, a, b - 1)):
                if day in locked or length == 1:
                    continue
                touches = rest_a == 0 or rest_b == H - 1
                if length - 1 >= least or touches:
                    options.append((gain[day], [day]))
            days = list(range(a, b + 1))
            if length <= excess and not locked.intersection(days):
                options.append((sum(gain[d] for d in days), days))
        if not options:
            return None
        # Single days first (cheapest), whole runs only when no single day can go.
        singles = [o for o in options if len(o[1]) == 1]
        _, days = min(singles or options, key=lambda o: (o[0] / len(o[1]), o[1][0]))
        for d in days:
            row[d] = False
    return row


def runs(row: list[bool]) -> list[tuple[int, int]]:
    """First and last day of each run of working days."""
    out: list[tuple[int, int]] = []
    start: int | None = None
    for d, work in enumerate([*row, False]):
        if work and start is None:
            start = d
        elif not work and start is not None:
            out.append((start, d - 1))
            start = None
    return out
