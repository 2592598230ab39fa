"""Rest: minimum rest between shifts, weekly rest days, consecutive days, rest pairs.

All of them look across the month boundary through the previous roster's
tail (``problem.history``): a late shift on the last day of last month forbids
an early shift on the 1st, and working days at the end of last month count
towards the six-in-a-row limit. Unknown history days count as days off. Where the
next month was published first (``problem.following``), they look forward into
it the same way: no late shift on the 31st before its early shift on the 1st.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import timedelta
from typing import Any

from ortools.sat.python import cp_model

from solver.check import OFF, fmt_day, max_consecutive
from solver.variables import ModelContext, PenaltyTerm


def add(ctx: ModelContext) -> list[PenaltyTerm]:
    """Add the four rest rule families for every person."""
    terms: list[PenaltyTerm] = []
    for e in range(len(ctx.problem.staff)):
        own = _min_rest(ctx, e) + _weekly_rest(ctx, e) + _max_consecutive(ctx, e)
        own += _rest_pairs(ctx, e) + _into_next_roster(ctx, e)
        terms += [replace(t, staff=e) for t in own]
    return terms


def _history_guard(ctx: ModelContext, e: int) -> list[Any]:
    p = ctx.problem
    hist = p.history_by_staff.get(e, {})
    parts = []
    for off in sorted(hist)[-7:]:
        k = hist[off]
        what = "off" if k is None else p.shift_types[k].name
        parts.append(f"{fmt_day(p.start + timedelta(days=off))} {what}")
    msg = f"{p.staff[e].name}'s previous roster ends with: " + ", ".join(parts)
    return ctx.guard(("history", e), msg)


def _following_guard(ctx: ModelContext, e: int) -> list[Any]:
    """The next roster's first days as one fact, so an explanation can name them."""
    p = ctx.problem
    nxt = p.following_by_staff.get(e, {})
    parts = []
    for d in sorted(nxt):
        k = nxt[d]
        what = "off" if k is None else p.shift_types[k].name
        parts.append(f"{fmt_day(p.start + timedelta(days=d))} {what}")
    msg = f"{p.staff[e].name}'s next roster starts with: " + ", ".join(parts)
    return ctx.guard(("following", e), msg)


def _min_rest(ctx: ModelContext, e: int) -> list[PenaltyTerm]:
    p, m, v = ctx.problem, ctx.model, ctx.vars
    setting = p.rules.min_rest
    if not (setting.enabled or p.rules.forbidden_successions):
        return []
    name = p.staff[e].name
    rest = f"at least {p.rules.min_rest_minutes / 60:g} h rest between shifts"
    forbidden = ", ".join(
        f"{p.shift_types[p.shift_index[a]].name} then {p.shift_types[p.shift_index[b]].name}"
        for a, b in p.rules.forbidden_successions
    )
    if setting.enabled and forbidden:
        msg = f"{name}: {rest}, and no {forbidden} on the next day"
    elif setting.enabled:
        msg = f"{name}: {rest}"
    else:
        msg = f"{name}: no {forbidden} on the next day"
    terms: list[PenaltyTerm] = []
    prev = p.history_by_staff.get(e, {}).get(-1)
    for d in range(-1, p.num_days - 1):
        pairs = p.forbidden_pairs[d]
        if not pairs:
            continue
        hard = setting.hard or not setting.enabled
        if d >= 0 and hard:
            _forbid_followers(ctx, e, d, pairs, msg)
            continue
        by_first: dict[int, list[int]] = {}
        for a, b in pairs:
            by_first.setdefault(a, []).append(b)
        for a, seconds in by_first.items():
            nxt = [x for b in seconds if (x := v.shift(e, d + 1, b)) is not None]
            if not nxt:
                continue
            if d == -1:
                if prev is None or prev == OFF or prev != a:
                    continue
                if hard:
                    guards = ctx.guard(("min_rest", e), msg) + _history_guard(ctx, e)
                    ct = m.add(sum(nxt) == 0)
                    if guards:
                        ct.only_enforce_if(guards)
                else:
                    terms.append(PenaltyTerm("min_rest", sum(nxt), setting.weight))
                continue
            first = v.shift(e, d, a)
            if first is None:
                continue
            for x in nxt:
                both = m.new_bool_var(f"rest[{e},{d}]")
                m.add_bool_and([first, x]).only_enforce_if(both)
                m.add_bool_or([first.Not(), x.Not()]).only_enforce_if(both.Not())
                terms.append(PenaltyTerm("min_rest", both, setting.weight))
    return terms


def _forbid_followers(
    ctx: ModelContext, e: int, d: int, pairs: frozenset[tuple[int, int]], msg: str
) -> None:
    """No shift on day ``d + 1`` that may not follow the shift worked on day ``d``.

    Shifts with the same forbidden followers share one constraint: a person works at
    most one shift a day, so "some shift of the set, then a follower" is one linear
    row. With 32 shift types (Curtois 24) that is a few rows per person-day instead of
    32, and the rest rules of its model build in 6 s instead of 18.
    """
    m, v = ctx.model, ctx.vars
    for firsts, followers in _follower_groups(pairs):
        nxt = [x for b in followers if (x := v.shift(e, d + 1, b)) is not None]
        now = [x for a in firsts if (x := v.shift(e, d, a)) is not None]
        if not nxt or not now:
            continue
        ct = m.add(cp_model.LinearExpr.sum(now + nxt) <= 1)
        if guards := ctx.guard(("min_rest", e), msg):
            ct.only_enforce_if(guards)


@functools.cache
def _follower_groups(
    pairs: frozenset[tuple[int, int]],
) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """The shifts that share a set of forbidden followers, with that set."""
    followers: dict[int, list[int]] = {}
    for a, b in sorted(pairs):
        followers.setdefault(a, []).append(b)
    groups: dict[tuple[int, ...], list[int]] = {}
    for a, after in followers.items():
        groups.setdefault(tuple(after), []).append(a)
    return tuple((tuple(firsts), after) for after, firsts in groups.items())


def _weekly_rest(ctx: ModelContext, e: int) -> list[PenaltyTerm]:
    p, v = ctx.problem, ctx.vars
    setting = p.rules.weekly_rest
    if not setting.enabled:
        return []
    hist = p.history_by_staff.get(e, {})
    terms: list[PenaltyTerm] = []
    for days, hist_offs in p.week_groups:
        need, known = p.weekly_requirement(e, days, hist_offs)
        nxt = p.following_by_staff.get(e, {})
        already = sum(1 for off in known if hist[off] is None)
        already += sum(1 for d in p.following_in_week(e, days) if nxt[d] is None)
        if need - already <= 0:
            continue
        # Leave taken is off but not rest (Leave.absence): only the other days count.
        rests = sum(v.off[e][d] for d in p.rest_days_of(e, days)) + already
        first = fmt_day(p.dates[days[0]])
        msg = f"{p.staff[e].name}: at least {need} rest days in the week of {first}"
        extra = _history_guard(ctx, e) if known else []
        if p.following_in_week(e, days):
            extra += _following_guard(ctx, e)
        terms += ctx.soft_or_hard(
            setting,
            "weekly_rest",
            rests,
            need,
            need,
            ("weekly_rest", e, days[0]),
            msg,
            extra_guards=extra,
        )
    return terms


def _max_consecutive(ctx: ModelContext, e: int) -> list[PenaltyTerm]:
    p, m, v = ctx.problem, ctx.model, ctx.vars
    setting = p.rules.max_consecutive_days
    if not setting.enabled:
        return []
    k = max_consecutive(p, e)
    hist = p.history_by_staff.get(e, {})
    msg = f"{p.staff[e].name}: at most {k} working days in a row (counting last month)"
    terms: list[PenaltyTerm] = []
    for last in range(p.num_days):
        first = last - k
        hist_days = [off for off in range(first, 0)]
        if any(hist.get(off, OFF) in (None, OFF) for off in hist_days):
            continue  # a known or assumed day off before the horizon breaks the run
        days = list(range(max(0, first), last + 1))
        offs = [v.off[e][d] for d in days]
        if setting.hard:
            guards = ctx.guard(("max_consecutive", e), msg)
            if hist_days:
                guards += _history_guard(ctx, e)
            ct = m.add_bool_or(offs)
            if guards:
                ct.only_enforce_if(guards)
        else:
            run = m.new_bool_var(f"run[{e},{last}]")
            m.add_bool_or([*offs, run])
            for o in offs:
                m.add_implication(run, o.Not())
            terms.append(PenaltyTerm("max_consecutive_days", run, setting.weight))
    return terms


def _into_next_roster(ctx: ModelContext, e: int) -> list[PenaltyTerm]:
    """Minimum rest and days in a row from the horizon's end into the next roster.

    The next roster (``problem.following``) is fixed: a shift on its first day forbids the
    shifts on the horizon's last day that it may not follow, and a run of working days it
    starts with shortens the run the horizon may end with.
    """
    p, m, v = ctx.problem, ctx.model, ctx.vars
    nxt = p.following_by_staff.get(e, {})
    if not nxt:
        return []
    name, last = p.staff[e].name, p.num_days - 1
    terms: list[PenaltyTerm] = []
    first = nxt.get(p.num_days)
    rest = p.rules.min_rest
    if first is not None and (rest.enabled or p.rules.forbidden_successions):
        msg = f"{name}: rest before the next roster's first day"
        for a, b in sorted(p.forbidden_pairs[last]):
            x = v.shift(e, last, a)
            if b != first or x is None:
                continue
            if rest.hard or not rest.enabled:
                ct = m.add(x == 0)
                guards = ctx.guard(("min_rest_next", e), msg) + _following_guard(ctx, e)
                if guards:
                    ct.only_enforce_if(guards)
            else:
                terms.append(PenaltyTerm("min_rest", x, rest.weight))
    setting = p.rules.max_consecutive_days
    run = p.following_run(e)
    if setting.enabled and run:
        k = max_consecutive(p, e)
        hist = p.history_by_staff.get(e, {})
        msg = f"{name}: at most {k} working days in a row (counting next month)"
        for end in range(p.num_days, p.num_days + min(run, k)):
            start = end - k  # the window start..end holds k + 1 days
            if any(hist.get(off, OFF) in (None, OFF) for off in range(start, 0)):
                continue  # a day off before the horizon breaks the run
            offs = [v.off[e][d] for d in range(max(0, start), p.num_days)]
            if setting.hard:
                ct = m.add_bool_or(offs)
                guards = ctx.guard(("max_consecutive_next", e), msg) + _following_guard(ctx, e)
                if guards:
                    ct.only_enforce_if(guards)
            else:
                over = m.new_bool_var(f"run_next[{e},{end}]")
                m.add_bool_or([*offs, over])
                for o in offs:
                    m.add_implication(over, o.Not())
                terms.append(PenaltyTerm("max_consecutive_days", over, setting.weight))
    return terms


def _rest_pairs(ctx: ModelContext, e: int) -> list[PenaltyTerm]:
    p, m, v = ctx.problem, ctx.model, ctx.vars
    setting = p.rules.rest_pairs
    if not setting.enabled or setting.weight == 0:
        return []
    prev = p.history_by_staff.get(e, {}).get(-1, "unknown")
    terms: list[PenaltyTerm] = []
    for d in range(p.num_days - 1):
        if d == 0:
            if prev in (None, "unknown"):
                continue
            before: list[Any] = []
        else:
            before = [v.works(e, d - 1)]
        conds = [*before, v.off[e][d], v.works(e, d + 1)]
        single = m.new_bool_var(f"single[{e},{d}]")
        m.add_bool_or([c.Not() for c in conds] + [single])
        for c in conds:
            m.add_implication(single, c)
        terms.append(PenaltyTerm("rest_pairs", single, setting.weight))
    return terms
