"""Someone leaving the department or moving team: their later shifts leave the published rosters.

A shift left on a published roster after someone's last working day is counted as an absence
(旷工) when its day passes, and as an agent in coverage until then. Deactivating a person
records their last working day and clears every later cell in a new published version, telling
the manager which days and shifts are now short; a team move does the same to the old team's
roster from the day of the move. Dates are relative to today, since a leaving day may not be in
the future.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import select, update

from scheduler.people.models import Employee
from scheduler.rosters.models import RosterVersion
from scheduler.rosters.store import cells_of
from scheduler.shifts.clock import local_today
from tests.api import attendance_data
from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot
from tests.api.requests_setup import SM, Client, grid
from tests.api.roster_setup import configure, prepare_team, wait_for_job

ZONE = "Asia/Shanghai"
NAMES = {"early": "早班", "late": "晚班"}
MINIMUM = 2  # every shift's minimum in roster_setup.SETTINGS


def _today() -> dt.date:
    return local_today(ZONE)


def _next_month() -> dt.date:
    return (_today().replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _previous_month() -> dt.date:
    return (_today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


async def _solve(client: Client, world: World, month: dt.date) -> dict[str, Any]:
    """Team A's roster of ``month``, generated (the job must succeed)."""
    r = await client.post(
        "/roster-jobs",
        json={"team_id": world.team_a, "month": f"{month:%Y-%m}"},
        headers=world.headers("manager"),
    )
    assert r.status_code == 202, r.text
    job = await wait_for_job(client, world, r.json()["id"])
    assert job["status"] == "succeeded", job
    return job


async def _publish_solved(client: Client, world: World, month: dt.date) -> int:
    """Team A's roster of ``month``, generated and published; its id."""
    job = await _solve(client, world, month)
    r = await client.post(
        f"/rosters/{job['roster_id']}/versions/{job['result_version']}/publish",
        json={},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    return int(job["roster_id"])


async def _employee_id(sm: SM, name: str) -> int:
    async with sm() as s:
        found = await s.scalar(select(Employee.id).where(Employee.name == name))
        assert found is not None
        return int(found)


async def test_leaving_clears_later_shifts_in_a_new_published_version_and_reports_the_shortfall(
    client: Client, world: World, sessionmaker: SM
) -> None:
    ids = await prepare_team(sessionmaker, world)
    async with sessionmaker() as s:
        await s.execute(update(Employee).where(Employee.id.in_(ids)).values(contract_min=10))
        await s.commit()
    await configure(client, world)
    roster_id = await _publish_solved(client, world, _next_month())
    zhou = await _employee_id(sessionmaker, "Zhou Jie")
    before, cells = await grid(sessionmaker, roster_id)
    his = {d: code for (e, d), code in cells.items() if e == zhou and code is not None}
    assert len(his) >= 10

    # No left_on: their last working day is today, so the whole of next month is cleared.
    r = await client.patch(
        f"/employees/{zhou}", json={"active": False}, headers=world.headers("manager")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["active"], body["left_on"]) == (False, _today().isoformat())
    after, new_cells = await grid(sessionmaker, roster_id)
    assert (after.number, after.origin) == (before.number + 1, "edit")
    assert after.note is not None
    assert "Zhou Jie" in after.note
    assert f"last working day {_today().isoformat()}" in after.note
    [made] = body["roster_versions"]
    assert (made["roster_id"], made["number"]) == (roster_id, after.number)
    assert sorted((c["date"], c["shift_code"]) for c in made["cleared"]) == sorted(
        (d.isoformat(), code) for d, code in his.items()
    )
    assert all(code is None for (e, _), code in new_cells.items() if e == zhou)
    others_before = {k: v for k, v in cells.items() if k[0] != zhou}
    assert {k: v for k, v in new_cells.items() if k[0] != zhou} == others_before

    # Every shift of his that had only its minimum is now short, and the answer says where to
    # ask for a repair; nothing else is blamed on him.
    staffed = Counter((d, code) for (_, d), code in cells.items() if code is not None)
    short = [(d, code) for d, code in his.items() if staffed[(d, code)] <= MINIMUM]
    assert short, "the small team's weekends have no slack, so some shift must be short"
    for d, code in short:
        assert any(
            s["rule"] == "demand_minimum"
            and s["date"] == d.isoformat()
            and s["message"].startswith(f"{d.day} {d:%b} {NAMES[code]} needs at least {MINIMUM}")
            for s in body["shortfall"]
        ), (d, code, body["shortfall"])
    for s in body["shortfall"]:
        assert s["date"] in {d.isoformat() for d in his}
        assert (s["roster_id"], s["repair"]) == (roster_id, f"/rosters/{roster_id}/repair")

    # The version knows he is gone: no contract breach of his, and a draft cannot put him back.
    view = await client.get(
        f"/rosters/{roster_id}/versions/{after.number}", headers=world.headers("manager")
    )
    assert view.status_code == 200, view.text
    assert not [v for v in view.json()["violations"] or [] if v["employee_id"] == zhou]
    draft = await client.post(
        f"/rosters/{roster_id}/drafts", json={}, headers=world.headers("manager")
    )
    assert draft.status_code == 201, draft.text
    day = min(his)
    edit = await client.patch(
        f"/rosters/{roster_id}/versions/{draft.json()['number']}/cells",
        json={
            "edits": [
                {
                    "employee_id": zhou,
                    "date": day.isoformat(),
                    "action": "assign",
                    "shift_code": his[day],
                }
            ]
        },
        headers=world.headers("manager"),
    )
    problem = assert_problem(edit, 422)
    assert "no longer employed" in edit.text, problem

    got = await client.get(f"/employees/{zhou}", headers=world.headers("manager"))
    assert got.json()["left_on"] == _today().isoformat()

    # Coming back clears the leaving day; the cleared shifts are not given back, and it says so.
    r = await client.patch(
        f"/employees/{zhou}", json={"active": True}, headers=world.headers("manager")
    )
    assert r.status_code == 200, r.text
    assert (r.json()["active"], r.json()["left_on"]) == (True, None)
    assert "not given back" in " ".join(r.json()["notes"])
    assert "roster_versions" not in r.json()
    record, record_cells = await grid(sessionmaker, roster_id)
    assert (record.number, record_cells) == (after.number, new_cells)


async def test_a_bad_leaving_or_move_date_is_refused_and_nothing_changes(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id  # hired 2024-03-01
    month = _next_month()
    await attendance_data.publish(
        sessionmaker, world.cs_id, month, {agent: {month: "early", month.replace(day=2): "late"}}
    )
    before = await snapshot(sessionmaker)
    tomorrow = _today() + dt.timedelta(days=1)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"active": False, "left_on": "2024-02-29"}, 422, "left_on"),
        ({"active": False, "left_on": tomorrow.isoformat()}, 422, "left_on"),
        ({"left_on": _today().isoformat()}, 422, "left_on"),
        ({"active": False, "left_on": "last friday"}, 400, "left_on"),
        ({"team_id": world.team_b, "from": "2024-02-01"}, 422, "from"),
        ({"from": _today().isoformat()}, 422, "from"),
    ]
    for body, status, field in cases:
        r = await client.patch(f"/employees/{agent}", json=body, headers=world.headers("manager"))
        problem = assert_problem(r, status, field=field)
        assert field in problem["detail"] or problem.get("errors"), (body, problem)
    assert await snapshot(sessionmaker) == before


async def test_the_next_solve_does_not_roster_someone_who_left(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    zhou = await _employee_id(sessionmaker, "Zhou Jie")
    ma = await _employee_id(sessionmaker, "Ma Chao")
    last_month = _previous_month()
    left = last_month.replace(day=10)
    r = await client.patch(
        f"/employees/{zhou}",
        json={"active": False, "left_on": left.isoformat()},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["left_on"] == left.isoformat()
    assert "roster_versions" not in r.json()  # no published roster had him after left_on
    # Someone deactivated before leaving days were recorded has none: never rostered again.
    async with sessionmaker() as s:
        await s.execute(update(Employee).where(Employee.id == ma).values(active=False))
        await s.commit()

    job = await _solve(client, world, _next_month())
    async with sessionmaker() as s:
        version = await s.scalar(
            select(RosterVersion).where(
                RosterVersion.roster_id == job["roster_id"],
                RosterVersion.number == job["result_version"],
            )
        )
        assert version is not None
        people = {c.employee_id for c in await cells_of(s, version.id)}
    assert zhou not in people
    assert ma not in people

    # The month he left in keeps his row (the days he worked), with no shift after left_on.
    job = await _solve(client, world, last_month)
    async with sessionmaker() as s:
        version = await s.scalar(
            select(RosterVersion).where(
                RosterVersion.roster_id == job["roster_id"],
                RosterVersion.number == job["result_version"],
            )
        )
        assert version is not None
        rows = await cells_of(s, version.id)
    his = {c.date: c.shift_code for c in rows if c.employee_id == zhou}
    assert min(his) == last_month
    assert [d for d, code in his.items() if d > left and code is not None] == []
    assert ma not in {c.employee_id for c in rows}


async def test_a_team_move_clears_later_shifts_from_the_old_teams_roster(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    month = _next_month()
    roster_id = await _publish_solved(client, world, month)
    zhou = await _employee_id(sessionmaker, "Zhou Jie")
    before, cells = await grid(sessionmaker, roster_id)
    moved = month.replace(day=10)
    his = {d: code for (e, d), code in cells.items() if e == zhou}
    assert any(code is not None for d, code in his.items() if d >= moved)

    r = await client.patch(
        f"/employees/{zhou}",
        json={"team_id": world.team_b, "from": moved.isoformat()},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["team_id"], body["active"], body["left_on"]) == (world.team_b, True, None)
    after, new_cells = await grid(sessionmaker, roster_id)
    [made] = body["roster_versions"]
    assert (made["roster_id"], made["number"]) == (roster_id, after.number)
    assert after.number == before.number + 1
    assert after.note is not None
    assert "moved from team A to team B" in after.note
    assert {c["date"] for c in made["cleared"]} == {
        d.isoformat() for d, code in his.items() if d >= moved and code is not None
    }
    # Shifts before the move stay where they were worked; none from the move on.
    assert {d: new_cells[(zhou, d)] for d in his if d < moved} == {
        d: code for d, code in his.items() if d < moved
    }
    assert [d for d in his if d >= moved and new_cells[(zhou, d)] is not None] == []

    # Team A's roster still shows him in team A's section, not in his new team's.
    view = await client.get(
        f"/rosters/{roster_id}/versions/{after.number}", headers=world.headers("manager")
    )
    assert view.status_code == 200, view.text
    [row] = [p for p in view.json()["people"] if p["employee_id"] == zhou]
    assert (row["team_id"], row["team_name"]) == (world.team_a, "A")


async def test_attendance_judges_no_absence_after_the_last_working_day(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    last_month = _previous_month()
    roster_id = await _publish_solved(client, world, last_month)
    zhou = await _employee_id(sessionmaker, "Zhou Jie")
    _, cells = await grid(sessionmaker, roster_id)
    left = last_month.replace(day=10)
    worked = sorted(d for (e, d), code in cells.items() if e == zhou and code and d <= left)
    assert any(e == zhou and code and d > left for (e, d), code in cells.items())

    r = await client.patch(
        f"/employees/{zhou}",
        json={"active": False, "left_on": left.isoformat()},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    got = await client.get(
        f"/attendance/employees/{zhou}",
        params={"month": f"{last_month:%Y-%m}"},
        headers=world.headers("manager"),
    )
    assert got.status_code == 200, got.text
    month = got.json()
    after = [d for d in month["days"] if d["date"] > left.isoformat()]
    assert after
    assert [d for d in after if d["status"] == "absent" or d["shift_code"]] == []
    # The shifts up to his last day are still judged (he never clocked in for them).
    absent = [d["date"] for d in month["days"] if d["status"] == "absent"]
    assert absent == [d.isoformat() for d in worked]
    assert month["summary"]["absences"] == len(worked)
