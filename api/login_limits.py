"""Brute-force protection for the login route.

Two fixed one-minute windows, both answering 429 with Retry-After: failed login attempts per
client address, and failed attempts per account. Only failures count against an address: a
customer-service office signs in through one public address (NAT, or a proxy) at the start of a
shift, and fifty agents signing in at 08:25 must not lock each other out. The counts live in the app's ``rate_limit`` store:
this process's memory on the embedded default, Redis when REDIS_URL is set, so the limits hold
across replicas.

Each attempt is counted with one atomic increment *before* the password is checked (a Lua
``INCR``/``EXPIRE`` in Redis; one lock per store in memory). Reading the count, checking the
password and writing the count back (what this did before) lets a burst of concurrent guesses,
spread over replicas, all read the same count and all be checked: the limit leaked and the
stored count lost increments. An account's reserved attempt is kept when An attempt's reservations are kept when the password is wrong; when it is right the account's
count is cleared and the address's reserved attempt given back.

When Redis cannot be reached the limits cannot be held, so login answers 503 with Retry-After
(fail closed: an outage of the limiter must not open the door to guessing) instead of a 500.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from litestar import Request
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from redis.exceptions import RedisError

from scheduler.errors import RateLimitedError, UnavailableError

STORE_NAME = "rate_limit"
WINDOW_S = 60

#: INCR the key; start its window on the first hit (and heal a key that somehow lost its TTL).
_HIT_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""


#: Give one hit back (a successful sign-in's reservation); never below zero, window kept.
_RELEASE_SCRIPT = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then
  redis.call('DECR', KEYS[1])
end
return n
"""


class CountingRedisStore(RedisStore):
    """Litestar's Redis store with an atomic windowed counter (one round trip, no lost hits)."""

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        """Count one hit of ``key``; answer (hits in this window, seconds until it resets)."""
        script = self._redis.register_script(_HIT_SCRIPT)
        n, ttl = await script(keys=[self._make_key(key)], args=[window_s])
        return int(n), int(ttl)

    async def release(self, key: str) -> None:
        """Take back one hit of ``key`` (atomically; a window that ended stays ended)."""
        script = self._redis.register_script(_RELEASE_SCRIPT)
        await script(keys=[self._make_key(key)], args=[])


#: One lock per in-process store and event loop: get-then-set of a count must not interleave.
#: (Keyed by ids: Litestar's stores take no weak references. One entry in production.)
_LOCKS: dict[tuple[int, int], asyncio.Lock] = {}


async def _hit(store: Store, key: str, window_s: int = WINDOW_S) -> tuple[int, int]:
    """Count one hit of ``key`` atomically; (hits in the window, seconds left in it)."""
    try:
        if isinstance(store, CountingRedisStore):
            return await store.hit(key, window_s)
        lock = _LOCKS.setdefault((id(store), id(asyncio.get_running_loop())), asyncio.Lock())
        async with lock:
            raw = await store.get(key)
            left = await store.expires_in(key) if raw is not None else None
            left = left if left and left > 0 else window_s
            n = 1 if raw is None else int(raw) + 1
            await store.set(key, str(n).encode(), expires_in=left)
            return n, left
    except (RedisError, OSError) as exc:
        raise _unavailable() from exc


async def _release(store: Store, key: str) -> None:
    """Give back one hit of ``key`` counted by :func:`_hit`."""
    try:
        if isinstance(store, CountingRedisStore):
            await store.release(key)
            return
        lock = _LOCKS.setdefault((id(store), id(asyncio.get_running_loop())), asyncio.Lock())
        async with lock:
            raw = await store.get(key)
            left = await store.expires_in(key) if raw is not None else None
            if raw is not None and int(raw) > 0 and left and left > 0:
                await store.set(key, str(int(raw) - 1).encode(), expires_in=left)
    except (RedisError, OSError) as exc:
        raise _unavailable() from exc


def _unavailable() -> UnavailableError:
    return UnavailableError(
        "sign-in is unavailable: the rate-limit store (Redis) cannot be reached; try again shortly",
        retry_after=5,
    )


def client_key(request: Request[Any, Any, Any]) -> str:
    """The per-address window's key."""
    host = request.client.host if request.client else "unknown"
    return f"login-address:{host}"


class LoginLimiter:
    """The two login windows of one app's store."""

    def __init__(self, store: Store, max_attempts: int) -> None:
        self.store = store
        self.max_attempts = max_attempts

    @staticmethod
    def _account_key(username: str) -> str:
        return f"login-account:{username.strip().lower()}"

    async def attempt(self, request: Request[Any, Any, Any], username: str) -> None:
        """Count this attempt from its address and for its account; 429 past either limit.

        The account's count is only taken when the address is within its limit, so one
        address's refused flood does not lock other people's accounts on its own.
        """
        n, left = await _hit(self.store, client_key(request))
        if n > self.max_attempts:
            raise RateLimitedError(
                "too many sign-in attempts from this address; wait before trying again",
                retry_after=max(1, left),
            )
        n, left = await _hit(self.store, self._account_key(username))
        if n > self.max_attempts:
            raise RateLimitedError(
                "too many failed sign-ins for this account; wait before trying again",
                retry_after=max(1, left),
            )

    async def succeeded(self, request: Request[Any, Any, Any], username: str) -> None:
        """A correct password clears the account's count and gives the address its attempt back.

        So the address window counts failures only: everyone in an office behind one address
        may sign in at the start of a shift.
        """
        try:
            await self.store.delete(self._account_key(username))
        except (RedisError, OSError) as exc:
            raise _unavailable() from exc
        await _release(self.store, client_key(request))


def rate_limit_store(redis_url: str | None) -> Store:
    """Redis when configured (limits shared by every replica), else this process's memory."""
    if redis_url:
        return cast(Store, CountingRedisStore.with_client(url=redis_url, namespace="rota"))
    from litestar.stores.memory import MemoryStore

    return MemoryStore()
