"""Scaling of the roster solver on generated customer-service departments.

    python -m bench.solver_scaling [--sizes 10 25 50 100 200] [--workers 2] [--seed 1]
                                   [--solver-seed 0] [--demand-scale 1.25]

For each size: one 31-day month (December 2026), solved on ``--workers`` threads
with a per-size time limit (30 s up to 50 agents, 60 s for 100, 120 s for 200,
or ``--time-limit``). ``--seed`` picks the generated department, ``--solver-seed``
CP-SAT's random seed (runs vary with it and with the load). Prints time to first roster, time to a 1 % and a 2 % gap
(as seen at improving rosters), the final objective, bound and gap, and checks
every roster with the independent checker.
"""

from __future__ import annotations

import argparse
import time

from bench.generate import generate_department
from solver.check import check
from solver.result import Progress
from solver.solve import SolveOptions, solve

DEFAULT_LIMITS = {10: 30.0, 25: 30.0, 50: 30.0, 100: 60.0, 200: 120.0}


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


def run(
    size: int,
    limit: float,
    workers: int,
    seed: int,
    demand_scale: float = 1.0,
    solver_seed: int = 0,
) -> str:
    problem = generate_department(size, seed=seed, demand_scale=demand_scale)
    events: list[Progress] = []
    started = time.monotonic()
    options = SolveOptions(time_limit=limit, num_workers=workers, seed=solver_seed)
    sol = solve(problem, options, progress=events.append)
    wall = time.monotonic() - started

    def first_gap(target: float) -> float | None:
        for ev in events:
            if ev.objective > 0 and (ev.objective - ev.best_bound) / ev.objective <= target:
                return ev.elapsed
        if sol.gap is not None and sol.gap <= target:
            return sol.total_time
        return None

    valid = "-"
    if sol.assignment is not None:
        report = check(problem, sol.assignment)
        valid = "ok" if report.valid and report.objective == sol.objective else "MISMATCH"
    gap = "-" if sol.gap is None else f"{sol.gap:.2%}"
    bound = "-" if sol.best_bound is None else f"{sol.best_bound:.0f}"
    return (
        f"| {size} | {len(problem.staff) * problem.num_days * len(problem.shift_types)} | {limit:.0f} s"
        f" | {_fmt(sol.time_to_first)} | {_fmt(first_gap(0.01))} | {_fmt(first_gap(0.02))}"
        f" | {sol.objective} | {bound} | {gap} | {sol.status.value} | {valid} | {wall:.1f}s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 25, 50, 100, 200])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--solver-seed", type=int, default=0, help="CP-SAT's random seed")
    parser.add_argument("--time-limit", type=float)
    parser.add_argument(
        "--demand-scale", type=float, default=1.0, help="1.0 comfortable, 1.25 tight staffing"
    )
    args = parser.parse_args()
    print(
        "| agents | shift vars | limit | first roster | 1 % gap | 2 % gap | objective | bound"
        " | final gap | status | checker | wall |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
    for size in args.sizes:
        limit = args.time_limit or DEFAULT_LIMITS.get(size, 60.0)
        row = run(size, limit, args.workers, args.seed, args.demand_scale, args.solver_seed)
        print(row, flush=True)


if __name__ == "__main__":
    main()
