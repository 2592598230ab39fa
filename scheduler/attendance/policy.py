"""The penalty policy: what each breach costs, per department, versioned by month.

DOMAIN.md leaves the grace minutes and tiers to the company and asks for a sensible default
that records every breach with the rule behind it, so HR can apply its own payroll rules. The
policy is a plain frozen value (validated when set, read back from a JSON document), and the
functions here turn one breach into a :class:`Penalty` that names its rule.

Deductions are whole numbers in whatever unit the company's payroll uses (yuan, review points):
the policy names it (``deduction_unit``, "points" unless the company says otherwise) so an export
never shows a bare figure. Tiers may instead count the breach as a fraction of a day's absence,
priced at ``absence_deduction`` per day. Whatever the tiers say, one shift never costs more than
not showing up for it (see ``derive._judge_shift``): a no-show is the worst a shift can be.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache, partial
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.errors import ValidationFailedError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Tier:
    """Lateness (or early leave) of at most ``up_to_minutes`` (None: any longer) costs this."""

    up_to_minutes: int | None
    deduction: int = 0
    absence_days: float = 0.0


@dataclass(frozen=True, slots=True)
class Policy:
    """One version of a department's penalty rules (defaults are DOMAIN.md's example)."""

    grace_minutes: int = 5
    late_tiers: tuple[Tier, ...] = (
        Tier(15, deduction=20),
        Tier(30, deduction=50),
        Tier(120, absence_days=0.5),
        Tier(None, absence_days=1.0),
    )
    early_tiers: tuple[Tier, ...] = (
        Tier(15, deduction=20),
        Tier(30, deduction=50),
        Tier(120, absence_days=0.5),
        Tier(None, absence_days=1.0),
    )
    absence_deduction: int = 200
    missing_punch_deduction: int = 30
    escalate_from_lateness: int = 4
    escalation_factor: float = 2.0
    # Overtime shorter than this past the shift's end is not counted. 0 by default: DOMAIN.md
    # makes every minute the late shift runs past 24:00 overtime, and the product records what
    # it derives; a company that does not pay a few minutes of slack at the clock sets its own
    # threshold (30 is common), which then applies to every shift.
    overtime_min_minutes: int = 0
    correction_window_days: int = 7
    #: What deductions are counted in, as payroll reads them ("points", "CNY", "元"...).
    deduction_unit: str = "points"
    # Left out of the hash, so a policy can key the cache of tier penalties.
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_document(self) -> dict[str, Any]:
        """The JSON document stored for this version."""
        doc = asdict(self)
        doc.pop("extra")
        doc["late_tiers"] = list(doc["late_tiers"])
        doc["early_tiers"] = list(doc["early_tiers"])
        return doc


DEFAULT_POLICY = Policy()


@dataclass(frozen=True, slots=True)
class Penalty:
    """What one breach costs, and the rule that said so (shown to HR as is)."""

    rule: str
    deduction: float
    absence_days: float = 0.0
    escalated: bool = False


#: The highest deduction a tier may name (as ``absence_deduction``): a price, not an overflow.
MAX_DEDUCTION = 1_000_000
#: The longest name of a deduction unit (a column's label, not a text).
MAX_UNIT_LENGTH = 20


def _int(doc: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = doc.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValidationFailedError(
            f"{name} must be a whole number from {low} to {high}",
            errors=[{"field": name, "message": f"expected an integer in [{low}, {high}]"}],
        )
    return value


def _tiers(doc: dict[str, Any], name: str, default: tuple[Tier, ...]) -> tuple[Tier, ...]:
    raw = doc.get(name)
    if raw is None:
        return default
    where = {"field": name}
    if not isinstance(raw, list):
        raise ValidationFailedError(
            f"{name} must be a list of tiers", errors=[{**where, "message": "expected a list"}]
        )
    if not raw:
        # Every breach beyond the grace is priced by a tier (tier_penalty), so no tier at all
        # would leave lateness without a price; "no penalty" is one open tier costing 0.
        raise ValidationFailedError(
            f"{name} needs at least one tier, the last open-ended (up_to_minutes null); for no "
            "penalty send one open tier costing nothing",
            errors=[{**where, "message": "at least one tier, the last open-ended"}],
        )
    tiers: list[Tier] = []
    previous = 0
    for i, item in enumerate(raw):
        field_name = f"{name}[{i}]"
        if not isinstance(item, dict) or set(item) - {"up_to_minutes", "deduction", "absence_days"}:
            raise ValidationFailedError(
                f"{field_name}: expected up_to_minutes, deduction, absence_days",
                errors=[{"field": field_name, "message": "unknown or missing fields"}],
            )
        up_to = item.get("up_to_minutes")
        deduction = item.get("deduction", 0)
        absence = item.get("absence_days", 0)
        last = i == len(raw) - 1
        ok = (
            (up_to is None and last)
            or (isinstance(up_to, int) and not isinstance(up_to, bool) and up_to > previous)
        ) and (
            # Whole numbers, as absence_deduction: a fraction (12.5) would otherwise be cut to
            # 12 without a word, and the policy shown would not be the one applied.
            isinstance(deduction, int)
            and not isinstance(deduction, bool)
            and 0 <= deduction <= MAX_DEDUCTION
            and isinstance(absence, int | float)
            and not isinstance(absence, bool)
            and 0 <= absence <= 1
        )
        if not ok:
            raise ValidationFailedError(
                f"{field_name}: tiers rise strictly, only the last may be open (null), "
                f"deductions are whole numbers from 0 to {MAX_DEDUCTION} and absence_days "
                "within [0, 1]",
                errors=[{"field": field_name, "message": "invalid tier"}],
            )
        tiers.append(Tier(up_to, deduction, float(absence)))
        previous = up_to if isinstance(up_to, int) else previous
    if tiers[-1].up_to_minutes is not None:
        raise ValidationFailedError(
            f"{name}: the last tier must be open-ended (up_to_minutes null)",
            errors=[{"field": name, "message": "last tier needs up_to_minutes: null"}],
        )
    return tuple(tiers)


KNOWN_FIELDS = frozenset(Policy.__dataclass_fields__) - {"extra"}


def _check_reachable(grace: int, name: str, tiers: tuple[Tier, ...], *, sent: bool) -> None:
    """Refuse a tier the grace period makes unreachable.

    Lateness within the grace is no breach at all, and a breach is priced by its whole minutes
    (derive.py), so a tier ending at or below ``grace_minutes`` can never apply: a policy
    showing it would promise HR a penalty that is never charged. The error names the tier if
    the client sent the tiers, else ``grace_minutes`` (the default tiers were not theirs).
    """
    for i, tier in enumerate(tiers):
        if tier.up_to_minutes is not None and tier.up_to_minutes <= grace:
            field_name = f"{name}[{i}].up_to_minutes" if sent else "grace_minutes"
            raise ValidationFailedError(
                f"{field_name}: {name} tier {i + 1} (up to {tier.up_to_minutes} min) can never "
                f"apply, since lateness within grace_minutes ({grace}) is no breach; let every "
                f"tier end above {grace} minutes or shorten the grace period",
                errors=[
                    {
                        "field": field_name,
                        "message": f"tier {i + 1} ends within the grace period of {grace} min",
                    }
                ],
            )


def policy_from_document(doc: dict[str, Any]) -> Policy:
    """Validate a policy document (missing fields take the default), or a 422 naming the fields.

    Every field is checked, so one answer names every bad field, as the roster settings do:
    an unknown key (a typo) is one more bad field, not a reason to stop looking. A number
    beyond float range arrives as +/- infinity (the API decodes ``1e400`` so, see
    ``api.routes.attendance``) and fails the range check of its field like any other.
    """
    d = DEFAULT_POLICY
    failed: list[ValidationFailedError] = []
    unknown = sorted(set(doc) - KNOWN_FIELDS)
    if unknown:
        failed.append(
            ValidationFailedError(
                f"unknown policy fields: {', '.join(unknown)}",
                errors=[{"field": u, "message": "unknown field"} for u in unknown],
            )
        )

    def checked(check: Callable[[], T], default: T) -> T:
        try:
            return check()
        except ValidationFailedError as exc:
            failed.append(exc)
            return default

    def factor() -> float:
        value = doc.get("escalation_factor", d.escalation_factor)
        if not isinstance(value, int | float) or isinstance(value, bool) or not 1 <= value <= 10:
            raise ValidationFailedError(
                "escalation_factor must be from 1 to 10",
                errors=[{"field": "escalation_factor", "message": "expected a number in [1, 10]"}],
            )
        return float(value)

    def whole(name: str, default: int, low: int, high: int) -> int:
        return checked(partial(_int, doc, name, default, low, high), default)

    def unit() -> str:
        value = doc.get("deduction_unit", d.deduction_unit)
        text = value.strip() if isinstance(value, str) else ""
        if not 1 <= len(text) <= MAX_UNIT_LENGTH:
            raise ValidationFailedError(
                f"deduction_unit must be a name of 1 to {MAX_UNIT_LENGTH} characters "
                '(e.g. "points", "CNY")',
                errors=[{"field": "deduction_unit", "message": "expected a short text"}],
            )
        return text

    escalation = checked(factor, d.escalation_factor)
    grace = whole("grace_minutes", d.grace_minutes, 0, 120)
    late_tiers = checked(partial(_tiers, doc, "late_tiers", d.late_tiers), d.late_tiers)
    early_tiers = checked(partial(_tiers, doc, "early_tiers", d.early_tiers), d.early_tiers)
    policy = Policy(
        grace_minutes=grace,
        late_tiers=late_tiers,
        early_tiers=early_tiers,
        absence_deduction=whole("absence_deduction", d.absence_deduction, 0, 1_000_000),
        missing_punch_deduction=whole(
            "missing_punch_deduction", d.missing_punch_deduction, 0, 1_000_000
        ),
        escalate_from_lateness=whole("escalate_from_lateness", d.escalate_from_lateness, 1, 1000),
        escalation_factor=escalation,
        overtime_min_minutes=whole("overtime_min_minutes", d.overtime_min_minutes, 0, 600),
        correction_window_days=whole("correction_window_days", d.correction_window_days, 0, 366),
        deduction_unit=checked(unit, d.deduction_unit),
    )
    if not failed:  # reachability only means something once grace and tiers are valid
        for name, tiers in (("late_tiers", late_tiers), ("early_tiers", early_tiers)):
            checked(partial(_check_reachable, grace, name, tiers, sent=name in doc), None)
    if failed:
        raise ValidationFailedError(
            "; ".join(exc.detail for exc in failed),
            errors=[error for exc in failed for error in exc.errors],
        )
    return policy


def _tier_label(tiers: tuple[Tier, ...], index: int) -> str:
    low = tiers[index - 1].up_to_minutes if index else None
    high = tiers[index].up_to_minutes
    if high is None:
        return f"over {low} min"
    return f"{low}–{high} min" if low is not None else f"up to {high} min"


@lru_cache(maxsize=4096)  # a month judges ~100 000 shifts with a handful of distinct answers
def tier_penalty(policy: Policy, kind: str, minutes: int, *, escalated: bool = False) -> Penalty:
    """The penalty of a lateness or early leave of ``minutes`` (beyond the grace, by the tiers).

    ``kind`` is ``late`` or ``early_leave``. An escalated lateness (the n-th of the month and
    later) multiplies the tier's own deduction by the policy's factor, but not the absence a
    tier counts the lateness as: absence is priced per day (``absence_deduction``) however it
    came about, so 180 minutes late on the 4th lateness is one day's absence (200), not twice
    that, which would cost more than not coming at all. Nor does escalation lift a deduction
    above ``absence_deduction`` (a tier with both a deduction and absence); it never lowers one.
    """
    tiers = policy.late_tiers if kind == "late" else policy.early_tiers
    index = next(
        i for i, t in enumerate(tiers) if t.up_to_minutes is None or minutes <= t.up_to_minutes
    )
    tier = tiers[index]
    absence = tier.absence_days * policy.absence_deduction
    deduction = tier.deduction + absence
    rule = f"{kind} tier {index + 1} ({_tier_label(tiers, index)})"
    if tier.absence_days:
        rule += f": counts as {tier.absence_days:g} day's absence"
    if escalated:
        escalated_deduction = tier.deduction * policy.escalation_factor + absence
        deduction = max(deduction, min(escalated_deduction, policy.absence_deduction))
        rule += (
            f"; x{policy.escalation_factor:g} from lateness no. {policy.escalate_from_lateness}"
            " of the month"
        )
        if tier.absence_days:
            rule += " (on the tier's deduction, not on absence)"
        if escalated_deduction > deduction == policy.absence_deduction:
            rule += f", at most an absence ({policy.absence_deduction:g})"
    return Penalty(
        rule=rule,
        deduction=round(deduction, 2),
        absence_days=tier.absence_days,
        escalated=escalated,
    )


def absence_penalty(policy: Policy) -> Penalty:
    """Absence without leave (旷工) for one scheduled shift."""
    return Penalty(
        rule="absent without leave: 1 day", deduction=policy.absence_deduction, absence_days=1.0
    )


def missing_punch_penalty(policy: Policy, which: str) -> Penalty:
    """A shift with only its clock-in or only its clock-out."""
    return Penalty(rule=f"missing clock-{which}", deduction=policy.missing_punch_deduction)


# ------------------------------------------------------------------ stored versions


def earliest_effective_from(today: dt.date) -> dt.date:
    """The first day a new version may take effect: today on a month's first, else next month's.

    A month is judged by one policy, the one in force on its first day (:func:`policy_for_month`),
    and attendance is derived on read. So a version starting in the current month would re-judge
    its days already past (saved on 27 November, from 1 November, it reprices the lateness of
    1-26 November that staff and HR have already seen). Only a month with no past day may get one.
    """
    if today.day == 1:
        return today
    return (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def check_effective_from(value: dt.date, today: dt.date | None = None) -> None:
    """Policies take effect from the first day of a month (a month is judged by one policy).

    With ``today`` (on the department's wall clock), also never before
    :func:`earliest_effective_from`: a change applies to days to come, not to days judged.
    """
    if value.day != 1:
        raise ValidationFailedError(
            "effective_from must be the first day of a month",
            errors=[{"field": "effective_from", "message": "expected YYYY-MM-01"}],
        )
    if today is not None and value < (earliest := earliest_effective_from(today)):
        raise ValidationFailedError(
            f"a new policy can apply from {earliest.isoformat()} on, not from "
            f"{value.isoformat()}: a month is judged by one policy, and days already past keep "
            "the policy that judged them",
            errors=[
                {
                    "field": "effective_from",
                    "message": f"{earliest.isoformat()} or a later first of a month",
                }
            ],
            earliest=earliest.isoformat(),
        )


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """Which stored version judged a month: from when, which revision (None: the defaults).

    Exports name it beside their figures, so HR can tell which rules produced a deduction.
    """

    id: int | None = None
    effective_from: dt.date | None = None
    revision: int | None = None


#: The version of the shipped defaults (no stored row).
DEFAULT_VERSION = PolicyVersion()


async def policy_version_for_month(
    session: AsyncSession, department_id: int, month: dt.date
) -> tuple[Policy, PolicyVersion]:
    """The policy in force on the month's first day and the version it is (empty: the default)."""
    from scheduler.attendance.models import AttendancePolicy

    row = await session.scalar(
        select(AttendancePolicy)
        .where(
            AttendancePolicy.department_id == department_id,
            AttendancePolicy.effective_from <= month.replace(day=1),
        )
        .order_by(AttendancePolicy.effective_from.desc(), AttendancePolicy.revision.desc())
        .limit(1)
    )
    if row is None:
        return DEFAULT_POLICY, DEFAULT_VERSION
    version = PolicyVersion(row.id, row.effective_from, row.revision)
    return policy_from_document(row.document), version


async def policy_for_month(
    session: AsyncSession, department_id: int, month: dt.date
) -> tuple[Policy, int | None]:
    """The policy in force on the month's first day and its row id (None for the default)."""
    policy, version = await policy_version_for_month(session, department_id, month)
    return policy, version.id
