"""Service settings, read once from the environment.

Every knob an operator may turn lives here, with its environment variable and default, so the
README's configuration table and the code cannot drift apart: ``rota config`` prints this table.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Environment = Literal["development", "production", "test"]
LogFormat = Literal["json", "console"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./rota.db"
_DEV_SECRET = "rota-development-secret-not-for-production-use-0000"  # noqa: S105 (the well-known development value, refused in production)


class SettingsError(RuntimeError):
    """Raised when the environment cannot give a safe configuration (the service must not start)."""


def normalise_database_url(url: str) -> str:
    """Map the URL forms operators paste (``postgres://``, ``sqlite:///``) onto async drivers.

    rota talks to PostgreSQL through asyncpg and to SQLite through aiosqlite only; accepting the
    plain forms saves every operator from learning SQLAlchemy's driver syntax.
    """
    for prefix in (
        "postgres://",
        "postgresql://",
        "postgresql+psycopg://",
        "postgresql+psycopg2://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


@dataclass(frozen=True)
class Settings:
    """The service configuration. Each field's metadata names its variable and says why it exists."""

    env: Environment = field(
        default="development",
        metadata={
            "var": "ROTA_ENV",
            "doc": "development, production or test. In production the API refuses "
            "to start without ROTA_SECRET_KEY, and every process logs JSON.",
        },
    )
    database_url: str = field(
        default=DEFAULT_DATABASE_URL,
        metadata={
            "var": "DATABASE_URL",
            "doc": "SQLAlchemy URL. Default: an embedded SQLite file "
            "./rota.db, so a first run needs no server. Production: postgresql://...",
        },
    )
    secret_key: str = field(
        default=_DEV_SECRET,
        repr=False,
        metadata={
            "var": "ROTA_SECRET_KEY",
            "doc": "Signs login tokens. Required in production (at least 32 characters; "
            "`rota serve` refuses to start without it): every replica must share it or tokens "
            "stop verifying.",
        },
    )
    timezone: str = field(
        default="Asia/Shanghai",
        metadata={
            "var": "ROTA_TIMEZONE",
            "doc": "Default IANA zone of new departments; shift "
            "times are wall-clock times in the department's zone.",
        },
    )
    log_level: str = field(
        default="INFO", metadata={"var": "ROTA_LOG_LEVEL", "doc": "DEBUG, INFO, WARNING, ERROR."}
    )
    log_format: LogFormat | None = field(
        default=None,
        metadata={
            "var": "ROTA_LOG_FORMAT",
            "doc": "json or console. Default: json in production, console otherwise.",
        },
    )
    redis_url: str | None = field(
        default=None,
        metadata={
            "var": "REDIS_URL",
            "doc": "When set, rate limits live in Redis so they hold "
            "across replicas; otherwise in process memory (one process only). While Redis is "
            "unreachable, login answers 503 with Retry-After (the limits cannot be held).",
        },
    )
    token_ttl_minutes: int = field(
        default=480,
        metadata={
            "var": "ROTA_TOKEN_TTL_MINUTES",
            "doc": "Lifetime of a login token (a shift plus margin).",
        },
    )
    jwt_issuer: str = field(
        default="rota", metadata={"var": "ROTA_JWT_ISSUER", "doc": "Issuer claim of tokens."}
    )
    jwt_audience: str = field(
        default="rota-api",
        metadata={"var": "ROTA_JWT_AUDIENCE", "doc": "Audience claim of tokens."},
    )
    login_attempts_per_minute: int = field(
        default=10,
        metadata={
            "var": "ROTA_LOGIN_ATTEMPTS_PER_MINUTE",
            "doc": "Failed login attempts allowed per client address and, separately, per "
            "account, per minute; more get 429. Successful sign-ins do not count, so an office "
            "behind one address signs in at shift start.",
        },
    )
    solver_max_concurrent: int = field(
        default=1,
        metadata={
            "var": "ROTA_SOLVER_CONCURRENCY",
            "doc": "Solves one worker process runs at "
            "once (each solve uses ROTA_SOLVER_THREADS cores).",
        },
    )
    solver_threads: int = field(
        default=2,
        metadata={"var": "ROTA_SOLVER_THREADS", "doc": "CP-SAT search workers per solve."},
    )
    solver_time_limit_s: float = field(
        default=60.0,
        metadata={
            "var": "ROTA_SOLVER_TIME_LIMIT",
            "doc": "Default time limit of one roster solve, in seconds.",
        },
    )
    job_backend: str = field(
        default="auto",
        metadata={
            "var": "ROTA_JOB_BACKEND",
            "doc": "auto, procrastinate or inprocess. auto: "
            "procrastinate (workers: `rota worker`) on PostgreSQL, in-process on SQLite.",
        },
    )
    public_url: str = field(
        default="http://127.0.0.1:8000",
        metadata={
            "var": "ROTA_PUBLIC_URL",
            "doc": "Base URL staff reach the service at; used in calendar subscription links.",
        },
    )

    def __post_init__(self) -> None:
        if self.env not in ("development", "production", "test"):
            raise SettingsError(
                f"ROTA_ENV must be development, production or test, not {self.env!r}"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(
                f"ROTA_TIMEZONE {self.timezone!r} is not an IANA time zone"
            ) from exc
        if self.job_backend not in ("auto", "procrastinate", "inprocess"):
            raise SettingsError("ROTA_JOB_BACKEND must be auto, procrastinate or inprocess")
        if self.job_backend == "procrastinate" and self.is_sqlite:
            raise SettingsError("ROTA_JOB_BACKEND=procrastinate needs PostgreSQL (DATABASE_URL)")
        if self.log_format not in (None, "json", "console"):
            raise SettingsError("ROTA_LOG_FORMAT must be json or console")

    @property
    def is_sqlite(self) -> bool:
        """Whether the embedded database is in use (which runs the solve worker in-process)."""
        return self.database_url.startswith("sqlite")

    @property
    def effective_job_backend(self) -> str:
        """Where solves run: a procrastinate queue, or inside the API process."""
        if self.job_backend == "auto":
            return "inprocess" if self.is_sqlite else "procrastinate"
        return self.job_backend

    @property
    def effective_log_format(self) -> LogFormat:
        """JSON for machines in production, readable lines for people everywhere else."""
        if self.log_format is not None:
            return self.log_format
        return "json" if self.env == "production" else "console"

    @property
    def uses_development_key(self) -> bool:
        """Whether tokens are signed with the well-known development key (ROTA_SECRET_KEY unset)."""
        return self.secret_key == _DEV_SECRET

    def require_signing_key(self) -> None:
        """Refuse a production process that signs login tokens with the development key.

        Only the API signs and verifies tokens, so only ``rota serve`` (and any app built with
        :func:`api.app.create_app`) asks: ``rota migrate``, ``rota worker`` and the other
        commands of a production image run without the secret, as its one-off migration does.
        """
        if self.env == "production" and (
            self.secret_key == _DEV_SECRET or len(self.secret_key) < 32
        ):
            raise SettingsError(
                "ROTA_SECRET_KEY must be set to a random value of at least 32 characters in "
                "production; generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from environment variables, converting each to its field's type."""
        source = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = source.get(f.metadata["var"])
            if raw is None or raw == "":
                continue
            if f.type in ("int",):
                try:
                    values[f.name] = int(raw)
                except ValueError as exc:
                    raise SettingsError(
                        f"{f.metadata['var']} must be an integer, got {raw!r}"
                    ) from exc
            elif f.type in ("float",):
                try:
                    values[f.name] = float(raw)
                except ValueError as exc:
                    raise SettingsError(
                        f"{f.metadata['var']} must be a number, got {raw!r}"
                    ) from exc
            else:
                values[f.name] = raw
        if "database_url" in values:
            values["database_url"] = normalise_database_url(str(values["database_url"]))
        return cls(**values)  # type: ignore[arg-type]

    @staticmethod
    def documentation() -> list[tuple[str, str, str]]:
        """(variable, default, meaning) rows for the README and ``rota config``."""
        rows = []
        for f in fields(Settings):
            default = "(development key)" if f.name == "secret_key" else str(f.default)
            rows.append((f.metadata["var"], default, f.metadata["doc"]))
        return rows


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings.from_env()


def generate_secret() -> str:
    """A fresh secret suitable for ROTA_SECRET_KEY."""
    return secrets.token_urlsafe(48)
