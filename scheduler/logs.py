"""Structured logging: JSON lines in production, readable lines for a person at a terminal.

Everything goes through structlog on top of the standard library's logging, so library logs
(SQLAlchemy, uvicorn, CP-SAT via solver's logger) come out in the same format. Request-scoped
values (request id, user id) are bound with contextvars and appear on every line of the request.

No credential may reach a log line, in either format:

* tracebacks are plain text, frames and source lines only, never local variables. (structlog's
  console renderer defaults to rich tracebacks that print every frame's locals, and a handler's
  locals hold the request, its ``Authorization`` header and any password in its body.)
* values bound under a secret-sounding key are replaced, at any depth of nesting;
* what still looks like a credential inside any text of the line, the traceback included
  (``Bearer …``, ``Device <id>:<secret>``, a JWT, ``password=…``), is masked.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"
#: Keys whose values never reach a log line, whatever a caller binds.
SECRET_KEYS = frozenset(
    {
        "password",
        "new_password",
        "current_password",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "authorization",
        "secret",
        "api_key",
        "credential",
        "credentials",
        "cookie",
        "set-cookie",
    }
)
#: Parts of a key that make it secret wherever they appear (``password_hash``, ``device_secret``).
_SECRET_PARTS = ("password", "secret", "authorization", "cookie")
_SECRET_TEXT = re.compile(
    r"(?i)(?P<scheme>\bbearer|\bbasic(?=\s+[A-Za-z0-9+/=]{8,})|\bdevice(?=\s+\d+:))"
    r"\s+[^\s'\",;]+"
    r"|eyJ[A-Za-z0-9_\-]{8,}(?:\.[A-Za-z0-9_\-]*){0,2}"
    r"|(?P<key>\b(?:password|passwd|secret|token|authorization)\w*['\"]?\s*[:=]\s*)"
    r"['\"]?[^\s'\",;}]+"
)


def _is_secret_key(key: object) -> bool:
    name = str(key).lower()
    return name in SECRET_KEYS or any(part in name for part in _SECRET_PARTS)


def _mask_text(text: str) -> str:
    def mask(m: re.Match[str]) -> str:
        if m.group("scheme"):
            return f"{m.group('scheme')} {REDACTED}"
        if m.group("key"):
            return f"{m.group('key')}{REDACTED}"
        return REDACTED

    return _SECRET_TEXT.sub(mask, text)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _mask_text(value)
    if isinstance(value, dict):
        return {k: REDACTED if _is_secret_key(k) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def _redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace secret-keyed values and mask credential-shaped text, at every depth."""
    for key, value in event.items():
        if key.startswith("_") or key == "exc_info":
            continue  # structlog's own (the record, the exception object): rendered later
        event[key] = REDACTED if _is_secret_key(key) else _scrub(value)
    return event


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    """Set up structlog and the standard logging bridge; safe to call more than once."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(),
            # Never the default rich traceback: it prints each frame's local variables.
            exception_formatter=structlog.dev.plain_traceback,
        )
    )
    structlog.configure(
        # Drop events below the level first: the timestamp and context work of a request line is
        # otherwise done for every request and thrown away when the level is WARNING.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # The traceback as plain text (no locals) in both formats, so it can be masked too.
            structlog.processors.format_exc_info,
            _redact,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).handlers[:] = []
        logging.getLogger(noisy).propagate = False
    # /ready asks Alembic for the current revision on every probe; its INFO lines are noise.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
