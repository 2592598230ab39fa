"""Text that spreadsheet programs show as text, never run as a formula (CSV / formula injection).

Names, staff numbers and team names are typed by managers or come from an import file, and HR
opens the exports in Excel. A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab
or carriage return before one) is a formula to Excel and LibreOffice: ``=HYPERLINK(...)`` in a
name would become a live link in HR's payroll sheet, and xlsxwriter's ``write()`` turns such a
string into a real formula cell by default. So the XLSX writers turn that conversion off
(:data:`XLSX_OPTIONS`) and the CSV writers prefix such text with an apostrophe (OWASP's advice),
which spreadsheet programs show as the text itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: First characters that make a spreadsheet program read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: xlsxwriter workbook options: strings stay strings (``write`` would make ``=...`` a formula).
XLSX_OPTIONS: dict[str, Any] = {"strings_to_formulas": False}


def csv_text(value: object) -> object:
    """``value`` for a CSV cell: text a spreadsheet would run as a formula gets a leading ``'``.

    Numbers stay numbers (a negative figure is not text), so only ``str`` values are touched.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(values: Iterable[object]) -> list[object]:
    """A row for ``csv.writer`` with every text cell made safe by :func:`csv_text`."""
    return [csv_text(value) for value in values]
