"""Generated customer-service departments for benchmarks and examples.

A department of N agents in teams of about 25 (two teams for small ones), early
08:30-17:30 and late 15:00-24:00 shifts, demand per team and shift that drops at
weekends and on holidays, the handover window, the Wednesday meeting, a few
trainees and part-timers, the previous month's last week, blocks of approved
leave and a sprinkling of day-off and shift requests. Deterministic for a seed.

    python -m bench.generate 50 --year 2026 --month 10 --out examples/department-50.json
"""

from __future__ import annotations

import argparse
import calendar as pycal
import random
from datetime import date, timedelta

import holidays as holiday_lib

from solver.io import dump_problem
from solver.problem import (
    Calendar,
    Contract,
    HistoryCell,
    IntervalDemand,
    Leave,
    MeetingSlot,
    Request,
    RequestKind,
    RosterProblem,
    ShiftDemand,
    ShiftType,
    Staff,
)

SURNAMES = [
    "Li",
    "Wang",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Zhao",
    "Huang",
    "Zhou",
    "Wu",
    "Xu",
    "Sun",
    "Hu",
    "Zhu",
    "Gao",
    "Lin",
    "He",
    "Guo",
    "Ma",
    "Luo",
]
GIVEN = [
    "Wei",
    "Fang",
    "Na",
    "Min",
    "Jing",
    "Li",
    "Qiang",
    "Lei",
    "Jun",
    "Yang",
    "Yong",
    "Yan",
    "Jie",
    "Tao",
    "Ming",
    "Chao",
    "Xiu",
    "Hua",
    "Hui",
    "Ping",
]

EARLY = ShiftType("early", "early", 8 * 60 + 30, 17 * 60 + 30)
LATE = ShiftType("late", "late", 15 * 60, 24 * 60, late=True, never_alone=True)


def china_calendar(year: int, month: int) -> tuple[dict[date, str], frozenset[date]]:
    """China's statutory holidays and make-up working days in a month (python-holidays)."""
    cn = holiday_lib.country_holidays("CN", years=[year])
    hols = {d: str(n) for d, n in cn.items() if d.year == year and d.month == month}
    workdays = frozenset(
        d for d in getattr(cn, "weekend_workdays", set()) if d.year == year and d.month == month
    )
    return hols, workdays


def generate_department(
    n_agents: int,
    *,
    year: int = 2026,
    month: int = 12,
    seed: int = 1,
    team_size: int = 25,
    name: str | None = None,
    demand_scale: float = 1.0,
) -> RosterProblem:
    """A realistic customer-service department; see the module docstring.

    ``demand_scale`` multiplies the per-shift targets: 1.0 is a comfortably staffed
    department (targets can all be met), 1.25 a tight one (some targets cannot).
    """
    rng = random.Random(seed)
    start = date(year, month, 1)
    end = date(year, month, pycal.monthrange(year, month)[1])
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    n_teams = max(2, round(n_agents / team_size)) if n_agents >= 20 else 1
    teams = [f"Team {chr(ord('A') + t)}" for t in range(n_teams)]
    staff: list[Staff] = []
    used: set[str] = set()
    for i in range(n_agents):
        while True:
            person = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
            if person not in used:
                break
            person = f"{person} {i}"
            if person not in used:
                break
        used.add(person)
        team = teams[i % n_teams]
        flags: frozenset[str] = frozenset()
        if i % 12 == 5:
            flags = frozenset({"trainee"})
        if i % 9 == 7:
            contract = Contract(min_days=8, max_days=14, max_shifts={"late": 4})
            flags = flags | {"part-time"}
        else:
            contract = Contract(min_days=16, max_days=23)
        staff.append(Staff(f"a{i + 1:03d}", person, team=team, flags=flags, contract=contract))
    hols, makeup = china_calendar(year, month)
    cal = Calendar(holidays=hols, makeup_workdays=makeup, meeting=MeetingSlot())
    demand: list[ShiftDemand] = []
    for team in teams:
        size = sum(1 for p in staff if p.team == team)
        for day in days:
            factor = 1.0
            if day in hols:
                factor = 0.45
            elif cal.is_weekend(day):
                factor = 0.7
            e_t = max(1, round(0.30 * size * factor * demand_scale))
            l_t = max(2, round(0.22 * size * factor * demand_scale))
            e_min = max(1, round(e_t * 0.6))
            l_min = 2 if size >= 8 else 0
            demand.append(ShiftDemand(day, "early", e_min, e_t, 10, 2, team))
            demand.append(ShiftDemand(day, "late", l_min, l_t, 10, 2, team))
    handover = [
        IntervalDemand(
            day, 15 * 60, 17 * 60 + 30, minimum=2 * n_teams, target=2 * n_teams, over_weight=0
        )
        for day in days
    ]
    history: list[HistoryCell] = []
    for e, p in enumerate(staff):
        pattern_off = {(e + k) % 7 for k in (0, 1)}
        for back in range(7, 0, -1):
            d = start - timedelta(days=back)
            if d.weekday() in pattern_off:
                history.append(HistoryCell(p.id, d, None))
            else:
                history.append(
                    HistoryCell(p.id, d, "late" if (e + back // 3) % 3 == 0 else "early")
                )
    leave: list[Leave] = []
    for p in staff:
        r = rng.random()
        if r < 0.12:
            first = rng.choice(days[:-5])
            leave.append(
                Leave(p.id, first, first + timedelta(days=rng.randint(2, 5)), "annual leave")
            )
        elif r < 0.2:
            d = rng.choice(days)
            leave.append(Leave(p.id, d, d, "sick leave"))
    requests: list[Request] = []
    for p in staff:
        for _ in range(rng.randint(0, 3)):
            d = rng.choice(days)
            kind = rng.random()
            if kind < 0.6:
                requests.append(Request(p.id, d, RequestKind.DAY_OFF, weight=rng.randint(1, 5)))
            elif kind < 0.8:
                requests.append(Request(p.id, d, RequestKind.SHIFT_OFF, "late", rng.randint(1, 3)))
            else:
                requests.append(Request(p.id, d, RequestKind.SHIFT_ON, "early", rng.randint(1, 3)))
    return RosterProblem(
        start=start,
        end=end,
        timezone="Asia/Shanghai",
        shift_types=(EARLY, LATE),
        staff=tuple(staff),
        shift_demand=tuple(demand),
        interval_demand=tuple(handover),
        calendar=cal,
        leave=tuple(leave),
        history=tuple(history),
        requests=tuple(requests),
        name=name or f"Generated department, {n_agents} agents, {start:%B %Y}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("agents", type=int)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--month", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    problem = generate_department(args.agents, year=args.year, month=args.month, seed=args.seed)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(dump_problem(problem) + "\n")


if __name__ == "__main__":
    main()
