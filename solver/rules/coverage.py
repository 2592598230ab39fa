"""Coverage: demand per shift or per window, never-alone shifts, trainees, the meeting.

Demand rows give a hard minimum and a soft target with under/over weights;
interval rows are met by every shift spanning the window (the 15:00-17:30
handover is covered by both early and late). The late shift is never staffed
by one person alone; a trainee never works a shift without an experienced
colleague; the weekly meeting slot keeps someone on duty.
"""

from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model

from solver.check import covering, fmt_day
from solver.variables import DemandRow, ModelContext, PenaltyTerm


def _members(ctx: ModelContext, team: str | None) -> list[int] | None:
    if team is None:
        return None
    return [e for e, q in enumerate(ctx.problem.staff) if q.team == team]


def add(ctx: ModelContext) -> list[PenaltyTerm]:
    """Add demand, never-alone, trainee and meeting rules."""
    p, m, v = ctx.problem, ctx.model, ctx.vars
    rules = p.rules
    terms: list[PenaltyTerm] = []
    n_staff = len(p.staff)
    rows: list[tuple[str, int, list[Any], int, int, int, int, int, str]] = []
    row_keys: dict[str, tuple[str | None, int, int]] = {}
    for i, dem in enumerate(p.shift_demand):
        d, k = p.day_index[dem.date], p.shift_index[dem.shift_id]
        lits = v.on_shift(d, k, _members(ctx, dem.team))
        label = f"{fmt_day(dem.date)} {p.shift_types[k].name}" + (
            f" ({dem.team})" if dem.team is not None else ""
        )
        rows.append(
            (f"s{i}", d, lits, 0, dem.minimum, dem.target, dem.under_weight, dem.over_weight, label)
        )
        row_keys[f"s{i}"] = (dem.team, d, k)
    for i, iv in enumerate(p.interval_demand):
        d = p.day_index[iv.date]
        lits = []
        fixed = 0  # people last month's overnight shifts put in a window of the first day
        for off, k in covering(p, iv.start_minute, iv.end_minute):
            if d - off >= 0:
                lits.extend(v.on_shift(d - off, k, _members(ctx, iv.team)))
            else:
                fixed += p.history_on(d - off, k, iv.team)
        label = f"{fmt_day(iv.date)} {iv.start_minute // 60:02d}:{iv.start_minute % 60:02d}" + (
            f" ({iv.team})" if iv.team is not None else ""
        )
        rows.append(
            (
                f"i{i}",
                d,
                lits,
                fixed,
                iv.minimum,
                iv.target,
                iv.under_weight,
                iv.over_weight,
                label,
            )
        )
    for key, _d, lits, fixed, minimum, target, under_w, over_w, label in rows:
        n = sum(lits) + fixed
        most = len(lits) + fixed
        if rules.demand_minimum.enabled and minimum > 0:
            terms += ctx.soft_or_hard(
                rules.demand_minimum,
                "demand_minimum",
                n,
                minimum,
                minimum,
                ("demand", key),
                f"{label} needs {minimum}",
            )
        # A shift row is exact (see DemandRow) when each side is modelled or impossible.
        exact = rules.demand_target.enabled
        over: Any = 0
        under: Any = 0
        wu = wo = 0
        if rules.demand_target.enabled:
            wu, wo = under_w * rules.demand_target.weight, over_w * rules.demand_target.weight
            if wu > 0 and target > 0:
                under = ctx.shortfall(n, target, target, f"under[{key}]")
                terms.append(PenaltyTerm("demand_target", under, wu))
            elif target > 0:
                exact = False
            if wo > 0 and most > target:
                over = ctx.shortfall(target, n, most - target, f"over[{key}]")
                terms.append(PenaltyTerm("demand_target", over, wo))
            elif most > target:
                exact = False
        if key in row_keys:
            rk = row_keys[key]
            hard_min = minimum if rules.demand_minimum.enabled and rules.demand_minimum.hard else 0
            row = DemandRow(target, hard_min, most, over, under, wo, wu) if exact else None
            ctx.demand_rows[rk] = None if rk in ctx.demand_rows else row
    if rules.never_alone.enabled:
        setting = rules.never_alone
        for k, s in enumerate(p.shift_types):
            if not s.never_alone:
                continue
            for d in range(p.num_days):
                lits = v.on_shift(d, k)
                if not lits:
                    continue
                n = sum(lits)
                ok = cp_model.Domain.from_intervals([[0, 0], [2, max(2, len(lits))]])
                if setting.hard:
                    ct = m.add_linear_expression_in_domain(n, ok)
                    msg = f"{fmt_day(p.dates[d])} {s.name} is never staffed by one person alone"
                    if guards := ctx.guard(("never_alone", d, k), msg):
                        ct.only_enforce_if(guards)
                else:
                    alone = m.new_bool_var(f"alone[{d},{k}]")
                    m.add(n == 1).only_enforce_if(alone)
                    m.add_linear_expression_in_domain(n, ok).only_enforce_if(alone.Not())
                    terms.append(PenaltyTerm("never_alone", alone, setting.weight))
    if rules.trainee_not_alone.enabled and any(q.trainee for q in p.staff):
        setting = rules.trainee_not_alone
        for d in range(p.num_days):
            # Per day: a new hire whose onboarding ends mid-month is experienced from then on.
            trainees = [e for e, q in enumerate(p.staff) if q.trainee_on(p.dates[d])]
            if not trainees:
                continue
            seniors = [e for e in range(n_staff) if not p.staff[e].trainee_on(p.dates[d])]
            for k, s in enumerate(p.shift_types):
                tl = v.on_shift(d, k, trainees)
                if not tl:
                    continue
                nt = ctx.expr(sum(v.on_shift(d, k, seniors)))
                who = [p.staff[e].name for e in trainees if v.shift(e, d, k) is not None]
                msg = (
                    f"{fmt_day(p.dates[d])} {s.name}: a trainee ({', '.join(who)}) on it needs "
                    "an experienced colleague"
                )
                if setting.hard:
                    guards = ctx.guard(("trainee", d, k), msg)
                    for t in tl:
                        ct = m.add(t <= nt)
                        if guards:
                            ct.only_enforce_if(guards)
                else:
                    bad = m.new_bool_var(f"trainee_alone[{d},{k}]")
                    for t in tl:
                        m.add(t <= nt + bad)
                    m.add(nt == 0).only_enforce_if(bad)
                    m.add(sum(tl) >= 1).only_enforce_if(bad)
                    terms.append(PenaltyTerm("trainee_not_alone", bad, setting.weight))
    meeting = p.calendar.meeting
    if meeting is not None and rules.meeting.enabled and meeting.min_on_duty > 0:
        cov = [k for off, k in covering(p, meeting.start_minute, meeting.end_minute) if off == 0]
        for d, day in enumerate(p.dates):
            if day.weekday() != meeting.weekday or p.calendar.is_holiday(day):
                continue
            lits = [x for k in cov for x in v.on_shift(d, k)]
            msg = f"{fmt_day(day)}: {meeting.min_on_duty} agent(s) on duty during the meeting"
            terms += ctx.soft_or_hard(
                rules.meeting,
                "meeting",
                sum(lits),
                meeting.min_on_duty,
                meeting.min_on_duty,
                ("meeting", d),
                msg,
            )
    return terms
