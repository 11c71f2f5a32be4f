"""bench/rent_run: one rent run over N residents (default 10,000) through Temporal.

Seeds two orgs with N active residents each (one house, 100 rooms) on a scratch embedded
PostgreSQL, starts a Temporal dev server and the worker, then:
  - runs `BillingRentRun` for org A end to end (batches of 500, continue-as-new every 40),
  - calls the same batch function directly for org B (no Temporal), as the baseline,
and prints invoices/s for both, their ratio (last line `ratio=<x>`), and each org's trial
balance (must be 0).

    .venv/bin/python -m bench.rent_run [--residents 10000] [--batch 500]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import date

from bench.checks import same_work
from bench.ledger import _setup_env


def _seed(residents: int) -> uuid.UUID:
    from core.db import tenant_session
    from core.enums import BillingFrequency
    from models.orgs import Organization
    from services.billing import rates
    from services.billing.rates import NewRate
    from tests.billing.builders import admit, make_house

    org_id = uuid.uuid4()
    with tenant_session(org_id, actor_type="bench") as s:
        s.add(Organization(id=org_id, name="Bench org", slug=f"bench-{org_id.hex[:8]}"))
    house = make_house(org_id, beds=residents, rooms=100)
    with tenant_session(org_id, actor_type="bench") as s:
        rates.create_rate(
            s,
            uuid.uuid4(),
            NewRate("Rent", 90_000, BillingFrequency.MONTHLY, date(2026, 1, 1), house_id=house.house_id),
        )
    for start in range(0, residents, 2_000):
        n = min(2_000, residents - start)
        admit(org_id, house, [(date(2026, 1, 1), None)] * n, first_bed=start)
    return org_id


def _trial_balance(org_id: uuid.UUID) -> tuple[int, int]:
    from sqlalchemy import func, select

    from core.db import tenant_session
    from models.payments import Invoice
    from services.billing import accounts

    with tenant_session(org_id, actor_type="bench") as s:
        return s.scalar(select(func.count()).select_from(Invoice)) or 0, accounts.trial_balance(s)


async def _through_temporal(org_id: uuid.UUID, batch: int) -> tuple[float, int]:
    from concurrent.futures import ThreadPoolExecutor

    from core.process import Actor
    from core.temporal import connect
    from tests.harness import temporal_dev_server
    from worker import build_worker
    from workflows.billing import BILLING
    from workflows.billing.rent_run import RentRunInput, RentRunWorkflow

    with temporal_dev_server() as (address, _):
        client = await connect(address)
        async with build_worker(client, task_queue="bench", executor=ThreadPoolExecutor(4)):
            t = time.perf_counter()
            result = await client.execute_workflow(
                RentRunWorkflow.run,
                RentRunInput(Actor.system(org_id), as_of=date(2026, 11, 1), batch_size=batch),
                id=BILLING.id(org_id, "rent-run-bench"),
                task_queue="bench",
            )
            elapsed = time.perf_counter() - t
    print(f"temporal: {result.issued:,} invoices in {elapsed:.2f} s over {result.runs} run(s)")
    return elapsed, result.issued


def _direct(org_id: uuid.UUID, batch: int) -> tuple[float, int]:
    from core.db import tenant_session
    from services.billing import rent

    t = time.perf_counter()
    after: uuid.UUID | None = None
    issued = 0
    while True:
        with tenant_session(org_id, actor_type="bench") as s:
            done = rent.issue_rent_batch(s, date(2026, 11, 1), after, batch)
        issued += done.issued
        after = done.next_after
        if after is None:
            break
    elapsed = time.perf_counter() - t
    print(f"direct:   {issued:,} invoices in {elapsed:.2f} s (same batches, no Temporal)")
    return elapsed, issued


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()

    server = _setup_env()
    try:
        from core.bootstrap import migrate

        migrate()
        a, b = _seed(args.residents), _seed(args.residents)
        via_temporal, issued_a = asyncio.run(_through_temporal(a, args.batch))
        direct, issued_b = _direct(b, args.batch)
        books = {name: _trial_balance(org) for name, org in (("temporal", a), ("direct", b))}
        for name, (count, balance) in books.items():
            print(f"{name}: {count:,} invoices, trial balance {balance}")
        same_work("invoices issued", {"seeded": args.residents, "temporal": issued_a, "direct": issued_b})
        same_work("invoices in the books", {name: count for name, (count, _) in books.items()})
        same_work(
            "trial balances",
            {"balanced books": 0, **{n: b for n, (_, b) in books.items()}},
            zero_is_work=True,
        )
        print(
            f"invoices/s temporal={args.residents / via_temporal:,.0f} direct={args.residents / direct:,.0f}"
        )
        print(f"ratio={via_temporal / direct:.2f}")
    finally:
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
