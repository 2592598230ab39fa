"""Employees over HTTP: create, read, change, list with filters, and every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot

pytestmark = pytest.mark.shared_app
Client = AsyncTestClient[Litestar]


def new_employee(world: World, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "staff_no": "CS100",
        "name": "Chen Jing",
        "department_id": world.cs_id,
        "team_id": world.team_a,
        "hire_date": "2026-02-02",
        "flags": ["trainee", "english"],
        "contract_kind": "days",
        "contract_min": 18,
        "contract_max": 23,
        "email": "chen.jing@example.com",
        "phone": "+86 21 5555 0100",
    }
    body.update(changes)
    return body


async def test_create_get_and_change_an_employee(client: Client, world: World) -> None:
    h = world.headers("manager")
    r = await client.post("/employees", json=new_employee(world), headers=h)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["staff_no"] == "CS100"
    assert created["team_id"] == world.team_a
    assert created["flags"] == ["english", "trainee"]
    assert created["active"] is True
    assert created["version"] == 1
    r = await client.get(f"/employees/{created['id']}", headers=h)
    assert r.status_code == 200
    assert r.json() == created

    r = await client.patch(
        f"/employees/{created['id']}",
        json={"version": 1, "team_id": world.team_b, "contract_max": 22, "flags": ["english"]},
        headers=h,
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["team_id"] == world.team_b
    assert changed["contract_max"] == 22
    assert changed["flags"] == ["english"]
    assert changed["name"] == "Chen Jing"
    assert changed["version"] == 2
    assert (await client.get(f"/employees/{created['id']}", headers=h)).json() == changed

    r = await client.patch(
        f"/employees/{created['id']}", json={"team_id": None, "email": None}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["team_id"] is None
    assert r.json()["email"] is None
    assert r.json()["version"] == 3


async def test_unknown_employee_is_404(client: Client, world: World) -> None:
    h = world.headers("admin")
    assert_problem(await client.get("/employees/999999", headers=h), 404)
    assert_problem(await client.patch("/employees/999999", json={"name": "X"}, headers=h), 404)


async def _create_many(client: Client, world: World) -> None:
    h = world.headers("admin")
    people = [
        ("CS101", "Alpha One", world.cs_id, world.team_a, ["trainee"], True),
        ("CS102", "Bravo Two", world.cs_id, world.team_a, [], False),
        ("CS103", "Charlie Three", world.cs_id, world.team_b, ["chat"], True),
        ("CS104", "Delta 100%", world.cs_id, None, ["trainee", "chat"], True),
        ("SA101", "Echo Five", world.sales_id, world.team_s, ["trainee"], True),
    ]
    for staff_no, name, dept, team, flags, active in people:
        body = {
            "staff_no": staff_no,
            "name": name,
            "department_id": dept,
            "team_id": team,
            "hire_date": "2025-06-01",
            "flags": flags,
            "active": active,
        }
        r = await client.post("/employees", json=body, headers=h)
        assert r.status_code == 201, r.text


async def _staff_nos(client: Client, world: World, who: str = "admin", **params: Any) -> list[str]:
    r = await client.get("/employees", headers=world.headers(who), params=params)
    assert r.status_code == 200, r.text
    page = r.json()
    return [e["staff_no"] for e in page["items"]]


async def test_list_is_paged_in_staff_number_order(client: Client, world: World) -> None:
    await _create_many(client, world)
    everyone = ["CS001", "CS002", "CS101", "CS102", "CS103", "CS104", "SA001", "SA101"]
    assert await _staff_nos(client, world) == everyone
    seen: list[str] = []
    for offset in range(0, 10, 3):
        r = await client.get(
            "/employees", headers=world.headers("admin"), params={"limit": 3, "offset": offset}
        )
        page = r.json()
        assert page["total"] == len(everyone)
        assert (page["limit"], page["offset"]) == (3, offset)
        assert len(page["items"]) <= 3
        seen += [e["staff_no"] for e in page["items"]]
    assert seen == everyone


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"department_id": "SALES"}, ["SA001", "SA101"]),
        ({"team_id": "A"}, ["CS001", "CS101", "CS102"]),
        ({"active": "false"}, ["CS102"]),
        ({"active": "true", "department_id": "CS"}, ["CS001", "CS002", "CS101", "CS103", "CS104"]),
        ({"flag": "trainee"}, ["CS002", "CS101", "CS104", "SA101"]),
        ({"flag": "trainee", "department_id": "CS"}, ["CS002", "CS101", "CS104"]),
        ({"flag": "chat", "limit": "1", "offset": "1"}, ["CS104"]),
        ({"q": "charlie"}, ["CS103"]),
        ({"q": "SA1"}, ["SA101"]),
        ({"q": "%"}, ["CS104"]),
        ({"q": "_"}, []),
        ({"q": "nobody"}, []),
    ],
)
async def test_list_filters(
    client: Client, world: World, params: dict[str, str], expected: list[str]
) -> None:
    await _create_many(client, world)
    ids = {"CS": world.cs_id, "SALES": world.sales_id, "A": world.team_a}
    resolved = {k: ids.get(v, v) for k, v in params.items()}
    r = await client.get("/employees", headers=world.headers("admin"), params=resolved)
    assert r.status_code == 200, r.text
    page = r.json()
    assert [e["staff_no"] for e in page["items"]] == expected
    if "limit" not in params:
        assert page["total"] == len(expected)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"active": "maybe"}, "active"),
        ({"department_id": "cs"}, "department_id"),
        ({"q": "x" * 101}, "q"),
    ],
)
async def test_bad_list_parameters_are_400(
    client: Client, world: World, params: dict[str, str], field: str
) -> None:
    r = await client.get("/employees", headers=world.headers("admin"), params=params)
    assert_problem(r, 400, field=field)


# --- refusals: each names the field, and nothing is written ------------------------------------


async def _refused(
    client: Client,
    world: World,
    sm: async_sessionmaker[AsyncSession],
    method: str,
    path: str,
    status: int,
    field: str | None,
    **kwargs: Any,
) -> dict[str, Any]:
    before = await snapshot(sm)
    headers = {**world.headers("admin"), **kwargs.pop("headers", {})}
    r = await client.request(method, path, headers=headers, **kwargs)
    body = assert_problem(r, status, field=field)
    assert await snapshot(sm) == before, "a refused request wrote something"
    return body


async def test_duplicate_staff_number_is_409(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    body = new_employee(world, staff_no="CS001")
    await _refused(client, world, sessionmaker, "POST", "/employees", 409, "staff_no", json=body)
    # Unique across departments too: staff numbers are company-wide.
    body = new_employee(world, staff_no="SA001")
    await _refused(client, world, sessionmaker, "POST", "/employees", 409, "staff_no", json=body)


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"team_id": "TEAM_S"}, 422, "team_id"),
        ({"team_id": 999999}, 422, "team_id"),
        ({"department_id": 999999}, 422, "department_id"),
        ({"contract_min": 23, "contract_max": 18}, 422, "contract_min"),
        ({"contract_kind": "days", "contract_max": 40}, 422, "contract_max"),
        ({"contract_kind": "weeks"}, 400, "contract_kind"),
        ({"contract_min": -1}, 400, "contract_min"),
        ({"hire_date": "2026-13-01"}, 400, "hire_date"),
        ({"hire_date": "1900-01-01"}, 422, "hire_date"),
        ({"staff_no": ""}, 400, "staff_no"),
        ({"staff_no": " CS5 "}, 400, "staff_no"),
        ({"name": ""}, 400, "name"),
        ({"flags": ["Not A Flag"]}, 400, "flags"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"department_id": "CS"}, 400, "department_id"),
        ({"active": "yes"}, 400, "active"),
        ({"flags": "trainee"}, 400, "flags"),
        ({"salary": 1000}, 400, "salary"),
    ],
)
async def test_bad_new_employee(
    client: Client,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    changes: dict[str, Any],
    status: int,
    field: str,
) -> None:
    if changes.get("team_id") == "TEAM_S":
        changes = {**changes, "team_id": world.team_s}
    body = new_employee(world, **changes)
    await _refused(client, world, sessionmaker, "POST", "/employees", status, field, json=body)


async def test_missing_required_field_is_400(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    body = new_employee(world)
    del body["hire_date"]
    await _refused(client, world, sessionmaker, "POST", "/employees", 400, "hire_date", json=body)


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"team_id": "TEAM_S"}, 422, "team_id"),
        ({"contract_min": 30}, 422, "contract_min"),  # current max is 22
        ({"staff_no": "CS999"}, 400, "staff_no"),
        ({"department_id": 1}, 400, "department_id"),
        ({"name": None}, 400, "name"),
        ({"active": None}, 400, "active"),
        ({"contract_max": "many"}, 400, "contract_max"),
        ({"version": "one"}, 400, "version"),
    ],
)
async def test_bad_change(
    client: Client,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    changes: dict[str, Any],
    status: int,
    field: str,
) -> None:
    h = world.headers("admin")
    r = await client.post(
        "/employees", json=new_employee(world, contract_min=10, contract_max=22), headers=h
    )
    employee = r.json()
    if changes.get("team_id") == "TEAM_S":
        changes = {**changes, "team_id": world.team_s}
    path = f"/employees/{employee['id']}"
    await _refused(client, world, sessionmaker, "PATCH", path, status, field, json=changes)


async def test_stale_version_is_409(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    h = world.headers("manager")
    employee = (await client.post("/employees", json=new_employee(world), headers=h)).json()
    path = f"/employees/{employee['id']}"
    r = await client.patch(path, json={"version": 1, "name": "First Writer"}, headers=h)
    assert r.status_code == 200, r.text
    body = await _refused(
        client, world, sessionmaker, "PATCH", path, 409, None, json={"version": 1, "name": "Late"}
    )
    assert "version" in body["detail"]
    assert (await client.get(path, headers=h)).json()["name"] == "First Writer"


@pytest.mark.parametrize(
    "raw",
    [b'{"staff_no": "CS7", ', b"not json at all", b"", b"[1, 2]", b'"a string"'],
    ids=["truncated", "garbage", "empty", "array", "string"],
)
async def test_malformed_json_is_400(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession], raw: bytes
) -> None:
    headers = {"Content-Type": "application/json"}
    await _refused(
        client, world, sessionmaker, "POST", "/employees", 400, None, content=raw, headers=headers
    )
    path = f"/employees/{world.employees['agent'].id}"
    await _refused(
        client, world, sessionmaker, "PATCH", path, 400, None, content=raw, headers=headers
    )
