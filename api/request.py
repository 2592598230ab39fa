"""Client input the database or the JSON decoder would trip over, refused first as a 400.

The request class and the parameter check every route shares; the 400 names the field.

Three kinds of input used to reach a driver or a decoder unchecked and come back as a 500 or as
a 400 naming nothing: a JSON body that is not UTF-8 or nests thousands of levels deep (the
decoder raises ``UnicodeDecodeError`` / ``RecursionError``, which Litestar does not catch); text
holding NUL, which PostgreSQL cannot store (SQLite stores it, so the two backends disagreed);
and an integer beyond 64 bits in a path, which the driver refuses at the first query ("a number
in the request is out of range", no field). Each is now a validation problem with an ``errors`` list
naming the body field, path parameter or query parameter, like every other validation error.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import SerializationException, ValidationException

from scheduler.db.base import MAX_ID

#: The smallest integer a 64-bit signed column holds.
MIN_INT = -MAX_ID - 1
NUL_MESSAGE = "must not contain the NUL character (U+0000)"
RANGE_MESSAGE = f"is out of range: a whole number from {MIN_INT} to {MAX_ID}"


def _problem(errors: list[dict[str, Any]]) -> ValidationException:
    """One validation problem listing each field (``key``/``source``/``message``, as Litestar's)."""
    detail = "; ".join(f"{e['key']}: {e['message']}" for e in errors)
    return ValidationException(detail, extra=errors)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def bad_body_values(value: Any) -> list[dict[str, Any]]:
    """Every string (or key) holding NUL in a decoded JSON body, by path.

    Integers are left to each field's declared bounds (ids are ``Id``: 400 naming the field).

    Iterative, so a body that is deep but within the decoder's limit costs no recursion.
    """
    errors: list[dict[str, Any]] = []
    stack: list[tuple[str, Any]] = [("", value)]
    while stack and len(errors) < 20:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                errors.append({"key": path or "body", "source": "body", "message": NUL_MESSAGE})
        elif isinstance(item, dict):
            for key, sub in item.items():
                where = _join(path, str(key))
                if "\x00" in str(key):
                    errors.append({"key": where, "source": "body", "message": NUL_MESSAGE})
                stack.append((where, sub))
        elif isinstance(item, list):
            stack.extend((_join(path, i), sub) for i, sub in enumerate(item))
    errors.sort(key=lambda e: str(e["key"]))
    return errors


def body_decode_problem(exc: BaseException) -> ValidationException:
    """The body could not be read as JSON at all: say so, as an error of the field ``body``."""
    if isinstance(exc, UnicodeDecodeError):
        message = "is not UTF-8 text"
    elif isinstance(exc, RecursionError):
        message = "nests arrays or objects too deeply"
    else:
        message = f"is not valid JSON ({exc})"
    return _problem([{"key": "body", "source": "body", "message": message}])


class RotaRequest(Request[Any, Any, Any]):
    """Litestar's request, whose ``json()`` refuses unreadable bodies and unstorable values.

    Litestar answers a malformed body 400 without naming the body, and lets the decoder's
    ``UnicodeDecodeError`` (bytes that are not UTF-8) and ``RecursionError`` (``[[[[...``)
    escape as 500s. Both become a 400 naming ``body``; a decoded body holding NUL is a 400
    naming each such field (see the module docstring).
    """

    async def json(self) -> Any:
        """The decoded body, checked; subclasses change only :meth:`decode_json`."""
        try:
            value = await self.decode_json()
        except (
            SerializationException,
            msgspec.DecodeError,
            UnicodeDecodeError,
            RecursionError,
        ) as exc:
            raise body_decode_problem(exc) from exc
        if errors := bad_body_values(value):
            raise _problem(errors)
        return value

    async def decode_json(self) -> Any:
        """How the body's bytes become a value (Litestar's decoder, cached per request)."""
        return await super().json()


async def check_parameters(request: Request[Any, Any, Any]) -> None:
    """Before any handler: path integers beyond 64 bits and NUL in path or query text are 400s.

    Each names its parameter, where the driver's error would name nothing (or, for NUL on
    SQLite, store it).
    """
    errors: list[dict[str, Any]] = []
    for name, value in request.path_params.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and not MIN_INT <= value <= MAX_ID:
            errors.append({"key": name, "source": "path", "message": RANGE_MESSAGE})
        elif isinstance(value, str) and "\x00" in value:
            errors.append({"key": name, "source": "path", "message": NUL_MESSAGE})
    for name, text in request.query_params.multi_items():
        if "\x00" in name or "\x00" in text:
            errors.append({"key": name, "source": "query", "message": NUL_MESSAGE})
    if errors:
        raise _problem(errors)
