"""Wall-clock time of a department: the one place a shift's local times become instants.

Shift times are minutes after a date's local midnight in the department's IANA zone (the late
shift 15:00-24:00 is 900-1440; 1440 and more fall on the next date). Rosters, the calendar feed,
attendance and leave notice all ask the same questions here, so a DST change is handled one way
everywhere: a wall time skipped by the change moves forward (pendulum's rule).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import pendulum

MINUTES_PER_DAY = 1440


@lru_cache(maxsize=4096)
def local_instant(day: dt.date, minute: int, zone: str) -> dt.datetime:
    """The UTC instant of wall-clock ``minute`` after ``day``'s local midnight in ``zone``.

    Cached: every person of a department shares the same few shift times per day.
    """
    extra_days, minute_of_day = divmod(minute, MINUTES_PER_DAY)
    d = day + dt.timedelta(days=extra_days)
    local = pendulum.datetime(
        d.year, d.month, d.day, minute_of_day // 60, minute_of_day % 60, tz=zone
    )
    return dt.datetime.fromtimestamp(local.timestamp(), tz=dt.UTC)


@lru_cache(maxsize=64)
def zone_info(zone: str) -> ZoneInfo:
    """A cached ZoneInfo."""
    return ZoneInfo(zone)


def shift_instants(
    day: dt.date, start_minute: int, end_minute: int, zone: str
) -> tuple[dt.datetime, dt.datetime]:
    """A shift's start and end on ``day`` as aware datetimes in the department's zone.

    15:00-24:00 ends at 00:00 of the next date; across a DST change the shift still starts and
    ends at the wall times on the roster.
    """
    tz = zone_info(zone)
    return local_instant(day, start_minute, zone).astimezone(tz), local_instant(
        day, end_minute, zone
    ).astimezone(tz)


def local_date(at: dt.datetime, zone: str) -> dt.date:
    """The department-local date of an instant."""
    return at.astimezone(zone_info(zone)).date()


def local_today(zone: str) -> dt.date:
    """Today on the department's wall clock."""
    return local_date(dt.datetime.now(dt.UTC), zone)
