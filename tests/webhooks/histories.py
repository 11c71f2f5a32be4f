"""Recording scenarios for the webhook endpoint workflow (tests/test_replay.py; registry.py
names this module). The first two endpoints point at a closed local port, which the test
settings do not allow: every attempt fails at the SSRF guard without a network call (they were
recorded before the `webhooks-send-run` patch: one `webhooks.send` per event). The third
delivers through runs to the one local receiver the test settings allow."""

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


async def run_then_gone(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """Since `webhooks-send-run`: three events delivered in a run, then the receiver answers
    410 to the fourth, which ends its run and disables the endpoint."""
    from core.events import EventType
    from tests.conftest import WEBHOOK_RECEIVER_PORT
    from tests.webhooks.flows import emit, endpoint, start, until
    from tests.webhooks.receiver import Receiver

    receiver = Receiver(port=WEBHOOK_RECEIVER_PORT).start()
    try:
        webhook_id, _ = endpoint(actor.org_id, receiver.url, [EventType.LEAD_CREATED])
        emit(actor.org_id, 3)
        handle = await start(client, queue, actor, webhook_id)
        await until(lambda: len(receiver.requests()) == 3)
        receiver.answer(410)
        emit(actor.org_id, 1)
        await handle.result()
    finally:
        receiver.stop()
    return handle


SCENARIOS: dict[str, Scenario] = {
    "webhooks-failing": failing,
    "webhooks-replayed-then-disabled": replayed_then_disabled,
    "webhooks-run-then-gone": run_then_gone,
}
