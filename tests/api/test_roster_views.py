"""The roster views: JSON grid/coverage/counts, diff, CSV, XLSX, iCal feed, /me/shifts, access."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import icalendar
import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.api.roster_views_data import (
    DAYS,
    HOLIDAYS,
    LEAVE_DAY,
    MAKEUP,
    RosterData,
    planned,
    store_roster,
)

Client = AsyncTestClient[Litestar]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def roster(sessionmaker: async_sessionmaker[AsyncSession], world: World) -> RosterData:
    return await store_roster(sessionmaker, world)


def expected_counts(person: int) -> dict[str, int]:
    """Counted here from the pattern, independently of the view code."""
    work = [d for d in DAYS if planned(person, d)[0] is not None]
    weekend = [d for d in work if d.weekday() >= 5 and d not in MAKEUP]
    return {
        "working_days": len(work),
        "late_shifts": sum(1 for d in work if planned(person, d)[0] == "late"),
        "weekend_days": len(weekend),
        "holiday_days": sum(1 for d in work if d in HOLIDAYS),
        "rest_days": sum(1 for d in DAYS if planned(person, d) == (None, None)),
        "leave_days": sum(1 for d in DAYS if planned(person, d)[1] is not None),
    }


async def test_json_view_grid_coverage_counts(
    client: Client, world: World, roster: RosterData
) -> None:
    r = await client.get(
        f"/rosters/{roster.roster_id}/versions/1", headers=world.headers("manager")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "published"
    assert [s["code"] for s in body["shifts"]] == ["early", "late"]
    assert body["shifts"][1]["end_minute"] == 1440
    assert len(body["days"]) == 31
    days = {d["date"]: d for d in body["days"]}
    assert days["2026-10-01"]["holiday"]
    assert not days["2026-10-01"]["weekend"]
    assert days["2026-10-10"]["makeup_workday"]
    assert not days["2026-10-10"]["weekend"]
    assert days["2026-10-11"]["weekend"]
    assert days["2026-10-11"]["holiday"] is None

    assert [p["staff_no"] for p in body["people"]] == ["CS001", "CS003", "CS002"]  # team A, then B
    li = body["people"][0]
    assert len(li["cells"]) == 31
    first = li["cells"][0]
    assert (first["shift_code"], first["shift_name"], first["colour"]) == (
        "early",
        "早班",
        "#9ecae1",
    )
    assert li["cells"][2]["rest"] is True
    assert li["cells"][2]["shift_code"] is None
    leave = li["cells"][LEAVE_DAY.day - 1]
    assert (leave["leave"], leave["rest"], leave["shift_code"]) == ("annual", False, None)
    assert body["people"][1]["cells"][0]["locked"] is True
    for i, person in enumerate(body["people"]):
        assert person["counts"] == expected_counts(i), person["name"]
    assert body["people"][0]["counts"]["holiday_days"] > 0

    early = {c["date"]: c for c in body["shift_coverage"] if c["shift_code"] == "early"}
    late = {c["date"]: c for c in body["shift_coverage"] if c["shift_code"] == "late"}
    assert (
        early["2026-10-02"]["assigned"],
        early["2026-10-02"]["minimum"],
        early["2026-10-02"]["target"],
    ) == (1, 1, 2)
    assert early["2026-10-02"]["status"] == "under"
    assert early["2026-10-10"]["assigned"] == 0
    assert early["2026-10-10"]["status"] == "short"
    assert all(c["assigned"] == 1 and c["status"] == "ok" for c in late.values())

    handover = {
        c["date"]: c for c in body["interval_coverage"] if c["label"].startswith("handover")
    }
    assert len(handover) == 31
    h = handover["2026-10-02"]
    assert (h["start_minute"], h["end_minute"], h["assigned"], h["minimum"]) == (900, 1050, 2, 2)
    assert h["by_shift"] == {"early": 1, "late": 1}
    assert handover["2026-10-10"]["assigned"] == 1
    assert handover["2026-10-10"]["status"] == "short"
    assert body["hard_violations"] == 2  # 10 Oct: the early shift and the handover window
    named = body["violations"]
    assert len(named) == 2, named
    assert {v["date"] for v in named} == {"2026-10-10"}, named
    assert all(v["hard"] and v["message"] for v in named), named
    assert set(body["breakdown"]) >= {"demand_target"}


async def test_diff_between_versions(client: Client, world: World, roster: RosterData) -> None:
    r = await client.get(
        f"/rosters/{roster.roster_id}/versions/2/diff",
        params={"against": 1},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    changes = r.json()["changes"]
    assert changes == [
        {
            "employee_id": roster.people[2].id,
            "date": roster.changed_day.isoformat(),
            "from_shift": "early",
            "to_shift": None,
            "from_absence": None,
            "to_absence": None,
        }
    ]
    r = await client.get(
        f"/rosters/{roster.roster_id}/versions/2/diff",
        params={"against": 9},
        headers=world.headers("manager"),
    )
    assert_problem(r, 404)


async def test_csv_export(client: Client, world: World, roster: RosterData) -> None:
    r = await client.get(
        f"/rosters/{roster.roster_id}/versions/1/export",
        params={"format": "csv"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="roster-' in r.headers["content-disposition"]
    assert r.headers["content-disposition"].endswith('-2026-10-v1.csv"')
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["staff_no"] for row in rows] == ["CS001", "CS003", "CS002"]
    chen = rows[1]
    assert chen["name"] == "陈静"
    assert chen["team"] == "A"
    assert chen["2026-10-01"] == "late"
    assert chen["2026-10-02"] == "休"
    assert chen["2026-10-03"] == "early"
    assert rows[0][LEAVE_DAY.isoformat()] == "leave:annual"
    assert int(chen["working_days"]) == expected_counts(1)["working_days"]
    assert int(rows[0]["holiday_days"]) == expected_counts(0)["holiday_days"]


async def test_xlsx_export(client: Client, world: World, roster: RosterData) -> None:
    r = await client.get(
        f"/rosters/{roster.roster_id}/versions/1/export",
        params={"format": "xlsx"},
        headers=world.headers("hr"),
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].endswith('-2026-10-v1.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["A", "B"]  # one sheet per team
    a = book["A"]
    assert a.freeze_panes == "C5"
    assert a.page_setup.orientation == "landscape"
    assert a.sheet_properties.pageSetUpPr.fitToPage
    assert a.cell(row=3, column=3).value == 1  # date header: day of month
    assert a.cell(row=4, column=3).value == "四"  # 1 Oct 2026 is a Thursday
    # Li Wei's row: 1 Oct early, 2 Oct late, 3 Oct rest
    assert (a.cell(row=5, column=1).value, a.cell(row=5, column=2).value) == ("CS001", "Li Wei")
    early, late, rest = (a.cell(row=5, column=c) for c in (3, 4, 5))
    assert (early.value, late.value, rest.value) == ("early", "late", "休")
    assert early.fill.fgColor.rgb.endswith("9ECAE1")
    assert late.fill.fgColor.rgb.endswith("FDAE6B")
    assert a.cell(row=5, column=2 + LEAVE_DAY.day).value == "leave:annual"
    # counts at the side: after 31 date columns
    counts = [a.cell(row=5, column=34 + j).value for j in range(4)]
    c = expected_counts(0)
    assert counts == [c["working_days"], c["late_shifts"], c["weekend_days"], c["holiday_days"]]
    assert a.cell(row=6, column=2).value == "陈静"
    labels = [a.cell(row=r_, column=1).value for r_ in range(1, a.max_row + 1)]
    assert "覆盖 Coverage" in labels
    assert "图例 Legend" in labels
    assert "交接" in labels
    legend = labels.index("图例 Legend") + 1
    assert a.cell(row=legend + 1, column=1).value == "early"
    assert a.cell(row=legend + 1, column=1).fill.fgColor.rgb.endswith("9ECAE1")
    assert "08:30-17:30" in a.cell(row=legend + 1, column=2).value
    assert "15:00-24:00" in a.cell(row=legend + 2, column=2).value
    b = book["B"]
    assert b.cell(row=5, column=2).value == "Wang Fang"
    assert b.cell(row=6, column=1).value is None


async def test_ical_feed_and_rotation(client: Client, world: World, roster: RosterData) -> None:
    emp = world.employees["agent"].id
    r = await client.post(f"/employees/{emp}/calendar-token", headers=world.headers("agent"))
    assert r.status_code == 200, r.text
    link = r.json()
    assert link["url"] == f"http://127.0.0.1:8000/calendar/{link['token']}.ics"
    again = await client.post(f"/employees/{emp}/calendar-token", headers=world.headers("manager"))
    assert again.json()["token"] == link["token"]  # get-or-create keeps the subscription

    path = link["url"].removeprefix("http://127.0.0.1:8000")
    feed = await client.get(path)  # public: no header
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(feed.content)
    tz = [c for c in cal.walk("VTIMEZONE")]
    assert [str(c["TZID"]) for c in tz] == ["Asia/Shanghai"]
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    # "now" is the real clock: only assert on days inside the feed window, if any.
    today = dt.datetime.now(SHANGHAI).date()
    window = [
        d for d in DAYS if today - dt.timedelta(days=60) <= d <= today + dt.timedelta(days=120)
    ]
    expected = [d for d in window if planned(0, d) != (None, None)]
    assert len(events) == len(expected)
    for d in expected:
        event = events[f"{emp}-{d.isoformat()}@rota"]
        shift, absence = planned(0, d)
        if absence:
            assert event.decoded("DTSTART") == d
            assert event["DTSTART"].params.get("VALUE") == "DATE"
        elif shift == "late":
            start, end = event.decoded("DTSTART"), event.decoded("DTEND")
            assert event["DTEND"].params["TZID"] == "Asia/Shanghai"
            assert start == dt.datetime.combine(d, dt.time(15), SHANGHAI)
            assert end == dt.datetime.combine(d + dt.timedelta(days=1), dt.time(0), SHANGHAI)
            assert end.tzinfo is not None
            assert end.utcoffset() == dt.timedelta(hours=8)


async def test_ical_late_shift_ends_at_next_midnight() -> None:
    """The feed's builder, with a fixed clock, so the October roster is inside the window."""
    from scheduler.org.models import Department
    from scheduler.people.models import Employee
    from scheduler.rosters.ical import build_feed
    from scheduler.rosters.store import PublishedCell

    late = {"name": "晚班", "start_minute": 900, "end_minute": 1440, "late": True}
    cells = [
        PublishedCell(7, dt.date(2026, 10, 2), "late", None, late, 1, 1, "Asia/Shanghai"),
        PublishedCell(7, dt.date(2026, 10, 3), None, "annual", None, 1, 1, "Asia/Shanghai"),
        PublishedCell(7, dt.date(2026, 10, 4), None, None, None, 1, 1, "Asia/Shanghai"),
    ]
    employee = Employee(id=7, name="Li Wei", staff_no="CS001")
    department = Department(id=1, name="CS", timezone="Asia/Shanghai")
    now = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    cal = icalendar.Calendar.from_ical(build_feed(employee, department, cells, now))
    events = list(cal.walk("VEVENT"))
    assert len(events) == 2  # the rest day is no event
    shift = events[0]
    assert str(shift["UID"]) == "7-2026-10-02@rota"
    assert shift.decoded("DTEND") == dt.datetime(2026, 10, 3, 0, 0, tzinfo=SHANGHAI)
    assert "DTEND;TZID=Asia/Shanghai:20261003T000000" in shift.to_ical().decode()
    leave = events[1]
    assert leave.decoded("DTSTART") == dt.date(2026, 10, 3)
    assert leave.decoded("DTEND") == dt.date(2026, 10, 4)


async def test_rotating_token_kills_old_url(
    client: Client, world: World, roster: RosterData
) -> None:
    emp = world.employees["agent"].id
    first = (
        await client.post(f"/employees/{emp}/calendar-token", headers=world.headers("agent"))
    ).json()
    rotated = await client.post(
        f"/employees/{emp}/calendar-token",
        params={"rotate": "true"},
        headers=world.headers("manager"),
    )
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["token"] != first["token"]
    old = await client.get(f"/calendar/{first['token']}.ics")
    assert_problem(old, 404)
    assert (await client.get(f"/calendar/{second['token']}.ics")).status_code == 200
    assert_problem(await client.get("/calendar/not-a-token.ics"), 404)


async def test_calendar_token_scope(client: Client, world: World, roster: RosterData) -> None:
    emp = world.employees["agent"].id
    # Who cannot read the person: not found. Who can read but not manage them: refused.
    for who, status in (("agent2", 404), ("sales_manager", 404), ("supervisor", 403), ("hr", 403)):
        r = await client.post(f"/employees/{emp}/calendar-token", headers=world.headers(who))
        assert_problem(r, status)
    assert (
        await client.post(f"/employees/{emp}/calendar-token", headers=world.headers("admin"))
    ).status_code == 200


async def test_me_shifts_only_own_cells(client: Client, world: World, roster: RosterData) -> None:
    r = await client.get(
        "/me/shifts",
        params={"from": "2026-10-01", "to": "2026-10-10"},
        headers=world.headers("agent"),
    )
    assert r.status_code == 200, r.text
    rows = r.json()
    assert [row["date"] for row in rows] == [d.isoformat() for d in DAYS[:10]]
    assert {row["roster_id"] for row in rows} == {roster.roster_id}
    assert rows[0]["shift_code"] == "early"
    assert rows[0]["start"] == "2026-10-01T08:30:00+08:00"
    assert rows[0]["end"] == "2026-10-01T17:30:00+08:00"
    assert rows[1]["shift_code"] == "late"
    assert rows[1]["end"] == "2026-10-03T00:00:00+08:00"
    assert rows[2]["shift_code"] is None
    assert rows[2]["start"] is None
    assert rows[9]["absence"] == "annual"
    # Wang Fang sees her own pattern (and the published v1, not the draft v2)
    other = await client.get(
        "/me/shifts",
        params={"from": "2026-10-20", "to": "2026-10-20"},
        headers=world.headers("agent2"),
    )
    assert [row["shift_code"] for row in other.json()] == ["early"]
    assert_problem(await client.get("/me/shifts", headers=world.headers("hr")), 404)
    bad = await client.get(
        "/me/shifts",
        params={"from": "2026-10-10", "to": "2026-10-01"},
        headers=world.headers("agent"),
    )
    assert_problem(bad, 422, field="to")
    # A whole month, as the attendance routes take it.
    month = await client.get(
        "/me/shifts", params={"month": "2026-10"}, headers=world.headers("agent")
    )
    assert [row["date"] for row in month.json()] == [d.isoformat() for d in DAYS[:31]]
    both = await client.get(
        "/me/shifts",
        params={"month": "2026-10", "from": "2026-10-01"},
        headers=world.headers("agent"),
    )
    assert_problem(both, 422, field="month")


@pytest.mark.parametrize(
    ("who", "number", "status"),
    [
        ("manager", 2, 200),
        ("supervisor", 2, 200),
        ("lead", 1, 200),
        ("hr", 2, 200),
        ("gm", 1, 200),
        ("admin", 2, 200),
        ("agent", 1, 200),
        ("agent", 2, 403),
        ("sales_manager", 1, 404),
        ("sales_agent", 1, 404),
    ],
)
async def test_access(
    client: Client, world: World, roster: RosterData, who: str, number: int, status: int
) -> None:
    base = f"/rosters/{roster.roster_id}/versions/{number}"
    for path in (base, f"{base}/export?format=csv", f"{base}/page"):
        r = await client.get(path, headers=world.headers(who))
        if status == 200:
            assert r.status_code == 200, (path, r.text)
        else:
            assert_problem(r, status)


async def test_current_page_for_agent_is_published(
    client: Client, world: World, roster: RosterData
) -> None:
    r = await client.get(f"/rosters/{roster.roster_id}/page", headers=world.headers("agent"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert 'id="status">published<' in r.text
    assert r.text.count('class="person-row"') == 3
    assert_problem(await client.get("/rosters/999999/page", headers=world.headers("manager")), 404)


async def test_page_uses_cookie(client: Client, world: World, roster: RosterData) -> None:
    from tests.api.conftest import PASSWORD

    login = await client.post("/auth/login", json={"username": "manager", "password": PASSWORD})
    assert login.status_code == 200
    assert "rota_token" in login.cookies or "rota_token" in client.cookies
    r = await client.get(f"/rosters/{roster.roster_id}/versions/1/page")
    assert r.status_code == 200, r.text
    assert "handover 15:00-17:30" in r.text
    assert "陈静" in r.text


async def test_an_agent_sees_that_a_colleague_is_on_leave_but_not_why(
    client: Client, world: World, roster: RosterData
) -> None:
    li = world.employees["agent"].id

    async def leave_of(who: str) -> str | None:
        r = await client.get(f"/rosters/{roster.roster_id}/versions/1", headers=world.headers(who))
        assert r.status_code == 200, r.text
        [row] = [p for p in r.json()["people"] if p["employee_id"] == li]
        [cell] = [c for c in row["cells"] if c["date"] == LEAVE_DAY.isoformat()]
        leave: str | None = cell["leave"]
        return leave

    assert await leave_of("manager") == "annual"
    assert await leave_of("agent") == "annual"  # their own row
    assert await leave_of("agent2") == "leave"  # a colleague's
    csv_text = (
        await client.get(
            f"/rosters/{roster.roster_id}/versions/1/export",
            params={"format": "csv"},
            headers=world.headers("agent2"),
        )
    ).text
    assert "annual" not in csv_text
