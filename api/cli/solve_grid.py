"""The roster grid of ``rota solve``: people x dates, coverage rows, per-person counts.

Kept apart from the command so the rendering rules (unique cell labels, interval coverage
rows, a width taken from the content) can be tested without a solve. Used only by
:mod:`api.cli.solve`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from solver.check import OFF, covering, to_grid
from solver.problem import RosterProblem, format_hhmm
from solver.result import RosterSolution

_SHIFT_STYLES = ("bold green", "bold magenta", "bold cyan", "bold yellow", "bold blue", "bold red")
#: Cell texts that are not shift labels; a shift label must never read like one of them.
_RESERVED = frozenset({"LV", "·"})
#: Far wider than any roster: the measuring width, so that rich reports what each column needs.
_UNBOUNDED = 100_000

#: A coverage row's key: window start and end (minutes after midnight) and the team, if any.
_Window = tuple[int, int, str | None]


def shift_labels(ids: Sequence[str]) -> list[str]:
    """Short, unique grid labels for shift ids, in the same order.

    A label is the shortest upper-cased prefix (at least two characters) that no other
    id shares, so ``early`` and ``east`` become ``EAR`` and ``EAS`` instead of both
    reading ``EA``: a grid where two shifts look alike is a wrong grid. Ids that differ
    only in case (or collide with the leave marker) fall back to numbered labels
    (``1:EA``), unique because the number before the colon is.
    """
    upper = [i.upper() for i in ids]
    labels: list[str] = []
    for n, text in enumerate(upper):
        others = [o for m, o in enumerate(upper) if m != n]
        width = 2
        while width < len(text) and any(o[:width] == text[:width] for o in others):
            width += 1
        labels.append(text[:width])
    if len(set(labels)) != len(labels) or _RESERVED & set(labels):
        labels = [f"{n + 1}:{text[:2]}" for n, text in enumerate(upper)]
    return labels


def _shift_demand(problem: RosterProblem) -> dict[tuple[int, int], tuple[int, int]]:
    """(day, shift) -> (minimum, target) summed over demand rows."""
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for dem in problem.shift_demand:
        key = (problem.day_index[dem.date], problem.shift_index[dem.shift_id])
        lo, hi = out.get(key, (0, 0))
        out[key] = (lo + dem.minimum, hi + dem.target)
    return out


def _interval_demand(problem: RosterProblem) -> dict[_Window, dict[int, tuple[int, int]]]:
    """Window -> day -> (minimum, target), in the order the windows first appear.

    Team rows get their own window key because only that team's members count for them,
    exactly as the checker counts them.
    """
    out: dict[_Window, dict[int, tuple[int, int]]] = {}
    for iv in problem.interval_demand:
        per_day = out.setdefault((iv.start_minute, iv.end_minute, iv.team), {})
        d = problem.day_index[iv.date]
        lo, hi = per_day.get(d, (0, 0))
        per_day[d] = (lo + iv.minimum, hi + iv.target)
    return out


def _cover_cell(n: int, need: tuple[int, int] | None) -> Text:
    """``assigned/target``, red below the minimum and yellow below the target."""
    if need is None:
        return Text(str(n), style="green")
    lo, hi = need
    style = "bold red" if n < lo else ("yellow" if n < hi else "green")
    return Text(f"{n}/{hi}", style=style)


def _window_counts(problem: RosterProblem, grid: list[list[int]], window: _Window) -> list[int]:
    """People on duty for the whole window on each day.

    Which shifts span a window (including yesterday's shift running past midnight)
    comes from the checker's :func:`solver.check.covering`, built on
    ``ShiftType.covers``, so the grid counts exactly what the solver and checker count.
    """
    start, end, team = window
    members = [e for e, p in enumerate(problem.staff) if team is None or p.team == team]
    spans = covering(problem, start, end)
    return [
        sum(1 for off, k in spans if d - off >= 0 for e in members if grid[e][d - off] == k)
        for d in range(problem.num_days)
    ]


def _day_header(problem: RosterProblem, day: date) -> Text:
    cal = problem.calendar
    style = "red" if cal.is_holiday(day) else ("yellow" if cal.is_weekend(day) else "")
    return Text(f"{day.day:>2}\n{day.strftime('%a')[:2]}", style=style)


def roster_table(problem: RosterProblem, sol: RosterSolution) -> Table:
    """The roster grid with coverage rows (per shift and per demand window) and counts."""
    assert sol.assignment is not None
    grid, _ = to_grid(problem, sol.assignment)
    cal = problem.calendar
    labels = shift_labels([s.id for s in problem.shift_types])
    styles = [_SHIFT_STYLES[k % len(_SHIFT_STYLES)] for k in range(len(problem.shift_types))]
    table = Table(title=problem.name or "Roster", show_lines=False, pad_edge=False, box=None)
    table.add_column("Agent", no_wrap=True)
    table.add_column("Team", no_wrap=True, style="dim")
    for day in problem.dates:
        table.add_column(_day_header(problem, day), justify="center", no_wrap=True)
    counts = ("Late", "Wknd", "Hol", "Days")
    for label in counts:
        table.add_column(label, justify="right", no_wrap=True)
    for e, person in enumerate(problem.staff):
        cells: list[Text] = []
        for d in range(problem.num_days):
            k = grid[e][d]
            if k != OFF:
                cells.append(Text(labels[k], style=styles[k]))
            elif (e, d) in problem.unavailable:
                cells.append(Text("lv", style="dim italic"))
            else:
                cells.append(Text("·", style="dim"))
        worked = [(problem.dates[d], k) for d, k in enumerate(grid[e]) if k != OFF]
        late = sum(1 for _, k in worked if problem.shift_types[k].late)
        wknd = sum(1 for day, _ in worked if cal.is_weekend(day))
        hol = sum(1 for day, _ in worked if cal.is_holiday(day))
        name = person.name + (" (T)" if person.trainee else "")
        table.add_row(
            Text(name),
            Text(person.team or ""),
            *cells,
            str(late),
            str(wknd),
            str(hol),
            str(len(worked)),
        )
    blanks = [""] * len(counts)
    demand = _shift_demand(problem)
    for k, shift in enumerate(problem.shift_types):
        row = [
            _cover_cell(
                sum(1 for e in range(len(problem.staff)) if grid[e][d] == k), demand.get((d, k))
            )
            for d in range(problem.num_days)
        ]
        table.add_row(Text(f"{shift.name} cover", style=styles[k]), "", *row, *blanks)
    for window, need in _interval_demand(problem).items():
        start, end, team = window
        counted = _window_counts(problem, grid, window)
        row = [_cover_cell(n, need.get(d)) for d, n in enumerate(counted)]
        label = f"{format_hhmm(start)}-{format_hhmm(end)} cover"
        table.add_row(Text(label, style="bold"), Text(team or ""), *row, *blanks)
    return table


def legend(problem: RosterProblem) -> Text:
    """What the cell labels and coverage figures mean: labels are abbreviations."""
    labels = shift_labels([s.id for s in problem.shift_types])
    text = Text("Cells: ")
    for k, (label, shift) in enumerate(zip(labels, problem.shift_types, strict=True)):
        text.append(label, style=_SHIFT_STYLES[k % len(_SHIFT_STYLES)])
        times = f"{format_hhmm(shift.start_minute)}-{format_hhmm(shift.end_minute)}"
        text.append(f" = {shift.id} ({shift.name}, {times}), ")
    text.append("lv = leave, · = day off. ")
    text.append("Cover rows: assigned/target, red below the minimum, yellow below the target.")
    return text


def fit_console(console: Console, table: Table) -> None:
    """Widen the console to what the table needs, so no column is cut.

    A console that is not a terminal is 80 columns (or ``$COLUMNS``) wide, and rich
    then squeezes a month's grid by eliding cells: day 31, the per-person counts and
    figures like ``14/10`` (printed ``14/…``) are lost, and a cut figure reads as a
    different number. The width is measured from the rendered content instead of
    guessed from the number of days, because cell widths depend on the coverage figures
    and names. A terminal narrower than the grid wraps its lines; that is still complete.
    """
    options = console.options.update_width(_UNBOUNDED)
    needed = Measurement.get(console, options, table).maximum
    if needed > console.width:
        console.width = needed
