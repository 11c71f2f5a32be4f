"""Recording scenarios for the webhook endpoint workflow (tests/test_replay.py; registry.py
names this module). The endpoints point at a closed local port, which the test settings do
not allow: every attempt fails at the SSRF guard without a network call."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle

from core.process import Actor
from tests.harness import Scenario


async def _endpoint(client: Client, queue: str, actor: Actor, **kw: object) -> WorkflowHandle:
    from core.events import EventType
    from tests.webhooks.flows import emit, endpoint, start

    webhook_id, _ = endpoint(actor.org_id, "https://127.0.0.1:9/history", [EventType.LEAD_CREATED])
    emit(actor.org_id, 1)
    return await start(client, queue, actor, webhook_id, **kw)


async def failing(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """Refused on every attempt for a (short) disable window: retried with backoff, then
    disabled, the owners told."""
    handle = await _endpoint(client, queue, actor, disable_after_hours=1)
    await handle.result()
    return handle


async def replayed_then_disabled(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """A replay asked for while the head event fails, then the endpoint disabled."""
    from datetime import UTC, datetime, timedelta

    from workflows.webhooks import Replay, WebhookEndpointWorkflow

    handle = await _endpoint(client, queue, actor, disable_after_hours=1)
    await handle.signal(
        WebhookEndpointWorkflow.replay, Replay(actor, since=datetime.now(UTC) - timedelta(hours=1))
    )
    await handle.result()
    return handle


SCENARIOS: dict[str, Scenario] = {
    "webhooks-failing": failing,
    "webhooks-replayed-then-disabled": replayed_then_disabled,
}
