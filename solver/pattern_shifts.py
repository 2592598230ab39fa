"""The shift of each working day of a pattern, by dynamic programming over days.

Why: on Curtois 24 (a year, 150 people, 32 shift types) merely building one person's
CP-SAT model takes 0.4 s, and finding its first row with the working days fixed another
0.4 s, so 150 rows do not fit in a minute (bench/RESULTS.md 2m). With the working days
of a :mod:`solver.patterns` pattern fixed, what is left is a chain: each working day
takes one shift, a shift may not follow another on the next day (forbidden successions
and minimum rest), and each shift has its own cost (the residual cover the row fills,
the person's shift requests). A shortest path over (day, shift) finds the cheapest
chain in milliseconds. The two rules that span the whole row, the contract's maximum
of each shift type and its window of working minutes, are brought in by raising the
price of an overused type by just enough for its cheapest-to-move days to leave, then
by moving single days: off a type still over its maximum, to a longer or shorter shift
until the minutes fit, and last to any cheaper shift that keeps every rule.

On Curtois 22 this gives rows as good as CP-SAT's with the same patterns (all 50 rows
cost 97,875 against 101,988) in 1.6 s instead of 14 s.

It is a heuristic: the caller checks the row with :func:`solver.check.check_grid` and
falls back to CP-SAT when the row breaks a rule this module does not know.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from solver.check import OFF
from solver.patterns import runs
from solver.problem import RosterProblem

ROUNDS = 8
"""Price rounds for the per-type maximums; single-day moves settle what is left over."""

BISECTIONS = 10
"""Rounds of the price per minute that brings a row of mixed shift lengths near its window."""

_INF = float("inf")


def pattern_shifts(
    sub: RosterProblem, pattern: Sequence[bool], cover: np.ndarray | None = None
) -> list[int] | None:
    """The cheapest row of ``sub``'s one person that works exactly the ``pattern`` days.

    ``cover`` is what each (day, shift) adds to the demand's cost, when the caller has
    it without ``sub`` carrying the demand (:func:`cover_costs` of ``sub`` otherwise).
    None when no shift can be placed on some working day, when the successions leave no
    chain, or when the per-type maximums or the minute window cannot be met.
    """
    H, K = sub.num_days, len(sub.shift_types)
    cost = (cover_costs(sub) if cover is None else cover) + _request_costs(sub)
    allowed = np.full((H, K), False)
    for k in sub.allowed_shifts(0):
        allowed[:, k] = True
    for (e, d), lock in sub.locked.items():
        if e == 0 and lock is not None:
            allowed[d, :] = False
            allowed[d, lock] = True
    forbidden = _forbidden(sub)
    minutes = np.array([s.minutes for s in sub.shift_types], dtype=np.int64)
    contract = sub.staff[0].contract
    on = sub.rules.contract.enabled
    caps = np.array(
        [contract.max_shifts.get(s.id, H) if on else H for s in sub.shift_types], dtype=np.int64
    )
    lo = (contract.min_minutes or 0) if on else 0
    hi = contract.max_minutes if on and contract.max_minutes is not None else 10**12
    fit = _Fit(pattern, allowed, forbidden, minutes, lo, hi)
    # Ties are common (every over-covered shift costs the same) and would move all tied
    # days at once, so the price steps see the days in a fixed, slightly jittered order.
    jitter = np.random.default_rng(0).random((H, K)) * 1e-3
    price = np.zeros(K)
    row = fit.chain(cost + jitter)
    for _ in range(ROUNDS):
        if row is None:
            return None
        over = np.bincount(row[row != OFF], minlength=K) - caps
        if (over <= 0).all():
            break
        price += _raise(row, cost + jitter + price, allowed, over)
        row = fit.chain(cost + jitter + price)
    if row is None:
        return None
    fitted = fit.repair(row, cost, caps)
    return None if fitted is None else [int(k) for k in fitted]


def _raise(row: np.ndarray, cost: np.ndarray, allowed: np.ndarray, over: np.ndarray) -> np.ndarray:
    """How much dearer each overused type must get for just enough of its days to leave.

    A day leaves type k once k costs more than the day's next best shift: the price
    rises by the ``over``-th smallest of those regrets (successions ignored here; the
    next round's chain sees them), so the days that lose least are the ones to go.
    """
    rise = np.zeros(len(over))
    for k in np.flatnonzero(over > 0):
        days = np.flatnonzero(row == k)
        other = np.where(allowed[days], cost[days], _INF)
        other[:, k] = _INF
        regret = np.sort(other.min(axis=1) - cost[days, k])
        step = regret[min(int(over[k]), len(regret)) - 1]
        rise[k] = (step if np.isfinite(step) else float(np.abs(cost).max(initial=1.0))) + 1e-9
    return rise


def cover_costs(sub: RosterProblem) -> np.ndarray:
    """Per (day, shift), what one more person on it adds to the shift demand's cost."""
    cost = np.zeros((sub.num_days, len(sub.shift_types)))
    setting = sub.rules.demand_target
    if setting.enabled:
        for dem in sub.shift_demand:
            d, k = sub.day_index[dem.date], sub.shift_index[dem.shift_id]
            gain = dem.under_weight if dem.target > 0 else -dem.over_weight
            cost[d, k] -= gain * setting.weight
    return cost


def _request_costs(sub: RosterProblem) -> np.ndarray:
    """Per (day, shift), what working it costs in the person's shift requests."""
    cost = np.zeros((sub.num_days, len(sub.shift_types)))
    setting = sub.rules.requests
    if setting.enabled:
        for r in sub.requests:
            d = sub.day_index[r.date]
            w = r.weight * setting.weight
            if r.kind == "shift_on" and r.shift_id is not None:
                cost[d, :] += w
                cost[d, sub.shift_index[r.shift_id]] -= w
            elif r.kind == "shift_off" and r.shift_id is not None:
                cost[d, sub.shift_index[r.shift_id]] += w
    return cost


def _forbidden(sub: RosterProblem) -> np.ndarray:
    """(day d, shift on d, shift on d + 1): True where the succession is ruled out."""
    K = len(sub.shift_types)
    out = np.full((max(0, sub.num_days - 1), K, K), False)
    if sub.rules.min_rest.hard or not sub.rules.min_rest.enabled:
        masks: dict[frozenset[tuple[int, int]], np.ndarray] = {}
        for d in range(sub.num_days - 1):
            pairs = sub.forbidden_pairs[d]
            if pairs not in masks:
                mask = np.full((K, K), False)
                for a, b in pairs:
                    mask[a, b] = True
                masks[pairs] = mask
            out[d] = masks[pairs]
    return out


class _Fit:
    """One pattern's chains: the cheapest one, and single-day swaps into the minute window."""

    def __init__(
        self,
        pattern: Sequence[bool],
        allowed: np.ndarray,
        forbidden: np.ndarray,
        minutes: np.ndarray,
        lo: int,
        hi: int,
    ) -> None:
        self.work = np.array(pattern, dtype=bool)
        self.allowed, self.forbidden, self.minutes = allowed, forbidden, minutes
        self.lo, self.hi = lo, hi
        self.blocks = runs(list(pattern))
        self.blocked = np.where(forbidden, _INF, 0.0)

    def chain(self, cost: np.ndarray) -> np.ndarray | None:
        """Cheapest shift per working day, near the minute window.

        A day off breaks every succession, so each run of working days is its own
        shortest path. With shifts of several lengths, a price per minute is bisected
        to bring the total near the window (swaps then close the rest).
        """
        row = self._chain(cost)
        lengths = sorted(set(self.minutes.tolist()))
        if row is None or len(lengths) == 1:
            return row
        total = int(self.minutes[row[self.work]].sum())
        if self.lo <= total <= self.hi:
            return row
        up = total < self.lo
        step = min(b - a for a, b in itertools.pairwise(lengths))
        low, high = 0.0, (2 * float(np.abs(cost).max(initial=1.0)) + 1) / step
        for _ in range(BISECTIONS):
            mid = (low + high) / 2
            trial = self._chain(cost - mid * self.minutes if up else cost + mid * self.minutes)
            if trial is None:
                return None
            total = int(self.minutes[trial[self.work]].sum())
            if self.lo <= total <= self.hi:
                return trial
            if (total < self.lo) == up:
                low = mid
            else:
                high, row = mid, trial
        return row

    def _chain(self, cost: np.ndarray) -> np.ndarray | None:
        row = np.full(len(self.work), OFF, dtype=np.int64)
        here = np.where(self.allowed, cost, _INF)
        for first, last in self.blocks:
            value = here[first]
            back = []
            for d in range(first + 1, last + 1):
                step = value[:, None] + self.blocked[d - 1]
                back.append(step.argmin(axis=0))
                value = here[d] + step.min(axis=0)
            k = int(value.argmin())
            if not np.isfinite(value[k]):
                return None
            row[last] = k
            for i, b in enumerate(reversed(back)):
                k = int(b[k])
                row[last - 1 - i] = k
        return row

    def repair(self, row: np.ndarray, cost: np.ndarray, caps: np.ndarray) -> np.ndarray | None:
        """Single days moved to other shifts: within the maximums, into the window, cheaper.

        First, while a type is over its maximum, the day of it that loses least moves to
        a type with room. Then a longer (or shorter) shift, cheapest per minute first,
        until the minutes are in the window. None if either finds no allowed move. Last,
        while some day has a cheaper shift that keeps every rule here, the cheapest such
        move (this gives back what the prices took from days that could have kept a type).
        """
        row = row.copy()
        total = int(self.minutes[row[self.work]].sum())
        used = np.bincount(row[self.work], minlength=len(caps))
        days = np.arange(len(row))
        while True:
            capping = bool((used > caps).any())
            fitting = not capping and not self.lo <= total <= self.hi
            cur = np.where(self.work, row, 0)
            delta = self.minutes[None, :] - self.minutes[cur][:, None]
            gain = cost - cost[days, cur][:, None]
            ok = self.allowed & self.work[:, None] & (used < caps)[None, :]
            score = gain
            if capping:
                ok &= (used > caps)[cur][:, None]
            else:
                ok &= (total + delta >= self.lo) | (delta > 0)
                ok &= (total + delta <= self.hi) | (delta < 0)
                if fitting:
                    ok &= delta > 0 if total < self.lo else delta < 0
                    score = gain / np.maximum(np.abs(delta), 1)
                else:
                    ok &= gain < 0
            if len(row) > 1:
                ok[1:] &= ~(self.work[:-1, None] & self.forbidden[days[:-1], cur[:-1], :])
                ok[:-1] &= ~(self.work[1:, None] & self.forbidden[days[:-1], :, cur[1:]])
            if not ok.any():
                return None if capping or fitting else row
            d, j = np.unravel_index(int(np.argmin(np.where(ok, score, _INF))), ok.shape)
            k = int(row[d])
            total += int(self.minutes[j] - self.minutes[k])
            used[k] -= 1
            used[j] += 1
            row[d] = j
