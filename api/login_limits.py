"""Brute-force protection for the login route.

Per client address: Litestar's RateLimitMiddleware on the login handler. Per account: failed
attempts counted in the same Litestar store (memory on the embedded default, Redis when
REDIS_URL is set, so the limits hold across replicas). Both answer 429 with Retry-After.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Request
from litestar.middleware.rate_limit import CacheObject, RateLimitConfig, RateLimitMiddleware
from litestar.stores.base import Store

from scheduler.errors import RateLimitedError

STORE_NAME = "rate_limit"
WINDOW_S = 60


class _LoginRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's middleware, adding Retry-After to its 429 (RFC 9110 asks for it)."""

    def create_response_headers(self, cache_object: CacheObject) -> dict[str, str]:
        """Add Retry-After, in whole seconds until the window resets."""
        headers = super().create_response_headers(cache_object)
        headers["Retry-After"] = str(max(1, cache_object.reset - int(time.time())))
        return headers


def _client_key(request: Request[Any, Any, Any]) -> str:
    host = request.client.host if request.client else "unknown"
    return f"login-address:{host}"


def login_rate_limit(attempts_per_minute: int) -> RateLimitConfig:
    """The per-address limit, attached to the login handler only."""
    return RateLimitConfig(
        rate_limit=("minute", attempts_per_minute),
        identifier_for_request=_client_key,
        middleware_class=_LoginRateLimitMiddleware,
        store=STORE_NAME,
    )


class AccountLimiter:
    """Counts failed logins per username within a fixed window."""

    def __init__(self, store: Store, max_failures: int) -> None:
        self.store = store
        self.max_failures = max_failures

    @staticmethod
    def _key(username: str) -> str:
        return f"login-account:{username.strip().lower()}"

    async def check(self, username: str) -> None:
        """Refuse before checking the password when the account has failed too often."""
        raw = await self.store.get(self._key(username))
        if raw is not None and int(raw) >= self.max_failures:
            retry = await self.store.expires_in(self._key(username))
            raise RateLimitedError(
                "too many failed sign-ins for this account; wait before trying again",
                retry_after=retry if retry and retry > 0 else WINDOW_S,
            )

    async def failed(self, username: str) -> None:
        """Record one failure; the window starts at the first failure."""
        key = self._key(username)
        raw = await self.store.get(key)
        if raw is None:
            await self.store.set(key, b"1", expires_in=WINDOW_S)
        else:
            remaining = await self.store.expires_in(key)
            await self.store.set(
                key,
                str(int(raw) + 1).encode(),
                expires_in=remaining if remaining and remaining > 0 else WINDOW_S,
            )

    async def succeeded(self, username: str) -> None:
        """A correct password clears the count."""
        await self.store.delete(self._key(username))
