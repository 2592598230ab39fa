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

    Someone whose 12 days overlap the horizon is flagged a trainee; ``trainee_until`` says on
    which days (a new hire of 25 November is experienced from 7 December, and a leave on 9
    December must not report them "without an experienced colleague").
    """
    flags = set(e.flags or [])
    if e.hire_date <= end and onboarding_until(e) >= start:
        flags.add(TRAINEE)
    return frozenset(flags)


def trainee_until(e: Employee, start: dt.date, end: dt.date) -> dt.date | None:
    """The last day of ``start``..``end`` the person is a trainee, when it ends inside it.

    None: a trainee all the horizon (the flag a manager set by hand stays until taken off, and
    onboarding running past ``end``), or not a trainee at all.
    """
    if TRAINEE in (e.flags or []) or not (e.hire_date <= end and onboarding_until(e) >= start):
        return None
    last = onboarding_until(e)
    return last if last < end else None
