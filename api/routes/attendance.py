"""Attendance: punches (people, devices, managers), corrections, derived months, policy, exports.

Time clocks authenticate with their own credential rather than a user token:
``Authorization: Device <device id>:<secret>`` on the ``/attendance/device/...`` routes (the
secret is shown once, when a manager registers the device). Every other route takes the usual
bearer token.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, RawBody
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import sessionmaker_of
from api.openapi_extra import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, file_operation, upload_operation
from api.problems import ConflictProblem, UnprocessableProblem
from api.request import RotaRequest
from api.schemas.attendance import (
    BatchOut,
    BatchRowOut,
    BreachOut,
    CertificateOut,
    CorrectionIn,
    CorrectionRequestIn,
    CorrectionRequestOut,
    DayOut,
    DeviceIn,
    DeviceOut,
    DevicePunchIn,
    MonthOut,
    PolicyIn,
    PolicyOut,
    PolicyVersionOut,
    PunchIn,
    PunchOut,
    SummaryOut,
)
from api.schemas.headers import IdempotencyKey
from api.schemas.query import OptionalIdParam, choice, require_one_of
from scheduler.attendance import corrections, devices, exports, punch_batches, punches, service
from scheduler.attendance.models import AttendanceDevice, CorrectionRequest, Punch
from scheduler.attendance.service import PersonMonth
from scheduler.auth.principal import Principal
from scheduler.errors import ValidationFailedError
from scheduler.org.models import Department
from scheduler.people.models import Employee
from scheduler.rosters.store import month_end, parse_month

DeviceAuthorization = Annotated[
    str | None,
    HeaderParameter(name="Authorization", description="Device <device id>:<secret>"),
]
ContentType = Annotated[str | None, HeaderParameter(name="Content-Type")]
EXPORT_FORMATS = ("csv", "xlsx")
LANGS = ("en", "zh")
SHEETS = ("summary", "detail")
ExportFormat = Annotated[str, choice("file format", EXPORT_FORMATS)]
Lang = Annotated[str, choice("language of the headers", LANGS)]
Sheet = Annotated[str, choice("the sheet a CSV carries", SHEETS)]
PRIVATE = {"Cache-Control": "private, no-store"}


def punch_out(p: Punch | punches.StoredPunch, duplicate: str | None = None) -> PunchOut:
    """Public view of a punch record."""
    return PunchOut(
        id=p.id,
        employee_id=p.employee_id,
        department_id=p.department_id,
        direction=p.direction,
        at=p.at,
        kind=p.kind,
        source=p.source,
        reason=p.reason,
        corrects_id=p.corrects_id,
        created_by=p.created_by,
        created_at=p.created_at,
        idempotency_key=p.idempotency_key,
        duplicate=duplicate,
    )


def _punch_response(outcome: punches.PunchOutcome) -> Response[PunchOut]:
    body = punch_out(outcome.punch, outcome.duplicate)
    if outcome.created:
        return Response(body, status_code=201)
    return Response(body, status_code=200, headers={"Idempotent-Replayed": "true"})


def _batch_out(rows: list[punch_batches.RowResult]) -> BatchOut:
    return BatchOut(
        created=sum(r.status == "created" for r in rows),
        duplicates=sum(r.status == "duplicate" for r in rows),
        refused=sum(r.status == "refused" for r in rows),
        rows=[
            BatchRowOut(
                row=r.row, status=r.status, punch_id=r.punch_id, error=r.error, field=r.field
            )
            for r in rows
        ],
    )


def _batch_rows(body: bytes, content_type: str | None) -> list[Any]:
    """JSON (a list of rows, or ``{"punches": [...]}``) or a time clock's CSV file."""
    if (content_type or "").split(";")[0].strip().lower() in ("text/csv", "application/csv"):
        return punch_batches.rows_from_csv(body)
    if len(body) > punch_batches.MAX_BATCH_BYTES:
        raise ValidationFailedError(
            f"the body is larger than {punch_batches.MAX_BATCH_BYTES} bytes"
        )
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise ValidationFailedError(f"the body is not JSON: {exc}", field="body") from exc
    except UnicodeDecodeError as exc:
        # Not caught as a DecodeError by msgspec: bytes that are not UTF-8 were a 500.
        raise ValidationFailedError("the body is not UTF-8 text", field="body") from exc
    except RecursionError as exc:
        # ``[[[[...`` thousands deep: the decoder's own limit, also a 500 before.
        raise ValidationFailedError(
            "the body nests arrays or objects too deeply", field="body"
        ) from exc
    if isinstance(data, dict) and set(data) == {"punches"}:
        data = data["punches"]
    if not isinstance(data, list):
        raise ValidationFailedError("send a JSON list of punches (or text/csv)", field="body")
    return punch_batches.rows_from_json(data)


def _punch_data(data: PunchIn, principal: Principal | None, key: str | None) -> punches.PunchData:
    employee_id = data.employee_id
    if employee_id is None and principal is not None:
        employee_id = principal.employee_id
    if employee_id is None:
        raise ValidationFailedError("name the employee", field="employee_id")
    return punches.PunchData(
        direction=data.direction,
        at=data.at,
        employee_id=employee_id,
        reason=data.reason,
        idempotency_key=key,
    )


# ---------------------------------------------------------------- punches


@post(
    "/attendance/punches",
    tags=["attendance"],
    summary="Clock in or out (yourself, or a manager's entry for staff)",
    status_code=201,
    raises=[NotFoundException, PermissionDeniedException, UnprocessableProblem, ConflictProblem],
)
async def create_punch(
    data: JSONBody[PunchIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    idempotency_key: IdempotencyKey = None,
) -> Response[PunchOut]:
    """Store a punch once, however often it is retried.

    201 when stored; 200 (``Idempotent-Replayed: true``) for a retry with the same key or an
    identical punch within two minutes. The same key with another payload is a 422.
    """
    outcome = await punches.record_punch(
        db_session, punches.Sender.of_user(principal), _punch_data(data, principal, idempotency_key)
    )
    return _punch_response(outcome)


@post(
    "/attendance/punches/batch",
    tags=["attendance"],
    summary="Upload a time clock's punches (JSON or CSV), judged row by row",
    status_code=200,
    raises=[PermissionDeniedException, UnprocessableProblem],
    request_max_body_size=punch_batches.MAX_BATCH_BYTES + 1024,
    operation_class=upload_operation(
        "The rows: a JSON array of objects, or CSV with a header row (same columns)",
        "application/json",
        CSV_MEDIA_TYPE,
    ),
)
async def upload_punches(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    body: RawBody,
    content_type: ContentType = None,
) -> BatchOut:
    """A manager uploads a file; rows for others need a ``reason`` each.

    Good rows are stored, bad rows are refused with their reason; a bad row affects no other.

    JSON rows: ``employee_id`` or ``staff_no``, ``direction``, ``at``, optional ``key`` (an
    idempotency key per row) and ``reason``. CSV: the same columns as a header row.
    """
    rows = _batch_rows(body, content_type)
    result = await punch_batches.record_batch(db_session, punches.Sender.of_user(principal), rows)
    return _batch_out(result)


async def _device(db_session: AsyncSession, authorization: str | None) -> AttendanceDevice:
    return await devices.authenticate_device(db_session, authorization)


@post(
    "/attendance/device/punches",
    tags=["attendance"],
    summary="A time clock sends one punch",
    status_code=201,
    exclude_from_auth=True,
    raises=[
        NotAuthorizedException,
        NotFoundException,
        PermissionDeniedException,
        UnprocessableProblem,
        ConflictProblem,
    ],
)
async def device_punch(
    data: JSONBody[DevicePunchIn],
    state: State,
    authorization: DeviceAuthorization = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[PunchOut]:
    """``Authorization: Device <id>:<secret>``; punches for anyone of the device's department.

    A checked credential is trusted for a few seconds (``punches.CACHE_TTL``): a revoked device
    is refused at once by the process that revoked it, by other worker processes within that.
    """
    punch = punches.PunchData(
        direction=data.direction,
        at=data.at,
        employee_id=data.employee_id,
        staff_no=data.staff_no,
        reason=data.reason,
        idempotency_key=idempotency_key,
    )
    outcome = await punches.record_device_punch(sessionmaker_of(state), authorization, punch)
    return _punch_response(outcome)


@post(
    "/attendance/device/punches/batch",
    tags=["attendance"],
    summary="A time clock uploads its buffered punches (JSON or CSV)",
    status_code=200,
    exclude_from_auth=True,
    raises=[NotAuthorizedException, PermissionDeniedException, UnprocessableProblem],
    request_max_body_size=punch_batches.MAX_BATCH_BYTES + 1024,
    operation_class=upload_operation(
        "The rows: a JSON array of objects, or CSV with a header row (same columns)",
        "application/json",
        CSV_MEDIA_TYPE,
    ),
)
async def device_upload(
    db_session: NamedDependency[AsyncSession],
    body: RawBody,
    authorization: DeviceAuthorization = None,
    content_type: ContentType = None,
) -> BatchOut:
    """Rows as for ``/attendance/punches/batch``; a row's ``key`` makes its retry harmless."""
    device = await _device(db_session, authorization)
    rows = _batch_rows(body, content_type)
    result = await punch_batches.record_batch(db_session, punches.Sender.of_device(device), rows)
    return _batch_out(result)


@get(
    "/attendance/punches",
    tags=["attendance"],
    summary="A person's punch records of a month (corrections included: the audit trail)",
    raises=[NotFoundException, UnprocessableProblem],
)
async def list_punches(
    month: FromQuery[str],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    employee_id: FromQuery[OptionalIdParam] = None,
) -> list[PunchOut]:
    """Every record with who made it, why, and what it corrects.

    Without ``employee_id``: the caller's own (as ``/me/attendance``); a login that is nobody's
    employee must name one.
    """
    if employee_id is None:
        if principal.employee_id is None:
            raise ValidationFailedError(
                "name the employee: this login is not an employee's", field="employee_id"
            )
        employee_id = principal.employee_id
    first = parse_month(month)
    start = dt.datetime.combine(first, dt.time(), dt.UTC) - dt.timedelta(days=1)
    end = dt.datetime.combine(month_end(first), dt.time(), dt.UTC) + dt.timedelta(days=2)
    rows = await service.list_punches(db_session, principal, employee_id, start, end)
    return [punch_out(p) for p in rows]


# ---------------------------------------------------------------- corrections


@post(
    "/attendance/punches/{punch_id:int}/corrections",
    tags=["attendance"],
    summary="A manager corrects (moves or voids) a wrong punch, with a reason",
    status_code=201,
    raises=[NotFoundException, PermissionDeniedException, UnprocessableProblem, ConflictProblem],
)
async def correct_punch(
    punch_id: FromPath[int],
    data: JSONBody[CorrectionIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> PunchOut:
    """A new record pointing at the wrong one; the wrong one stays, superseded.

    A missing punch is entered with ``POST /attendance/punches`` (employee_id and a reason).
    """
    row = await corrections.correct_punch(
        db_session,
        principal,
        punch_id,
        at=data.at,
        direction=data.direction,
        void=data.void,
        reason=data.reason,
    )
    return punch_out(row)


def _request_out(r: CorrectionRequest) -> CorrectionRequestOut:
    return CorrectionRequestOut(
        id=r.id,
        employee_id=r.employee_id,
        punch_id=r.punch_id,
        direction=r.direction,
        at=r.at,
        void=r.void,
        reason=r.reason,
        status=r.status,
        approval_request_id=r.approval_request_id,
        approval_id=r.approval_request_id,
        result_punch_id=r.result_punch_id,
    )


@post(
    "/attendance/correction-requests",
    tags=["attendance"],
    summary="Ask your manager to correct a missing or wrong punch of yours",
    status_code=201,
    raises=[NotFoundException, UnprocessableProblem, ConflictProblem],
)
async def request_correction(
    data: JSONBody[CorrectionRequestIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> CorrectionRequestOut:
    """Within the policy's correction window (default 7 days), decided through the approvals.

    The approval request has kind ``attendance_correction``; approving writes the correction.
    """
    row, _ = await corrections.request_correction(
        db_session,
        principal,
        punch_id=data.punch_id,
        direction=data.direction,
        at=data.at,
        void=data.void,
        reason=data.reason,
    )
    return _request_out(row)


@get(
    "/attendance/correction-requests/{request_id:int}",
    tags=["attendance"],
    summary="A correction request",
    raises=[NotFoundException],
)
async def get_correction_request(
    request_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> CorrectionRequestOut:
    """Your own, or one of your department's."""
    return _request_out(await corrections.get_request(db_session, principal, request_id))


# ---------------------------------------------------------------- derived attendance


async def _zone_of(session: AsyncSession, employee_id: int) -> str | None:
    """The employee's department's zone (both rows are already in the session's identity map)."""
    employee = await session.get(Employee, employee_id)
    department = await session.get(Department, employee.department_id) if employee else None
    return department.timezone if department else None


def month_out(
    pm: PersonMonth, month: dt.date, policy_id: int | None, timezone: str | None = None
) -> MonthOut:
    """Public view of a derived month (``timezone``: the department's, for the days' times)."""
    s = pm.summary
    return MonthOut(
        timezone=timezone,
        employee_id=pm.person.id,
        staff_no=pm.person.staff_no,
        name=pm.person.name,
        month=f"{month:%Y-%m}",
        policy_id=policy_id,
        hire_date=pm.person.hire_date,
        left_on=pm.person.left_on,
        summary=SummaryOut(
            scheduled_shifts=s.scheduled_shifts,
            worked_shifts=s.worked_shifts,
            late_count=s.late_count,
            late_minutes=s.late_minutes,
            early_count=s.early_count,
            early_minutes=s.early_minutes,
            absences=s.absences,
            absent_days=s.absent_days,
            missing_punches=s.missing_punches,
            leave_days=dict(s.leave_days),
            overtime_minutes=s.overtime_minutes,
            rest_days_worked=s.rest_days_worked,
            absence_days=s.absence_days,
            total_deduction=s.total_deduction,
            working_days=s.working_days,
            rest_day_minutes=s.rest_day_minutes,
            holiday_days_worked=s.holiday_days_worked,
            holiday_minutes_worked=s.holiday_minutes_worked,
            stray_punches=s.stray_punches,
            pending_shifts=s.pending_shifts,
            certificates=[
                CertificateOut(
                    leave_request_id=c.leave_request_id,
                    type=c.type_code,
                    start_date=c.start_date,
                    end_date=c.end_date,
                    days=c.days,
                    due=c.due,
                    status=c.status,
                )
                for c in s.certificates
            ],
        ),
        days=[
            DayOut(
                date=d.date,
                status=d.status,
                shift_code=d.shift_code,
                shift_name=d.shift_name,
                leave_type=d.leave_type,
                scheduled_start=d.scheduled_start,
                scheduled_end=d.scheduled_end,
                first_in=d.first_in,
                last_out=d.last_out,
                late_minutes=d.late_minutes,
                early_minutes=d.early_minutes,
                counted_late_minutes=d.counted_late_minutes,
                counted_early_minutes=d.counted_early_minutes,
                overtime_minutes=d.overtime_minutes,
                worked_minutes=d.worked_minutes,
                missing=d.missing,
                deduction=d.deduction,
                breaches=[
                    BreachOut(
                        kind=b.kind,
                        minutes=b.minutes,
                        rule=b.rule,
                        deduction=b.deduction,
                        absence_days=b.absence_days,
                        escalated=b.escalated,
                        as_absence=b.as_absence,
                        capped=b.capped,
                    )
                    for b in d.breaches
                ],
                punch_ids=list(d.punch_ids),
                leave_days=d.leave_days,
                half=d.half,
                stray_punch_ids=list(d.stray_punch_ids),
                holiday=d.holiday,
            )
            for d in pm.days
        ],
    )


@get(
    "/attendance/employees/{employee_id:int}",
    tags=["attendance"],
    summary="A person's attendance of a month, derived from punches, roster and leave",
    raises=[NotFoundException, UnprocessableProblem],
)
async def employee_attendance(
    employee_id: FromPath[int],
    month: FromQuery[str],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> MonthOut:
    """Computed on every read from the facts (reading again is recomputing).

    So it always follows the latest punches, corrections, leave and roster version.
    """
    first = parse_month(month)
    pm, _, policy_id = await service.employee_month(db_session, principal, employee_id, first)
    return month_out(pm, first, policy_id, await _zone_of(db_session, employee_id))


@get(
    "/me/attendance",
    tags=["attendance"],
    summary="Your own attendance of a month",
    raises=[NotFoundException, UnprocessableProblem],
)
async def my_attendance(
    month: FromQuery[str],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> MonthOut:
    """The signed-in person's month (needs a user linked to an employee)."""
    if principal.employee_id is None:
        raise ValidationFailedError("this user is not linked to an employee")
    first = parse_month(month)
    pm, _, policy_id = await service.employee_month(
        db_session, principal, principal.employee_id, first
    )
    return month_out(pm, first, policy_id, await _zone_of(db_session, principal.employee_id))


# ---------------------------------------------------------------- policy


def _policy_out(
    department_id: int, month: dt.date, policy: Any, row: Any, history: list[Any]
) -> PolicyOut:
    return PolicyOut(
        department_id=department_id,
        month=f"{month:%Y-%m}",
        policy_id=row.id if row is not None else None,
        is_default=row is None,
        policy=policy.to_document(),
        versions=[
            PolicyVersionOut(
                id=v.id,
                effective_from=v.effective_from,
                revision=v.revision,
                created_by=v.created_by,
                created_at=v.created_at,
                note=v.note,
            )
            for v in history
        ],
    )


@get(
    "/departments/{department_id:int}/attendance/policy",
    tags=["attendance"],
    summary="The penalty policy judging a month (default: this month)",
    raises=[NotFoundException, PermissionDeniedException, UnprocessableProblem],
)
async def get_policy(
    department_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    month: FromQuery[str | None] = None,
) -> PolicyOut:
    """The version in force on the month's first day (or the shipped defaults), and history."""
    # Without a month, "this month" is the department's, on its wall clock (service).
    policy, row, history, first = await service.get_policy(
        db_session, principal, department_id, parse_month(month) if month else None
    )
    return _policy_out(department_id, first, policy, row, history)


def _float(text: str) -> float:
    """A JSON number with a fraction or exponent; beyond float range, +/- infinity."""
    return float(text)  # float("1e400") is inf and float("1e-400") 0.0: never an error


_LENIENT_JSON = msgspec.json.Decoder(float_hook=_float)


class PolicyRequest(RotaRequest):
    """A request whose JSON body may hold numbers beyond float range, as +/- infinity.

    Litestar's decoding refuses ``1e400`` for the whole body (400 "Number out of range", no
    field named). A policy is checked field by field (``policy_from_document``: one 422 naming
    every bad field), so such a number is let through as infinity, which the range check of
    its field refuses. A body that is not JSON at all is refused as every route refuses it.
    """

    async def decode_json(self) -> Any:
        """The body decoded with out-of-range numbers as infinities."""
        return _LENIENT_JSON.decode(await self.body() or b"null")


@put(
    "/departments/{department_id:int}/attendance/policy",
    tags=["attendance"],
    summary="Set the penalty policy from a month on (a new version)",
    raises=[NotFoundException, PermissionDeniedException, UnprocessableProblem, ConflictProblem],
    request_class=PolicyRequest,
)
async def set_policy(
    department_id: FromPath[int],
    data: JSONBody[PolicyIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> PolicyOut:
    """Department manager or HR; validated (rising tiers, the last open, none within the grace).

    A month is judged by the version in force on its first day, so a change cannot reach back
    over days already judged: ``effective_from`` is the next month's first day (today, if
    today is a first) or later; an earlier one is a 422 that says from when it can apply.
    """
    await service.set_policy(
        db_session, principal, department_id, data.effective_from, data.policy, data.note
    )
    policy, row, history, _ = await service.get_policy(
        db_session, principal, department_id, data.effective_from
    )
    return _policy_out(department_id, data.effective_from, policy, row, history)


# ---------------------------------------------------------------- devices


def _device_out(d: AttendanceDevice, secret: str | None = None) -> DeviceOut:
    return DeviceOut(
        id=d.id,
        department_id=d.department_id,
        name=d.name,
        active=d.active,
        last_seen_at=d.last_seen_at,
        secret=secret,
        authorization=f"Device {d.id}:{secret}" if secret else None,
    )


@post(
    "/departments/{department_id:int}/attendance/devices",
    tags=["attendance"],
    summary="Register a time clock (its secret is shown once)",
    status_code=201,
    raises=[NotFoundException, PermissionDeniedException, ConflictProblem],
)
async def create_device(
    department_id: FromPath[int],
    data: JSONBody[DeviceIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> DeviceOut:
    """The department's manager or admin; keep ``authorization``, only its hash is stored."""
    device, secret = await devices.create_device(db_session, principal, department_id, data.name)
    return _device_out(device, secret)


@get(
    "/departments/{department_id:int}/attendance/devices",
    tags=["attendance"],
    summary="The department's time clocks",
    raises=[PermissionDeniedException],
)
async def list_devices(
    department_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> list[DeviceOut]:
    """Names, state and when each was last heard from."""
    return [
        _device_out(d) for d in await devices.list_devices(db_session, principal, department_id)
    ]


@post(
    "/attendance/devices/{device_id:int}/revoke",
    tags=["attendance"],
    summary="Switch a time clock's credential off",
    status_code=200,
    raises=[NotFoundException, PermissionDeniedException],
)
async def revoke_device(
    device_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> DeviceOut:
    """Its punches stay; its credential stops working at once."""
    return _device_out(await devices.revoke_device(db_session, principal, device_id))


# ---------------------------------------------------------------- exports


@get(
    "/attendance/export",
    tags=["attendance"],
    summary="HR's monthly attendance export (CSV or XLSX), streamed",
    raises=[NotFoundException, PermissionDeniedException, UnprocessableProblem],
    operation_class=file_operation(
        "The month's attendance as a file: XLSX by default, CSV (one sheet) with format=csv",
        XLSX_MEDIA_TYPE,
        CSV_MEDIA_TYPE,
    ),
)
async def export_attendance(
    month: FromQuery[str],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    state: State,
    department_id: FromQuery[OptionalIdParam] = None,
    format: FromQuery[ExportFormat] = "xlsx",
    lang: FromQuery[Lang] = "en",
    sheet: FromQuery[Sheet] = "summary",
) -> Stream:
    """One department, or every department (HR, GM, admin: leave ``department_id`` out).

    XLSX has a summary sheet (one row per person, with the working days n of the monthly
    review) and a detail sheet (one row per person per day); CSV carries one of them
    (``sheet``). Headers in English or Chinese (``lang``). An unknown option is a 422 listing
    the values it takes.
    """
    require_one_of("format", format, EXPORT_FORMATS)
    require_one_of("lang", lang, LANGS)
    require_one_of("sheet", sheet, SHEETS)
    first = parse_month(month)
    departments = await service.departments_in_scope(db_session, principal, department_id)
    spec = exports.ExportSpec(departments=departments, month=first, lang=lang)
    ids = [d.id for d in departments]
    maker = sessionmaker_of(state)

    async def body() -> Any:
        # Its own session: the request's is closed (and its objects expired) once the handler
        # returns, while the body is still being streamed.
        async with maker() as session:
            fresh = await service.departments_by_id(session, ids)
            spec_here = exports.ExportSpec(departments=fresh, month=first, lang=lang)
            stream = (
                exports.xlsx_stream(session, spec_here)
                if format == "xlsx"
                else exports.csv_stream(session, spec_here, sheet)
            )
            async for block in stream:
                yield block

    # Litestar appends "; charset=utf-8" to text/ types itself (naming it here doubled it).
    media = XLSX_MEDIA_TYPE if format == "xlsx" else CSV_MEDIA_TYPE
    name = exports.filename(spec, format, sheet)
    return Stream(
        body(),
        media_type=media,
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


ROUTES = [
    create_punch,
    upload_punches,
    device_punch,
    device_upload,
    list_punches,
    correct_punch,
    request_correction,
    get_correction_request,
    employee_attendance,
    my_attendance,
    get_policy,
    set_policy,
    create_device,
    list_devices,
    revoke_device,
    export_attendance,
]
