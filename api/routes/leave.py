"""Leave: file, list, read, attach a certificate; leave types and balances."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

from litestar import Response, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import ConflictProblem, UnprocessableProblem
from api.schemas.base import PageOut
from api.schemas.headers import IdempotencyKey
from api.schemas.leave import (
    BalanceIn,
    BalanceOut,
    CancelLeaveIn,
    CertificateIn,
    LeaveIn,
    LeaveOut,
    LeaveTypeIn,
    LeaveTypeOut,
)
from api.schemas.query import Limit, Offset, choice, require_one_of
from scheduler.approvals import service as approvals
from scheduler.approvals.service import Idempotency
from scheduler.auth.principal import Principal
from scheduler.errors import ValidationFailedError
from scheduler.leave import service, types
from scheduler.leave.models import LEAVE_STATUSES, LeaveRequest
from scheduler.org.service import get_department

Year = Annotated[int, QueryParameter(ge=2000, le=2100, description="calendar year")]
Status = Annotated[str | None, choice("only requests in this status", LEAVE_STATUSES)]
TypeCode = Annotated[str | None, choice("only this leave type", list(types.DEFAULT_TYPES))]


def leave_out(leave: LeaveRequest, today: dt.date, waiting_for: str | None = None) -> LeaveOut:
    """Public view of a leave request (certificate state as of the department's today).

    ``waiting_for``: the role whose decision the request waits on, while it is pending.
    """
    certificate = service.certificate_status(leave, today)
    return LeaveOut(
        id=leave.id,
        employee_id=leave.employee_id,
        department_id=leave.department_id,
        type=leave.type_code,
        start_date=leave.start_date,
        end_date=leave.end_date,
        half=leave.half,
        days=leave.days,
        schedule=list(leave.schedule),
        reason=leave.reason,
        status=leave.status,
        emergency=leave.emergency,
        filed_by=leave.filed_by,
        on_behalf=leave.on_behalf,
        certificate=certificate,
        certificate_missing=certificate in ("missing", "overdue"),
        certificate_due=leave.certificate_due,
        certificate_ref=leave.certificate_ref,
        approval_id=leave.approval_id,
        waiting_for=waiting_for,
        roster_versions=list(leave.roster_versions),
        shortfall=list(leave.shortfall),
        created_at=leave.created_at,
    )


async def _one(session: AsyncSession, leave: LeaveRequest) -> LeaveOut:
    today = (await service.todays(session, [leave]))[leave.department_id]
    waiting = await approvals.waiting_for(session, [leave.approval_id])
    return leave_out(leave, today, waiting.get(leave.approval_id or 0))


@post(
    "/leave-requests",
    tags=["leave"],
    status_code=201,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem, UnprocessableProblem],
)
async def file_leave(
    data: JSONBody[LeaveIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    idempotency_key: IdempotencyKey = None,
) -> Response[LeaveOut]:
    """Ask for leave; it climbs the department's approval chain (see ``approval_id``).

    Send an ``Idempotency-Key`` to retry safely: the same key and body answer the request the
    first attempt filed (200, ``Idempotent-Replayed: true``), another body with it is a 422.
    """
    employee_id = data.employee_id if data.employee_id is not None else principal.employee_id
    if employee_id is None:
        raise ValidationFailedError(
            "you are not an employee: name the person",
            errors=[{"field": "employee_id", "message": "required for users without an employee"}],
        )
    request = service.LeaveInput(
        employee_id=employee_id,
        type_code=data.type,
        start_date=data.start_date,
        end_date=data.end_date,
        half=data.half,
        reason=data.reason,
        emergency=data.emergency,
        certificate_ref=data.certificate_ref,
    )
    fields = {k: str(v) for k, v in dataclasses.asdict(request).items()}
    idem = Idempotency.of(idempotency_key, {"op": "file_leave", **fields})
    filed = await service.file_leave(db_session, principal, request, idem)
    out = await _one(db_session, filed.leave)
    if filed.replayed:
        return Response(out, status_code=200, headers={"Idempotent-Replayed": "true"})
    return Response(out, status_code=201)


@get("/leave-requests", tags=["leave"], raises=[UnprocessableProblem])
async def list_leave(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    employee_id: FromQuery[int | None] = None,
    department_id: FromQuery[int | None] = None,
    status: FromQuery[Status] = None,
    type: FromQuery[TypeCode] = None,
    start: FromQuery[dt.date | None] = None,
    end: FromQuery[dt.date | None] = None,
    certificate_missing: FromQuery[bool | None] = None,
    limit: FromQuery[Limit] = 50,
    offset: FromQuery[Offset] = 0,
) -> PageOut[LeaveOut]:
    """Leave in my scope, with filters; ``start``/``end`` select requests touching that range.

    An unknown ``status`` or ``type`` is a 422 listing the values it takes.
    """
    require_one_of("status", status, LEAVE_STATUSES)
    require_one_of("type", type, types.DEFAULT_TYPES)
    rows, total = await service.list_leave(
        db_session,
        principal,
        employee_id=employee_id,
        department_id=department_id,
        status=status,
        type_code=type,
        start=start,
        end=end,
        certificate_missing=certificate_missing,
        limit=limit,
        offset=offset,
    )
    today = await service.todays(db_session, rows)
    waiting = await approvals.waiting_for(db_session, [r.approval_id for r in rows])
    items = [leave_out(r, today[r.department_id], waiting.get(r.approval_id or 0)) for r in rows]
    return PageOut(items=items, total=total, limit=limit, offset=offset)


@get("/leave-requests/{leave_id:int}", tags=["leave"], raises=[NotFoundException])
async def get_leave(
    leave_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> LeaveOut:
    """One leave request."""
    return await _one(db_session, await service.get_leave(db_session, principal, leave_id))


@post(
    "/leave-requests/{leave_id:int}/certificate",
    tags=["leave"],
    status_code=200,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem, UnprocessableProblem],
)
async def attach_certificate(
    leave_id: FromPath[int],
    data: JSONBody[CertificateIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> LeaveOut:
    """Attach the medical certificate; the request stops showing "certificate missing"."""
    leave = await service.attach_certificate(db_session, principal, leave_id, data.reference)
    return await _one(db_session, leave)


@post(
    "/leave-requests/{leave_id:int}/cancel",
    tags=["leave"],
    status_code=200,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem, UnprocessableProblem],
)
async def cancel_leave(
    leave_id: FromPath[int],
    data: JSONBody[CancelLeaveIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> LeaveOut:
    """Call off approved leave: the person before it begins, the department manager any time.

    The shifts the leave took come back on the published roster (a new version); a pending
    request is withdrawn through ``POST /approvals/{id}/withdraw`` instead.
    """
    leave = await service.cancel_leave(db_session, principal, leave_id, data.reason)
    return await _one(db_session, leave)


def type_out(t: types.LeaveType) -> LeaveTypeOut:
    """Public view of a leave type."""
    return LeaveTypeOut(**dataclasses.asdict(t))


@get(
    "/departments/{department_id:int}/leave-types",
    tags=["leave"],
    raises=[NotFoundException],
)
async def list_leave_types(
    department_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> list[LeaveTypeOut]:
    """The department's leave types and their rules (defaults plus its overrides)."""
    await get_department(db_session, principal, department_id)
    return [type_out(t) for t in (await types.types_of(db_session, department_id)).values()]


@put(
    "/departments/{department_id:int}/leave-types/{code:str}",
    tags=["leave"],
    raises=[NotFoundException, PermissionDeniedException, UnprocessableProblem],
)
async def put_leave_type(
    department_id: FromPath[int],
    code: FromPath[str],
    data: JSONBody[LeaveTypeIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> LeaveTypeOut:
    """Override some rules of a leave type for the department (manager or admin)."""
    await get_department(db_session, principal, department_id)
    principal.require(
        principal.can_manage_department(department_id), "change leave types of this department"
    )
    return type_out(await types.override(db_session, department_id, code, data.rules))


@get(
    "/employees/{employee_id:int}/leave-balances",
    tags=["leave"],
    raises=[NotFoundException],
)
async def get_balances(
    employee_id: FromPath[int],
    year: FromQuery[Year],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> list[BalanceOut]:
    """Annual leave and 调休 balances of a year: entitled, used (pending + approved), left."""
    rows = await service.balances(db_session, principal, employee_id, year)
    return [BalanceOut(**r) for r in rows]


@put(
    "/employees/{employee_id:int}/leave-balances/{year:int}/{kind:str}",
    tags=["leave"],
    raises=[NotFoundException, PermissionDeniedException, UnprocessableProblem],
)
async def put_balance(
    employee_id: FromPath[int],
    year: FromPath[int],
    kind: FromPath[str],
    data: JSONBody[BalanceIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> list[BalanceOut]:
    """Set a year's annual entitlement or the extra days worked (HR or the manager)."""
    await service.set_balance(db_session, principal, employee_id, year, kind, data.days, data.note)
    rows = await service.balances(db_session, principal, employee_id, year)
    return [BalanceOut(**r) for r in rows]


@post(
    # {kind}, not a literal "toil": a static segment beside the PUT's {kind} would shadow it.
    "/employees/{employee_id:int}/leave-balances/{year:int}/{kind:str}/grants",
    tags=["leave"],
    status_code=200,
    raises=[NotFoundException, PermissionDeniedException, UnprocessableProblem],
)
async def grant_toil(
    employee_id: FromPath[int],
    year: FromPath[int],
    kind: FromPath[str],
    data: JSONBody[BalanceIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> list[BalanceOut]:
    """Add 调休 days earned by extra work (HR or the manager); answers the year's balances.

    Adds to what is there (PUT sets the total), so two grants made at once both count; the
    note of each grant is kept after the earlier ones. Only ``toil`` is granted day by day
    (an annual entitlement is set with PUT).
    """
    if kind != "toil":
        raise ValidationFailedError(
            "only 调休 (toil) is granted day by day; set an annual entitlement with PUT",
            errors=[{"field": "kind", "message": "toil"}],
        )
    await service.grant_toil(db_session, principal, employee_id, year, data.days, data.note)
    rows = await service.balances(db_session, principal, employee_id, year)
    return [BalanceOut(**r) for r in rows]


ROUTES = [
    file_leave,
    list_leave,
    get_leave,
    attach_certificate,
    cancel_leave,
    list_leave_types,
    put_leave_type,
    get_balances,
    put_balance,
    grant_toil,
]
