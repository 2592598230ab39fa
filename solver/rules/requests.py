"""Shift-on, shift-off and day-off requests, and stability against a reference roster.

Both are soft and linear: one term per request or reference cell, so a
re-roster after approved leave changes only what it must.
"""

from __future__ import annotations

from solver.problem import RequestKind
from solver.variables import ModelContext, PenaltyTerm


def add(ctx: ModelContext) -> list[PenaltyTerm]:
    """Penalise unmet requests and cells changed from the reference roster."""
    p, v = ctx.problem, ctx.vars
    terms: list[PenaltyTerm] = []
    setting = p.rules.requests
    if setting.enabled:
        for r in p.requests:
            e, d = p.staff_index[r.staff_id], p.day_index[r.date]
            w = r.weight * setting.weight
            if w == 0:
                continue
            if r.kind is RequestKind.DAY_OFF:
                terms.append(PenaltyTerm("requests", 1 - v.off[e][d], w, e))
                continue
            assert r.shift_id is not None
            x = v.shift(e, d, p.shift_index[r.shift_id])
            if r.kind is RequestKind.SHIFT_ON:
                terms.append(PenaltyTerm("requests", 1 if x is None else 1 - x, w, e))
            elif x is not None:
                terms.append(PenaltyTerm("requests", x, w, e))
    ref = p.reference
    if ref is not None and p.rules.stability.enabled:
        w = ref.change_weight * p.rules.stability.weight
        if w > 0:
            for pid, cells in ref.cells.items():
                e = p.staff_index[pid]
                for d, day in enumerate(p.dates):
                    sid = cells.get(day)
                    if sid is None:
                        terms.append(PenaltyTerm("stability", 1 - v.off[e][d], w, e))
                    else:
                        x = v.shift(e, d, p.shift_index[sid])
                        terms.append(PenaltyTerm("stability", 1 if x is None else 1 - x, w, e))
    return terms
