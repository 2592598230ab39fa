"""The Litestar application factory: the whole app wired in one place.

Tests build a fresh app per database with ``create_app(settings)``; ``rota serve`` and the ASGI
entry ``api.app:app_from_env`` build one from the environment.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncGenerator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api import deps
from api.login_limits import rate_limit_store
from api.problems import EXCEPTION_HANDLERS, problem_details_plugin
from api.request import RotaRequest, check_parameters
from api.request_log import RequestLogMiddleware
from api.routes import auth, health
from api.security import make_jwt_auth
from scheduler.attendance.ingest import close_writers
from scheduler.db.session import make_engine, make_sessionmaker
from scheduler.logs import configure_logging
from scheduler.rosters.dispatch import SWEEP_EVERY_S, make_dispatcher
from scheduler.rosters.jobs import sweep_stale
from scheduler.settings import Settings

API_VERSION = "0.1.0"
#: Server-rendered pages (the printable roster); Jinja2 with autoescaping on.
TEMPLATES_DIR = Path(__file__).parent / "templates"


async def _sweep_forever(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Fail solve jobs whose worker stopped beating (every SWEEP_EVERY_S), so none runs forever."""
    while True:
        await asyncio.sleep(SWEEP_EVERY_S)
        try:
            async with sessionmaker() as session:
                await sweep_stale(session)
        except Exception:  # the database may be briefly away; try again next round
            logging.getLogger("rota.jobs").warning("sweep failed", exc_info=True)


def route_handlers(settings: Settings) -> Sequence[ControllerRouterHandler]:
    """Every route of the API; later concepts append their module's ROUTES here."""
    from api.routes import (
        approvals,
        attendance,
        handover,
        leave,
        org,
        people,
        roster_views,
        rosters,
        swaps,
    )

    return [
        health.health,
        health.ready,
        auth.make_login_handler(settings),
        *auth.ROUTES,
        *org.ROUTES,
        *people.ROUTES,
        *roster_views.ROUTES,
        *rosters.ROUTES,
        *attendance.ROUTES,
        *approvals.ROUTES,
        *leave.ROUTES,
        *swaps.ROUTES,
        *handover.ROUTES,
    ]


def create_app(
    settings: Settings, *, engine: AsyncEngine | None = None, freeze_gc: bool = False
) -> Litestar:
    """Build the application for ``settings`` (and an existing engine, in tests).

    ``freeze_gc`` (servers only): once started, move every object made so far (modules, the
    app, its routes and plugins: hundreds of thousands) out of the cyclic garbage collector's
    reach with :func:`gc.freeze`. They live as long as the process anyway, and a full
    collection no longer walks them, which shortens the pauses that make latency tails.
    """
    settings.require_signing_key()
    configure_logging(settings.log_level, settings.effective_log_format)
    owns_engine = engine is None
    db_engine = engine or make_engine(settings.database_url)
    jwt_auth = make_jwt_auth(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        dispatcher = app.state.dispatcher
        await dispatcher.start()
        sweeper = asyncio.create_task(_sweep_forever(app.state.sessionmaker))
        if freeze_gc:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            sweeper.cancel()
            await close_writers(db_engine)
            await dispatcher.stop()
            if owns_engine:
                await db_engine.dispose()

    openapi = OpenAPIConfig(
        title="rota",
        version=API_VERSION,
        description=(
            "Workforce scheduling and attendance for customer-service departments. "
            "Sign in with POST /auth/login and send the token as `Authorization: Bearer ...`. "
            "Every error is an RFC 9457 problem+json body with a request_id."
        ),
        path="/schema",
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
    )
    app = Litestar(
        route_handlers=list(route_handlers(settings)),
        dependencies={
            "db_session": Provide(deps.provide_db_session),
            "principal": Provide(deps.provide_principal, sync_to_thread=False),
            "settings": Provide(deps.provide_settings, sync_to_thread=False),
        },
        on_app_init=[jwt_auth.on_app_init],
        plugins=[problem_details_plugin()],
        # Unreadable JSON, NUL and integers beyond 64 bits: 400s naming the field (api/request.py).
        request_class=RotaRequest,
        before_request=check_parameters,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi,
        stores=StoreRegistry(default_factory=lambda _name: rate_limit_store(settings.redis_url)),
        lifespan=[lifespan],
        cors_config=CORSConfig(allow_origins=[]),
        template_config=TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine),
        debug=False,
        logging_config=None,
    )
    app.state.settings = settings
    app.state.engine = db_engine
    app.state.sessionmaker = make_sessionmaker(db_engine)
    app.state.jwt_auth = jwt_auth
    app.state.dispatcher = make_dispatcher(settings, app.state.sessionmaker)
    # Outermost, around Litestar's own exception handling and routing, so unknown routes and
    # authentication failures are logged and carry a request id too.
    app.asgi_handler = RequestLogMiddleware(app.asgi_handler)
    return app


def app_from_env() -> Litestar:
    """ASGI factory for servers: ``uvicorn --factory api.app:app_from_env``."""
    from scheduler.settings import get_settings

    return create_app(get_settings(), freeze_gc=True)


__all__ = ["create_app"]
