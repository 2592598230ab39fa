"""Leave: filing under DOMAIN.md's rules, certificates, reading, calling off, balances.

Filing rules (seed 004): personal leave is asked for by the person at least a day ahead; only the
department manager may mark leave an emergency (asked for by phone, paperwork after) or record
dates already past; sick leave (and other ``proxy`` types) may be filed on someone's behalf by
their department manager or team lead; sick leave of two working days or more needs a medical
certificate, due on the first working day after it, and shows "certificate missing" until a
document reference is attached. A request's length is counted in working days
(:mod:`scheduler.leave.days`). Overlapping active requests of one person are refused; the
employee row is locked while filing so two requests sent at once cannot both pass that check.

Approval goes through ``scheduler.approvals`` (kind ``leave``; the chain from the department's
policy by working days); what a decision does to the rosters is :mod:`scheduler.leave.approval`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.approvals import service as approvals
from scheduler.auth.principal import Principal
from scheduler.auth.roles import ORGANISATION_ROLES, OWN_DATA_ROLES, Role
from scheduler.db.base import utcnow
from scheduler.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from scheduler.leave.days import PlanDay, day_plan, first_working_day_after
from scheduler.leave.models import ACTIVE_STATUSES, LeaveBalance, LeaveRequest
from scheduler.leave.types import LeaveType, type_of, types_of
from scheduler.org.models import Department
from scheduler.people.models import Employee

#: Roles that may file proxy-able leave (sick leave) for someone of their department. The
#: supervisor is among them: DOMAIN.md lets them act for the manager.
PROXY_ROLES = frozenset({Role.DEPT_MANAGER, Role.SUPERVISOR, Role.TEAM_LEAD})
#: Hard rules that mean "too few people" after leave is marked.
SHORTFALL_RULES = frozenset({"demand_minimum", "never_alone", "trainee_not_alone", "meeting"})
MAX_RANGE_DAYS = 366
#: How far from today a request's dates may lie: a year ahead to plan, a year back for the manager
#: to record a past absence. Further is a typing mistake (9999-12-30), not a plan.
HORIZON_DAYS = 366


# ---------------------------------------------------------------- filing


@dataclass(frozen=True, slots=True)
class LeaveInput:
    """What a client asks for."""

    employee_id: int
    type_code: str
    start_date: dt.date
    end_date: dt.date
    half: str | None = None
    reason: str | None = None
    emergency: bool = False
    certificate_ref: str | None = None


async def _lock_employee(session: AsyncSession, actor: Principal, employee_id: int) -> Employee:
    employee = await session.scalar(
        select(Employee)
        .where(Employee.id == employee_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if employee is None or not actor.can_read_employee(employee.id, employee.department_id):
        raise NotFoundError(f"employee {employee_id} not found")
    return employee


def _who_files(
    actor: Principal, employee: Employee, lt: LeaveType, data: LeaveInput, today: dt.date
) -> None:
    """Refuse a filer DOMAIN.md does not allow (403) or a choice only a manager may make (422)."""
    is_self = actor.employee_id == employee.id
    in_dept = actor.department_id == employee.department_id
    is_manager = actor.role == Role.DEPT_MANAGER and in_dept
    if not is_self:
        if not (actor.role in PROXY_ROLES and in_dept):
            raise PermissionDeniedError(
                "leave is asked for by the person; sick leave may be filed for them by their "
                "department manager, supervisor or team lead"
            )
        if not lt.proxy and not (is_manager and (data.emergency or data.start_date < today)):
            raise PermissionDeniedError(
                f"{lt.name} must be asked for by the person themself (the manager may only record "
                "an emergency or a past absence)"
            )
    if data.emergency and not is_manager:
        raise ValidationFailedError(
            "only the department manager marks leave as an emergency",
            errors=[{"field": "emergency", "message": "ask your manager, who records it"}],
        )
    if data.start_date < today and not is_manager:
        raise ValidationFailedError(
            "dates already past need the manager: ask them to record the absence",
            errors=[{"field": "start_date", "message": f"today is {today.isoformat()}"}],
        )


def _shape_errors(lt: LeaveType, data: LeaveInput) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if not lt.active:
        errors.append({"field": "type", "message": f"{lt.code} is not in use in this department"})
    if data.end_date < data.start_date:
        errors.append({"field": "end_date", "message": "on or after start_date"})
    elif (data.end_date - data.start_date).days >= MAX_RANGE_DAYS:
        errors.append(
            {"field": "end_date", "message": f"at most {MAX_RANGE_DAYS} days in one request"}
        )
    if data.half is not None:
        if data.half not in ("am", "pm"):
            errors.append({"field": "half", "message": "am, pm or null"})
        elif data.start_date != data.end_date:
            errors.append({"field": "half", "message": "a half day starts and ends on one date"})
        elif not lt.half_days:
            errors.append({"field": "half", "message": f"{lt.code} leave is taken in whole days"})
    return errors


async def _joined(
    session: AsyncSession, employee: Employee, department: Department, data: LeaveInput
) -> list[LeaveRequest]:
    """The person's pending or approved leave that makes one absence with this request.

    DOMAIN.md: leave of three days or more climbs manager, HR and general manager, and sick
    leave of two days or more needs a certificate. Four days asked as two requests of two, back
    to back (or with only rest days between), are one absence of four days; judged one by one,
    each would skip HR and the general manager. Half days join nothing.
    """
    if data.half:
        return []
    window = dt.timedelta(days=MAX_RANGE_DAYS)
    nearby = list(
        await session.scalars(
            select(LeaveRequest)
            .where(
                LeaveRequest.employee_id == employee.id,
                LeaveRequest.status.in_(ACTIVE_STATUSES),
                LeaveRequest.half.is_(None),
                LeaveRequest.end_date >= data.start_date - window,
                LeaveRequest.start_date <= data.end_date + window,
            )
            .order_by(LeaveRequest.start_date)
        )
    )
    if not nearby:
        return []
    lo = min(data.start_date, nearby[0].start_date)
    hi = max(data.end_date, max(r.end_date for r in nearby))
    working = {p.date for p in await day_plan(session, employee, department, lo, hi) if p.counted}

    def touching(a_end: dt.date, b_start: dt.date) -> bool:
        """Nothing but rest days lies between ``a_end`` and ``b_start``."""
        return not any(
            a_end + dt.timedelta(days=i) in working for i in range(1, (b_start - a_end).days)
        )

    joined: list[LeaveRequest] = []
    first, last = data.start_date, data.end_date
    grown = True
    while grown:
        grown = False
        for r in nearby:
            if r in joined:
                continue
            if (r.end_date < first and touching(r.end_date, first)) or (
                r.start_date > last and touching(last, r.start_date)
            ):
                joined.append(r)
                first, last = min(first, r.start_date), max(last, r.end_date)
                grown = True
    return sorted(joined, key=lambda r: r.start_date)


def _within_horizon(data: LeaveInput, today: dt.date) -> None:
    """422 for dates more than :data:`HORIZON_DAYS` from today (checked before any arithmetic)."""
    latest = today + dt.timedelta(days=HORIZON_DAYS)
    earliest = today - dt.timedelta(days=HORIZON_DAYS)
    errors = [
        {"field": name, "message": f"between {earliest.isoformat()} and {latest.isoformat()}"}
        for name, value in (("start_date", data.start_date), ("end_date", data.end_date))
        if not earliest <= value <= latest
    ]
    if errors:
        raise ValidationFailedError(
            f"leave is asked for at most {HORIZON_DAYS} days ahead (or recorded as far back)",
            errors=errors,
        )


async def _overlapping(
    session: AsyncSession, employee_id: int, data: LeaveInput
) -> LeaveRequest | None:
    rows = await session.scalars(
        select(LeaveRequest).where(
            LeaveRequest.employee_id == employee_id,
            LeaveRequest.status.in_(ACTIVE_STATUSES),
            LeaveRequest.start_date <= data.end_date,
            LeaveRequest.end_date >= data.start_date,
        )
    )
    for other in rows.all():
        halves = {other.half, data.half}
        if halves == {"am", "pm"} and other.start_date == data.start_date:
            continue  # morning and afternoon of one day do not overlap
        return other
    return None


async def balance_left(
    session: AsyncSession,
    employee: Employee,
    kind: str,
    year: int,
    *,
    exclude_id: int | None = None,
) -> tuple[float, float]:
    """(entitled, used) days of a balance in a year; used counts pending and approved requests.

    A request over New Year draws each working day from the year it falls in (its ``schedule``
    says which dates it takes): annual leave is granted per year, so Dec 31 and Jan 2 are one day
    of each year's entitlement, not two of the first (which refused leave the person had).
    """
    types = await types_of(session, employee.department_id)
    codes = [c for c, t in types.items() if t.balance == kind]
    row = await session.scalar(
        select(LeaveBalance).where(
            LeaveBalance.employee_id == employee.id,
            LeaveBalance.year == year,
            LeaveBalance.kind == kind,
        )
    )
    if row is not None:
        entitled = row.days
    else:
        entitled = max((types[c].default_entitlement for c in codes), default=0.0)
    stmt = select(LeaveRequest).where(
        LeaveRequest.employee_id == employee.id,
        LeaveRequest.type_code.in_(codes),
        LeaveRequest.status.in_(ACTIVE_STATUSES),
        LeaveRequest.start_date <= dt.date(year, 12, 31),
        LeaveRequest.end_date >= dt.date(year, 1, 1),
    )
    if exclude_id is not None:
        stmt = stmt.where(LeaveRequest.id != exclude_id)
    used = sum(days_in_year(r, year) for r in await session.scalars(stmt))
    return float(entitled), float(used)


def days_in_year(leave: LeaveRequest, year: int) -> float:
    """The working days of ``leave`` that fall in ``year`` (a range over New Year is split)."""
    if leave.start_date.year == leave.end_date.year or leave.half or not leave.schedule:
        # One year (or a request stored without its dates): all of it counts where it starts.
        return leave.days if leave.start_date.year == year else 0.0
    return float(
        sum(
            1
            for p in leave.schedule
            if p.get("counted") and dt.date.fromisoformat(str(p["date"])).year == year
        )
    )


async def _check_balance(
    session: AsyncSession,
    employee: Employee,
    lt: LeaveType,
    days: float,
    counted: Sequence[PlanDay],
) -> None:
    """422 when a year's balance cannot pay for this request's days in that year.

    Each year the request touches is checked on its own (leave over New Year draws on both), and
    the answer names the year, the days left and the days asked of it.
    """
    assert lt.balance is not None
    by_year: dict[int, float] = {}
    for p in counted:
        by_year[p.date.year] = by_year.get(p.date.year, 0.0) + 1.0
    if days < 1:  # a half day
        by_year = {year: days for year in by_year}
    for year, asked in sorted(by_year.items()):
        entitled, used = await balance_left(session, employee, lt.balance, year)
        if used + asked > entitled:
            left = max(entitled - used, 0)
            of_all = f" (of {days:g} in this request)" if asked != days else ""
            raise ValidationFailedError(
                f"not enough {lt.balance} balance for {year}: {left:g} day(s) left, "
                f"{asked:g} asked{of_all}",
                errors=[{"field": "type", "message": f"{left:g} day(s) left in {year}"}],
            )


@dataclass(frozen=True, slots=True)
class Filed:
    """A leave request as filed, and whether this was a retry answered with the stored one."""

    leave: LeaveRequest
    replayed: bool = False


async def file_leave(
    session: AsyncSession,
    actor: Principal,
    data: LeaveInput,
    idem: approvals.Idempotency | None = None,
) -> Filed:
    """Check a leave request against every rule, store it and open its approval (commits).

    With an ``Idempotency-Key`` (a phone retrying on a bad connection), a retry gets the request
    the first attempt filed instead of a 409 for overlapping itself. The employee's row lock
    serialises concurrent retries, so the second one finds the first one's stored answer.
    """
    employee = await _lock_employee(session, actor, data.employee_id)
    stored = await approvals.stored_answer(session, actor, idem)
    if stored is not None:
        earlier = await session.get(LeaveRequest, int(stored["leave_request_id"]))
        if earlier is not None:  # the row lock goes with the request's transaction
            return Filed(earlier, replayed=True)
    if not employee.active:
        raise ValidationFailedError(
            "this person has left", errors=[{"field": "employee_id", "message": "inactive"}]
        )
    department = await session.get(Department, employee.department_id)
    assert department is not None
    lt = await type_of(session, department.id, data.type_code)
    if errors := _shape_errors(lt, data):
        raise ValidationFailedError("the leave request is not valid", errors=errors)
    today = approvals.local_today(department.timezone)
    _within_horizon(data, today)
    _who_files(actor, employee, lt, data, today)
    # Notice is asked of a request, not of the manager recording an absence already past (which
    # _who_files allowed the manager only): 事假 taken last week cannot have been asked ahead.
    if lt.min_notice_days and not data.emergency and data.start_date >= today:
        first = today + dt.timedelta(days=lt.min_notice_days)
        if data.start_date < first:
            raise ValidationFailedError(
                f"{lt.name} is asked for at least {lt.min_notice_days} day(s) ahead: the earliest "
                f"start is {first.isoformat()}; an emergency is recorded by the department manager",
                errors=[{"field": "start_date", "message": f"on or after {first.isoformat()}"}],
            )
    plan = await day_plan(session, employee, department, data.start_date, data.end_date)
    counted = [p for p in plan if p.counted]
    if not counted:
        raise ValidationFailedError(
            "no working day in this range: rest days are not leave",
            errors=[{"field": "start_date", "message": "the person does not work on these dates"}],
        )
    days = 0.5 if data.half else float(len(counted))
    if lt.max_days is not None and days > lt.max_days:
        raise ValidationFailedError(
            f"{lt.name} is at most {lt.max_days:g} working days per request, this is {days:g}",
            errors=[{"field": "end_date", "message": f"at most {lt.max_days:g} working days"}],
        )
    if (other := await _overlapping(session, employee.id, data)) is not None:
        raise ConflictError(
            f"leave request {other.id} ({other.type_code}, {other.start_date} to {other.end_date}, "
            f"{other.status}) already covers some of these dates",
            errors=[{"field": "start_date", "message": f"overlaps leave request {other.id}"}],
            overlapping_id=other.id,
        )
    if lt.balance is not None:
        await _check_balance(session, employee, lt, days, counted)
    joined = await _joined(session, employee, department, data)
    absence = days + sum(r.days for r in joined)
    same = [r for r in joined if r.type_code == lt.code]
    due = None
    if lt.certificate_from_days is not None and (
        days + sum(r.days for r in same) >= lt.certificate_from_days
    ):
        last = max([data.end_date, *(r.end_date for r in same)])
        due = await first_working_day_after(session, employee, department, last)
    leave = LeaveRequest(
        employee_id=employee.id,
        department_id=department.id,
        type_code=lt.code,
        start_date=data.start_date,
        end_date=data.end_date,
        half=data.half,
        days=days,
        schedule=[p.json(data.half) for p in plan],
        reason=data.reason,
        status="pending",
        emergency=data.emergency,
        filed_by=actor.user_ref,
        on_behalf=actor.employee_id != employee.id,
        certificate_due=due,
        certificate_ref=data.certificate_ref if due else None,
        certificate_at=utcnow() if due and data.certificate_ref else None,
    )
    session.add(leave)
    await session.flush()
    span = data.start_date.isoformat() + (
        "" if data.start_date == data.end_date else f" to {data.end_date}"
    )
    request = await approvals.submit(
        session,
        kind="leave",
        subject_id=leave.id,
        department_id=department.id,
        requester=actor,
        employee_id=employee.id,
        # One absence split into requests climbs the ladder its whole length asks for.
        days=absence,
        summary=f"{employee.name}: {lt.code} {span}"
        + (f" ({data.half})" if data.half else "")
        + (
            f", with leave request {', '.join(str(r.id) for r in joined)} one absence of "
            f"{absence:g} working days"
            if joined
            else ""
        ),
    )
    leave.approval_id = request.id
    approvals.remember(session, actor, idem, 201, {"leave_request_id": leave.id})
    await session.commit()
    return Filed(leave)


# ---------------------------------------------------------------- reading


async def get_leave(session: AsyncSession, actor: Principal, leave_id: int) -> LeaveRequest:
    """One request the actor may see."""
    leave = await session.get(LeaveRequest, leave_id, populate_existing=True)
    if leave is None or not actor.can_read_employee(leave.employee_id, leave.department_id):
        raise NotFoundError(f"leave request {leave_id} not found")
    return leave


async def todays(session: AsyncSession, leaves: Sequence[LeaveRequest]) -> dict[int, dt.date]:
    """Today's date on each leave's department wall clock (certificates fall due there)."""
    ids = {leave.department_id for leave in leaves}
    if not ids:
        return {}
    rows = await session.execute(
        select(Department.id, Department.timezone).where(Department.id.in_(ids))
    )
    return {dept: approvals.local_today(zone) for dept, zone in rows.all()}


def certificate_status(leave: LeaveRequest, today: dt.date) -> str | None:
    """None (not needed), ``attached``, ``missing`` (not yet due) or ``overdue``.

    Leave that was withdrawn, rejected or cancelled never happened, so no certificate is owed for
    it: a phone must not tell the person to bring one, nor the manager's "who owes a certificate"
    list chase them for it.
    """
    if leave.certificate_due is None or leave.status not in ACTIVE_STATUSES:
        return None
    if leave.certificate_ref:
        return "attached"
    return "overdue" if today > leave.certificate_due else "missing"


async def list_leave(
    session: AsyncSession,
    actor: Principal,
    *,
    employee_id: int | None = None,
    department_id: int | None = None,
    status: str | None = None,
    type_code: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    certificate_missing: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[LeaveRequest], int]:
    """Requests in the actor's scope: agents their own, department roles their department."""
    stmt = select(LeaveRequest)
    if actor.role in ORGANISATION_ROLES:
        pass
    elif actor.role in OWN_DATA_ROLES:
        stmt = stmt.where(LeaveRequest.employee_id == (actor.employee_id or -1))
    else:
        stmt = stmt.where(
            or_(
                LeaveRequest.department_id == actor.department_id,
                LeaveRequest.employee_id == (actor.employee_id or -1),
            )
        )
    if employee_id is not None:
        stmt = stmt.where(LeaveRequest.employee_id == employee_id)
    if department_id is not None:
        stmt = stmt.where(LeaveRequest.department_id == department_id)
    if status is not None:
        stmt = stmt.where(LeaveRequest.status == status)
    if type_code is not None:
        stmt = stmt.where(LeaveRequest.type_code == type_code)
    if start is not None:
        stmt = stmt.where(LeaveRequest.end_date >= start)
    if end is not None:
        stmt = stmt.where(LeaveRequest.start_date <= end)
    if certificate_missing is not None:
        missing = and_(  # as certificate_status: only leave that still holds its dates
            LeaveRequest.certificate_due.is_not(None),
            LeaveRequest.certificate_ref.is_(None),
            LeaveRequest.status.in_(ACTIVE_STATUSES),
        )
        stmt = stmt.where(missing if certificate_missing else ~missing)
    total = int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = await session.scalars(
        stmt.order_by(LeaveRequest.start_date.desc(), LeaveRequest.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), total


async def _locked_leave(session: AsyncSession, actor: Principal, leave_id: int) -> LeaveRequest:
    """A request the actor may see, locked for the change about to be made (404 otherwise)."""
    leave = await session.scalar(
        select(LeaveRequest)
        .where(LeaveRequest.id == leave_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if leave is None or not actor.can_read_employee(leave.employee_id, leave.department_id):
        raise NotFoundError(f"leave request {leave_id} not found")
    return leave


async def attach_certificate(
    session: AsyncSession, actor: Principal, leave_id: int, reference: str
) -> LeaveRequest:
    """Record the medical certificate (a document reference); the person or a proxy may."""
    leave = await _locked_leave(session, actor, leave_id)
    in_dept = actor.department_id == leave.department_id
    if actor.employee_id != leave.employee_id and not (actor.role in PROXY_ROLES and in_dept):
        raise PermissionDeniedError(
            "the person, their manager, supervisor or team lead attaches a certificate"
        )
    if leave.certificate_due is None:
        raise ValidationFailedError(
            "this leave needs no certificate",
            errors=[{"field": "reference", "message": "only sick leave of 2 working days or more"}],
        )
    if leave.status not in ACTIVE_STATUSES:
        raise ConflictError(f"leave request {leave_id} is {leave.status}")
    if not reference.strip():
        raise ValidationFailedError(
            "empty reference", errors=[{"field": "reference", "message": "a document reference"}]
        )
    leave.certificate_ref = reference.strip()
    leave.certificate_at = utcnow()
    leave.revision += 1
    await session.commit()
    return leave


async def cancel_leave(
    session: AsyncSession,
    actor: Principal,
    leave_id: int,
    reason: str | None,
    today: dt.date | None = None,
) -> LeaveRequest:
    """Call off approved leave: the person before it begins, their department manager any time.

    The approval request ends as ``cancelled`` (audited, with the reason), the balance is freed,
    and each published roster the leave changed gets a new version giving back the shifts the
    leave took, where those cells still show this leave. Attendance then judges those days by the
    restored shifts. Pending leave is withdrawn through its approval instead.
    """
    leave = await _locked_leave(session, actor, leave_id)
    is_self = actor.employee_id == leave.employee_id
    is_manager = actor.role == Role.ADMIN or (
        actor.role == Role.DEPT_MANAGER and actor.department_id == leave.department_id
    )
    if not (is_self or is_manager):
        raise PermissionDeniedError("leave is called off by the person or their department manager")
    if leave.status == "pending":
        raise ConflictError(
            f"leave request {leave_id} is still pending: withdraw it "
            f"(POST /approvals/{leave.approval_id}/withdraw)"
        )
    if leave.status != "approved":
        raise ConflictError(f"leave request {leave_id} is {leave.status}")
    department = await session.get(Department, leave.department_id)
    today = today or approvals.local_today(department.timezone if department else "Asia/Shanghai")
    if not is_manager and leave.start_date <= today:
        raise ConflictError(
            f"this leave began on {leave.start_date.isoformat()}: "
            "only the department manager can call it off now"
        )
    text = (reason or "").strip()
    if not is_self and not text:
        raise ValidationFailedError(
            "a reason is needed to call off someone else's leave",
            errors=[{"field": "reason", "message": "say why (it is audited)"}],
        )
    if leave.approval_id is None:
        raise ConflictError(f"leave request {leave_id} has no approval to end")
    await approvals.cancel_in_transaction(
        session, leave.approval_id, actor, text or "called off by the person", approved_too=True
    )
    await session.commit()
    return leave


# ---------------------------------------------------------------- balances


async def balances(
    session: AsyncSession, actor: Principal, employee_id: int, year: int
) -> list[dict[str, Any]]:
    """Entitled, used and left days of each balance kind in a year."""
    employee = await session.get(Employee, employee_id)
    if employee is None or not actor.can_read_employee(employee.id, employee.department_id):
        raise NotFoundError(f"employee {employee_id} not found")
    rows = await session.execute(
        select(LeaveBalance.kind, LeaveBalance.note).where(
            LeaveBalance.employee_id == employee.id, LeaveBalance.year == year
        )
    )
    notes: dict[str, str | None] = {kind: note for kind, note in rows.all()}
    out = []
    for kind in ("annual", "toil"):
        entitled, used = await balance_left(session, employee, kind, year)
        out.append(
            {
                "kind": kind,
                "year": year,
                "entitled": entitled,
                "used": used,
                "left": entitled - used,
                # The note set with the balance (which extra days earned 调休): shown, not lost.
                "note": notes.get(kind),
            }
        )
    return out


async def _balance_to_change(
    session: AsyncSession,
    actor: Principal,
    employee_id: int,
    year: int,
    kind: str,
    errors: list[dict[str, str]],
) -> LeaveBalance | None:
    """The balance row HR or the manager changes, locked (None: none yet); checks first."""
    employee = await session.get(Employee, employee_id)
    if employee is None or not actor.can_read_employee(employee.id, employee.department_id):
        raise NotFoundError(f"employee {employee_id} not found")
    actor.require(
        actor.role == Role.HR or actor.can_manage_department(employee.department_id),
        "set leave balances of this person",
    )
    if kind not in ("annual", "toil"):
        errors.append({"field": "kind", "message": "annual or toil"})
    if not 2000 <= year <= 2100:
        errors.append({"field": "year", "message": "2000-2100"})
    if errors:
        raise ValidationFailedError("the balance is not valid", errors=errors)
    return await session.scalar(
        select(LeaveBalance)
        .where(
            LeaveBalance.employee_id == employee_id,
            LeaveBalance.year == year,
            LeaveBalance.kind == kind,
        )
        .with_for_update()
    )


async def set_balance(
    session: AsyncSession,
    actor: Principal,
    employee_id: int,
    year: int,
    kind: str,
    days: float,
    note: str | None,
) -> None:
    """Set a year's entitlement (annual) or earned extra days (toil): HR or the manager."""
    errors = [] if 0 <= days <= 366 else [{"field": "days", "message": "0-366"}]
    row = await _balance_to_change(session, actor, employee_id, year, kind, errors)
    if row is None:
        session.add(
            LeaveBalance(employee_id=employee_id, year=year, kind=kind, days=days, note=note)
        )
    else:
        row.days, row.note = days, note
    await session.commit()


async def grant_toil(
    session: AsyncSession,
    actor: Principal,
    employee_id: int,
    year: int,
    days: float,
    note: str | None,
) -> None:
    """Add 调休 days earned (a rest day worked, DOMAIN.md: only when a manager grants it).

    Adds to the year's balance under a row lock, so two grants at once both count (setting the
    total with PUT is a read-add-write a second manager can overwrite); each grant's note is
    kept after the earlier ones, so HR can see which days earned the balance.
    """
    errors = [] if 0 < days <= 31 else [{"field": "days", "message": "more than 0, at most 31"}]
    for attempt in (1, 2):
        row = await _balance_to_change(session, actor, employee_id, year, "toil", errors)
        if row is None:
            session.add(
                LeaveBalance(employee_id=employee_id, year=year, kind="toil", days=days, note=note)
            )
        else:
            row.days += days
            if note:
                row.note = f"{row.note}; {note}" if row.note else note
        try:
            await session.commit()
            return
        except IntegrityError:
            # Two first grants of the year raced to create the row: the loser adds to it.
            await session.rollback()
            if attempt == 2:
                raise
