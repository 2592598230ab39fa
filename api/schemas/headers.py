"""Request headers several routes share."""

from __future__ import annotations

from typing import Annotated

from litestar.params import HeaderParameter

#: A client's retry key for a write: the same key and body return the first answer.
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        max_length=200,
        description="Retry safely: the same key and body return the first answer, not a second record.",
    ),
]
