"""What a user audit found: inputs that answered 500 or leaked internals, and small rule slips.

Each test states what a client (or an operator reading the logs) relies on: an unreadable CSV
is a 422 naming its line and stores nothing; no credential reaches a log line; an id no record
can have is refused as input, not by the database driver; a penalty policy never re-judges
days already past, nor shows tiers that can never apply; a supervisor may file sick leave for
someone; messages say what is true.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import json
import logging
from collections.abc import Iterator
from typing import Any, Literal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import structlog
from litestar import Litestar, Request, get
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from scheduler.attendance import punch_batches
from scheduler.attendance.service import set_policy
from scheduler.auth.service import principal_of
from scheduler.errors import ValidationFailedError
from scheduler.logs import configure_logging
from scheduler.rosters.models import Roster
from scheduler.rosters.store import PublishedCell
from scheduler.settings import Settings
from scheduler.swaps.service import CurrentState
from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot
from tests.api.requests_setup import file_leave, monday
from tests.api.roster_views_data import store_roster

Client = AsyncTestClient[Litestar]
SM = async_sessionmaker[AsyncSession]
SH = ZoneInfo("Asia/Shanghai")
BIG = 10**20  # beyond any 64-bit id
FIELD_LIMIT = 131072  # Python csv's default field_size_limit


def _ago(minutes: int) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)).isoformat()


async def _device(client: Client, world: World) -> dict[str, str]:
    r = await client.post(
        f"/departments/{world.cs_id}/attendance/devices",
        json={"name": "Lobby"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    return {"Authorization": r.json()["authorization"]}


def _csv(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Content-Type": "text/csv"}


# ---------------------------------------------------------------- unreadable CSV bodies


async def test_people_import_of_one_huge_field_is_422_naming_the_header_line(
    client: Client, world: World, sessionmaker: SM
) -> None:
    before = await snapshot(sessionmaker)
    r = await client.post(
        f"/departments/{world.cs_id}/employees/import",
        content=b"x" * (3 * 1024 * 1024),
        headers=_csv(world.headers("hr")),
    )
    body = assert_problem(r, 422)
    assert "header row (line 1)" in body["detail"]
    assert f"longer than {FIELD_LIMIT} characters" in body["detail"]
    assert len(r.content) < 2000  # the field is not echoed back
    assert await snapshot(sessionmaker) == before


async def test_people_import_row_with_a_huge_field_is_422_naming_row_and_line(
    client: Client, world: World, sessionmaker: SM
) -> None:
    before = await snapshot(sessionmaker)
    content = (
        b"staff_no,name,hire_date\n"
        b"CS501,Sun Li,2026-03-02\n"
        b'CS502,"' + b"y" * 200_000 + b'",2026-03-02\n'
    )
    r = await client.post(
        f"/departments/{world.cs_id}/employees/import",
        content=content,
        headers=_csv(world.headers("hr")),
    )
    body = assert_problem(r, 422)
    assert body["errors"][0]["row"] == 3
    assert body["errors"][0]["line"] == 3
    assert "row 3 (line 3)" in body["detail"]
    assert await snapshot(sessionmaker) == before  # the good row is not stored either


@pytest.mark.parametrize(
    ("content", "line", "why"),
    [
        (b"staff_no,name,hire_date\nCS601,Li\x00Na,2026-03-02\n", 2, "NUL"),
        (
            b"staff_no,name,hire_date\nCS601,Li Na,2026-03-02\nCS602,\xff\xff,2026-03-02\n",
            3,
            "UTF-8",
        ),
    ],
    ids=["nul", "not-text"],
)
async def test_people_import_of_bytes_that_are_not_text_is_422_naming_the_line(
    client: Client, world: World, sessionmaker: SM, content: bytes, line: int, why: str
) -> None:
    before = await snapshot(sessionmaker)
    r = await client.post(
        f"/departments/{world.cs_id}/employees/import",
        content=content,
        headers=_csv(world.headers("hr")),
    )
    body = assert_problem(r, 422)
    assert f"line {line}" in body["detail"]
    assert why in body["detail"]
    assert body["errors"][0]["line"] == line
    assert await snapshot(sessionmaker) == before


async def test_punch_batch_csv_of_one_huge_field_is_422(
    client: Client, world: World, sessionmaker: SM
) -> None:
    before = await snapshot(sessionmaker)
    r = await client.post(
        "/attendance/punches/batch",
        content=b"a" * 200_000,
        headers=_csv(world.headers("manager")),
    )
    body = assert_problem(r, 422)
    assert "header row (line 1)" in body["detail"]
    assert await snapshot(sessionmaker) == before


async def test_device_batch_csv_with_a_huge_field_is_422_naming_row_and_line(
    client: Client, world: World, sessionmaker: SM
) -> None:
    auth = await _device(client, world)
    before = await snapshot(sessionmaker)
    content = (
        f"staff_no,direction,at\nCS002,in,{_ago(30)}\nCS002,in,".encode()
        + b'"'
        + b"a" * 200_000
        + b'"\n'
    )
    r = await client.post("/attendance/device/punches/batch", content=content, headers=_csv(auth))
    body = assert_problem(r, 422)
    assert "row 2 (line 3)" in body["detail"]
    assert await snapshot(sessionmaker) == before  # not even the readable first row


async def test_device_batch_csv_with_a_nul_is_422_and_a_body_over_the_limit_413(
    client: Client, world: World
) -> None:
    auth = await _device(client, world)
    nul = f"staff_no,direction,at\nCS002,in,{_ago(30)}\nCS\x00002,in,{_ago(20)}\n".encode()
    r = await client.post("/attendance/device/punches/batch", content=nul, headers=_csv(auth))
    assert "line 3" in assert_problem(r, 422)["detail"]
    huge = b"staff_no,direction,at\n" + b"x" * (punch_batches.MAX_BATCH_BYTES + 2048)
    r = await client.post("/attendance/device/punches/batch", content=huge, headers=_csv(auth))
    assert_problem(r, 413)


async def test_a_long_bad_value_in_a_batch_row_is_refused_without_echoing_it(
    client: Client, world: World
) -> None:
    """A readable 100 KB ``at`` refuses its row alone, and the answer quotes only its start."""
    auth = await _device(client, world)
    content = f"staff_no,direction,at\nCS002,in,{'b' * 100_000}\nCS002,in,{_ago(30)}\n".encode()
    r = await client.post("/attendance/device/punches/batch", content=content, headers=_csv(auth))
    assert r.status_code == 200, r.text[:500]
    rows = r.json()["rows"]
    assert [row["status"] for row in rows] == ["refused", "created"]
    assert rows[0]["field"] == "at"
    assert len(rows[0]["error"]) < 200


# ---------------------------------------------------------------- ids beyond 64 bits


@pytest.mark.parametrize(
    "authorization",
    ["Device 99999999999999999999999:x", "Device 9223372036854775808:x", "Device ²:x"],
    ids=["23-digits", "2**63", "superscript-digit"],
)
async def test_a_device_id_no_device_can_have_is_401(
    client: Client, world: World, authorization: str
) -> None:
    # As bytes: "²" reaches the server as Latin-1 (str.isdigit took it, and int() then failed).
    headers = {b"authorization": authorization.encode("latin-1")}
    single = await client.post(
        "/attendance/device/punches",
        json={"direction": "in", "at": _ago(5), "staff_no": "CS002"},
        headers=headers,
    )
    body = assert_problem(single, 401)
    assert "SQLite" not in body["detail"]
    assert "int" not in body["detail"]
    batch = await client.post(
        "/attendance/device/punches/batch",
        content=f"staff_no,direction,at\nCS002,in,{_ago(5)}\n".encode(),
        headers={**headers, b"content-type": b"text/csv"},
    )
    assert_problem(batch, 401)


async def test_an_employee_id_beyond_64_bits_is_422_naming_the_field(
    client: Client, world: World, sessionmaker: SM
) -> None:
    auth = await _device(client, world)
    before = await snapshot(sessionmaker)
    device = await client.post(
        "/attendance/device/punches",
        json={"direction": "in", "at": _ago(5), "employee_id": BIG},
        headers={**auth, "Idempotency-Key": "big-1"},
    )
    assert_problem(device, 422, field="employee_id")
    user = await client.post(
        "/attendance/punches",
        json={"direction": "in", "at": _ago(5), "employee_id": BIG, "reason": "forgot"},
        headers=world.headers("manager"),
    )
    assert_problem(user, 422, field="employee_id")
    assert await snapshot(sessionmaker) == before


async def test_a_batch_row_with_an_id_beyond_64_bits_is_refused_alone(
    client: Client, world: World
) -> None:
    agent = world.employees["agent2"].id
    rows = [
        {"employee_id": BIG, "direction": "in", "at": _ago(30), "reason": "paper list"},
        {"employee_id": agent, "direction": "in", "at": _ago(30), "reason": "paper list"},
        {"staff_no": "CS\x00002", "direction": "in", "at": _ago(30), "reason": "paper list"},
    ]
    r = await client.post("/attendance/punches/batch", json=rows, headers=world.headers("manager"))
    assert r.status_code == 200, r.text
    assert [(x["status"], x["field"]) for x in r.json()["rows"]] == [
        ("refused", "employee_id"),
        ("created", None),
        ("refused", "staff_no"),
    ]
    auth = await _device(client, world)
    content = f"employee_id,direction,at\n{'9' * 25},in,{_ago(20)}\n{agent},out,{_ago(10)}\n"
    r = await client.post(
        "/attendance/device/punches/batch", content=content.encode(), headers=_csv(auth)
    )
    assert r.status_code == 200, r.text
    assert [(x["status"], x["field"]) for x in r.json()["rows"]] == [
        ("refused", "employee_id"),
        ("created", None),
    ]


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/attendance/punches", {"employee_id": str(BIG), "month": "2026-11"}, "employee_id"),
        ("/employees", {"department_id": str(BIG)}, "department_id"),
        ("/employees", {"team_id": "0"}, "team_id"),
        ("/attendance/export", {"month": "2026-11", "department_id": str(BIG)}, "department_id"),
    ],
    ids=["punches-employee", "employees-department", "employees-team-zero", "export-department"],
)
async def test_an_id_in_the_query_beyond_its_range_is_400_naming_it(
    client: Client, world: World, path: str, params: dict[str, str], name: str
) -> None:
    r = await client.get(path, params=params, headers=world.headers("hr"))
    assert_problem(r, 400, field=name)


async def test_an_id_in_a_body_beyond_64_bits_is_400_naming_it(
    client: Client, world: World
) -> None:
    r = await client.post(
        "/attendance/correction-requests",
        json={"reason": "wrong time", "punch_id": BIG},
        headers=world.headers("agent"),
    )
    assert_problem(r, 400, field="punch_id")


# ---------------------------------------------------------------- no credential in the logs


@get("/test-only/boom", sync_to_thread=False)
def _boom(request: Request[Any, Any, Any]) -> None:
    """A bug with the caller's credential in a local variable, as any handler has."""
    authorization = request.headers.get("authorization", "")
    password = "hunter2-correct-horse"  # a local a traceback must not show
    raise RuntimeError(f"boom after reading {len(authorization) + len(password)} characters")


@contextlib.contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """The lines the configured root handler writes, while inside; as tests log afterwards."""
    stream = io.StringIO()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)
        configure_logging("WARNING", "console")


@pytest.mark.parametrize("fmt", ["json", "console"])
async def test_a_500_logs_its_traceback_without_locals_or_credentials(
    settings: Settings, world: World, fmt: Literal["json", "console"]
) -> None:
    app = create_app(dataclasses.replace(settings, log_level="INFO", log_format=fmt))
    app.register(_boom)
    headers = world.headers("admin")
    token = headers["Authorization"].removeprefix("Bearer ")
    with captured_logs() as stream:
        async with AsyncTestClient(app) as client:
            r = await client.get("/test-only/boom", params={"token": token}, headers=headers)
    body = assert_problem(r, 500)
    logged = stream.getvalue()
    assert "unhandled_exception" in logged
    assert "RuntimeError: boom after reading" in logged  # the traceback is there
    assert body["request_id"] in logged
    for secret in (token, token[:20], token[-20:], "hunter2"):
        assert secret not in logged
    assert "Bearer eyJ" not in logged
    if fmt == "json":
        lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
        assert {line["event"] for line in lines} >= {"unhandled_exception", "request"}


def test_secret_keys_and_credential_shaped_text_are_masked_at_any_depth() -> None:
    configure_logging("INFO", "json")
    with captured_logs() as stream:
        structlog.get_logger("rota.test").warning(
            "outgoing",
            headers={"Authorization": "Bearer abc.def.ghi", "Accept": "text/csv"},
            attempts=[{"password": "pw-1", "user": "li"}],
            note="sent Device 12:s3cr3t-value and password=pw-2",
        )
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["headers"] == {"Authorization": "[redacted]", "Accept": "text/csv"}
    assert line["attempts"] == [{"password": "[redacted]", "user": "li"}]
    assert "s3cr3t" not in line["note"]
    assert "pw-2" not in line["note"]


# ---------------------------------------------------------------- penalty policy


async def test_a_policy_cannot_reach_back_over_days_already_past(
    session: AsyncSession, world: World
) -> None:
    manager = principal_of(world.users["manager"])
    nov_27 = dt.date(2026, 11, 27)
    with pytest.raises(ValidationFailedError) as refused:
        await set_policy(session, manager, world.cs_id, dt.date(2026, 11, 1), {}, None, nov_27)
    assert "from 2026-12-01" in refused.value.detail
    assert refused.value.errors[0]["field"] == "effective_from"
    _, row = await set_policy(session, manager, world.cs_id, dt.date(2026, 12, 1), {}, None, nov_27)
    assert row.effective_from == dt.date(2026, 12, 1)
    # On a month's first day no day of it is past yet: the month itself may get a version.
    _, row = await set_policy(
        session, manager, world.cs_id, dt.date(2027, 1, 1), {}, None, dt.date(2027, 1, 1)
    )
    assert row.effective_from == dt.date(2027, 1, 1)


async def test_a_policy_from_the_current_month_is_422_saying_from_when(
    client: Client, world: World
) -> None:
    today = dt.datetime.now(SH).date()
    if today.day == 1:  # no day of this month is past yet; last month is refused
        earliest, first = today, (today - dt.timedelta(days=1)).replace(day=1)
    else:
        earliest = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        first = today.replace(day=1)
    r = await client.put(
        f"/departments/{world.cs_id}/attendance/policy",
        json={"effective_from": first.isoformat(), "policy": {"grace_minutes": 10}},
        headers=world.headers("manager"),
    )
    body = assert_problem(r, 422, field="effective_from")
    assert f"from {earliest.isoformat()}" in body["detail"]


@pytest.mark.parametrize(
    ("policy", "name"),
    [
        (
            {
                "grace_minutes": 20,
                "late_tiers": [
                    {"up_to_minutes": 15, "deduction": 20},
                    {"up_to_minutes": None, "absence_days": 1},
                ],
            },
            "late_tiers[0].up_to_minutes",
        ),
        ({"grace_minutes": 20}, "grace_minutes"),  # the default first tier ends at 15
        (
            {
                "grace_minutes": 10,
                "early_tiers": [
                    {"up_to_minutes": 5},
                    {"up_to_minutes": 10},
                    {"up_to_minutes": None, "deduction": 50},
                ],
            },
            "early_tiers[0].up_to_minutes",
        ),
    ],
    ids=["late-tier-within-grace", "default-tiers-within-grace", "early-tier-within-grace"],
)
async def test_tiers_the_grace_period_makes_unreachable_are_refused(
    client: Client, world: World, policy: dict[str, Any], name: str
) -> None:
    today = dt.datetime.now(SH).date()
    next_month = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    url = f"/departments/{world.cs_id}/attendance/policy"
    r = await client.put(
        url,
        json={"effective_from": next_month.isoformat(), "policy": policy},
        headers=world.headers("manager"),
    )
    body = assert_problem(r, 422, field=name)
    assert "can never apply" in body["detail"]
    fixed = {
        "grace_minutes": 20,
        "late_tiers": [{"up_to_minutes": 30, "deduction": 20}, {"up_to_minutes": None}],
        "early_tiers": [{"up_to_minutes": 21, "deduction": 20}, {"up_to_minutes": None}],
    }
    r = await client.put(
        url,
        json={"effective_from": next_month.isoformat(), "policy": fixed},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text


async def test_a_policy_answer_names_every_bad_field(client: Client, world: World) -> None:
    today = dt.datetime.now(SH).date()
    next_month = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    bad = {"absence_deduction": -5, "grace_minutes": "x", "escalation_factor": 99}
    r = await client.put(
        f"/departments/{world.cs_id}/attendance/policy",
        json={"effective_from": next_month.isoformat(), "policy": bad},
        headers=world.headers("hr"),
    )
    body = assert_problem(r, 422)
    assert {e["field"] for e in body["errors"]} >= set(bad), body


# ---------------------------------------------------------------- leave, swaps, exports


async def test_supervisor_files_sick_leave_for_someone_but_not_personal_leave(
    client: Client, world: World, sessionmaker: SM
) -> None:
    mon = monday()
    agent = world.employees["agent"].id
    r = await file_leave(
        client, world, "supervisor", employee_id=agent, type="sick", start_date=mon, end_date=mon
    )
    assert r.status_code == 201, r.text
    assert r.json()["on_behalf"] is True
    assert r.json()["filed_by"] == world.users["supervisor"].id
    before = await snapshot(sessionmaker)
    later = mon + dt.timedelta(days=7)
    p = await file_leave(
        client,
        world,
        "supervisor",
        employee_id=agent,
        type="personal",
        start_date=later,
        end_date=later,
    )
    assert_problem(p, 403)
    assert await snapshot(sessionmaker) == before


def _cell(shift: str | None, absence: str | None = None) -> PublishedCell:
    return PublishedCell(
        employee_id=1,
        date=dt.date(2026, 12, 10),
        shift_code=shift,
        absence=absence,
        shift=None,
        roster_id=1,
        version_number=1,
        timezone="Asia/Shanghai",
    )


@pytest.mark.parametrize(
    ("needed", "cell", "message"),
    [
        (None, _cell("late"), "the swap needs them free, but the roster has them on late"),
        ("early", _cell("late"), "the swap needs them on early, but the roster has them on late"),
        ("early", _cell(None), "the swap needs them on early, but the roster has them free"),
        (None, _cell(None, "sick"), "needs them free, but the roster has them on leave"),
    ],
    ids=["needs-free-has-late", "needs-early-has-late", "needs-early-is-free", "on-leave"],
)
def test_a_swap_that_no_longer_fits_says_what_it_needs_and_what_the_roster_has(
    needed: str | None, cell: PublishedCell, message: str
) -> None:
    day = dt.date(2026, 12, 10)
    (difference,) = CurrentState({(1, day): cell}).differences({(1, day): needed})
    assert difference.startswith("employee 1 on 2026-12-10: ")
    assert difference.endswith(message)


async def test_roster_xlsx_title_names_the_team_once(
    client: Client, world: World, sessionmaker: SM
) -> None:
    data = await store_roster(sessionmaker, world)
    url = f"/rosters/{data.roster_id}/versions/1/export"

    async def title() -> Any:
        r = await client.get(url, params={"format": "xlsx"}, headers=world.headers("hr"))
        assert r.status_code == 200, r.text
        return openpyxl.load_workbook(io.BytesIO(r.content))["A"].cell(row=1, column=1).value

    # The department's roster: each sheet names its team after the department.
    assert await title() == "Customer Service · A · 2026-10 · v1"
    async with sessionmaker() as s:
        await s.execute(
            update(Roster)
            .where(Roster.id == data.roster_id)
            .values(team_id=world.team_a, scope_key=f"team:{world.team_a}")
        )
        await s.commit()
    # Team A's roster: its scope already names the team.
    assert await title() == "Customer Service / A · 2026-10 · v1"
