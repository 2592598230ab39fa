"""Roster settings, shift types, calendar, solve jobs, drafts, edits, publishing and repair."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Request, Response, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import ConflictProblem, UnavailableProblem, UnprocessableProblem
from api.schemas.base import PageOut
from api.schemas.query import Limit, Offset
from api.schemas.rosters import (
    CalendarDayIn,
    CalendarDayOut,
    CellEditsIn,
    DiffRowOut,
    DraftIn,
    EditOut,
    PublishIn,
    RepairIn,
    RetryIn,
    RosterConfigIn,
    RosterConfigOut,
    RosterJobIn,
    RosterJobOut,
    RosterSummaryOut,
    ShiftTypeIn,
    ShiftTypeOut,
    ShiftTypePatch,
    VersionSummaryOut,
    ViolationOut,
    WishIn,
    WishOut,
)
from scheduler.auth.principal import Principal
from scheduler.errors import NotFoundError, UnavailableError
from scheduler.org.service import get_department
from scheduler.rosters import calendar as dept_calendar
from scheduler.rosters import config as roster_config
from scheduler.rosters import jobs, service, versions, views, wishes
from scheduler.rosters.models import Roster, RosterJob, RosterVersion, ShiftWish
from scheduler.rosters.store import get_roster, month_end, parse_month, resolve_scope
from scheduler.shifts import service as shifts
from scheduler.shifts.models import ShiftType

# ---------------------------------------------------------------- shift types


def shift_out(s: ShiftType) -> ShiftTypeOut:
    """Public view of a shift type."""
    start, end = shifts.times_of(s)
    return ShiftTypeOut(
        id=s.id,
        department_id=s.department_id,
        code=s.code,
        name=s.name,
        start=start,
        end=end,
        crosses_midnight=s.end_minute > 1440,
        late=s.late,
        never_alone=s.never_alone,
        colour=s.colour,
        active=s.active,
    )


@get(
    "/departments/{department_id:int}/shift-types",
    tags=["roster settings"],
    raises=[NotFoundException],
)
async def list_shift_types(
    department_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> list[ShiftTypeOut]:
    """The department's shift types, by start time."""
    await get_department(db_session, principal, department_id)
    return [shift_out(s) for s in await shifts.list_shift_types(db_session, department_id)]


@post(
    "/departments/{department_id:int}/shift-types",
    tags=["roster settings"],
    status_code=201,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem, UnprocessableProblem],
)
async def create_shift_type(
    department_id: FromPath[int],
    data: JSONBody[ShiftTypeIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> ShiftTypeOut:
    """Add a shift type; an end before the start means it crosses midnight, "24:00" is allowed."""
    department = await get_department(db_session, principal, department_id)
    row = await shifts.create_shift_type(
        db_session, principal, department, msgspec.structs.asdict(data)
    )
    return shift_out(row)


@patch(
    "/shift-types/{shift_id:int}",
    tags=["roster settings"],
    raises=[NotFoundException, PermissionDeniedException, UnprocessableProblem],
)
async def update_shift_type(
    shift_id: FromPath[int],
    data: JSONBody[ShiftTypePatch],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> ShiftTypeOut:
    """Change a shift type; published rosters keep the times they were published with."""
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    return shift_out(await shifts.update_shift_type(db_session, principal, shift_id, changes))


# ---------------------------------------------------------------- settings


@get(
    "/departments/{department_id:int}/roster-config",
    tags=["roster settings"],
    raises=[NotFoundException],
)
async def get_roster_config(
    department_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> RosterConfigOut:
    """The settings in force: demand, rules and weights, meeting slot, calendar options.

    Read unchecked, so settings stored before today's checks can still be seen and corrected.
    """
    await get_department(db_session, principal, department_id)
    merged, version = await roster_config.load_config(db_session, department_id, check=False)
    return RosterConfigOut(department_id=department_id, settings=merged, version=version)


@put(
    "/departments/{department_id:int}/roster-config",
    tags=["roster settings"],
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem, UnprocessableProblem],
)
async def put_roster_config(
    department_id: FromPath[int],
    data: JSONBody[RosterConfigIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> RosterConfigOut:
    """Change some settings: a JSON merge patch on the settings in force (RFC 7396).

    Objects merge at any depth, so a key not sent keeps its value; a value sent replaces it
    (a list such as ``intervals`` as a whole); ``null`` removes a key. A whole section with a
    default comes back with it (``{"demand": {"weekend": null}}``); an entry within one is gone
    (``{"demand": {"weekday": {"early": null}}}`` leaves weekdays with no early-shift demand).
    The merged whole is validated: 422 lists every bad field by its path
    (``settings.demand.weekday.early.minimum``) and nothing is stored.
    """
    department = await get_department(db_session, principal, department_id)
    merged, version = await roster_config.save_config(
        db_session, principal, department, data.settings, data.version
    )
    return RosterConfigOut(department_id=department_id, settings=merged, version=version)


# ---------------------------------------------------------------- calendar


@get(
    "/departments/{department_id:int}/calendar",
    tags=["roster settings"],
    raises=[NotFoundException, UnprocessableProblem],
)
async def get_calendar(
    department_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    month: FromQuery[str],
) -> list[CalendarDayOut]:
    """Holidays and make-up working days of a month: statutory (the country's) and the company's."""
    department = await get_department(db_session, principal, department_id)
    start = parse_month(month)
    end = month_end(start)
    settings, _ = await roster_config.load_config(db_session, department_id)
    statutory_on = bool(settings["calendar"].get("statutory_holidays", True))
    resolved = await dept_calendar.resolve(
        db_session, department, start, end, statutory_holidays=statutory_on
    )
    national, national_work = (
        dept_calendar.statutory(department.country, start, end) if statutory_on else ({}, set())
    )
    out = [
        CalendarDayOut(
            date=d,
            kind="holiday",
            name=n,
            source="statutory" if national.get(d) == n else "company",
        )
        for d, n in resolved.holidays.items()
    ]
    out += [
        CalendarDayOut(
            date=d,
            kind="workday",
            name="make-up working day 调休",
            source="statutory" if d in national_work else "company",
        )
        for d in resolved.makeup_workdays
    ]
    return sorted(out, key=lambda c: c.date)


@post(
    "/departments/{department_id:int}/calendar-days",
    tags=["roster settings"],
    status_code=201,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem, UnprocessableProblem],
)
async def add_calendar_day(
    department_id: FromPath[int],
    data: JSONBody[CalendarDayIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> CalendarDayOut:
    """A company-specific day: holiday, workday, or not_holiday (a statutory holiday worked as usual)."""
    department = await get_department(db_session, principal, department_id)
    row = await dept_calendar.add_company_day(
        db_session, principal, department, data.date, data.kind, data.name
    )
    return CalendarDayOut(date=row.date, kind=row.kind, name=row.name, source="company")


@delete(
    "/departments/{department_id:int}/calendar-days/{day:date}",
    tags=["roster settings"],
    status_code=204,
    raises=[NotFoundException, PermissionDeniedException],
)
async def remove_calendar_day(
    department_id: FromPath[int],
    day: FromPath[dt.date],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> None:
    """Remove a company-specific day."""
    department = await get_department(db_session, principal, department_id)
    await dept_calendar.remove_company_day(db_session, principal, department, day)


# ---------------------------------------------------------------- jobs


async def job_out(session: AsyncSession, job: RosterJob) -> RosterJobOut:
    """Public view of a job, with links to follow."""
    number = await service.version_number(session, job.result_version_id)
    links = {"self": f"/roster-jobs/{job.id}", "roster": f"/rosters/{job.roster_id}"}
    if number is not None:
        links["result"] = f"/rosters/{job.roster_id}/versions/{number}"
    return RosterJobOut(
        id=job.id,
        roster_id=job.roster_id,
        kind=job.kind,
        status=job.status,
        cancel_requested=job.cancel_requested,
        objective=job.objective,
        best_bound=job.best_bound,
        gap=job.gap,
        elapsed_s=job.elapsed_s,
        solutions=job.solutions,
        time_limit_s=job.time_limit_s,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        result_version=number,
        error=job.error,
        explanation=job.explanation,
        retry_of=job.retry_of_id,
        links=links,
    )


async def _dispatch(state: State, session: AsyncSession, job: RosterJob) -> None:
    try:
        await state.dispatcher.enqueue(job.id)
    except Exception as exc:
        job.status = "failed"
        job.error = f"the job queue did not take the job: {type(exc).__name__}"
        await session.commit()
        raise UnavailableError(
            "the job queue is not reachable; the job was marked failed, retry later"
        ) from exc


def _accepted(body: RosterJobOut) -> Response[RosterJobOut]:
    return Response(body, status_code=202, headers={"Location": body.links["self"]})


@post(
    "/roster-jobs",
    tags=["rosters"],
    status_code=202,
    summary="Generate a month's roster (202: a job to follow)",
    raises=[
        NotFoundException,
        PermissionDeniedException,
        ConflictProblem,
        UnprocessableProblem,
        UnavailableProblem,
    ],
)
async def create_roster_job(
    data: JSONBody[RosterJobIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    state: State,
) -> Response[RosterJobOut]:
    """Queue a solve for a team (or a whole department) and month; the result is a draft.

    The solve never runs on the event loop: a worker takes it. Follow the job at the Location.
    """
    scope = await resolve_scope(db_session, principal, data.department_id, data.team_id)
    job = await jobs.request_solve(
        db_session,
        principal,
        scope,
        parse_month(data.month),
        kind="generate",
        time_limit_s=data.time_limit_s,
    )
    await _dispatch(state, db_session, job)
    return _accepted(await job_out(db_session, job))


@get("/roster-jobs/{job_id:int}", tags=["rosters"], raises=[NotFoundException])
async def get_roster_job(
    job_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> RosterJobOut:
    """Status, best objective and gap so far, elapsed time; the explanation when infeasible."""
    job, _ = await jobs.get_job(db_session, principal, job_id)
    return await job_out(db_session, job)


@get("/roster-jobs/{job_id:int}/changes", tags=["rosters"], raises=[NotFoundException])
async def get_roster_job_changes(
    job_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> list[DiffRowOut]:
    """For a finished repair: who changes on which date, from what to what."""
    job, _ = await jobs.get_job(db_session, principal, job_id)
    return [
        DiffRowOut(
            employee_id=c.employee_id,
            employee=c.employee,
            date=c.date,
            before=c.before,
            after=c.after,
        )
        for c in await service.job_changes(db_session, job)
    ]


@delete(
    "/roster-jobs/{job_id:int}",
    tags=["rosters"],
    status_code=202,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem],
)
async def cancel_roster_job(
    job_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> RosterJobOut:
    """Cancel: a queued job at once; a running one stops within seconds, keeping its best roster as a draft."""
    job = await jobs.cancel(db_session, principal, job_id)
    return await job_out(db_session, job)


@post(
    "/roster-jobs/{job_id:int}/retry",
    tags=["rosters"],
    status_code=202,
    raises=[
        NotFoundException,
        PermissionDeniedException,
        ConflictProblem,
        UnprocessableProblem,
        UnavailableProblem,
    ],
)
async def retry_roster_job(
    job_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    state: State,
    data: JSONBody[RetryIn | None] = None,
) -> Response[RosterJobOut]:
    """Run a failed, cancelled or infeasible job again (after fixing what it reported).

    The body is optional: ``{"time_limit_s": 120}`` retries with a longer limit, which is what a
    job that found no roster in time tells the manager to do (without it the retry ran with the
    same limit and failed the same way).
    """
    old, roster = await jobs.get_job(db_session, principal, job_id)
    job = await jobs.retry(
        db_session,
        principal,
        old.id,
        await service.scope_of(db_session, roster),
        time_limit_s=data.time_limit_s if data is not None else None,
    )
    await _dispatch(state, db_session, job)
    return _accepted(await job_out(db_session, job))


# ---------------------------------------------------------------- rosters and versions


def version_summary(v: RosterVersion, based_on: int | None = None) -> VersionSummaryOut:
    """Public summary of a version."""
    return VersionSummaryOut(
        number=v.number,
        status=v.status,
        origin=v.origin,
        revision=v.revision,
        objective=v.objective,
        hard_violations=v.hard_violations,
        created_at=v.created_at,
        published_at=v.published_at,
        published_by=v.published_by,
        based_on=based_on,
        note=v.note,
    )


async def summary_of(session: AsyncSession, v: RosterVersion) -> VersionSummaryOut:
    """A version's summary with the number of the version it was made from."""
    return version_summary(v, await service.version_number(session, v.based_on_id))


async def roster_out(
    session: AsyncSession, roster: Roster, actor: Principal | None = None
) -> RosterSummaryOut:
    """A roster with its versions (for ``actor``: only the versions they may read)."""
    rows = await service.versions_of(session, roster.id, actor)
    numbers = {v.id: v.number for v in rows}
    return RosterSummaryOut(
        id=roster.id,
        department_id=roster.department_id,
        team_id=roster.team_id,
        month=f"{roster.month:%Y-%m}",
        versions=[version_summary(v, numbers.get(v.based_on_id or -1)) for v in rows],
    )


@get("/rosters", tags=["rosters"], raises=[UnprocessableProblem])
async def list_rosters(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    department_id: FromQuery[int | None] = None,
    team_id: FromQuery[int | None] = None,
    month: FromQuery[str | None] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[RosterSummaryOut]:
    """Rosters in the caller's scope, newest month first."""
    page = await service.list_rosters(
        db_session,
        principal,
        department_id=department_id,
        team_id=team_id,
        month=parse_month(month) if month else None,
        limit=limit,
        offset=offset,
    )
    items = [await roster_out(db_session, r, principal) for r in page.items]
    return PageOut(items=items, total=page.total, limit=page.limit, offset=page.offset)


@get("/rosters/{roster_id:int}", tags=["rosters"], raises=[NotFoundException])
async def get_roster_summary(
    roster_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> RosterSummaryOut:
    """A roster and the list of its versions.

    Agents and QA inspectors of the department see it as ``GET /rosters`` lists it for them:
    with the versions staff were told only; a roster with none of those does not exist for them.
    """
    roster = await views.readable_roster(db_session, principal, roster_id)
    out = await roster_out(db_session, roster, principal)
    if not out.versions and not principal.can_read_department(roster.department_id):
        raise NotFoundError(f"roster {roster_id} not found")
    return out


def _if_match(request: Request[Any, Any, Any], body_revision: int | None) -> int | None:
    """The expected revision from the body or an If-Match header (ETag "3" or W/"3")."""
    if body_revision is not None:
        return body_revision
    header = request.headers.get("if-match")
    if header:
        value = header.removeprefix("W/").strip('"')
        if value.isdigit():
            return int(value)
    return None


def _violations(items: Any) -> list[ViolationOut]:
    return [ViolationOut(**versions.violation_json(v)) for v in items]


@patch(
    "/rosters/{roster_id:int}/versions/{number:int}/cells",
    tags=["rosters"],
    summary="Edit cells of a draft (checked; hard violations need override_reason)",
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem, UnprocessableProblem],
)
async def edit_cells(
    roster_id: FromPath[int],
    number: FromPath[int],
    data: JSONBody[CellEditsIn],
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> Response[EditOut]:
    """Assign, clear, lock or unlock cells. Each edit is re-checked by the rule checker.

    An edit that breaks a hard rule is refused (422, listing the violations) unless
    ``override_reason`` is given; the reason is recorded with the edit. Send the draft's
    ``revision`` (or If-Match) to get 409 instead of overwriting someone else's edit.
    """
    roster = await get_roster(db_session, principal, roster_id)
    result = await versions.edit_cells(
        db_session,
        principal,
        roster,
        number,
        [versions.CellEdit(e.employee_id, e.date, e.action, e.shift_code) for e in data.edits],
        expected_revision=_if_match(request, data.revision),
        override_reason=data.override_reason,
    )
    assert result.report is not None
    body = EditOut(
        version=await summary_of(db_session, result.version),
        caused=_violations(result.caused),
        hard_violations=_violations(result.report.hard_violations),
        objective=result.report.objective,
        breakdown=dict(result.report.breakdown),
    )
    return Response(body, headers={"ETag": f'"{result.version.revision}"'})


@post(
    "/rosters/{roster_id:int}/versions/{number:int}/publish",
    tags=["rosters"],
    status_code=200,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem],
)
async def publish_version(
    roster_id: FromPath[int],
    number: FromPath[int],
    data: JSONBody[PublishIn],
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> VersionSummaryOut:
    """Make a draft the roster of record (immutable, numbered, who and when)."""
    roster = await get_roster(db_session, principal, roster_id)
    version = await versions.publish(
        db_session,
        principal,
        roster,
        number,
        expected_revision=_if_match(request, data.revision),
        override_reason=data.override_reason,
    )
    summary = await summary_of(db_session, version)
    report = await versions.check_version(db_session, version)
    broken = [
        *report.hard_violations,
        *await versions.boundary_violations(db_session, roster, version),
    ]
    summary.violations = [versions.violation_json(v) for v in broken]
    return summary


@delete(
    "/rosters/{roster_id:int}/versions/{number:int}",
    tags=["rosters"],
    status_code=200,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem],
)
async def discard_version(
    roster_id: FromPath[int],
    number: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> VersionSummaryOut:
    """Discard a draft (kept in the history as discarded); published versions cannot be."""
    roster = await get_roster(db_session, principal, roster_id)
    return await summary_of(
        db_session, await versions.discard(db_session, principal, roster, number)
    )


@post(
    "/rosters/{roster_id:int}/drafts",
    tags=["rosters"],
    status_code=201,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem],
)
async def create_draft(
    roster_id: FromPath[int],
    data: JSONBody[DraftIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> VersionSummaryOut:
    """A new draft copied from a version (default: the published one), to edit and publish."""
    roster = await get_roster(db_session, principal, roster_id)
    return await summary_of(
        db_session, await versions.new_draft(db_session, principal, roster, data.from_version)
    )


@post(
    "/rosters/{roster_id:int}/repair",
    tags=["rosters"],
    status_code=202,
    summary="Repair the published roster after facts changed (202: a job)",
    raises=[
        NotFoundException,
        PermissionDeniedException,
        ConflictProblem,
        UnprocessableProblem,
        UnavailableProblem,
    ],
)
async def repair_roster(
    roster_id: FromPath[int],
    data: JSONBody[RepairIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    state: State,
) -> Response[RosterJobOut]:
    """Re-solve with today's facts (leave, staff changes) and the fewest changes to the published roster.

    The result is a draft; GET /roster-jobs/{id}/changes lists who changes on which date.
    """
    roster = await get_roster(db_session, principal, roster_id)
    scope = await service.scope_of(db_session, roster)
    job = await jobs.request_solve(
        db_session, principal, scope, roster.month, kind="repair", time_limit_s=data.time_limit_s
    )
    await _dispatch(state, db_session, job)
    return _accepted(await job_out(db_session, job))


# ---------------------------------------------------------------- wishes


def wish_out(w: ShiftWish) -> WishOut:
    """Public view of a wish."""
    return WishOut(
        id=w.id,
        employee_id=w.employee_id,
        date=w.date,
        kind=w.kind,
        shift_code=w.shift_code,
        weight=w.weight,
        note=w.note,
    )


@post(
    "/employees/{employee_id:int}/wishes",
    tags=["rosters"],
    summary="File a wish for a future roster (shift on, shift off, day off)",
    status_code=201,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem, UnprocessableProblem],
)
async def add_wish(
    employee_id: FromPath[int],
    data: JSONBody[WishIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> WishOut:
    """The person themself (or their manager); honoured by the next solve where the rules allow."""
    wish = await wishes.add_wish(
        db_session,
        principal,
        employee_id,
        data.date,
        data.kind,
        data.shift_code,
        data.weight,
        data.note,
    )
    return wish_out(wish)


@get("/wishes", tags=["rosters"], raises=[NotFoundException, UnprocessableProblem])
async def list_wishes(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    month: FromQuery[str],
    department_id: FromQuery[int | None] = None,
    employee_id: FromQuery[int | None] = None,
) -> list[WishOut]:
    """A month's wishes: your own by default; a department's for its manager and leads."""
    rows = await wishes.list_wishes(
        db_session,
        principal,
        department_id=department_id,
        employee_id=employee_id,
        month=parse_month(month),
    )
    return [wish_out(w) for w in rows]


@delete(
    "/wishes/{wish_id:int}",
    tags=["rosters"],
    status_code=204,
    raises=[NotFoundException, PermissionDeniedException],
)
async def withdraw_wish(
    wish_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> None:
    """Withdraw a wish."""
    await wishes.withdraw_wish(db_session, principal, wish_id)


ROUTES = [
    add_wish,
    list_wishes,
    withdraw_wish,
    list_shift_types,
    create_shift_type,
    update_shift_type,
    get_roster_config,
    put_roster_config,
    get_calendar,
    add_calendar_day,
    remove_calendar_day,
    create_roster_job,
    get_roster_job,
    get_roster_job_changes,
    cancel_roster_job,
    retry_roster_job,
    list_rosters,
    get_roster_summary,
    edit_cells,
    publish_version,
    discard_version,
    create_draft,
    repair_roster,
]
