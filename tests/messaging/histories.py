"""Recording scenarios for the message notification workflow (tests/test_replay.py; registry.py
names this module). The recipients are unknown users: the notifier's plan finds nobody to tell,
so nothing is sent and the workflow ends."""

from __future__ import annotations

import uuid

from temporalio.client import Client, WorkflowHandle

from core.process import Actor
from tests.harness import Scenario
from workflows.messaging import MESSAGING, MessageNotificationInput, MessageNotificationWorkflow


async def two_recipients(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    message_id = uuid.uuid4()
    handle = await client.start_workflow(
        MessageNotificationWorkflow.run,
        MessageNotificationInput(actor, message_id, [uuid.uuid4(), uuid.uuid4()], None),
        id=MESSAGING.id(actor.org_id, message_id),
        task_queue=queue,
    )
    await handle.result()
    return handle


SCENARIOS: dict[str, Scenario] = {"messaging-two-recipients": two_recipients}
