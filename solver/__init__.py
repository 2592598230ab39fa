"""Pure roster optimisation: a ``RosterProblem`` in, a ``RosterSolution`` out.

No database, no HTTP, no wall clock inside the model. The public API:

* :class:`~solver.problem.RosterProblem` and its parts (build it, it validates itself);
* :func:`~solver.solve.solve` with :class:`~solver.solve.SolveOptions`;
* :func:`~solver.check.check`, the independent rule checker;
* :func:`~solver.explain.explain` for infeasible problems;
* :mod:`solver.io` for JSON and CSV.
"""

from __future__ import annotations

from solver.check import check
from solver.problem import (
    Calendar,
    Contract,
    HistoryCell,
    IntervalDemand,
    Leave,
    Lock,
    MeetingSlot,
    ProblemError,
    ReferenceRoster,
    Request,
    RequestKind,
    RosterProblem,
    RuleSetting,
    RuleSettings,
    ShiftDemand,
    ShiftType,
    Staff,
)
from solver.result import (
    CheckReport,
    Explanation,
    FairnessSpread,
    Progress,
    RosterSolution,
    SolveStatus,
    Violation,
)
from solver.solve import SolveOptions, SolverBugError, solve

__all__ = [
    "Calendar",
    "CheckReport",
    "Contract",
    "Explanation",
    "FairnessSpread",
    "HistoryCell",
    "IntervalDemand",
    "Leave",
    "Lock",
    "MeetingSlot",
    "ProblemError",
    "Progress",
    "ReferenceRoster",
    "Request",
    "RequestKind",
    "RosterProblem",
    "RosterSolution",
    "RuleSetting",
    "RuleSettings",
    "ShiftDemand",
    "ShiftType",
    "SolveOptions",
    "SolveStatus",
    "SolverBugError",
    "Staff",
    "Violation",
    "check",
    "solve",
]
