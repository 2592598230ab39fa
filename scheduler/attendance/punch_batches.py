"""Batch uploads of punches: a time clock's JSON or CSV file, judged row by row.

Each row is checked and stored like a single punch (:func:`scheduler.attendance.punches.
store_punch`), in its own savepoint, so one bad row is refused with its reason and the others
are kept; the answer says what became of every row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.attendance.punches import PunchData, Sender, check_employee_id, store_punch
from scheduler.csv_input import CsvReader, decode, shown
from scheduler.db.base import MAX_ID, utcnow
from scheduler.errors import DomainError, ValidationFailedError
from scheduler.people.models import Employee

#: Rows in one batch upload.
MAX_BATCH_ROWS = 5000
MAX_BATCH_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class RowResult:
    """What became of one row of a batch."""

    row: int
    status: str  # created | duplicate | refused
    punch_id: int | None = None
    error: str | None = None
    field: str | None = None


def _parse_instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailedError(
            f"{shown(text)} is not an ISO 8601 instant", field="at"
        ) from exc
    return value


def rows_from_json(items: list[dict[str, Any]]) -> list[PunchData | DomainError]:
    """Batch rows from JSON objects (employee_id or staff_no, direction, at, key, reason)."""
    allowed = {"employee_id", "staff_no", "direction", "at", "key", "reason"}
    out: list[PunchData | DomainError] = []
    for item in items:
        try:
            if not isinstance(item, dict):
                raise ValidationFailedError("a row must be an object")
            unknown = sorted(set(item) - allowed)
            if unknown:
                raise ValidationFailedError(
                    f"unknown fields: {', '.join(unknown)}", field=unknown[0]
                )
            employee_id = item.get("employee_id")
            if employee_id is not None and (
                not isinstance(employee_id, int) or isinstance(employee_id, bool)
            ):
                raise ValidationFailedError("employee_id must be an integer", field="employee_id")
            check_employee_id(employee_id)
            for name in ("staff_no", "direction", "key", "reason"):
                if "\x00" in str(item.get(name) or ""):
                    # PostgreSQL text cannot hold U+0000: refuse the row, not the whole batch.
                    raise ValidationFailedError(
                        f"{name} contains a NUL character (U+0000)", field=name
                    )
            at = item.get("at")
            if not isinstance(at, str):
                raise ValidationFailedError("at must be an ISO 8601 string", field="at")
            key = item.get("key")
            out.append(
                PunchData(
                    direction=str(item.get("direction") or ""),
                    at=_parse_instant(at),
                    employee_id=employee_id,
                    staff_no=str(item["staff_no"]) if item.get("staff_no") is not None else None,
                    reason=str(item["reason"]) if item.get("reason") else None,
                    idempotency_key=str(key) if key else None,
                )
            )
        except DomainError as exc:
            out.append(exc)
    return out


CSV_ALIASES = {
    "employee_id": "employee_id",
    "staff_no": "staff_no",
    "工号": "staff_no",
    "direction": "direction",
    "方向": "direction",
    "at": "at",
    "time": "at",
    "时间": "at",
    "key": "key",
    "reason": "reason",
}


def rows_from_csv(body: bytes) -> list[PunchData | DomainError]:
    """Batch rows from a time clock's CSV (header: staff_no or employee_id, direction, at[, key]).

    A file that cannot be read as CSV (not text, a NUL, a field over the csv module's limit)
    is refused whole with the line at fault (``scheduler.csv_input``); a row that reads but
    breaks a rule is refused alone, like a JSON row.
    """
    if len(body) > MAX_BATCH_BYTES:
        raise ValidationFailedError(f"the file is larger than {MAX_BATCH_BYTES} bytes")
    reader = CsvReader(decode(body), first_row=1)
    header = [CSV_ALIASES.get((h or "").strip().lower(), "") for h in reader.fieldnames or []]
    if (
        "at" not in header
        or "direction" not in header
        or not ("staff_no" in header or "employee_id" in header)
    ):
        raise ValidationFailedError(
            "the CSV needs a header with staff_no (or employee_id), direction and at",
            field="header",
        )
    items: list[dict[str, Any]] = []
    bad: dict[int, DomainError] = {}
    for i, raw in enumerate(reader):
        item: dict[str, Any] = {}
        for name, value in raw.items():
            column = CSV_ALIASES.get((name or "").strip().lower())
            if column and value not in (None, ""):
                item[column] = value.strip() if isinstance(value, str) else value
        if "employee_id" in item:
            text = str(item["employee_id"])
            if not (text.isascii() and text.isdigit()):
                bad[i] = ValidationFailedError("employee_id must be a number", field="employee_id")
            elif len(text) > len(str(MAX_ID)):
                # Not even parsed: int() refuses strings of over 4300 digits with a ValueError.
                bad[i] = ValidationFailedError(
                    f"employee_id must be a whole number from 1 to {MAX_ID}", field="employee_id"
                )
            else:
                item["employee_id"] = int(text)  # beyond MAX_ID: refused by rows_from_json
        items.append(item)
    parsed = rows_from_json(items)
    return [bad.get(i, row) for i, row in enumerate(parsed)]


def _field(error: DomainError) -> str | None:
    """The field a refused row was refused for."""
    field = error.extra.get("field")
    if field is None and error.errors:
        field = error.errors[0].get("field")
    return str(field) if field is not None else None


async def record_batch(
    session: AsyncSession,
    sender: Sender,
    rows: list[PunchData | DomainError],
    now: dt.datetime | None = None,
) -> list[RowResult]:
    """Store what can be stored, row by row; every row says what became of it."""
    if len(rows) > MAX_BATCH_ROWS:
        raise ValidationFailedError(f"at most {MAX_BATCH_ROWS} rows per batch")
    moment = now or utcnow()
    cache: dict[Any, Employee] = {}
    results: list[RowResult] = []
    for number, row in enumerate(rows, start=1):
        if isinstance(row, DomainError):
            results.append(RowResult(number, "refused", error=row.detail, field=_field(row)))
            continue
        try:
            outcome = await store_punch(session, sender, row, moment, cache, batch=True)
        except DomainError as exc:
            results.append(RowResult(number, "refused", error=exc.detail, field=_field(exc)))
            continue
        results.append(
            RowResult(number, "created" if outcome.created else "duplicate", outcome.punch.id)
        )
    if sender.device is not None:
        sender.device.last_seen_at = moment
    await session.commit()
    return results
