"""Audit 12 (roster rules): leave approved before the solve is not the week's rest.

A manager's acceptance scenario: sick leave on a Wednesday and Thursday, approved before the
month's roster is solved. The request counts two working days (the calendar's weekend is rest).
The weekly rest rule counted the two leave days as the week's two rest days, so the solved roster
had the person work Monday, Tuesday, Friday, Saturday and Sunday: seven days away from rest, the
weekend gone, and the two sick days charged as if they had been working days. DOMAIN.md ("Rest
days and the monthly roster"): staff rest on a weekly pattern, at least the configured rest days
a week; leave is taken on days the person would have worked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update

from scheduler.rosters.models import RosterJob
from scheduler.rosters.store import cells_of
from solver import RosterProblem, RuleSetting, SolveOptions, check, solve
from solver.check import OFF, check_grid
from solver.io import problem_from_dict, problem_to_dict
from solver.polish import drop_surplus
from solver.problem import Calendar
from solver.testing import EARLY, day, demand, people, problem
from tests.api.conftest import World
from tests.api.requests_setup import SM, Client, decide, file_leave, grid
from tests.api.roster_setup import (
    MONTH,
    configure,
    generate,
    prepare_team,
    team_problem,
    wait_for_job,
)

#: Wednesday and Thursday of a full ISO week of the month (Monday 14 December 2026).
WEEK = [dt.date.fromisoformat(f"{MONTH}-14") + dt.timedelta(days=i) for i in range(7)]
SICK = WEEK[2:4]


async def _approve_sick_days(client: Client, world: World, employee_id: int) -> None:
    r = await file_leave(
        client,
        world,
        "supervisor",
        type="sick",
        employee_id=employee_id,
        start_date=SICK[0],
        end_date=SICK[-1],
        certificate_ref="clinic-12",
    )
    assert r.status_code == 201, r.text
    leave = r.json()
    assert leave["days"] == 2
    assert (await decide(client, world, "manager", leave["approval_id"])).status_code == 200


async def test_leave_approved_before_the_solve_keeps_the_weeks_rest_days(
    client: Client, world: World, sessionmaker: SM
) -> None:
    assert WEEK[0].weekday() == 0
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    agent = world.employees["agent"].id
    await _approve_sick_days(client, world, agent)

    job = await generate(client, world)
    assert job["status"] == "succeeded", job
    roster_id = job["roster_id"]
    r = await client.post(
        f"/rosters/{roster_id}/versions/{job['result_version']}/publish",
        json={},
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text
    version, _ = await grid(sessionmaker, roster_id)
    async with sessionmaker() as s:
        cells = {c.date: c for c in await cells_of(s, version.id) if c.employee_id == agent}
    assert [cells[d].absence for d in SICK] == ["sick", "sick"]
    rest = [d for d in WEEK if cells[d].shift_code is None and cells[d].absence is None]
    assert len(rest) >= 2, f"only {len(rest)} rest day(s) in the week of {WEEK[0]}: {rest}"

    # The manager's edit that puts the person on every other day of that week is refused,
    # naming the weekly rest rule (the leave days are not rest days).
    r = await client.post(f"/rosters/{roster_id}/drafts", json={}, headers=world.headers("manager"))
    assert r.status_code == 201, r.text
    draft = r.json()["number"]
    edits: list[dict[str, Any]] = [
        {"employee_id": agent, "date": d.isoformat(), "action": "assign", "shift_code": "early"}
        for d in WEEK
        if d not in SICK
    ]
    r = await client.patch(
        f"/rosters/{roster_id}/versions/{draft}/cells",
        json={"edits": edits},
        headers=world.headers("manager"),
    )
    assert r.status_code == 422, r.text
    broken = [v for v in r.json()["violations"] if v["rule"] == "weekly_rest"]
    assert broken, r.json()
    assert broken[0]["employee_id"] == agent
    assert "0 rest days" in broken[0]["message"]


async def test_a_problem_marks_leave_taken_and_keeps_it_through_its_file(
    client: Client, world: World, sessionmaker: SM
) -> None:
    """The month's problem says which days are leave taken; a stored version's problem keeps it."""
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    agent = world.employees["agent"].id
    await _approve_sick_days(client, world, agent)
    problem = await team_problem(sessionmaker, world, world.team_a, WEEK[0].replace(day=1))
    e = problem.staff_index[str(agent)]
    days = [problem.day_index[d] for d in WEEK]
    assert problem.rest_days_of(e, days) == [problem.day_index[d] for d in WEEK if d not in SICK]
    assert problem.weekly_requirement(e, days, [])[0] == 2
    again = problem_from_dict(problem_to_dict(problem))
    assert again.absent == problem.absent


# ------------------------------------------------------------------ holidays off unless needed
#
# The same audit's re-solve of January (30 s) published New Year's Day with eight agents on it
# where the holiday demand wanted four; clearing the four extra cells was cheaper by the
# roster's own costs and broke no rule. DOMAIN.md: staff rest on statutory holidays unless the
# roster puts them on duty. A time-limited roster now gets a last pass that drops such shifts.


def _holiday_problem() -> tuple[RosterProblem, list[list[int]]]:
    """A week from a holiday, early shifts only, two wanted a day; everyone on the holiday."""
    staff = people(6)
    p = problem(
        7,
        staff,
        shifts=(EARLY,),
        shift_demand=demand(7, "early", 2),
        calendar=Calendar(holidays={day(0): "New Year's Day"}),
        rules={"holiday_work": RuleSetting(hard=False, weight=3)},
    )
    grid = [[0] + [0 if (d + e) % 3 == 0 else OFF for d in range(1, 7)] for e in range(6)]
    return p, grid


def test_surplus_shifts_on_a_holiday_are_dropped_when_that_is_cheaper() -> None:
    p, grid = _holiday_problem()
    before = check_grid(p, grid)
    assert before.valid
    polished, cost = drop_surplus(p, grid, before.objective, 5.0)
    after = check_grid(p, polished)
    assert after.valid
    assert cost == after.objective < before.objective
    assert sum(1 for row in polished if row[0] != OFF) == 2  # the holiday: only those needed
    assert [row[1:] for row in polished] == [row[1:] for row in grid]  # other days untouched


def test_a_solve_stopped_early_returns_the_polished_roster() -> None:
    """The roster a solve returns went through the pass (here the hint is all it has)."""
    p, grid = _holiday_problem()
    hint = {
        person.id: {p.dates[d]: (None if k == OFF else "early") for d, k in enumerate(row)}
        for person, row in zip(p.staff, grid, strict=True)
    }
    sol = solve(
        p,
        SolveOptions(
            time_limit=1.0,
            num_workers=1,
            hint=hint,
            implied_bounds=False,
            cpsat_parameters={"max_number_of_conflicts": 0},
        ),
    )
    assert sol.assignment is not None
    assert sum(1 for row in sol.assignment.values() if row[day(0)] is not None) == 2
    report = check(p, sol.assignment)
    assert report.objective == sol.objective
    assert not report.hard_violations


# ------------------------------------------------- publishing across a month boundary
#
# January was solved before December was published (the manager drew both up at once). The
# January draft's problem knew no December, so publishing it checked nothing across the boundary:
# the audit published a month whose first day followed a late shift with an early one, and
# nine days in a row, with "violations": []. Publishing now checks the draft against the
# neighbouring months' rosters of record, and refuses (409) naming the rule unless overridden.

JANUARY = "2027-01"
DEC_31, JAN_1 = dt.date(2026, 12, 31), dt.date(2027, 1, 1)


async def _draft(client: Client, world: World, month: str) -> tuple[int, int]:
    r = await client.post(
        "/roster-jobs",
        json={"team_id": world.team_a, "month": month},
        headers=world.headers("manager"),
    )
    assert r.status_code == 202, r.text
    job = await wait_for_job(client, world, r.json()["id"])
    assert job["status"] == "succeeded", job
    return int(job["roster_id"]), int(job["result_version"])


async def _force(
    client: Client,
    world: World,
    roster: tuple[int, int],
    employee_id: int,
    day: dt.date,
    shift: str,
) -> None:
    r = await client.patch(
        f"/rosters/{roster[0]}/versions/{roster[1]}/cells",
        json={
            "edits": [
                {
                    "employee_id": employee_id,
                    "date": day.isoformat(),
                    "action": "assign",
                    "shift_code": shift,
                }
            ],
            "override_reason": "audit: set up the month boundary",
        },
        headers=world.headers("manager"),
    )
    assert r.status_code == 200, r.text


async def _publish(client: Client, world: World, roster: tuple[int, int], **body: Any) -> Any:
    return await client.post(
        f"/rosters/{roster[0]}/versions/{roster[1]}/publish",
        json=body,
        headers=world.headers("manager"),
    )


async def test_a_month_solved_before_the_previous_one_was_published_is_checked_against_it(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    agent = world.employees["agent"].id
    january = await _draft(client, world, JANUARY)
    december = await _draft(client, world, MONTH)
    await _force(client, world, december, agent, DEC_31, "late")
    await _force(client, world, january, agent, JAN_1, "early")
    assert (await _publish(client, world, december)).status_code == 200

    r = await _publish(client, world, january)
    assert r.status_code == 409, r.text
    body = r.json()
    rules = {(v["rule"], v["employee_id"], v["date"]) for v in body["violations"]}
    assert ("min_rest", agent, JAN_1.isoformat()) in rules
    assert "month boundary" in body["detail"]
    assert "override_reason" in body["detail"]
    summary = await client.get(f"/rosters/{january[0]}", headers=world.headers("manager"))
    assert [v["status"] for v in summary.json()["versions"]] == ["draft"]  # nothing published

    r = await _publish(client, world, january, override_reason="agreed with the agent")
    assert r.status_code == 200, r.text
    assert "agreed with the agent" in r.json()["note"]
    assert any(v["rule"] == "min_rest" for v in r.json()["violations"])


async def test_a_month_published_after_the_next_one_is_checked_against_it(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    agent = world.employees["agent"].id
    january = await _draft(client, world, JANUARY)
    december = await _draft(client, world, MONTH)
    await _force(client, world, january, agent, JAN_1, "early")
    assert (await _publish(client, world, january)).status_code == 200
    await _force(client, world, december, agent, DEC_31, "late")

    r = await _publish(client, world, december)
    assert r.status_code == 409, r.text
    messages = [v["message"] for v in r.json()["violations"] if v["rule"] == "min_rest"]
    assert messages, r.json()
    assert messages[0].startswith("2027-01 roster of record (version 1):"), messages


# ------------------------------------------------- a solve that found nothing in time
#
# A job that found no roster within its limit says "retry with a longer limit"; the manager's
# POST /roster-jobs/{id}/retry with {"time_limit_s": 25} ran again with the old 1 s (the body
# was ignored) and failed the same way. The retry now takes the new limit.


async def test_a_retry_takes_a_longer_time_limit(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await prepare_team(sessionmaker, world)
    await configure(client, world)
    job = await generate(client, world, time_limit_s=1)
    async with sessionmaker() as s:
        await s.execute(
            update(RosterJob)
            .where(RosterJob.id == job["id"])
            .values(
                status="failed",
                error="no roster was found within the time limit of 1 s; retry with a longer limit",
            )
        )
        await s.commit()
    r = await client.post(
        f"/roster-jobs/{job['id']}/retry",
        json={"time_limit_s": 3},
        headers=world.headers("manager"),
    )
    assert r.status_code == 202, r.text
    assert r.json()["time_limit_s"] == 3
    retried = await wait_for_job(client, world, r.json()["id"])
    assert retried["status"] == "succeeded", retried
    assert retried["retry_of"] == job["id"]
    r = await client.post(
        f"/roster-jobs/{retried['id']}/retry",
        json={"time_limit_s": 0},
        headers=world.headers("manager"),
    )
    assert r.status_code in (400, 422), r.text  # out of range, said before anything else
