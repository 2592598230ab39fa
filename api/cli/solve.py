"""``rota solve PROBLEM.json``: solve a roster problem file and show it as a coloured grid.

For managers trying rota and engineers tuning rules: no database needed. The
grid shows people x dates, the daily coverage against demand and per-person
counts of late, weekend and holiday shifts; then the cost breakdown by rule and
the proven gap. Ctrl-C cancels the search and keeps the best roster so far.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from solver.check import OFF, to_grid
from solver.io import assignment_to_csv, load_problem, solution_to_dict
from solver.problem import ProblemError, RosterProblem
from solver.result import Progress, RosterSolution
from solver.solve import SolveOptions, solve

_SHIFT_STYLES = ("bold green", "bold magenta", "bold cyan", "bold yellow", "bold blue", "bold red")


def _demand(problem: RosterProblem) -> dict[tuple[int, int], tuple[int, int]]:
    """(day, shift) -> (minimum, target) summed over demand rows."""
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for dem in problem.shift_demand:
        key = (problem.day_index[dem.date], problem.shift_index[dem.shift_id])
        lo, hi = out.get(key, (0, 0))
        out[key] = (lo + dem.minimum, hi + dem.target)
    return out


def roster_table(problem: RosterProblem, sol: RosterSolution) -> Table:
    """The roster grid with coverage rows and per-person counts."""
    assert sol.assignment is not None
    grid, _ = to_grid(problem, sol.assignment)
    cal = problem.calendar
    table = Table(title=problem.name or "Roster", show_lines=False, pad_edge=False, box=None)
    table.add_column("Agent", no_wrap=True)
    table.add_column("Team", no_wrap=True, style="dim")
    for day in problem.dates:
        style = "red" if cal.is_holiday(day) else ("yellow" if cal.is_weekend(day) else "")
        table.add_column(
            Text(f"{day.day:>2}\n{day.strftime('%a')[:2]}", style=style),
            justify="center",
            min_width=3,
            no_wrap=True,
        )
    for label in ("Late", "Wknd", "Hol", "Days"):
        table.add_column(label, justify="right")
    styles = {k: _SHIFT_STYLES[k % len(_SHIFT_STYLES)] for k in range(len(problem.shift_types))}
    for e, person in enumerate(problem.staff):
        cells: list[Text] = []
        for d in range(problem.num_days):
            k = grid[e][d]
            if k != OFF:
                cells.append(Text(problem.shift_types[k].id[:2].upper(), style=styles[k]))
            elif (e, d) in problem.unavailable:
                cells.append(Text("lv", style="dim italic"))
            else:
                cells.append(Text("·", style="dim"))
        late = sum(1 for k in grid[e] if k != OFF and problem.shift_types[k].late)
        wknd = sum(
            1 for d, k in enumerate(grid[e]) if k != OFF and cal.is_weekend(problem.dates[d])
        )
        hol = sum(1 for d, k in enumerate(grid[e]) if k != OFF and cal.is_holiday(problem.dates[d]))
        days = sum(1 for k in grid[e] if k != OFF)
        name = person.name + (" (T)" if person.trainee else "")
        table.add_row(name, person.team or "", *cells, str(late), str(wknd), str(hol), str(days))
    demand = _demand(problem)
    for k, shift in enumerate(problem.shift_types):
        row: list[Text] = []
        for d in range(problem.num_days):
            n = sum(1 for e in range(len(problem.staff)) if grid[e][d] == k)
            lo, hi = demand.get((d, k), (0, 0))
            style = "bold red" if n < lo else ("yellow" if n < hi else "green")
            row.append(Text(f"{n}/{hi}" if (d, k) in demand else str(n), style=style))
        table.add_row(Text(f"{shift.name} cover", style=styles[k]), "", *row, "", "", "", "")
    return table


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
    console.print(roster_table(problem, sol))
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


@click.command("solve")
@click.argument(
    "problem_file",
    metavar="PROBLEM.json",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--time-limit", type=float, default=30.0, show_default=True, help="Seconds to search."
)
@click.option("--workers", type=int, default=2, show_default=True, help="CP-SAT worker threads.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the solution: .json (full result) or .csv (the roster grid).",
)
def solve_command(
    problem_file: Path, time_limit: float, workers: int, seed: int, out: Path | None
) -> None:
    """Solve a roster problem file and print the roster, its costs and the gap."""
    if out is not None and out.suffix.lower() not in (".json", ".csv"):
        raise click.BadParameter("must end in .json or .csv", param_hint="--out")
    try:
        problem = load_problem(problem_file.read_text(encoding="utf-8"))
        options = SolveOptions(time_limit=time_limit, num_workers=workers, seed=seed)
    except (ProblemError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    console = Console(width=max(Console().width, 60 + 4 * problem.num_days))
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
        if out.suffix.lower() == ".json":
            out.write_text(
                json.dumps(solution_to_dict(problem, sol), indent=2, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
        elif sol.assignment is not None:
            out.write_text(assignment_to_csv(problem, sol.assignment), encoding="utf-8")
        console.print(f"written {out}")
    if not sol.status.has_roster:
        raise SystemExit(1)
