"""Fairness: spread late shifts, weekend days and holiday days over comparable staff.

Each group (same contract and flags, or an explicit ``fairness_group``) gets the
exact max and min of the members' counts and a spread variable ``max - min``
penalised linearly: cheap, and what the report shows.

A spread gives local search no gradient: moving one person from the top count
down changes nothing until everyone at the top has moved. The first phase of a
solve (``solver.solve``) therefore charges each person's distance from a band
(``ModelContext.fairness_levels``) instead; the roster it finds is then only a
start for the real objective.
"""

from __future__ import annotations

from typing import Any

from solver.check import FAIRNESS_LABEL, fairness_applies
from solver.problem import RosterProblem, RuleSetting
from solver.variables import ModelContext, PenaltyTerm, RosterVariables


def count_expr(p: RosterProblem, v: RosterVariables, rule: str, e: int) -> Any:
    """The linear count that a fairness rule balances for person ``e``."""
    lits: list[Any] = []
    for d, day in enumerate(p.dates):
        if rule == "fairness_late":
            lits.extend(
                x
                for k, s in enumerate(p.shift_types)
                if s.late and (x := v.shift(e, d, k)) is not None
            )
        elif (rule == "fairness_weekend" and p.calendar.is_weekend(day)) or (
            rule == "fairness_holiday" and p.calendar.is_holiday(day)
        ):
            lits.append(v.works(e, d))
    return sum(lits)


def add(ctx: ModelContext) -> list[PenaltyTerm]:
    """Add max/min variables per group and rule and penalise their difference."""
    p, m, v = ctx.problem, ctx.model, ctx.vars
    terms: list[PenaltyTerm] = []
    for rule in FAIRNESS_LABEL:
        setting: RuleSetting = getattr(p.rules, rule)
        if not setting.enabled or setting.weight == 0 or not fairness_applies(p, rule):
            continue
        for gi, group in enumerate(p.fairness_groups):
            counts = [count_expr(p, v, rule, e) for e in group]
            band = (ctx.fairness_levels or {}).get((rule, gi))
            if band is not None:
                lo_band, hi_band = band
                for e, count in zip(group, counts, strict=True):
                    name = f"{rule}[{p.staff[e].id}]"
                    above = ctx.shortfall(hi_band, count, p.num_days, f"above_{name}")
                    below = ctx.shortfall(count, lo_band, p.num_days, f"below_{name}")
                    terms.append(PenaltyTerm(rule, above + below, setting.weight))
                continue
            hi = m.new_int_var(0, p.num_days, f"{rule}_max[{gi}]")
            lo = m.new_int_var(0, p.num_days, f"{rule}_min[{gi}]")
            spread = m.new_int_var(0, p.num_days, f"{rule}_spread[{gi}]")
            m.add_max_equality(hi, counts)
            m.add_min_equality(lo, counts)
            m.add(spread == hi - lo)
            terms.append(PenaltyTerm(rule, spread, setting.weight))
    return terms
