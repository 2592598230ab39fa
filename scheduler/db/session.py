"""Engines and sessions.

One engine per process and database URL. SQLite gets foreign keys switched on (it ignores them
otherwise) and a busy timeout, so the embedded default enforces the same integrity as PostgreSQL.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


#: A pooled connection idle longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 5.0


def _mark_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info["rota_idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Pessimistic disconnect handling, but only for connections that sat idle.

    ``pool_pre_ping`` pings on every checkout; with asyncpg that is a BEGIN and a ROLLBACK, two
    round trips on every request (a quarter of a punch's CPU, bench/ATTENDANCE.md). A connection
    used within the last few seconds is almost surely alive; one that sat idle (the database
    restarted overnight, a firewall dropped it) is pinged, and a dead one is swapped for a fresh
    connection before any request sees it. A database lost in the middle of a busy moment still
    fails the requests in flight, which answer 503 (``api/problems.py``), and the pool is
    invalidated so the next checkout reconnects.
    """
    idle_since = record.info.get("rota_idle_since")
    if idle_since is not None and time.monotonic() - idle_since <= PING_AFTER_IDLE_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:  # any failure means: do not hand this connection out
        raise exc.DisconnectionError(f"pooled connection failed its ping: {error}") from error


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine for ``url`` with the per-dialect settings rota relies on."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_async_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine.sync_engine, "connect", _mark_idle)
        event.listen(engine.sync_engine, "checkin", _mark_idle)
        event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
