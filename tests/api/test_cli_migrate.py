"""``rota migrate`` against a database that is not there says so in one line."""

from __future__ import annotations

from click.testing import CliRunner

from api.cli import main


def test_migrate_to_a_missing_database_says_what_to_do() -> None:
    url = "postgresql://postgres:s3cret@127.0.0.1:1/rota_nowhere"  # nothing listens on port 1
    result = CliRunner().invoke(main, ["migrate"], env={"DATABASE_URL": url})
    assert result.exit_code == 1, result.output
    assert "cannot migrate" in result.output
    assert "Traceback" not in result.output
    assert "s3cret" not in result.output
    assert len(result.output.strip().splitlines()) <= 3, result.output
