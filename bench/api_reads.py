"""bench/api_reads: PHI reads through the real API at fixed rates, and `audit verify` speed.

Starts its own stack like `recoveryos dev` (embedded PostgreSQL, Temporal dev server, the
worker with its audit sequencer, and `recoveryos api --workers API_WORKERS`, the README's
recommendation for 2 cores), seeds one org, then prints in one run:

- p50/p99 of `GET /v1/leads/{id}` (decrypted, read-audited) under an open-loop load at
  100, 200, 300 and 400 requests/s (latency counted from each request's scheduled time, so
  a stalled server cannot hide behind the client waiting for it), the highest of those
  rates whose p99 stays within 25 ms, and the CPU each request cost the API processes,
  PostgreSQL, the worker and the load generator itself (a raw keep-alive HTTP client in
  this process, so it takes little of the CPU it measures);
- the secured/bare ratio of the same read in-process: a tenant session with RLS, decryption
  and the read's audit event, against the same ORM read as the owner (no RLS, nothing
  decrypted, no audit), and against a hand-written SELECT of the row;
- what session resolution (`api/auth.resolve`, owned elsewhere) costs per request, and the
  CPU per request of the whole API stack called in-process (robust to a busy machine);
- `audit verify` throughput over ENTRIES chained entries, and its ratio to the same HMAC
  chain computed over the same rows held in memory.

    .venv/bin/python -m bench.api_reads [--seconds 5] [--entries 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import registry
from bench.checks import same_work
from bench.stack import BIN, free_port, start_postgres, start_temporal

RATES = (100, 200, 300, 400)
P99_TARGET_MS = 25.0
API_WORKERS = 2  # README: one `recoveryos api` worker process per core
KEEP_ALIVE_SECONDS = 3.0  # under uvicorn's 5 s keep-alive timeout


def _start_stack(state: Path, procs: list[subprocess.Popen[bytes]], servers: list[object]) -> str:
    """Starts the stack into `procs` and `servers` as it goes, so the caller stops whatever
    started even when a later part fails."""
    from cli.dev import wait_for_port

    start_postgres(state, servers)
    start_temporal(state, procs)
    procs.append(subprocess.Popen([str(BIN / "recoveryos"), "worker"]))
    port = free_port()
    # The API exactly as `recoveryos api` runs it (uvloop, httptools, no access log by uvicorn).
    procs.append(
        subprocess.Popen(
            [str(BIN / "recoveryos"), "api", "--port", str(port), "--workers", str(API_WORKERS)],
        )
    )
    wait_for_port(port, 180, procs[-1])  # two workers importing everything on a busy machine
    return f"http://127.0.0.1:{port}"


def _seed() -> tuple[uuid.UUID, str, uuid.UUID]:
    from sqlalchemy import text

    from api.auth import login
    from core.db import owner_session
    from core.enums import UserRole
    from seed import seed_org

    result = seed_org(uuid.uuid4(), registry.seed_story(), seed_value=7, slug="bench")
    # A role that reads leads without a second factor (no Part 2 clinical access).
    _uid, email = result.users[UserRole.PROPERTY_MANAGER]
    got = login(email, result.password, request_id="bench", source_ip="127.0.0.1", user_agent="bench")
    assert got is not None and not got.mfa_pending
    with owner_session() as s:
        lead_id = s.execute(
            text("SELECT id FROM leads WHERE org_id = :o LIMIT 1"), {"o": result.org_id}
        ).scalar_one()
    return result.org_id, got.token, lead_id


class _Conn:
    """One keep-alive HTTP/1.1 connection: a request as prepared bytes, a response read by
    Content-Length. A few microseconds of client CPU per request, unlike a full client library,
    so the load generator does not take the CPU the server is being measured on."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def get(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status


async def _open_loop(
    base: str, path: str, token: str, rate: int, seconds: float
) -> tuple[list[float], Counter[str]]:
    """Requests scheduled at fixed times whatever the server does (open loop). Each one takes
    an idle keep-alive connection or opens another, and its latency counts from its scheduled
    time, so queueing anywhere (client included) shows in the figures."""
    host, port = base.removeprefix("http://").split(":")
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    idle: list[tuple[float, _Conn]] = []
    latencies: list[float] = []
    errors: Counter[str] = Counter()

    async def connection() -> _Conn:
        while idle:
            used, conn = idle.pop()
            if time.monotonic() - used < KEEP_ALIVE_SECONDS:
                return conn
            conn.writer.close()  # uvicorn closes keep-alive connections idle for 5 s
        return _Conn(*await asyncio.open_connection(host, int(port)))

    async def one(scheduled: float) -> None:
        conn = await connection()
        try:
            status = await conn.get(request)
            idle.append((time.monotonic(), conn))
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:  # count it, keep the schedule
            status = 0
            errors[type(exc).__name__] += 1
            conn.writer.close()
        latencies.append((time.perf_counter() - scheduled) * 1000)
        if status not in (0, 200):
            errors[str(status)] += 1

    await one(time.perf_counter())  # warm a connection
    latencies.clear()
    start = time.perf_counter() + 0.05
    tasks = []
    for i in range(int(rate * seconds)):
        at = start + i / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(at)))
    await asyncio.gather(*tasks)
    for _, conn in idle:
        conn.writer.close()
    return latencies, errors


def _cpu_ms(root: int) -> float:
    """CPU time (user + system) of a process and its descendants, live or exited, in ms."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        # utime, stime, then cutime, cstime: children that exited and were waited for.
        total += sum(int(f) for f in fields[11:15]) / hz * 1000
        pending.extend(int(c) for c in children)
    return total


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def _read_costs(org_id: uuid.UUID, lead_id: uuid.UUID, token: str, n: int = 2000) -> None:
    """The same lead read three ways, interleaved in rounds so a noisy neighbour slows all
    three alike: secured (tenant session: RLS, decryption, read audit), bare (the same ORM
    read as the owner: no RLS, nothing decrypted, no audit) and a hand-written SELECT."""
    from sqlalchemy import text

    from api.auth import resolve
    from core.db import owner_engine, owner_session, tenant_session
    from models.residents import Lead

    def secured() -> uuid.UUID | None:
        with tenant_session(org_id, request_id="bench") as s:
            lead = s.get(Lead, lead_id)
            assert lead is not None and lead.first_name and lead.last_name is not None
            return lead.id

    def bare() -> uuid.UUID | None:
        with owner_session() as s:
            lead = s.get(Lead, lead_id)
            return lead.id if lead else None

    eng = owner_engine()

    def raw_sql() -> uuid.UUID | None:
        with eng.begin() as c:
            return c.execute(text("SELECT * FROM leads WHERE id = :i"), {"i": lead_id}).one().id

    def auth() -> None:
        assert resolve(token, request_id="bench", source_ip="127.0.0.1") is not None

    same_work("lead read", {"asked for": lead_id, "secured": secured(), "bare": bare(), "raw SQL": raw_sql()})
    cases = {"secured": secured, "bare": bare, "raw SQL": raw_sql, "session resolution": auth}
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu = dict.fromkeys(cases, 0.0)
    for fn in cases.values():
        for _ in range(200):
            fn()
    for _ in range(n // 100):
        for name, fn in cases.items():
            c0 = time.process_time()
            for _ in range(100):
                t = time.perf_counter()
                fn()
                wall[name].append((time.perf_counter() - t) * 1000)
            cpu[name] += (time.process_time() - c0) * 1000
    p50 = {name: statistics.median(xs) for name, xs in wall.items()}
    per = {name: total / len(wall[name]) for name, total in cpu.items()}
    s, b, r, a = (p50[k] for k in cases)
    print(
        f"one lead read, in-process p50: secured {s:.2f} ms, bare {b:.2f} ms -> secured/bare {s / b:.2f} "
        f"(target <= 1.5); a hand-written SELECT {r:.2f} ms -> secured/SELECT {s / r:.2f}"
    )
    print(
        f"  client CPU per read: secured {per['secured']:.2f} ms, bare {per['bare']:.2f} ms, "
        f"hand-written SELECT {per['raw SQL']:.2f} ms"
    )
    print(
        f"session resolution (api/auth.resolve) p50: {a:.2f} ms per request, "
        f"{per['session resolution']:.2f} ms client CPU"
    )


def _asgi_costs(token: str, lead_id: uuid.UUID, n: int = 1000) -> None:
    """CPU per request of the whole API stack (middleware, session check, dependencies, the
    tenant transaction, serialisation), with the app called in this process: what one
    request costs, whatever else the machine is doing."""
    from starlette.types import Message
    from uvloop import run

    from api.app import create_app

    app = create_app()

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def costs(path: str) -> tuple[float, float]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
        }

        async def one() -> None:
            status: list[int] = []

            async def send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status.append(int(message["status"]))

            await app(dict(scope), receive, send)
            assert status == [200], (path, status)

        for _ in range(200):
            await one()
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            await one()
        return (time.process_time() - c0) / n * 1000, (time.perf_counter() - w0) / n * 1000

    for path, what in (
        (f"/v1/leads/{lead_id}", "GET /v1/leads/{id}"),
        ("/v1/auth/me", "GET /v1/auth/me"),
        ("/health", "GET /health"),
    ):
        cpu, wall = run(costs(path))
        print(f"  {what:<20} {cpu:5.2f} ms CPU, {wall:5.2f} ms wall per request (in-process, one at a time)")


def _verify_bench(entries: int) -> None:

    from cli.admin import verify_chains
    from core import audit, audit_sealer
    from core.db import owner_engine, tenant_session
    from core.enums import AuditAction
    from seed import seed_org

    org_id = seed_org(uuid.uuid4(), registry.seed_story(), seed_value=8, slug="verify-bench").org_id
    t = time.perf_counter()
    with tenant_session(org_id, actor_type="bench") as s:
        for start in range(0, entries, 10_000):
            audit._insert_events(
                s,
                [
                    audit._Pending(AuditAction.READ, "leads", uuid.uuid4(), {"fields": ["first_name"]})
                    for _ in range(min(10_000, entries - start))
                ],
            )
    written = time.perf_counter() - t
    t = time.perf_counter()
    sealed = audit_sealer.seal_pending(org_id, batch=20_000)
    sealing = time.perf_counter() - t
    t = time.perf_counter()
    (report,) = verify_chains(org_id)
    verifying = time.perf_counter() - t
    assert report.ok and sealed == entries and report.entries >= entries, report
    entries = report.entries
    # The ceiling: the same HMAC chain over the same rows already in memory.
    with owner_engine().connect() as conn, conn.begin():
        cur = audit.driver(conn).cursor()
        cur.execute("SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true)")
        lines = list(
            audit.copy_lines(
                cur,
                f"SELECT {audit.SIGNED_COLUMNS} FROM audit_logs WHERE org_id = %s ORDER BY seq",
                (org_id,),
            )
        )
    same_work("chain entries hashed", {"audit verify": entries, "in-memory chain": len(lines)})
    key = audit.signing_key()[1]
    t = time.perf_counter()
    prev = audit.ZERO_HASH
    for line in lines:
        prev = hmac.digest(key, prev + line, "sha256")
    ceiling = len(lines) / (time.perf_counter() - t)
    rate = entries / verifying
    print(
        f"audit events written: {entries / written:,.0f}/s; sealed into the chain: {sealed / sealing:,.0f}/s"
    )
    print(
        f"audit verify: {rate:,.0f} entries/s over {entries:,} entries; in-memory HMAC chain "
        f"{ceiling:,.0f}/s -> {rate / ceiling:.2f} of the ceiling (target >= 120,000/s)"
    )


def _http_reads(
    base: str, path: str, token: str, seconds: float, procs: list[subprocess.Popen[bytes]], postmaster: int
) -> None:
    from uvloop import run

    worker, api = procs[1].pid, procs[2].pid
    print(f"GET /v1/leads/{{id}} through `recoveryos api --workers {API_WORKERS}`, one org, open loop:")
    run(_open_loop(base, path, token, 100, 1.0))  # warm every worker's pools and caches
    best = None
    for rate in RATES:
        before = _cpu_ms(api), _cpu_ms(postmaster), _cpu_ms(worker), time.process_time() * 1000
        lat, errors = run(_open_loop(base, path, token, rate, seconds))
        after = _cpu_ms(api), _cpu_ms(postmaster), _cpu_ms(worker), time.process_time() * 1000
        api_ms, pg_ms, worker_ms, client_ms = ((b - a) / len(lat) for a, b in zip(before, after, strict=True))
        p50, p99 = _pct(lat, 0.50), _pct(lat, 0.99)
        failed = f", failed: {dict(errors)}" if errors else ""
        print(
            f"  {rate:>3} rps: p50 {p50:7.2f} ms   p99 {p99:8.2f} ms   ({len(lat)} requests{failed})   "
            f"CPU ms/request: api {api_ms:.2f}, postgres {pg_ms:.2f}, worker {worker_ms:.2f}, "
            f"load generator {client_ms:.2f}"
        )
        if p99 <= P99_TARGET_MS and not errors:
            best = rate
    print(f"highest rate with p99 <= {P99_TARGET_MS:.0f} ms: {best or 'none'} rps (target: 300)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--entries", type=int, default=200_000)
    args = ap.parse_args()
    state = Path(tempfile.mkdtemp(prefix="recoveryos-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    servers: list[object] = []
    try:
        base = _start_stack(state, procs, servers)
        org_id, token, lead_id = _seed()
        postmaster = int((state / "pgdata" / "postmaster.pid").read_text().split()[0])
        _http_reads(base, f"/v1/leads/{lead_id}", token, args.seconds, procs, postmaster)
        _read_costs(org_id, lead_id, token)
        print("the API stack's own cost, all threads of one process:")
        _asgi_costs(token, lead_id)
        _verify_bench(args.entries)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        from core.db import dispose_engines

        dispose_engines()
        for pg in servers:
            pg.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
