"""Punch ingestion: the HTTP API against a plain asyncpg loop, same rows, same database, one run.

Creates a throwaway PostgreSQL database, migrates it, seeds a department with people and a time
clock, then

1. raw: ``--clients`` asyncpg connections insert the punch rows straight into
   ``attendance_punches`` (one INSERT per row, autocommit), and
2. api: ``--clients`` concurrent HTTP clients POST the same rows to
   ``/attendance/device/punches`` (device credential, an Idempotency-Key each) on a uvicorn
   subprocess listening on a free loopback port,

and prints throughput of each, their ratio, and p50/p99 latency. Bounded by ``--requests`` and
``--seconds`` per phase.

    .venv/bin/python -m bench.punch_ingest --clients 50 --requests 3000 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx

PG = os.environ.get("ROTA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = "rota_bench_punch"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live children (Linux): the server's CPU per
    punch, uvicorn's worker processes included when ``--workers`` is more than one."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(entry) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _setup(people: int) -> tuple[int, str, list[int]]:
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DB}"')
    await admin.close()
    from scheduler.db.migrate import upgrade

    await asyncio.to_thread(upgrade, f"postgresql+asyncpg://{PG.split('://', 1)[1]}/{DB}")
    conn = await asyncpg.connect(f"{PG}/{DB}")
    now = dt.datetime.now(dt.UTC)
    org = await conn.fetchval(
        "INSERT INTO organisations (name, created_at, updated_at) VALUES ('Bench', $1, $1) RETURNING id",
        now,
    )
    dept = await conn.fetchval(
        "INSERT INTO departments (organisation_id, name, code, timezone, country, created_at, updated_at)"
        " VALUES ($1, 'CS', 'CS', 'Asia/Shanghai', 'CN', $2, $2) RETURNING id",
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
    secret = secrets.token_urlsafe(32)
    device = await conn.fetchval(
        "INSERT INTO attendance_devices (department_id, name, secret_hash, active, created_at, updated_at)"
        " VALUES ($1, 'door', $2, true, $3, $3) RETURNING id",
        dept,
        hashlib.sha256(secret.encode()).hexdigest(),
        now,
    )
    await conn.close()
    return dept, f"Device {device}:{secret}", ids


def _rows(ids: list[int], n: int) -> list[dict[str, Any]]:
    base = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    return [
        {
            "employee_id": ids[i % len(ids)],
            "direction": "in" if (i // len(ids)) % 2 == 0 else "out",
            "at": (base - dt.timedelta(seconds=150 * i)).isoformat(),
            "key": f"k{i}",
        }
        for i in range(n)
    ]


async def _run(
    clients: int,
    rows: list[dict[str, Any]],
    seconds: float,
    make_worker: Callable[[], Awaitable[Callable[[dict[str, Any]], Awaitable[None]]]],
) -> tuple[int, float, list[float]]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for row in rows:
        queue.put_nowait(row)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        send = await make_worker()
        while time.perf_counter() < deadline:
            try:
                row = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t = time.perf_counter()
            await send(row)
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return len(latencies), time.perf_counter() - start, latencies


async def _run_paced(
    clients: int,
    rows: list[dict[str, Any]],
    rate: float,
    make_worker: Callable[[], Awaitable[Callable[[dict[str, Any]], Awaitable[None]]]],
) -> tuple[int, float, list[float]]:
    """Open loop: row i is due at ``i / rate`` s; latency counts from when it was due.

    Counting from the due time, not from when a client got round to sending it, keeps a slow
    server from hiding its queueing ("coordinated omission"): a request that had to wait for a
    free connection is charged that wait.
    """
    queue: asyncio.Queue[tuple[float, dict[str, Any]] | None] = asyncio.Queue()
    latencies: list[float] = []

    async def worker() -> None:
        send = await make_worker()
        while (item := await queue.get()) is not None:
            due, row = item
            await send(row)
            latencies.append(time.perf_counter() - due)

    workers = [asyncio.create_task(worker()) for _ in range(clients)]
    await asyncio.sleep(0.2)  # connections open
    start = time.perf_counter()
    for i, row in enumerate(rows):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0.001:
            await asyncio.sleep(delay)
        queue.put_nowait((due, row))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return len(latencies), time.perf_counter() - start, latencies


def _report(name: str, done: int, elapsed: float, lat: list[float]) -> dict[str, float]:
    lat = sorted(lat)
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    rate = done / elapsed
    print(
        f"{name:4}: {done} punches in {elapsed:.2f} s = {rate:.0f}/s; p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    return {"rate": rate, "p50": p50, "p99": p99, "done": done}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="offered punches/s of the paced (open-loop) phase; default: half the raw rate",
    )
    args = parser.parse_args()
    dept, authorization, ids = await _setup(args.people)
    rows = _rows(ids, args.requests)
    sql = (
        "INSERT INTO attendance_punches (employee_id, department_id, direction, at, kind, source,"
        " device_id, actor, idempotency_key, fingerprint, created_at)"
        " VALUES ($1, $2, $3, $4, 'punch', 'device:door', NULL, 'raw', $5, $6, $7)"
    )
    pool = await asyncpg.create_pool(f"{PG}/{DB}", min_size=args.clients, max_size=args.clients)

    async def raw_worker() -> Callable[[dict[str, Any]], Awaitable[None]]:
        async def send(row: dict[str, Any]) -> None:
            async with pool.acquire() as conn:
                await conn.execute(
                    sql,
                    row["employee_id"],
                    dept,
                    row["direction"],
                    dt.datetime.fromisoformat(row["at"]),
                    row["key"],
                    hashlib.sha256(repr(row).encode()).hexdigest(),
                    dt.datetime.now(dt.UTC),
                )

        return send

    raw = _report("raw", *await _run(args.clients, rows, args.seconds, raw_worker))
    # Open loop: punches arriving at a set rate (half the raw rate by default: the throughput
    # the ratio target asks for), for the raw loop and then for the API, fresh rows each.
    rate = args.rate or raw["rate"] / 2
    paced_rows = [
        {**row, "key": f"paced-{row['key']}"}
        for row in _rows(ids, min(len(rows), int(rate * args.seconds)))
    ]
    for row in paced_rows:
        row["at"] = (dt.datetime.fromisoformat(row["at"]) - dt.timedelta(days=10)).isoformat()
    await pool.execute("DELETE FROM attendance_punches")
    raw_paced = _report("raw~", *await _run_paced(args.clients, paced_rows, rate, raw_worker))
    print(f"      offered {rate:.0f}/s from {args.clients} clients")
    paced: dict[str, float] = {}
    await pool.execute("DELETE FROM attendance_punches")
    await pool.close()

    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql+asyncpg://{PG.split('://', 1)[1]}/{DB}",
        "ROTA_SECRET_KEY": secrets.token_urlsafe(48),
        "ROTA_LOG_LEVEL": "WARNING",
        "ROTA_JOB_BACKEND": "inprocess",
    }
    server = subprocess.Popen(  # noqa: S603, ASYNC220 - our own interpreter; started once
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.app:app_from_env",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            str(args.workers),
        ],
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(
            base_url=url, limits=httpx.Limits(max_connections=args.clients), timeout=30
        ) as client:
            for _ in range(100):
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            # Warm up (connections, caches) with rows outside the measured set.
            for row in _rows(ids, 100):
                row = {**row, "key": "warm-" + row["key"]}
                row["at"] = (
                    dt.datetime.fromisoformat(row["at"]) - dt.timedelta(days=20)
                ).isoformat()
                await client.post(
                    "/attendance/device/punches",
                    json={k: row[k] for k in ("employee_id", "direction", "at")},
                    headers={"Authorization": authorization, "Idempotency-Key": row["key"]},
                )
            failures: list[int] = []

            async def api_worker() -> Callable[[dict[str, Any]], Awaitable[None]]:
                # A minimal keep-alive HTTP/1.1 client per worker: httpx's own CPU cost on
                # this 2-core machine would otherwise be measured instead of the server's.
                reader, writer = await asyncio.open_connection("127.0.0.1", port)

                async def send(row: dict[str, Any]) -> None:
                    body = json.dumps(
                        {k: row[k] for k in ("employee_id", "direction", "at")}
                    ).encode()
                    writer.write(
                        (
                            "POST /attendance/device/punches HTTP/1.1\r\nHost: bench\r\n"
                            f"Authorization: {authorization}\r\n"
                            f"Idempotency-Key: {row['key']}\r\n"
                            "Content-Type: application/json\r\n"
                            f"Content-Length: {len(body)}\r\n\r\n"
                        ).encode()
                        + body
                    )
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = int(head.split(b" ", 2)[1])
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":", 1)[1])
                    await reader.readexactly(length)
                    if status != 201:
                        failures.append(status)

                return send

            server_cpu = _cpu_seconds(server.pid)
            client_cpu = time.process_time()
            api = _report("api", *await _run(args.clients, rows, args.seconds, api_worker))
            done = api["done"]
            print(
                f"      server CPU {(_cpu_seconds(server.pid) - server_cpu) / done * 1000:.2f} ms"
                f" per punch, load generator {(time.process_time() - client_cpu) / done * 1000:.2f} ms"
            )
            paced = _report("api~", *await _run_paced(args.clients, paced_rows, rate, api_worker))
            if failures:
                print(f"api failures: {len(failures)} (statuses {sorted(set(failures))})")
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"ratio api/raw throughput: {api['rate'] / raw['rate']:.2f} (target >= 0.5); "
        f"closed-loop api p99 {api['p99']:.1f} ms (raw {raw['p99']:.1f} ms); "
        f"paced at {rate:.0f}/s: api p50 {paced['p50']:.1f} ms, p99 {paced['p99']:.1f} ms "
        f"(target < 25 ms; raw p99 {raw_paced['p99']:.1f} ms)"
    )
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
