"""Bulk import of employees from CSV: what HR does on day one.

All or nothing: every row is checked (fields, teams, staff numbers unique in the file and in
the database) before anything is written; one bad row rejects the file with a list of every
problem by row number and column, so HR can fix the spreadsheet in one pass. Headers may be
English or the Chinese an HR spreadsheet usually has; a UTF-8 byte-order mark (Excel) is fine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.auth.principal import Principal
from scheduler.csv_input import CsvReader, decode
from scheduler.errors import ValidationFailedError
from scheduler.org.models import Department, Team
from scheduler.people.models import Employee
from scheduler.people.service import EmployeeData, field_problems

REQUIRED_COLUMNS = ("staff_no", "name", "hire_date")
OPTIONAL_COLUMNS = (
    "team",
    "flags",
    "contract_kind",
    "contract_min",
    "contract_max",
    "email",
    "phone",
    "active",
)
HEADER_ALIASES = {
    "工号": "staff_no",
    "员工编号": "staff_no",
    "姓名": "name",
    "入职日期": "hire_date",
    "班组": "team",
    "小组": "team",
    "团队": "team",
    "标记": "flags",
    "技能": "flags",
    "合同类型": "contract_kind",
    "最少": "contract_min",
    "最多": "contract_max",
    "邮箱": "email",
    "电话": "phone",
    "在职": "active",
}
MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an accepted file created."""

    created: list[Employee]


def _decode(raw: bytes) -> str:
    """UTF-8 or GB18030 text without NUL, else a 422 naming the line (``scheduler.csv_input``)."""
    if len(raw) > MAX_BYTES:
        raise ValidationFailedError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    return decode(raw)


def _parse_int(value: str, column: str, errors: list[dict[str, Any]], row: int) -> int | None:
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        errors.append({"row": row, "field": column, "message": f"{value!r} is not a whole number"})
        return None


def _parse_bool(value: str, errors: list[dict[str, Any]], row: int) -> bool:
    lowered = value.strip().lower()
    if lowered in ("", "1", "true", "yes", "y", "是"):
        return True
    if lowered in ("0", "false", "no", "n", "否"):
        return False
    errors.append({"row": row, "field": "active", "message": f"{value!r} is not yes/no"})
    return True


async def import_employees(
    session: AsyncSession, actor: Principal, department_id: int, raw: bytes
) -> ImportResult:
    """Validate the whole file, then create every employee in one transaction."""
    department = await session.get(Department, department_id)
    if department is None:
        raise ValidationFailedError(
            f"department {department_id} does not exist",
            errors=[{"field": "department_id", "message": "no such department"}],
        )
    actor.require(actor.can_onboard_into(department_id), "import employees into this department")

    reader = CsvReader(_decode(raw))  # a row the csv module cannot read is a 422 naming it
    if reader.fieldnames is None:
        raise ValidationFailedError(
            "the file is empty; expected a header row", errors=[{"row": 1, "message": "no header"}]
        )
    columns = {
        name: HEADER_ALIASES.get(name.strip(), name.strip().lower()) for name in reader.fieldnames
    }
    present = set(columns.values())
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    unknown = sorted(c for c in present if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    if missing or unknown:
        header_errors: list[dict[str, Any]] = [
            {"row": 1, "field": c, "message": "required column is missing"} for c in missing
        ]
        header_errors += [{"row": 1, "field": c, "message": "unknown column"} for c in unknown]
        raise ValidationFailedError(
            "the header row is not usable: "
            + "; ".join(f"{e['field']}: {e['message']}" for e in header_errors),
            errors=header_errors,
        )

    teams = {
        t.name: t.id
        for t in (
            await session.scalars(select(Team).where(Team.department_id == department_id))
        ).all()
    }
    errors: list[dict[str, Any]] = []
    rows: list[EmployeeData] = []
    first_row_of: dict[str, int] = {}
    for line_no, record in enumerate(reader, start=2):
        if line_no - 1 > MAX_ROWS:
            raise ValidationFailedError(f"the file has more than {MAX_ROWS} rows; split it")
        values = {columns[k]: (v or "").strip() for k, v in record.items() if k is not None}
        if None in record:
            errors.append({"row": line_no, "message": "more fields than header columns"})
            continue
        if not any(values.values()):
            continue  # blank line
        row_errors: list[dict[str, Any]] = []
        try:
            hire_date = dt.date.fromisoformat(values.get("hire_date", ""))
        except ValueError:
            row_errors.append(
                {
                    "row": line_no,
                    "field": "hire_date",
                    "message": f"{values.get('hire_date')!r} is not a date (YYYY-MM-DD)",
                }
            )
            hire_date = dt.date(2000, 1, 1)
        team_name = values.get("team", "")
        team_id = None
        if team_name:
            team_id = teams.get(team_name)
            if team_id is None:
                row_errors.append(
                    {
                        "row": line_no,
                        "field": "team",
                        "message": f"no team {team_name!r} in department {department.code}",
                    }
                )
        flags = [
            f.strip().lower()
            for f in values.get("flags", "").replace("|", ";").replace(",", ";").split(";")
            if f.strip()
        ]
        data = EmployeeData(
            staff_no=values.get("staff_no", ""),
            name=values.get("name", ""),
            department_id=department_id,
            hire_date=hire_date,
            team_id=team_id,
            active=_parse_bool(values.get("active", ""), row_errors, line_no),
            flags=flags,
            contract_kind=values.get("contract_kind") or "days",
            contract_min=_parse_int(
                values.get("contract_min", ""), "contract_min", row_errors, line_no
            ),
            contract_max=_parse_int(
                values.get("contract_max", ""), "contract_max", row_errors, line_no
            ),
            email=values.get("email") or None,
            phone=values.get("phone") or None,
        )
        row_errors += [{"row": line_no, **e} for e in field_problems(data)]
        if data.staff_no in first_row_of:
            row_errors.append(
                {
                    "row": line_no,
                    "field": "staff_no",
                    "message": f"{data.staff_no!r} repeats row {first_row_of[data.staff_no]}",
                }
            )
        else:
            first_row_of[data.staff_no] = line_no
        errors += row_errors
        rows.append(data)

    if first_row_of:
        taken = (
            await session.scalars(
                select(Employee.staff_no).where(Employee.staff_no.in_(list(first_row_of)))
            )
        ).all()
        for staff_no in sorted(taken):
            errors.append(
                {
                    "row": first_row_of[staff_no],
                    "field": "staff_no",
                    "message": f"{staff_no!r} is already in use",
                }
            )
    if not rows and not errors:
        raise ValidationFailedError(
            "the file has a header but no rows", errors=[{"row": 2, "message": "no data rows"}]
        )
    if errors:
        errors.sort(key=lambda e: (e.get("row", 0), str(e.get("field", ""))))
        raise ValidationFailedError(
            f"the file was rejected: {len(errors)} problem(s) in {len({e.get('row') for e in errors})} row(s); nothing was imported",
            errors=errors,
        )
    created = [
        Employee(
            staff_no=d.staff_no,
            name=d.name,
            department_id=d.department_id,
            team_id=d.team_id,
            hire_date=d.hire_date,
            active=d.active,
            flags=sorted(set(d.flags)),
            contract_kind=d.contract_kind,
            contract_min=d.contract_min,
            contract_max=d.contract_max,
            email=d.email,
            phone=d.phone,
        )
        for d in rows
    ]
    session.add_all(created)
    await session.commit()
    return ImportResult(created=created)
