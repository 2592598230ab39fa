"""The per-process caches of the time-clock fast path: device credentials and staff lists.

A shift start is hundreds of punches in a minute from a few devices. Each punch would otherwise
check its device's credential and look its person up; both are kept here for
:data:`CACHE_TTL` seconds instead, and a load that many requests miss at once is made once
(:func:`cached`). Revoking a device drops its entries at once in this process; another process
refuses it at most :data:`CACHE_TTL` seconds later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

#: How long this process trusts a device credential (and the device's view of an employee's
#: department and state) it has already checked. Revoking a device through this process takes
#: effect at once (the entry is dropped); another worker process refuses a revoked device, or
#: sees an employee moved or deactivated, at most this many seconds later.
CACHE_TTL = 5.0
#: Entries kept in each of those caches (they are simply emptied when full).
CACHE_SIZE = 4096


class TTLCache:
    """A small per-process cache whose entries expire after :data:`CACHE_TTL` seconds."""

    def __init__(self) -> None:
        self.entries: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> Any:
        """The live entry of ``key``, or None (an expired one is dropped)."""
        hit = self.entries.get(key)
        if hit is None:
            return None
        if hit[0] < time.monotonic():
            self.entries.pop(key, None)
            return None
        return hit[1]

    def put(self, key: Any, value: Any) -> None:
        """Keep ``value`` for :data:`CACHE_TTL` seconds (a full cache is emptied first)."""
        if len(self.entries) >= CACHE_SIZE:
            self.entries.clear()
        self.entries[key] = (time.monotonic() + CACHE_TTL, value)

    def drop(self, match: Any) -> None:
        """Forget every entry whose key ``match`` accepts."""
        for key in [k for k in self.entries if match(k)]:
            self.entries.pop(key, None)


DEVICES = TTLCache()  # (device id, secret hash) -> DeviceRef
_LOADING: dict[Any, asyncio.Future[Any]] = {}  # loads in flight, see cached
DEVICE_STAFF = TTLCache()  # (device id, secret hash) -> _DepartmentStaff


def clear_caches() -> None:
    """Forget every cached credential and employee (tests; an operator's big red button)."""
    DEVICES.entries.clear()
    DEVICE_STAFF.entries.clear()


def drop_device(device_id: int) -> None:
    """Forget a device's credential and staff list in this process (it was revoked)."""
    DEVICES.drop(lambda k: k[0] == device_id)
    DEVICE_STAFF.drop(lambda k: k[0] == device_id)


async def cached(cache: TTLCache, key: Any, load: Callable[[], Awaitable[Any]]) -> Any:
    """The cached value, or one load shared by every request that missed it at the same time.

    When an entry expires under load, fifty concurrent punches would otherwise all miss and
    all query (and all take a pooled connection) at once: a latency spike every few seconds.
    Only the first loads; the others wait for its answer (or its error: same key, same answer).
    """
    value = cache.get(key)
    if value is not None:
        return value
    loop = asyncio.get_running_loop()
    flight_key = (id(cache), key, loop)
    flight = _LOADING.get(flight_key)
    if flight is not None:
        try:
            return await asyncio.shield(flight)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # the request that was loading went away: load here instead
    flight = _LOADING[flight_key] = loop.create_future()
    try:
        value = await load()
    except BaseException as error:
        if isinstance(error, Exception):
            flight.set_exception(error)
            flight.exception()  # retrieved here: no warning if nobody was waiting
        else:
            flight.cancel()
        raise
    else:
        cache.put(key, value)
        flight.set_result(value)
        return value
    finally:
        if _LOADING.get(flight_key) is flight:
            del _LOADING[flight_key]
