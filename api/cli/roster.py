"""``rota roster generate`` and ``rota worker``: the manager's main job from the command line."""

from __future__ import annotations

import asyncio
import datetime as dt

import click
import structlog
from rich.live import Live
from rich.table import Table
from rich.text import Text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.cli.common import console, load_settings
from api.cli.solve_grid import shift_labels
from scheduler.auth.principal import Principal
from scheduler.db.session import make_engine, make_sessionmaker
from scheduler.errors import DomainError
from scheduler.logs import configure_logging
from scheduler.org import lookup
from scheduler.org.models import Department
from scheduler.rosters import calendar as dept_calendar
from scheduler.rosters import jobs
from scheduler.rosters.dispatch import run_worker
from scheduler.rosters.models import Roster, RosterJob, RosterVersion
from scheduler.rosters.runner import run_job
from scheduler.rosters.store import Scope, cells_of, month_end, parse_month
from scheduler.settings import Settings


async def _scope(session: AsyncSession, team: str | None, department: str | None) -> Scope:
    try:
        dept = await lookup.department_by_code_or_id(session, department) if department else None
        team_row = await lookup.team_by_name_or_id(session, team, dept) if team else None
        if team_row is not None and dept is None:
            dept = await lookup.department_by_code_or_id(session, str(team_row.department_id))
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    if dept is None:
        raise click.ClickException("name a --team or a --department")
    return Scope(department=dept, team=team_row)


def _status_line(job: RosterJob) -> Text:
    parts = [f"job {job.id}: {job.status}"]
    if job.elapsed_s is not None:
        parts.append(f"{job.elapsed_s:5.1f}s of {job.time_limit_s:.0f}s")
    if job.objective is not None:
        parts.append(f"best cost {job.objective}")
    if job.gap is not None:
        parts.append(f"gap {job.gap:.1%}")
    return Text("  ·  ".join(parts))


async def print_version(session: AsyncSession, version: RosterVersion) -> None:
    """The roster as a coloured grid: people x dates, then coverage per shift per day."""
    cells = await cells_of(session, version.id)
    people = await lookup.employees_by_id(session, {c.employee_id for c in cells})
    dates = sorted({c.date for c in cells})
    snapshot = version.shift_snapshot
    table = Table(
        show_lines=False,
        pad_edge=False,
        box=None,
        title=f"Roster version {version.number} ({version.status})",
    )
    table.add_column("person", no_wrap=True)
    for d in dates:
        style = "bold red" if d.weekday() >= 5 else ""
        table.add_column(
            f"{d.day:02d}\n{'MTWTFSS'[d.weekday()]}", justify="center", header_style=style
        )
    table.add_column("days", justify="right")
    table.add_column("late", justify="right")
    grid: dict[int, dict[dt.date, tuple[str | None, str | None]]] = {}
    for c in cells:
        grid.setdefault(c.employee_id, {})[c.date] = (c.shift_code, c.absence)
    labels = dict(zip(snapshot, shift_labels(list(snapshot)), strict=True))
    for emp_id in sorted(grid, key=lambda i: people[i].staff_no):
        row: list[Text | str] = [
            f"{people[emp_id].name}{' (T)' if 'trainee' in people[emp_id].flags else ''}"
        ]
        worked = late = 0
        for d in dates:
            shift, absence = grid[emp_id].get(d, (None, None))
            if shift:
                worked += 1
                late += bool(snapshot.get(shift, {}).get("late"))
                row.append(
                    Text(
                        labels.get(shift, shift[:2].upper()),
                        style=f"black on {snapshot.get(shift, {}).get('colour', 'white')}",
                    )
                )
            elif absence:
                # Not "L": that read as the late shift once colours are gone (a pipe, a log).
                row.append(Text("lv", style="italic magenta"))
            else:
                row.append(Text("·", style="dim"))
        row += [str(worked), str(late)]
        table.add_row(*row)
    for code in snapshot:
        counts = [
            str(sum(1 for e in grid if grid[e].get(d, (None, None))[0] == code)) for d in dates
        ]
        table.add_row(Text(f"on {code}", style="bold"), *counts, "", "")
    console.print(table)
    console.print(
        "  ".join(f"{labels[code]} = {code}" for code in snapshot) + "  lv = leave  · = rest",
        markup=False,
    )
    stats = version.solve_stats or {}
    gap = stats.get("gap")
    console.print(
        f"cost {version.objective}  ·  hard violations {version.hard_violations}  ·  solver: {stats.get('status')}, "
        f"gap {'-' if gap is None else format(gap, '.1%')}, first roster after "
        f"{stats.get('time_to_first_s') or 0:.1f}s, total {stats.get('total_time_s') or 0:.1f}s"
    )
    breakdown = {k: v for k, v in (version.breakdown or {}).items() if v}
    if breakdown:
        console.print(
            "cost by rule: "
            + ", ".join(f"{k} {v}" for k, v in sorted(breakdown.items(), key=lambda kv: -kv[1]))
        )


async def generate(
    settings: Settings,
    team: str | None,
    department: str | None,
    month: str,
    time_limit: float | None,
) -> int:
    """Queue a job, run it here with a live progress line, print the draft (or the explanation)."""
    engine = make_engine(settings.database_url)
    sm: async_sessionmaker[AsyncSession] = make_sessionmaker(engine)
    try:
        async with sm() as session:
            scope = await _scope(session, team, department)
            try:
                job = await jobs.request_solve(
                    session,
                    Principal.operator(),
                    scope,
                    parse_month(month),
                    time_limit_s=time_limit,
                )
            except DomainError as exc:
                details = "; ".join(str(e.get("message")) for e in exc.errors)
                raise click.ClickException(
                    exc.detail + (f" ({details})" if details else "")
                ) from exc
            job_id = job.id
        console.print(f"Generating the roster of {scope.label} for {month} (job {job_id}) ...")
        task = asyncio.create_task(run_job(sm, job_id, threads=settings.solver_threads))
        with Live(Text("starting"), console=console, transient=True, refresh_per_second=4) as live:
            while not task.done():
                await asyncio.wait({task}, timeout=1.0)
                async with sm() as session:
                    current = await session.get(RosterJob, job_id)
                    assert current is not None
                    live.update(_status_line(current))
        async with sm() as session:
            final = await session.get(RosterJob, job_id)
            assert final is not None
            console.print(_status_line(final))
            if final.result_version_id:
                version = await session.get(RosterVersion, final.result_version_id)
                assert version is not None
                await print_version(session, version)
                roster = await session.get(Roster, version.roster_id)
                owner = await session.get(Department, roster.department_id) if roster else None
                if roster is not None and owner is not None:
                    notice = await dept_calendar.provisional_notice(
                        session, owner, roster.month, month_end(roster.month)
                    )
                    if notice:
                        console.print(Text(f"Note: {notice}", style="yellow"))
                console.print(
                    f"Draft {version.number} of roster {version.roster_id} stored; publish it with "
                    f"POST /rosters/{version.roster_id}/versions/{version.number}/publish"
                )
                return 0
            if final.explanation:
                console.print(
                    f"[bold red]No roster possible:[/bold red] {final.explanation.get('summary')}"
                )
                for fact in final.explanation.get("facts", []):
                    console.print(f"  - {fact}")
            else:
                console.print(f"[bold red]Failed:[/bold red] {final.error}")
            return 1
    finally:
        await engine.dispose()


@click.group()
def roster_group() -> None:
    """Generate and inspect rosters."""


@roster_group.command("generate")
@click.option("--team", help="Team name or id.")
@click.option(
    "--department", help="Department code (the whole department, or to disambiguate --team)."
)
@click.option("--month", required=True, help="YYYY-MM, e.g. 2026-12.")
@click.option("--time-limit", type=float, help="Seconds (default: the department's setting).")
def generate_command(
    team: str | None, department: str | None, month: str, time_limit: float | None
) -> None:
    """Generate a month's roster as a draft, showing progress, and print it."""
    settings = load_settings()
    raise SystemExit(asyncio.run(generate(settings, team, department, month, time_limit)))


@click.command()
def worker_command() -> None:
    """Run solve workers (PostgreSQL): take queued roster jobs, a bounded number at a time."""
    settings = load_settings()
    if settings.is_sqlite:
        raise click.ClickException(
            "on the embedded SQLite database, solves run inside `rota serve`; no worker needed"
        )
    # The same log format as the API (JSON in production), so one collector reads both.
    configure_logging(settings.log_level, settings.effective_log_format)
    # A log event, not a console line: in production every line of the process is JSON.
    structlog.get_logger("rota.worker").info(
        "worker_started",
        concurrent_solves=settings.solver_max_concurrent,
        threads_per_solve=settings.solver_threads,
    )
    asyncio.run(run_worker(settings))
