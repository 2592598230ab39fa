"""One module per rule family; each adds its constraints and returns penalty terms.

:data:`RULE_FAMILIES` is the order in which :func:`solver.solve.build_model`
calls them: fixed facts first (so presolve sees the fixed cells early), then
coverage, rest, contract, calendar, fairness and requests.
"""

from __future__ import annotations

from collections.abc import Callable

from solver.rules import calendar, contract, coverage, facts, fairness, requests, rest
from solver.variables import ModelContext, PenaltyTerm

RuleFamily = Callable[[ModelContext], list[PenaltyTerm]]

RULE_FAMILIES: tuple[tuple[str, RuleFamily], ...] = (
    ("facts", facts.add),
    ("coverage", coverage.add),
    ("rest", rest.add),
    ("contract", contract.add),
    ("calendar", calendar.add),
    ("fairness", fairness.add),
    ("requests", requests.add),
)
"""(family name, function) in the order the model builder applies them."""
