"""OpenAPI for routes whose body, or answer, is a file rather than JSON of a declared type.

Litestar documents a handler by its return annotation and the route's one ``media_type``. A
streamed export (``Stream``) came out as ``application/json`` with no schema, and an export
that answers CSV or XLSX by ``format`` showed only one of them, so a generated client would
try to parse a spreadsheet as JSON. The route's own ``media_type`` cannot simply be set to the
default format either: for a ``Stream`` it would override the media type the handler chose, so a
CSV would be served as XLSX. An operation class rewrites only the documentation of the 200
answer instead: every media type the route can answer, each a binary string.

Uploads (an employee CSV, a time clock's batch) read the raw body, so Litestar documents no
request body at all; :func:`upload_operation` says what the route takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"


def file_operation(description: str, *media_types: str) -> type[Operation]:
    """An ``operation_class`` documenting the 200 answer as a file of one of ``media_types``."""

    @dataclass
    class FileOperation(Operation):
        def __post_init__(self) -> None:
            binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
            ok = OpenAPIResponse(
                description=description,
                content={media: OpenAPIMediaType(schema=binary) for media in media_types},
            )
            self.responses = {**(self.responses or {}), "200": ok}

    return FileOperation


def upload_operation(description: str, *media_types: str) -> type[Operation]:
    """An ``operation_class`` documenting a raw request body of one of ``media_types``.

    JSON is documented as an array of row objects, anything else as the file itself.
    """

    @dataclass
    class UploadOperation(Operation):
        def __post_init__(self) -> None:
            content = {}
            for media in media_types:
                schema = (
                    Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT))
                    if media == "application/json"
                    else Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                )
                content[media] = OpenAPIMediaType(schema=schema)
            self.request_body = RequestBody(content=content, description=description, required=True)

    return UploadOperation
