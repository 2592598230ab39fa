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

import pytest
from sqlalchemy import func, select, update

from scheduler.approvals.models import ApprovalEvent
from scheduler.attendance import punches
from scheduler.auth.models import User
from scheduler.auth.service import principal_of
from scheduler.errors import ValidationFailedError
from scheduler.people.models import Employee
from scheduler.rosters.models import RosterVersion
from scheduler.rosters.store import cells_of
from scheduler.shifts.clock import local_today
from scheduler.swaps.models import SwapClaim, SwapRequest
from tests.api import attendance_data
from tests.api.conftest import PASSWORD, World
from tests.api.helpers import assert_problem, snapshot
from tests.api.requests_setup import (
    SM,
    Client,
    decide,
    file_leave,
    grid,
    publish_team_roster,
)
from tests.api.roster_setup import MONTH, configure, prepare_team, team_problem, wait_for_job

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
        ({"team_id": world.team_b, "from": tomorrow.isoformat()}, 422, "from"),
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
    moved = _today()  # a move takes effect on its day: next month's shifts all go
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


async def test_the_new_team_rosters_a_mover_only_from_the_move_with_a_prorated_contract(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    zhou = await _employee_id(sessionmaker, "Zhou Jie")
    async with sessionmaker() as s:
        await s.execute(
            update(Employee).where(Employee.id == zhou).values(contract_min=18, contract_max=22)
        )
        await s.commit()
    moved = _today()
    r = await client.patch(
        f"/employees/{zhou}",
        json={"team_id": world.team_b, "from": moved.isoformat()},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["team_since"] == moved.isoformat()

    # Team A's roster of record has him until the move: team B's may not roster him before it.
    month = moved.replace(day=1)
    problem = await team_problem(sessionmaker, world, world.team_b, month)
    blocked = {
        month + dt.timedelta(days=i)
        for lv in problem.leave
        if lv.staff_id == str(zhou)
        for i in range((lv.start - month).days, (lv.end - month).days + 1)
    }
    assert blocked == {month + dt.timedelta(days=i) for i in range((moved - month).days)}
    assert {lv.reason for lv in problem.leave if lv.staff_id == str(zhou)} <= {
        "not yet in this team"
    }
    # His contract asks only the move's share of the month, as for a hire on that day.
    horizon = (problem.end - problem.start).days + 1
    in_team = (problem.end - moved).days + 1
    contract = problem.staff[problem.staff_index[str(zhou)]].contract
    assert (contract.min_days, contract.max_days) == (
        18 * in_team // horizon,
        -(-22 * in_team // horizon),
    )
    # From the next month on he is simply a member.
    nxt = _next_month()
    assert [lv for lv in (await team_problem(sessionmaker, world, world.team_b, nxt)).leave] == []


async def test_a_move_at_a_month_start_keeps_the_old_teams_last_week_as_history(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    month = _next_month()
    roster_id = await _publish_solved(client, world, month)
    zhou = await _employee_id(sessionmaker, "Zhou Jie")
    _, cells = await grid(sessionmaker, roster_id)
    after = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    # The state a move to team B on the first of the month after gives (made directly: the API
    # takes a move on its day, which is weeks away).
    async with sessionmaker() as s:
        await s.execute(
            update(Employee)
            .where(Employee.id == zhou)
            .values(team_id=world.team_b, team_since=after)
        )
        await s.commit()

    problem = await team_problem(sessionmaker, world, world.team_b, after)
    # Rest and days in a row across the month end see the week he worked for team A.
    assert {(h.date, h.shift_id) for h in problem.history if h.staff_id == str(zhou)} == {
        (d, code) for (e, d), code in cells.items() if e == zhou and d >= after - dt.timedelta(7)
    }
    assert [lv for lv in problem.leave if lv.staff_id == str(zhou)] == []


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


async def test_leaving_closes_open_leave_and_swaps_of_later_days_with_the_reason(
    client: Client, world: World, sessionmaker: SM
) -> None:
    roster_id = await publish_team_roster(client, world, sessionmaker)
    _, cells = await grid(sessionmaker, roster_id)
    people = sorted({e for e, _ in cells})
    days = sorted({d for _, d in cells})
    # a works early on d while b is late (a same-day swap), c works on d2 while a is free.
    a, b, d = next(
        (a, b, d)
        for d in days[1:]
        for a in people
        for b in people
        if cells[(a, d)] == "early" and cells[(b, d)] == "late"
    )
    c, d2 = next(
        (c, d2)
        for d2 in days[1:]
        for c in people
        if d2 != d and c != a and cells[(c, d2)] is not None and cells[(a, d2)] is None
    )
    ua, uc = f"u{a}", f"u{c}"
    proposed = await client.post(
        "/swaps",
        json={"date": d.isoformat(), "colleague_id": b, "colleague_date": d.isoformat()},
        headers=world.headers(ua),
    )
    assert proposed.status_code == 201, proposed.text
    given = await client.post(
        "/swaps", json={"date": d2.isoformat(), "colleague_id": a}, headers=world.headers(uc)
    )
    assert given.status_code == 201, given.text
    accepted = await client.post(
        f"/swaps/{given.json()['id']}/accept", json={}, headers=world.headers(ua)
    )
    assert accepted.status_code == 200, accepted.text
    swap_approval = accepted.json()["approval_id"]

    # Leave in the month after the roster (counted on the calendar): a week from its 2nd Monday.
    first = dt.date.fromisoformat(f"{MONTH}-01")
    after = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    mon = after + dt.timedelta(days=7 + (7 - after.weekday()) % 7)
    annual = await file_leave(client, world, ua, type="annual", start_date=mon, end_date=mon)
    assert annual.status_code == 201, annual.text
    assert (await decide(client, world, "manager", annual.json()["approval_id"])).status_code == 200
    tue = mon + dt.timedelta(days=1)
    personal = await file_leave(client, world, ua, type="personal", start_date=tue, end_date=tue)
    assert personal.status_code == 201, personal.text
    long = await file_leave(
        client,
        world,
        ua,
        type="unpaid",
        start_date=mon + dt.timedelta(days=2),
        end_date=mon + dt.timedelta(days=4),
    )
    assert long.status_code == 201, long.text
    assert (await decide(client, world, "manager", long.json()["approval_id"])).status_code == 200
    waiting = await client.get(
        f"/approvals/{long.json()['approval_id']}", headers=world.headers("hr")
    )
    assert (waiting.json()["status"], waiting.json()["current_step"]) == ("pending", 1)
    balance_url = f"/employees/{a}/leave-balances"
    used = await client.get(balance_url, params={"year": mon.year}, headers=world.headers("hr"))
    assert [b["used"] for b in used.json() if b["kind"] == "annual"] == [1.0]

    today = _today()
    r = await client.patch(
        f"/employees/{a}",
        json={"active": False, "left_on": today.isoformat()},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    closed = {(c["kind"], c["id"]): c for c in r.json()["closed_requests"]}
    assert {k: (c["was"], c["status"]) for k, c in closed.items()} == {
        ("leave", annual.json()["id"]): ("approved", "cancelled"),
        ("leave", personal.json()["id"]): ("pending", "cancelled"),
        ("leave", long.json()["id"]): ("pending", "cancelled"),
        ("swap", proposed.json()["id"]): ("proposed", "cancelled"),
        ("swap", given.json()["id"]): ("accepted", "cancelled"),
    }
    assert closed[("swap", given.json()["id"])]["approval_id"] == swap_approval

    # Each approval ends "cancelled" by the manager, and the trail says why.
    reason = f"employee left on {today.isoformat()}"
    aids = [annual.json()["approval_id"], personal.json()["approval_id"]]
    aids += [long.json()["approval_id"], swap_approval]
    async with sessionmaker() as s:
        for aid in aids:
            event = await s.scalar(
                select(ApprovalEvent)
                .where(ApprovalEvent.request_id == aid)
                .order_by(ApprovalEvent.id.desc())
                .limit(1)
            )
            assert event is not None
            assert (event.action, event.to_status, event.comment) == ("cancel", "cancelled", reason)
            assert event.actor_id == world.users["manager"].id
        swap = await s.get(SwapRequest, proposed.json()["id"])
        assert swap is not None
        assert (swap.status, swap.response_note) == ("cancelled", reason)
        claims = await s.scalar(
            select(func.count())
            .select_from(SwapClaim)
            .where(SwapClaim.swap_id.in_([proposed.json()["id"], given.json()["id"]]))
        )
        assert claims == 0

    # Nothing can be approved any more, and the approved annual day is back in the balance.
    assert_problem(await decide(client, world, "manager", personal.json()["approval_id"]), 409)
    assert_problem(await decide(client, world, "hr", long.json()["approval_id"]), 409)
    assert_problem(await decide(client, world, "manager", swap_approval), 409)
    used = await client.get(balance_url, params={"year": mon.year}, headers=world.headers("hr"))
    assert [b["used"] for b in used.json() if b["kind"] == "annual"] == [0.0]


async def test_a_leaver_cannot_sign_in_or_use_old_tokens_until_reactivated(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    old = world.headers("agent")
    assert (await client.get("/me", headers=old)).status_code == 200
    login = {"username": "agent", "password": PASSWORD}
    assert (await client.post("/auth/login", json=login)).status_code == 200

    r = await client.patch(
        f"/employees/{agent}",
        json={"active": False, "left_on": _today().isoformat()},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    assert "login 'agent' disabled and signed out everywhere" in r.json()["notes"]
    refused = assert_problem(await client.post("/auth/login", json=login), 401)
    wrong = assert_problem(
        await client.post("/auth/login", json={"username": "agent", "password": "nope-nope"}), 401
    )
    assert refused["detail"] == wrong["detail"]  # no hint that the account exists
    assert_problem(await client.get("/me", headers=old), 401)

    r = await client.patch(
        f"/employees/{agent}", json={"active": True}, headers=world.headers("manager")
    )
    assert r.status_code == 200, r.text
    assert "login 'agent' enabled again (sign in afresh)" in r.json()["notes"]
    fresh = await client.post("/auth/login", json=login)
    assert fresh.status_code == 200, fresh.text
    token = fresh.json()["access_token"]
    assert (
        await client.get("/me", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200
    # A token from before leaving stays signed out.
    assert_problem(await client.get("/me", headers=old), 401)

    # A manager cannot deactivate themself (their own login would go with it).
    await _link_manager(sessionmaker, world)
    r = await client.patch(
        f"/employees/{world.users['manager'].employee_id}",
        json={"active": False},
        headers=world.headers("manager"),
    )
    assert_problem(r, 422, field="active")


async def _link_manager(sm: SM, world: World) -> None:
    """Give the manager's login an employee row."""
    async with sm() as s:
        emp = Employee(
            staff_no="CS900",
            name="Boss",
            department_id=world.cs_id,
            hire_date=dt.date(2020, 1, 1),
            flags=[],
        )
        s.add(emp)
        await s.flush()
        await s.execute(
            update(User).where(User.id == world.users["manager"].id).values(employee_id=emp.id)
        )
        await s.commit()
        world.users["manager"].employee_id = emp.id


async def test_a_manager_enters_a_missed_punch_of_the_last_working_day_but_not_after(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    left = _today() - dt.timedelta(days=2)
    await attendance_data.publish(
        sessionmaker, world.cs_id, left.replace(day=1), {agent: {left: "early"}}
    )
    r = await client.patch(
        f"/employees/{agent}",
        json={"active": False, "left_on": left.isoformat()},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    manager = world.headers("manager")

    def punch(direction: str, at: str, **extra: Any) -> dict[str, Any]:
        return {"employee_id": agent, "direction": direction, "at": at, **extra}

    day = left.isoformat()
    for body in (
        punch("in", f"{day}T08:30:00+08:00", reason="forgot"),
        punch("out", f"{day}T17:30:00+08:00", reason="forgot"),
    ):
        ok = await client.post("/attendance/punches", json=body, headers=manager)
        assert ok.status_code == 201, ok.text
    month = await client.get(
        f"/attendance/employees/{agent}", params={"month": f"{left:%Y-%m}"}, headers=manager
    )
    assert month.status_code == 200, month.text
    [judged] = [x for x in month.json()["days"] if x["date"] == day]
    assert judged["status"] == "on_time", judged

    before = await snapshot(sessionmaker)
    # After the end of the last day (local time: 16:30 UTC is 00:30 the next day in Shanghai).
    for at in (f"{left + dt.timedelta(days=1)}T00:00:00+08:00", f"{day}T16:30:00+00:00"):
        assert_problem(
            await client.post(
                "/attendance/punches", json=punch("in", at, reason="x"), headers=manager
            ),
            422,
            field="at",
        )
    # A manager's entry still needs a reason.
    assert_problem(
        await client.post(
            "/attendance/punches", json=punch("in", f"{day}T09:00:00+08:00"), headers=manager
        ),
        422,
        field="reason",
    )
    # The person's own punch is refused (their login is disabled; the rule holds regardless).
    async with sessionmaker() as s:
        user = await s.get(User, world.users["agent"].id)
        assert user is not None
        own = punches.Sender.of_user(principal_of(user))
        with pytest.raises(ValidationFailedError, match="not active"):
            await punches.record_punch(
                s,
                own,
                punches.PunchData(
                    direction="in",
                    at=dt.datetime.fromisoformat(f"{day}T12:00:00+08:00"),
                    employee_id=agent,
                ),
            )
    assert await snapshot(sessionmaker) == before
