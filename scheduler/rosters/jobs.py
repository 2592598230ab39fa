"""Solve jobs: asking for a roster, following its progress, cancelling, retrying, sweeping.

The job's status and progress live in rota's own table, so the API answers without asking the
queue; the queue (procrastinate on PostgreSQL, an in-process worker on SQLite) only carries the
job id to a worker. A job never stays "running" forever: a worker beats a heartbeat while it
solves, and the sweeper marks a job whose heartbeat stopped as failed, to be retried.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.db.base import utcnow
from scheduler.errors import ConflictError, NotFoundError, ValidationFailedError
from scheduler.rosters.models import Roster, RosterJob
from scheduler.rosters.problem_builder import build_problem
from scheduler.rosters.store import Scope, published_version

ACTIVE = ("queued", "running")
FINAL = ("succeeded", "infeasible", "failed", "cancelled")
#: A running job whose heartbeat is older than this is presumed dead.
HEARTBEAT_LEASE = dt.timedelta(seconds=60)
MAX_TIME_LIMIT_S = 3600.0


async def get_or_create_roster(session: AsyncSession, scope: Scope, month: dt.date) -> Roster:
    """The roster of a scope and month, created on first use."""
    roster = await session.scalar(
        select(Roster).where(Roster.scope_key == scope.key, Roster.month == month)
    )
    if roster is None:
        roster = Roster(
            department_id=scope.department.id,
            team_id=scope.team.id if scope.team else None,
            scope_key=scope.key,
            month=month,
        )
        session.add(roster)
        await session.flush()
    return roster


async def request_solve(
    session: AsyncSession,
    actor: Principal,
    scope: Scope,
    month: dt.date,
    *,
    kind: str = "generate",
    time_limit_s: float | None = None,
) -> RosterJob:
    """Queue a generate or repair job (the caller dispatches it after this commits).

    The problem is built once here, so a roster that cannot even be set up (no staff, no shift
    types, bad settings) is refused at once with a 422 instead of failing in a worker later.
    """
    actor.require(
        actor.can_manage_department(scope.department.id), "generate rosters for this department"
    )
    if time_limit_s is not None and not 1 <= time_limit_s <= MAX_TIME_LIMIT_S:
        raise ValidationFailedError(
            "time limit out of range",
            errors=[
                {"field": "time_limit_s", "message": f"between 1 and {MAX_TIME_LIMIT_S:.0f} s"}
            ],
        )
    roster = await get_or_create_roster(session, scope, month)
    await session.execute(select(Roster.id).where(Roster.id == roster.id).with_for_update())
    busy = await session.scalar(
        select(RosterJob.id).where(RosterJob.roster_id == roster.id, RosterJob.status.in_(ACTIVE))
    )
    if busy:
        raise ConflictError(
            f"job {busy} is already working on this roster; wait for it or cancel it", job_id=busy
        )
    base = None
    if kind == "repair":
        base = await published_version(session, roster.id)
        if base is None:
            raise ConflictError(
                "there is no published roster to repair; generate and publish one first"
            )
    built = await build_problem(session, roster, scope, reference=base)
    job = RosterJob(
        roster_id=roster.id,
        kind=kind,
        status="queued",
        requested_by=actor.user_ref,
        base_version_id=base.id if base else None,
        time_limit_s=float(time_limit_s or built.time_limit_s),
    )
    session.add(job)
    await session.commit()
    return job


async def get_job(session: AsyncSession, actor: Principal, job_id: int) -> tuple[RosterJob, Roster]:
    """A job in the caller's department scope."""
    job = await session.get(RosterJob, job_id, populate_existing=True)
    roster = await session.get(Roster, job.roster_id) if job else None
    if job is None or roster is None or not actor.can_read_department(roster.department_id):
        raise NotFoundError(f"job {job_id} not found")
    return job, roster


async def cancel(session: AsyncSession, actor: Principal, job_id: int) -> RosterJob:
    """Cancel a job: a queued one at once; a running one stops at its next heartbeat."""
    job, roster = await get_job(session, actor, job_id)
    actor.require(
        actor.can_manage_department(roster.department_id), "cancel roster jobs of this department"
    )
    job = (
        await session.scalars(
            select(RosterJob)
            .where(RosterJob.id == job_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    if job.status == "queued":
        job.status = "cancelled"
        job.finished_at = utcnow()
        job.error = "cancelled before it started"
    elif job.status == "running":
        job.cancel_requested = True
    else:
        raise ConflictError(f"job {job_id} has already ended ({job.status})")
    await session.commit()
    return job


async def retry(
    session: AsyncSession,
    actor: Principal,
    job_id: int,
    scope: Scope,
    *,
    time_limit_s: float | None = None,
) -> RosterJob:
    """A new job for the same roster as a failed, cancelled or infeasible one.

    ``time_limit_s`` replaces the old job's limit (a job that found no roster in time).
    """
    job, roster = await get_job(session, actor, job_id)
    # Who may retry is asked before the job's state: a team lead or GM who may read the job
    # gets 403 for any job, not a 409 that suggests a failed one would be theirs to run again.
    actor.require(
        actor.can_manage_department(roster.department_id), "retry roster jobs of this department"
    )
    if job.status not in ("failed", "cancelled", "infeasible"):
        raise ConflictError(
            f"job {job_id} is {job.status}; only failed, cancelled or infeasible jobs are retried"
        )
    new = await request_solve(
        session,
        actor,
        scope,
        roster.month,
        kind=job.kind,
        time_limit_s=time_limit_s if time_limit_s is not None else job.time_limit_s,
    )
    new.retry_of_id = job.id
    await session.commit()
    return new


async def sweep_stale(
    session: AsyncSession, *, now: dt.datetime | None = None, everything: bool = False
) -> int:
    """Fail running jobs whose worker stopped beating (or all unfinished jobs, at a restart).

    ``everything`` is for the embedded single-process mode: when it starts, no job of a previous
    run can still be alive.
    """
    now = now or utcnow()
    stmt = update(RosterJob).values(
        status="failed",
        finished_at=now,
        error="the worker stopped (process restarted or died); retry the job",
    )
    if everything:
        stmt = stmt.where(RosterJob.status.in_(ACTIVE))
    else:
        stmt = stmt.where(
            RosterJob.status == "running", RosterJob.heartbeat_at < now - HEARTBEAT_LEASE
        )
    result = await session.execute(stmt)
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
