"""Contract limits of a month someone cannot work in full: recent hires and approved leave.

A contract asks working days of a whole month. A person hired mid-month owes only their share
(18-23 days becomes 6-9 for 12 of 31 days), and a day of approved leave counts toward the month's
working days, so approving leave never publishes a contract breach of the person on leave.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from scheduler.people.models import Employee
from scheduler.rosters.models import RosterVersion
from scheduler.rosters.store import cells_of
from scheduler.rosters.versions import check_version
from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.api.requests_setup import SM, Client, decide, file_leave, grid, publish_team_roster
from tests.api.roster_setup import configure, generate, prepare_team

HIRED = dt.date(2026, 12, 20)


async def _version(
    sm: SM, roster_id: int, number: int
) -> tuple[RosterVersion, dict[tuple[int, dt.date], str | None]]:
    async with sm() as s:
        version = await s.scalar(
            select(RosterVersion).where(
                RosterVersion.roster_id == roster_id, RosterVersion.number == number
            )
        )
        assert version is not None
        return version, {
            (c.employee_id, c.date): c.shift_code for c in await cells_of(s, version.id)
        }


async def test_a_new_hire_mid_month_is_rostered_within_a_prorated_contract(
    client: Client, world: World, sessionmaker: SM
) -> None:
    ids = await prepare_team(sessionmaker, world)
    await configure(client, world)
    async with sessionmaker() as s:
        await s.execute(
            update(Employee)
            .where(Employee.id.in_(ids))
            .values(contract_kind="days", contract_min=18, contract_max=23)
        )
        newcomer = await s.scalar(select(Employee).where(Employee.name == "Ma Chao"))
        assert newcomer is not None
        newcomer.hire_date = HIRED
        newcomer_id = newcomer.id
        await s.commit()

    job = await generate(client, world)
    # 18 days in the 12 days from 20 Dec cannot be met; the share of 12 of 31 days can.
    assert job["status"] == "succeeded", job
    version, cells = await _version(sessionmaker, job["roster_id"], job["result_version"])
    assert version.hard_violations == 0
    worked = sorted(d for (e, d), code in cells.items() if e == newcomer_id and code is not None)
    assert all(d >= HIRED for d in worked), worked
    # 18 * 12 / 31 = 6.97 rounded down, 23 * 12 / 31 = 8.9 rounded up.
    assert 6 <= len(worked) <= 9, worked
    others = [
        sum(1 for (e, _), code in cells.items() if e == emp and code is not None)
        for emp in ids
        if emp != newcomer_id
    ]
    assert all(18 <= n <= 23 for n in others), others

    # Rostering the newcomer before their first day is refused in words a manager reads.
    r = await client.patch(
        f"/rosters/{job['roster_id']}/versions/{job['result_version']}/cells",
        json={
            "edits": [
                {
                    "employee_id": newcomer_id,
                    "date": "2026-12-01",
                    "action": "assign",
                    "shift_code": "early",
                }
            ]
        },
        headers=world.headers("manager"),
    )
    body = assert_problem(r, 422)
    messages = [v["message"] for v in body["violations"]]
    assert "Ma Chao works on 1 Dec but is not yet hired" in messages, messages


async def test_approved_leave_is_no_contract_breach_of_the_person_on_leave(
    client: Client, world: World, sessionmaker: SM
) -> None:
    agent = world.employees["agent"].id
    async with sessionmaker() as s:
        # Exactly 20 days: every shift the leave takes would put Li Wei below a fixed minimum.
        await s.execute(
            update(Employee)
            .where(Employee.id == agent)
            .values(contract_kind="days", contract_min=20, contract_max=20)
        )
        await s.commit()
    roster_id = await publish_team_roster(client, world, sessionmaker)
    before, cells = await grid(sessionmaker, roster_id)
    assert before.hard_violations == 0
    worked = sorted(d for (e, d), code in cells.items() if e == agent and code is not None)
    assert len(worked) == 20
    start, end = worked[7], worked[10]
    r = await file_leave(client, world, "agent", type="annual", start_date=start, end_date=end)
    assert r.status_code == 201, r.text
    leave = r.json()
    assert leave["days"] == 4
    for who in ["manager", "hr", "gm"]:
        assert (await decide(client, world, who, leave["approval_id"])).status_code == 200

    after, new_cells = await grid(sessionmaker, roster_id)
    assert (after.number, after.origin) == (before.number + 1, "leave")
    assert sum(1 for (e, _), code in new_cells.items() if e == agent and code is not None) == 16
    got = (
        await client.get(f"/leave-requests/{leave['id']}", headers=world.headers("manager"))
    ).json()
    # Every hard violation of the published version is a staffing gap the approver was told of.
    assert after.hard_violations == len(got["shortfall"]), got["shortfall"]
    async with sessionmaker() as s:
        report = await check_version(s, after)
    assert not [v for v in report.hard_violations if v.rule in ("contract", "leave")], [
        v.message for v in report.hard_violations
    ]

    # The version knows the leave: a draft from it cannot quietly put Li Wei back on those days.
    draft = await client.post(
        f"/rosters/{roster_id}/drafts", json={}, headers=world.headers("manager")
    )
    assert draft.status_code == 201, draft.text
    r = await client.patch(
        f"/rosters/{roster_id}/versions/{draft.json()['number']}/cells",
        json={
            "edits": [
                {
                    "employee_id": agent,
                    "date": start.isoformat(),
                    "action": "assign",
                    "shift_code": "early",
                }
            ]
        },
        headers=world.headers("manager"),
    )
    messages = [v["message"] for v in assert_problem(r, 422)["violations"]]
    assert any("but is on approved annual leave" in m for m in messages), messages

    # Called off: the shifts and the full contract come back, still without a breach.
    r = await client.post(
        f"/leave-requests/{leave['id']}/cancel",
        json={"reason": "trip called off"},
        headers=world.headers("agent"),
    )
    assert r.status_code == 200, r.text
    restored, back = await grid(sessionmaker, roster_id)
    assert sum(1 for (e, _), code in back.items() if e == agent and code is not None) == 20
    assert restored.hard_violations == 0


async def test_the_explanation_says_who_is_not_yet_hired(
    client: Client, world: World, sessionmaker: SM
) -> None:
    ids = await prepare_team(sessionmaker, world)
    await configure(client, world)
    async with sessionmaker() as s:
        # Only Li Wei is there in the first week: four agents a day cannot be found.
        await s.execute(
            update(Employee).where(Employee.id.in_(ids[1:])).values(hire_date=dt.date(2026, 12, 8))
        )
        await s.commit()

    job = await generate(client, world)
    assert job["status"] == "infeasible", job
    explanation = job["explanation"]
    text = " ".join([explanation["summary"], *explanation["facts"]])
    assert "on not yet hired" not in text, explanation
    assert "not yet hired on " in explanation["summary"], explanation
    assert any(f.endswith(" Dec") and " is not yet hired on " in f for f in explanation["facts"])
