"""Sign-in, the signed-in user, and user management."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.login_limits import STORE_NAME, LoginLimiter
from api.problems import (
    ConflictProblem,
    TooManyRequestsProblem,
    UnavailableProblem,
    UnprocessableProblem,
)
from api.schemas.auth import (
    LoginIn,
    PasswordChangeIn,
    PasswordResetIn,
    TokenOut,
    UserActiveIn,
    UserIn,
    UserOut,
)
from api.schemas.base import PageOut
from api.schemas.query import Limit, Offset
from api.security import COOKIE_NAME, issue_token
from scheduler.auth import service
from scheduler.auth.models import User
from scheduler.auth.principal import Principal
from scheduler.auth.roles import Role
from scheduler.settings import Settings


def user_out(user: User) -> UserOut:
    """The public view of a user row."""
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        department_id=user.department_id,
        employee_id=user.employee_id,
        active=user.active,
        last_login_at=user.last_login_at,
    )


def make_login_handler(settings: Settings) -> Any:
    """The login route, carrying the per-address rate limit configured for this app."""

    @post(
        "/auth/login",
        exclude_from_auth=True,
        tags=["auth"],
        summary="Sign in with username and password",
        raises=[NotAuthorizedException, TooManyRequestsProblem, UnavailableProblem],
        status_code=200,
    )
    async def login(
        data: JSONBody[LoginIn],
        db_session: NamedDependency[AsyncSession],
        state: State,
        request: Request[Any, Any, Any],
    ) -> Response[TokenOut]:
        """Check the password and answer a signed token that expires.

        Attempts are counted per client address and per account before the password is
        checked (a wrong password keeps both counts; a right one clears the account's and gives
        the address its attempt back, so only failures count); too many get 429 with
        Retry-After. 503 when the shared limit store (Redis) is unreachable.
        """
        limiter = LoginLimiter(
            request.app.stores.get(STORE_NAME), settings.login_attempts_per_minute
        )
        await limiter.attempt(request, data.username)
        user = await service.authenticate(db_session, data.username, data.password)
        await limiter.succeeded(request, data.username)
        token, expires = issue_token(state.jwt_auth, settings, service.principal_of(user))
        body = TokenOut(access_token=token, token_type="Bearer", expires_at=expires)  # noqa: S106
        cookie = Cookie(
            key=COOKIE_NAME,
            value=token,
            max_age=settings.token_ttl_minutes * 60,
            httponly=True,
            samesite="strict",
            secure=settings.env == "production",
        )
        return Response(body, cookies=[cookie])

    return login


@get("/me", tags=["auth"], summary="The signed-in user", raises=[NotAuthorizedException])
async def me(
    principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
) -> UserOut:
    """Who the token belongs to, with role and scope."""
    return user_out(await service.get_user(db_session, principal, principal.user_id))


@post(
    "/me/password",
    tags=["auth"],
    summary="Change my password",
    status_code=204,
    raises=[NotAuthorizedException, UnprocessableProblem],
)
async def change_password(
    data: JSONBody[PasswordChangeIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> None:
    """Needs the current password, so a stolen token alone cannot take over the account."""
    await service.change_password(db_session, principal, data.current_password, data.new_password)


@post(
    "/users",
    tags=["users"],
    summary="Create a login",
    status_code=201,
    raises=[PermissionDeniedException, UnprocessableProblem, ConflictProblem],
)
async def create_user(
    data: JSONBody[UserIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> UserOut:
    """Admin creates any user; a department manager creates staff logins in their department."""
    user = await service.create_user(
        db_session,
        principal,
        service.NewUser(
            username=data.username,
            password=data.password,
            role=data.role,
            display_name=data.display_name,
            department_id=data.department_id,
            employee_id=data.employee_id,
        ),
    )
    return user_out(user)


@get("/users", tags=["users"], summary="List logins", raises=[PermissionDeniedException])
async def list_users(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    department_id: FromQuery[int | None] = None,
    role: FromQuery[Role | None] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[UserOut]:
    """Admin, HR and GM see every login; a department manager those of their department."""
    page = await service.list_users(
        db_session, principal, department_id=department_id, role=role, limit=limit, offset=offset
    )
    return PageOut(
        items=[user_out(u) for u in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@get("/users/{user_id:int}", tags=["users"], summary="One login", raises=[NotFoundException])
async def get_user(
    user_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> UserOut:
    """A login visible to the caller."""
    return user_out(await service.get_user(db_session, principal, user_id))


@patch(
    "/users/{user_id:int}",
    tags=["users"],
    summary="Enable or disable a login",
    raises=[PermissionDeniedException, NotFoundException, UnprocessableProblem],
)
async def set_user_active(
    user_id: FromPath[int],
    data: JSONBody[UserActiveIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> UserOut:
    """Disabling takes effect at once: the user's tokens stop working on the next request."""
    return user_out(await service.set_active(db_session, principal, user_id, data.active))


@post(
    "/users/{user_id:int}/password",
    tags=["users"],
    summary="Reset someone's password",
    raises=[PermissionDeniedException, NotFoundException, UnprocessableProblem],
    status_code=200,
)
async def reset_password(
    user_id: FromPath[int],
    data: JSONBody[PasswordResetIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> UserOut:
    """Admin (anyone) or department manager (their staff).

    The user's tokens stop working at once; they sign in with the new password.
    """
    return user_out(await service.reset_password(db_session, principal, user_id, data.new_password))


ROUTES = [me, change_password, create_user, list_users, get_user, set_user_active, reset_password]
