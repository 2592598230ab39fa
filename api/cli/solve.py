"""``rota solve PROBLEM.json``: solve a roster problem file and show it as a coloured grid.

For managers trying rota and engineers tuning rules: no database needed. The
grid shows people x dates, the daily coverage against demand and per-person
counts of late, weekend and holiday shifts; then the cost breakdown by rule and
the proven gap. Ctrl-C cancels the search and keeps the best roster so far.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from api.cli.solve_grid import fit_console, legend, roster_table
from solver.io import assignment_to_csv, load_problem, solution_to_dict
from solver.problem import ProblemError, RosterProblem
from solver.result import Progress, RosterSolution
from solver.solve import SolveOptions, solve

#: Shortest ``--time-limit`` accepted. The solver spends a quarter of the limit completing
#: its start roster into a full hint; below this that step runs out of time on a 50-agent
#: month and logs a false "the model rejects a start roster" error, and no search this short
#: says anything about the roster's quality anyway.
MIN_TIME_LIMIT = 0.5


def print_solution(console: Console, problem: RosterProblem, sol: RosterSolution) -> None:
    """Print status, grid, breakdown, spreads and the main named costs."""
    console.print(f"[bold]Status:[/bold] {sol.status.value}")
    if sol.explanation is not None:
        console.print("[bold red]No roster is possible.[/bold red]")
        console.print(sol.explanation.summary)
        for fact in sol.explanation.facts:
            console.print(f"  • {fact}")
        return
    if sol.assignment is None:
        console.print("No roster was found within the time limit.")
        return
    table = roster_table(problem, sol)
    fit_console(console, table)
    console.print(table)
    console.print(legend(problem), soft_wrap=True)
    breakdown = Table(title="Cost by rule", box=None)
    breakdown.add_column("Rule")
    breakdown.add_column("Cost", justify="right")
    for rule, cost in sol.breakdown.items():
        if cost:
            breakdown.add_row(rule, str(cost))
    breakdown.add_row("[bold]total[/bold]", f"[bold]{sol.objective}[/bold]")
    console.print(breakdown)
    for spread in sol.spreads:
        if spread.counts:
            console.print(
                f"{spread.rule}: {min(spread.counts)}-{max(spread.counts)} over"
                f" {len(spread.counts)} comparable staff (spread {spread.spread})"
            )
    bound = "-" if sol.best_bound is None else f"{sol.best_bound:.0f}"
    gap = "-" if sol.gap is None else f"{sol.gap:.2%}"
    first = "-" if sol.time_to_first is None else f"{sol.time_to_first:.2f}s"
    console.print(
        f"objective {sol.objective}  best bound {bound}  gap {gap}  first roster {first}"
        f"  total {sol.total_time:.1f}s"
    )
    worst = sorted(sol.penalties, key=lambda v: -v.cost)[:12]
    if worst:
        console.print("[bold]Largest costs:[/bold]")
        for v in worst:
            console.print(f"  {v.message}")


def _check_time_limit(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """Refuse limits too short for the solver to set up its start roster (see MIN_TIME_LIMIT)."""
    if value < MIN_TIME_LIMIT:
        raise click.BadParameter(
            f"{value:g} s is too short; use at least {MIN_TIME_LIMIT:g} s", ctx, param
        )
    return value


def _check_out(out: Path) -> None:
    """Fail before the solve when the result could not be written afterwards.

    A solve can take minutes; losing its result to a typo in a directory name, with a
    traceback, is the worst time to find out.
    """
    if out.suffix.lower() not in (".json", ".csv"):
        raise click.BadParameter("must end in .json or .csv", param_hint="--out")
    parent = out.parent
    if not parent.is_dir():
        raise click.ClickException(f"cannot write {out}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise click.ClickException(f"cannot write {out}: directory {parent} is not writable")


def _write_out(console: Console, problem: RosterProblem, sol: RosterSolution, out: Path) -> None:
    """Write the result file, and say exactly what was (or was not) written.

    JSON is always written: it carries the status, and for an infeasible problem the
    explanation, which is what a script calling ``rota solve`` needs to read. A CSV is
    only a roster grid, so without a roster nothing is written (an existing file is left
    alone) and the message says so rather than claiming a file that does not exist.
    """
    if out.suffix.lower() == ".csv" and sol.assignment is None:
        click.echo(f"no roster ({sol.status.value}): {out} not written", err=True)
        return
    if out.suffix.lower() == ".json":
        text = json.dumps(solution_to_dict(problem, sol), indent=2, ensure_ascii=False) + "\n"
    else:
        assert sol.assignment is not None
        text = assignment_to_csv(problem, sol.assignment)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from exc
    if sol.assignment is None:
        console.print(
            f"written {out} (status {sol.status.value}, no roster)", markup=False, soft_wrap=True
        )
    else:
        console.print(f"written {out}", markup=False, soft_wrap=True)


@click.command("solve")
@click.argument(
    "problem_file",
    metavar="PROBLEM.json",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--time-limit",
    type=float,
    default=30.0,
    show_default=True,
    callback=_check_time_limit,
    help=f"Seconds to search (at least {MIN_TIME_LIMIT:g}).",
)
@click.option("--workers", type=int, default=2, show_default=True, help="CP-SAT worker threads.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the solution: .json (full result, also without a roster) or .csv (the roster"
    " grid, not written when there is no roster).",
)
def solve_command(
    problem_file: Path, time_limit: float, workers: int, seed: int, out: Path | None
) -> None:
    """Solve a roster problem file and print the roster, its costs and the gap."""
    if out is not None:
        _check_out(out)
    try:
        problem = load_problem(problem_file.read_text(encoding="utf-8"))
        options = SolveOptions(time_limit=time_limit, num_workers=workers, seed=seed)
    except (ProblemError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    console = Console()
    cancel = threading.Event()
    result: list[RosterSolution] = []
    errors: list[BaseException] = []

    with console.status(f"Solving {problem.name or problem_file.name} ...") as status:

        def report(p: Progress) -> None:
            status.update(
                f"Solving: best roster cost {p.objective}, bound {p.best_bound:.0f},"
                f" {p.elapsed:.1f}s (Ctrl-C to stop with the best so far)"
            )

        def run() -> None:
            try:
                result.append(solve(problem, options, progress=report, cancel=cancel))
            except BaseException as exc:  # re-raised in the main thread
                errors.append(exc)

        worker = threading.Thread(target=run, name="rota-solve")
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.1)
        except KeyboardInterrupt:
            cancel.set()
            worker.join()
    if errors:
        raise errors[0]
    sol = result[0]
    print_solution(console, problem, sol)
    if out is not None:
        _write_out(console, problem, sol, out)
    if not sol.status.has_roster:
        raise SystemExit(1)
