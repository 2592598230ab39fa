"""The objective: a weighted sum of the named penalty terms of every rule family.

Kept separate so that the breakdown per rule can be computed from the same
terms the model minimises, and so that a change of weights is one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ortools.sat.python import cp_model

from solver.variables import PenaltyTerm


def objective_expr(terms: Sequence[PenaltyTerm]) -> Any:
    """The weighted sum of all terms with non-zero weight."""
    return cp_model.LinearExpr.weighted_sum(
        [t.expr for t in terms if t.weight], [t.weight for t in terms if t.weight]
    )


def set_objective(model: cp_model.CpModel, terms: Sequence[PenaltyTerm]) -> None:
    """Minimise the weighted sum of all penalty terms (0 when there are none)."""
    model.minimize(objective_expr(terms))


def breakdown(terms: Sequence[PenaltyTerm], value: Any) -> dict[str, int]:
    """Cost per rule family, given a function evaluating an expression in a solution."""
    out: dict[str, int] = {}
    for t in terms:
        out[t.rule] = out.get(t.rule, 0) + t.weight * int(value(t.expr))
    return out
