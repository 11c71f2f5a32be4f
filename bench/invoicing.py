"""bench/invoicing: one rent run through Temporal against a raw-SQL baseline, and the worker's RSS.

Starts an embedded stack like `recoveryos dev` (embedded PostgreSQL, a Temporal dev server,
and `recoveryos worker` as its own process, so its memory can be measured), seeds two orgs
with N active residents each (one house of N beds, a monthly house rent; bulk inserts, not
measured), then:

  - temporal: once the worker polls (its start-up is not measured), one `BillingRentRun` for
    org A end to end (real workflow, real worker, batches of `--batch` residents per activity,
    continue-as-new every `--batches-per-run` batches), with its audit trail (one chained
    entry per batch naming every invoice and journal it wrote);
  - baseline: for org B, one transaction on the same role under the same row-level security
    that reads the same stays and inserts the same invoice, line-item and ledger rows with
    psycopg's `executemany` (no Temporal, no ORM, no audit trail);

and prints both times, the worker's peak RSS (VmHWM), each org's trial balance (must be 0)
and, last, `ratio=<temporal / baseline>`.

    .venv/bin/python -m bench.invoicing [--residents 10000] [--batch 500] [--batches-per-run 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from bench.checks import same_work
from bench.stack import BIN, start_postgres, start_temporal, stop

AS_OF = date(2026, 11, 1)
RENT_CENTS = 90_000
TASK_QUEUE = "bench-invoicing"


def _start_stack(state: Path) -> tuple[object, list[subprocess.Popen[bytes]]]:
    """Embedded PostgreSQL (migrated), a Temporal dev server and the worker process."""

    pg = start_postgres(state, [], RECOVERYOS_TASK_QUEUE=TASK_QUEUE)
    procs: list[subprocess.Popen[bytes]] = []
    start_temporal(state, procs)
    procs.append(subprocess.Popen([str(BIN / "recoveryos"), "worker"]))
    return pg, procs


def _seed(residents: int) -> uuid.UUID:
    """One org, one house of `residents` beds with a monthly rent, everyone admitted in
    January (so November bills a full month: no proration)."""
    from core.db import tenant_session
    from core.enums import BillingFrequency
    from models.orgs import Organization
    from services.billing import accounts, rates
    from services.billing.rates import NewRate
    from tests.billing.builders import admit, make_house

    org_id = uuid.uuid4()
    with tenant_session(org_id, actor_type="bench") as s:
        s.add(Organization(id=org_id, name="Bench org", slug=f"bench-{org_id.hex[:8]}"))
    house = make_house(org_id, beds=residents, rooms=max(1, residents // 4))
    with tenant_session(org_id, actor_type="bench") as s:
        rates.create_rate(
            s,
            uuid.uuid4(),
            NewRate("Rent", RENT_CENTS, BillingFrequency.MONTHLY, date(2026, 1, 1), house_id=house.house_id),
        )
        accounts.ensure_accounts(s)
    for start in range(0, residents, 2_000):
        admit(org_id, house, [(date(2026, 1, 1), None)] * min(2_000, residents - start), first_bed=start)
    return org_id


def _analyze() -> None:
    """Planner statistics for the freshly bulk-loaded tables, as a database in steady state has
    them (autovacuum would take up to a minute): without them the stays query of each batch
    is planned for one row and runs some 50 times slower."""
    from sqlalchemy import text

    from core.db import owner_engine

    with owner_engine().connect() as c:
        c.execute(text("ANALYZE"))
        c.commit()


def _vm_hwm_mb(pid: int) -> float:
    """Peak resident set size of a live process (Linux /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not reported")


async def _worker_polling(timeout: float = 120) -> None:
    """Wait until the worker process polls the task queue: its start-up is not measured."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    from core.temporal import connect

    client = await connect(os.environ["TEMPORAL_ADDRESS"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=TASK_QUEUE),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            )
        )
        if got.pollers:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("the worker never polled the task queue")


async def _through_temporal(org_id: uuid.UUID, batch: int, per_run: int) -> tuple[float, int, int]:
    from core.process import Actor
    from core.temporal import connect, ensure_search_attributes
    from workflows.billing import BILLING
    from workflows.billing.rent_run import RentRunInput, RentRunWorkflow

    # (Settings were read before the dev server's port was known: pass the address.)
    client = await connect(os.environ["TEMPORAL_ADDRESS"])
    await ensure_search_attributes(client)
    t = time.perf_counter()
    result = await client.execute_workflow(
        RentRunWorkflow.run,
        RentRunInput(Actor.system(org_id), as_of=AS_OF, batch_size=batch, batches_per_run=per_run),
        id=BILLING.id(org_id, "rent-run-bench"),
        task_queue=TASK_QUEUE,
    )
    return time.perf_counter() - t, result.issued, result.runs


def _raw_sql(org_id: uuid.UUID) -> tuple[float, int]:
    """The same rows as the rent run, by hand: one read of the stays and the rate, three
    `executemany` inserts, one commit (the deferred balance trigger runs at commit)."""

    import psycopg

    from core.db import tenant_session
    from core.enums import BillingFrequency
    from services.billing.accounts import ACCOUNTS, RECEIVABLE, RENT_REVENUE
    from services.billing.keys import invoice_number, rent_invoice_id, rent_invoice_key
    from services.billing.periods import period_containing
    from services.ledger import journal_id_for

    period = period_containing(AS_OF, BillingFrequency.MONTHLY)
    t = time.perf_counter()
    # The product's tenant transaction (every session setting the policies read, as a rent
    # run's activity has them): a setting added later cannot silently empty the baseline.
    with tenant_session(org_id, actor_type="bench") as s:
        conn = s.connection().connection.driver_connection
        assert isinstance(conn, psycopg.Connection)
        with conn.cursor() as cur:
            cur.execute("SELECT code, id FROM ledger_accounts WHERE code = ANY(%s)", (list(ACCOUNTS),))
            acct = dict(cur.fetchall())
            cur.execute(
                "SELECT a.resident_id, a.house_id, r.id, r.amount_cents FROM admissions a "
                "JOIN rate_configs r ON r.house_id = a.house_id AND r.line_type = 'rent' "
                "WHERE a.status = 'active' ORDER BY a.resident_id"
            )
            stays = cur.fetchall()
            invoices: list[tuple[Any, ...]] = []
            lines: list[tuple[Any, ...]] = []
            entries: list[tuple[Any, ...]] = []
            for resident_id, house_id, rate_id, cents in stays:
                inv = rent_invoice_id(org_id, resident_id, period.start)
                invoices.append(
                    (inv, org_id, resident_id, house_id, invoice_number(inv, period.start), period.start,
                     period.end, AS_OF, AS_OF, cents, cents, rent_invoice_key(resident_id, period.start))
                )  # fmt: skip
                lines.append((uuid.uuid4(), org_id, inv, rate_id, cents, cents))
                journal = journal_id_for(f"invoice:{inv}")
                for n, (code, direction) in enumerate(((RECEIVABLE, "debit"), (RENT_REVENUE, "credit")), 1):
                    entries.append(
                        (uuid.uuid4(), org_id, journal, n, acct[code], direction, cents, resident_id, inv,
                         AS_OF, "Rent invoice issued")
                    )  # fmt: skip
            cur.executemany(
                "INSERT INTO invoices (id, org_id, resident_id, house_id, number, status, is_rent, "
                "period_start_date, period_end_date, issued_date, due_date, subtotal_cents, total_cents, "
                "idempotency_key) VALUES (%s, %s, %s, %s, %s, 'open', true, %s, %s, %s, %s, %s, %s, %s)",
                invoices,
            )
            cur.executemany(
                "INSERT INTO invoice_line_items (id, org_id, invoice_id, position, line_type, "
                "rate_config_id, quantity, unit_amount_cents, amount_cents) "
                "VALUES (%s, %s, %s, 0, 'rent', %s, 1, %s, %s)",
                lines,
            )
            cur.executemany(
                "INSERT INTO ledger_entries (id, org_id, journal_id, line_no, account_id, direction, "
                "amount_cents, resident_id, invoice_id, effective_date, description) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                entries,
            )
    return time.perf_counter() - t, len(invoices)


def _totals(org_id: uuid.UUID) -> tuple[int, int, int, int, int]:
    """Invoices, line items, trial balance, audit entries (pending + chained) and cents
    invoiced of the org."""
    from sqlalchemy import func, select, text

    from core.db import tenant_session
    from models.payments import Invoice, InvoiceLineItem
    from services.billing import accounts

    with tenant_session(org_id, actor_type="bench") as s:
        audit = s.execute(
            text(
                "SELECT (SELECT count(*) FROM audit_events WHERE org_id = :o)"
                " + (SELECT count(*) FROM audit_logs WHERE org_id = :o)"
            ),
            {"o": org_id},
        ).scalar_one()
        return (
            s.scalar(select(func.count()).select_from(Invoice)) or 0,
            s.scalar(select(func.count()).select_from(InvoiceLineItem)) or 0,
            accounts.trial_balance(s),
            int(audit),
            s.scalar(select(func.coalesce(func.sum(Invoice.total_cents), 0))) or 0,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--batches-per-run", type=int, default=40)
    args = ap.parse_args()

    state = Path(tempfile.mkdtemp(prefix="recoveryos-bench-invoicing-"))
    pg, procs = _start_stack(state)
    worker = procs[-1]
    try:
        t = time.perf_counter()
        a, b = _seed(args.residents), _seed(args.residents)
        _analyze()
        print(f"seeded 2 orgs x {args.residents:,} active residents in {time.perf_counter() - t:.1f} s")
        audit_before = {org: _totals(org)[3] for org in (a, b)}
        asyncio.run(_worker_polling())
        rss_before = _vm_hwm_mb(worker.pid)
        via_temporal, issued, runs = asyncio.run(_through_temporal(a, args.batch, args.batches_per_run))
        rss_peak = _vm_hwm_mb(worker.pid)
        print(
            f"temporal: {issued:,} invoices in {via_temporal:.2f} s ({runs} run(s), batches of {args.batch})"
        )
        baseline, inserted = _raw_sql(b)
        print(f"raw sql:  {inserted:,} invoices in {baseline:.2f} s (executemany, one transaction)")
        totals = {name: _totals(org) for name, org in (("temporal", a), ("raw sql", b))}
        for (name, org), (invoices, lines, balance, audit, cents) in zip(
            (("temporal", a), ("raw sql", b)), totals.values(), strict=True
        ):
            print(
                f"{name}: {invoices:,} invoices, {lines:,} line items, {cents / 100:,.2f} invoiced, "
                f"trial balance {balance}, {audit - audit_before[org]} audit entries written"
            )
        same_work("invoices issued", {"seeded": args.residents, "temporal": issued, "raw sql": inserted})
        same_work(
            "invoices, line items and cents invoiced", {k: (t[0], t[1], t[4]) for k, t in totals.items()}
        )
        same_work(
            "trial balances", {"balanced books": 0, **{k: t[2] for k, t in totals.items()}}, zero_is_work=True
        )
        print(f"worker peak RSS: {rss_peak:.0f} MB (after start-up {rss_before:.0f} MB; target < 500 MB)")
        print(f"ratio={via_temporal / baseline:.2f}")
    finally:
        stop(procs)
        pg.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
