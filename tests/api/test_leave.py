"""Leave through the API: tiered approval, proxy sick leave and certificates, notice, overlaps."""

from __future__ import annotations

import asyncio
import datetime as dt

from scheduler.approvals.service import local_today
from scheduler.rosters.store import cells_of
from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot
from tests.api.requests_setup import (
    SM,
    Client,
    decide,
    event_count,
    file_leave,
    grid,
    make_employee_user,
    monday,
    next_working_weekday,
    publish_team_roster,
)


async def test_two_day_leave_is_approved_by_the_manager_alone(
    client: Client, world: World, sessionmaker: SM
) -> None:
    mon = monday()
    r = await file_leave(
        client, world, "agent", type="annual", start_date=mon, end_date=mon + dt.timedelta(days=1)
    )
    assert r.status_code == 201, r.text
    leave = r.json()
    assert (leave["days"], leave["status"], leave["on_behalf"]) == (2, "pending", False)
    assert [d["source"] for d in leave["schedule"]] == ["calendar", "calendar"]
    approval = (
        await client.get(f"/approvals/{leave['approval_id']}", headers=world.headers("manager"))
    ).json()
    assert [s["role"] for s in approval["steps"]] == ["dept_manager"]
    assert approval["details"]["type"] == "annual"

    waiting = await client.get("/approvals", headers=world.headers("manager"))
    assert [a["id"] for a in waiting.json()["items"]] == [leave["approval_id"]]
    mine = await client.get("/approvals", params={"view": "mine"}, headers=world.headers("agent"))
    assert mine.json()["total"] == 1

    r = await decide(client, world, "manager", leave["approval_id"], comment="enjoy")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    assert [(e["action"], e["to_status"]) for e in r.json()["events"]] == [
        ("submit", "pending"),
        ("approve", "approved"),
    ]
    got = await client.get(f"/leave-requests/{leave['id']}", headers=world.headers("agent"))
    assert got.json()["status"] == "approved"
    balances = await client.get(
        f"/employees/{world.employees['agent'].id}/leave-balances",
        params={"year": mon.year},
        headers=world.headers("agent"),
    )
    assert balances.json()[0] == {
        "kind": "annual",
        "year": mon.year,
        "entitled": 5,
        "used": 2,
        "left": 3,
    }
    # A decided request cannot be decided again.
    assert_problem(await decide(client, world, "manager", leave["approval_id"]), 409)
    assert await event_count(sessionmaker, leave["approval_id"], "approve") == 1


async def test_five_day_leave_climbs_manager_hr_gm_in_order(
    client: Client, world: World, sessionmaker: SM
) -> None:
    mon = monday()
    r = await file_leave(
        client, world, "agent", type="annual", start_date=mon, end_date=mon + dt.timedelta(days=4)
    )
    assert r.status_code == 201, r.text
    aid = r.json()["approval_id"]
    leave_id = r.json()["id"]
    # The agent's phone shows who must act next, from the leave itself.
    assert r.json()["waiting_for"] == "dept_manager"
    body = (await client.get(f"/approvals/{aid}", headers=world.headers("hr"))).json()
    assert [s["role"] for s in body["steps"]] == ["dept_manager", "hr", "gm"]
    assert body["days"] == 5

    # HR and the GM may not go before the manager; nobody decides their own request;
    # the manager of another department cannot even see it.
    assert (
        "steps go in order" in assert_problem(await decide(client, world, "hr", aid), 409)["detail"]
    )
    assert_problem(await decide(client, world, "gm", aid), 409)
    assert_problem(await decide(client, world, "agent", aid), 403)
    assert_problem(await decide(client, world, "sales_manager", aid), 404)
    assert_problem(await decide(client, world, "supervisor", aid), 403)

    assert (await decide(client, world, "manager", aid)).json()["current_step"] == 1
    assert_problem(await decide(client, world, "manager", aid), 403)  # not HR
    assert_problem(await decide(client, world, "gm", aid), 409)
    mine = (await client.get(f"/leave-requests/{leave_id}", headers=world.headers("agent"))).json()
    assert mine["waiting_for"] == "hr"
    assert (await decide(client, world, "hr", aid)).json()["current_step"] == 2
    listed = await client.get("/leave-requests", headers=world.headers("agent"))
    assert [item["waiting_for"] for item in listed.json()["items"]] == ["gm"]
    final = await decide(client, world, "gm", aid, comment="ok")
    assert final.status_code == 200, final.text
    assert final.json()["status"] == "approved"
    assert [s["status"] for s in final.json()["steps"]] == ["approved"] * 3
    assert [s["decided_by"] for s in final.json()["steps"]] == [
        world.users[w].id for w in ("manager", "hr", "gm")
    ]
    assert await event_count(sessionmaker, aid, "approve") == 3
    mine = (await client.get(f"/leave-requests/{leave_id}", headers=world.headers("agent"))).json()
    assert (mine["status"], mine["waiting_for"]) == ("approved", None)
    hr_all = await client.get("/approvals", params={"view": "all"}, headers=world.headers("hr"))
    assert hr_all.json()["total"] == 1
    assert_problem(
        await client.get("/approvals", params={"view": "all"}, headers=world.headers("agent")), 403
    )


async def test_nobody_approves_their_own_request_but_a_delegate_may(
    client: Client, world: World, sessionmaker: SM
) -> None:
    await make_employee_user(sessionmaker, world, "manager")
    mon = monday()
    r = await file_leave(client, world, "manager", type="annual", start_date=mon, end_date=mon)
    assert r.status_code == 201, r.text
    aid = r.json()["approval_id"]
    assert (
        "own request" in assert_problem(await decide(client, world, "manager", aid), 403)["detail"]
    )
    # The manager hands their steps to the supervisor for the dates they are away.
    today = local_today()
    d = await client.post(
        "/approval-delegations",
        json={
            "delegate_id": world.users["supervisor"].id,
            "start": today.isoformat(),
            "end": (today + dt.timedelta(days=30)).isoformat(),
            "reason": "on holiday",
        },
        headers=world.headers("manager"),
    )
    assert d.status_code == 201, d.text
    waiting = await client.get("/approvals", headers=world.headers("supervisor"))
    assert [a["id"] for a in waiting.json()["items"]] == [aid]
    r = await decide(client, world, "supervisor", aid)
    assert r.status_code == 200, r.text
    step = r.json()["steps"][0]
    assert (step["decided_by"], step["on_behalf_of"]) == (
        world.users["supervisor"].id,
        world.users["manager"].id,
    )
    # A delegate must hold a suitable role: an agent cannot stand in for the manager.
    bad = await client.post(
        "/approval-delegations",
        json={"delegate_id": world.users["agent"].id, "start": "2026-12-01", "end": "2026-12-02"},
        headers=world.headers("manager"),
    )
    assert_problem(bad, 422, field="delegate_id")


async def test_rejection_needs_a_reason_and_ends_the_request(
    client: Client, world: World, sessionmaker: SM
) -> None:
    mon = monday()
    r = await file_leave(client, world, "agent", type="annual", start_date=mon, end_date=mon)
    aid, lid = r.json()["approval_id"], r.json()["id"]
    before = await snapshot(sessionmaker)
    assert_problem(
        await decide(client, world, "manager", aid, "reject", reason="  "), 422, field="reason"
    )
    assert_problem(await decide(client, world, "manager", aid, "reject"), 400)
    assert await snapshot(sessionmaker) == before
    r = await decide(client, world, "manager", aid, "reject", reason="month-end peak")
    assert r.json()["status"] == "rejected"
    got = await client.get(f"/leave-requests/{lid}", headers=world.headers("agent"))
    assert got.json()["status"] == "rejected"
    # The dates are free again.
    again = await file_leave(client, world, "agent", type="annual", start_date=mon, end_date=mon)
    assert again.status_code == 201, again.text


async def test_withdraw_while_pending(client: Client, world: World) -> None:
    mon = monday()
    r = await file_leave(client, world, "agent", type="personal", start_date=mon, end_date=mon)
    aid = r.json()["approval_id"]
    assert_problem(
        await client.post(f"/approvals/{aid}/withdraw", json={}, headers=world.headers("manager")),
        403,
    )
    w = await client.post(f"/approvals/{aid}/withdraw", json={}, headers=world.headers("agent"))
    assert w.json()["status"] == "withdrawn"
    assert_problem(await decide(client, world, "manager", aid), 409)
    leave = await client.get(f"/leave-requests/{r.json()['id']}", headers=world.headers("agent"))
    assert leave.json()["status"] == "withdrawn"


async def test_proxy_sick_leave_flags_a_missing_certificate(
    client: Client, world: World, sessionmaker: SM
) -> None:
    mon = monday()
    agent = world.employees["agent"].id
    r = await file_leave(
        client,
        world,
        "lead",
        employee_id=agent,
        type="sick",
        start_date=mon,
        end_date=mon + dt.timedelta(days=1),
    )
    assert r.status_code == 201, r.text
    leave = r.json()
    assert leave["on_behalf"] is True
    assert leave["filed_by"] == world.users["lead"].id
    assert (leave["certificate"], leave["certificate_missing"]) == ("missing", True)
    assert leave["certificate_due"] == (mon + dt.timedelta(days=2)).isoformat()
    listed = await client.get(
        "/leave-requests", params={"certificate_missing": True}, headers=world.headers("manager")
    )
    assert [x["id"] for x in listed.json()["items"]] == [leave["id"]]
    # Somebody else's colleague cannot attach it; the person can.
    assert_problem(
        await client.post(
            f"/leave-requests/{leave['id']}/certificate",
            json={"reference": "scan-1"},
            headers=world.headers("agent2"),
        ),
        404,
    )
    c = await client.post(
        f"/leave-requests/{leave['id']}/certificate",
        json={"reference": "hospital form 2026-118"},
        headers=world.headers("agent"),
    )
    assert (c.json()["certificate"], c.json()["certificate_missing"]) == ("attached", False)
    # One day of sick leave needs no certificate.
    one = await file_leave(
        client,
        world,
        "lead",
        employee_id=agent,
        type="sick",
        start_date=mon + dt.timedelta(days=7),
        end_date=mon + dt.timedelta(days=7),
    )
    assert one.json()["certificate"] is None
    # Personal leave is only ever asked for by the person.
    before = await snapshot(sessionmaker)
    p = await file_leave(
        client,
        world,
        "lead",
        employee_id=agent,
        type="personal",
        start_date=mon + dt.timedelta(days=14),
        end_date=mon + dt.timedelta(days=14),
    )
    assert_problem(p, 403)
    assert await snapshot(sessionmaker) == before


async def test_manager_records_emergency_sick_leave_on_the_day(
    client: Client, world: World
) -> None:
    today = local_today()
    day = today if today.weekday() < 5 else next_working_weekday(today)
    r = await file_leave(
        client,
        world,
        "manager",
        employee_id=world.employees["agent"].id,
        type="sick",
        start_date=day,
        end_date=day,
        emergency=True,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["emergency"], r.json()["status"]) == (True, "approved")
    approval = (
        await client.get(f"/approvals/{r.json()['approval_id']}", headers=world.headers("agent"))
    ).json()
    assert approval["steps"][0]["comment"] == "filed by the approver of this step"
    # Only the manager marks an emergency.
    later = next_working_weekday(day + dt.timedelta(days=7))
    agent = await file_leave(
        client, world, "agent", type="personal", start_date=later, end_date=later, emergency=True
    )
    assert_problem(agent, 422, field="emergency")


async def test_personal_leave_with_too_little_notice_is_refused(
    client: Client, world: World, sessionmaker: SM
) -> None:
    today = local_today()
    before = await snapshot(sessionmaker)
    r = await file_leave(client, world, "agent", type="personal", start_date=today, end_date=today)
    body = assert_problem(r, 422, field="start_date")
    assert "at least 1 day(s) ahead" in body["detail"]
    assert await snapshot(sessionmaker) == before
    tomorrow = next_working_weekday(today)
    ok = await file_leave(
        client, world, "agent", type="personal", start_date=tomorrow, end_date=tomorrow
    )
    assert ok.status_code == 201, ok.text
    # Dates already past need the manager.
    past = today - dt.timedelta(days=3)
    assert_problem(
        await file_leave(client, world, "agent", type="sick", start_date=past, end_date=past),
        422,
        field="start_date",
    )


async def test_overlapping_requests_are_refused(
    client: Client, world: World, sessionmaker: SM
) -> None:
    mon = monday()
    r = await file_leave(
        client, world, "agent", type="annual", start_date=mon, end_date=mon + dt.timedelta(days=1)
    )
    assert r.status_code == 201
    before = await snapshot(sessionmaker)
    clash = await file_leave(
        client,
        world,
        "agent",
        type="sick",
        start_date=mon + dt.timedelta(days=1),
        end_date=mon + dt.timedelta(days=2),
    )
    assert f"leave request {r.json()['id']}" in assert_problem(clash, 409)["detail"]
    assert await snapshot(sessionmaker) == before
    # Morning and afternoon of one day are two requests that do not overlap.
    wed = mon + dt.timedelta(days=2)
    am = await file_leave(
        client, world, "agent", type="annual", start_date=wed, end_date=wed, half="am"
    )
    pm = await file_leave(
        client, world, "agent", type="toil", start_date=wed, end_date=wed, half="pm"
    )
    assert am.status_code == 201, am.text
    assert am.json()["days"] == 0.5
    assert_problem(pm, 422, field="type")  # no 调休 balance yet
    await client.put(
        f"/employees/{world.employees['agent'].id}/leave-balances/{wed.year}/toil",
        json={"days": 2, "note": "worked two rest days"},
        headers=world.headers("manager"),
    )
    pm = await file_leave(
        client, world, "agent", type="toil", start_date=wed, end_date=wed, half="pm"
    )
    assert pm.status_code == 201, pm.text


async def test_bad_input_is_a_problem_and_leaves_nothing_behind(
    client: Client, world: World, sessionmaker: SM
) -> None:
    mon = monday()
    sat = mon + dt.timedelta(days=5)
    before = await snapshot(sessionmaker)
    cases = [
        ({"type": "holiday", "start_date": mon, "end_date": mon}, 422, "type"),
        (
            {"type": "annual", "start_date": mon, "end_date": mon - dt.timedelta(days=1)},
            422,
            "end_date",
        ),
        ({"type": "annual", "start_date": mon, "end_date": mon, "colour": "red"}, 400, "colour"),
        ({"type": "annual", "start_date": "13/01/2027", "end_date": mon}, 400, "start_date"),
        (
            {
                "type": "annual",
                "start_date": mon,
                "end_date": mon + dt.timedelta(days=1),
                "half": "am",
            },
            422,
            "half",
        ),
        (
            {"type": "annual", "start_date": sat, "end_date": sat + dt.timedelta(days=1)},
            422,
            "start_date",
        ),
        (
            {"type": "annual", "start_date": mon, "end_date": mon + dt.timedelta(days=8)},
            422,
            "type",
        ),
        (
            {"type": "marriage", "start_date": mon, "end_date": mon + dt.timedelta(days=4)},
            422,
            "end_date",
        ),
        (
            {
                "type": "sick",
                "start_date": mon,
                "end_date": mon,
                "employee_id": world.employees["sales_agent"].id,
            },
            404,
            None,
        ),
    ]
    for body, status, field in cases:
        r = await file_leave(client, world, "agent", **body)
        assert_problem(r, status, field=field)
    assert_problem(
        await file_leave(client, world, "hr", type="annual", start_date=mon, end_date=mon), 422
    )
    assert await snapshot(sessionmaker) == before


async def test_leave_types_and_policy_are_configurable(client: Client, world: World) -> None:
    types = await client.get(
        f"/departments/{world.cs_id}/leave-types", headers=world.headers("agent")
    )
    by_code = {t["code"]: t for t in types.json()}
    assert by_code["personal"]["min_notice_days"] == 1
    assert by_code["sick"]["certificate_from_days"] == 2
    r = await client.put(
        f"/departments/{world.cs_id}/leave-types/personal",
        json={"rules": {"min_notice_days": 3}},
        headers=world.headers("manager"),
    )
    assert r.json()["min_notice_days"] == 3
    assert_problem(
        await client.put(
            f"/departments/{world.cs_id}/leave-types/personal",
            json={"rules": {"min_notice_days": -1}},
            headers=world.headers("manager"),
        ),
        422,
        field="rules.min_notice_days",
    )
    assert_problem(
        await client.put(
            f"/departments/{world.cs_id}/leave-types/personal",
            json={"rules": {}},
            headers=world.headers("agent"),
        ),
        403,
    )
    # A stricter policy (HR from two days; HR sets it); a request filed after keeps its chain.
    policy = {
        "leave": [
            {"min_days": 0, "chain": ["dept_manager"]},
            {"min_days": 2, "chain": ["dept_manager", "hr"]},
            {"min_days": 3, "chain": ["dept_manager", "hr", "gm"]},
        ]
    }
    p = await client.put(
        f"/departments/{world.cs_id}/approval-policy",
        json={"policy": policy, "version": 0},
        headers=world.headers("hr"),
    )
    assert p.status_code == 200, p.text
    stale = await client.put(
        f"/departments/{world.cs_id}/approval-policy",
        json={"policy": policy, "version": 0},
        headers=world.headers("hr"),
    )
    assert_problem(stale, 409)
    bad = await client.put(
        f"/departments/{world.cs_id}/approval-policy",
        json={"policy": {"leave": [{"min_days": 1, "chain": ["boss"]}]}},
        headers=world.headers("hr"),
    )
    assert_problem(bad, 422, field="policy.leave[0].chain")
    mon = monday()
    r = await file_leave(
        client, world, "agent", type="annual", start_date=mon, end_date=mon + dt.timedelta(days=1)
    )
    a = await client.get(f"/approvals/{r.json()['approval_id']}", headers=world.headers("agent"))
    assert [s["role"] for s in a.json()["steps"]] == ["dept_manager", "hr"]


async def test_approved_leave_marks_the_published_roster_and_shows_shortfall(
    client: Client, world: World, sessionmaker: SM
) -> None:
    roster_id = await publish_team_roster(client, world, sessionmaker)
    before, cells = await grid(sessionmaker, roster_id)
    agent = world.employees["agent"].id
    days = sorted(d for (e, d) in cells if e == agent)
    # A week from the 7th: its rest days are not counted as leave.
    start, end = days[6], days[12]
    worked = [d for d in days if start <= d <= end and cells[(agent, d)] is not None]
    assert len(worked) < 7
    r = await file_leave(client, world, "agent", type="unpaid", start_date=start, end_date=end)
    assert r.status_code == 201, r.text
    leave = r.json()
    assert leave["days"] == len(worked)
    assert {d["source"] for d in leave["schedule"]} == {"roster"}
    assert [d["date"] for d in leave["schedule"] if d["counted"]] == [d.isoformat() for d in worked]
    aid = leave["approval_id"]
    for who in ["manager", "hr", "gm"] if len(worked) >= 3 else ["manager"]:
        final = await decide(client, world, who, aid)
        assert final.status_code == 200, final.text
    after, new_cells = await grid(sessionmaker, roster_id)
    # The final approval's answer says what it did: the new version and the days now short.
    assert final.json()["details"]["roster_versions"] == [
        {"roster_id": roster_id, "number": after.number}
    ]
    assert "shortfall" in final.json()["details"]
    assert (after.number, after.origin) == (before.number + 1, "leave")
    for d in worked:
        assert new_cells[(agent, d)] is None
    got = (
        await client.get(f"/leave-requests/{leave['id']}", headers=world.headers("manager"))
    ).json()
    assert got["status"] == "approved"
    assert got["roster_versions"] == [{"roster_id": roster_id, "number": after.number}]
    # The demand of this small team leaves no slack, so some day is now short; the manager sees
    # which, and where to ask for a repaired draft.
    for short in got["shortfall"]:
        assert short["repair"] == f"/rosters/{roster_id}/repair"
        assert short["rule"] in {"demand_minimum", "never_alone", "trainee_not_alone", "meeting"}
    async with sessionmaker() as s:
        cells_rows = await cells_of(s, after.id)
        marked = {c.date for c in cells_rows if c.employee_id == agent and c.absence == "unpaid"}
    assert marked == set(worked)


async def test_a_retried_leave_request_is_filed_once(
    client: Client, world: World, sessionmaker: SM
) -> None:
    """A phone on a bad connection sends again: the same key answers the first request."""
    mon = monday()
    body = {"type": "annual", "start_date": mon.isoformat(), "end_date": mon.isoformat()}
    headers = {**world.headers("agent"), "Idempotency-Key": "leave-tap-1"}
    answers = await asyncio.gather(
        *(client.post("/leave-requests", json=body, headers=headers) for _ in range(4))
    )
    assert sorted(r.status_code for r in answers) == [200, 200, 200, 201], [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    assert all(
        r.headers.get("Idempotent-Replayed") == "true" for r in answers if r.status_code == 200
    )
    listed = await client.get("/leave-requests", headers=world.headers("agent"))
    assert listed.json()["total"] == 1
    # The same key with another request is refused and changes nothing.
    before = await snapshot(sessionmaker)
    other = {**body, "type": "personal"}
    assert_problem(
        await client.post("/leave-requests", json=other, headers=headers),
        422,
        field="Idempotency-Key",
    )
    assert await snapshot(sessionmaker) == before
    # Without a key, a second identical request is the overlap it really is.
    assert_problem(await file_leave(client, world, "agent", **body), 409, field="start_date")
