"""Settings from the environment: refusing unsafe configurations, URL forms, time zones."""

from __future__ import annotations

import pytest

from scheduler.settings import (
    DEFAULT_DATABASE_URL,
    Settings,
    SettingsError,
    generate_secret,
    normalise_database_url,
)


def test_defaults_need_no_server() -> None:
    s = Settings.from_env({})
    assert s.env == "development"
    assert s.database_url == DEFAULT_DATABASE_URL
    assert s.is_sqlite
    assert s.timezone == "Asia/Shanghai"
    assert s.effective_log_format == "console"


@pytest.mark.parametrize("secret", [None, "", "too-short"])
def test_production_refuses_to_start_without_a_real_secret(secret: str | None) -> None:
    env = {"ROTA_ENV": "production"}
    if secret is not None:
        env["ROTA_SECRET_KEY"] = secret
    settings = Settings.from_env(env)  # migrate, worker and the CLI need no secret
    with pytest.raises(SettingsError, match="ROTA_SECRET_KEY"):
        settings.require_signing_key()


def test_production_starts_with_a_secret() -> None:
    secret = generate_secret()
    s = Settings.from_env({"ROTA_ENV": "production", "ROTA_SECRET_KEY": secret})
    s.require_signing_key()
    assert s.secret_key == secret
    assert s.effective_log_format == "json"
    assert secret not in repr(s)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db:5432/rota", "postgresql+asyncpg://u:p@db:5432/rota"),
        ("postgresql://u@db/rota", "postgresql+asyncpg://u@db/rota"),
        ("postgresql+psycopg://u@db/rota", "postgresql+asyncpg://u@db/rota"),
        ("postgresql+psycopg2://u@db/rota", "postgresql+asyncpg://u@db/rota"),
        ("postgresql+asyncpg://u@db/rota", "postgresql+asyncpg://u@db/rota"),
        ("sqlite:///./rota.db", "sqlite+aiosqlite:///./rota.db"),
        ("sqlite:////var/lib/rota.db", "sqlite+aiosqlite:////var/lib/rota.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_url_forms_are_normalised(raw: str, expected: str) -> None:
    assert normalise_database_url(raw) == expected
    assert Settings.from_env({"DATABASE_URL": raw}).database_url == expected


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "CST", "", "Asia/../etc/passwd"])
def test_bad_time_zone_is_refused(zone: str) -> None:
    with pytest.raises(SettingsError):
        Settings(timezone=zone)


def test_time_zone_from_the_environment() -> None:
    assert Settings.from_env({"ROTA_TIMEZONE": "Europe/Berlin"}).timezone == "Europe/Berlin"
    with pytest.raises(SettingsError, match="ROTA_TIMEZONE"):
        Settings.from_env({"ROTA_TIMEZONE": "Nowhere/Land"})


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"ROTA_ENV": "staging"}, "ROTA_ENV"),
        ({"ROTA_TOKEN_TTL_MINUTES": "eight hours"}, "ROTA_TOKEN_TTL_MINUTES"),
        ({"ROTA_LOG_FORMAT": "xml"}, "ROTA_LOG_FORMAT"),
    ],
)
def test_other_bad_values_are_refused(env: dict[str, str], match: str) -> None:
    with pytest.raises(SettingsError, match=match):
        Settings.from_env(env)
