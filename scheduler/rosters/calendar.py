"""The department's calendar: statutory holidays, make-up working days, company days.

Statutory holidays and make-up working days (调休) come from the ``holidays`` library for the
department's country (China by default), which tracks each year's official announcements;
the company adds its own days on top (an anniversary off, a statutory holiday it works as usual).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import holidays
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.errors import ConflictError, NotFoundError, ValidationFailedError
from scheduler.org.models import Department
from scheduler.rosters.models import CalendarDay

WEEKEND = frozenset({5, 6})


@dataclass(frozen=True, slots=True)
class DepartmentCalendar:
    """Resolved days of a date range."""

    holidays: dict[dt.date, str] = field(default_factory=dict)
    makeup_workdays: frozenset[dt.date] = frozenset()

    def is_weekend(self, day: dt.date) -> bool:
        """A Saturday or Sunday that is not a make-up working day."""
        return day.weekday() in WEEKEND and day not in self.makeup_workdays

    def is_holiday(self, day: dt.date) -> bool:
        """A statutory (or company) holiday."""
        return day in self.holidays

    def kind(self, day: dt.date) -> str:
        """holiday, weekend or weekday: which demand row applies."""
        if self.is_holiday(day):
            return "holiday"
        return "weekend" if self.is_weekend(day) else "weekday"


def statutory(
    country: str, start: dt.date, end: dt.date
) -> tuple[dict[dt.date, str], set[dt.date]]:
    """The country's holidays and make-up working days between two dates (inclusive)."""
    try:
        calendar = holidays.country_holidays(country, years=range(start.year, end.year + 1))
    except NotImplementedError as exc:
        raise ValidationFailedError(
            f"no statutory calendar is known for country {country!r}",
            errors=[
                {"field": "country", "message": "use an ISO 3166 code the holidays library knows"}
            ],
        ) from exc
    days = {d: str(name) for d, name in calendar.items() if start <= d <= end}
    workdays = {d for d in getattr(calendar, "weekend_workdays", set()) if start <= d <= end}
    return days, workdays


@functools.lru_cache(maxsize=256)
def _has_makeup_days(country: str, year: int) -> bool:
    try:
        calendar = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        return False
    # The library's set also holds a few days of other years: only this year's count.
    return any(d.year == year for d in getattr(calendar, "weekend_workdays", set()))


def provisional_years(country: str, years: Iterable[int]) -> list[int]:
    """Years whose statutory calendar is still an estimate in the ``holidays`` data.

    China announces each year's holidays and make-up working days (调休) only in the November
    before; until the library has that notice, it computes the holidays by rule and knows no
    make-up day. A year without any, of a country that had some in the ten years before, is
    such an estimate: a roster of it may rest people on days the State Council makes working
    days. Never true of a country that does not move working days.
    """
    return [
        y
        for y in years
        if not _has_makeup_days(country, y)
        and any(_has_makeup_days(country, y - k) for k in range(1, 11))
    ]


async def provisional_notice(
    session: AsyncSession, department: Department, start: dt.date, end: dt.date
) -> str | None:
    """What a manager must be told when the month's national calendar is an estimate.

    Once the company has entered any make-up working day of the year itself, it has read the
    official notice: nothing to say.
    """
    years = provisional_years(department.country, range(start.year, end.year + 1))
    unsure = []
    for year in years:
        entered = await session.scalar(
            select(CalendarDay.id)
            .where(
                CalendarDay.department_id == department.id,
                CalendarDay.kind == "workday",
                CalendarDay.date >= dt.date(year, 1, 1),
                CalendarDay.date <= dt.date(year, 12, 31),
            )
            .limit(1)
        )
        if entered is None:
            unsure.append(str(year))
    if not unsure:
        return None
    listed = ", ".join(unsure)
    return (
        f"the official holiday schedule of {listed} (statutory holidays and make-up working days, "
        f"调休) is not yet in this installation's national calendar: its holidays are estimated "
        f"and it has no make-up working day; enter the official days at "
        f"POST /departments/{department.id}/calendar-days (kind holiday, workday or not_holiday)"
    )


async def resolve(
    session: AsyncSession,
    department: Department,
    start: dt.date,
    end: dt.date,
    *,
    statutory_holidays: bool = True,
) -> DepartmentCalendar:
    """The calendar the roster of ``department`` follows between ``start`` and ``end``."""
    days, workdays = (
        statutory(department.country, start, end) if statutory_holidays else ({}, set())
    )
    stmt = select(CalendarDay).where(
        CalendarDay.department_id == department.id,
        CalendarDay.date >= start,
        CalendarDay.date <= end,
    )
    for row in (await session.scalars(stmt)).all():
        if row.kind == "holiday":
            days[row.date] = row.name
            workdays.discard(row.date)
        elif row.kind == "workday":
            workdays.add(row.date)
            days.pop(row.date, None)
        elif row.kind == "not_holiday":
            days.pop(row.date, None)
    return DepartmentCalendar(holidays=days, makeup_workdays=frozenset(workdays))


async def list_company_days(session: AsyncSession, department_id: int) -> list[CalendarDay]:
    """The department's own calendar entries, by date."""
    stmt = (
        select(CalendarDay)
        .where(CalendarDay.department_id == department_id)
        .order_by(CalendarDay.date)
    )
    return list((await session.scalars(stmt)).all())


async def add_company_day(
    session: AsyncSession,
    actor: Principal,
    department: Department,
    day: dt.date,
    kind: str,
    name: str,
) -> CalendarDay:
    """Add a company-specific day (the department's manager or admin)."""
    actor.require(actor.can_manage_department(department.id), "change this department's calendar")
    if kind not in ("holiday", "workday", "not_holiday"):
        raise ValidationFailedError(
            f"unknown kind {kind!r}",
            errors=[{"field": "kind", "message": "holiday, workday or not_holiday"}],
        )
    clash = await session.scalar(
        select(CalendarDay.id).where(
            CalendarDay.department_id == department.id, CalendarDay.date == day
        )
    )
    if clash:
        raise ConflictError(f"{day.isoformat()} already has a company calendar entry", field="date")
    row = CalendarDay(department_id=department.id, date=day, kind=kind, name=name)
    session.add(row)
    await session.commit()
    return row


async def remove_company_day(
    session: AsyncSession, actor: Principal, department: Department, day: dt.date
) -> None:
    """Remove a company-specific day."""
    actor.require(actor.can_manage_department(department.id), "change this department's calendar")
    row = await session.scalar(
        select(CalendarDay).where(
            CalendarDay.department_id == department.id, CalendarDay.date == day
        )
    )
    if row is None:
        raise NotFoundError(f"no company calendar entry on {day.isoformat()}")
    await session.delete(row)
    await session.commit()
