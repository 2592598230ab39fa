"""Handing solve jobs to workers.

On PostgreSQL, jobs travel through procrastinate, a PostgreSQL-backed job queue: it claims work
safely across machines (``SELECT ... FOR UPDATE SKIP LOCKED``), needs no broker besides the
database rota already has, and its workers (``rota worker``) can run anywhere that reaches the
database. On the embedded SQLite default, a worker runs inside ``rota serve``: one process, no
setup. Either way the job's status lives in rota's ``roster_jobs`` table (see ``jobs``).
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import procrastinate
import psycopg_pool
import structlog
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.db.session import make_engine, make_sessionmaker
from scheduler.rosters.jobs import sweep_stale
from scheduler.rosters.runner import WORKER_NAME, run_job
from scheduler.settings import Settings

log = structlog.get_logger("rota.jobs")

QUEUE = "solve"
TASK_NAME = "rota.solve_roster"
#: How often every API process and worker looks for jobs whose heartbeat stopped: a dead
#: worker's job is failed at most this long after its 60 s lease ends (one cheap UPDATE).
SWEEP_EVERY_S = 10.0
#: A queue worker silent this long is dead (procrastinate beats every 10 s by default).
STALLED_WORKER_S = 60.0


class Dispatcher(Protocol):
    """Something that gets a queued job to a worker."""

    async def enqueue(self, job_id: int) -> None:
        """Hand the job over; returns at once."""
        ...

    async def start(self) -> None:
        """Open connections / start background work."""
        ...

    async def stop(self) -> None:
        """Close connections / stop background work."""
        ...


class InProcessDispatcher:
    """Runs solves as tasks of this process, a bounded number at a time (embedded mode)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.slots = asyncio.Semaphore(max(1, settings.solver_max_concurrent))
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """A job left queued or running by a previous run of this process can never finish.

        A database that is away or not migrated yet must not stop the API from starting (its
        /ready says what is wrong): such jobs are then failed by the first sweep that works.
        """
        try:
            async with self.sessionmaker() as session:
                swept = await sweep_stale(session, everything=True)
        except DBAPIError as exc:
            log.warning("jobs_not_swept_at_start", error=str(exc.orig)[:200])
            return
        if swept:
            log.warning("jobs_failed_at_start", count=swept)

    async def enqueue(self, job_id: int) -> None:
        """Start the job in the background of this process."""
        task = asyncio.create_task(self._run(job_id), name=f"solve-job-{job_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, job_id: int) -> None:
        async with self.slots:
            await run_job(self.sessionmaker, job_id, threads=self.settings.solver_threads)

    async def stop(self) -> None:
        """Cancel running solves; their jobs are failed at the next start."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def wait_idle(self) -> None:
        """Wait until every job of this process has ended (tests, the CLI)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


def libpq_url(database_url: str) -> str:
    """The plain ``postgresql://`` form psycopg understands."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class _OpenWithoutWaiting(psycopg_pool.AsyncConnectionPool):
    """A pool that opens at once and connects in the background.

    procrastinate opens its pool waiting for the first connection, so an API started while
    the database is away hung for 30 s and exited: no ``/health``, no 503 from ``/ready``.
    Connections are made when the database answers; a job deferred before then fails like
    any request that needs the database (503, try again).
    """

    async def open(self, wait: bool = False, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Open without waiting for the first connection, whatever the caller asks."""
        await super().open(wait=False, timeout=timeout)


def make_queue_app(settings: Settings) -> procrastinate.App:
    """The procrastinate app with rota's solve task (used by the API to defer, by workers to run)."""
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(settings.database_url),
        min_size=1,
        max_size=4,
        pool_factory=_OpenWithoutWaiting,
    )
    app = procrastinate.App(connector=connector)
    state: dict[str, Any] = {}

    @app.task(name=TASK_NAME, queue=QUEUE)
    async def solve_roster(job_id: int) -> None:
        sm = state.get("sessionmaker")
        if sm is None:
            sm = state["sessionmaker"] = make_sessionmaker(make_engine(settings.database_url))
        await run_job(sm, job_id, threads=settings.solver_threads)

    return app


class QueueDispatcher:
    """Defers jobs to procrastinate; workers elsewhere run them."""

    def __init__(self, settings: Settings) -> None:
        self.app = make_queue_app(settings)

    async def start(self) -> None:
        """Open the queue's connection pool."""
        await self.app.open_async()

    async def enqueue(self, job_id: int) -> None:
        """Put the job on the solve queue."""
        await self.app.tasks[TASK_NAME].defer_async(job_id=job_id)

    async def stop(self) -> None:
        """Close the pool."""
        await self.app.close_async()


def make_dispatcher(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> Dispatcher:
    """The dispatcher for this deployment (see ``Settings.job_backend``)."""
    if settings.effective_job_backend == "inprocess":
        return InProcessDispatcher(sessionmaker, settings)
    return QueueDispatcher(settings)


async def fail_stalled_queue_jobs(app: procrastinate.App) -> int:
    """Close procrastinate's own rows of solves whose worker died (``kill -9``, a lost machine).

    rota's job is failed by :func:`scheduler.rosters.jobs.sweep_stale` (and may be retried as a
    new queue job); without this, the queue's row of the dead attempt stayed ``doing`` forever,
    which every queue dashboard and count then shows as running. Workers whose heartbeat is
    :data:`STALLED_WORKER_S` old are pruned too.
    """
    stalled = list(
        await app.job_manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=STALLED_WORKER_S
        )
    )
    for job in stalled:
        assert job.id is not None
        await app.job_manager.finish_job_by_id_async(
            job.id, status=procrastinate.jobs.Status.FAILED, delete_job=False
        )
    await app.job_manager.prune_stalled_workers(seconds_since_heartbeat=STALLED_WORKER_S)
    return len(stalled)


async def run_worker(settings: Settings, *, wait: bool = True) -> None:
    """``rota worker``: run queued solves, a bounded number at a time, and sweep dead jobs."""
    app = make_queue_app(settings)
    sm = make_sessionmaker(make_engine(settings.database_url))
    queue_open = asyncio.Event()

    async def sweeper() -> None:
        while True:
            async with sm() as session:
                swept = await sweep_stale(session)
            if swept:
                log.warning("stale_jobs_failed", count=swept)
            if not queue_open.is_set():
                await asyncio.sleep(SWEEP_EVERY_S)
                continue
            try:
                closed = await fail_stalled_queue_jobs(app)
            except Exception:  # the queue's pool may be reconnecting: try again next round
                log.warning("stalled_queue_jobs_not_checked", exc_info=True)
            else:
                if closed:
                    log.warning("stalled_queue_jobs_failed", count=closed)
            await asyncio.sleep(SWEEP_EVERY_S)

    sweep_task = asyncio.create_task(sweeper())
    try:
        async with app.open_async():
            queue_open.set()
            await app.run_worker_async(
                queues=[QUEUE],
                concurrency=max(1, settings.solver_max_concurrent),
                name=WORKER_NAME,
                wait=wait,
                install_signal_handlers=wait,
            )
    finally:
        sweep_task.cancel()
