"""An app on the test database, and a small organisation to act in.

``world`` holds two departments (CS with teams A and B, Sales with team S), an employee per
agent, and one user of every role; ``world.headers("manager")`` gives a signed-in header
without a password round trip, so role tests stay fast (login itself is tested on its own).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from litestar import Litestar
from litestar.stores.memory import MemoryStore
from litestar.testing import AsyncTestClient
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from api.login_limits import STORE_NAME
from api.security import issue_token
from scheduler.attendance import punches
from scheduler.auth.models import User
from scheduler.auth.passwords import hash_password
from scheduler.auth.service import principal_of
from scheduler.org.models import Department, Organisation, Team
from scheduler.people.models import Employee
from scheduler.settings import Settings

PASSWORD = "correct-horse-battery"
_HASH = hash_password(PASSWORD)


def _test_settings(database_url: str) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        login_attempts_per_minute=5,
        log_level="WARNING",
        # Solves run inside the app in tests (the procrastinate path has its own test), on one
        # CP-SAT worker so runs repeat.
        job_backend="inprocess",
        solver_threads=1,
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Test settings: a fixed secret, a low login limit so 429 is reachable quickly."""
    return _test_settings(database_url)


def pytest_configure(config: pytest.Config) -> None:
    """Register this directory's marker."""
    config.addinivalue_line(
        "markers",
        "shared_app: use the session's app and client (fresh rate-limit store and cookies) "
        "instead of building an app per test; for tests that change no app state",
    )
    config.addinivalue_line(
        "markers",
        "real_backfill: keep the 92-day limit on entered and uploaded punches (see wide_backfill)",
    )


@pytest.fixture(autouse=True)
def wide_backfill(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Punches of the fixed months the attendance tests judge (October 2026) stay enterable.

    Managers and time clocks may enter punches up to 92 days back; a test of October 2026 run
    in February 2027 would be refused its own facts. The limit itself is tested under the
    ``real_backfill`` marker, against today.
    """
    if request.node.get_closest_marker("real_backfill") is None:
        monkeypatch.setattr(punches, "BACKFILL_LIMIT", dt.timedelta(days=36500))


def _with_test_client_address(app: Litestar) -> Litestar:
    """Take the client address from an X-Test-Client header (the test transport has one)."""
    inner: ASGIApp = app.asgi_handler

    async def with_address(scope: Scope, receive: Receive, send: Send) -> None:
        for name, value in scope.get("headers", []):
            if name == b"x-test-client":
                scope["client"] = (value.decode(), 40000)
        await inner(scope, receive, send)

    app.asgi_handler = with_address
    return app


@pytest.fixture(scope="session")
def shared_app(database_url: str) -> Litestar:
    """One app for the whole session: building one per test costs more than most tests."""
    return _with_test_client_address(create_app(_test_settings(database_url)))


@pytest.fixture(scope="session")
async def shared_client(shared_app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client kept open all session (its event loop owns the shared app's connections)."""
    async with AsyncTestClient(shared_app) as c:
        yield c


@pytest.fixture
def app(
    request: pytest.FixtureRequest, settings: Settings, db: AsyncEngine, shared_app: Litestar
) -> Litestar:
    """A fresh app on the test database, with its own engine (or the shared one, see marker).

    The test client runs the app on its own event loop, so the app must not share the test's
    engine (asyncpg connections belong to the loop that opened them).
    """
    if request.node.get_closest_marker("shared_app"):
        # Rate limits start from zero in every test.
        shared_app.stores.register(STORE_NAME, MemoryStore(), allow_override=True)
        return shared_app
    return _with_test_client_address(create_app(settings))


@pytest.fixture
async def client(
    request: pytest.FixtureRequest,
    app: Litestar,
    shared_client: AsyncTestClient[Litestar],
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An HTTP client for the app (no server process)."""
    if request.node.get_closest_marker("shared_app"):
        shared_client.cookies.clear()
        yield shared_client
        return
    async with AsyncTestClient(app) as c:
        yield c


@dataclass
class World:
    """Ids and users of the seeded organisation."""

    app: Litestar
    settings: Settings
    org_id: int = 0
    cs_id: int = 0
    sales_id: int = 0
    team_a: int = 0
    team_b: int = 0
    team_s: int = 0
    users: dict[str, User] = field(default_factory=dict)
    employees: dict[str, Employee] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        """Authorization header for one of the seeded users."""
        token, _ = issue_token(
            self.app.state.jwt_auth, self.settings, principal_of(self.users[who])
        )
        return {"Authorization": f"Bearer {token}"}


async def seed_world(
    sm: async_sessionmaker[AsyncSession], app: Litestar, settings: Settings
) -> World:
    """Create the organisation the tests act in."""
    w = World(app=app, settings=settings)
    async with sm() as s:
        org = Organisation(name="Acme")
        s.add(org)
        await s.flush()
        cs = Department(
            organisation_id=org.id,
            name="Customer Service",
            code="CS",
            timezone="Asia/Shanghai",
            country="CN",
        )
        sales = Department(
            organisation_id=org.id,
            name="Sales",
            code="SALES",
            timezone="Asia/Shanghai",
            country="CN",
        )
        s.add_all([cs, sales])
        await s.flush()
        a, b, st = (
            Team(department_id=cs.id, name="A"),
            Team(department_id=cs.id, name="B"),
            Team(department_id=sales.id, name="S"),
        )
        s.add_all([a, b, st])
        await s.flush()
        people = {
            "agent": Employee(
                staff_no="CS001",
                name="Li Wei",
                department_id=cs.id,
                team_id=a.id,
                hire_date=dt.date(2024, 3, 1),
                flags=[],
            ),
            "agent2": Employee(
                staff_no="CS002",
                name="Wang Fang",
                department_id=cs.id,
                team_id=b.id,
                hire_date=dt.date(2025, 1, 6),
                flags=["trainee"],
            ),
            "sales_agent": Employee(
                staff_no="SA001",
                name="Zhao Lei",
                department_id=sales.id,
                team_id=st.id,
                hire_date=dt.date(2023, 5, 2),
                flags=[],
            ),
        }
        s.add_all(people.values())
        await s.flush()
        spec = {
            "admin": ("admin", None, None),
            "hr": ("hr", None, None),
            "gm": ("gm", None, None),
            "manager": ("dept_manager", cs.id, None),
            "supervisor": ("supervisor", cs.id, None),
            "lead": ("team_lead", cs.id, None),
            "agent": ("agent", cs.id, people["agent"].id),
            "agent2": ("agent", cs.id, people["agent2"].id),
            "sales_manager": ("dept_manager", sales.id, None),
            "sales_agent": ("agent", sales.id, people["sales_agent"].id),
        }
        for name, (role, dept, emp) in spec.items():
            user = User(
                username=name,
                password_hash=_HASH,
                display_name=name,
                role=role,
                department_id=dept,
                employee_id=emp,
                active=True,
            )
            s.add(user)
            w.users[name] = user
        await s.commit()
        w.org_id, w.cs_id, w.sales_id = org.id, cs.id, sales.id
        w.team_a, w.team_b, w.team_s = a.id, b.id, st.id
        w.employees = people
    return w


@pytest.fixture
async def world(
    app: Litestar, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> World:
    """The seeded organisation."""
    return await seed_world(sessionmaker, app, settings)
