"""Idle endpoints wait to be woken instead of looking every second: a committed event of an org
with an idle endpoint notifies the org's id on PostgreSQL's `recoveryos_outbox` channel (a
rolled-back one does not, nor one of an org whose endpoints are all sending), and the worker's
waker (workflows/webhook_waker.py) pokes the org's idle endpoints, so an endpoint deep in a long
idle wait delivers a new event at once."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
from temporalio.api.enums.v1 import EventType as HistoryEvent

from core.db import app_url, tenant_session
from core.enums import UserRole
from core.events import EventType
from core.temporal import connect
from models.integrations import Webhook
from services.events import emit
from services.webhooks import endpoints
from tests.factories import OrgFactory
from tests.webhooks.receiver import Receiver, allowed_receiver, wait_for
from workflows.webhook_waker import CHANNEL

__all__ = ["allowed_receiver"]  # a fixture, used by name


def _idle_endpoint(org_id: uuid.UUID) -> None:
    with tenant_session(org_id, actor_type="test") as s:
        hook, _ = endpoints.create(s, "https://hooks.example.org/in", [EventType.LEAD_CREATED], "test", None)
        hook.idle_since = datetime.now(UTC)


def _notified(listening: psycopg.Connection[Any], org_id: uuid.UUID) -> list[str]:
    return [n.payload for n in listening.notifies(timeout=1.0) if n.payload == str(org_id)]


def test_an_org_with_an_idle_endpoint_is_notified_once_per_commit_and_never_for_a_rollback(
    orgs: OrgFactory,
) -> None:
    waiting, busy = orgs.create(()), orgs.create(())
    _idle_endpoint(waiting.org_id)
    conninfo = app_url().set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as listening:
        listening.execute(f"LISTEN {CHANNEL}")
        for org in (waiting, busy):
            with tenant_session(org.org_id, actor_type="test") as s:
                for _ in range(3):
                    emit(s, EventType.LEAD_CREATED, uuid.uuid4())
        # Three events, one transaction: one notification, with the org's id and nothing else.
        assert _notified(listening, waiting.org_id) == [str(waiting.org_id)]
        # No idle endpoint (under load every endpoint is sending): nothing to wake.
        assert _notified(listening, busy.org_id) == []
        try:
            with tenant_session(waiting.org_id, actor_type="test") as s:
                emit(s, EventType.LEAD_CREATED, uuid.uuid4())
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert _notified(listening, waiting.org_id) == []


async def _waiting(workflow_id: str) -> timedelta | None:
    """The idle wait the endpoint's workflow is in now (its last timer, not yet fired)."""
    history = await (await connect()).get_workflow_handle(workflow_id).fetch_history()
    waiting: timedelta | None = None
    for e in history.events:
        if e.event_type == HistoryEvent.EVENT_TYPE_TIMER_STARTED:
            waiting = e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        elif e.event_type == HistoryEvent.EVENT_TYPE_TIMER_FIRED:
            waiting = None
    return waiting


async def _poked(workflow_id: str) -> int:
    history = await (await connect()).get_workflow_handle(workflow_id).fetch_history()
    return sum(e.event_type == HistoryEvent.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED for e in history.events)


def test_an_endpoint_deep_in_an_idle_wait_is_woken_by_a_new_events_commit(
    stack: str, orgs: OrgFactory, allowed_receiver: Receiver
) -> None:
    org = orgs.create((UserRole.ORG_OWNER, UserRole.CASE_MANAGER))
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.ORG_OWNER), timeout=30) as http:
        created = http.post(
            "/v1/webhooks", json={"url": allowed_receiver.url, "event_types": ["lead.created.v1"]}
        )
        assert created.status_code == 201, created.text
        hook_id, workflow_id = created.json()["id"], created.json()["workflow_id"]

    def idle() -> bool:
        with tenant_session(org.org_id, actor_type="test") as s:
            hook = s.get(Webhook, uuid.UUID(hook_id))
            return hook is not None and hook.idle_since is not None

    # Idle, and its waits have doubled to 8 s: the next look without a poke is seconds away.
    wait_for(idle)
    wait_for(lambda: (asyncio.run(_waiting(workflow_id)) or timedelta()) >= timedelta(seconds=8), 20)
    pokes = asyncio.run(_poked(workflow_id))
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as staff:
        started = time.monotonic()
        assert staff.post("/v1/leads", json={"first_name": "Wren", "last_name": "Okoro"}).status_code == 201
    wait_for(lambda: len(allowed_receiver.requests()) == 1, 6)
    assert time.monotonic() - started < 4
    assert asyncio.run(_poked(workflow_id)) > pokes  # woken, not a look that came due
    wait_for(idle)  # and waiting again
