"""Approval policies bounded by DOMAIN.md, list filters that refuse typos, one charset per file,
a punch that does not reveal who works elsewhere, and ``comment`` accepted on reject."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from scheduler.approvals.models import ApprovalPolicy
from scheduler.approvals.service import local_today
from scheduler.attendance.models import Punch
from scheduler.leave.models import LEAVE_STATUSES
from scheduler.people.models import Employee
from scheduler.swaps.models import SWAP_STATUSES
from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot
from tests.api.requests_setup import SM, Client, decide, file_leave, monday
from tests.api.roster_views_data import store_roster

pytestmark = pytest.mark.shared_app

DM, HR, GM = "dept_manager", "hr", "gm"
FULL = [DM, HR, GM]


def _url(world: World) -> str:
    return f"/departments/{world.cs_id}/approval-policy"


def _leave(*tiers: tuple[float, list[str]]) -> dict[str, Any]:
    return {"leave": [{"min_days": d, "chain": c} for d, c in tiers]}


async def _chain_of_week_of_leave(client: Client, world: World) -> tuple[float, list[str]]:
    """File Monday-Friday of unpaid leave for the agent: its days and the chain it got."""
    mon = monday()
    r = await file_leave(
        client, world, "agent", type="unpaid", start_date=mon, end_date=mon + dt.timedelta(days=4)
    )
    assert r.status_code == 201, r.text
    a = await client.get(f"/approvals/{r.json()['approval_id']}", headers=world.headers("agent"))
    return r.json()["days"], [s["role"] for s in a.json()["steps"]]


# ---------------------------------------------------------------- 1. the approval policy

BAD_POLICIES = [
    # The audit's three: the manager skipped, the chain reversed, the long tier moved to 30 days.
    (_leave((0, [GM])), "policy.leave[0].chain", "first approver"),
    (_leave((0, [GM, HR, DM])), "policy.leave[0].chain", "first approver"),
    (_leave((0, [DM]), (30, FULL)), "policy.leave[0].chain", "3 days or more"),
    # Skipping, repeating, reordering a level.
    (_leave((0, [DM]), (3, [DM, GM])), "policy.leave[1].chain", "skips hr"),
    (_leave((0, [DM, DM])), "policy.leave[0].chain", "repeats"),
    (_leave((0, [DM]), (3, [DM, GM, HR])), "policy.leave[1].chain", "skips hr"),
    # Laxer than DOMAIN: three days or more without the general manager.
    (_leave((0, [DM]), (3, [DM, HR])), "policy.leave[1].chain", "never laxer"),
    (_leave((0, [DM]), (2, [DM, HR])), "policy.leave[1].chain", "3 days or more"),
    # A longer request decided by fewer levels than a shorter one.
    (_leave((0, [DM, HR]), (1, [DM]), (3, FULL)), "policy.leave[1].chain", "fewer levels"),
    # Team leads and supervisors act for the manager by delegation, not as a level.
    (_leave((0, ["team_lead", DM]), (3, FULL)), "policy.leave[0].chain", "delegate"),
    ({"swap": [{"min_days": 0, "chain": ["supervisor"]}]}, "policy.swap[0].chain", "delegate"),
    ({"*": [{"min_days": 0, "chain": [HR]}]}, "policy.*[0].chain", "first approver"),
    ({"swap": [{"min_days": 0, "chain": ["boss"]}]}, "policy.swap[0].chain", "not an approval"),
    # A kind no request has would never apply: a typo, refused.
    ({"leav": [{"min_days": 0, "chain": FULL}]}, "policy.leav", "kinds: attendance_correction"),
]


@pytest.mark.parametrize(("document", "field", "why"), BAD_POLICIES)
async def test_a_policy_against_domain_order_is_refused_and_changes_nothing(
    client: Client,
    world: World,
    sessionmaker: SM,
    document: dict[str, Any],
    field: str,
    why: str,
) -> None:
    before = await snapshot(sessionmaker)
    r = await client.put(_url(world), json={"policy": document}, headers=world.headers("hr"))
    body = assert_problem(r, 422, field=field)
    assert any(e["field"] == field and why in e["message"] for e in body["errors"]), body
    assert await snapshot(sessionmaker) == before


async def test_after_a_refused_policy_long_leave_still_climbs_the_whole_ladder(
    client: Client, world: World
) -> None:
    """The audit's case: a 30-day long tier was accepted, then 3 days went to the manager alone."""
    r = await client.put(
        _url(world), json={"policy": _leave((0, [DM]), (30, FULL))}, headers=world.headers("hr")
    )
    assert_problem(r, 422, field="policy.leave[0].chain")
    days, chain = await _chain_of_week_of_leave(client, world)
    assert days >= 3
    assert chain == FULL


async def test_a_stricter_policy_is_accepted_and_applies(client: Client, world: World) -> None:
    """HR from two days, everyone from three: stricter than DOMAIN, so allowed."""
    policy = _leave((0, [DM]), (2, [DM, HR]), (3, FULL))
    policy["swap"] = [{"min_days": 0, "chain": [DM, HR]}]
    r = await client.put(
        _url(world), json={"policy": policy, "version": 0}, headers=world.headers("hr")
    )
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["problems"]) == (1, [])
    assert r.json()["policy"]["leave"] == policy["leave"]
    mon = monday()
    two = await file_leave(
        client, world, "agent", type="unpaid", start_date=mon, end_date=mon + dt.timedelta(days=1)
    )
    assert two.status_code == 201, two.text
    if two.json()["days"] == 2:  # a weekday holiday would make it shorter
        a = await client.get(
            f"/approvals/{two.json()['approval_id']}", headers=world.headers("agent")
        )
        assert [s["role"] for s in a.json()["steps"]] == [DM, HR]


@pytest.mark.parametrize(("who", "status"), [("manager", 403), ("agent", 403), ("gm", 403)])
async def test_only_hr_or_admin_change_the_policy(
    client: Client, world: World, sessionmaker: SM, who: str, status: int
) -> None:
    """The manager is the first approver the policy governs: they do not set its checks."""
    before = await snapshot(sessionmaker)
    stricter = _leave((0, [DM]), (2, FULL))
    r = await client.put(_url(world), json={"policy": stricter}, headers=world.headers(who))
    assert_problem(r, status)
    assert await snapshot(sessionmaker) == before
    # Another department's manager does not even see this one's policy.
    r = await client.put(
        _url(world), json={"policy": stricter}, headers=world.headers("sales_manager")
    )
    assert_problem(r, 404)


async def test_hr_and_admin_change_the_policy_and_everyone_in_it_reads_it(
    client: Client, world: World
) -> None:
    stricter = _leave((0, [DM]), (2, FULL))
    r = await client.put(_url(world), json={"policy": stricter}, headers=world.headers("hr"))
    assert r.status_code == 200, r.text
    domain = _leave((0, [DM]), (3, FULL))
    r = await client.put(
        _url(world), json={"policy": domain, "version": 1}, headers=world.headers("admin")
    )
    assert r.status_code == 200, r.text
    got = await client.get(_url(world), headers=world.headers("manager"))
    assert (got.json()["version"], got.json()["policy"]["leave"]) == (2, domain["leave"])


async def test_a_stored_policy_that_breaks_the_rules_is_flagged_and_not_applied(
    client: Client, world: World, sessionmaker: SM
) -> None:
    """Saved before the checks existed: still read, shown with its problems, DOMAIN applies."""
    stored = _leave((0, [DM]), (30, FULL))
    stored["swap"] = [{"min_days": 0, "chain": [DM, HR]}]  # valid: kept
    async with sessionmaker() as s:
        s.add(ApprovalPolicy(department_id=world.cs_id, document=stored))
        await s.commit()
    got = await client.get(_url(world), headers=world.headers("hr"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["version"] == 1
    assert [p["field"] for p in body["problems"]] == ["policy.leave[0].chain"]
    assert body["policy"]["leave"] == [
        {"min_days": 0, "chain": [DM]},
        {"min_days": 3, "chain": FULL},
    ]
    assert body["policy"]["swap"] == stored["swap"]
    days, chain = await _chain_of_week_of_leave(client, world)
    assert days >= 3
    assert chain == FULL
    # HR replaces it with a valid one: no problems left.
    r = await client.put(
        _url(world),
        json={"policy": _leave((0, [DM]), (3, FULL)), "version": 1},
        headers=world.headers("hr"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["problems"]) == (2, [])


async def test_the_managers_delegate_still_decides_the_first_step(
    client: Client, world: World
) -> None:
    """Delegation, not the policy, is how a supervisor acts for the manager."""
    today = local_today()
    r = await client.post(
        "/approval-delegations",
        json={
            "delegate_id": world.users["supervisor"].id,
            "start": (today - dt.timedelta(days=1)).isoformat(),
            "end": (today + dt.timedelta(days=3)).isoformat(),
        },
        headers=world.headers("manager"),
    )
    assert r.status_code == 201, r.text
    mon = monday()
    leave = await file_leave(client, world, "agent", type="annual", start_date=mon, end_date=mon)
    r = await decide(client, world, "supervisor", leave.json()["approval_id"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    assert r.json()["steps"][0]["on_behalf_of"] == world.users["manager"].id


# ---------------------------------------------------------------- 2. list filters


@pytest.mark.parametrize(
    ("path", "param", "value", "allowed"),
    [
        ("/leave-requests", "status", "foo", "pending, approved, rejected, withdrawn, cancelled"),
        ("/leave-requests", "type", "holiday", "annual, sick, personal, toil"),
        ("/swaps", "status", "zzz", "proposed, accepted, declined, approved"),
        ("/approvals", "status", "done", "pending, approved, rejected, withdrawn, cancelled"),
        ("/approvals", "kind", "lunch", "attendance_correction, leave, swap"),
        ("/approvals", "view", "sideways", "waiting, mine or all"),
    ],
)
async def test_an_unknown_filter_value_is_refused_naming_the_values(
    client: Client, world: World, path: str, param: str, value: str, allowed: str
) -> None:
    """A typo in a filter must not look like "there are none"."""
    r = await client.get(path, params={param: value}, headers=world.headers("manager"))
    body = assert_problem(r, 422, field=param)
    assert any(allowed in e["message"] for e in body["errors"] if e["field"] == param), body


async def test_the_openapi_document_lists_the_filter_values(client: Client) -> None:
    doc = (await client.get("/schema/openapi.json")).json()

    def values(path: str, name: str) -> list[str]:
        params = doc["paths"][path]["get"]["parameters"]
        return list(next(p for p in params if p["name"] == name)["schema"]["enum"])

    assert values("/leave-requests", "status") == list(LEAVE_STATUSES)
    assert values("/swaps", "status") == list(SWAP_STATUSES)
    assert values("/approvals", "view") == ["waiting", "mine", "all"]
    assert values("/attendance/export", "sheet") == ["summary", "detail"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/leave-requests", {"status": "pending", "type": "toil"}),
        ("/swaps", {"status": "proposed"}),
        ("/approvals", {"view": "all", "status": "cancelled", "kind": "attendance_correction"}),
    ],
)
async def test_known_filter_values_still_answer(
    client: Client, world: World, path: str, params: dict[str, str]
) -> None:
    r = await client.get(path, params=params, headers=world.headers("manager"))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("path", "param", "value", "allowed"),
    [
        ("/attendance/export", "format", "pdf", "csv, xlsx"),
        ("/attendance/export", "lang", "fr", "en, zh"),
        ("/attendance/export", "sheet", "totals", "summary, detail"),
        ("/rosters/{roster}/versions/1/export", "format", "ods", "csv, xlsx"),
    ],
)
async def test_an_unknown_export_option_is_refused_naming_the_values(
    client: Client,
    world: World,
    sessionmaker: SM,
    path: str,
    param: str,
    value: str,
    allowed: str,
) -> None:
    roster = await store_roster(sessionmaker, world)
    r = await client.get(
        path.format(roster=roster.roster_id),
        params={"month": "2026-10", param: value},
        headers=world.headers("hr"),
    )
    body = assert_problem(r, 422, field=param)
    assert any(allowed in e["message"] for e in body["errors"] if e["field"] == param), body


# ---------------------------------------------------------------- 3. one charset


async def test_files_carry_one_charset(client: Client, world: World, sessionmaker: SM) -> None:
    roster = await store_roster(sessionmaker, world)
    csv_roster = await client.get(
        f"/rosters/{roster.roster_id}/versions/1/export",
        params={"format": "csv"},
        headers=world.headers("manager"),
    )
    assert csv_roster.status_code == 200, csv_roster.text
    assert csv_roster.headers["content-type"] == "text/csv; charset=utf-8"
    csv_attendance = await client.get(
        "/attendance/export",
        params={"month": "2026-10", "format": "csv", "department_id": world.cs_id},
        headers=world.headers("hr"),
    )
    assert csv_attendance.status_code == 200, csv_attendance.text
    assert csv_attendance.headers["content-type"] == "text/csv; charset=utf-8"
    emp = world.employees["agent"].id
    link = await client.post(f"/employees/{emp}/calendar-token", headers=world.headers("agent"))
    feed = await client.get(f"/calendar/{link.json()['token']}.ics")
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"


# ---------------------------------------------------------------- 4. punches out of scope


async def _punch_count(sm: SM) -> int:
    async with sm() as s:
        return int(await s.scalar(select(func.count()).select_from(Punch)) or 0)


async def test_a_punch_for_someone_out_of_scope_is_not_found(
    client: Client, world: World, sessionmaker: SM
) -> None:
    """Answered as for someone who does not exist, like every other route about a person."""
    foreign = world.employees["sales_agent"].id
    now = dt.datetime.now(dt.UTC).isoformat()
    punch = {"direction": "in", "at": now, "reason": "clock broken"}
    m = world.headers("manager")
    elsewhere = await client.get(f"/employees/{foreign}", headers=m)
    assert_problem(elsewhere, 404)
    r = await client.post("/attendance/punches", json={**punch, "employee_id": foreign}, headers=m)
    body = assert_problem(r, 404, field="employee_id")
    assert body["detail"] == elsewhere.json()["detail"] == f"employee {foreign} not found"
    # Not even an inactive person elsewhere shows through ("is not active" would tell).
    async with sessionmaker() as s:
        await s.execute(update(Employee).where(Employee.id == foreign).values(active=False))
        await s.commit()
    r = await client.post("/attendance/punches", json={**punch, "employee_id": foreign}, headers=m)
    assert assert_problem(r, 404)["detail"] == f"employee {foreign} not found"
    # An agent punching for a colleague: the same, as reading the colleague is.
    colleague = world.employees["agent2"].id
    r = await client.post(
        "/attendance/punches",
        json={**punch, "employee_id": colleague},
        headers=world.headers("agent"),
    )
    assert assert_problem(r, 404)["detail"] == f"employee {colleague} not found"
    # In a batch, a badge number of another department reads like an unknown one.
    rows = [{**punch, "staff_no": "SA001"}, {**punch, "staff_no": "NOPE"}]
    r = await client.post("/attendance/punches/batch", json=rows, headers=m)
    assert r.status_code == 200, r.text
    assert [row["error"] for row in r.json()["rows"]] == [
        "employee SA001 not found",
        "employee NOPE not found",
    ]
    # Someone in scope who may not punch for others still hears why (they know the person).
    r = await client.post(
        "/attendance/punches",
        json={**punch, "employee_id": world.employees["agent"].id},
        headers=world.headers("hr"),
    )
    assert_problem(r, 403, field="employee_id")
    assert await _punch_count(sessionmaker) == 0


# ---------------------------------------------------------------- 5. reject's text


async def test_reject_takes_comment_as_well_as_reason(client: Client, world: World) -> None:
    mon = monday()
    first = await file_leave(client, world, "agent", type="annual", start_date=mon, end_date=mon)
    aid = first.json()["approval_id"]
    assert_problem(await decide(client, world, "manager", aid, "reject"), 400, field="reason")
    assert_problem(
        await decide(client, world, "manager", aid, "reject", reason="peak", comment="other"),
        400,
        field="comment",
    )
    assert_problem(
        await decide(client, world, "manager", aid, "reject", comment="  "), 422, field="reason"
    )
    r = await decide(client, world, "manager", aid, "reject", comment="month-end peak")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected"
    assert r.json()["steps"][0]["comment"] == "month-end peak"
    second = await file_leave(
        client,
        world,
        "agent",
        type="annual",
        start_date=mon + dt.timedelta(days=1),
        end_date=mon + dt.timedelta(days=1),
    )
    aid = second.json()["approval_id"]
    r = await decide(client, world, "manager", aid, "reject", reason="peak", comment="peak")
    assert r.status_code == 200, r.text
    assert r.json()["steps"][0]["comment"] == "peak"
