"""Bodies of organisations, departments and teams."""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.schemas.base import Id, Input, Name, Output


class OrganisationIn(Input):
    """A new organisation."""

    name: Name


class OrganisationOut(Output):
    """An organisation."""

    id: int
    name: str


class DepartmentIn(Input):
    """A new department."""

    organisation_id: Id
    name: Name
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_-]+$")]
    timezone: str = "Asia/Shanghai"
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{2}$")] = "CN"


class DepartmentOut(Output):
    """A department."""

    id: int
    organisation_id: int
    name: str
    code: str
    timezone: str
    country: str


class TeamIn(Input):
    """A new team, or a team's new name."""

    name: Name


class TeamOut(Output):
    """A team."""

    id: int
    department_id: int
    name: str
