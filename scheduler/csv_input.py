"""Reading the CSV files people upload, where every unreadable file is the sender's mistake.

A file can fail before any rule of ours sees it: bytes that are neither UTF-8 nor GB18030, a
NUL character (PostgreSQL text cannot hold one), or something Python's ``csv`` module refuses
with ``csv.Error`` (a field longer than its limit of 128 KiB, a stray line break). Left to
propagate, each of these was answered 500. Every CSV body is therefore decoded and read here,
and each such failure becomes a :class:`ValidationFailedError` (422) that names the line, so
the sender can find and fix it, and nothing of the file is used.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from scheduler.errors import ValidationFailedError

_FIELD_LIMIT = re.compile(r"field larger than field limit \((\d+)\)")
#: How much of a bad value an error message quotes (a 200 KB value must not come back whole).
SHOWN = 40


def shown(value: object) -> str:
    """``repr`` of a value for an error message, cut to :data:`SHOWN` characters."""
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[: SHOWN - 1]}…"


def _line_of(text: str | bytes, offset: int) -> int:
    newline: Any = b"\n" if isinstance(text, bytes) else "\n"
    return text.count(newline, 0, offset) + 1


def _unreadable(where: str, line: int, why: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"{where} of the file cannot be read: {why}",
        errors=[{"field": "body", "line": line, "message": why}],
    )


def decode(raw: bytes) -> str:
    """The text of an uploaded file: UTF-8 (with or without Excel's BOM), else GB18030.

    A file that starts with a UTF-16 byte-order mark (Excel's "Unicode text") is UTF-16.

    GB18030 is what a spreadsheet saved on a Chinese-language Windows usually is. Text that is
    neither, or that holds a NUL, is refused with the line of the first bad byte; replacing the
    bad bytes instead would store names and reasons nobody wrote.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export: UTF-16 with its byte-order mark.
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as utf16_error:
            line = _line_of(raw, utf16_error.start)
            raise _unreadable(
                f"line {line}", line, "the bytes after the UTF-16 mark are not UTF-16 text"
            ) from None
        return _without_nul(text)
    body = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            line = _line_of(body, utf8_error.start)
            raise _unreadable(
                f"line {line}", line, "the bytes are neither UTF-8 nor GB18030 text"
            ) from None
    return _without_nul(text)


def _without_nul(text: str) -> str:
    if (nul := text.find("\x00")) >= 0:
        line = _line_of(text, nul)
        raise _unreadable(f"line {line}", line, "it contains a NUL character (U+0000)")
    return text


def _why(error: csv.Error) -> str:
    message = str(error)
    if m := _FIELD_LIMIT.search(message):
        return f"a field is longer than {int(m.group(1))} characters"
    return message


class CsvReader:
    """``csv.DictReader`` over decoded text whose every ``csv.Error`` is a 422 naming the line.

    ``first_row`` is the number the caller gives the first data row (2 where the header counts
    as row 1, as in a spreadsheet; 1 where data rows are counted alone), so the message uses
    the caller's numbering as well as the physical line.
    """

    def __init__(self, text: str, *, first_row: int = 2) -> None:
        # newline="": the csv module's own handling of line ends (a lone CR, CRLF, and line
        # breaks inside quoted fields), as its documentation asks.
        self._reader = csv.DictReader(io.StringIO(text, newline=""))
        self._next_row = first_row

    def _line(self) -> int:
        # The inner reader's count: DictReader's own is updated only after a row was read.
        return max(self._reader.reader.line_num, 1)

    @property
    def fieldnames(self) -> Sequence[str] | None:
        """The header row (None for an empty file)."""
        try:
            names = self._reader.fieldnames
        except csv.Error as exc:
            line = self._line()
            raise _unreadable(f"the header row (line {line})", line, _why(exc)) from None
        if names is not None:
            # csv.DictReader keeps the last of two equal columns and drops the first silently.
            counts = Counter(n for n in names if n.strip())
            twice = [n for n, k in counts.items() if k > 1]
            if twice:
                listed = ", ".join(twice)
                raise ValidationFailedError(
                    f"the header row names a column twice: {listed}",
                    errors=[{"row": 1, "field": n, "message": "column named twice"} for n in twice],
                )
        return names

    def __iter__(self) -> Iterator[dict[str | None, Any]]:
        """The data rows, in order."""
        return self

    def __next__(self) -> dict[str | None, Any]:
        """The next data row; a row that cannot be read stops the whole file."""
        try:
            row: dict[str | None, Any] = next(self._reader)
        except csv.Error as exc:
            line = self._line()
            why = _why(exc)
            raise ValidationFailedError(
                f"row {self._next_row} (line {line}) of the file cannot be read: {why}",
                errors=[{"field": "body", "row": self._next_row, "line": line, "message": why}],
            ) from None
        self._next_row += 1
        return row
