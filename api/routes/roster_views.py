"""Reading rosters: the JSON view, diffs, CSV/XLSX downloads, the printable page, /me/shifts, iCal.

Handlers parse, call one function of ``scheduler.rosters.views``/``exports``/``ical`` and shape
the answer; access rules (department roles, HR/GM/admin, agents on published versions only)
live in those functions, not here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import MediaType, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.openapi_extra import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, file_operation
from api.problems import UnprocessableProblem
from api.schemas.query import choice, require_one_of
from api.schemas.roster_views import (
    CalendarLinkOut,
    CellChangeOut,
    DiffOut,
    MyShiftOut,
    RosterViewOut,
)
from scheduler.auth.principal import Principal
from scheduler.errors import ValidationFailedError
from scheduler.handover.service import note_days
from scheduler.rosters import exports, ical, views
from scheduler.rosters.store import month_end, parse_month
from scheduler.settings import Settings

#: Litestar adds ``; charset=utf-8`` to every ``text/`` type itself: naming it here doubled it.
ICS_MEDIA_TYPE = "text/calendar"
EXPORT_FORMATS = ("csv", "xlsx")
ExportFormat = Annotated[str, choice("file format", EXPORT_FORMATS)]
#: Pages and files show who works when: never kept by shared caches.
PRIVATE = {"Cache-Control": "private, no-store"}


def view_out(view: views.RosterView) -> RosterViewOut:
    """The public JSON shape of a view (statuses are properties, so added by hand)."""
    data: dict[str, Any] = {
        f.name: getattr(view, f.name) for f in dataclasses.fields(view) if f.name != "teams"
    }
    data["shift_coverage"] = [{**_fields(c), "status": c.status} for c in view.shift_coverage]
    data["interval_coverage"] = [{**_fields(c), "status": c.status} for c in view.interval_coverage]
    return msgspec.convert(data, RosterViewOut, from_attributes=True)


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


@get(
    "/rosters/{roster_id:int}/versions/{number:int}",
    tags=["rosters"],
    summary="A roster version: grid, coverage, counts, objective breakdown",
    raises=[NotFoundException, PermissionDeniedException],
)
async def get_roster_view(
    roster_id: FromPath[int],
    number: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> RosterViewOut:
    """Department roles, HR, GM and admin read any version; agents only published ones.

    An agent asking for a draft of their department's roster gets 403. Coverage includes the
    15:00-17:30 handover window.
    """
    return view_out(await views.view_version(db_session, principal, roster_id, number))


@get(
    "/rosters/{roster_id:int}/versions/{number:int}/diff",
    tags=["rosters"],
    summary="What changed between two versions",
    raises=[NotFoundException, PermissionDeniedException],
)
async def get_roster_diff(
    roster_id: FromPath[int],
    number: FromPath[int],
    against: Annotated[int, QueryParameter(ge=1, description="the version to compare with")],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> DiffOut:
    """Cells that differ from version ``against`` to version ``number``: who, date, from, to."""
    changes = await views.diff_versions(db_session, principal, roster_id, number, against)
    return DiffOut(
        roster_id=roster_id,
        number=number,
        against=against,
        changes=[msgspec.convert(_fields(c), CellChangeOut) for c in changes],
    )


@get(
    "/rosters/{roster_id:int}/versions/{number:int}/export",
    tags=["rosters"],
    summary="Download a roster version as CSV or XLSX",
    raises=[NotFoundException, PermissionDeniedException, UnprocessableProblem],
    operation_class=file_operation(
        "The roster version as a file: XLSX by default, CSV with format=csv",
        XLSX_MEDIA_TYPE,
        CSV_MEDIA_TYPE,
    ),
)
async def export_roster(
    roster_id: FromPath[int],
    number: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    format: FromQuery[ExportFormat] = "xlsx",
) -> Response[bytes]:
    """CSV (UTF-8 with BOM so Excel reads Chinese) or XLSX (what a manager prints and pins up).

    CSV: one row per person, a column per date, counts at the end. XLSX: one sheet per team,
    coloured by shift with a legend, counts at the side, coverage rows under the grid. Another
    ``format`` is a 422 listing the two.
    """
    require_one_of("format", format, EXPORT_FORMATS)
    view = await views.view_version(db_session, principal, roster_id, number)
    if format == "csv":
        body, media_type = exports.to_csv(view), CSV_MEDIA_TYPE
    else:
        body, media_type = exports.to_xlsx(view), XLSX_MEDIA_TYPE
    name = exports.filename(view, format)
    return Response(
        body,
        media_type=media_type,
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _page(session: AsyncSession, view: views.RosterView) -> Template:
    """The printable grid; the days with a handover note (交接) are marked in the date header."""
    noted: set[dt.date] = set()
    if view.days:
        noted = await note_days(
            session, view.department_id, view.team_id, view.days[0].date, view.days[-1].date
        )
    return Template(
        template_name="roster_page.html",
        context={
            "view": view,
            "handover_days": noted,
            "weekdays": exports.WEEKDAYS_ZH,
            "cell_text": exports.cell_text,
            "handover_gap": views.handover_gap,
            "hhmm": views.hhmm,
        },
        media_type=MediaType.HTML,
        headers=PRIVATE,
    )


@get(
    "/rosters/{roster_id:int}/versions/{number:int}/page",
    tags=["rosters"],
    summary="A roster version as a printable HTML page",
    raises=[NotFoundException, PermissionDeniedException],
    media_type=MediaType.HTML,
)
async def roster_version_page(
    roster_id: FromPath[int],
    number: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    """The month grid for people: opens in a browser after login (the ``rota_token`` cookie)."""
    return await _page(
        db_session, await views.view_version(db_session, principal, roster_id, number)
    )


@get(
    "/rosters/{roster_id:int}/page",
    tags=["rosters"],
    summary="A roster's current version as a printable HTML page",
    raises=[NotFoundException],
    media_type=MediaType.HTML,
)
async def roster_page(
    roster_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    """The published version, else (for department roles) the latest draft."""
    return await _page(db_session, await views.view_current(db_session, principal, roster_id))


@get(
    "/me/shifts",
    tags=["rosters"],
    summary="The signed-in person's published shifts",
    raises=[NotFoundException, UnprocessableProblem],
)
async def my_shifts(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    from_: Annotated[
        dt.date | None, QueryParameter(name="from", description="first date (default today)")
    ] = None,
    to: Annotated[
        dt.date | None, QueryParameter(description="last date, inclusive (default from + 30)")
    ] = None,
    month: Annotated[
        str | None,
        QueryParameter(description="a whole month, YYYY-MM (instead of from and to)"),
    ] = None,
) -> list[MyShiftOut]:
    """Only the caller's own cells, from the roster of record of each month.

    ``month`` gives a calendar month (as the attendance routes take it); with ``from`` or
    ``to`` it is a 422, since the two would disagree.
    """
    if month is not None:
        if from_ is not None or to is not None:
            raise ValidationFailedError(
                "give either month or from/to, not both",
                errors=[{"field": "month", "message": "not together with from/to"}],
            )
        from_ = parse_month(month)
        to = month_end(from_)
    shifts = await views.my_shifts(db_session, principal, from_, to)
    return [msgspec.convert(_fields(s), MyShiftOut) for s in shifts]


@post(
    "/employees/{employee_id:int}/calendar-token",
    tags=["rosters"],
    summary="The calendar feed URL of an employee (rotate=true makes a new one)",
    status_code=200,
    raises=[NotFoundException],
)
async def calendar_token(
    employee_id: FromPath[int],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    settings: NamedDependency[Settings],
    rotate: Annotated[
        bool, QueryParameter(description="replace the token; the old URL stops working")
    ] = False,
) -> CalendarLinkOut:
    """The person themself or their department's manager (or admin); anyone else 404.

    Without ``rotate`` the current URL is returned (made on first use), so asking twice does
    not break a subscription already on a phone.
    """
    token = await ical.calendar_token(db_session, principal, employee_id, rotate=rotate)
    return CalendarLinkOut(
        employee_id=employee_id, url=ical.feed_url(settings.public_url, token), token=token
    )


@get(
    "/calendar/{token:str}",
    tags=["rosters"],
    summary="A person's published shifts as an iCalendar feed (public; the token is the secret)",
    exclude_from_auth=True,
    raises=[NotFoundException],
    media_type=ICS_MEDIA_TYPE,
)
async def calendar_feed(
    token: FromPath[str],
    db_session: NamedDependency[AsyncSession],
) -> Response[bytes]:
    """``/calendar/<token>.ics``: 404 for an unknown or rotated token."""
    body = await ical.feed_for_token(
        db_session, token.removesuffix(".ics"), dt.datetime.now(dt.UTC)
    )
    return Response(
        body,
        media_type=ICS_MEDIA_TYPE,
        headers={**PRIVATE, "Content-Disposition": 'inline; filename="rota.ics"'},
    )


ROUTES = [
    get_roster_view,
    get_roster_diff,
    export_roster,
    roster_version_page,
    roster_page,
    my_shifts,
    calendar_token,
    calendar_feed,
]
