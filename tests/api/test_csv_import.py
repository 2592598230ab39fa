"""CSV import of employees: good files create everyone; a bad file is refused whole, row by row."""

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


async def post_csv(
    client: Client, world: World, content: bytes, who: str = "hr", department: str = "cs"
) -> Any:
    dept = world.cs_id if department == "cs" else world.sales_id
    headers = {**world.headers(who), "Content-Type": "text/csv"}
    return await client.post(
        f"/departments/{dept}/employees/import", content=content, headers=headers
    )


async def employees_of(client: Client, world: World) -> dict[str, dict[str, Any]]:
    r = await client.get("/employees", headers=world.headers("admin"), params={"limit": 500})
    return {e["staff_no"]: e for e in r.json()["items"]}


async def test_english_file_creates_everyone(client: Client, world: World) -> None:
    content = (
        b"staff_no,name,hire_date,team,flags,contract_kind,contract_min,contract_max,email,phone,active\n"
        b"CS201,Sun Li,2026-03-02,A,trainee;english,days,18,23,sun.li@example.com,+86 1,yes\n"
        b"CS202,Zhou Min,2026-03-02,B,,hours,120,176,,,no\n"
        b"\n"
        b"CS203,Wu Gang,2026-03-09,,,,,,,,\n"
    )
    r = await post_csv(client, world, content)
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 3
    assert sorted(e["staff_no"] for e in r.json()["employees"]) == ["CS201", "CS202", "CS203"]
    stored = await employees_of(client, world)
    assert stored["CS201"]["team_id"] == world.team_a
    assert stored["CS201"]["flags"] == ["english", "trainee"]
    assert (stored["CS201"]["contract_min"], stored["CS201"]["contract_max"]) == (18, 23)
    assert stored["CS201"]["email"] == "sun.li@example.com"
    assert stored["CS202"]["team_id"] == world.team_b
    assert stored["CS202"]["contract_kind"] == "hours"
    assert stored["CS202"]["active"] is False
    assert stored["CS203"]["team_id"] is None
    assert stored["CS203"]["department_id"] == world.cs_id
    assert stored["CS203"]["hire_date"] == "2026-03-09"


async def test_chinese_headers_with_bom_create_everyone(client: Client, world: World) -> None:
    content = "工号,姓名,入职日期,班组\r\nCS301,张伟,2026-04-01,A\r\nCS302,王芳,2026-04-01,B\r\n"
    r = await post_csv(client, world, b"\xef\xbb\xbf" + content.encode())
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 2
    stored = await employees_of(client, world)
    assert stored["CS301"]["name"] == "张伟"
    assert stored["CS301"]["team_id"] == world.team_a
    assert stored["CS302"]["name"] == "王芳"
    assert stored["CS302"]["team_id"] == world.team_b


async def test_gb18030_file_is_understood(client: Client, world: World) -> None:
    content = "工号,姓名,入职日期\nCS401,李娜,2026-04-01\n".encode("gb18030")
    r = await post_csv(client, world, content)
    assert r.status_code == 201, r.text
    assert (await employees_of(client, world))["CS401"]["name"] == "李娜"


async def _rejected(
    client: Client, world: World, sm: async_sessionmaker[AsyncSession], content: str
) -> list[dict[str, Any]]:
    before = await snapshot(sm)
    r = await post_csv(client, world, content.encode())
    body = assert_problem(r, 422)
    assert "errors" in body, body
    assert await snapshot(sm) == before, "a rejected file wrote something"
    errors: list[dict[str, Any]] = body["errors"]
    return errors


def _where(errors: list[dict[str, Any]]) -> set[tuple[int, str | None]]:
    return {(e["row"], e.get("field")) for e in errors}


async def test_missing_column_rejects_the_file(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    errors = await _rejected(client, world, sessionmaker, "staff_no,name\nCS501,A Person\n")
    assert _where(errors) == {(1, "hire_date")}
    assert "missing" in errors[0]["message"]


async def test_unknown_column_rejects_the_file(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    errors = await _rejected(
        client, world, sessionmaker, "staff_no,name,hire_date,salary\nCS501,A,2026-01-01,9\n"
    )
    assert _where(errors) == {(1, "salary")}


async def test_bad_rows_reject_the_whole_file_row_by_row(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    content = (
        "staff_no,name,hire_date,team,contract_min,contract_max\n"
        "CS601,Good Row,2026-01-05,A,,\n"  # row 2: fine
        "CS602,Bad Date,2026-02-30,A,,\n"  # row 3: no such date
        "CS603,Unknown Team,2026-01-05,Z,,\n"  # row 4
        "CS601,Repeat,2026-01-05,B,,\n"  # row 5: repeats row 2
        "CS001,Taken,2026-01-05,B,,\n"  # row 6: already in the database
        "CS604,Sales Team,2026-01-05,S,,\n"  # row 7: a team of another department
        "CS605,Bounds,2026-01-05,,25,20\n"  # row 8: min above max
        "CS606,Not A Number,2026-01-05,,many,\n"  # row 9
        ",No Staff Number,2026-01-05,,,\n"  # row 10
    )
    errors = await _rejected(client, world, sessionmaker, content)
    assert _where(errors) == {
        (3, "hire_date"),
        (4, "team"),
        (5, "staff_no"),
        (6, "staff_no"),
        (7, "team"),
        (8, "contract_min"),
        (9, "contract_min"),
        (10, "staff_no"),
    }
    assert [e["row"] for e in errors] == sorted(e["row"] for e in errors)
    by_row = {e["row"]: e["message"] for e in errors}
    assert "2026-02-30" in by_row[3]
    assert "'Z'" in by_row[4]
    assert "row 2" in by_row[5]
    assert "in use" in by_row[6]


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("", {(1, None)}),
        ("staff_no,name,hire_date\n", {(2, None)}),
        ("staff_no,name,hire_date\nCS701,A,2026-01-05,extra\n", {(2, None)}),
        ("staff_no,name,hire_date,active\nCS702,A,2026-01-05,perhaps\n", {(2, "active")}),
    ],
    ids=["empty", "header-only", "extra-field", "bad-active"],
)
async def test_malformed_files(
    client: Client,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    content: str,
    where: set[tuple[int, str | None]],
) -> None:
    errors = await _rejected(client, world, sessionmaker, content)
    assert _where(errors) == where


async def test_binary_garbage_is_refused(
    client: Client, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    before = await snapshot(sessionmaker)
    r = await post_csv(client, world, bytes(range(256)) * 4)
    assert 400 <= r.status_code < 500
    assert_problem(r, r.status_code)
    assert await snapshot(sessionmaker) == before


async def test_import_into_unknown_department(client: Client, world: World) -> None:
    headers = {**world.headers("admin"), "Content-Type": "text/csv"}
    r = await client.post(
        "/departments/999999/employees/import",
        content=b"staff_no,name,hire_date\nX1,A,2026-01-05\n",
        headers=headers,
    )
    assert r.status_code in (404, 422)
    assert_problem(r, r.status_code, field="department_id")


async def test_excel_unicode_text_utf16_is_read(client: Client, world: World) -> None:
    """Excel's "Unicode text" save is UTF-16 with a byte-order mark (tab-free CSV here)."""
    content = "工号,姓名,入职日期\r\nCS401,孙丽,2026-04-01\r\n".encode("utf-16")
    r = await post_csv(client, world, content)
    assert r.status_code == 201, r.text
    assert (await employees_of(client, world))["CS401"]["name"] == "孙丽"


async def test_a_column_named_twice_is_refused_not_overwritten(
    client: Client, world: World
) -> None:
    """csv.DictReader would keep the second name column and drop the first without a word."""
    content = b"staff_no,name,hire_date,name\nCS402,Sun Li,2026-04-01,Li Sun\n"
    before = await employees_of(client, world)
    body = assert_problem(await post_csv(client, world, content), 422)
    assert {(e.get("field"), e["message"]) for e in body["errors"]} == {
        ("name", "column named twice")
    }
    assert await employees_of(client, world) == before
