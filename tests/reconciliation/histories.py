"""Recording scenario for the daily reconciliation (tests/test_replay.py); it reads localstripe
(started by `tests.billing.histories.ensure_localstripe` when nothing listens)."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.client import Client, WorkflowHandle

from core.process import Actor
from tests.billing.histories import ensure_localstripe
from tests.harness import Scenario
from workflows.billing.reconciliation import RECONCILIATION, ReconcileDay, ReconciliationWorkflow


async def reconciliation_day(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """One charge Stripe has and the ledger lacks, reconciled for today."""
    gateway = ensure_localstripe()
    intent = gateway.create_intent(
        4_200, "usd", {"org_id": str(actor.org_id)}, idempotency_key="history-recon"
    )
    gateway.confirm_intent(
        intent.id, gateway.test_card_method("4242424242424242", 12, 2030, "123"), "history"
    )
    day = datetime.now(UTC).date()
    return await client.start_workflow(
        ReconciliationWorkflow.run,
        ReconcileDay(actor, day),
        id=RECONCILIATION.id(actor.org_id, day.isoformat()),
        task_queue=queue,
    )


SCENARIOS: dict[str, Scenario] = {
    "reconciliation-day": reconciliation_day,
}
