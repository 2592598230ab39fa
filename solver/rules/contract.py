"""Contract limits: working days, minutes, shifts per type, sequences and weekends.

Days, minutes and shifts per type follow the ``contract`` rule setting (hard by
default; soft costs per day, per started hour, per shift). Minimum run lengths
of work and of days off, and the weekend limit, come from the Curtois & Qu
benchmark and are always hard; runs touching the horizon edges are exempt.
"""

from __future__ import annotations

from dataclasses import replace

from ortools.sat.python import cp_model

from solver.check import weekends
from solver.variables import ModelContext, PenaltyTerm


def add(ctx: ModelContext) -> list[PenaltyTerm]:
    """Add every contract limit of every person."""
    if not ctx.problem.rules.contract.enabled:
        return []
    terms: list[PenaltyTerm] = []
    for e in range(len(ctx.problem.staff)):
        terms += [replace(t, staff=e) for t in _person(ctx, e)]
    return terms


def _person(ctx: ModelContext, e: int) -> list[PenaltyTerm]:
    """One person's contract limits."""
    p, m, v = ctx.problem, ctx.model, ctx.vars
    setting = p.rules.contract
    H = p.num_days
    terms: list[PenaltyTerm] = []
    person = p.staff[e]
    ct, name = person.contract, person.name
    # LinearExpr.sum/weighted_sum, not sum(): a year of 32 shift types is 11,648 terms a
    # person, and Python's sum() builds the expression one term at a time.
    days = H - cp_model.LinearExpr.sum(v.off[e])
    cells = [
        (x, s.minutes)
        for d in range(H)
        for k, s in enumerate(p.shift_types)
        if (x := v.shift(e, d, k)) is not None
    ]
    minutes = cp_model.LinearExpr.weighted_sum([x for x, _ in cells], [w for _, w in cells])
    max_minutes = H * max(s.minutes for s in p.shift_types)
    if ct.min_days is not None and ct.min_days > 0:
        terms += ctx.soft_or_hard(
            setting,
            "contract",
            days,
            ct.min_days,
            ct.min_days,
            ("contract_min_days", e),
            f"{name}: contract minimum {ct.min_days} working days",
        )
    if ct.max_days is not None and ct.max_days < H:
        terms += ctx.soft_or_hard(
            setting,
            "contract",
            days,
            ct.max_days,
            H,
            ("contract_max_days", e),
            f"{name}: contract maximum {ct.max_days} working days",
            upper=True,
        )
    for bound, upper in ((ct.min_minutes, False), (ct.max_minutes, True)):
        if bound is None or (not upper and bound == 0) or (upper and bound >= max_minutes):
            continue
        what = "maximum" if upper else "minimum"
        msg = f"{name}: contract {what} {bound} working minutes"
        key = ("contract_max_minutes" if upper else "contract_min_minutes", e)
        if setting.hard:
            terms += ctx.soft_or_hard(setting, "contract", minutes, bound, 0, key, msg, upper=upper)
        else:
            dev = ctx.shortfall(
                bound if upper else minutes,
                minutes if upper else bound,
                max_minutes,
                f"dev{key}",
            )
            hours = m.new_int_var(0, max_minutes // 60 + 1, f"hours{key}")
            m.add(60 * hours >= dev)
            m.add(60 * hours <= dev + 59)
            terms.append(PenaltyTerm("contract", hours, setting.weight))
    for k, s in enumerate(p.shift_types):
        limit = ct.max_shifts.get(s.id)
        if limit is None or limit == 0 or limit >= H:
            continue
        n = cp_model.LinearExpr.sum([x for d in range(H) if (x := v.shift(e, d, k)) is not None])
        terms += ctx.soft_or_hard(
            setting,
            "contract",
            n,
            limit,
            H,
            ("contract_max_shift", e, k),
            f"{name}: contract maximum {limit} {s.name} shifts",
            upper=True,
        )
    if ct.min_consecutive_days is not None and ct.min_consecutive_days > 1:
        need = ct.min_consecutive_days
        guards = ctx.guard(
            ("contract_min_run", e), f"{name}: at least {need} working days in a row"
        )
        for d in range(1, H):
            for j in range(1, min(need - 1, H - 1 - d) + 1):
                c = m.add_bool_or([v.works(e, d - 1), v.off[e][d], v.works(e, d + j)])
                if guards:
                    c.only_enforce_if(guards)
    if ct.min_consecutive_days_off is not None and ct.min_consecutive_days_off > 1:
        need = ct.min_consecutive_days_off
        guards = ctx.guard(("contract_min_off", e), f"{name}: at least {need} days off in a row")
        for d in range(1, H):
            for j in range(1, min(need - 1, H - 1 - d) + 1):
                c = m.add_bool_or([v.off[e][d - 1], v.works(e, d), v.off[e][d + j]])
                if guards:
                    c.only_enforce_if(guards)
    if ct.max_weekends is not None:
        wk = weekends(p)
        if ct.max_weekends < len(wk):
            flags = []
            for i, wdays in enumerate(wk):
                w = m.new_bool_var(f"weekend[{e},{i}]")
                for d in wdays:
                    m.add_implication(v.works(e, d), w)
                flags.append(w)
            c = m.add(sum(flags) <= ct.max_weekends)
            # Implied by the flags, but core search does not see it through the implications:
            # at most the days of the largest allowed weekends are worked. With it, a search
            # on Curtois 5's uncovered shifts proves the 7 its weekends leave at once (bound
            # 0 for as long without), and finds its last coverable shift far more often
            # (bench/RESULTS.md 2j).
            most = sum(sorted((len(wdays) for wdays in wk), reverse=True)[: ct.max_weekends])
            weekend_days = m.add(sum(v.works(e, d) for wdays in wk for d in wdays) <= most)
            if guards := ctx.guard(
                ("contract_weekends", e), f"{name}: at most {ct.max_weekends} weekends worked"
            ):
                c.only_enforce_if(guards)
                weekend_days.only_enforce_if(guards)
    return terms
