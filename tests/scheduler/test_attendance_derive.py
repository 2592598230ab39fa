"""Derived attendance as a pure function of roster cells, punches and the policy."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from scheduler.attendance.derive import (
    DayPlan,
    DayResult,
    PunchFact,
    ShiftPlan,
    derive_month,
    local_instant,
    summarise,
)
from scheduler.attendance.policy import DEFAULT_POLICY, Policy, policy_from_document
from scheduler.errors import ValidationFailedError

SH = "Asia/Shanghai"
EARLY = ShiftPlan("early", "早班", 510, 1050)
LATE = ShiftPlan("late", "晚班", 900, 1440)
MONTH = dt.date(2026, 10, 1)
AS_OF = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
_ids = itertools.count(1)


def at(day: int, hh: int, mm: int, zone: str = SH, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hh, mm, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def punch(direction: str, when: dt.datetime, **kw: object) -> PunchFact:
    return PunchFact(id=next(_ids), direction=direction, at=when, **kw)  # type: ignore[arg-type]


def plans(**cells: ShiftPlan | str | None) -> dict[dt.date, DayPlan]:
    """d5=EARLY, d6="annual" (leave), d7=None (rest)."""
    out = {}
    for key, value in cells.items():
        day = MONTH.replace(day=int(key[1:]))
        if isinstance(value, ShiftPlan):
            out[day] = DayPlan(day, shift=value)
        elif isinstance(value, str):
            out[day] = DayPlan(day, absence=value)
        else:
            out[day] = DayPlan(day)
    return out


def day(results: list[DayResult], n: int) -> DayResult:
    return results[n - 1]


def run(
    p: dict[dt.date, DayPlan],
    punches: list[PunchFact],
    policy: Policy = DEFAULT_POLICY,
    zone: str = SH,
) -> list[DayResult]:
    return derive_month(MONTH, p, punches, zone, policy, AS_OF)


def test_on_time_and_late_within_grace() -> None:
    r = run(
        plans(d5=EARLY, d6=EARLY),
        [
            punch("in", at(5, 8, 25)),
            punch("out", at(5, 17, 31)),
            punch("in", at(6, 8, 35)),
            punch("out", at(6, 17, 30)),
        ],
    )
    assert day(r, 5).status == "on_time"
    assert day(r, 5).breaches == ()
    assert day(r, 6).status == "on_time"
    assert day(r, 6).late_minutes == 5  # within the 5 minutes of grace
    assert day(r, 6).deduction == 0


@pytest.mark.parametrize(
    ("minutes", "deduction", "absence", "tier"),
    [
        (10, 20, 0.0, "tier 1"),
        (25, 50, 0.0, "tier 2"),
        (45, 100, 0.5, "tier 3"),
        (150, 200, 1.0, "tier 4"),
    ],
)
def test_lateness_tiers(minutes: int, deduction: float, absence: float, tier: str) -> None:
    start = at(5, 8, 30) + dt.timedelta(minutes=minutes)
    r = run(plans(d5=EARLY), [punch("in", start), punch("out", at(5, 17, 30))])
    d = day(r, 5)
    assert d.status == "late"
    assert d.late_minutes == minutes
    (b,) = d.breaches
    assert (b.kind, b.deduction, b.absence_days) == ("late", deduction, absence)
    assert tier in b.rule


def test_early_leave_and_missing_punch_and_absence() -> None:
    r = run(
        plans(d5=EARLY, d6=EARLY, d7=EARLY, d8=EARLY),
        [
            punch("in", at(5, 8, 30)),
            punch("out", at(5, 17, 0)),
            punch("in", at(6, 8, 29)),
            punch("out", at(7, 17, 40)),
        ],
    )
    assert day(r, 5).status == "early_leave"
    assert day(r, 5).early_minutes == 30
    assert day(r, 5).breaches[0].deduction == 50
    assert (day(r, 6).status, day(r, 6).missing) == ("missing_punch", "out")
    assert (day(r, 7).status, day(r, 7).missing) == ("missing_punch", "in")
    assert day(r, 7).deduction == 30
    assert day(r, 8).status == "absent"
    assert day(r, 8).absence_days == 1
    s = summarise(r)
    assert (s.scheduled_shifts, s.worked_shifts, s.absences, s.missing_punches) == (4, 3, 1, 2)
    assert s.early_count == 1
    assert s.working_days == 3


def test_late_shift_overtime_past_midnight_belongs_to_previous_day() -> None:
    # Late on the 5th until 00:40 on the 6th; early on the 6th from 08:28.
    r = run(
        plans(d5=LATE, d6=EARLY),
        [
            punch("in", at(5, 14, 55)),
            punch("out", at(6, 0, 40)),
            punch("in", at(6, 8, 28)),
            punch("out", at(6, 17, 30)),
        ],
    )
    assert day(r, 5).status == "on_time"
    assert day(r, 5).overtime_minutes == 40
    assert day(r, 5).worked_minutes == 585
    assert day(r, 6).status == "on_time"
    assert day(r, 6).overtime_minutes == 0
    assert summarise(r).overtime_minutes == 40


def test_early_clock_in_before_dawn_goes_to_the_early_shift() -> None:
    r = run(
        plans(d5=LATE, d6=EARLY),
        [
            punch("in", at(5, 15, 0)),
            punch("out", at(6, 0, 0)),
            punch("in", at(6, 5, 0)),
            punch("out", at(6, 17, 30)),
        ],
    )
    assert day(r, 5).status == "on_time"
    assert day(r, 6).first_in == at(6, 5, 0)
    assert day(r, 6).status == "on_time"


def test_rest_day_worked_and_leave_not_absent() -> None:
    r = run(
        plans(d5=None, d6="annual", d7="sick"),
        [
            punch("in", at(5, 9, 0)),
            punch("out", at(5, 18, 0)),
        ],
    )
    assert day(r, 5).status == "rest_day_worked"
    assert day(r, 5).worked_minutes == 540
    assert day(r, 6).status == "leave"
    assert day(r, 6).breaches == ()
    s = summarise(r)
    assert s.rest_days_worked == 1
    assert s.leave_days == {"annual": 1, "sick": 1}
    assert s.absences == 0
    assert s.working_days == 1


def test_monthly_escalation_from_fourth_lateness() -> None:
    cells = {f"d{i}": EARLY for i in range(5, 10)}
    punches = []
    for i in range(5, 10):
        punches += [punch("in", at(i, 8, 40)), punch("out", at(i, 17, 30))]
    r = run(plans(**cells), punches)
    lates = [day(r, i).breaches[0] for i in range(5, 10)]
    assert [b.deduction for b in lates] == [20, 20, 20, 40, 40]
    assert [b.escalated for b in lates] == [False, False, False, True, True]
    assert "x2" in lates[3].rule
    assert summarise(r).total_deduction == 140


def test_a_lateness_charged_as_absence_does_not_count_toward_the_escalation() -> None:
    """Three latenesses of 31 min (each half a day's absence), then one of 10: the month's
    summary counts one lateness, so the 10 minutes are not "lateness no. 4"."""
    cells = {f"d{i}": EARLY for i in range(5, 9)}
    punches = []
    for i, (hh, mm) in zip(range(5, 9), ((9, 1), (9, 1), (9, 1), (8, 40)), strict=True):
        punches += [punch("in", at(i, hh, mm)), punch("out", at(i, 17, 30))]
    r = run(plans(**cells), punches)
    ten = day(r, 8).breaches[0]
    assert (ten.minutes, ten.deduction, ten.escalated) == (10, 20, False)
    assert summarise(r).late_count == 1


def test_dst_end_in_berlin() -> None:
    # 25 October 2026: clocks go back at 03:00 CEST to 02:00 CET; the day has 25 hours.
    berlin = "Europe/Berlin"
    night = ShiftPlan("night", "Night", 0, 480)  # 00:00-08:00 local, 9 real hours that day
    start = local_instant(dt.date(2026, 10, 25), 0, berlin)
    end = local_instant(dt.date(2026, 10, 25), 480, berlin)
    assert end - start == dt.timedelta(hours=9)
    p = {
        dt.date(2026, 10, 25): DayPlan(dt.date(2026, 10, 25), shift=night),
        dt.date(2026, 10, 26): DayPlan(dt.date(2026, 10, 26), shift=EARLY),
    }
    r = run(
        p,
        [
            punch("in", at(25, 0, 0, berlin)),
            punch("out", at(25, 8, 0, berlin)),
            punch("in", at(26, 8, 30, berlin)),
            punch("out", at(26, 17, 30, berlin)),
        ],
        zone=berlin,
    )
    assert day(r, 25).status == "on_time"
    assert day(r, 25).worked_minutes == 540
    assert day(r, 26).status == "on_time"
    assert day(r, 26).scheduled_start == dt.datetime(2026, 10, 26, 7, 30, tzinfo=dt.UTC)


def test_dst_start_in_berlin_late_shift() -> None:
    # 29 March 2026: 02:00 -> 03:00. An early shift at 08:30 CEST is 06:30 UTC.
    berlin = "Europe/Berlin"
    d = dt.date(2026, 3, 29)
    p = {d: DayPlan(d, shift=EARLY)}
    punches = [
        punch("in", dt.datetime(2026, 3, 29, 6, 40, tzinfo=dt.UTC)),
        punch("out", dt.datetime(2026, 3, 29, 15, 30, tzinfo=dt.UTC)),
    ]
    r = derive_month(d, p, punches, berlin, DEFAULT_POLICY, AS_OF)
    assert r[28].late_minutes == 10
    assert r[28].status == "late"


def test_corrections_replace_and_void() -> None:
    wrong = punch("in", at(5, 9, 30))
    fixed = punch("in", at(5, 8, 30), kind="correction", corrects_id=wrong.id)
    stray = punch("out", at(5, 12, 0))
    voided = punch("out", at(5, 12, 0), kind="void", corrects_id=stray.id)
    out = punch("out", at(5, 17, 30))
    r = run(plans(d5=EARLY), [wrong, fixed, stray, voided, out])
    assert day(r, 5).status == "on_time"
    assert set(day(r, 5).punch_ids) == {fixed.id, out.id}


def test_pending_shift_is_not_absent_and_repeatable() -> None:
    p = plans(d5=EARLY)
    early_as_of = at(5, 12, 0)
    r = derive_month(MONTH, p, [], SH, DEFAULT_POLICY, early_as_of)
    assert day(r, 5).status == "pending"
    punches = [punch("in", at(5, 8, 50)), punch("out", at(5, 17, 30))]
    assert run(p, punches) == run(p, list(reversed(punches)))


def test_policy_validation() -> None:
    policy = policy_from_document({"grace_minutes": 10, "escalate_from_lateness": 3})
    assert policy.grace_minutes == 10
    with pytest.raises(ValidationFailedError):
        policy_from_document({"grace_minutes": -1})
    with pytest.raises(ValidationFailedError):
        policy_from_document({"late_tiers": [{"up_to_minutes": 30}, {"up_to_minutes": 15}]})
    with pytest.raises(ValidationFailedError):
        policy_from_document({"late_tiers": [{"up_to_minutes": 30}]})
    with pytest.raises(ValidationFailedError):
        policy_from_document({"bogus": 1})
    assert policy_from_document(DEFAULT_POLICY.to_document()) == DEFAULT_POLICY


def test_a_policy_pricing_absence_at_zero_caps_days_but_waives_no_lateness() -> None:
    from scheduler.attendance.derive import Breach, _cap_to_absence

    late = Breach("late", 180, "late tier 4", 0.0, 1.0, as_absence=True)
    early = Breach("early_leave", 180, "early tier 4", 0.0, 1.0, as_absence=True)
    small = Breach("missing_punch", 0, "missing clock-out", 30.0)
    capped = _cap_to_absence([late, early, small], 1.0, 0.0)
    assert sum(b.absence_days for b in capped) == 1.0  # one shift, one day at most
    assert capped[2].deduction == 30.0  # nothing priced is waived because absence costs 0
    assert "capped" in capped[1].rule


def test_a_double_tap_on_a_rest_day_worked_keeps_the_days_minutes() -> None:
    import datetime as dt

    from scheduler.attendance.derive import PunchFact, _worked

    at = dt.datetime(2026, 10, 4, 9, 0, tzinfo=dt.UTC)
    taps = [
        PunchFact(1, "in", at),
        PunchFact(2, "out", at + dt.timedelta(seconds=30)),  # the device read the badge twice
        PunchFact(3, "out", at + dt.timedelta(hours=8)),
    ]
    assert _worked(taps) == 480
    lunch = [*taps[:1], PunchFact(4, "out", at + dt.timedelta(hours=3))]
    lunch += [PunchFact(5, "in", at + dt.timedelta(hours=4)), taps[2]]
    assert _worked(lunch) == 420  # a real break still splits the day
