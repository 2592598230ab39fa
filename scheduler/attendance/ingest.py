"""Group commit for keyed punches: concurrent punches share one INSERT statement.

Time clocks send in bursts (a shift starts, fifty people badge in within a minute). One INSERT
per punch makes every punch pay the statement's round trip and SQLAlchemy's execution layers;
under load that, not the rules, is the cost of a punch (bench/ATTENDANCE.md). Here a punch that
arrives while a write is in flight waits for it and then goes out with every other punch that
arrived meanwhile, in one multi-row ``INSERT … ON CONFLICT (actor, idempotency_key) DO NOTHING
RETURNING``. Nothing is delayed on purpose: an idle writer sends a lone punch at once, so a
quiet system sees the latency of a plain INSERT, and a busy one amortises the round trip.

Only punches with an ``Idempotency-Key`` come here: the key is what maps each returned row back
to its request. A key that is already stored (a retry) or repeated inside one batch gets
``None``, exactly as the single INSERT answered, and the caller replays the stored punch. If a
batch fails as a whole (a row breaks a constraint the checks could not see, the database went
away), its rows are written again one by one, so one bad row fails alone with its own error.

The writer belongs to an engine and to the running event loop. Its task (and connection) lives
while punches flow and a moment after; the application closes it at shutdown
(:func:`close_writers`). The embedded SQLite default does not use it: one writer at a time is
SQLite's own rule, and a newcomer's first run has no bursts to amortise.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from functools import lru_cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from scheduler.attendance.models import Punch

#: Rows in one INSERT at most (the rest go in the next statement of the same burst).
MAX_ROWS = 200
#: How long a writer keeps its connection after the last punch, waiting for the next one.
LINGER_SECONDS = 0.05

_Pending = tuple[dict[str, Any], "asyncio.Future[int | None]"]


@lru_cache(maxsize=4)
def insert_statement(dialect: str) -> Any:
    """The one INSERT of punches: nothing if the (actor, key) is stored; id, actor and key back.

    Also the single-row insert of ``punches`` (keyless punches, the embedded SQLite default).
    """
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        make(Punch)
        .on_conflict_do_nothing(index_elements=["actor", "idempotency_key"])
        .returning(Punch.id, Punch.actor, Punch.idempotency_key)
    )


class PunchWriter:
    """One per engine and event loop; see the module docstring.

    While punches keep coming, the writer keeps one connection (in autocommit on PostgreSQL)
    and a task that waits for the next punch, for :data:`LINGER_SECONDS` after the last one:
    at a steady trickle every punch would otherwise pay a pool checkout and a task of its own.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._stmt = insert_statement(engine.dialect.name)
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def insert(self, values: dict[str, Any]) -> int | None:
        """Store one keyed punch; its new id, or ``None`` if its key is taken."""
        if values.get("idempotency_key") is None:
            raise ValueError("only keyed punches are group-committed")
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._pending.append((values, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        else:
            self._wake.set()
        # shield: a client that hangs up must not cancel a write other requests share
        return await asyncio.shield(future)

    async def close(self) -> None:
        """Stop lingering (application shutdown); punches already queued are written first."""
        task = self._task
        if task is not None and not task.done():
            self._wake.set()
            if not self._pending:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _drain(self) -> None:
        try:
            async with self._engine.connect() as conn:
                if self._postgres:
                    # A single statement is atomic by itself: autocommit spares BEGIN/COMMIT.
                    conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                while await self._more():
                    batch, self._pending = self._pending[:MAX_ROWS], self._pending[MAX_ROWS:]
                    try:
                        ids = await self._write(conn, [values for values, _ in batch])
                    except Exception:
                        # The whole statement failed: find the row(s) at fault, each on a
                        # fresh connection (this one may be the reason), and start afresh.
                        for values, future in batch:
                            await self._write_alone(values, future)
                        break
                    for values, future in batch:
                        if not future.done():
                            key = (values["actor"], values["idempotency_key"])
                            future.set_result(ids.pop(key, None))
            if self._pending:
                # Punches that came while the connection was being given back (their sender
                # saw this task still running, so started none): a new burst.
                self._task = asyncio.create_task(self._drain())
        except BaseException as error:
            # Could not even connect (or shutting down): nobody queued may wait forever.
            pending, self._pending = self._pending, []
            for _, future in pending:
                if not future.done():
                    if isinstance(error, Exception):
                        future.set_exception(error)
                    else:
                        future.cancel()
            raise

    async def _more(self) -> bool:
        """Whether there is work; waits a moment for it rather than giving the connection up."""
        if self._pending:
            return True
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), LINGER_SECONDS)
        return bool(self._pending)

    async def _write_alone(
        self, values: dict[str, Any], future: asyncio.Future[int | None]
    ) -> None:
        try:
            async with self._engine.connect() as conn:
                if self._postgres:
                    conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                ids = await self._write(conn, [values])
        except Exception as error:
            if not future.done():
                future.set_exception(error)
            return
        if not future.done():
            future.set_result(ids.get((values["actor"], values["idempotency_key"])))

    async def _write(
        self, conn: AsyncConnection, rows: list[dict[str, Any]]
    ) -> dict[tuple[str, str], int]:
        """One statement for all rows; the new ids by (actor, key)."""
        # executemany with RETURNING: SQLAlchemy's "insertmanyvalues" sends the rows as one
        # multi-row VALUES statement (not one statement per row).
        if self._postgres:
            result = await conn.execute(self._stmt, rows)
        else:
            async with conn.begin():
                result = await conn.execute(self._stmt, rows)
        return {(actor, key): int(new_id) for new_id, actor, key in result}


_WRITERS: weakref.WeakKeyDictionary[Any, dict[asyncio.AbstractEventLoop, PunchWriter]] = (
    weakref.WeakKeyDictionary()
)


def writer_for(engine: AsyncEngine) -> PunchWriter:
    """The writer of ``engine`` on the running loop (tests run many loops in one process)."""
    loop = asyncio.get_running_loop()
    per_loop = _WRITERS.setdefault(engine.sync_engine, {})
    writer = per_loop.get(loop)
    if writer is None:
        for stale in [other for other in per_loop if other.is_closed()]:
            del per_loop[stale]
        writer = per_loop[loop] = PunchWriter(engine)
    return writer


async def close_writers(engine: AsyncEngine) -> None:
    """Let the engine's writers on this loop finish and give their connections back."""
    writer = _WRITERS.get(engine.sync_engine, {}).get(asyncio.get_running_loop())
    if writer is not None:
        await writer.close()
