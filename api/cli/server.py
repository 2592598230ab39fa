"""``rota serve``: the HTTP API under uvicorn."""

from __future__ import annotations

import click
import structlog
import uvicorn

from api.cli.common import console, display_url, load_settings
from scheduler.db.migrate import upgrade
from scheduler.logs import configure_logging
from scheduler.settings import SettingsError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers", default=1, show_default=True, type=int, help="Worker processes (PostgreSQL only)."
)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve_command(host: str, port: int, workers: int, reload: bool) -> None:
    """Run the HTTP API. On the embedded SQLite database, migrate first (one process, no setup)."""
    settings = load_settings()
    try:
        settings.require_signing_key()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    if settings.is_sqlite:
        upgrade(settings.database_url)
        if workers != 1:
            raise click.UsageError(
                "the embedded SQLite database serves one worker process; use PostgreSQL to scale"
            )
    if settings.effective_log_format == "json":
        # Every line of a production process is JSON, so a collector parses each one.
        configure_logging(settings.log_level, "json")
        structlog.get_logger("rota.server").info(
            "serving",
            url=f"http://{host}:{port}",
            docs=f"http://{host}:{port}/schema",
            database=display_url(settings.database_url),
        )
    else:
        console.print(
            f"rota on http://{host}:{port}  (database {display_url(settings.database_url)})"
        )
        console.print(
            f"API docs: http://{host}:{port}/schema  ·  "
            f"OpenAPI: http://{host}:{port}/schema/openapi.json"
        )
    uvicorn.run(
        "api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers if not reload else None,
        reload=reload,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )
