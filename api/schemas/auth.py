"""Bodies of sign-in and user management."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from api.schemas.base import Id, Input, Name, Output
from scheduler.auth.roles import Role

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._@-]+$")]


class LoginIn(Input):
    """Credentials."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class TokenOut(Output):
    """A bearer token for the Authorization header."""

    access_token: str
    token_type: str
    expires_at: dt.datetime


class UserOut(Output):
    """A login as others may see it (never its password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    department_id: int | None
    employee_id: int | None
    active: bool
    last_login_at: dt.datetime | None


class UserIn(Input):
    """A new login."""

    username: Username
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    role: Role
    display_name: Name | None = None
    department_id: Id | None = None
    employee_id: Id | None = None


class UserActiveIn(Input):
    """Enable or disable a login."""

    active: bool


class PasswordResetIn(Input):
    """A new password set for someone else (they are signed out everywhere)."""

    new_password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class PasswordChangeIn(Input):
    """A user's own password change."""

    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    new_password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
