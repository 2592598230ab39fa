"""``rota migrate`` against a database that is not there says so in one line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from api.cli import main
from scheduler.settings import get_settings


def test_migrate_to_a_missing_database_says_what_to_do() -> None:
    url = "postgresql://postgres:s3cret@127.0.0.1:1/rota_nowhere"  # nothing listens on port 1
    result = CliRunner().invoke(main, ["migrate"], env={"DATABASE_URL": url})
    assert result.exit_code == 1, result.output
    assert "cannot migrate" in result.output
    assert "Traceback" not in result.output
    assert "s3cret" not in result.output
    assert len(result.output.strip().splitlines()) <= 3, result.output


def test_a_production_image_migrates_without_the_token_secret(tmp_path: Path) -> None:
    """The Dockerfile's one-off `rota migrate` runs with ROTA_ENV=production and no secret: only
    the API signs tokens, so only `rota serve` insists on ROTA_SECRET_KEY."""
    env = {"ROTA_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}"}
    get_settings.cache_clear()
    try:
        migrated = CliRunner().invoke(main, ["migrate"], env=env)
        assert migrated.exit_code == 0, migrated.output
        serve = CliRunner().invoke(main, ["serve"], env=env)
        assert serve.exit_code == 1
        assert "ROTA_SECRET_KEY" in serve.output
    finally:
        get_settings.cache_clear()
