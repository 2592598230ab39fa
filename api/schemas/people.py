"""Bodies of employees and the CSV import."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from api.schemas.base import Input, Output

StaffNo = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=r"^\S(.*\S)?$")]
PersonName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Flag = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
ContractKind = Annotated[str, msgspec.Meta(pattern=r"^(days|hours)$")]
ContractAmount = Annotated[int, msgspec.Meta(ge=0, le=744)]
Email = Annotated[str, msgspec.Meta(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
Phone = Annotated[str, msgspec.Meta(max_length=50)]


class EmployeeIn(Input):
    """A new employee. ``contract_min``/``contract_max`` are per month, in ``contract_kind`` units."""

    staff_no: StaffNo
    name: PersonName
    department_id: int
    hire_date: dt.date
    team_id: int | None = None
    active: bool = True
    flags: list[Flag] = msgspec.field(default_factory=list)
    contract_kind: ContractKind = "days"
    contract_min: ContractAmount | None = None
    contract_max: ContractAmount | None = None
    email: Email | None = None
    phone: Phone | None = None


class EmployeePatch(Input):
    """Fields to change; omitted fields stay. ``version`` (optional) guards against lost updates."""

    version: int | None = None
    name: PersonName | msgspec.UnsetType = msgspec.UNSET
    team_id: int | msgspec.UnsetType | None = msgspec.UNSET
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
            if f != "version" and getattr(self, f) is not msgspec.UNSET
        }


class EmployeeOut(Output):
    """An employee."""

    id: int
    staff_no: str
    name: str
    department_id: int
    team_id: int | None
    hire_date: dt.date
    active: bool
    flags: list[str]
    contract_kind: str
    contract_min: int | None
    contract_max: int | None
    email: str | None
    phone: str | None
    version: int


class ImportOut(Output):
    """An accepted CSV file."""

    created: int
    employees: list[EmployeeOut]
