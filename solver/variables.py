"""The CP-SAT variables of a roster and the context the rule modules share.

One Boolean ``x[e][d][k]`` per person, day and shift type the person may work,
and one ``off[e][d]`` per person and day; exactly one of them is true, which is
the "one shift a day" rule. Rule modules read these through
:class:`ModelContext` and return named :class:`PenaltyTerm` objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from solver.problem import RosterProblem, RuleSetting

LinearExpr = Any
"""A CP-SAT linear expression (ortools has no type stubs)."""


@dataclass(frozen=True)
class Fact:
    """A hard rule instance or fixed fact that an infeasibility explanation can name."""

    key: tuple[object, ...]
    message: str


@dataclass(frozen=True)
class DemandRow:
    """A shift demand row whose headcount is exactly ``target + over - under``.

    ``over`` and ``under`` are the row's slack variables, or 0 where the side cannot
    occur (no more people than the target, or a target of 0); the weights are the
    ones in the objective. :mod:`solver.bounds` relies on the exactness.
    """

    target: int
    minimum: int
    capacity: int
    over: LinearExpr
    under: LinearExpr
    over_weight: int
    under_weight: int


@dataclass(frozen=True)
class PenaltyTerm:
    """A weighted part of the objective, tagged with its rule family."""

    rule: str
    expr: LinearExpr
    weight: int
    staff: int | None = None
    """The one person the term is about (rest, contract, holidays, requests), if any:
    :mod:`solver.bounds` bounds each person's terms by a one-person solve."""


class RosterVariables:
    """The decision variables: shift booleans and day-off booleans."""

    def __init__(self, model: cp_model.CpModel, problem: RosterProblem) -> None:
        """Create one Boolean per allowed (person, day, shift) and per (person, day) off."""
        self.problem = problem
        n_shifts = len(problem.shift_types)
        self.x: list[list[list[Any | None]]] = []
        self.off: list[list[Any]] = []
        for e, person in enumerate(problem.staff):
            allowed = set(problem.allowed_shifts(e))
            rows: list[list[Any | None]] = []
            offs: list[Any] = []
            for d in range(problem.num_days):
                cell: list[Any | None] = [
                    model.new_bool_var(f"x[{person.id},{d},{problem.shift_types[k].id}]")
                    if k in allowed
                    else None
                    for k in range(n_shifts)
                ]
                off = model.new_bool_var(f"off[{person.id},{d}]")
                model.add_exactly_one([off, *[v for v in cell if v is not None]])
                rows.append(cell)
                offs.append(off)
            self.x.append(rows)
            self.off.append(offs)

    def shift(self, e: int, d: int, k: int) -> Any | None:
        """The Boolean for person ``e`` on shift ``k`` on day ``d``, or None if impossible."""
        return self.x[e][d][k]

    def works(self, e: int, d: int) -> Any:
        """The literal "person ``e`` works on day ``d``"."""
        return self.off[e][d].Not()

    def on_shift(self, d: int, k: int, members: Sequence[int] | None = None) -> list[Any]:
        """Booleans of everyone (or ``members``) who could work shift ``k`` on day ``d``."""
        people = range(len(self.problem.staff)) if members is None else members
        return [v for e in people if (v := self.x[e][d][k]) is not None]


@dataclass
class ModelContext:
    """What a rule module needs: the problem, the model, the variables.

    In explanation mode every hard rule instance and fixed fact is guarded by an
    assumption literal (see :meth:`guard`), so CP-SAT can name a conflicting set.
    """

    problem: RosterProblem
    model: cp_model.CpModel
    vars: RosterVariables
    explain: bool = False
    facts: dict[int, Fact] = field(default_factory=dict)
    demand_rows: dict[tuple[str | None, int, int], DemandRow | None] = field(default_factory=dict)
    """Per (team, day, shift) demand row, its exact slacks; ``None`` if the row has no
    exact slacks (a zero weight) or is not the only row for its key. Filled by the
    coverage rule and read by :mod:`solver.bounds` and :mod:`solver.lns`."""
    fairness_levels: Mapping[tuple[str, int], tuple[int, int]] | None = None
    """For the search's first phase only: per (fairness rule, group index) a (min, max)
    band; :mod:`solver.rules.fairness` then charges each count outside its band instead
    of the group's spread (see ``solver.solve``)."""
    _literals: dict[tuple[object, ...], Any] = field(default_factory=dict)

    @property
    def assumption_literals(self) -> list[Any]:
        """Every assumption literal created by :meth:`guard`, in creation order."""
        return list(self._literals.values())

    def guard(self, key: tuple[object, ...], message: str) -> list[Any]:
        """Enforcement literals for a hard rule instance: ``[]`` unless explaining."""
        if not self.explain:
            return []
        lit = self._literals.get(key)
        if lit is None:
            lit = self.model.new_bool_var(f"assume{key}")
            self._literals[key] = lit
            self.facts[lit.Index()] = Fact(key, message)
        return [lit]

    def expr(self, value: LinearExpr) -> LinearExpr:
        """A model expression even when ``value`` is a plain int (an empty sum)."""
        if isinstance(value, int):
            return self.model.new_constant(value)
        return value

    def shortfall(self, expr: LinearExpr, bound: int | LinearExpr, ub: int, name: str) -> Any:
        """An integer variable equal to ``max(0, bound - expr)`` (exact, not just >=)."""
        v = self.model.new_int_var(0, max(0, ub), name)
        self.model.add_max_equality(v, [0, bound - expr])
        return v

    def soft_or_hard(
        self,
        setting: RuleSetting,
        rule: str,
        expr: LinearExpr,
        bound: int,
        ub: int,
        key: tuple[object, ...],
        message: str,
        *,
        upper: bool = False,
        extra_guards: Sequence[Any] = (),
    ) -> list[PenaltyTerm]:
        """Require ``expr >= bound`` (or ``<= bound`` if ``upper``), hard or soft.

        Soft: a penalty of ``weight * max(0, violation)``. ``ub`` bounds the violation.
        """
        expr = self.expr(expr)
        if setting.hard:
            guards = [*self.guard(key, message), *extra_guards]
            ct = self.model.add(expr <= bound) if upper else self.model.add(expr >= bound)
            if guards:
                ct.only_enforce_if(guards)
            return []
        name = f"{rule}{key}"
        if upper:
            slack = self.shortfall(-expr, -bound, ub, name)
        else:
            slack = self.shortfall(expr, bound, ub, name)
        return [PenaltyTerm(rule, slack, setting.weight)]
