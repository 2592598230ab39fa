"""The shape of every error, request ids, and the OpenAPI document's error statuses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from api.problems import EXCEPTION_HANDLERS
from api.request_log import RequestLogMiddleware
from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.api.requests_setup import monday

pytestmark = pytest.mark.shared_app
#: A Monday some weeks ahead (leave is filed at most a year ahead).
SOON = monday(6)
Client = AsyncTestClient[Litestar]


@pytest.mark.parametrize(
    ("method", "path", "who", "kwargs", "status"),
    [
        ("GET", "/employees", None, {}, 401),
        ("POST", "/organisations", "agent", {"json": {"name": "X"}}, 403),
        ("GET", "/employees/999999", "admin", {}, 404),
        ("GET", "/no/such/route", "admin", {}, 404),
        ("DELETE", "/employees", "admin", {}, 405),
        (
            "POST",
            "/users",
            "admin",
            {"json": {"username": "agent", "password": "long-enough-1", "role": "gm"}},
            409,
        ),
        (
            "POST",
            "/departments",
            "admin",
            {"json": {"organisation_id": 999999, "name": "X", "code": "X"}},
            422,
        ),
        ("POST", "/employees", "admin", {"json": {"nonsense": 1}}, 400),
        (
            "POST",
            "/employees",
            "admin",
            {"content": b"{", "headers": {"Content-Type": "application/json"}},
            400,
        ),
        ("GET", "/employees", "admin", {"params": {"limit": "lots"}}, 400),
    ],
    ids=[
        "401",
        "403",
        "404",
        "404-route",
        "405",
        "409",
        "422",
        "400-field",
        "400-json",
        "400-query",
    ],
)
async def test_every_error_is_problem_json(
    client: Client,
    world: World,
    method: str,
    path: str,
    who: str | None,
    kwargs: dict[str, Any],
    status: int,
) -> None:
    headers = {**(world.headers(who) if who else {}), **kwargs.pop("headers", {})}
    r = await client.request(method, path, headers=headers, **kwargs)
    body = assert_problem(r, status)
    assert body["instance"] == path
    assert body["type"] == "about:blank"
    assert body["title"]


async def test_validation_errors_name_field_and_reason(client: Client, world: World) -> None:
    r = await client.post(
        "/employees",
        json={"staff_no": "X1", "name": "A", "department_id": "one", "hire_date": "2026-01-01"},
        headers=world.headers("admin"),
    )
    body = assert_problem(r, 400)
    assert body["errors"][0]["field"] == "department_id"
    assert "int" in body["errors"][0]["message"]
    assert "department_id" in body["detail"]


async def test_body_of_the_wrong_shape_is_400_naming_the_field(
    client: Client, world: World
) -> None:
    """An array where the settings object belongs: the client's mistake, not a server error."""
    r = await client.put(
        f"/departments/{world.cs_id}/roster-config",
        json={"settings": [None, None], "version": None},
        headers=world.headers("manager"),
    )
    body = assert_problem(r, 400)
    assert body["errors"][0]["field"] == "settings"
    assert "object" in body["errors"][0]["message"]


HUGE = str(10**25)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("admin", f"/users/{HUGE}"),
        ("admin", f"/employees/{HUGE}"),
        ("manager", f"/leave-requests/{HUGE}"),
        ("manager", f"/rosters?offset={HUGE}"),
    ],
    ids=["path-user", "path-employee", "path-leave", "query-offset"],
)
async def test_number_beyond_64_bits_is_400(
    client: Client, world: World, who: str, path: str
) -> None:
    """An id of 26 digits is refused as input on PostgreSQL and SQLite alike, never a 500."""
    r = await client.get(path, headers=world.headers(who))
    body = assert_problem(r, 400)
    assert "out of range" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/employees", {"params": {"q": "li\x00wei"}}),
        (
            "POST",
            "/leave-requests",
            {
                "json": {
                    "type": "annual",
                    "start_date": SOON.isoformat(),
                    "end_date": SOON.isoformat(),
                    "reason": "bad\x00byte",
                }
            },
        ),
    ],
    ids=["query", "body"],
)
async def test_nul_in_text_is_400_and_nothing_is_stored(
    client: Client, world: World, database_url: str, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    """PostgreSQL text cannot hold U+0000: the request is refused as input (SQLite stores it)."""
    r = await client.request(method, path, headers=world.headers("agent"), **kwargs)
    if database_url.startswith("sqlite"):
        assert r.status_code < 500
        return
    assert "NUL" in assert_problem(r, 400)["detail"]
    mine = await client.get("/leave-requests", headers=world.headers("agent"))
    assert all("\x00" not in (item.get("reason") or "") for item in mine.json()["items"])


async def test_well_formed_request_id_is_echoed(client: Client, world: World) -> None:
    rid = "gateway-1234abcd"
    r = await client.get(
        "/employees/999999", headers={**world.headers("admin"), "X-Request-ID": rid}
    )
    assert r.headers["x-request-id"] == rid
    assert assert_problem(r, 404)["request_id"] == rid
    ok = await client.get("/health", headers={"X-Request-ID": rid})
    assert ok.headers["x-request-id"] == rid


@pytest.mark.parametrize("bad", ["short", "has spaces in it", "x" * 65, "semi;colon;id"])
async def test_malformed_request_id_is_replaced(client: Client, world: World, bad: str) -> None:
    r = await client.get(
        "/employees/999999", headers={**world.headers("admin"), "X-Request-ID": bad}
    )
    assert r.headers["x-request-id"] != bad
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", r.headers["x-request-id"])
    assert assert_problem(r, 404)["request_id"] == r.headers["x-request-id"]


async def test_each_request_gets_its_own_id(client: Client, world: World) -> None:
    ids = {
        (await client.get("/employees/999999", headers=world.headers("admin"))).headers[
            "x-request-id"
        ]
        for _ in range(3)
    }
    assert len(ids) == 3


async def test_openapi_document(client: Client, app: Litestar, world: World) -> None:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    assert (
        "BearerToken" in doc["components"]["securitySchemes"]
        or doc["components"]["securitySchemes"]
    )
    checked = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/schema"):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for method, (handler, _) in route.route_handler_map.items():
            if method == "OPTIONS" or not handler.include_in_schema:
                continue
            operation = doc["paths"][path][method.lower()]
            documented = set(operation["responses"])
            declared = {str(exc.status_code) for exc in handler.raises or []}
            assert declared <= documented, (method, path, declared - documented)
            for status in declared:
                content = operation["responses"][status].get("content", {})
                assert list(content) == ["application/problem+json"], (method, path, status)
            if not handler.opt.get("exclude_from_auth"):
                assert "401" in documented, f"{method} {path} needs a token but documents no 401"
            checked += 1
    assert checked >= 18


async def test_docs_page_is_served(client: Client, world: World) -> None:
    r = await client.get("/schema")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DBAPIError("SELECT 1", {}, ConnectionError("reset"), connection_invalidated=True), 503),
        (PoolTimeoutError("QueuePool limit reached"), 503),
        (DBAPIError("SELECT 1", {}, ValueError("bad"), connection_invalidated=False), 500),
    ],
    ids=["connection-lost", "pool-exhausted", "driver-bug"],
)
async def test_database_outage_is_503_not_a_bug(error: Exception, status: int) -> None:
    """A lost connection or a saturated pool asks the client to retry; other driver errors are bugs."""

    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise error

    app = Litestar([boom], exception_handlers=EXCEPTION_HANDLERS)
    app.asgi_handler = RequestLogMiddleware(app.asgi_handler)
    async with AsyncTestClient(app) as client:
        r = await client.get("/boom")
    assert_problem(r, status)
    if status == 503:
        assert int(r.headers["Retry-After"]) >= 1


async def test_openapi_says_what_jobs_and_exports_really_answer(client: Client) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    for path in ("/roster-jobs", "/roster-jobs/{job_id}/retry", "/rosters/{roster_id}/repair"):
        assert "202" in doc["paths"][path]["post"]["responses"], path
        assert "201" not in doc["paths"][path]["post"]["responses"], path
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # Both exports answer a file in either format, never JSON: a generated client must not
    # try to parse a spreadsheet.
    for path in ("/rosters/{roster_id}/versions/{number}/export", "/attendance/export"):
        content = doc["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == {xlsx, "text/csv"}, path
        assert content[xlsx]["schema"] == {"type": "string", "format": "binary"}
    # The uploads read their raw body; the document still says what they take.
    for path in ("/departments/{department_id}/employees/import", "/attendance/punches/batch"):
        assert "text/csv" in doc["paths"][path]["post"]["requestBody"]["content"], path
