"""Steps the webhook tests share: an endpoint set up as staff would, events in the outbox,
the endpoint's workflow started, and waiting for what a receiver got."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle

from core.db import tenant_session
from core.events import EventType
from core.process import Actor
from models.integrations import Webhook, WebhookDelivery
from services import events
from services.webhooks import endpoints

TYPES = [EventType.LEAD_CREATED, EventType.INVOICE_ISSUED]


def endpoint(org_id: uuid.UUID, url: str, types: list[EventType] = TYPES) -> tuple[uuid.UUID, str]:
    """A registered endpoint starting at the outbox's end, and its secret."""
    with tenant_session(org_id, actor_type="test") as s:
        hook, secret = endpoints.create(s, url, types, "test receiver", None)
        return hook.id, secret


def emit(org_id: uuid.UUID, n: int, type_: EventType = EventType.LEAD_CREATED) -> list[uuid.UUID]:
    """`n` events, each committed in its own transaction, in this order."""
    out = []
    for _ in range(n):
        with tenant_session(org_id, actor_type="test") as s:
            out.append(events.emit(s, type_, uuid.uuid4()))
    return out


async def start(
    client: Client, queue: str, actor: Actor, webhook_id: uuid.UUID, **kw: object
) -> WorkflowHandle:
    from workflows.webhooks import WEBHOOKS, EndpointInput, WebhookEndpointWorkflow

    return await client.start_workflow(
        WebhookEndpointWorkflow.run,
        EndpointInput(actor, webhook_id, **kw),  # type: ignore[arg-type]
        id=WEBHOOKS.id(actor.org_id, webhook_id),
        task_queue=queue,
    )


async def until(check: Callable[[], bool], seconds: float = 30.0) -> None:
    for _ in range(int(seconds * 10)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the condition did not hold in time")


def attempts(org_id: uuid.UUID, webhook_id: uuid.UUID) -> list[WebhookDelivery]:
    """Every attempt, oldest first (by the workflow's clock, then number)."""
    with tenant_session(org_id, actor_type="test") as s:
        rows = s.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.last_attempt_at, WebhookDelivery.attempt)
        ).all()
        return list(rows)


def hook(org_id: uuid.UUID, webhook_id: uuid.UUID) -> Webhook:
    with tenant_session(org_id, actor_type="test") as s:
        row = s.get(Webhook, webhook_id)
        assert row is not None
        return row
