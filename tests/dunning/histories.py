"""Recording scenarios for the dunning workflows (tests/test_replay.py). The worker that records
them uses the recording notifier, so no SMTP server is needed:

    RECORD_HISTORIES=1 .venv/bin/pytest tests/test_replay.py -k record
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from temporalio.client import Client, WorkflowHandle

from core.contracts.billing import DUNNING
from core.process import Actor
from tests.dunning.builders import billed_in
from tests.harness import Scenario
from workflows.billing.dunning import (
    WRITE_OFF,
    DunningInput,
    DunningSweepWorkflow,
    DunningWorkflow,
    SweepInput,
    WriteOffRequest,
    WriteOffWorkflow,
    dunning_id,
)


async def ladder(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """Reminder, late fee, second reminder, escalation: the whole default ladder."""
    _, _, (invoice_id,), _, _ = billed_in(actor.org_id, datetime.now(UTC).date(), house_name="Ladder House")
    return await client.start_workflow(
        DunningWorkflow.run,
        DunningInput(actor, invoice_id),
        id=dunning_id(actor.org_id, invoice_id),
        task_queue=queue,
    )


async def write_off(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    _, _, (invoice_id,), _, _ = billed_in(
        actor.org_id, datetime.now(UTC).date() - timedelta(days=30), house_name="Write-off House", steps=[]
    )
    handle = await client.start_workflow(
        WriteOffWorkflow.run,
        WriteOffRequest(actor, invoice_id),
        id=WRITE_OFF.id(actor.org_id, uuid.uuid4()),
        task_queue=queue,
    )
    await handle.execute_update(WriteOffWorkflow.write_off, actor)
    return handle


async def sweep(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """Three overdue invoices in pages of two: three ladders started as abandoned children."""
    billed_in(
        actor.org_id, datetime.now(UTC).date() - timedelta(days=40), residents=3, house_name="Sweep House"
    )
    return await client.start_workflow(
        DunningSweepWorkflow.run,
        SweepInput(actor, page_size=2, pages_per_run=2),
        id=DUNNING.id(actor.org_id, f"sweep-{uuid.uuid4().hex[:6]}"),
        task_queue=queue,
    )


SCENARIOS: dict[str, Scenario] = {
    "dunning-ladder": ladder,
    "dunning-write-off": write_off,
    "dunning-sweep": sweep,
}
