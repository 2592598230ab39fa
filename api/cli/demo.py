"""``rota demo``: a sample department on the embedded database, with next month's roster."""

from __future__ import annotations

import asyncio
import datetime as dt
from functools import partial
from zoneinfo import ZoneInfo

import click
from rich.table import Table

from api.cli.common import console, display_url, load_settings, run_with_session
from api.cli.roster import generate
from scheduler.db.migrate import upgrade
from scheduler.demo import DEMO_PASSWORD, load_demo, publish_generated


def next_month(today: dt.date) -> str:
    """The month after ``today``'s, as YYYY-MM."""
    first_next = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return f"{first_next:%Y-%m}"


@click.command()
@click.option("--month", help="Month to roster, YYYY-MM (default: next month).")
@click.option("--time-limit", type=float, default=15.0, show_default=True, help="Seconds per team.")
@click.option("--no-roster", is_flag=True, help="Only load the department.")
def demo_command(month: str | None, time_limit: float, no_roster: bool) -> None:
    """Migrate the database, load a sample department of 20 agents, roster next month and print it."""
    settings = load_settings()
    if settings.env == "production":
        raise click.ClickException(
            "the demo creates logins with a published password; it does not run in production"
        )
    upgrade(settings.database_url)
    summary = run_with_session(settings, lambda session: load_demo(session, settings.timezone))
    state = "loaded" if summary.created else "already loaded"
    console.print(
        f"[bold]Sample department {summary.department_code}[/bold] {state} into {display_url(settings.database_url)}: "
        f"{summary.employees} agents in {', '.join(summary.teams)}; shifts early 08:30-17:30 and late 15:00-24:00."
    )
    if not no_roster:
        # Next month as the department sees it (its zone), not the server's.
        today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
        target = month or next_month(today)
        for team_name, team_id in summary.teams.items():
            console.rule(f"{team_name} · {target}")
            asyncio.run(generate(settings, str(team_id), None, target, time_limit))
            console.print(
                run_with_session(
                    settings, partial(publish_generated, team_id=team_id, month=target)
                )
            )
    table = Table("login", "role", "password", title="Demo logins")
    for username, role in summary.logins:
        table.add_row(username, role, DEMO_PASSWORD)
    console.print(table)
    console.print(
        "Next: [bold].venv/bin/rota serve[/bold], sign in, and open http://127.0.0.1:8000/schema for the API docs, "
        "or http://127.0.0.1:8000/rosters/1/page for the roster page."
    )
