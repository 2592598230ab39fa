"""Bodies of roster settings, shift types, calendar days, solve jobs, drafts and edits."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from api.schemas.base import Counter, Id, Input, Output

Month = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-12"])]
HHMM = Annotated[str, msgspec.Meta(pattern=r"^\d{2}:\d{2}$", examples=["08:30", "24:00"])]
Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_-]{1,20}$")]
Colour = Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$")]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class ShiftTypeIn(Input):
    """A shift type. ``end`` may be "24:00", or earlier than ``start`` for a shift crossing midnight."""

    code: Code
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    start: HHMM
    end: HHMM
    late: bool = False
    never_alone: bool = False
    colour: Colour = "#9ecae1"
    active: bool = True


class ShiftTypePatch(Input):
    """Fields of a shift type to change."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    start: HHMM | msgspec.UnsetType = msgspec.UNSET
    end: HHMM | msgspec.UnsetType = msgspec.UNSET
    late: bool | msgspec.UnsetType = msgspec.UNSET
    never_alone: bool | msgspec.UnsetType = msgspec.UNSET
    colour: Colour | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class ShiftTypeOut(Output):
    """A shift type, times as local wall-clock HH:MM."""

    id: int
    department_id: int
    code: str
    name: str
    start: str
    end: str
    crosses_midnight: bool
    late: bool
    never_alone: bool
    colour: str
    active: bool


class RosterConfigIn(Input):
    """Some of the department's roster settings, merged into those in force (``null`` removes).

    ``version``, when given, must be the stored version (else 409), so a change made from a
    stale page is refused instead of merged.
    """

    settings: dict[str, Any]
    version: Counter | None = None


class RosterConfigOut(Output):
    """The settings in force (merged over the defaults) and their stored version (0: defaults)."""

    department_id: int
    settings: dict[str, Any]
    version: int


class CalendarDayIn(Input):
    """A company-specific calendar day."""

    date: dt.date
    kind: Annotated[str, msgspec.Meta(pattern=r"^(holiday|workday|not_holiday)$")]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class CalendarDayOut(Output):
    """A day of the resolved calendar."""

    date: dt.date
    kind: str
    name: str
    source: str


class RosterJobIn(Input):
    """Generate (or repair) the roster of a team or a whole department for a month."""

    month: Month
    team_id: Id | None = None
    department_id: Id | None = None
    time_limit_s: Annotated[float, msgspec.Meta(ge=1, le=3600)] | None = None


class RepairIn(Input):
    """Ask for a repaired draft of a published roster."""

    time_limit_s: Annotated[float, msgspec.Meta(ge=1, le=3600)] | None = None


class RetryIn(Input):
    """Run a job again; ``time_limit_s`` (default: the old job's) gives a slow solve more time."""

    time_limit_s: Annotated[float, msgspec.Meta(ge=1, le=3600)] | None = None


class RosterJobOut(Output):
    """A solve job and its progress."""

    id: int
    roster_id: int
    kind: str
    status: str
    cancel_requested: bool
    objective: int | None
    best_bound: float | None
    gap: float | None
    elapsed_s: float | None
    solutions: int
    time_limit_s: float
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    result_version: int | None
    error: str | None
    explanation: dict[str, Any] | None
    retry_of: int | None
    links: dict[str, str]


class RosterSummaryOut(Output):
    """A roster: scope, month and its versions."""

    id: int
    department_id: int
    team_id: int | None
    month: str
    versions: list[VersionSummaryOut]


class VersionSummaryOut(Output):
    """One version of a roster."""

    number: int
    status: str
    origin: str
    revision: int
    objective: int | None
    hard_violations: int
    created_at: dt.datetime
    published_at: dt.datetime | None
    published_by: int | None
    based_on: int | None
    note: str | None
    #: On publishing a version that breaks hard rules (kept by a manager's override): each one,
    #: so the answer says what the staff are now told. Empty otherwise.
    violations: list[dict[str, Any]] = msgspec.field(default_factory=list)


class CellEditIn(Input):
    """One cell edit."""

    employee_id: Id
    date: dt.date
    action: Annotated[str, msgspec.Meta(pattern=r"^(assign|clear|lock|unlock)$")]
    shift_code: str | None = None


class CellEditsIn(Input):
    """Edits of a draft. ``revision`` (or If-Match) guards against concurrent edits."""

    edits: Annotated[list[CellEditIn], msgspec.Meta(min_length=1, max_length=2000)]
    revision: Counter | None = None
    override_reason: Reason | None = None


class ViolationOut(Output):
    """A broken rule, in the department's terms."""

    rule: str
    message: str
    employee_id: int | None
    date: str | None
    shift: str | None
    hard: bool
    cost: int


class EditOut(Output):
    """The draft after an edit: the violations the edit caused and the ones still open."""

    version: VersionSummaryOut
    caused: list[ViolationOut]
    hard_violations: list[ViolationOut]
    objective: int
    breakdown: dict[str, int]


class PublishIn(Input):
    """Publish a draft. ``revision`` (or If-Match) makes sure you publish what you reviewed.

    ``override_reason`` publishes a draft that breaks hard rules across the month boundary with
    a neighbouring month's roster of record (otherwise a 409 lists them); it is kept in the note.
    """

    revision: Counter | None = None
    override_reason: Reason | None = None


class DraftIn(Input):
    """Start a new draft from a version (default: the published one)."""

    from_version: Counter | None = None


class DiffRowOut(Output):
    """One changed cell."""

    employee_id: int
    employee: str
    date: dt.date
    before: str | None
    after: str | None


class RepairResultOut(Output):
    """A repaired draft and what it changes against the published roster."""

    job: RosterJobOut
    changes: list[DiffRowOut]


class WishIn(Input):
    """A wish for a future roster: a shift on, a shift off (name the shift), or a day off."""

    date: dt.date
    kind: Annotated[str, msgspec.Meta(pattern=r"^(shift_on|shift_off|day_off)$")]
    shift_code: str | None = None
    weight: Annotated[int, msgspec.Meta(ge=1, le=10)] = 3
    note: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class WishOut(Output):
    """A filed wish."""

    id: int
    employee_id: int
    date: dt.date
    kind: str
    shift_code: str | None
    weight: int
    note: str | None
