"""Recording scenario for the audit anchor workflow (tests/test_replay.py; registry.py names this module)."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle

from core.process import Actor
from tests.harness import Scenario
from workflows.audit import AuditAnchorWorkflow, anchor_input, anchor_workflow_id


async def anchor(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    handle = await client.start_workflow(
        AuditAnchorWorkflow.run,
        anchor_input(actor.org_id),
        id=anchor_workflow_id(actor.org_id),
        task_queue=queue,
    )
    await handle.execute_update(AuditAnchorWorkflow.checkpoint_now)
    # It runs for ever; its history so far is what later code must still replay.
    await handle.terminate("history recorded")
    return handle


SCENARIOS: dict[str, Scenario] = {"audit-anchor": anchor}
