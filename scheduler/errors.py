"""Domain errors. The HTTP layer maps each class onto one status; scheduler/ never knows HTTP.

Each error carries a human message plus optional structured details (a field name, a row list)
so the client can see exactly what was wrong.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the business layer raises on purpose."""

    title = "Request could not be processed"

    def __init__(
        self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class NotFoundError(DomainError):
    """The thing asked for does not exist (or is outside the caller's scope)."""

    title = "Not found"


class PermissionDeniedError(DomainError):
    """The caller is known but may not do this."""

    title = "Forbidden"


class AuthenticationError(DomainError):
    """Credentials are missing or wrong."""

    title = "Unauthorized"


class ConflictError(DomainError):
    """The request clashes with the current state: a duplicate key, a stale version, a race lost."""

    title = "Conflict"


class ValidationFailedError(DomainError):
    """The request is well-formed but breaks a business rule (a team of another department...)."""

    title = "Unprocessable content"


class RateLimitedError(DomainError):
    """Too many attempts; ``retry_after`` seconds until the next may succeed."""

    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class UnavailableError(DomainError):
    """A dependency (the job queue, the database) cannot take the request right now.

    ``retry_after``, when known, becomes the Retry-After header: when to send it again.
    """

    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after
