"""Recording scenarios for the BreachResponse workflow (tests/test_replay.py; registry.py names
this module)."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.client import Client, WorkflowHandle

from core.process import Actor, Wait
from tests.harness import Scenario


async def _report(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    import uuid

    from core.contracts.breach import NewIncident
    from tests.breach.conftest import resident_in
    from workflows.breach import BREACH, BreachInput, BreachResponseWorkflow

    resident = resident_in(actor.org_id, "PA", "Historia", "Breachley")
    incident = uuid.uuid4()
    report = NewIncident(
        datetime.now(UTC), "A recorded history's invented incident", affected_resident_ids=[resident]
    )
    handle = await client.start_workflow(
        BreachResponseWorkflow.run,
        BreachInput(actor, incident, report),
        id=BREACH.id(actor.org_id, incident),
        task_queue=queue,
    )
    await handle.execute_update(BreachResponseWorkflow.wait_recorded, Wait(actor))
    return handle


async def notified(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """Decided notifiable, delayed orally, letters mailed, logged for HHS, closed."""
    from core.contracts.breach import DelayKind
    from tests.breach.flows import assessment
    from workflows.breach import AssessMsg, BreachResponseWorkflow, DelayMsg, DoneMsg

    handle = await _report(client, queue, actor)
    await handle.execute_update(BreachResponseWorkflow.assess, AssessMsg(actor, assessment()))
    await handle.signal(
        BreachResponseWorkflow.law_enforcement_delay,
        DelayMsg(actor, DelayKind.ORAL, days=10, official="Det. Historia"),
    )
    for key in ("individuals", "hhs_annual_log"):
        await handle.execute_update(BreachResponseWorkflow.complete, DoneMsg(actor, key))
    await handle.execute_update(BreachResponseWorkflow.close, Wait(actor))
    return handle


async def not_notifiable(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from core.contracts.breach import Decision
    from tests.breach.flows import assessment
    from workflows.breach import AssessMsg, BreachResponseWorkflow

    handle = await _report(client, queue, actor)
    await handle.execute_update(
        BreachResponseWorkflow.assess,
        AssessMsg(actor, assessment(Decision.NOT_NOTIFIABLE, safe_harbour=True)),
    )
    await handle.execute_update(BreachResponseWorkflow.close, Wait(actor))
    return handle


SCENARIOS: dict[str, Scenario] = {
    "breach-notified": notified,
    "breach-not-notifiable": not_notifiable,
}
