"""Statutory holidays: off unless the roster needs the person (soft, per holiday worked).

Sharing holiday work fairly is the ``fairness_holiday`` rule in
:mod:`solver.rules.fairness`; the weekly meeting slot lives with coverage.
"""

from __future__ import annotations

from solver.variables import ModelContext, PenaltyTerm


def add(ctx: ModelContext) -> list[PenaltyTerm]:
    """One penalty unit per person working on a statutory holiday."""
    p, v = ctx.problem, ctx.vars
    setting = p.rules.holiday_work
    if not setting.enabled or setting.weight == 0:
        return []
    terms = []
    for d, day in enumerate(p.dates):
        if p.calendar.is_holiday(day):
            for e in range(len(p.staff)):
                terms.append(PenaltyTerm("holiday_work", 1 - v.off[e][d], setting.weight, e))
    return terms
