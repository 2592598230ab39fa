"""Login tokens and role guards.

Tokens are Litestar's JWT (PyJWT underneath): HS256 signed with ROTA_SECRET_KEY, with issuer,
audience and expiry all required and checked. The token only names the user; role and scope are
read from the database on every request, so disabling a user or changing their role takes effect
at once rather than when the token expires.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import JWTCookieAuth, Token

from scheduler.auth.principal import Principal
from scheduler.auth.roles import Role
from scheduler.auth.service import load_principal
from scheduler.settings import Settings


async def _retrieve_principal(
    token: Token, connection: ASGIConnection[Any, Any, Any, Any]
) -> Principal | None:
    try:
        user_id = int(token.sub)
    except ValueError:
        return None
    async with connection.app.state.sessionmaker() as session:
        version = token.extras.get("pwv", 0)
        if not isinstance(version, int):
            return None
        return await load_principal(session, user_id, password_version=version)


COOKIE_NAME = "rota_token"


def make_jwt_auth(settings: Settings) -> JWTCookieAuth[Principal, Token]:
    """The app's authentication: every route needs a token unless it opts out.

    API clients send ``Authorization: Bearer``; a browser showing the roster page sends the
    same token as an HttpOnly, SameSite=Strict cookie set at login.
    """
    return JWTCookieAuth[Principal, Token](
        retrieve_user_handler=_retrieve_principal,
        token_secret=settings.secret_key,
        default_token_expiration=dt.timedelta(minutes=settings.token_ttl_minutes),
        accepted_issuers=[settings.jwt_issuer],
        accepted_audiences=[settings.jwt_audience],
        require_claims=["exp", "iss", "aud", "sub", "iat"],
        exclude_opt_key="exclude_from_auth",
        # The API docs are public; anchored so no other path can match by accident.
        exclude=["^/schema(/|$)"],
        description="Bearer token from POST /auth/login.",
        key=COOKIE_NAME,
        samesite="strict",
        secure=settings.env == "production",
    )


def issue_token(
    jwt_auth: JWTCookieAuth[Principal, Token], settings: Settings, principal: Principal
) -> tuple[str, dt.datetime]:
    """A signed token for ``principal`` and the instant it expires."""
    ttl = dt.timedelta(minutes=settings.token_ttl_minutes)
    expires = dt.datetime.now(dt.UTC) + ttl
    token = jwt_auth.create_token(
        identifier=str(principal.user_id),
        token_expiration=ttl,
        token_issuer=settings.jwt_issuer,
        token_audience=settings.jwt_audience,
        token_extras={"role": principal.role.value, "pwv": principal.password_version},
    )
    return token, expires


def requires_role(
    *roles: Role,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard: only these roles reach the handler (scope is checked in the service)."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, Principal):
            raise NotAuthorizedException("sign in first")
        if user.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise PermissionDeniedException(
                f"role {user.role.value} may not do this; needs one of: {names}"
            )

    return guard


ANY_ROLE = tuple(Role)
STAFF_MANAGERS = (Role.DEPT_MANAGER, Role.ADMIN)
