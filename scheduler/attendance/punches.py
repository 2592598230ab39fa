"""Taking punches in: from people (web), from time clocks (devices), from managers.

Every punch is checked before anything is stored (a known, active employee the sender may punch
for, or a manager's entry of a missed punch on or before a leaver's last working day; an instant
with an offset, not in the future), and stored once:

* with an ``Idempotency-Key``: the key is unique per sender (``actor``) by a database
  constraint. Concurrent retries race on that constraint; the loser's insert fails inside a
  savepoint, and it answers the stored punch. The same key with another payload is a 422.
* without a key: an identical punch (same person and direction) within
  :data:`DUPLICATE_WINDOW` of a stored one is recognised as a duplicate and not stored again,
  as devices that were offline send late and send twice.

Single punches commit inside the service (STYLE.md "Transactions"), so a clash is known before
the client is answered. Batches (:mod:`scheduler.attendance.punch_batches`) store each row with
:func:`store_punch`; devices and their credentials are :mod:`scheduler.attendance.devices`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from scheduler.attendance.device_cache import DEVICE_STAFF, DEVICES, cached
from scheduler.attendance.devices import device_credential, hash_secret
from scheduler.attendance.ingest import insert_statement, writer_for
from scheduler.attendance.models import DIRECTIONS, AttendanceDevice, Punch
from scheduler.auth.principal import Principal
from scheduler.auth.roles import OWN_DATA_ROLES
from scheduler.csv_input import shown
from scheduler.db.base import MAX_ID, utcnow
from scheduler.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from scheduler.org.models import Department
from scheduler.people.models import Employee
from scheduler.shifts import clock

#: A keyless punch this close to a stored identical one is the same punch sent twice.
DUPLICATE_WINDOW = dt.timedelta(minutes=2)
#: Clock skew tolerated for a punch "from the future".
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
#: A person's own web punch must be about now; older ones are correction requests.
WEB_TOLERANCE = dt.timedelta(minutes=15)
#: Devices that were offline and managers entering punches may send this far back.
BACKFILL_LIMIT = dt.timedelta(days=92)
#: How often a device's ``last_seen_at`` is refreshed (not on every punch).
DEVICE_SEEN_EVERY = dt.timedelta(minutes=5)


@dataclass(slots=True)
class DeviceRef:
    """What a punch needs of a checked device credential (kept in the credential cache)."""

    id: int
    department_id: int
    name: str
    last_seen_at: dt.datetime | None
    key: tuple[int, str]  # (device id, secret hash): what the cache is keyed by


@dataclass(frozen=True, slots=True)
class EmployeeRef:
    """What authorising a punch needs of an employee (and when they started: none before)."""

    id: int
    department_id: int
    active: bool
    staff_no: str | None = None
    hire_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Sender:
    """Who is sending punches: a signed-in user or a time clock."""

    actor: str
    principal: Principal | None = None
    device: AttendanceDevice | DeviceRef | None = None

    @classmethod
    def of_user(cls, principal: Principal) -> Sender:
        """A signed-in user (their own punch, or a manager's entry)."""
        return cls(actor=f"user:{principal.user_id}", principal=principal)

    @classmethod
    def of_device(cls, device: AttendanceDevice | DeviceRef) -> Sender:
        """A department's time clock."""
        return cls(actor=f"device:{device.id}", device=device)


@dataclass(frozen=True, slots=True)
class PunchData:
    """One punch as sent (before any check)."""

    direction: str
    at: dt.datetime
    employee_id: int | None = None
    staff_no: str | None = None
    reason: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class StoredPunch:
    """A punch just written by the ingest path, as answered (no ORM instance: it is the hot path)."""

    id: int
    employee_id: int
    department_id: int
    direction: str
    at: dt.datetime
    kind: str
    source: str
    device_id: int | None
    actor: str
    idempotency_key: str | None
    fingerprint: str
    reason: str | None
    created_by: int | None
    created_at: dt.datetime
    corrects_id: int | None = None


@dataclass(frozen=True, slots=True)
class PunchOutcome:
    """The stored punch, and whether this request stored it (else: replay or duplicate)."""

    punch: Punch | StoredPunch
    created: bool
    duplicate: str | None = None  # "idempotency_key" | "window"


@dataclass(frozen=True, slots=True)
class _DepartmentStaff:
    """Every employee of a device's department, by id and by staff number (one query)."""

    by_id: dict[int, EmployeeRef]
    by_staff_no: dict[str, EmployeeRef]


# ------------------------------------------------------------------ checks


def check_employee_id(value: int | None) -> None:
    """An ``employee_id`` any employee could have, or a 422 naming the field.

    Checked before the lookup: a number beyond 64 bits would otherwise fail inside the database
    driver, which answers in its own words (and, in a batch, for the whole file).
    """
    if value is not None and not 1 <= value <= MAX_ID:
        raise ValidationFailedError(
            f"employee_id must be a whole number from 1 to {MAX_ID}", field="employee_id"
        )


def _fingerprint(employee_id: int, data: PunchData, source: str) -> str:
    at = data.at.astimezone(dt.UTC).isoformat()
    text = f"{employee_id}|{data.direction}|{at}|{source}|{data.reason or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


def check_instant(at: dt.datetime, now: dt.datetime, *, oldest: dt.timedelta) -> None:
    """An aware instant, not in the future, not older than the sender may backfill."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationFailedError(
            "the instant needs a UTC offset, e.g. 2026-12-01T08:29:00+08:00",
            errors=[{"field": "at", "message": "timestamp without offset"}],
        )
    if at > now + FUTURE_TOLERANCE:
        raise ValidationFailedError(
            f"the instant {at.isoformat()} is in the future",
            errors=[{"field": "at", "message": "in the future"}],
        )
    if at < now - oldest:
        raise ValidationFailedError(
            f"the instant {at.isoformat()} is too far in the past for this kind of punch "
            f"(at most {oldest.days or int(oldest.total_seconds() // 60)} "
            f"{'days' if oldest.days else 'minutes'}); ask for a correction instead",
            errors=[{"field": "at", "message": "too old"}],
        )


async def _employee(
    session: AsyncSession, data: PunchData, cache: dict[Any, Employee] | None = None
) -> Employee:
    check_employee_id(data.employee_id)
    key: Any = data.employee_id if data.employee_id is not None else ("staff", data.staff_no)
    if cache is not None and key in cache:
        return cache[key]
    employee: Employee | None
    if data.employee_id is not None:
        employee = await session.get(Employee, data.employee_id)
    elif data.staff_no:
        employee = await session.scalar(select(Employee).where(Employee.staff_no == data.staff_no))
    else:
        raise ValidationFailedError(
            "name the employee (employee_id or staff_no)",
            errors=[{"field": "employee_id", "message": "required"}],
        )
    if employee is None:
        who = data.employee_id if data.employee_id is not None else data.staff_no
        raise NotFoundError(f"employee {who} not found", field="employee_id")
    if cache is not None:
        cache[key] = employee
    return employee


def _check_same_person(employee: Employee | EmployeeRef, data: PunchData) -> None:
    """A punch naming both ``employee_id`` and ``staff_no`` must name one person by both.

    ``employee_id`` decides who is looked up; a ``staff_no`` that is not that person's is a
    badge read for someone else (or a mistyped id), and booking it to either would put a
    clock-in on the wrong record. So it is refused, naming both fields.
    """
    if not data.staff_no or data.employee_id is None or employee.staff_no == data.staff_no:
        return
    message = "staff_no and employee_id name different people"
    raise ValidationFailedError(
        f"{message}: staff_no {shown(data.staff_no)} is not employee {data.employee_id}'s "
        "staff number; send one of them, or both of the same person",
        errors=[
            {"field": "staff_no", "message": message},
            {"field": "employee_id", "message": message},
        ],
    )


def _authorise(
    sender: Sender, employee: Employee | EmployeeRef, data: PunchData
) -> tuple[str, dt.timedelta]:
    """May the sender punch for this person? Returns (source, how far back it may go).

    A user who may not even see the person (another department's, or a colleague for an agent)
    gets the same 404 as for someone who does not exist, as on every other route about a
    person, so a punch does not reveal who works elsewhere; the name is the one the client sent.
    Only then is a ``staff_no`` sent with the ``employee_id`` compared with the person's.
    """
    principal = sender.principal
    if principal is not None and not principal.can_read_employee(
        employee.id, employee.department_id
    ):
        name = data.employee_id if data.employee_id is not None else data.staff_no
        raise NotFoundError(f"employee {name} not found", field="employee_id")
    _check_same_person(employee, data)
    if not employee.active and (
        sender.device is not None
        or principal is None
        or principal.employee_id == employee.id
        or not isinstance(employee, Employee)
        or employee.left_on is None
    ):
        # A manager may still enter a missed punch of a leaver's last days (checked against
        # their last working day in ``_store``); nobody else punches for someone inactive.
        raise ValidationFailedError(f"employee {employee.id} is not active", field="employee_id")
    if sender.device is not None:
        if employee.department_id != sender.device.department_id:
            # As for a user: someone of another department is nobody here (no id revealed).
            name = data.employee_id if data.employee_id is not None else data.staff_no
            raise NotFoundError(
                f"employee {name} not found in the department of device {sender.device.name!r}",
                field="employee_id",
            )
        return f"device:{sender.device.name}", BACKFILL_LIMIT
    assert principal is not None
    if principal.employee_id == employee.id:
        return "web", WEB_TOLERANCE
    if principal.role in OWN_DATA_ROLES or not principal.can_manage_department(
        employee.department_id
    ):
        raise PermissionDeniedError(
            f"role {principal.role.value} may not punch for employee {employee.id}",
            field="employee_id",
        )
    if not (data.reason or "").strip():
        raise ValidationFailedError(
            "a punch entered for someone else needs a reason", field="reason"
        )
    return "manager", BACKFILL_LIMIT


async def _zone_of(session: AsyncSession, department_id: int) -> str:
    department = await session.get(Department, department_id)
    return department.timezone if department is not None else "Asia/Shanghai"


def _surely_hired(hire_date: dt.date) -> dt.datetime:
    """An instant from which every zone's wall clock shows the hire date or later.

    UTC offsets stay within a day, so from the day after the hire date (UTC midnight) no zone
    is still before it: punches from then on need no look at the department's zone.
    """
    try:
        return dt.datetime.combine(hire_date + dt.timedelta(days=1), dt.time(), dt.UTC)
    except OverflowError:  # hired on the last day of the calendar: look at the zone
        return dt.datetime.max.replace(tzinfo=dt.UTC)


def _refuse_before_hire(employee_id: int, hire_date: dt.date, zone: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"employee {employee_id} was hired on {hire_date.isoformat()}: a punch before that day "
        f"({zone}) is refused",
        errors=[{"field": "at", "message": f"on or after {hire_date.isoformat()}"}],
    )


async def _check_after_hire(
    session: AsyncSession, employee: Employee | EmployeeRef, at: dt.datetime
) -> None:
    """A punch falls on or after the person's hire date (local time).

    Before it nothing is owed and nothing is judged (derivation shows those days as
    ``not_employed``), so a punch there would be a record that counts for nothing, or worse,
    a rest day worked before the person worked here at all.
    """
    hire_date = employee.hire_date
    if hire_date is None or at >= _surely_hired(hire_date):
        return
    zone = await _zone_of(session, employee.department_id)
    if clock.local_date(at, zone) < hire_date:
        raise _refuse_before_hire(employee.id, hire_date, zone)


async def _check_before_leaving(
    session: AsyncSession, employee: Employee, at: dt.datetime, direction: str
) -> None:
    """A punch for someone who left counts for a day on or before their last working day.

    Only a manager's entry gets here (``_authorise``): a missed punch of the last days is
    entered so those days are not judged absences; anything after the person left is refused.
    "Counts for" is the day derivation judges it by (``derive.judged_day``), not the calendar
    date of its instant: the clock-out at 00:10 of a late shift on the last working day closes
    that shift and is accepted.
    """
    assert employee.left_on is not None  # _authorise refused an inactive person without one
    left_on = employee.left_on
    zone = await _zone_of(session, employee.department_id)
    local = clock.local_date(at, zone)
    if local <= left_on:
        return
    if local - left_on == dt.timedelta(days=1):
        day = await _judged_day(session, employee.id, at, direction, zone)
        if day <= left_on:
            return
    raise ValidationFailedError(
        f"employee {employee.id} left on {left_on.isoformat()}: a punch after the end of that "
        f"day ({zone}) is refused, unless it closes a shift of that day",
        errors=[{"field": "at", "message": f"on or before {left_on.isoformat()}"}],
    )


async def _judged_day(
    session: AsyncSession, employee_id: int, at: dt.datetime, direction: str, zone: str
) -> dt.date:
    """The day a new punch would count for, paired with the person's shifts and punches."""
    # Imported here: the service reads what this module stores, not the other way round.
    from scheduler.attendance.derive import PunchFact, judged_day
    from scheduler.attendance.service import apply_leave, load_plans, load_punches

    day = clock.local_date(at, zone)
    first, last = day - dt.timedelta(days=2), day + dt.timedelta(days=1)
    roster = await load_plans(session, [employee_id], first, last)
    await apply_leave(session, roster.plans, [employee_id], first, last, first, day)
    window = dt.timedelta(days=2)
    loaded = await load_punches(session, [employee_id], at - window, at + window)
    new = PunchFact(0, direction, at)
    judged, _ = judged_day(
        roster.plans.get(employee_id, {}), [*loaded.get(employee_id, []), new], new, zone
    )
    return judged


def _check_direction(direction: str) -> str:
    value = direction.strip().lower()
    if value not in DIRECTIONS:
        raise ValidationFailedError(
            f"direction must be 'in' or 'out', not {shown(direction)}", field="direction"
        )
    return value


async def _stored_by_key(session: AsyncSession, actor: str, key: str) -> Punch | None:
    return await session.scalar(
        select(Punch).where(Punch.actor == actor, Punch.idempotency_key == key)
    )


async def _twin(
    session: AsyncSession, employee_id: int, direction: str, instant: dt.datetime
) -> Punch | None:
    """An identical punch stored within :data:`DUPLICATE_WINDOW` (a keyless punch sent twice)."""
    at = instant.astimezone(dt.UTC)
    return await session.scalar(
        select(Punch)
        .where(
            Punch.employee_id == employee_id,
            Punch.direction == direction,
            Punch.kind == "punch",
            Punch.at >= at - DUPLICATE_WINDOW,
            Punch.at <= at + DUPLICATE_WINDOW,
        )
        .order_by(Punch.id)
        .limit(1)
    )


def _replay(stored: Punch, fingerprint: str) -> PunchOutcome:
    if stored.fingerprint != fingerprint:
        raise ValidationFailedError(
            "this Idempotency-Key was already used for a different punch",
            field="idempotency_key",
            punch_id=stored.id,
        )
    return PunchOutcome(stored, created=False, duplicate="idempotency_key")


async def store_punch(
    session: AsyncSession,
    sender: Sender,
    data: PunchData,
    now: dt.datetime,
    cache: dict[Any, Employee] | None = None,
    *,
    batch: bool,
) -> PunchOutcome:
    """Check and store one punch.

    In a batch (``batch``), inside a savepoint, and the caller commits; alone, committed here,
    with as few round trips as possible (ingest is the hot path: no savepoint, no pre-check of
    the key, which the unique constraint checks anyway).
    """
    direction = _check_direction(data.direction)
    data = PunchData(
        direction=direction,
        at=data.at,
        employee_id=data.employee_id,
        staff_no=data.staff_no,
        reason=(data.reason or "").strip() or None,
        idempotency_key=data.idempotency_key,
    )
    if data.at.tzinfo is None:
        check_instant(data.at, now, oldest=BACKFILL_LIMIT)  # raises: no offset
    employee = await _employee(session, data, cache)
    source, oldest = _authorise(sender, employee, data)
    check_instant(data.at, now, oldest=oldest)
    await _check_after_hire(session, employee, data.at)
    if not employee.active:
        await _check_before_leaving(session, employee, data.at, direction)
    fingerprint = _fingerprint(employee.id, data, source)
    key = data.idempotency_key
    if key is not None:
        if not 1 <= len(key) <= 200:
            raise ValidationFailedError(
                "an Idempotency-Key has 1 to 200 characters", field="idempotency_key"
            )
        if batch:  # a single punch skips this round trip: the INSERT's constraint decides
            stored = await _stored_by_key(session, sender.actor, key)
            if stored is not None:
                return _replay(stored, fingerprint)
    else:
        twin = await _twin(session, employee.id, direction, data.at)
        if twin is not None:
            return PunchOutcome(twin, created=False, duplicate="window")
    punch = Punch(
        employee_id=employee.id,
        department_id=employee.department_id,
        direction=direction,
        at=data.at,
        kind="punch",
        source=source,
        device_id=sender.device.id if sender.device else None,
        actor=sender.actor,
        idempotency_key=key,
        fingerprint=fingerprint,
        reason=data.reason,
        created_by=sender.principal.user_ref if sender.principal else None,
        created_at=now,
    )
    if not batch:
        # One statement: ON CONFLICT DO NOTHING makes a concurrent retry wait for the winner
        # and then insert nothing, instead of failing (no exception, no rollback round trip).
        conn = await session.connection()
        new_id = await _insert(conn, _values(punch))
        await session.commit()
        if new_id is None:
            return await _answer_conflict(session, sender.actor, key, fingerprint)
        punch.id = new_id
        return PunchOutcome(punch, created=True)
    try:
        async with session.begin_nested():
            session.add(punch)
            await session.flush()
    except IntegrityError:
        # The key was stored before (a retry), or a concurrent retry won the race: answer what
        # is stored. Only this row's savepoint is rolled back.
        stored = await _stored_by_key(session, sender.actor, key) if key else None
        if stored is None:
            raise
        return _replay(stored, fingerprint)
    return PunchOutcome(punch, created=True)


_PUNCH_COLUMNS = (
    "employee_id",
    "department_id",
    "direction",
    "at",
    "kind",
    "source",
    "device_id",
    "actor",
    "idempotency_key",
    "fingerprint",
    "reason",
    "created_by",
    "created_at",
)
#: Hands out the request's connection when it is first needed.
ConnectionSource = Callable[[], Awaitable[AsyncConnection]]


def _values(punch: Punch) -> dict[str, Any]:
    return {name: getattr(punch, name) for name in _PUNCH_COLUMNS}


async def _insert(conn: AsyncConnection, values: dict[str, Any]) -> int | None:
    """INSERT one punch, nothing if its key is stored already; the new id, or None."""
    row = (await conn.execute(insert_statement(conn.dialect.name), values)).first()
    return int(row[0]) if row is not None else None


async def _answer_conflict(
    session: AsyncSession, actor: str, key: str | None, fingerprint: str
) -> PunchOutcome:
    """The INSERT found the key taken (a retry, or a concurrent retry won): answer the stored."""
    stored = await _stored_by_key(session, actor, key) if key else None
    if stored is None:
        raise ConflictError("the punch could not be stored; send it again")
    return _replay(stored, fingerprint)


async def _device_ref(conn: ConnectionSource, authorization: str | None) -> DeviceRef:
    """The device of a credential, from the cache or the database (only good ones are cached)."""
    key = device_credential(authorization)

    async def load() -> DeviceRef:
        row = (
            await (await conn()).execute(
                select(
                    AttendanceDevice.department_id,
                    AttendanceDevice.name,
                    AttendanceDevice.secret_hash,
                    AttendanceDevice.active,
                    AttendanceDevice.last_seen_at,
                ).where(AttendanceDevice.id == key[0])
            )
        ).first()
        expected = row.secret_hash if row is not None else hash_secret("")
        if row is None or not hmac.compare_digest(expected, key[1]) or not row.active:
            raise AuthenticationError("unknown or revoked device credential")
        return DeviceRef(key[0], row.department_id, row.name, row.last_seen_at, key)

    ref: DeviceRef = await cached(DEVICES, key, load)
    return ref


async def _employee_ref(conn: ConnectionSource, data: PunchData, device: DeviceRef) -> EmployeeRef:
    """The employee a device punches for.

    A device's whole department is loaded at once and kept for :data:`~scheduler.attendance.device_cache.CACHE_TTL` (one query per
    device every few seconds, not one per person: a shift start is hundreds of different
    people). Anyone not in it (another department's employee, a typo) is looked up on its own,
    so the answer (403 or 404) is exact.
    """
    if data.employee_id is None and not data.staff_no:
        raise ValidationFailedError(
            "name the employee (employee_id or staff_no)",
            errors=[{"field": "employee_id", "message": "required"}],
        )
    check_employee_id(data.employee_id)

    async def load() -> _DepartmentStaff:
        rows = (
            await (await conn()).execute(
                select(
                    Employee.id,
                    Employee.staff_no,
                    Employee.department_id,
                    Employee.active,
                    Employee.hire_date,
                ).where(Employee.department_id == device.department_id)
            )
        ).all()
        refs = [
            (
                row.staff_no,
                EmployeeRef(row.id, row.department_id, row.active, row.staff_no, row.hire_date),
            )
            for row in rows
        ]
        return _DepartmentStaff(
            by_id={ref.id: ref for _, ref in refs},
            by_staff_no={staff_no: ref for staff_no, ref in refs if staff_no},
        )

    staff: _DepartmentStaff = await cached(DEVICE_STAFF, device.key, load)
    if data.employee_id is not None:
        ref = staff.by_id.get(data.employee_id)
    else:
        ref = staff.by_staff_no.get(data.staff_no or "")
    if ref is not None:
        return ref
    stmt = select(
        Employee.id, Employee.department_id, Employee.active, Employee.staff_no, Employee.hire_date
    ).where(
        Employee.id == data.employee_id
        if data.employee_id is not None
        else Employee.staff_no == data.staff_no
    )
    row = (await (await conn()).execute(stmt)).first()
    if row is None:
        name = data.employee_id if data.employee_id is not None else data.staff_no
        raise NotFoundError(f"employee {name} not found", field="employee_id")
    return EmployeeRef(row.id, row.department_id, row.active, row.staff_no, row.hire_date)


class _SessionOnDemand:
    """The punch's session, opened on first use: a warm keyed device punch needs none.

    Opening and closing a session for every request cost a third of a device punch's CPU; the
    group-committed INSERT does not use it, so only cache misses, keyless punches (the
    duplicate-window query), replays and the rare ``last_seen_at`` refresh open one.
    """

    __slots__ = ("_factory", "_session")

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory
        self._session: AsyncSession | None = None

    def __call__(self) -> AsyncSession:
        if self._session is None:
            self._session = self._factory()
        return self._session

    async def commit(self) -> None:
        """Commit if anything began (which also gives the connection back to the pool)."""
        if self._session is not None and self._session.in_transaction():
            await self._session.commit()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def record_device_punch(
    sessions: async_sessionmaker[AsyncSession],
    authorization: str | None,
    data: PunchData,
    now: dt.datetime | None = None,
) -> PunchOutcome:
    """A time clock's single punch: the hot path of ingestion, in as few round trips as possible.

    The credential and the employee's department come from short-lived caches (see
    :data:`~scheduler.attendance.device_cache.CACHE_TTL`); on PostgreSQL a keyed punch is group-committed (``ingest.py``: one
    autocommitted multi-row INSERT per burst), and no session is opened unless needed. The
    checks are those of :func:`record_punch`.
    """
    session = _SessionOnDemand(sessions)
    try:
        return await _device_punch(session, sessions.kw.get("bind"), authorization, data, now)
    finally:
        await session.close()


async def _device_punch(
    session: _SessionOnDemand,
    bind: Any,
    authorization: str | None,
    data: PunchData,
    now: dt.datetime | None,
) -> PunchOutcome:
    moment = now or utcnow()
    postgres = isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql"
    options = {"isolation_level": "AUTOCOMMIT"} if postgres else None

    async def _conn() -> AsyncConnection:
        if session().in_transaction():
            return await session().connection()
        return await session().connection(execution_options=options)

    device = await _device_ref(_conn, authorization)
    sender = Sender(actor=f"device:{device.id}", device=device)
    direction = _check_direction(data.direction)
    reason = (data.reason or "").strip() or None
    if data.at.tzinfo is None:
        check_instant(data.at, moment, oldest=BACKFILL_LIMIT)  # raises: no offset
    if data.direction != direction or data.reason != reason:
        data = PunchData(
            direction=direction,
            at=data.at,
            employee_id=data.employee_id,
            staff_no=data.staff_no,
            reason=reason,
            idempotency_key=data.idempotency_key,
        )
    employee = await _employee_ref(_conn, data, device)
    source, oldest = _authorise(sender, employee, data)
    check_instant(data.at, moment, oldest=oldest)
    if employee.hire_date is not None and data.at < _surely_hired(employee.hire_date):
        # Rare (a clock set wrong, a new starter's first morning): only then is the zone read.
        row = (
            await (await _conn()).execute(
                select(Department.timezone).where(Department.id == employee.department_id)
            )
        ).first()
        zone = row.timezone if row is not None else "Asia/Shanghai"
        if clock.local_date(data.at, zone) < employee.hire_date:
            raise _refuse_before_hire(employee.id, employee.hire_date, zone)
    fingerprint = _fingerprint(employee.id, data, source)
    key = data.idempotency_key
    if key is not None and not 1 <= len(key) <= 200:
        raise ValidationFailedError(
            "an Idempotency-Key has 1 to 200 characters", field="idempotency_key"
        )
    if key is None:
        await _conn()  # the session's connection, in autocommit on PostgreSQL
        twin = await _twin(session(), employee.id, direction, data.at)
        if twin is not None:
            await session.commit()
            return PunchOutcome(twin, created=False, duplicate="window")
    values: dict[str, Any] = {
        "employee_id": employee.id,
        "department_id": employee.department_id,
        "direction": direction,
        "at": data.at,
        "kind": "punch",
        "source": source,
        "device_id": device.id,
        "actor": sender.actor,
        "idempotency_key": key,
        "fingerprint": fingerprint,
        "reason": reason,
        "created_by": None,
        "created_at": moment,
    }
    if key is not None and postgres:
        # Give back a connection a cache miss took: the writer needs one from the same pool,
        # and fifty requests each holding one while waiting for it would starve it.
        await session.commit()
        new_id = await writer_for(bind).insert(values)
    else:
        new_id = await _insert(await _conn(), values)
    if device.last_seen_at is None or moment - device.last_seen_at > DEVICE_SEEN_EVERY:
        # Not on every punch: every punch of a device would queue on this one row's lock.
        await (await _conn()).execute(
            update(AttendanceDevice)
            .where(AttendanceDevice.id == device.id)
            .values(last_seen_at=moment)
        )
        device.last_seen_at = moment
    await session.commit()
    if new_id is None:
        return await _answer_conflict(session(), sender.actor, key, fingerprint)
    return PunchOutcome(StoredPunch(id=new_id, **values), created=True)


async def record_punch(
    session: AsyncSession, sender: Sender, data: PunchData, now: dt.datetime | None = None
) -> PunchOutcome:
    """Check and store one punch, committed before the client is answered."""
    moment = now or utcnow()
    device = sender.device
    if device is not None and (
        device.last_seen_at is None or moment - device.last_seen_at > DEVICE_SEEN_EVERY
    ):
        # Not on every punch: every punch of a device would queue on this one row's lock.
        device.last_seen_at = moment
    return await store_punch(session, sender, data, moment, batch=False)
