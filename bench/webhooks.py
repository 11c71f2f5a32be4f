"""bench/webhooks: outbox events delivered to local receivers by the real worker, in one run.

Starts an embedded stack like `recoveryos dev` (embedded PostgreSQL, a Temporal dev server,
`recoveryos worker` as its own process), one org with two webhook endpoints for
`lead.created.v1`, each with its own receiver on this machine (bench/receiver.py: an asyncio
receiver in a process of its own, as light as it can be, since a real one runs on another
machine; it notes when each request arrived; every signature is checked with the
`standardwebhooks` library afterwards), and their
`WebhookEndpoint` workflows. Then:

  1. healthy: `--events` leads created through `services.intake.record_lead` (the code the API
     runs; each lead its own transaction, `--writers` processes, paced at `--rate` per second:
     400 by default, above the target, since deliveries cannot outrun the commits), delivered
     to both receivers;
  2. one down: receiver B stopped, the same number of leads again; A's figures show whether a
     receiver that is down slows the others; then B starts again and must get every event;
  3. the receiver's own ceiling: the same receiver fed the same signed bodies directly, one
     request at a time on a new connection each (what one endpoint's delivery does), and from
     8 threads at once.

For each phase and endpoint it prints events delivered per second (from the first commit to the
last arrival), and p50/p99 from an event's commit to its first arrival. Every receiver must
have got every event committed (else INVALID BENCH, exit 1). Target: at least 300 events/s
sustained with p99 under 2 s on a healthy receiver (issue 22); the verdict takes the slowest
and the worst of the three healthy figures (A and B in phase 1, A in phase 2).

    .venv/bin/python -m bench.webhooks [--events 3000] [--rate 400] [--writers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from standardwebhooks.webhooks import Webhook as StandardWebhook

from bench.checks import same_work
from bench.receiver import LeanReceiver as Receiver
from bench.stack import BIN, start_postgres, start_temporal, stop

TASK_QUEUE = "bench-webhooks"
TARGET_RATE, TARGET_P99_S = 300.0, 2.0
SENDS = {"webhooks.send", "webhooks.send_run"}


def _got(r: Receiver, ids: set[str]) -> int:
    return len(ids & r.arrivals().keys())


def _bad_signatures(r: Receiver, secret: str) -> int:
    """Requests whose signature is not the `standardwebhooks` library's for their id, timestamp
    and body (checked after the run, so without the library's five-minute freshness window)."""
    signer = StandardWebhook(secret)
    bad = 0
    for req in r.requests():
        h = req.headers
        at = datetime.fromtimestamp(int(h["webhook-timestamp"]), UTC)
        bad += signer.sign(h["webhook-id"], at, req.body) not in h["webhook-signature"].split()
    return bad


@contextmanager
def _stack(state: Path, receivers: list[Receiver]) -> Iterator[None]:
    """PostgreSQL, Temporal and the worker, allowed to call these receivers (and nothing else)."""
    targets = ", ".join(f'"127.0.0.1:{r.port}"' for r in receivers)
    pg = start_postgres(
        state,
        [],
        RECOVERYOS_TASK_QUEUE=TASK_QUEUE,
        RECOVERYOS_WEBHOOK_ALLOWED_TARGETS=f"[{targets}]",
        RECOVERYOS_WEBHOOK_TIMEOUT_SECONDS="5",
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        start_temporal(state, procs)
        procs.append(subprocess.Popen([str(BIN / "recoveryos"), "worker"]))
        yield
    finally:
        stop(procs)
        pg.cleanup()  # type: ignore[attr-defined]


def _org_and_endpoints(receivers: list[Receiver]) -> tuple[uuid.UUID, list[uuid.UUID], list[str]]:
    from core.db import tenant_session
    from core.events import EventType
    from models.orgs import Organization
    from services.webhooks import endpoints

    org_id = uuid.uuid4()
    with tenant_session(org_id, actor_type="bench") as s:
        s.add(Organization(id=org_id, name="Webhook bench", slug=f"bench-{org_id.hex[:8]}"))
    hooks, secrets = [], []
    for r in receivers:
        with tenant_session(org_id, actor_type="bench") as s:
            hook, secret = endpoints.create(s, r.url, [EventType.LEAD_CREATED], "bench", None)
            hooks.append(hook.id)
            secrets.append(secret)
    return org_id, hooks, secrets


async def _start_delivery(org_id: uuid.UUID, hooks: list[uuid.UUID]) -> None:
    from core.process import Actor
    from core.temporal import connect, ensure_search_attributes
    from workflows.webhooks import WEBHOOKS, EndpointInput, WebhookEndpointWorkflow

    # (Settings were read before the dev server's port was known: pass the address.)
    client = await connect(os.environ["TEMPORAL_ADDRESS"])
    await ensure_search_attributes(client)
    handles = [
        await client.start_workflow(
            WebhookEndpointWorkflow.run,
            EndpointInput(Actor.system(org_id), hook),
            id=WEBHOOKS.id(org_id, hook),
            task_queue=TASK_QUEUE,
        )
        for hook in hooks
    ]
    # A query is answered only by a worker: phase 1 starts once the worker (its own process,
    # just started) runs the workflows, so its start-up is not counted as delivery time.
    t = time.monotonic()
    for handle in handles:
        await handle.query(WebhookEndpointWorkflow.state)
    print(f"worker running the endpoints' workflows after {time.monotonic() - t:.1f} s")


async def _where_time_goes(org_id: uuid.UUID, hook: uuid.UUID) -> None:
    """From the endpoint's workflow history (its current run): per `webhooks.send_run` (a run of
    events; `webhooks.send` before the `webhooks-send-run` patch), the wait for a worker to
    take it, the activity itself, and the workflow's turn from one's end to the next one's
    scheduling."""
    from core.temporal import connect
    from workflows.webhooks import WEBHOOKS

    client = await connect(os.environ["TEMPORAL_ADDRESS"])
    history = await client.get_workflow_handle(WEBHOOKS.id(org_id, hook)).fetch_history()
    scheduled: dict[int, float] = {}
    started: dict[int, float] = {}
    done: dict[int, float] = {}
    for e in history.events:
        at = e.event_time.ToDatetime().timestamp()
        if e.HasField("activity_task_scheduled_event_attributes"):
            if e.activity_task_scheduled_event_attributes.activity_type.name in SENDS:
                scheduled[e.event_id] = at
        elif e.HasField("activity_task_started_event_attributes"):
            started[e.activity_task_started_event_attributes.scheduled_event_id] = at
        elif e.HasField("activity_task_completed_event_attributes"):
            done[e.activity_task_completed_event_attributes.scheduled_event_id] = at
    ids = sorted(k for k in scheduled if k in started and k in done)
    if len(ids) < 2:
        return
    wait = statistics.mean(started[k] - scheduled[k] for k in ids)
    run = statistics.mean(done[k] - started[k] for k in ids)
    turn = statistics.median(scheduled[b] - done[a] for a, b in itertools.pairwise(ids))
    print(
        f"  where a delivery's time goes (A's history, {len(ids):,} sends or runs): waiting for a "
        f"worker {wait * 1000:,.0f} ms, the activity {run * 1000:,.0f} ms, the workflow's turn to "
        f"the next one {turn * 1000:,.0f} ms (median)"
    )


def _writer(org_id: uuid.UUID, first: int, step: int, n: int, rate: float, start: float) -> dict[str, float]:
    """One writer process's share of the leads: numbers `first`, `first + step`, ... below `n`,
    lead i committed no earlier than `start + i / rate`. Event id -> commit time."""
    from core.contracts.intake import NewLead
    from core.db import tenant_session
    from core.events import EventType, event_id
    from services import intake

    if n == 0:
        _warm_up(org_id)
    committed: dict[str, float] = {}
    for i in range(first, n, step):
        delay = start + i / rate - time.time()
        if delay > 0:
            time.sleep(delay)
        lead_id = uuid.uuid4()
        with tenant_session(org_id, actor_type="bench") as s:
            intake.record_lead(s, lead_id, NewLead("Bench", f"Lead{i}"), created_by=None)
        committed[str(event_id(org_id, EventType.LEAD_CREATED, lead_id))] = time.time()
    return committed


class _RolledBack(Exception):
    pass


def _warm_up(org_id: uuid.UUID) -> None:
    """What a writer's first lead would cost once (configuring the ORM's mappers, the
    connection, compiling the statements: about a second of CPU in each process), paid before
    the phase: one lead recorded and rolled back, so no event is committed."""
    from core.contracts.intake import NewLead
    from core.db import tenant_session
    from services import intake

    try:
        with tenant_session(org_id, actor_type="bench") as s:
            intake.record_lead(s, uuid.uuid4(), NewLead("Bench", "Warm-up"), created_by=None)
            raise _RolledBack
    except _RolledBack:
        pass


def _create_leads(org_id: uuid.UUID, n: int, rate: float, writers: int) -> dict[str, float]:
    """`n` leads, each in its own transaction, paced at `rate`/s: event id -> commit time.
    The writers are processes of their own (started before the phase, so their start-up is
    not counted), as API replicas would be: in this process they would share one interpreter
    lock with the receivers and hold the offered rate down (182 leads/s from 4 threads)."""
    with ProcessPoolExecutor(writers, mp_context=multiprocessing.get_context("spawn")) as pool:
        # Every process imports the application, opens its connection and records (and rolls
        # back) one lead first.
        list(
            pool.map(
                _writer,
                [org_id] * writers,
                range(writers),
                [writers] * writers,
                [0] * writers,
                [rate] * writers,
                [0.0] * writers,
            )
        )
        start = time.time() + 0.2
        shares = pool.map(
            _writer,
            [org_id] * writers,
            range(writers),
            [writers] * writers,
            [n] * writers,
            [rate] * writers,
            [start] * writers,
        )
        committed: dict[str, float] = {}
        for share in shares:
            committed.update(share)
    return committed


def _committed(committed: dict[str, float]) -> None:
    """The rate the writers reached, from their commit times, and how busy the machine was (a
    load above its 2 cores means other work took CPU from this run)."""
    span = max(committed.values()) - min(committed.values())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rate = len(committed) / max(span, 1e-3)
    print(f"  committed {len(committed):,} leads at {rate:,.0f}/s; load average {load}")


def _wait_all(receivers: list[Receiver], ids: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(_got(r, ids) < len(ids) for r in receivers) and time.monotonic() < deadline:
        time.sleep(0.05)


def _figures(name: str, r: Receiver, committed: dict[str, float]) -> tuple[float, float]:
    """Print and return (events/s, p99 s) of one receiver for one phase's events."""
    arrived = r.arrivals()
    lat = sorted(arrived[k] - t for k, t in committed.items() if k in arrived)
    if not lat:
        print(f"  {name}: nothing delivered")
        return 0.0, float("inf")
    last = max(arrived[k] for k in committed if k in arrived)
    rate = len(lat) / (last - min(committed.values()))
    p50 = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(
        f"  {name}: {len(lat):,} delivered, {rate:,.0f} events/s; commit to arrival "
        f"p50 {p50 * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms"
    )
    return rate, p99


def _ceiling(r: Receiver, secret: str, n: int) -> tuple[float, float, float]:
    """The receiver fed directly with signed bodies: one at a time, each on a new connection
    (as one delivery did before runs), one at a time on one connection, then from 8 threads
    (new connections); requests/s of each."""
    import httpx

    from services.webhooks.signing import headers

    bodies = [f'{{"id":"{uuid.uuid4()}","type":"lead.created.v1","data":{{}}}}'.encode() for _ in range(n)]

    tls = httpx.create_ssl_context(trust_env=False)  # loaded once, as core/egress.py does

    def post(body: bytes) -> None:
        with httpx.Client(timeout=10, trust_env=False, verify=tls) as http:
            sent = headers([secret], str(uuid.uuid4()), datetime.now(UTC), body)
            http.post(r.url, content=body, headers=sent)

    t = time.perf_counter()
    for b in bodies:
        post(b)
    sequential = n / (time.perf_counter() - t)
    # One at a time over one kept-alive connection: what a run of deliveries does, so the most
    # one endpoint's in-order feed could reach against this receiver.
    t = time.perf_counter()
    with httpx.Client(timeout=10, trust_env=False, verify=tls) as http:
        for b in bodies:
            http.post(r.url, content=b, headers=headers([secret], str(uuid.uuid4()), datetime.now(UTC), b))
    kept = n / (time.perf_counter() - t)
    t = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(post, bodies))
    return sequential, kept, n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=3000, help="leads created in each of the two phases")
    ap.add_argument(
        "--rate",
        type=float,
        default=400.0,
        help="leads offered per second (paced); above the target, so a delivery rate of 300/s can show",
    )
    ap.add_argument("--writers", type=int, default=4, help="threads creating leads")
    ap.add_argument("--timeout", type=float, default=300.0, help="longest wait for a phase's deliveries (s)")
    args = ap.parse_args()

    a, b = Receiver().start(), Receiver().start()
    state = Path(tempfile.mkdtemp(prefix="recoveryos-bench-webhooks-"))
    with _stack(state, [a, b]):
        org_id, hooks, secrets = _org_and_endpoints([a, b])
        asyncio.run(_start_delivery(org_id, hooks))

        print(f"phase 1, healthy: {args.events:,} leads at up to {args.rate:g}/s, {args.writers} writers")
        healthy = _create_leads(org_id, args.events, args.rate, args.writers)
        _committed(healthy)
        _wait_all([a, b], set(healthy), args.timeout)
        healthy_figures = [_figures("endpoint A", a, healthy), _figures("endpoint B", b, healthy)]

        print(f"phase 2, receiver B down: {args.events:,} more leads")
        b.stop()
        down = _create_leads(org_id, args.events, args.rate, args.writers)
        _committed(down)
        _wait_all([a], set(down), args.timeout)
        healthy_figures.append(_figures("endpoint A (B down)", a, down))
        asyncio.run(_where_time_goes(org_id, hooks[0]))
        print(f"  endpoint B: {_got(b, set(down))} of them delivered while down")
        b.start()
        back = time.time()
        _wait_all([b], set(down), args.timeout)
        came = [b.arrivals()[k] for k in down if k in b.arrivals()]
        caught_up = max(came, default=back) - back
        # Its backlog drained with the writers idle: what one endpoint's feed delivers when
        # it does not share the CPU with them (after its retry's backoff ran out).
        drain = len(came) / max(max(came, default=back) - min(came, default=back), 1e-3)
        print(
            f"  endpoint B back: {_got(b, set(down)):,} delivered, the last {caught_up:.1f} s after "
            f"it came back; its backlog drained at {drain:,.0f} events/s"
        )

        for r, secret, name in ((a, secrets[0], "A"), (b, secrets[1], "B")):
            everything = set(healthy) | set(down)
            same_work(f"events received by {name}", {"committed": everything, name: set(r.arrivals())})
            same_work(
                f"bad signatures at {name}", {"none": 0, name: _bad_signatures(r, secret)}, zero_is_work=True
            )

    seq, kept, par = _ceiling(a, secrets[0], max(200, args.events // 5))
    a.close()
    b.close()
    print(
        f"receiver ceiling (fed directly): {seq:,.0f} requests/s one at a time, {par:,.0f}/s from 8 threads, "
        f"{kept:,.0f}/s one at a time on one kept-alive connection"
    )
    # Every healthy receiver of both phases must reach it: the slowest rate and the worst p99.
    rate = min(r for r, _ in healthy_figures)
    p99 = max(p for _, p in healthy_figures)
    met = rate >= TARGET_RATE and p99 < TARGET_P99_S
    print(
        f"target >= {TARGET_RATE:g} events/s with p99 < {TARGET_P99_S:g} s on every healthy receiver: "
        f"{'met' if met else 'not met'} (slowest {rate:,.0f} events/s, worst p99 {p99:.2f} s)"
    )


if __name__ == "__main__":
    main()
