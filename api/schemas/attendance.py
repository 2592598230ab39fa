"""Request and response bodies of attendance: punches, devices, derived days, policy."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

from api.schemas.base import Id, Input, Output

Direction = Literal["in", "out"]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class PunchIn(Input):
    """A clock-in or clock-out. ``at`` is ISO 8601 with an offset (a bare local time is refused).

    Leave ``employee_id`` out to punch for yourself; a manager entering a punch for someone
    else names them and gives a ``reason``.
    """

    direction: Direction
    at: dt.datetime
    employee_id: int | None = None
    reason: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class DevicePunchIn(Input):
    """A time clock's clock-in or clock-out, for anyone of its department.

    Name the person by ``employee_id`` or by ``staff_no`` (what a badge usually carries).
    """

    direction: Direction
    at: dt.datetime
    employee_id: int | None = None
    staff_no: Annotated[str, msgspec.Meta(min_length=1, max_length=50)] | None = None
    reason: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class PunchOut(Output):
    """A stored punch record (punches, corrections and voids alike)."""

    id: int
    employee_id: int
    department_id: int
    direction: str
    at: dt.datetime
    kind: str
    source: str
    reason: str | None
    corrects_id: int | None
    created_by: int | None
    created_at: dt.datetime
    idempotency_key: str | None = None
    duplicate: str | None = None


class BatchRowOut(Output):
    """What became of one row of a batch: ``created``, ``duplicate`` or ``refused`` (and why)."""

    row: int
    status: str
    punch_id: int | None = None
    error: str | None = None
    field: str | None = None


class BatchOut(Output):
    """Counts and row-by-row outcomes of a batch upload."""

    created: int
    duplicates: int
    refused: int
    rows: list[BatchRowOut]


class CorrectionIn(Input):
    """A manager's correction of a stored punch: a new instant and/or direction, or ``void``."""

    reason: Reason
    at: dt.datetime | None = None
    direction: Direction | None = None
    void: bool = False


class CorrectionRequestIn(Input):
    """An agent's request for a correction of their own punch.

    Name the wrong ``punch_id`` (to move or void it), or none for a missing punch (then
    ``direction`` and ``at`` are required).
    """

    reason: Reason
    punch_id: Id | None = None
    direction: Direction | None = None
    at: dt.datetime | None = None
    void: bool = False


class CorrectionRequestOut(Output):
    """An agent's correction request and the approval request carrying it."""

    id: int
    employee_id: int
    punch_id: int | None
    direction: str
    at: dt.datetime | None
    void: bool
    reason: str
    status: str
    approval_request_id: int | None
    #: The same id under the name leave requests and swaps use for their approval.
    approval_id: int | None
    result_punch_id: int | None


class DeviceIn(Input):
    """A time clock to register for a department."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class DeviceOut(Output):
    """A registered device (its secret is shown only when created)."""

    id: int
    department_id: int
    name: str
    active: bool
    last_seen_at: dt.datetime | None
    secret: str | None = None
    authorization: str | None = None


class BreachOut(Output):
    """One breach of a day: its penalty and the rule that produced it.

    ``as_absence``: a lateness or early leave its tier counts as absence (the summary counts it
    in ``absence_days``, not as a lateness). ``capped``: cut so the shift's breaches together
    cost no more than not showing up (its rule says so).
    """

    kind: str
    minutes: int
    rule: str
    deduction: float
    absence_days: float
    escalated: bool
    as_absence: bool = False
    capped: bool = False


class DayOut(Output):
    """One derived day of a person.

    ``scheduled_start``/``scheduled_end`` are the expected working window: the shift, or on a
    half-day leave (``half`` names the half on leave, ``leave_type`` its type) the other half.
    ``leave_days`` is the leave taken (1, 0.5 or 0). ``stray_punch_ids``: punches of the day that
    belong to no shift (they judge nothing; correct them). ``holiday``: a statutory holiday.
    ``late_minutes`` and ``early_minutes`` are what the punches measured (minutes inside the
    grace, and lateness or early leave that became absence, included); the month's summary and
    HR's export count only the ``breaches`` not counted as absence, so the export's detail row
    may show 0 late minutes where this day shows 3 (see ``breaches`` for how each was judged).
    ``counted_late_minutes`` and ``counted_early_minutes`` are those export figures.
    """

    date: dt.date
    status: str
    shift_code: str | None
    shift_name: str | None
    leave_type: str | None
    scheduled_start: dt.datetime | None
    scheduled_end: dt.datetime | None
    first_in: dt.datetime | None
    last_out: dt.datetime | None
    late_minutes: int
    early_minutes: int
    counted_late_minutes: int
    counted_early_minutes: int
    overtime_minutes: int
    worked_minutes: int
    missing: str | None
    deduction: float
    breaches: list[BreachOut]
    punch_ids: list[int]
    leave_days: float
    half: str | None
    stray_punch_ids: list[int]
    holiday: bool


class CertificateOut(Output):
    """A leave needing a medical certificate (sick leave of 2+ days) and its state.

    ``status``: ``attached``, ``missing`` (not yet due) or ``overdue``.
    """

    leave_request_id: int
    type: str
    start_date: dt.date
    end_date: dt.date
    days: float
    due: dt.date
    status: str


class SummaryOut(Output):
    """A person's month in figures.

    Days still ``pending`` count only in ``pending_shifts``. ``leave_days`` per leave type (half
    days 0.5). ``late_*``/``early_*`` count breaches beyond the grace, except those their tier
    counts as absence: those are in ``absence_days`` (every breach's days counted as absence).
    ``absences`` counts no-shows and ``absent_days`` their days (0.5 beside half-day leave).
    ``holiday_*``: days worked on statutory holidays and their minutes; ``rest_day_minutes``:
    minutes worked on rostered rest days; ``stray_punches``: punches of no shift on working or
    leave days (to correct); ``certificates``: the month's leave that needs a medical certificate.
    """

    scheduled_shifts: int
    worked_shifts: int
    late_count: int
    late_minutes: int
    early_count: int
    early_minutes: int
    absences: int
    absent_days: float
    missing_punches: int
    leave_days: dict[str, float]
    overtime_minutes: int
    rest_days_worked: int
    absence_days: float
    total_deduction: float
    working_days: int
    rest_day_minutes: int
    holiday_days_worked: int
    holiday_minutes_worked: int
    stray_punches: int
    pending_shifts: int
    certificates: list[CertificateOut]


class MonthOut(Output):
    """A person's derived month: days, summary and the policy version that judged it.

    ``hire_date`` and ``left_on`` (the last working day) bound the days judged; days outside
    are ``not_employed``. The days' instants (scheduled start and end, first in, last out) are
    UTC; ``timezone`` is the department's IANA zone, the wall clock shifts are set in, so an app
    shows 15:00-24:00 as the roster says, wherever the phone is.
    """

    employee_id: int
    staff_no: str
    name: str
    month: str
    policy_id: int | None
    summary: SummaryOut
    days: list[DayOut]
    hire_date: dt.date | None = None
    left_on: dt.date | None = None
    timezone: str | None = None


class PolicyIn(Input):
    """A new policy version from ``effective_from`` (the first day of a month) on.

    ``policy`` holds any of: grace_minutes, late_tiers, early_tiers (lists of
    ``{up_to_minutes, deduction, absence_days}``, the last open with ``up_to_minutes: null``),
    absence_deduction, missing_punch_deduction, escalate_from_lateness, escalation_factor,
    overtime_min_minutes, correction_window_days, deduction_unit (what deductions are counted
    in, e.g. "points" or "CNY": exports show it). Missing fields take the defaults.
    """

    effective_from: dt.date
    policy: dict[str, Any]
    note: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class PolicyVersionOut(Output):
    """A stored version."""

    id: int
    effective_from: dt.date
    revision: int
    created_by: int | None
    created_at: dt.datetime
    note: str | None


class PolicyOut(Output):
    """The policy judging a month, and every stored version of the department."""

    department_id: int
    month: str
    policy_id: int | None
    is_default: bool
    policy: dict[str, Any]
    versions: list[PolicyVersionOut]
