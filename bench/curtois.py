"""Solve a Curtois & Qu benchmark instance and write the benchmark's solution file.

    python -m bench.curtois INSTANCE.txt --time-limit 60 --solution OUT.txt

Prints the objective and objective / best-known (BEST_KNOWN.md, newest transcription).
The search is :func:`solver.lns.solve_with_lns`: the ordinary solve for 5 % of the time,
then the roster LNS (people, window and pair neighbourhoods) with its heavy step at a
stall (bench/RESULTS.md 2d, 2g, 2i);
``--no-lns`` runs CP-SAT alone, ``--stall 0`` the LNS without the heavy step.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

from ortools.sat import sat_parameters_pb2

from solver.check import check
from solver.curtois import read_instance, write_solution
from solver.lns import LnsOptions, solve_with_lns
from solver.solve import SolveOptions, solve

BEST_KNOWN = {
    1: 607, 2: 828, 3: 1001, 4: 1716, 5: 1143, 6: 1950, 7: 1056, 8: 1300, 9: 439, 10: 4631,
    11: 3443, 12: 4040, 13: 1348, 14: 1278, 15: 3828, 16: 3225, 17: 5746, 18: 4459, 19: 3149,
    20: 4769, 21: 21133, 22: 30241, 23: 17285, 24: 40439,
}  # fmt: skip


CPSAT_PARAMETERS: dict[str, bool | int | float | str | tuple[str, ...]] = {
    "optimize_with_core": True,
    "linearization_level": 2,
}
"""CP-SAT tuning for these instances (``--param`` overrides): core-based search with
the full LP relaxation, measured on Instances 1-10 at 60 s and 2 workers
(bench/RESULTS.md)."""


def _param(text: str) -> tuple[str, bool | int | float | str | tuple[str, ...]]:
    """``KEY=VALUE`` with VALUE read as a bool, int, float or string.

    A repeated CP-SAT field (``subsolvers``, ``ignore_subsolvers``...) takes a
    comma-separated list of strings, so a subsolver mix can be given on the command line.
    """
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    field = sat_parameters_pb2.SatParameters.DESCRIPTOR.fields_by_name.get(key)
    if field is not None and field.label == field.LABEL_REPEATED:
        return key, tuple(part for part in raw.split(",") if part)
    value: bool | int | float | str
    if raw.lower() in ("true", "false"):
        value = raw.lower() == "true"
    else:
        try:
            value = int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                value = raw
    return key, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("instance", type=Path)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--solution", type=Path)
    parser.add_argument(
        "--param",
        type=_param,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="CP-SAT parameter for the search, overriding CPSAT_PARAMETERS (repeatable)",
    )
    parser.add_argument("--log", action="store_true", help="CP-SAT search log to stderr")
    parser.add_argument(
        "--no-lns",
        action="store_true",
        help="CP-SAT alone for the whole time limit (no roster LNS after the first phase)",
    )
    parser.add_argument(
        "--lns-first",
        type=float,
        default=LnsOptions.first_phase,
        help="share of the time limit for the first CP-SAT phase before the roster LNS",
    )
    parser.add_argument(
        "--untargeted",
        action="store_true",
        help="LNS windows drawn uniformly, not half of them over a day with a coverage cost",
    )
    parser.add_argument(
        "--lns-linearization",
        type=int,
        default=LnsOptions.linearization_level,
        help="CP-SAT linearization_level of the LNS sub-solves",
    )
    parser.add_argument(
        "--lns-sub-time",
        type=float,
        default=LnsOptions.sub_time,
        help="seconds per LNS sub-solve",
    )
    parser.add_argument(
        "--stall",
        type=float,
        default=LnsOptions.stall,
        help="share of the time without a better roster before a heavy solve (0: never)",
    )
    parser.add_argument(
        "--heavy-time",
        type=float,
        default=LnsOptions.heavy_time,
        help="share of the time for each solve of the heaviest terms alone (uncovered shifts)",
    )
    parser.add_argument(
        "--sideways",
        type=float,
        default=LnsOptions.sideways,
        help="share of LNS sub-solves that must move the roster (equal or lower cost)",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=LnsOptions.threshold,
        help="how much worse than the best a sideways move may be, as a share of the best's cost",
    )
    args = parser.parse_args(argv)
    if args.log:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    problem = read_instance(args.instance.read_text(encoding="utf-8"), args.instance.stem)
    options = SolveOptions(
        time_limit=args.time_limit,
        num_workers=args.workers,
        seed=args.seed,
        log_search=args.log,
        cpsat_parameters={**CPSAT_PARAMETERS, **dict(args.param)},
    )
    if args.no_lns:
        sol = solve(problem, options)
    else:
        lns = LnsOptions(
            first_phase=args.lns_first,
            sub_time=args.lns_sub_time,
            targeted=not args.untargeted,
            linearization_level=args.lns_linearization,
            stall=args.stall,
            heavy_time=args.heavy_time,
            sideways=args.sideways,
            threshold=args.threshold,
        )
        sol = solve_with_lns(problem, options, lns)
    if sol.assignment is None:
        print(f"{args.instance.name}: {sol.status.value}, no solution")
        return 1
    report = check(problem, sol.assignment)
    assert report.valid, report.hard_violations[:5]
    assert report.objective == sol.objective
    if args.solution:
        args.solution.write_text(write_solution(problem, sol.assignment), encoding="utf-8")
    match = re.search(r"(\d+)$", args.instance.stem)
    best = BEST_KNOWN.get(int(match.group(1))) if match else None
    ratio = (
        f"  objective/best-known {sol.objective}/{best} = {sol.objective / best:.4f}"
        if best
        else ""
    )
    print(
        f"{args.instance.name}: objective {sol.objective}{ratio}  bound {sol.best_bound:.0f}"
        f"  status {sol.status.value}  first {sol.time_to_first:.2f}s  total {sol.total_time:.1f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
