"""What a fuzzer and a hostile-but-ordinary client send: never a 500, always the field named.

Found by schemathesis and hand probes against a running service (audit 12, number 1): a JSON
body that is not UTF-8 or nests thousands of levels deep was a 500 on every JSON route (and on
the punch batch); malformed JSON, a missing query parameter, a path id beyond 64 bits and NUL in
text were 400s whose ``errors`` list was missing (PostgreSQL refused NUL; SQLite stored it); a
path of the right shape with ``abc`` for an id was a 404 "no route"; a wish or a handover note on
9999-12-31 overflowed the calendar (a 422 naming nothing). Each now names its field, and nothing
is written.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot
from tests.api.requests_setup import SM, Client

JSON = {"content-type": "application/json"}


def _fields(r: httpx.Response) -> dict[str, str | None]:
    """The ``errors`` list of a problem as field -> source (the list itself must be there)."""
    body: dict[str, Any] = r.json()
    assert body.get("errors"), body
    return {e["field"]: e.get("source") for e in body["errors"]}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"name": "\xff\xfe"}', "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "deeply"),
        (b'{"name": ', "not valid JSON"),
        (b"{} trailing", "not valid JSON"),
    ],
    ids=["not-utf8", "deep", "truncated", "trailing"],
)
async def test_an_unreadable_json_body_is_400_naming_the_body(
    client: Client, world: World, sessionmaker: SM, raw: bytes, message: str
) -> None:
    before = await snapshot(sessionmaker)
    r = await client.post(
        f"/departments/{world.cs_id}/teams",
        content=raw,
        headers={**world.headers("manager"), **JSON},
    )
    body = assert_problem(r, 400)
    assert _fields(r) == {"body": "body"}
    assert message in body["detail"]
    assert await snapshot(sessionmaker) == before


@pytest.mark.parametrize(
    "raw", [b'[{"reason": "\xff"}]', b"[" * 100_000 + b"]" * 100_000], ids=["not-utf8", "deep"]
)
async def test_an_unreadable_punch_batch_is_422_naming_the_body(
    client: Client, world: World, raw: bytes
) -> None:
    r = await client.post(
        "/attendance/punches/batch", content=raw, headers={**world.headers("manager"), **JSON}
    )
    assert_problem(r, 422)
    assert _fields(r) == {"body": None}


async def test_nul_in_a_body_field_is_400_naming_it_and_stores_nothing(
    client: Client, world: World, sessionmaker: SM
) -> None:
    """PostgreSQL refused it without naming the field; SQLite stored it. Both now refuse."""
    before = await snapshot(sessionmaker)
    r = await client.post(
        f"/departments/{world.cs_id}/teams",
        json={"name": "Team\x00C"},
        headers=world.headers("manager"),
    )
    assert_problem(r, 400)
    assert _fields(r) == {"name": "body"}
    assert await snapshot(sessionmaker) == before


async def test_an_integer_beyond_64_bits_in_a_body_is_400_naming_it(
    client: Client, world: World
) -> None:
    r = await client.post(
        "/swaps",
        json={"date": "2026-12-05", "colleague_id": 2**63},
        headers=world.headers("agent"),
    )
    assert_problem(r, 400)
    assert _fields(r) == {"colleague_id": "body"}


async def test_a_version_beyond_64_bits_is_400_naming_it(client: Client, world: World) -> None:
    """Versions and revisions guard against lost updates; a huge one is named, not a 500/409."""
    agent = world.employees["agent"].id
    r = await client.patch(
        f"/employees/{agent}",
        json={"version": 2**63, "name": "x"},
        headers=world.headers("manager"),
    )
    assert_problem(r, 400)
    assert _fields(r) == {"version": "body"}
    r = await client.put(
        f"/departments/{world.cs_id}/roster-config",
        json={"version": 2**64, "settings": {}},
        headers=world.headers("manager"),
    )
    assert_problem(r, 400)
    assert _fields(r) == {"version": "body"}


@pytest.mark.parametrize(
    "path",
    ["/employees/{big}", "/departments/{big}/roster-config", "/rosters/{big}/versions/1"],
)
async def test_a_path_id_beyond_64_bits_is_400_naming_it(
    client: Client, world: World, path: str
) -> None:
    r = await client.get(path.format(big=2**63), headers=world.headers("manager"))
    assert_problem(r, 400)
    assert set(_fields(r).values()) == {"path"}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/employees/abc", "employee_id"),
        ("/rosters/1.5/versions/1", "roster_id"),
        ("/departments/1e3/teams", "department_id"),
    ],
)
async def test_a_path_id_that_is_not_a_number_is_400_naming_it_not_no_route(
    client: Client, world: World, path: str, field: str
) -> None:
    r = await client.get(path, headers=world.headers("manager"))
    body = assert_problem(r, 400)
    assert _fields(r) == {field: "path"}
    assert "no route" not in body["detail"]


async def test_a_calendar_day_that_is_not_a_date_is_400_naming_it(
    client: Client, world: World
) -> None:
    r = await client.delete(
        f"/departments/{world.cs_id}/calendar-days/2026-02-30", headers=world.headers("manager")
    )
    assert_problem(r, 400)
    assert _fields(r) == {"day": "path"}


async def test_an_unknown_path_is_still_404_no_route(client: Client, world: World) -> None:
    r = await client.get("/nothing/here", headers=world.headers("manager"))
    assert "no route" in assert_problem(r, 404)["detail"]


async def test_a_missing_query_parameter_is_named_in_errors(client: Client, world: World) -> None:
    r = await client.get(f"/departments/{world.cs_id}/calendar", headers=world.headers("manager"))
    assert_problem(r, 400)
    assert _fields(r) == {"month": "query"}


async def test_nul_in_a_query_parameter_is_400_naming_it(client: Client, world: World) -> None:
    r = await client.get("/employees", params={"q": "a\x00b"}, headers=world.headers("manager"))
    assert_problem(r, 400)
    assert _fields(r) == {"q": "query"}


async def test_a_wish_on_the_last_day_of_the_calendar_is_422_naming_the_date(
    client: Client, world: World, sessionmaker: SM
) -> None:
    before = await snapshot(sessionmaker)
    r = await client.post(
        f"/employees/{world.employees['agent'].id}/wishes",
        json={"date": "9999-12-31", "kind": "day_off"},
        headers=world.headers("agent"),
    )
    assert_problem(r, 422)
    assert "date" in _fields(r)
    assert await snapshot(sessionmaker) == before


async def test_a_handover_note_on_the_last_day_of_the_calendar_is_422_naming_the_date(
    client: Client, world: World, sessionmaker: SM
) -> None:
    before = await snapshot(sessionmaker)
    r = await client.post(
        f"/teams/{world.team_a}/handover-notes",
        json={"date": "9999-12-31", "from_shift": "early", "body": "all quiet"},
        headers=world.headers("manager"),
    )
    assert_problem(r, 422)
    assert "date" in _fields(r)
    assert await snapshot(sessionmaker) == before


@pytest.mark.shared_app
@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/rosters", "get", "422"),
        ("/attendance/punches", "get", "422"),
        ("/departments/{department_id}/attendance/policy", "get", "422"),
        ("/attendance/device/punches", "post", "401"),
        ("/attendance/device/punches/batch", "post", "401"),
    ],
)
async def test_the_openapi_document_lists_the_statuses_these_routes_answer(
    shared_client: Client, path: str, method: str, status: str
) -> None:
    """Schemathesis' status-code conformance: a bad month is a 422, a time clock's bad secret 401."""
    schema = (await shared_client.get("/schema/openapi.json")).json()
    assert status in schema["paths"][path][method]["responses"]


@pytest.mark.parametrize("name", [" ", "  A", "Li Wei ", "A\nB"])
async def test_a_blank_or_padded_name_is_refused_naming_it(
    client: Client, world: World, name: str
) -> None:
    """A team called " " (or "A " beside "A") is a name nobody can tell apart on the roster."""
    r = await client.post(
        f"/departments/{world.cs_id}/teams", json={"name": name}, headers=world.headers("manager")
    )
    assert_problem(r, 400)
    assert _fields(r) == {"name": "body"}
    teams = await client.get(f"/departments/{world.cs_id}/teams", headers=world.headers("manager"))
    assert name not in {t["name"] for t in teams.json()}


async def test_a_runaway_reason_is_refused_naming_it(client: Client, world: World) -> None:
    r = await client.post(
        "/leave-requests",
        json={
            "type": "annual",
            "start_date": "2027-03-01",
            "end_date": "2027-03-01",
            "reason": "x" * 100_000,
        },
        headers=world.headers("agent"),
    )
    assert_problem(r, 400)
    assert _fields(r) == {"reason": "body"}
    mine = await client.get("/leave-requests", headers=world.headers("agent"))
    assert mine.json()["total"] == 0
