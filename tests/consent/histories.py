"""Recording scenarios for the consent family's workflows (tests/test_replay.py; registry.py
names this module): an accounting request produced at once, and one extended first."""

from __future__ import annotations

import uuid
from datetime import date

from temporalio.client import Client, WorkflowHandle

from core.process import Actor, Wait
from tests.harness import Scenario


async def _accounting(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from tests.documents.factories import make_resident
    from workflows.consent import CONSENT
    from workflows.consent.accounting import AccountingInput, AccountingRequestWorkflow

    resident = make_resident(actor.org_id, "Historia", "Contabilis")
    rid = uuid.uuid4()
    handle = await client.start_workflow(
        AccountingRequestWorkflow.run,
        AccountingInput(actor, rid, resident, date(2024, 1, 1), date(2026, 12, 1)),
        id=CONSENT.id(actor.org_id, rid),
        task_queue=queue,
    )
    await handle.execute_update(AccountingRequestWorkflow.wait_opened, Wait(actor))
    return handle


async def accounting_fulfilled(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from workflows.consent.accounting import AccountingRequestWorkflow

    handle = await _accounting(client, queue, actor)
    await handle.execute_update(AccountingRequestWorkflow.fulfil, Wait(actor))
    return handle


async def accounting_extended(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from activities.consent.accounting import ExtendAccounting
    from workflows.consent.accounting import AccountingRequestWorkflow

    handle = await _accounting(client, queue, actor)
    await handle.execute_update(
        AccountingRequestWorkflow.extend, ExtendAccounting(actor, "Records are being retrieved.")
    )
    await handle.execute_update(AccountingRequestWorkflow.fulfil, Wait(actor))
    return handle


SCENARIOS: dict[str, Scenario] = {
    "accounting-fulfilled": accounting_fulfilled,
    "accounting-extended": accounting_extended,
}
