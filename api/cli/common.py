"""Helpers shared by commands: settings, a console, running async service code."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.db.session import make_engine, make_sessionmaker
from scheduler.settings import Settings, SettingsError, get_settings

T = TypeVar("T")

#: Wide enough for a month grid (31 day columns) when output goes to a file or a pipe.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)


def load_settings() -> Settings:
    """Settings from the environment, or a clean exit naming the problem."""
    try:
        return get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def run_with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` with a database session, disposing of the engine afterwards."""

    async def _run() -> T:
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(_run())


def display_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
