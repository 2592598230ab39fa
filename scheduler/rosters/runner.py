"""Running one solve job: claim it, build the problem, solve off the event loop, store the draft.

Whatever dispatches the job (procrastinate's worker on PostgreSQL, the in-process worker on
SQLite) calls ``run_job``. The solve runs in a thread (CP-SAT releases the GIL), while this
coroutine beats the job's heartbeat every few seconds, writes the best objective and gap so far,
and turns a cancel request into a stop of the search.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.db.base import utcnow
from scheduler.errors import DomainError
from scheduler.org.models import Department, Team
from scheduler.rosters.models import Roster, RosterJob, RosterVersion
from scheduler.rosters.problem_builder import build_problem
from scheduler.rosters.store import Scope
from scheduler.rosters.versions import store_solution
from solver.result import Progress, RosterSolution, SolveStatus
from solver.solve import SolveOptions, solve

log = structlog.get_logger("rota.solve")

HEARTBEAT_S = 2.0
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"


class _Latest:
    """The best progress so far, written by the solver thread, read by the heartbeat."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.progress: Progress | None = None
        self.count = 0

    def __call__(self, progress: Progress) -> None:
        with self.lock:
            self.progress = progress
            self.count += 1


async def _claim(session: AsyncSession, job_id: int) -> bool:
    now = utcnow()
    result = await session.execute(
        update(RosterJob)
        .where(RosterJob.id == job_id, RosterJob.status == "queued")
        .values(status="running", started_at=now, heartbeat_at=now, worker=WORKER_NAME)
    )
    await session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _finish(session: AsyncSession, job_id: int, **values: object) -> bool:
    """End a job this worker still runs; False (nothing written) when it has ended meanwhile.

    The sweeper fails a job whose heartbeat stopped (a worker frozen or cut off for a minute),
    and the manager may then retry it: a worker that comes back must not turn that "failed"
    into "succeeded" (the job answer would contradict itself and two jobs would be live).
    """
    result = await session.execute(
        update(RosterJob)
        .where(RosterJob.id == job_id, RosterJob.status == "running")
        .values(finished_at=utcnow(), **values)
    )
    await session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def run_job(
    sessionmaker: async_sessionmaker[AsyncSession], job_id: int, *, threads: int = 2
) -> str:
    """Run job ``job_id`` to its end and return its final status (or "skipped")."""
    async with sessionmaker() as session:
        if not await _claim(session, job_id):
            log.info("job_skipped", job_id=job_id)
            return "skipped"
    bound_log = log.bind(job_id=job_id)
    try:
        return await _run_claimed(sessionmaker, job_id, threads, bound_log)
    except Exception as exc:
        # A rule the job breaks is the manager's to read; anything else is ours, and its text
        # (SQL, driver and solver internals) belongs in the log, not in the job's answer.
        bound_log.error("job_failed", exc_info=exc)
        error = (
            exc.detail
            if isinstance(exc, DomainError)
            else f"the roster job stopped on an internal error; quote job {job_id} to support"
        )
        async with sessionmaker() as session:
            await _finish(session, job_id, status="failed", error=error[:2000])
        return "failed"


async def _run_claimed(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_id: int,
    threads: int,
    bound_log: structlog.stdlib.BoundLogger,
) -> str:
    async with sessionmaker() as session:
        job = await session.get(RosterJob, job_id)
        assert job is not None
        roster = await session.get(Roster, job.roster_id)
        assert roster is not None
        department = await session.get(Department, roster.department_id)
        assert department is not None
        team = await session.get(Team, roster.team_id) if roster.team_id else None
        scope = Scope(department=department, team=team)
        base = (
            await session.get(RosterVersion, job.base_version_id) if job.base_version_id else None
        )
        latest_draft = await session.scalar(
            select(RosterVersion)
            .where(RosterVersion.roster_id == roster.id, RosterVersion.status == "draft")
            .order_by(RosterVersion.number.desc())
            .limit(1)
        )
        try:
            built = await build_problem(
                session, roster, scope, lock_from=latest_draft, reference=base
            )
        except DomainError as exc:
            await _finish(session, job_id, status="failed", error=exc.detail)
            return "failed"
        time_limit = job.time_limit_s
        requested_by = job.requested_by
        kind = job.kind

    hint = None
    if base is not None:
        hint = built.problem.reference.cells if built.problem.reference else None
    options = SolveOptions(time_limit=time_limit, num_workers=max(1, threads), hint=hint)
    latest = _Latest()
    cancel = threading.Event()
    started = time.monotonic()
    bound_log.info(
        "solve_started",
        staff=len(built.problem.staff),
        days=built.problem.num_days,
        time_limit=time_limit,
    )
    task = asyncio.create_task(asyncio.to_thread(solve, built.problem, options, latest, cancel))
    try:
        await _follow(sessionmaker, job_id, task, latest, cancel, started)
    finally:
        if not task.done():  # the heartbeat failed: stop the search instead of leaving it run
            cancel.set()
            await asyncio.wait({task})
    solution: RosterSolution = task.result()
    bound_log.info(
        "solve_finished",
        status=solution.status.value,
        objective=solution.objective,
        gap=solution.gap,
        seconds=solution.total_time,
    )

    async with sessionmaker() as session:
        # Lock the job for the rest: a cancel or a sweep now waits for this ending, or has
        # happened and is seen here (a swept job's result is dropped, not stored as a draft).
        held = (
            await session.execute(
                select(RosterJob.status, RosterJob.cancel_requested)
                .where(RosterJob.id == job_id)
                .with_for_update()
            )
        ).one()
        if held.status != "running":
            bound_log.warning("job_result_dropped", status=held.status)
            await session.rollback()
            return str(held.status)
        cancelled = bool(held.cancel_requested) or solution.status is SolveStatus.CANCELLED
        roster = await session.get(Roster, roster.id)
        assert roster is not None
        common: dict[str, object] = {
            "elapsed_s": solution.total_time,
            "objective": solution.objective,
            "best_bound": solution.best_bound,
            "gap": solution.gap,
            "solutions": solution.num_solutions,
        }
        if solution.status.has_roster:
            version = await store_solution(
                session,
                roster,
                built.problem,
                solution,
                origin="repair" if kind == "repair" else "solve",
                shift_snapshot=built.shift_snapshot,
                absences=built.absences,
                based_on=base,
                created_by=requested_by,
            )
            # A cancel that arrived while the search was ending is honoured like one before.
            status = "cancelled" if cancelled else "succeeded"
            await _finish(session, job_id, status=status, result_version_id=version.id, **common)
            return status
        if solution.status is SolveStatus.INFEASIBLE:
            explanation = solution.explanation
            await _finish(
                session,
                job_id,
                status="infeasible",
                error=explanation.summary if explanation else "no roster satisfies every hard rule",
                explanation={
                    "summary": explanation.summary
                    if explanation
                    else "no roster satisfies every hard rule",
                    "facts": list(explanation.facts) if explanation else [],
                    "minimal": explanation.minimal if explanation else False,
                },
                **common,
            )
            return "infeasible"
        if solution.status is SolveStatus.CANCELLED_NO_SOLUTION:
            await _finish(
                session,
                job_id,
                status="cancelled",
                error="cancelled before a roster was found",
                **common,
            )
            return "cancelled"
        await _finish(
            session,
            job_id,
            status="failed",
            error=f"no roster was found within the time limit of {time_limit:.0f} s; retry with a longer limit",
            **common,
        )
        return "failed"


async def _follow(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_id: int,
    task: asyncio.Task[RosterSolution],
    latest: _Latest,
    cancel: threading.Event,
    started: float,
) -> None:
    """Beat the job's heartbeat with the best roster so far until the solve ends.

    A cancel request read from the job becomes a stop of the search.
    """
    while not task.done():
        await asyncio.wait({task}, timeout=HEARTBEAT_S)
        async with sessionmaker() as session:
            values: dict[str, object] = {
                "heartbeat_at": utcnow(),
                "elapsed_s": time.monotonic() - started,
            }
            with latest.lock:
                p, count = latest.progress, latest.count
            if p is not None:
                values.update(
                    objective=p.objective,
                    best_bound=p.best_bound,
                    gap=(p.objective - p.best_bound) / max(1, abs(p.objective)),
                    solutions=count,
                )
            beat = await session.execute(
                update(RosterJob)
                .where(RosterJob.id == job_id, RosterJob.status == "running")
                .values(**values)
            )
            await session.commit()
            if not beat.rowcount:  # type: ignore[attr-defined]
                # Swept as dead while this worker was frozen or cut off: the job has ended (and
                # may have been retried), so stop searching; the result will not be stored.
                cancel.set()
                await asyncio.wait({task})
                return
            if await session.scalar(
                select(RosterJob.cancel_requested).where(RosterJob.id == job_id)
            ):
                cancel.set()
