"""Operator commands: ``rota migrate``, ``rota config``, ``rota user create``."""

from __future__ import annotations

import click
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli.common import console, display_url, load_settings, run_with_session
from scheduler.auth.roles import Role
from scheduler.auth.service import NewUser, create_user
from scheduler.db.migrate import downgrade, upgrade
from scheduler.errors import DomainError
from scheduler.org import lookup
from scheduler.settings import Settings


@click.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.option("--down", is_flag=True, help="Downgrade to --revision instead (default base).")
def migrate_command(revision: str, down: bool) -> None:
    """Bring the database schema up to date (run before starting new code)."""
    settings = load_settings()
    where = display_url(settings.database_url)
    try:
        if down:
            target = "base" if revision == "head" else revision
            downgrade(settings.database_url, target)
            console.print(f"downgraded {where} to {target}")
        else:
            upgrade(settings.database_url, revision)
            console.print(f"migrated {where} to {revision}")
    except (SQLAlchemyError, OSError) as exc:
        # An operator needs the one line that says what is wrong (no such database or role,
        # nothing listening), not the driver's traceback; the password is never printed.
        reason = getattr(exc, "orig", None) or exc
        first = (
            str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
        )
        raise click.ClickException(
            f"cannot migrate {where}: {first}. Create the database and its role first "
            "(README: Running on PostgreSQL) and check DATABASE_URL."
        ) from exc


@click.command()
def config_command() -> None:
    """Print every setting, its environment variable and its current value."""
    settings = load_settings()
    table = Table("variable", "current", "meaning")
    for var, _default, doc in Settings.documentation():
        name = next(
            f for f in settings.__dataclass_fields__.values() if f.metadata["var"] == var
        ).name
        value = str(getattr(settings, name))
        if name == "secret_key":  # never the secret itself
            value = "(not set: the development key)" if settings.uses_development_key else "(set)"
        if name == "database_url":
            value = display_url(value)
        # An unset optional setting prints what it means, not Python's "None": an operator
        # reading `rota config` must see the log format in force and that Redis is not in use.
        if name == "log_format" and settings.log_format is None:
            value = f"(unset: {settings.effective_log_format})"
        if name == "redis_url":  # its password is a credential, like the database's
            value = (
                "(unset: in-process limits)"
                if settings.redis_url is None
                else display_url(settings.redis_url)
            )
        table.add_row(var, value, doc)
    console.print(table)


@click.group()
def user_group() -> None:
    """Manage logins."""


@user_group.command("create")
@click.option("--username", required=True)
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default="admin", show_default=True
)
@click.option(
    "--department", "department_code", help="Department code (needed for department roles)."
)
@click.option("--employee", "staff_no", help="Staff number of the employee this login is.")
@click.option("--display-name", help="Name shown in the interface.")
@click.password_option(
    envvar="ROTA_NEW_USER_PASSWORD", help="Password (prompted; or ROTA_NEW_USER_PASSWORD)."
)
def create_user_command(
    username: str,
    role: str,
    department_code: str | None,
    staff_no: str | None,
    display_name: str | None,
    password: str,
) -> None:
    """Create a login, e.g. the first admin: ``rota user create --username admin``."""
    settings = load_settings()

    async def work(session: AsyncSession) -> str:
        try:
            department_id = (
                (await lookup.department_by_code_or_id(session, department_code)).id
                if department_code
                else None
            )
            employee_id = (
                await lookup.employee_id_by_staff_no(session, staff_no) if staff_no else None
            )
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        try:
            user = await create_user(
                session,
                None,
                NewUser(
                    username=username,
                    password=password,
                    role=Role(role),
                    display_name=display_name,
                    department_id=department_id,
                    employee_id=employee_id,
                ),
            )
        except DomainError as exc:
            details = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in exc.errors)
            raise click.ClickException(exc.detail + (f" ({details})" if details else "")) from exc
        return f"created user {user.username} (id {user.id}, role {user.role})"

    console.print(run_with_session(settings, work))
