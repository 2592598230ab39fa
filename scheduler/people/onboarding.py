"""New staff's onboarding: they shadow an experienced agent until they go live.

DOMAIN.md (seed 004, 第五条 培训流程): new staff follow a 12-day onboarding plan and go live after
a test on day 11; until then a trainee is never the only agent on a shift. The ``trainee`` flag
a manager sets by hand covers longer training; the first 12 days from the hire date count as
training whether or not anyone remembered to set it.
"""

from __future__ import annotations

import datetime as dt

from scheduler.people.models import Employee

#: Days of the onboarding plan, the hire date included.
ONBOARDING_DAYS = 12
TRAINEE = "trainee"


def onboarding_until(e: Employee) -> dt.date:
    """The last day of the person's onboarding plan."""
    return e.hire_date + dt.timedelta(days=ONBOARDING_DAYS - 1)


def roster_flags(e: Employee, start: dt.date, end: dt.date) -> frozenset[str]:
    """The person's flags for a roster of ``start``..``end``: a trainee while onboarding.

    The solver's trainee rule holds for the whole horizon, so someone whose 12 days overlap it
    is a trainee for all of it: they may then work only beside an experienced agent, a month's
    small cost against a new hire left alone on a shift.
    """
    flags = set(e.flags or [])
    if e.hire_date <= end and onboarding_until(e) >= start:
        flags.add(TRAINEE)
    return frozenset(flags)
