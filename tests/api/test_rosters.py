"""The manager's main job through the API: configure, generate, edit, publish, repair."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.people.models import Employee
from scheduler.rosters.models import RosterCell, RosterEdit, RosterVersion
from scheduler.rosters.store import cells_of
from scheduler.rosters.versions import check_version
from tests.api.conftest import World
from tests.api.roster_setup import MONTH, configure, generate, prepare_team, wait_for_job

Client = AsyncTestClient[Litestar]
SM = async_sessionmaker[AsyncSession]


async def stored_version(sm: SM, roster_id: int, number: int) -> RosterVersion:
    async with sm() as s:
        version = await s.scalar(
            select(RosterVersion).where(
                RosterVersion.roster_id == roster_id, RosterVersion.number == number
            )
        )
        assert version is not None
        return version


async def assert_checker_passes(sm: SM, roster_id: int, number: int) -> None:
    """Every roster the service stores passes the independent checker."""
    version = await stored_version(sm, roster_id, number)
    async with sm() as s:
        report = await check_version(s, version)
    assert report.hard_violations == (), [v.message for v in report.hard_violations]
    assert report.objective == version.objective


@pytest.fixture
async def team(client: Client, world: World, sessionmaker: SM) -> list[int]:
    ids = await prepare_team(sessionmaker, world)
    await configure(client, world)
    return ids


async def test_generate_edit_publish(
    client: Client, world: World, sessionmaker: SM, team: list[int]
) -> None:
    job = await generate(client, world)
    assert job["status"] == "succeeded", job
    assert job["objective"] is not None
    assert job["elapsed_s"] is not None
    roster_id, number = job["roster_id"], job["result_version"]
    assert number == 1
    await assert_checker_passes(sessionmaker, roster_id, number)
    async with sessionmaker() as s:
        cells = await cells_of(s, (await stored_version(sessionmaker, roster_id, number)).id)
    assert {c.employee_id for c in cells} == set(team)
    assert len(cells) == len(team) * 31

    summary = (await client.get(f"/rosters/{roster_id}", headers=world.headers("manager"))).json()
    assert [v["status"] for v in summary["versions"]] == ["draft"]
    revision = summary["versions"][0]["revision"]

    # Late on the 1st then early on the 2nd leaves 8.5 h of rest: refused without an override.
    li = world.employees["agent"].id
    edits = [
        {"employee_id": li, "date": "2026-12-01", "action": "assign", "shift_code": "late"},
        {"employee_id": li, "date": "2026-12-02", "action": "assign", "shift_code": "early"},
    ]
    r = await client.patch(
        f"/rosters/{roster_id}/versions/1/cells",
        json={"edits": edits, "revision": revision},
        headers=world.headers("manager"),
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    rules = {v["rule"] for v in r.json()["violations"]}
    assert "min_rest" in rules or "rest" in " ".join(rules), r.json()
    async with sessionmaker() as s:
        assert (await s.scalars(select(RosterEdit))).all() == []

    r = await client.patch(
        f"/rosters/{roster_id}/versions/1/cells",
        json={
            "edits": edits,
            "revision": revision,
            "override_reason": "Li asked to swap with Chen, agreed by phone",
        },
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["caused"], "the override response still lists what the edit broke"
    new_revision = r.json()["version"]["revision"]
    assert new_revision > revision
    async with sessionmaker() as s:
        recorded = (await s.scalars(select(RosterEdit))).all()
    assert {e.override_reason for e in recorded} == {"Li asked to swap with Chen, agreed by phone"}

    # A second writer with the old revision loses: 409, not a lost update.
    r = await client.patch(
        f"/rosters/{roster_id}/versions/1/cells",
        json={
            "edits": [{"employee_id": li, "date": "2026-12-03", "action": "clear"}],
            "revision": revision,
        },
        headers=world.headers("manager"),
    )
    assert r.status_code == 409, r.text

    r = await client.post(
        f"/rosters/{roster_id}/versions/1/publish", json={}, headers=world.headers("manager")
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published"
    assert r.json()["published_at"]

    # Published versions never change; a new draft is made from them.
    r = await client.patch(
        f"/rosters/{roster_id}/versions/1/cells",
        json={"edits": [{"employee_id": li, "date": "2026-12-03", "action": "clear"}]},
        headers=world.headers("manager"),
    )
    assert r.status_code == 409
    r = await client.post(f"/rosters/{roster_id}/drafts", json={}, headers=world.headers("manager"))
    assert r.status_code == 201, r.text
    assert r.json()["number"] == 2
    assert r.json()["status"] == "draft"
    assert r.json()["based_on"] == 1  # made from the published version 1


async def test_repair_after_someone_leaves_the_team(
    client: Client, world: World, sessionmaker: SM, team: list[int]
) -> None:
    job = await generate(client, world)
    roster_id = job["roster_id"]
    assert (
        await client.post(
            f"/rosters/{roster_id}/versions/1/publish", json={}, headers=world.headers("manager")
        )
    ).status_code == 200
    leaver = team[3]
    async with sessionmaker() as s:
        await s.execute(update(Employee).where(Employee.id == leaver).values(team_id=world.team_b))
        await s.commit()
        published = await s.scalars(
            select(RosterCell)
            .join(RosterVersion)
            .where(RosterVersion.roster_id == roster_id, RosterVersion.number == 1)
        )
        before = {(c.employee_id, c.date): c.shift_code for c in published.all()}

    r = await client.post(
        f"/rosters/{roster_id}/repair", json={"time_limit_s": 5}, headers=world.headers("manager")
    )
    assert r.status_code == 202, r.text
    repair = await wait_for_job(client, world, r.json()["id"])
    assert repair["status"] == "succeeded", repair
    assert repair["result_version"] == 2
    await assert_checker_passes(sessionmaker, roster_id, 2)

    changes = (
        await client.get(f"/roster-jobs/{repair['id']}/changes", headers=world.headers("manager"))
    ).json()
    leaver_shifts = sum(1 for (e, _d), code in before.items() if e == leaver and code)
    assert any(c["employee_id"] == leaver for c in changes), "the leaver's shifts appear as removed"
    # Fewest changes: the others move only to fill the leaver's shifts, not the whole month.
    others = [c for c in changes if c["employee_id"] != leaver]
    assert len(others) <= 3 * leaver_shifts, (len(others), leaver_shifts)
    for c in changes:
        assert before.get((c["employee_id"], dt.date.fromisoformat(c["date"]))) == c["before"]


async def test_infeasible_month_is_explained(
    client: Client, world: World, sessionmaker: SM, team: list[int]
) -> None:
    # Team B has a single agent, Wang Fang: a late shift needing two people cannot be staffed.
    r = await client.post(
        "/roster-jobs",
        json={"team_id": world.team_b, "month": MONTH},
        headers=world.headers("manager"),
    )
    assert r.status_code == 202, r.text
    job = await wait_for_job(client, world, r.json()["id"])
    assert job["status"] == "infeasible", job
    assert job["result_version"] is None
    explanation = job["explanation"]
    assert explanation["summary"]
    assert explanation["facts"], explanation
    text = " ".join(explanation["facts"]) + explanation["summary"]
    assert "1 Dec" in text, explanation
    # Either shift of the day is a true conflict; it is named as the department names it.
    assert "早班" in text or "晚班" in text, explanation


async def test_cancel_a_running_job_keeps_its_best_roster(
    client: Client, world: World, team: list[int]
) -> None:
    r = await client.post(
        "/roster-jobs",
        json={"team_id": world.team_a, "month": MONTH, "time_limit_s": 120},
        headers=world.headers("manager"),
    )
    assert r.status_code == 202
    job_id = r.json()["id"]
    second = await client.post(
        "/roster-jobs",
        json={"team_id": world.team_a, "month": MONTH},
        headers=world.headers("manager"),
    )
    assert second.status_code == 409, "one job per roster at a time"
    r = await client.delete(f"/roster-jobs/{job_id}", headers=world.headers("manager"))
    assert r.status_code == 202
    done = await wait_for_job(client, world, job_id, within=60)
    assert done["status"] == "cancelled"
    assert done["elapsed_s"] < 120


@pytest.mark.parametrize(
    ("who", "status"),
    [("agent", 403), ("lead", 403), ("hr", 403), ("gm", 403), ("sales_manager", 404)],
)
async def test_only_the_departments_manager_generates(
    client: Client, world: World, team: list[int], who: str, status: int
) -> None:
    r = await client.post(
        "/roster-jobs", json={"team_id": world.team_a, "month": MONTH}, headers=world.headers(who)
    )
    assert r.status_code == status, r.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"team_id": 1, "month": "2026-13"}, "month"),
        ({"month": "2026-12"}, "team_id"),
        ({"team_id": 1, "month": "2026-12", "time_limit_s": 0}, "time_limit_s"),
        ({"team_id": 1, "month": "2026-12", "colour": "red"}, "colour"),
    ],
)
async def test_bad_job_requests_name_the_field(
    client: Client, world: World, team: list[int], body: dict[str, object], field: str
) -> None:
    if "team_id" in body:
        body = {**body, "team_id": world.team_a}
    r = await client.post("/roster-jobs", json=body, headers=world.headers("manager"))
    assert r.status_code in (400, 422), r.text
    assert field in r.text


async def test_team_without_staff_is_refused_before_queueing(
    client: Client, world: World, team: list[int]
) -> None:
    empty = await client.post(
        f"/departments/{world.cs_id}/teams", json={"name": "C"}, headers=world.headers("manager")
    )
    r = await client.post(
        "/roster-jobs",
        json={"team_id": empty.json()["id"], "month": MONTH},
        headers=world.headers("manager"),
    )
    assert r.status_code == 422
    assert "no active staff" in r.json()["detail"]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"rules": {"no_such_rule": {"hard": True}}}, "settings.rules.no_such_rule"),
        ({"rules": {"fairness_late": {"hard": True}}}, "settings.rules.fairness_late.hard"),
        ({"demand": {"weekday": {"night": {"minimum": 1}}}}, "settings.demand.weekday.night"),
        (
            {"demand": {"weekday": {"early": {"minimum": 3, "target": 1}}}},
            "settings.demand.weekday.early.target",
        ),
        (
            {"demand": {"weekday": {"early": {"minimum": 40, "target": 40}}}},
            "settings.demand.weekday",
        ),
        (
            {"meeting": {"weekday": 9, "start": "14:00", "end": "15:00"}},
            "settings.meeting.weekday",
        ),
        ({"colour": "red"}, "settings.colour"),
    ],
)
async def test_bad_settings_are_refused(
    client: Client, world: World, team: list[int], document: dict[str, object], field: str
) -> None:
    r = await client.put(
        f"/departments/{world.cs_id}/roster-config",
        json={"settings": document},
        headers=world.headers("manager"),
    )
    assert r.status_code == 422, r.text
    assert any(e["field"] == field for e in r.json()["errors"]), r.json()


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        ("15:00", "24:00", 201),
        ("22:00", "06:00", 201),
        ("09:00", "09:00", 422),
        ("24:00", "08:00", 422),
        ("08:00", "24:30", 422),
    ],
)
async def test_shift_type_times(
    client: Client, world: World, start: str, end: str, status: int
) -> None:
    r = await client.post(
        f"/departments/{world.cs_id}/shift-types",
        json={"code": "x", "name": "x", "start": start, "end": end},
        headers=world.headers("manager"),
    )
    assert r.status_code == status, r.text
    if status == 201:
        assert r.json()["end"] == end
        assert r.json()["crosses_midnight"] == (end < start and end != "24:00")


async def test_changing_a_shift_type_is_refused_to_staff_and_unknown_elsewhere(
    client: Client, world: World
) -> None:
    """As for creating one: the department's agent is refused (403), another department's
    manager does not see it (404), the manager changes it."""
    r = await client.post(
        f"/departments/{world.cs_id}/shift-types",
        json={"code": "mid", "name": "Mid", "start": "11:00", "end": "20:00"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    url = f"/shift-types/{r.json()['id']}"
    change = {"name": "Middle"}
    assert (await client.patch(url, json=change, headers=world.headers("agent"))).status_code == 403
    sales = world.headers("sales_manager")
    assert (await client.patch(url, json=change, headers=sales)).status_code == 404
    done = await client.patch(url, json=change, headers=world.headers("manager"))
    assert done.status_code == 200, done.text
    assert done.json()["name"] == "Middle"


async def test_calendar_has_statutory_and_company_days(client: Client, world: World) -> None:
    r = await client.post(
        f"/departments/{world.cs_id}/calendar-days",
        json={"date": "2026-10-20", "kind": "holiday", "name": "Company anniversary"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    days = (
        await client.get(
            f"/departments/{world.cs_id}/calendar?month=2026-10", headers=world.headers("agent")
        )
    ).json()
    by_date = {d["date"]: d for d in days}
    assert by_date["2026-10-01"]["kind"] == "holiday"
    assert by_date["2026-10-01"]["source"] == "statutory"
    assert by_date["2026-10-10"]["kind"] == "workday"  # the make-up Saturday
    assert by_date["2026-10-20"]["source"] == "company"


async def test_wishes_are_honoured_and_guarded(
    client: Client, world: World, sessionmaker: SM, team: list[int]
) -> None:
    li = world.employees["agent"].id
    r = await client.post(
        f"/employees/{li}/wishes",
        json={"date": "2026-12-12", "kind": "day_off", "weight": 10, "note": "sister's wedding"},
        headers=world.headers("agent"),
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/employees/{li}/wishes",
        json={"date": "2026-12-14", "kind": "shift_on", "shift_code": "early", "weight": 10},
        headers=world.headers("agent"),
    )
    assert r.status_code == 201, r.text
    # Not for someone else, not twice a day, not a shift that does not exist.
    other = world.employees["agent2"].id
    r = await client.post(
        f"/employees/{other}/wishes",
        json={"date": "2026-12-13", "kind": "day_off"},
        headers=world.headers("agent"),
    )
    assert r.status_code in (403, 404)
    r = await client.post(
        f"/employees/{li}/wishes",
        json={"date": "2026-12-12", "kind": "day_off"},
        headers=world.headers("agent"),
    )
    assert r.status_code == 409
    r = await client.post(
        f"/employees/{li}/wishes",
        json={"date": "2026-12-15", "kind": "shift_on", "shift_code": "night"},
        headers=world.headers("agent"),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "shift_code"
    mine = (await client.get("/wishes?month=2026-12", headers=world.headers("agent"))).json()
    assert [w["date"] for w in mine] == ["2026-12-12", "2026-12-14"]
    # The department's wishes are the manager's to read: its agent is refused (403, the
    # department exists for them), another department's manager is told it does not (404).
    dept = f"/wishes?month=2026-12&department_id={world.cs_id}"
    assert (await client.get(dept, headers=world.headers("agent"))).status_code == 403
    assert (await client.get(dept, headers=world.headers("sales_manager"))).status_code == 404
    assert len((await client.get(dept, headers=world.headers("manager"))).json()) == 2

    job = await generate(client, world)
    assert job["status"] == "succeeded"
    version = await stored_version(sessionmaker, job["roster_id"], 1)
    async with sessionmaker() as s:
        cells = {(c.employee_id, c.date): c.shift_code for c in await cells_of(s, version.id)}
    assert cells[(li, dt.date(2026, 12, 12))] is None
    assert cells[(li, dt.date(2026, 12, 14))] == "early"

    assert (
        await client.post(
            f"/rosters/{job['roster_id']}/versions/1/publish",
            json={},
            headers=world.headers("manager"),
        )
    ).status_code == 200
    r = await client.post(
        f"/employees/{li}/wishes",
        json={"date": "2026-12-20", "kind": "day_off"},
        headers=world.headers("agent"),
    )
    assert r.status_code == 409, "the month is published: ask for leave or a swap instead"


async def test_a_new_department_starts_with_the_early_and_late_shifts(
    client: Client, world: World
) -> None:
    r = await client.post(
        "/departments",
        json={"organisation_id": world.org_id, "name": "After-sales", "code": "AS"},
        headers=world.headers("admin"),
    )
    assert r.status_code == 201, r.text
    shifts = (
        await client.get(
            f"/departments/{r.json()['id']}/shift-types", headers=world.headers("admin")
        )
    ).json()
    assert [(s["code"], s["start"], s["end"], s["late"], s["never_alone"]) for s in shifts] == [
        ("early", "08:30", "17:30", False, False),
        ("late", "15:00", "24:00", True, True),
    ]


async def test_a_job_that_fails_inside_says_so_without_internals(
    client: Client, world: World, team: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error ends the job as failed with a message to quote, not its text."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("Unable to cast Python instance of type <class 'int'> to C++ type")

    monkeypatch.setattr("scheduler.rosters.runner.solve", broken)
    job = await generate(client, world)
    assert job["status"] == "failed", job
    assert "internal error" in job["error"], job
    assert f"job {job['id']}" in job["error"], job
    assert "C++" not in job["error"], job
    assert "RuntimeError" not in job["error"], job
