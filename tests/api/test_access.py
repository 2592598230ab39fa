"""Who may do what: every role against every route, department scoping, public routes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot

pytestmark = pytest.mark.shared_app
Client = AsyncTestClient[Litestar]
ROLES = (
    "admin",
    "hr",
    "gm",
    "manager",
    "supervisor",
    "lead",
    "agent",
    "sales_manager",
    "sales_agent",
)
PUBLIC = {"/auth/login", "/health", "/ready"}
#: Capability URLs: the unguessable token in the path is the credential, because calendar
#: apps subscribing to a feed cannot send an Authorization header.
CAPABILITY_URLS = {"/calendar/{token:str}"}
#: Machine routes that check their own credential in the handler (a time clock's device key)
#: instead of a user's token. Without it they must still refuse (4xx), never serve.
OWN_CREDENTIAL = {"/attendance/device/punches", "/attendance/device/punches/batch"}
#: The modules whose routes this file's matrix covers (later concepts test their own).
FOUNDATION_MODULES = {"api.routes.auth", "api.routes.org", "api.routes.people"}


@dataclass(frozen=True)
class Call:
    """One request, built against the seeded world."""

    method: str
    path: Callable[[World], str]
    json: Callable[[World], Any] | None = None
    csv: str | None = None

    async def send(self, client: Client, world: World, who: str) -> Any:
        kwargs: dict[str, Any] = {"headers": world.headers(who)}
        if self.json is not None:
            kwargs["json"] = self.json(world)
        if self.csv is not None:
            kwargs["content"] = self.csv.encode()
            kwargs["headers"]["Content-Type"] = "text/csv"
        return await client.request(self.method, self.path(world), **kwargs)


def _new_employee(w: World) -> dict[str, Any]:
    return {
        "staff_no": "CS900",
        "name": "New Person",
        "department_id": w.cs_id,
        "hire_date": "2026-01-05",
    }


def _new_user(w: World) -> dict[str, Any]:
    return {
        "username": "newbie",
        "password": "a-long-password",
        "role": "agent",
        "department_id": w.cs_id,
    }


def _new_department(w: World) -> dict[str, Any]:
    return {"organisation_id": w.org_id, "name": "Billing", "code": "BILL"}


READ_CS = {"sales_manager": 404, "sales_agent": 404}  # everyone else 200
MANAGE_CS = {"admin": None, "manager": None, "sales_manager": 404, "sales_agent": 404}

#: route -> the call, the success status, and the roles that succeed (others: status given, or 403).
MATRIX: dict[str, tuple[Call, int, dict[str, int | None]]] = {
    "GET /me": (Call("GET", lambda w: "/me"), 200, dict.fromkeys(ROLES)),
    "GET /organisations": (Call("GET", lambda w: "/organisations"), 200, dict.fromkeys(ROLES)),
    "POST /organisations": (
        Call("POST", lambda w: "/organisations", lambda w: {"name": "Other Co"}),
        201,
        {"admin": None},
    ),
    "POST /departments": (
        Call("POST", lambda w: "/departments", _new_department),
        201,
        {"admin": None},
    ),
    "GET /departments": (Call("GET", lambda w: "/departments"), 200, dict.fromkeys(ROLES)),
    "GET /departments/{id}": (
        Call("GET", lambda w: f"/departments/{w.cs_id}"),
        200,
        {**dict.fromkeys(ROLES), **READ_CS},
    ),
    "GET /departments/{id}/teams": (
        Call("GET", lambda w: f"/departments/{w.cs_id}/teams"),
        200,
        {**dict.fromkeys(ROLES), **READ_CS},
    ),
    "POST /departments/{id}/teams": (
        Call("POST", lambda w: f"/departments/{w.cs_id}/teams", lambda w: {"name": "C"}),
        201,
        MANAGE_CS,
    ),
    "GET /teams/{id}": (
        Call("GET", lambda w: f"/teams/{w.team_a}"),
        200,
        {**dict.fromkeys(ROLES), **READ_CS},
    ),
    "PATCH /teams/{id}": (
        Call("PATCH", lambda w: f"/teams/{w.team_a}", lambda w: {"name": "A2"}),
        200,
        MANAGE_CS,
    ),
    "POST /employees": (
        Call("POST", lambda w: "/employees", _new_employee),
        201,
        {"admin": None, "hr": None, "manager": None},
    ),
    "GET /employees": (Call("GET", lambda w: "/employees"), 200, dict.fromkeys(ROLES)),
    "GET /employees/{id}": (
        Call("GET", lambda w: f"/employees/{w.employees['agent2'].id}"),
        200,
        {**dict.fromkeys(ROLES), "agent": 404, **READ_CS},
    ),
    "PATCH /employees/{id}": (
        Call(
            "PATCH", lambda w: f"/employees/{w.employees['agent2'].id}", lambda w: {"name": "X Y"}
        ),
        200,
        {**MANAGE_CS, "agent": 404},
    ),
    "POST /departments/{id}/employees/import": (
        Call(
            "POST",
            lambda w: f"/departments/{w.cs_id}/employees/import",
            csv="staff_no,name,hire_date\nCS901,Import Person,2026-01-05\n",
        ),
        201,
        {"admin": None, "hr": None, "manager": None},
    ),
    "GET /users": (
        Call("GET", lambda w: "/users"),
        200,
        {"admin": None, "hr": None, "gm": None, "manager": None, "sales_manager": None},
    ),
    "GET /users/{id}": (
        Call("GET", lambda w: f"/users/{w.users['agent2'].id}"),
        200,
        {
            "admin": None,
            "hr": None,
            "gm": None,
            "manager": None,
            "supervisor": 404,
            "lead": 404,
            "agent": 404,
            "sales_manager": 404,
            "sales_agent": 404,
        },
    ),
    "POST /users": (
        Call("POST", lambda w: "/users", _new_user),
        201,
        {"admin": None, "manager": None},
    ),
    "PATCH /users/{id}": (
        Call("PATCH", lambda w: f"/users/{w.users['agent2'].id}", lambda w: {"active": False}),
        200,
        {"admin": None},
    ),
    "POST /users/{id}/password": (
        Call(
            "POST",
            lambda w: f"/users/{w.users['agent2'].id}/password",
            lambda w: {"new_password": "a-reset-passphrase-1"},
        ),
        200,
        {
            "admin": None,
            "manager": None,
            "supervisor": 404,
            "lead": 404,
            "agent": 404,
            "sales_manager": 404,
            "sales_agent": 404,
        },
    ),
}


def _expected(route: str, role: str) -> int:
    _, ok, table = MATRIX[route]
    if role not in table:
        return 403
    status = table[role]
    return ok if status is None else status


READS = [route for route in MATRIX if route.startswith("GET ")]
WRITES = [route for route in MATRIX if not route.startswith("GET ")]


@pytest.mark.parametrize("role", ROLES)
async def test_read_access(client: Client, world: World, role: str) -> None:
    """Reads change nothing, so one seeded world serves every read route of a role."""
    for route in READS:
        expected = _expected(route, role)
        r = await MATRIX[route][0].send(client, world, role)
        if expected >= 400:
            assert_problem(r, expected)
        else:
            assert r.status_code == expected, (route, r.text)


@pytest.mark.parametrize("role", ROLES)
async def test_refused_writes(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession], role: str
) -> None:
    """Every write the role may not make is refused, and leaves every table as it was."""
    before = await snapshot(sessionmaker)
    for route in WRITES:
        expected = _expected(route, role)
        if expected < 400:
            continue
        r = await MATRIX[route][0].send(client, world, role)
        assert_problem(r, expected)
        assert await snapshot(sessionmaker) == before, f"refused {route} wrote something"


ALLOWED_WRITES = [
    pytest.param(route, role, id=f"{route}-{role}")
    for route in WRITES
    for role in ROLES
    if _expected(route, role) < 400
]


@pytest.mark.parametrize(("route", "role"), ALLOWED_WRITES)
async def test_allowed_writes(
    client: Client,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    route: str,
    role: str,
) -> None:
    before = await snapshot(sessionmaker)
    r = await MATRIX[route][0].send(client, world, role)
    assert r.status_code == MATRIX[route][1], r.text
    assert await snapshot(sessionmaker) != before, "an accepted write stored nothing"


def test_matrix_covers_every_route(app: Litestar) -> None:
    """A new foundation route must be added to the matrix (so its access rules are tested)."""
    served = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/schema"):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method in ("OPTIONS", "HEAD") or handler.fn.__module__ not in FOUNDATION_MODULES:
                continue
            path = re.sub(r"\{(\w+):\w+\}", "{id}", route.path)
            if path not in PUBLIC and path != "/me/password":  # password: test_login
                served.add(f"{method} {path}")
    assert served == set(MATRIX)


# --- department scoping ---------------------------------------------------------------------


async def _get(client: Client, world: World, who: str, path: str, **params: Any) -> Any:
    r = await client.get(path, headers=world.headers(who), params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_agent_sees_only_themself(client: Client, world: World) -> None:
    page = await _get(client, world, "agent", "/employees")
    assert [e["staff_no"] for e in page["items"]] == ["CS001"]
    assert page["total"] == 1
    own = world.employees["agent"].id
    assert (await _get(client, world, "agent", f"/employees/{own}"))["staff_no"] == "CS001"
    for other in ("agent2", "sales_agent"):
        r = await client.get(
            f"/employees/{world.employees[other].id}", headers=world.headers("agent")
        )
        assert_problem(r, 404)
    # A filter cannot widen the scope.
    page = await _get(client, world, "agent", "/employees", department_id=world.cs_id)
    assert [e["staff_no"] for e in page["items"]] == ["CS001"]
    users = await client.get(f"/users/{world.users['agent'].id}", headers=world.headers("agent"))
    assert users.status_code == 200


async def test_agent_cannot_change_themself(client: Client, world: World) -> None:
    own = world.employees["agent"].id
    r = await client.patch(
        f"/employees/{own}", json={"name": "Boss"}, headers=world.headers("agent")
    )
    assert_problem(r, 403)


@pytest.mark.parametrize("who", ["manager", "supervisor", "lead"])
async def test_department_roles_see_their_department_only(
    client: Client, world: World, who: str
) -> None:
    page = await _get(client, world, who, "/employees")
    assert sorted(e["staff_no"] for e in page["items"]) == ["CS001", "CS002"]
    page = await _get(client, world, who, "/employees", department_id=world.sales_id)
    assert page["items"] == []
    assert page["total"] == 0
    r = await client.get(
        f"/employees/{world.employees['sales_agent'].id}", headers=world.headers(who)
    )
    assert_problem(r, 404)
    depts = await _get(client, world, who, "/departments")
    assert [d["id"] for d in depts["items"]] == [world.cs_id]
    assert_problem(
        await client.get(f"/departments/{world.sales_id}", headers=world.headers(who)), 404
    )
    r = await client.get(f"/departments/{world.sales_id}/teams", headers=world.headers(who))
    assert_problem(r, 404)
    assert_problem(await client.get(f"/teams/{world.team_s}", headers=world.headers(who)), 404)
    teams = await _get(client, world, who, f"/departments/{world.cs_id}/teams")
    assert [t["name"] for t in teams] == ["A", "B"]


async def test_manager_cannot_write_another_department(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    before = await snapshot(sessionmaker)
    h = world.headers("manager")
    body = {
        "staff_no": "SA900",
        "name": "X",
        "department_id": world.sales_id,
        "hire_date": "2026-01-05",
    }
    assert_problem(await client.post("/employees", json=body, headers=h), 403)
    r = await client.post(
        f"/departments/{world.sales_id}/employees/import",
        content=b"staff_no,name,hire_date\nSA901,Y,2026-01-05\n",
        headers={**h, "Content-Type": "text/csv"},
    )
    assert_problem(r, 403)
    sales_agent = world.employees["sales_agent"].id
    assert_problem(
        await client.patch(f"/employees/{sales_agent}", json={"name": "Z"}, headers=h), 404
    )
    r = await client.post(f"/departments/{world.sales_id}/teams", json={"name": "T"}, headers=h)
    assert_problem(r, 404)
    assert_problem(await client.patch(f"/teams/{world.team_s}", json={"name": "T"}, headers=h), 404)
    # Logins: only staff roles of the manager's own department, linked to its own people.
    new = {"username": "x1", "password": "a-long-password", "role": "agent"}
    r = await client.post("/users", json={**new, "department_id": world.sales_id}, headers=h)
    assert_problem(r, 403)
    r = await client.post(
        "/users", json={**new, "role": "dept_manager", "department_id": world.cs_id}, headers=h
    )
    assert_problem(r, 403)
    r = await client.post("/users", json={**new, "role": "hr"}, headers=h)
    assert_problem(r, 403)
    r = await client.post(
        "/users",
        json={**new, "department_id": world.cs_id, "employee_id": sales_agent},
        headers=h,
    )
    assert_problem(r, 422, field="employee_id")
    assert await snapshot(sessionmaker) == before


async def test_manager_lists_only_their_departments_logins(client: Client, world: World) -> None:
    page = await _get(client, world, "manager", "/users")
    assert {u["username"] for u in page["items"]} == {
        "manager",
        "supervisor",
        "lead",
        "agent",
        "agent2",
    }
    page = await _get(client, world, "sales_manager", "/users")
    assert {u["username"] for u in page["items"]} == {"sales_manager", "sales_agent"}
    page = await _get(client, world, "manager", "/users", department_id=world.sales_id)
    assert page["items"] == []
    r = await client.get(
        f"/users/{world.users['sales_agent'].id}", headers=world.headers("manager")
    )
    assert_problem(r, 404)


@pytest.mark.parametrize("who", ["hr", "gm", "admin"])
async def test_organisation_roles_see_every_department(
    client: Client, world: World, who: str
) -> None:
    page = await _get(client, world, who, "/employees")
    assert sorted(e["staff_no"] for e in page["items"]) == ["CS001", "CS002", "SA001"]
    depts = await _get(client, world, who, "/departments")
    assert sorted(d["id"] for d in depts["items"]) == sorted([world.cs_id, world.sales_id])
    sales_agent = world.employees["sales_agent"].id
    assert (await _get(client, world, who, f"/employees/{sales_agent}"))["staff_no"] == "SA001"
    teams = await _get(client, world, who, f"/departments/{world.sales_id}/teams")
    assert [t["name"] for t in teams] == ["S"]
    users = await _get(client, world, who, "/users")
    assert users["total"] == len(world.users)


@pytest.mark.parametrize("who", ["hr", "gm"])
async def test_hr_and_gm_cannot_change_people(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession], who: str
) -> None:
    before = await snapshot(sessionmaker)
    h = world.headers(who)
    for emp in ("agent", "sales_agent"):
        r = await client.patch(
            f"/employees/{world.employees[emp].id}", json={"active": False}, headers=h
        )
        assert_problem(r, 403)
    assert await snapshot(sessionmaker) == before


async def test_hr_onboards_into_any_department(client: Client, world: World) -> None:
    h = world.headers("hr")
    body = {
        "staff_no": "SA900",
        "name": "X",
        "department_id": world.sales_id,
        "hire_date": "2026-01-05",
    }
    assert (await client.post("/employees", json=body, headers=h)).status_code == 201
    r = await client.post(
        f"/departments/{world.sales_id}/employees/import",
        content=b"staff_no,name,hire_date\nSA901,Y,2026-01-05\n",
        headers={**h, "Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    assert_problem(await client.post("/employees", json=body, headers=world.headers("gm")), 403)


# --- public routes --------------------------------------------------------------------------


SAMPLE_PATH_VALUES = {
    "int": "1",
    "date": "2026-01-01",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "datetime": "2026-01-01T00:00:00Z",
}


def _routes(app: Litestar) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            path = re.sub(
                r"\{\w+:(\w+)\}", lambda m: SAMPLE_PATH_VALUES.get(m.group(1), "x"), route.path
            )
            if route.path not in CAPABILITY_URLS:
                out += [(str(m), path) for m in sorted(route.methods - {"OPTIONS", "HEAD"})]
    return out


def test_only_login_health_ready_and_docs_are_public(app: Litestar) -> None:
    public = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, handler in route.route_handler_map.items():
                if method != "OPTIONS" and handler[0].opt.get("exclude_from_auth"):
                    public.add(route.path)
    assert public == PUBLIC | CAPABILITY_URLS | OWN_CREDENTIAL


async def test_every_other_route_needs_a_token(client: Client, app: Litestar, world: World) -> None:
    routes = _routes(app)
    assert len(routes) >= 20
    for method, path in routes:
        r = await client.request(method, path, json={} if method in ("POST", "PATCH") else None)
        if path in PUBLIC or path == "/schema" or path.startswith("/schema/"):
            assert r.status_code != 401, (method, path)
            continue
        if path in OWN_CREDENTIAL:
            assert 400 <= r.status_code < 500, (method, path, r.status_code)
            continue
        assert_problem(r, 401)
        # A token signed with another key is no better than none.
        r = await client.request(method, path, headers={"Authorization": "Bearer x.y.z"})
        assert_problem(r, 401)


@pytest.mark.parametrize(
    "path", ["/health", "/ready", "/schema", "/schema/openapi.json", "/schema/swagger"]
)
async def test_public_routes_answer_without_a_token(
    client: Client, world: World, path: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 200, (path, r.text[:200])
