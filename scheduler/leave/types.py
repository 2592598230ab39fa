"""Leave types and their rules, with the defaults that ship (DOMAIN.md, seed 004).

Each type says who may file it, how much notice it needs, whether it draws on a balance (annual
leave per year; 调休 from extra days worked), when a medical certificate is needed, and whether
half days are allowed. A department overrides any field of any type through
``leave_type_settings``; the override is merged field by field over the default here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.errors import ValidationFailedError
from scheduler.leave.models import LeaveTypeSetting


@dataclass(frozen=True, slots=True)
class LeaveType:
    """The rules of one leave type."""

    code: str
    name: str
    paid: bool = True
    #: ``annual`` or ``toil`` when days are drawn from a balance; None when not counted.
    balance: str | None = None
    #: Days granted per year when a person has no balance row (annual leave's default).
    default_entitlement: float = 0
    #: Whole days between filing and the first day of leave (personal leave: 1).
    min_notice_days: int = 0
    #: Whether a manager or team lead may file it for someone (sick leave).
    proxy: bool = False
    #: Sick leave of this many working days or more needs a medical certificate (None: never).
    certificate_from_days: float | None = None
    half_days: bool = True
    #: The most working days one request may take (None: no limit).
    max_days: float | None = None
    active: bool = True


DEFAULT_TYPES: dict[str, LeaveType] = {
    t.code: t
    for t in (
        LeaveType("annual", "年假 annual leave", balance="annual", default_entitlement=5),
        LeaveType("sick", "病假 sick leave", proxy=True, certificate_from_days=2),
        LeaveType("personal", "事假 personal leave", paid=False, min_notice_days=1),
        LeaveType("toil", "调休 rest adjustment", balance="toil"),
        LeaveType("marriage", "婚假 marriage leave", half_days=False, max_days=3),
        LeaveType("bereavement", "丧假 bereavement leave", proxy=True, half_days=False, max_days=3),
        LeaveType("maternity", "产假 maternity leave", proxy=True, half_days=False),
        LeaveType("paternity", "陪产假 paternity leave", proxy=True, half_days=False, max_days=15),
        LeaveType("unpaid", "无薪假 unpaid leave", paid=False),
    )
}

#: Fields a department may override, and their types.
OVERRIDABLE = {f.name: f.type for f in dataclasses.fields(LeaveType) if f.name not in ("code",)}


def _check_override(code: str, rules: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    for key, value in rules.items():
        where = f"rules.{key}"
        if key not in OVERRIDABLE:
            errors.append(
                {"field": where, "message": f"unknown rule; known: {', '.join(OVERRIDABLE)}"}
            )
        elif key in ("paid", "proxy", "half_days", "active") and not isinstance(value, bool):
            errors.append({"field": where, "message": "true or false"})
        elif key == "name" and (not isinstance(value, str) or not value.strip()):
            errors.append({"field": where, "message": "a non-empty name"})
        elif key == "balance" and value not in (None, "annual", "toil"):
            errors.append({"field": where, "message": "annual, toil or null"})
        elif key == "min_notice_days" and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 60
        ):
            errors.append({"field": where, "message": "a whole number of days, 0-60"})
        elif key in ("default_entitlement", "certificate_from_days", "max_days") and not (
            (value is None and key != "default_entitlement")
            or (
                isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 366
            )
        ):
            errors.append({"field": where, "message": "a number of days, 0-366"})
    return errors


def merged(code: str, rules: dict[str, Any] | None) -> LeaveType:
    """A default type with a department's overrides applied."""
    base = DEFAULT_TYPES[code]
    return dataclasses.replace(base, **(rules or {})) if rules else base


async def types_of(session: AsyncSession, department_id: int) -> dict[str, LeaveType]:
    """Every leave type of a department, overrides applied."""
    rows = await session.scalars(
        select(LeaveTypeSetting).where(LeaveTypeSetting.department_id == department_id)
    )
    overrides = {r.code: r.rules for r in rows.all()}
    return {code: merged(code, overrides.get(code)) for code in DEFAULT_TYPES}


async def type_of(session: AsyncSession, department_id: int, code: str) -> LeaveType:
    """One type, or a 422 naming the known codes."""
    if code not in DEFAULT_TYPES:
        raise ValidationFailedError(
            f"unknown leave type {code!r}",
            errors=[{"field": "type", "message": f"one of {', '.join(DEFAULT_TYPES)}"}],
        )
    row = await session.get(LeaveTypeSetting, (department_id, code))
    return merged(code, row.rules if row else None)


async def override(
    session: AsyncSession, department_id: int, code: str, rules: dict[str, Any]
) -> LeaveType:
    """Merge ``rules`` into the department's override of a type (the caller checked the right to).

    Only the fields sent change (the API's body is "only the fields it changes"): a manager who
    switched a type off and later changes its ``max_days`` must not switch it back on unseen.
    A field goes back to the default by sending the default's value.
    """
    if code not in DEFAULT_TYPES:
        raise ValidationFailedError(
            f"unknown leave type {code!r}",
            errors=[{"field": "code", "message": f"one of {', '.join(DEFAULT_TYPES)}"}],
        )
    if errors := _check_override(code, rules):
        raise ValidationFailedError("some rules are not valid", errors=errors)
    row = await session.get(LeaveTypeSetting, (department_id, code), with_for_update=True)
    combined = {**(row.rules if row is not None else {}), **rules}
    if row is None:
        session.add(LeaveTypeSetting(department_id=department_id, code=code, rules=combined))
    else:
        row.rules = combined
    await session.commit()
    return merged(code, combined)
