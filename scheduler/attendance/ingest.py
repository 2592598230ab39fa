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

The writer belongs to an engine and to the running event loop; its work is a task per burst, so
nothing outlives the loop between bursts.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from scheduler.attendance.models import Punch

#: Rows in one INSERT at most (the rest go in the next statement of the same burst).
MAX_ROWS = 200

_Pending = tuple[dict[str, Any], "asyncio.Future[int | None]"]


def _statement(dialect: str) -> Any:
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        make(Punch)
        .on_conflict_do_nothing(index_elements=["actor", "idempotency_key"])
        .returning(Punch.id, Punch.actor, Punch.idempotency_key)
    )


class PunchWriter:
    """One per engine and event loop; see the module docstring."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._stmt = _statement(self._dialect)
        self._pending: list[_Pending] = []
        self._task: asyncio.Task[None] | None = None

    async def insert(self, values: dict[str, Any]) -> int | None:
        """Store one keyed punch; its new id, or ``None`` if its key is taken."""
        if values.get("idempotency_key") is None:
            raise ValueError("only keyed punches are group-committed")
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._pending.append((values, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        # shield: a client that hangs up must not cancel a write other requests share
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_ROWS], self._pending[MAX_ROWS:]
            try:
                ids = await self._write([values for values, _ in batch])
            except Exception:  # the whole statement failed: find the row(s) at fault
                for values, future in batch:
                    await self._write_one(values, future)
                continue
            for values, future in batch:
                if not future.done():
                    future.set_result(ids.pop((values["actor"], values["idempotency_key"]), None))

    async def _write_one(self, values: dict[str, Any], future: asyncio.Future[int | None]) -> None:
        try:
            ids = await self._write([values])
        except Exception as error:
            if not future.done():
                future.set_exception(error)
            return
        if not future.done():
            future.set_result(ids.get((values["actor"], values["idempotency_key"])))

    async def _write(self, rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
        """One statement for all rows; the new ids by (actor, key)."""
        if self._dialect == "postgresql":
            # A single statement is atomic by itself: autocommit spares BEGIN and COMMIT.
            async with self._engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                return await self._execute(auto, rows)
        async with self._engine.begin() as conn:
            return await self._execute(conn, rows)

    async def _execute(
        self, conn: AsyncConnection, rows: list[dict[str, Any]]
    ) -> dict[tuple[str, str], int]:
        # executemany with RETURNING: SQLAlchemy's "insertmanyvalues" sends the rows as one
        # multi-row VALUES statement (not one statement per row).
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
