"""Dependencies every route can ask for: a database session and the signed-in principal.

A request gets one session; services commit explicitly the writes a client relies on (STYLE.md,
"Transactions"), and whatever was not committed is rolled back when the request ends, so a
failed request leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.auth.principal import Principal
from scheduler.errors import AuthenticationError
from scheduler.settings import Settings


def sessionmaker_of(state: State) -> async_sessionmaker[AsyncSession]:
    """The app's session factory (set up in the app factory)."""
    factory: async_sessionmaker[AsyncSession] = state.sessionmaker
    return factory


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """One session per request; rolled back at the end unless a service committed."""
    async with sessionmaker_of(state)() as session:
        try:
            yield session
        finally:
            if session.in_transaction():
                await session.rollback()


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The principal the JWT middleware put on the request."""
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise AuthenticationError("sign in first")
    return user


def provide_settings(state: State) -> Settings:
    """The app's settings."""
    settings: Settings = state.settings
    return settings
