"""Recording scenarios for the intake workflow (tests/test_replay.py; registry.py names this module)."""

from __future__ import annotations

import uuid

from temporalio.client import Client, WorkflowHandle

from core.contracts.intake import NewLead
from core.process import Actor
from tests.harness import Scenario
from workflows.intake import INTAKE, Decision, IntakeInput, IntakeWorkflow, ScreeningDecision


async def approved(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    lead_id = uuid.uuid4()
    handle = await client.start_workflow(
        IntakeWorkflow.run,
        IntakeInput(actor, lead_id, NewLead("Historia", "Probanda")),
        id=INTAKE.id(actor.org_id, lead_id),
        task_queue=queue,
    )
    await handle.execute_update(IntakeWorkflow.decide, ScreeningDecision(actor, Decision.APPROVE))
    return handle


async def lost(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    lead_id = uuid.uuid4()
    return await client.start_workflow(
        IntakeWorkflow.run,
        IntakeInput(actor, lead_id, NewLead("Replaya", "Exemplar")),
        id=INTAKE.id(actor.org_id, lead_id),
        task_queue=queue,
    )


SCENARIOS: dict[str, Scenario] = {"intake-approved": approved, "intake-lost": lost}
