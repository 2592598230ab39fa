"""``rota demo``: a sample department on the embedded database, ready to try."""

from __future__ import annotations

import click
from rich.table import Table

from api.cli.common import console, display_url, load_settings, run_with_session
from scheduler.db.migrate import upgrade
from scheduler.demo import DEMO_PASSWORD, load_demo


@click.command()
def demo_command() -> None:
    """Migrate the database and load a sample customer-service department of 20 agents."""
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
    table = Table("login", "role", "password", title="Demo logins")
    for username, role in summary.logins:
        table.add_row(username, role, DEMO_PASSWORD)
    console.print(table)
    console.print(
        "Next: [bold]rota serve[/bold], then open http://127.0.0.1:8000/schema for the API docs."
    )
