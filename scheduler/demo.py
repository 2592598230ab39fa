"""The sample customer-service department that ``rota demo`` loads.

Twenty agents in two teams (two of them trainees), a manager, a supervisor, team leads, HR and
a general manager, and the department's early (08:30-17:30) and late (15:00-24:00) shifts from
DOMAIN.md. Loading is idempotent: running the demo twice does not duplicate anyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.models import User
from scheduler.auth.passwords import hash_password
from scheduler.auth.principal import Principal
from scheduler.org.models import Department, Organisation, Team
from scheduler.people.models import Employee
from scheduler.rosters.models import Roster, RosterJob, RosterVersion
from scheduler.rosters.store import published_version
from scheduler.rosters.versions import publish
from scheduler.shifts.defaults import add_default_shifts

DEMO_PASSWORD = "rota-demo-2026"  # noqa: S105 - printed by `rota demo`; the demo refuses to run in production
DEPARTMENT_CODE = "CS"

_AGENTS = [
    # (staff number, name, team, flags)
    ("CS001", "Li Wei", "Team A", []),
    ("CS002", "Wang Fang", "Team A", []),
    ("CS003", "Zhang Min", "Team A", []),
    ("CS004", "Liu Yang", "Team A", []),
    ("CS005", "Chen Jing", "Team A", []),
    ("CS006", "Yang Lei", "Team A", []),
    ("CS007", "Zhao Qiang", "Team A", []),
    ("CS008", "Huang Li", "Team A", []),
    ("CS009", "Zhou Jie", "Team A", []),
    ("CS010", "Wu Xia", "Team A", ["trainee"]),
    ("CS011", "Xu Tao", "Team B", []),
    ("CS012", "Sun Yan", "Team B", []),
    ("CS013", "Ma Chao", "Team B", []),
    ("CS014", "Zhu Hong", "Team B", []),
    ("CS015", "Hu Bin", "Team B", []),
    ("CS016", "Guo Ping", "Team B", []),
    ("CS017", "He Ying", "Team B", []),
    ("CS018", "Lin Feng", "Team B", []),
    ("CS019", "Gao Yun", "Team B", []),
    ("CS020", "Luo Na", "Team B", ["trainee"]),
]


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the demo loaded, for the command line to print."""

    department_id: int
    department_code: str
    teams: dict[str, int]
    employees: int
    created: bool
    logins: list[tuple[str, str]]


async def load_demo(session: AsyncSession, timezone: str = "Asia/Shanghai") -> DemoSummary:
    """Load the sample department unless it is already there."""
    existing = await session.scalar(select(Department).where(Department.code == DEPARTMENT_CODE))
    logins = [
        ("admin", "admin"),
        ("manager", "dept_manager"),
        ("supervisor", "supervisor"),
        ("hr", "hr"),
        ("gm", "gm"),
        ("cs001", "agent (Li Wei)"),
    ]
    if existing is not None:
        teams = {
            t.name: t.id
            for t in (
                await session.scalars(select(Team).where(Team.department_id == existing.id))
            ).all()
        }
        count = len(
            (
                await session.scalars(
                    select(Employee.id).where(Employee.department_id == existing.id)
                )
            ).all()
        )
        return DemoSummary(existing.id, existing.code, teams, count, False, logins)

    org = await session.scalar(select(Organisation).where(Organisation.name == "Demo Company"))
    if org is None:
        org = Organisation(name="Demo Company")
        session.add(org)
        await session.flush()
    dept = Department(
        organisation_id=org.id,
        name="Customer Service 客服部",
        code=DEPARTMENT_CODE,
        timezone=timezone,
        country="CN",
    )
    session.add(dept)
    await session.flush()
    teams = {}
    for team_name in ("Team A", "Team B"):
        team_row = Team(department_id=dept.id, name=team_name)
        session.add(team_row)
        await session.flush()
        teams[team_name] = team_row.id
    add_default_shifts(session, dept.id)
    employees = {}
    for staff_no, name, team, flags in _AGENTS:
        hire = (
            dt.date(2026, 11, 20)
            if "trainee" in flags
            else dt.date(2024, 1, 8) + dt.timedelta(days=17 * int(staff_no[2:]))
        )
        employee = Employee(
            staff_no=staff_no,
            name=name,
            department_id=dept.id,
            team_id=teams[team],
            hire_date=hire,
            flags=list(flags),
            contract_kind="days",
            contract_min=18,
            contract_max=23,
        )
        session.add(employee)
        employees[staff_no] = employee
    await session.flush()
    hashed = hash_password(DEMO_PASSWORD)
    users = [
        User(
            username="manager",
            display_name="Zheng Hua (部门经理)",
            role="dept_manager",
            department_id=dept.id,
        ),
        User(
            username="supervisor",
            display_name="Feng Lan (客服主管)",
            role="supervisor",
            department_id=dept.id,
        ),
        User(username="hr", display_name="Cao Rui (人事行政部)", role="hr"),
        User(username="gm", display_name="Deng Kai (总经理)", role="gm"),
        User(
            username="cs001",
            display_name="Li Wei",
            role="agent",
            department_id=dept.id,
            employee_id=employees["CS001"].id,
        ),
    ]
    if await session.scalar(select(User.id).where(User.username == "admin")) is None:
        users.append(User(username="admin", display_name="Administrator", role="admin"))
    for user in users:
        user.password_hash = hashed
        user.active = True
        session.add(user)
    await session.commit()
    return DemoSummary(dept.id, dept.code, teams, len(employees), True, logins)


async def publish_generated(session: AsyncSession, team_id: int, month: str) -> str:
    """Publish the draft the demo just generated, so the calendar feed and /me/shifts have data."""
    roster = await session.scalar(
        select(Roster).where(
            Roster.scope_key == f"team:{team_id}",
            Roster.month == dt.date.fromisoformat(f"{month}-01"),
        )
    )
    if roster is None:
        return "no roster"
    if await published_version(session, roster.id) is not None:
        return f"roster {roster.id} already has a published version"
    job = await session.scalar(
        select(RosterJob)
        .where(RosterJob.roster_id == roster.id)
        .order_by(RosterJob.id.desc())
        .limit(1)
    )
    if job is None or job.result_version_id is None:
        return "nothing to publish"
    version = await session.get(RosterVersion, job.result_version_id)
    assert version is not None
    await publish(session, Principal.operator(), roster, version.number, expected_revision=None)
    return f"published version {version.number} of roster {roster.id}"
