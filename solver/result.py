"""Our own result and status types: CP-SAT's enums never leak out of ``solver``.

The service stores and displays these; every cost is named in the
department's terms so a manager can read why the roster looks as it does.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

Assignment = Mapping[str, Mapping[date, str | None]]
"""Per staff id, per date: the shift id worked, or ``None`` (a missing date is off)."""


class SolveStatus(enum.StrEnum):
    """How a solve ended."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIMEOUT_NO_SOLUTION = "timeout_no_solution"
    CANCELLED = "cancelled"
    CANCELLED_NO_SOLUTION = "cancelled_no_solution"

    @property
    def has_roster(self) -> bool:
        """Whether a roster comes with this status."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE, SolveStatus.CANCELLED)


@dataclass(frozen=True)
class Violation:
    """One broken hard rule or one soft cost, in the department's terms.

    Attributes:
        rule: Rule family name (a key of the breakdown, e.g. ``"requests"``).
        message: Human sentence ("Li Wei: day-off request on 12 Dec not met, cost 5").
        staff_id: The person concerned, if any.
        date: The date concerned (first date for multi-day facts), if any.
        shift_id: The shift concerned, if any.
        hard: True for a broken hard rule (the roster is not valid).
        cost: Objective contribution (0 for hard violations).
        amount: How far past the rule the roster is, in the rule's units (days short of a
            contract minimum, people short on a shift): a change that makes an existing breach
            worse is told apart from one that eases it.
    """

    rule: str
    message: str
    staff_id: str | None = None
    date: date | None = None
    shift_id: str | None = None
    hard: bool = False
    cost: int = 0
    amount: int = 1


@dataclass(frozen=True)
class FairnessSpread:
    """The spread of one count (late shifts, weekend days, holidays) over a group."""

    rule: str
    staff_ids: tuple[str, ...]
    counts: tuple[int, ...]

    @property
    def spread(self) -> int:
        """Max minus min of the counts."""
        return max(self.counts) - min(self.counts) if self.counts else 0


@dataclass(frozen=True)
class CheckReport:
    """What the independent checker found in an assignment.

    Attributes:
        hard_violations: Every broken hard rule; empty means the roster is valid.
        penalties: Every soft cost, named.
        objective: Total soft cost (the solver's objective for the same roster).
        breakdown: Cost per rule family.
        spreads: Fairness spreads per group.
    """

    hard_violations: tuple[Violation, ...]
    penalties: tuple[Violation, ...]
    objective: int
    breakdown: Mapping[str, int]
    spreads: tuple[FairnessSpread, ...] = ()

    @property
    def valid(self) -> bool:
        """No hard rule is broken."""
        return not self.hard_violations


@dataclass(frozen=True)
class Explanation:
    """Why a problem has no roster: a small set of rules and facts that cannot all hold.

    Attributes:
        summary: One paragraph for the manager.
        facts: The rules and facts in the conflict, one sentence each.
        minimal: Whether the set was shrunk until no fact could be dropped.
    """

    summary: str
    facts: tuple[str, ...]
    minimal: bool = False


@dataclass(frozen=True)
class Progress:
    """A better roster was found during the search."""

    objective: int
    best_bound: float
    elapsed: float


@dataclass(frozen=True)
class RosterSolution:
    """The outcome of a solve.

    Attributes:
        status: How the solve ended.
        assignment: The roster, if any (per staff id, per date, shift id or None).
        objective: Total soft cost of the roster.
        best_bound: Proven lower bound on the objective.
        gap: Relative gap ``(objective - bound) / max(1, objective)``.
        time_to_first: Seconds until the first roster was found.
        total_time: Seconds spent solving.
        breakdown: Cost per rule family.
        penalties: Every soft cost, named.
        spreads: Fairness spreads per group.
        explanation: For an infeasible problem, why.
        num_solutions: Improving rosters found during the search.
    """

    status: SolveStatus
    assignment: Mapping[str, Mapping[date, str | None]] | None = None
    objective: int | None = None
    best_bound: float | None = None
    gap: float | None = None
    time_to_first: float | None = None
    total_time: float = 0.0
    breakdown: Mapping[str, int] = field(default_factory=dict)
    penalties: tuple[Violation, ...] = ()
    spreads: tuple[FairnessSpread, ...] = ()
    explanation: Explanation | None = None
    num_solutions: int = 0
