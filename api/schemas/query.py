"""Query parameters shared by list routes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from litestar.params import QueryParameter

from scheduler.db.base import MAX_ID
from scheduler.errors import ValidationFailedError

Limit = Annotated[int, QueryParameter(ge=1, le=500, description="page size (1-500)")]
Offset = Annotated[int, QueryParameter(ge=0, description="rows to skip")]
#: An id in the query string, bounded like the database's ids: a number beyond 64 bits is a 400
#: naming the parameter, not a driver's error at the first query that uses it.
IdParam = Annotated[int, QueryParameter(ge=1, le=MAX_ID)]
#: The same, optional (a filter).
OptionalIdParam = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]


def choice(description: str, values: Sequence[str]) -> Any:
    """Metadata of an enumerated query parameter: its values in the OpenAPI document.

    Litestar does not check ``enum``; the handler does, with :func:`require_one_of`, so an
    unknown value is a 422 that lists the values (a ``Literal`` would answer a bare "invalid enum
    value").
    """
    return QueryParameter(enum=list(values), description=f"{description}: {', '.join(values)}")


def require_one_of(parameter: str, value: str | None, allowed: Iterable[str]) -> None:
    """A filter value outside its list is a 422 naming the parameter and the values it takes.

    Matching nothing instead would answer an empty list, which a client reads as "there are
    none" when it really sent a typo.
    """
    values = list(allowed)
    if value is not None and value not in values:
        raise ValidationFailedError(
            f"unknown {parameter} {value!r}: one of {', '.join(values)}",
            errors=[
                {"field": parameter, "source": "query", "message": f"one of {', '.join(values)}"}
            ],
        )
