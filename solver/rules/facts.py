"""Fixed facts: approved leave and unavailability, and cells the manager locked.

Both are hard. They are constraints (not missing variables) so that an
infeasibility explanation can name them ("Wang is on approved leave on 13 Dec").
"""

from __future__ import annotations

from solver.check import fmt_day, fmt_unavailable
from solver.variables import ModelContext, PenaltyTerm


def add(ctx: ModelContext) -> list[PenaltyTerm]:
    """Fix leave days off and locked cells to their value."""
    p, m, v = ctx.problem, ctx.model, ctx.vars
    for (e, d), reason in p.unavailable.items():
        msg = f"{p.staff[e].name} is {fmt_unavailable(reason)} on {fmt_day(p.dates[d])}"
        ct = m.add(v.off[e][d] == 1)
        if guards := ctx.guard(("leave", e, d), msg):
            ct.only_enforce_if(guards)
    for (e, d), k in p.locked.items():
        want = "off" if k is None else p.shift_types[k].name
        msg = f"{p.staff[e].name} is locked to {want} on {fmt_day(p.dates[d])}"
        guards = ctx.guard(("lock", e, d), msg)
        target = v.off[e][d] if k is None else v.shift(e, d, k)
        if target is None:
            # The locked shift is outside the person's contract: only a guard can relax it.
            m.add_bool_or([g.Not() for g in guards])
            continue
        ct = m.add(target == 1)
        if guards:
            ct.only_enforce_if(guards)
    return []
