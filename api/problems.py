"""Every error as an RFC 9457 problem+json body, with the request id in it.

Domain errors from ``scheduler`` map onto statuses here and nowhere else. Validation errors say
which field and why. Anything unexpected is logged with its traceback and answered 500 with the
request id, so an operator can find the log line; a 500 is a bug to fix.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    InternalServerException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsPlugin
from litestar.routes import BaseRoute, HTTPRoute
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError

from api.schemas.base import Problem
from scheduler.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    UnavailableError,
    ValidationFailedError,
)

log = structlog.get_logger("rota.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"

_DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFoundError: 404,
    PermissionDeniedError: 403,
    AuthenticationError: 401,
    ConflictError: 409,
    ValidationFailedError: 422,
    RateLimitedError: 429,
    UnavailableError: 503,
}

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def request_id_of(request: Request[Any, Any, Any]) -> str | None:
    """The id the request-id middleware gave this request."""
    value = request.scope.get("state", {}).get("request_id")
    return str(value) if value is not None else None


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    """Build one problem+json response; the single place its shape is decided."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": request_id_of(request),
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")
_AT_PATH = re.compile(r" - at `\$\.?([^`]*)`")


def _validation_errors(extra: Any) -> list[dict[str, Any]]:
    """Name the offending field itself, not just "data", from msgspec's message."""
    errors = []
    for item in extra if isinstance(extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message") or "")
            key = item.get("key")
            if item.get("source") == "body":
                if m := _UNKNOWN_FIELD.search(message) or _MISSING_FIELD.search(message):
                    key = m.group(1)
                    if (at := _AT_PATH.search(message)) and at.group(1) not in ("", "data"):
                        key = f"{at.group(1).removeprefix('data.')}.{key}"
                elif m := _AT_PATH.search(message):
                    key = m.group(1) or key
                    message = _AT_PATH.sub("", message)
            errors.append({"field": key, "source": item.get("source"), "message": message})
    return errors


def _body_shape_error(exc: HTTPException) -> list[dict[str, Any]] | None:
    """The client's error hidden in a 500 Litestar raises while binding a request body.

    When msgspec rejects a body (an array where an object field is declared, say) and Litestar's
    second pass cannot attribute the message to a parameter, Litestar answers 500. The cause
    still names the field; it is the client's mistake, so it is answered 400.
    """
    cause = exc.__cause__
    if not isinstance(exc, InternalServerException) or not isinstance(
        cause, msgspec.ValidationError
    ):
        return None
    message = str(cause)
    field, source = None, None
    if m := _AT_PATH.search(message):
        path = m.group(1)
        if path == "data" or path.startswith("data."):
            field, source = path.removeprefix("data").removeprefix(".") or None, "body"
        else:
            field = path or None
        message = _AT_PATH.sub("", message)
    return [{"field": field, "source": source, "message": message}]


_MISSING_PARAMETER = re.compile(r"Missing required (\w+) parameter '([^']+)'")
_PATH_PARAMETER = re.compile(r"\{(\w+)\}")


def _missing_parameter(detail: str) -> list[dict[str, Any]]:
    """Litestar says "Missing required query parameter 'month' ..." in prose only: list it."""
    return [
        {"field": name, "source": source, "message": "is required"}
        for source, name in _MISSING_PARAMETER.findall(detail)
    ]


def _parses(parser: Any, text: str) -> bool:
    try:
        parser(text)
    except (TypeError, ValueError):
        return False
    return True


def _mistyped_path(request: Request[Any, Any, Any]) -> list[dict[str, Any]] | None:
    """The path parameters that kept an existing route from matching (``/users/abc``).

    Litestar's router matches typed segments only, so a path of the right shape with ``abc``
    where an integer belongs is "no route", which reads as a wrong URL rather than a wrong id.
    A route of the same shape whose only mismatches are unparseable parameters is taken to be
    the one meant, and those parameters are named.
    """
    segments = request.url.path.strip("/").split("/")
    for route in request.app.routes:
        template = route.path_format.strip("/").split("/")
        if len(template) != len(segments) or not route.path_parameters:
            continue
        errors: list[dict[str, Any]] = []
        for part, text in zip(template, segments, strict=True):
            if (m := _PATH_PARAMETER.fullmatch(part)) is None:
                if part != text:
                    break
                continue
            definition = route.path_parameters[m.group(1)]
            if definition.type is not str and not _parses(definition.parser, text):
                kind = getattr(definition.type, "__name__", "value")
                message = {"int": "expected an integer", "date": "expected a date YYYY-MM-DD"}
                errors.append(
                    {
                        "field": definition.name,
                        "source": "path",
                        "message": f"{message.get(kind, f'expected a {kind}')}, got {text!r}",
                    }
                )
        else:
            if errors:
                return errors
    return None


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own errors (validation, 404 route, 405, 401 from the auth middleware...)."""
    status = exc.status_code
    headers = dict(exc.headers or {})
    if (errors := _body_shape_error(exc)) is not None:
        detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors)
        return problem_response(request, 400, detail, errors=errors)
    if status >= 500:
        log.error("server_error", exc_info=exc, path=request.url.path)
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc.extra) or _missing_parameter(str(exc.detail))
        detail = "; ".join(
            f"{e['field']}: {e['message']}" if e["field"] else str(e["message"]) for e in errors
        ) or str(exc.detail)
        return problem_response(request, 400, detail or "invalid request", errors=errors)
    if isinstance(exc, NotFoundException) and exc.detail == "Not Found":
        if mistyped := _mistyped_path(request):
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in mistyped)
            return problem_response(request, 400, detail, errors=mistyped)
        return problem_response(request, 404, f"no route for {request.method} {request.url.path}")
    if status == 429 and "Retry-After" not in headers:
        reset = headers.get("RateLimit-Reset")
        headers["Retry-After"] = reset if reset and reset.isdigit() and int(reset) > 0 else "60"
    detail = str(exc.detail) if exc.detail else _TITLES.get(status, "Error")
    return problem_response(request, status, detail, headers=headers or None)


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """A rule of the business said no; its class picks the status."""
    status = next((s for cls, s in _DOMAIN_STATUS.items() if isinstance(exc, cls)), 400)
    headers = None
    if isinstance(exc, RateLimitedError | UnavailableError) and exc.retry_after is not None:
        headers = {"Retry-After": str(max(1, exc.retry_after))}
    errors = exc.errors
    field = exc.extra.get("field")
    if not errors and isinstance(field, str):
        # One field at fault (a taken staff number, a taken username): the same `errors` list
        # every validation problem has, so a client finds the field in one place.
        errors = [{"field": field, "message": exc.detail}]
    return problem_response(
        request,
        status,
        exc.detail,
        title=exc.title,
        errors=errors,
        headers=headers,
        extra=exc.extra,
    )


def handle_integrity_error(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    """A constraint the service did not pre-check (usually a race): 409, naming the constraint."""
    constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None) or getattr(
        exc.orig, "constraint_name", None
    )
    log.info("integrity_error", constraint=constraint, error=str(exc.orig)[:300])
    detail = "the change clashes with data stored meanwhile"
    if constraint:
        detail += f" (constraint {constraint})"
    return problem_response(request, 409, detail)


def handle_stale_data(request: Request[Any, Any, Any], exc: StaleDataError) -> Response[Any]:
    """Someone else changed the row since it was read: the second writer gets 409."""
    return problem_response(
        request, 409, "the record was changed by someone else meanwhile; reload it and try again"
    )


def _number_out_of_range(request: Request[Any, Any, Any]) -> Response[Any]:
    # Not the driver's own words ("Python int too large to convert to SQLite INTEGER"): they
    # tell the client nothing it can act on, and tell anyone probing which database runs here.
    return problem_response(
        request,
        400,
        "a number in the request is out of range"
        " (identifiers and counts are 64-bit integers, some counts 32-bit)",
    )


def handle_database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """A lost database connection is the database's outage, not a bug: 503, try again.

    The pool has already been invalidated by SQLAlchemy, so the retry gets a fresh connection.
    A number from the request too large for its column (an id of 30 digits in a path) is refused
    by asyncpg before it reaches the server, and PostgreSQL refuses text holding NUL: the
    client's mistakes, 400. Every other driver error is a bug and answered as one.
    """
    cause = exc.orig.__cause__ if exc.orig is not None else None
    if isinstance(cause, asyncpg.exceptions.UndefinedTableError) or "no such table" in str(
        exc.orig
    ):
        # Reachable but not migrated (a new database, a deploy that skipped `rota migrate`):
        # the operator's step, answered like /ready, not as a bug.
        log.error("database_not_migrated", error=str(exc.orig)[:300], path=request.url.path)
        return problem_response(
            request,
            503,
            "the database is not migrated; an operator must run `rota migrate`",
            headers={"Retry-After": "30"},
        )
    if isinstance(cause, asyncpg.exceptions.DataError) and "out of int" in str(cause):
        return _number_out_of_range(request)
    if isinstance(cause, asyncpg.exceptions.CharacterNotInRepertoireError):
        # PostgreSQL text cannot hold U+0000; a NUL in a name, a reason or a search is input.
        return problem_response(
            request, 400, "text in the request contains a character that cannot be stored (NUL)"
        )
    if not exc.connection_invalidated:
        return handle_unexpected(request, exc)
    log.warning("database_connection_lost", error=str(exc.orig)[:300], path=request.url.path)
    return problem_response(
        request,
        503,
        "the connection to the database was lost; send the request again",
        headers={"Retry-After": "1"},
    )


def handle_pool_timeout(request: Request[Any, Any, Any], exc: PoolTimeoutError) -> Response[Any]:
    """Every database connection of this process stayed busy too long: overloaded, not broken."""
    log.warning("database_pool_exhausted", error=str(exc)[:300], path=request.url.path)
    return problem_response(
        request,
        503,
        "the service is overloaded; send the request again",
        headers={"Retry-After": "2"},
    )


def handle_overflow(request: Request[Any, Any, Any], exc: OverflowError) -> Response[Any]:
    """A client's number or date beyond what can be stored or computed with.

    SQLite's driver refuses integers beyond 64 bits with OverflowError; date arithmetic near the
    calendar's end (a day after 9999-12-31) raises it too. The routes bound the dates they know
    of; this answers any other such date as the client's mistake rather than a 500.
    """
    if "too large to convert" in str(exc) or "int too big" in str(exc):
        return _number_out_of_range(request)
    if "date value out of range" in str(exc):
        log.info("date_out_of_range", path=request.url.path)
        return problem_response(
            request, 422, "a date in the request is too far in the past or future"
        )
    return handle_unexpected(request, exc)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A bug: log it with its traceback, answer without internals."""
    log.error("unhandled_exception", exc_info=exc, path=request.url.path)
    return problem_response(
        request, 500, "an unexpected error occurred; quote the request id when reporting it"
    )


#: Handler arguments that are dependencies, not client input (so they cannot fail validation).
_DEPENDENCY_ARGS = frozenset({"principal", "db_session", "settings", "state", "request", "body"})


class _RotaProblemDetailsPlugin(ProblemDetailsPlugin, ReceiveRoutePlugin):
    """Litestar's RFC 9457 plugin, which also makes the OpenAPI document tell the truth.

    Every route that needs a token documents 401 (the JWT middleware can answer it on any of
    them), every route taking client input documents 400, and every documented error has the
    problem+json body and media type it is really answered with.
    """

    def receive_route(self, route: BaseRoute) -> None:
        """Complete the error responses of each handler as its route is registered."""
        if not isinstance(route, HTTPRoute) or route.path.startswith("/schema"):
            return
        for handler in route.route_handlers:
            raises = list(handler.raises or [])
            if not handler.opt.get("exclude_from_auth") and NotAuthorizedException not in raises:
                raises.append(NotAuthorizedException)
            takes_input = bool(set(handler.parsed_fn_signature.parameters) - _DEPENDENCY_ARGS)
            if takes_input and ValidationException not in raises:
                raises.append(ValidationException)
            handler.raises = raises
            responses = dict(handler.responses or {})
            for status in sorted({exc.status_code for exc in raises}):
                responses.setdefault(
                    status,
                    ResponseSpec(
                        data_container=Problem,
                        media_type=PROBLEM_MEDIA_TYPE,
                        description=_TITLES.get(status, "Error"),
                        generate_examples=False,
                    ),
                )
            handler.responses = responses


def problem_details_plugin() -> ProblemDetailsPlugin:
    """Litestar's RFC 9457 plugin, with rota's body shape for every error class."""

    def _plugin_handler(request: Request[Any, Any, Any], exc: Any) -> Response[Any]:
        return handle_http_exception(request, exc)

    return _RotaProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_handler=_plugin_handler, enable_for_all_http_exceptions=False
        )
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    HTTPException: handle_http_exception,
    DomainError: handle_domain_error,
    IntegrityError: handle_integrity_error,
    DBAPIError: handle_database_error,
    PoolTimeoutError: handle_pool_timeout,
    StaleDataError: handle_stale_data,
    OverflowError: handle_overflow,
    Exception: handle_unexpected,
}


class ConflictProblem(HTTPException):
    """Documents 409 in OpenAPI: duplicate key, stale version, race lost."""

    status_code = 409


class UnprocessableProblem(HTTPException):
    """Documents 422 in OpenAPI: well-formed but breaks a business rule."""

    status_code = 422


class TooManyRequestsProblem(HTTPException):
    """Documents 429 in OpenAPI: rate limit; see Retry-After."""

    status_code = 429


class PreconditionProblem(HTTPException):
    """Documents 412/428 in OpenAPI: If-Match missing or stale."""

    status_code = 412


class UnavailableProblem(HTTPException):
    """Documents 503 in OpenAPI: the job queue or database cannot take the request now."""

    status_code = 503
