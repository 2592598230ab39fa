"""Liveness and readiness, for load balancers and orchestrators (public, no token)."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from api.deps import sessionmaker_of
from api.schemas.base import Output
from scheduler.db.migrate import head_revisions, schema_revisions


class HealthOut(Output, omit_defaults=True):
    """Whether the process answers (and, for /ready, whether it can do work)."""

    status: str
    database: str | None = None
    migrations: str | None = None
    detail: str | None = None


@get("/health", exclude_from_auth=True, tags=["health"], summary="Liveness", sync_to_thread=False)
def health() -> HealthOut:
    """The process is up; says nothing about the database (that is /ready)."""
    return HealthOut(status="ok")


@get(
    "/ready",
    exclude_from_auth=True,
    tags=["health"],
    summary="Readiness: database reachable and migrations at head",
    responses={503: ResponseSpec(data_container=HealthOut, description="Not ready")},
)
async def ready(state: State) -> Response[HealthOut]:
    """Ready only when the database answers and its schema is the one this code expects."""
    try:
        async with sessionmaker_of(state)() as session:
            current = await schema_revisions(session)
    except Exception as exc:  # any failure to reach the database means not ready
        body = HealthOut(status="unavailable", database="unreachable", detail=type(exc).__name__)
        return Response(body, status_code=503)
    expected = head_revisions()
    if current != expected:
        body = HealthOut(
            status="unavailable",
            database="ok",
            migrations=f"at {sorted(current) or 'none'}, expected {sorted(expected)}; run `rota migrate`",
        )
        return Response(body, status_code=503)
    return Response(HealthOut(status="ok", database="ok", migrations="head"))
