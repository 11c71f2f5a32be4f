"""The worker's webhook waker, run beside its pollers: when an org's outbox grows it pokes that
org's idle `WebhookEndpoint` workflows, so an idle endpoint waits for news instead of looking
every second. Not a workflow itself; it lives with the workflows because it signals one.

An inserted event whose org has an idle endpoint notifies the org's id on PostgreSQL's
`recoveryos_outbox` channel when its transaction commits (migration 0031; under load every
endpoint is sending and nothing is notified). The waker LISTENs on a connection of its own, and
for each org notified pokes the endpoints that marked themselves idle (`webhooks.idle_since`,
set by a run that found nothing and cleared by the run that finds something). Nothing here is
needed for correctness: an endpoint that is never poked still looks every `max_idle_seconds`.
(An event inserted just before its endpoint said it was idle, and committed just after that
endpoint's last look, notifies nobody: the endpoint's first idle wait is 0.5 s.)

Safe with any number of worker replicas: each listens and pokes, and a poke is only "look
now". A poke to a workflow this cluster does not run (a test's other Temporal server, an
endpoint deleted meanwhile) is ignored. The notifications carry org ids only: no PHI.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid

import psycopg
from sqlalchemy import select
from temporalio.client import Client
from temporalio.service import RPCError

from core.db import app_url, tenant_session
from core.process import Actor, Wait
from models.integrations import Webhook
from workflows.webhooks import WEBHOOKS, WebhookEndpointWorkflow

log = logging.getLogger("recoveryos.webhooks")

CHANNEL = "recoveryos_outbox"
# One poke per endpoint per this many seconds from one waker: an endpoint clears its idle mark
# within a workflow turn of the first, and the events behind the next notifications ride along.
POKE_EVERY_SECONDS = 1.0
RECONNECT_SECONDS = 2.0
# Notifications arriving this soon after the first are handled with it: one look per org.
GATHER_SECONDS = 0.02


def idle_endpoints(org_id: uuid.UUID) -> list[uuid.UUID]:
    """The org's active endpoints that wait to be woken."""
    with tenant_session(org_id, actor_type="system") as s:
        return list(
            s.scalars(
                select(Webhook.id).where(
                    Webhook.idle_since.is_not(None), Webhook.is_active, Webhook.deleted_at.is_(None)
                )
            )
        )


class Waker:
    def __init__(self, client: Client) -> None:
        self.client = client
        self._poked: dict[uuid.UUID, float] = {}
        self.pokes = 0

    async def wake(self, org_id: uuid.UUID) -> None:
        """Poke the org's idle endpoints (each at most once per `POKE_EVERY_SECONDS`)."""
        now = time.monotonic()
        for hook in await asyncio.to_thread(idle_endpoints, org_id):
            if now - self._poked.get(hook, -POKE_EVERY_SECONDS) < POKE_EVERY_SECONDS:
                continue
            self._poked[hook] = now
            handle = self.client.get_workflow_handle(WEBHOOKS.id(org_id, hook))
            with contextlib.suppress(RPCError):
                await handle.signal(WebhookEndpointWorkflow.poke, Wait(Actor.system(org_id)))
                self.pokes += 1

    async def listen(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        """Until `stop`: listen, and wake the orgs notified; reconnect when the connection drops."""
        conninfo = app_url().set(drivername="postgresql").render_as_string(hide_password=False)
        while not stop.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if ready is not None:
                        ready.set()
                    while not stop.is_set():
                        orgs = {n.payload async for n in conn.notifies(timeout=1.0, stop_after=1)}
                        if orgs:
                            orgs |= {n.payload async for n in conn.notifies(timeout=GATHER_SECONDS)}
                        for org in orgs:
                            await self.wake(uuid.UUID(org))
            except Exception as exc:  # the waker only speeds endpoints up: it never stops the worker
                log.warning("webhook waker reconnecting", extra={"error": type(exc).__name__})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RECONNECT_SECONDS)
