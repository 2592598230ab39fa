"""Bodies of employees and the CSV import."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from api.schemas.base import Counter, Id, Input, Name, Output

StaffNo = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=r"^\S(.*\S)?$")]
Flag = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
ContractKind = Annotated[str, msgspec.Meta(pattern=r"^(days|hours)$")]
ContractAmount = Annotated[int, msgspec.Meta(ge=0, le=744)]
Email = Annotated[str, msgspec.Meta(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
Phone = Annotated[str, msgspec.Meta(max_length=50)]

#: Members of a patch that say how to apply it rather than being fields of the employee.
_HOW_TO_APPLY = frozenset({"version", "left_on", "moved_from"})


class EmployeeIn(Input):
    """A new employee. ``contract_min``/``contract_max`` are per month, in ``contract_kind`` units."""

    staff_no: StaffNo
    name: Name
    department_id: Id
    hire_date: dt.date
    team_id: Id | None = None
    active: bool = True
    flags: list[Flag] = msgspec.field(default_factory=list)
    contract_kind: ContractKind = "days"
    contract_min: ContractAmount | None = None
    contract_max: ContractAmount | None = None
    email: Email | None = None
    phone: Phone | None = None


class EmployeePatch(Input):
    """Fields to change; omitted fields stay. ``version`` (optional) guards against lost updates.

    ``left_on`` goes with ``active: false``: the person's last working day (default today in the
    department's time zone; not before the hire date, not after today). Every later shift and
    leave day is cleared from the published rosters. ``from`` goes with a change of ``team_id``:
    the first day in the new team (default today; not a future day: the team changes at once,
    so a planned move is made on its day); the old team's published rosters lose the
    person's cells from that day on. Re-activating clears ``left_on``; cleared shifts stay cleared.
    """

    version: Counter | None = None
    left_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    moved_from: dt.date | msgspec.UnsetType = msgspec.field(default=msgspec.UNSET, name="from")
    name: Name | msgspec.UnsetType = msgspec.UNSET
    team_id: Id | msgspec.UnsetType | None = msgspec.UNSET
    hire_date: dt.date | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    flags: list[Flag] | msgspec.UnsetType = msgspec.UNSET
    contract_kind: ContractKind | msgspec.UnsetType = msgspec.UNSET
    contract_min: ContractAmount | msgspec.UnsetType | None = msgspec.UNSET
    contract_max: ContractAmount | msgspec.UnsetType | None = msgspec.UNSET
    email: Email | msgspec.UnsetType | None = msgspec.UNSET
    phone: Phone | msgspec.UnsetType | None = msgspec.UNSET

    def changes(self) -> dict[str, Any]:
        """The fields the client actually sent."""
        return {
            f: getattr(self, f)
            for f in self.__struct_fields__
            if f not in _HOW_TO_APPLY and getattr(self, f) is not msgspec.UNSET
        }

    def date_of(self, name: str) -> dt.date | None:
        """``left_on`` or ``moved_from`` when sent, else None (the service's default applies)."""
        value = getattr(self, name)
        return None if value is msgspec.UNSET else value


class EmployeeOut(Output):
    """An employee."""

    id: int
    staff_no: str
    name: str
    department_id: int
    team_id: int | None
    #: The day the person moved into their team (None: since the hire date); the team's rosters
    #: keep them off every earlier day.
    team_since: dt.date | None
    hire_date: dt.date
    active: bool
    #: Last working day of someone who left (inactive employees deactivated with a date).
    left_on: dt.date | None
    flags: list[str]
    contract_kind: str
    contract_min: int | None
    contract_max: int | None
    email: str | None
    phone: str | None
    version: int


class ClearedCellOut(Output):
    """A cell a derived version cleared: the shift, or leave type, it held that day."""

    date: dt.date
    shift_code: str | None
    absence: str | None


class RosterChangeOut(Output):
    """A published version made because someone left or changed team."""

    roster_id: int
    team_id: int | None
    month: str
    number: int
    cleared: list[ClearedCellOut]


class ShortfallOut(Output):
    """A staffing rule a roster now breaks (too few people); ``repair`` asks for a fix."""

    rule: str
    message: str
    date: dt.date | None
    shift: str | None
    roster_id: int
    repair: str


class ClosedRequestOut(Output):
    """A leave request (``kind`` leave) or swap closed because the person left.

    ``was`` is its status before (``pending``, ``approved``, ``proposed``, ``accepted``);
    ``status`` what it is now (``cancelled``); the reason is on its approval's audit trail (or
    a proposed swap's ``response_note``). ``first_date``..``last_date`` are the days it held.
    """

    kind: str
    id: int
    approval_id: int | None
    was: str
    status: str
    first_date: dt.date
    last_date: dt.date


class EmployeeChangeOut(EmployeeOut, omit_defaults=True):
    """An employee after a change, with the roster versions it made and what they now lack.

    ``roster_versions`` and ``shortfall`` are sent only when the change deactivated the person
    or moved them to another team and a published roster had their cells after that day,
    ``closed_requests`` only when deactivating closed leave requests or swaps of later days, and
    ``notes`` only when there is something to say; otherwise the answer is the employee exactly
    as ``GET /employees/{id}`` shows it.
    """

    roster_versions: list[RosterChangeOut] = msgspec.field(default_factory=list)
    shortfall: list[ShortfallOut] = msgspec.field(default_factory=list)
    closed_requests: list[ClosedRequestOut] = msgspec.field(default_factory=list)
    notes: list[str] = msgspec.field(default_factory=list)


class ImportOut(Output):
    """An accepted CSV file."""

    created: int
    employees: list[EmployeeOut]
