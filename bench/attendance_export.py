"""A month's attendance export for a large department: time and peak memory.

Creates a throwaway PostgreSQL database, migrates it, and stores (with COPY) one department of
``--people`` employees, a published roster of October 2026 (early / late / rest in a rotating
pattern, a day of annual leave each) and about two punches per shift with some lateness, early
leave, missing punches and absences. Then it runs the exports exactly as the API streams them
(``scheduler.attendance.exports``), discarding the bytes, and prints for each: wall time, bytes,
and the peak of Python allocations during the export (tracemalloc, measured in a second run so
that tracing does not slow the timed one).

    .venv/bin/python -m bench.attendance_export --people 5000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from zoneinfo import ZoneInfo

import asyncpg

PG = os.environ.get("ROTA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = "rota_bench_export"
MONTH = dt.date(2026, 10, 1)
SH = ZoneInfo("Asia/Shanghai")
SNAPSHOT = {
    "early": {"name": "早班", "start_minute": 510, "end_minute": 1050, "late": False},
    "late": {"name": "晚班", "start_minute": 900, "end_minute": 1440, "late": True},
}


def _cells(ids: list[int], version: int) -> Iterator[tuple[object, ...]]:
    for n, emp in enumerate(ids):
        for d in range(31):
            day = MONTH + dt.timedelta(days=d)
            kind = (n + d) % 7
            shift = None if kind in (5, 6) else ("early" if kind % 2 == 0 else "late")
            absence = "annual" if d == (n % 28) + 1 and shift else None
            yield (version, emp, day, None if absence else shift, absence, False)


def _punches(ids: list[int], dept: int) -> Iterator[tuple[object, ...]]:
    now = dt.datetime.now(dt.UTC)
    for n, emp in enumerate(ids):
        for d in range(31):
            day = MONTH + dt.timedelta(days=d)
            kind = (n + d) % 7
            if kind in (5, 6) or d == (n % 28) + 1:
                continue
            start, end = (510, 1050) if kind % 2 == 0 else (900, 1440)
            r = (n * 31 + d) % 50
            if r == 0:
                continue  # absent
            late = 12 if r in (1, 2) else 40 if r == 3 else -3
            early = 20 if r == 4 else 0
            base = dt.datetime.combine(day, dt.time(), SH)
            t_in = base + dt.timedelta(minutes=start + late)
            t_out = base + dt.timedelta(minutes=end - early + (30 if r == 5 else 1))
            key = f"{emp}-{d}"
            yield (emp, dept, "in", t_in, "punch", "device:door", "device:1", key + "i", "x", now)
            if r != 6:
                yield (
                    emp,
                    dept,
                    "out",
                    t_out,
                    "punch",
                    "device:door",
                    "device:1",
                    key + "o",
                    "x",
                    now,
                )


async def setup(people: int) -> int:
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DB}"')
    await admin.close()
    from scheduler.db.migrate import upgrade

    await asyncio.to_thread(upgrade, f"postgresql+asyncpg://{PG.split('://', 1)[1]}/{DB}")
    conn = await asyncpg.connect(f"{PG}/{DB}")
    now = dt.datetime.now(dt.UTC)
    org = await conn.fetchval(
        "INSERT INTO organisations (name, created_at, updated_at) VALUES ('B', $1, $1) RETURNING id",
        now,
    )
    dept = await conn.fetchval(
        "INSERT INTO departments (organisation_id, name, code, timezone, country, created_at,"
        " updated_at) VALUES ($1, 'CS', 'CS', 'Asia/Shanghai', 'CN', $2, $2) RETURNING id",
        org,
        now,
    )
    await conn.copy_records_to_table(
        "employees",
        columns=[
            "staff_no",
            "name",
            "department_id",
            "hire_date",
            "active",
            "flags",
            "contract_kind",
            "version",
            "created_at",
            "updated_at",
        ],
        records=[
            (f"E{i:05d}", f"Agent {i}", dept, dt.date(2024, 1, 1), True, "[]", "days", 1, now, now)
            for i in range(people)
        ],
    )
    ids = [r["id"] for r in await conn.fetch("SELECT id FROM employees ORDER BY id")]
    roster = await conn.fetchval(
        "INSERT INTO rosters (department_id, scope_key, month, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $4) RETURNING id",
        dept,
        f"department:{dept}",
        MONTH,
        now,
    )
    version = await conn.fetchval(
        "INSERT INTO roster_versions (roster_id, number, status, origin, shift_snapshot, problem,"
        " breakdown, solve_stats, hard_violations, revision, created_at, updated_at)"
        " VALUES ($1, 1, 'published', 'edit', $2, '{}', '{}', '{}', 0, 1, $3, $3) RETURNING id",
        roster,
        json.dumps(SNAPSHOT),
        now,
    )
    await conn.copy_records_to_table(
        "roster_cells",
        columns=["version_id", "employee_id", "date", "shift_code", "absence", "locked"],
        records=_cells(ids, version),
    )
    await conn.copy_records_to_table(
        "attendance_punches",
        columns=[
            "employee_id",
            "department_id",
            "direction",
            "at",
            "kind",
            "source",
            "actor",
            "idempotency_key",
            "fingerprint",
            "created_at",
        ],
        records=_punches(ids, dept),
    )
    await conn.execute("ANALYZE")
    counts = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM roster_cells) AS cells,"
        " (SELECT count(*) FROM attendance_punches) AS punches"
    )
    print(f"seeded {people} employees, {counts['cells']} cells, {counts['punches']} punches")
    await conn.close()
    return int(dept)


async def measure(
    name: str, make: Callable[[object], AsyncIterator[bytes]], traced: bool
) -> tuple[float, float, int, int]:
    from scheduler.db.session import make_engine, make_sessionmaker

    engine = make_engine(f"postgresql+asyncpg://{PG.split('://', 1)[1]}/{DB}")
    try:
        async with make_sessionmaker(engine)() as session:
            if traced:
                tracemalloc.start()
            start = time.perf_counter()
            cpu = time.process_time()
            size = 0
            async for block in make(session):
                size += len(block)
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu
            peak = tracemalloc.get_traced_memory()[1] if traced else 0
            if traced:
                tracemalloc.stop()
    finally:
        await engine.dispose()
    return elapsed, cpu, size, peak


async def raw_read(dept_id: int) -> float:
    """Seconds a plain asyncpg loop takes to read the month's facts (cells and punches) of the
    department into memory: the machine's own yardstick, so exports are also quoted as a ratio
    to it (the export cannot be faster than reading what it judges)."""
    conn = await asyncpg.connect(f"{PG}/{DB}")
    try:
        ids = [
            r[0]
            for r in await conn.fetch("SELECT id FROM employees WHERE department_id = $1", dept_id)
        ]
        start = time.perf_counter()
        cells = await conn.fetch(
            "SELECT c.employee_id, c.date, c.shift_code, c.absence, c.version_id"
            " FROM roster_cells c JOIN roster_versions v ON v.id = c.version_id"
            " WHERE c.employee_id = ANY($1) AND v.status = 'published'",
            ids,
        )
        punches = await conn.fetch(
            "SELECT id, employee_id, direction, at, kind, corrects_id FROM attendance_punches"
            " WHERE employee_id = ANY($1)",
            ids,
        )
        elapsed = time.perf_counter() - start
        assert cells
        assert punches
        return elapsed
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--csv-only", action="store_true", help="skip the (slow) XLSX export")
    args = parser.parse_args()
    dept_id = await setup(args.people)

    from scheduler.attendance import exports
    from scheduler.org.models import Department

    dept = Department(id=dept_id, name="CS", code="CS", timezone="Asia/Shanghai")
    spec = exports.ExportSpec(departments=[dept], month=MONTH, lang="zh")
    cases: list[tuple[str, Callable[[object], AsyncIterator[bytes]]]] = [
        ("csv summary", lambda s: exports.csv_stream(s, spec, "summary")),  # type: ignore[arg-type]
        ("csv detail", lambda s: exports.csv_stream(s, spec, "detail")),  # type: ignore[arg-type]
        ("xlsx (both sheets)", lambda s: exports.xlsx_stream(s, spec)),  # type: ignore[arg-type]
    ]
    raw = min([await raw_read(dept_id) for _ in range(3)])
    print(f"{'raw read of the facts':20}: {raw:6.2f} s wall (asyncpg, best of 3: the yardstick)")
    for name, make in cases[:2] if args.csv_only else cases:
        elapsed, cpu, size, _ = await measure(name, make, traced=False)
        line = (
            f"{name:20}: {elapsed:6.2f} s wall ({elapsed / raw:4.1f} x raw read),"
            f" {cpu:6.2f} s CPU, {size / 1e6:6.1f} MB"
        )
        if not args.no_trace:
            _, _, _, peak = await measure(name, make, traced=True)
            line += f", peak Python allocations {peak / 1e6:.1f} MB"
        print(line, flush=True)
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
