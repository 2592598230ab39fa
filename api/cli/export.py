"""``rota export attendance``: HR's monthly attendance export from the command line.

Writes the same CSV or XLSX as ``GET /attendance/export``, streamed to a file (or to standard
output for CSV), as the operator (every department may be exported).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli.common import err_console, load_settings, run_with_session
from scheduler.attendance import exports
from scheduler.errors import DomainError
from scheduler.org import lookup
from scheduler.rosters.store import parse_month


@click.group("export")
def export_group() -> None:
    """Exports for HR and payroll."""


@export_group.command("attendance")
@click.option("--department", "department", help="Department code or id (default: every one).")
@click.option("--month", required=True, help="YYYY-MM, e.g. 2026-12.")
@click.option(
    "--format", "fmt", type=click.Choice(exports.FORMATS), default="xlsx", show_default=True
)
@click.option("--lang", type=click.Choice(exports.LANGS), default="en", show_default=True)
@click.option(
    "--sheet",
    type=click.Choice(exports.SHEETS),
    default="summary",
    show_default=True,
    help="Which table a CSV carries (XLSX has both).",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
def attendance_command(
    department: str | None, month: str, fmt: str, lang: str, sheet: str, out: Path | None
) -> None:
    """Write a month's attendance summary and detail, as HR's payroll input."""
    try:
        first = parse_month(month)
    except DomainError as exc:
        # parse_month's own words, as the API answers them ("outside the years 2000-2100"
        # is not the same mistake as "not YYYY-MM").
        raise click.BadParameter(exc.detail, param_hint="--month") from exc
    if out is None and fmt == "xlsx":
        raise click.UsageError("XLSX needs --out FILE")

    async def work(session: AsyncSession) -> str:
        try:
            departments = (
                [await lookup.department_by_code_or_id(session, department)]
                if department
                else await lookup.all_departments(session)
            )
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        if not departments:
            raise click.ClickException("there are no departments")
        spec = exports.ExportSpec(departments=departments, month=first, lang=lang)
        target = out or Path(exports.filename(spec, fmt, sheet))
        if out is None:
            await exports.write_export(session, spec, fmt, sys.stdout.buffer.write, sheet)
            return "-"
        with target.open("wb") as handle:
            await exports.write_export(session, spec, fmt, handle.write, sheet)
        return str(target)

    written = run_with_session(load_settings(), work)
    if written != "-":
        err_console.print(f"wrote {written}")
