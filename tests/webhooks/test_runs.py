"""The feed sent in runs (patch `webhooks-send-run`): one activity sends the endpoint's next
events in order over one connection and records them with the position in one transaction; the
first failure ends the run with the position right after the last event delivered, and that
event takes the retry path. Real database, real local receiver, the real activity."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime

import sqlalchemy
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.webhooks import Outcome, SendRun, WebhookActivities
from core import audit
from core.db import tenant_session
from core.enums import AuditAction, UserRole, WebhookDeliveryStatus
from core.events import EventType, Position
from core.notify import RecordingNotifier
from core.process import Actor
from services.events import get_event
from services.webhooks import deliveries
from tests.audit.helpers import chain
from tests.factories import OrgFactory
from tests.webhooks.conftest import WebhookWorker, receiver_deps
from tests.webhooks.flows import attempts, emit, endpoint, hook, start
from tests.webhooks.receiver import Receiver
from workflows.webhooks import WebhookEndpointWorkflow

DELIVERED, FAILED = WebhookDeliveryStatus.DELIVERED, WebhookDeliveryStatus.FAILED


def _actor(orgs: OrgFactory) -> Actor:
    org = orgs.create((UserRole.ORG_OWNER,))
    return Actor(org.org_id, org.users[UserRole.ORG_OWNER], "req-webhook-runs")


def _position(org_id: uuid.UUID, event_id: uuid.UUID) -> Position:
    with tenant_session(org_id, actor_type="test") as s:
        event = get_event(s, event_id)
    assert event is not None
    return event.position


def _at(org_id: uuid.UUID, webhook_id: uuid.UUID) -> Position:
    row = hook(org_id, webhook_id)
    return Position(row.position_tx, row.position_seq)


def _activities(receiver: Receiver) -> WebhookActivities:
    """The worker's webhook activities, allowed to call this receiver only."""
    return WebhookActivities(receiver_deps(receiver, RecordingNotifier()))


def test_a_failure_mid_run_leaves_the_position_after_the_last_delivered_event(
    database: str, receiver: Receiver, orgs: OrgFactory
) -> None:
    actor = _actor(orgs)
    webhook_id, _ = endpoint(actor.org_id, receiver.url)
    sent = emit(actor.org_id, 6)
    acts = _activities(receiver)
    env = ActivityEnvironment()
    receiver.answer_next(204, 204, 503)

    first = SendRun(actor, webhook_id, uuid.uuid4(), datetime.now(UTC))
    ran = env.run(acts.send_run, first)

    # One run: the first three in order, the third refused; the position right after the second.
    assert [r.webhook_id for r in receiver.requests()] == [str(e) for e in sent[:3]]
    assert ran.active and ran.delivered == 2
    assert ran.failed is not None and ran.failed.event_id == sent[2]
    assert ran.sent is not None and (ran.sent.outcome, ran.sent.status) == (Outcome.FAILED, 503)
    assert _at(actor.org_id, webhook_id) == _position(actor.org_id, sent[1])
    rows = attempts(actor.org_id, webhook_id)
    assert [(r.event_id, r.status) for r in rows] == [
        (sent[0], DELIVERED),
        (sent[1], DELIVERED),
        (sent[2], FAILED),
    ]
    assert hook(actor.org_id, webhook_id).failing_since is not None

    # The same run again, as Temporal retries it: the delivered events are not sent or recorded
    # again; the rest go out from the stored position, in order.
    again = env.run(acts.send_run, first)
    assert again.delivered == 4 and again.failed is None
    assert [r.webhook_id for r in receiver.requests()[3:]] == [str(e) for e in sent[2:]]
    assert _at(actor.org_id, webhook_id) == _position(actor.org_id, sent[-1])
    rows = attempts(actor.org_id, webhook_id)
    successes = Counter(r.event_id for r in rows if r.status is DELIVERED)
    assert successes == dict.fromkeys(sent, 1)
    assert hook(actor.org_id, webhook_id).failing_since is None

    # Nothing left: a run sends nothing and writes nothing.
    assert env.run(acts.send_run, SendRun(actor, webhook_id, uuid.uuid4(), datetime.now(UTC))).delivered == 0
    assert len(attempts(actor.org_id, webhook_id)) == 7 and len(receiver.requests()) == 7


async def test_a_run_delivers_in_order_in_one_activity_and_the_failed_event_is_retried_alone(
    time_skipping: WorkflowEnvironment, webhook_worker: WebhookWorker, receiver: Receiver, orgs: OrgFactory
) -> None:
    actor = _actor(orgs)
    webhook_id, secret = endpoint(actor.org_id, receiver.url)
    sent = emit(actor.org_id, 6)
    receiver.answer_next(204, 204, 204, 503)
    handle = await start(time_skipping.client, webhook_worker.queue, actor, webhook_id)
    # Done when the workflow counts all six: a run that has caught up keeps its connection
    # open for a moment for new events, so the receiver has them before the run ends.
    for _ in range(300):
        if (await handle.query(WebhookEndpointWorkflow.state)).delivered == 6:
            break
        await asyncio.sleep(0.1)
    assert sum(r.status is DELIVERED for r in attempts(actor.org_id, webhook_id)) == 6

    got = [r.webhook_id for r in receiver.requests()]
    assert got == [str(e) for e in [*sent[:4], *sent[3:]]]  # the fourth twice: refused, then retried
    assert all(r.verify(secret)["id"] == r.webhook_id for r in receiver.requests())
    rows = attempts(actor.org_id, webhook_id)
    assert Counter(r.event_id for r in rows if r.status is DELIVERED) == dict.fromkeys(sent, 1)
    ((failed_event, number),) = [(r.event_id, r.attempt) for r in rows if r.status is FAILED]
    assert (failed_event, number) == (sent[3], 1)
    assert [r.attempt for r in rows if r.event_id == sent[3]] == [1, 2]

    # The first four went in one activity; the fourth's retry is the old single send (attempt 2,
    # after the backoff); the rest in the next run.
    history = await handle.fetch_history()
    kinds = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert kinds[:3] == ["webhooks.send_run", "webhooks.send", "webhooks.send_run"]
    assert "webhooks.next_batch" not in kinds and kinds.count("webhooks.send") == 1
    state = await handle.query(WebhookEndpointWorkflow.state)
    assert (state.delivered, state.failed_attempts, state.head) == (6, 1, None)
    assert hook(actor.org_id, webhook_id).failure_count == 0


def test_every_attempt_of_a_run_is_its_own_audit_entry_in_order_and_the_chain_verifies(
    database: str, receiver: Receiver, orgs: OrgFactory
) -> None:
    actor = _actor(orgs)
    webhook_id, _ = endpoint(actor.org_id, receiver.url)
    sent = emit(actor.org_id, 5)
    ran = ActivityEnvironment().run(
        _activities(receiver).send_run, SendRun(actor, webhook_id, uuid.uuid4(), datetime.now(UTC), chunk=2)
    )
    # Three chunks; the second and third were read by the transaction that recorded the one
    # before: in order, each once, the position at the last.
    assert ran.delivered == 5 and ran.failed is None
    assert [r.webhook_id for r in receiver.requests()] == [str(e) for e in sent]
    assert _at(actor.org_id, webhook_id) == _position(actor.org_id, sent[-1])

    # Each chunk's audit events go in as one statement (core/audit.py): still one entry per
    # attempt's row, as the worker's actor, in the order the attempts were made.
    entries = chain(actor.org_id)
    created = [e for e in entries if e.entity_type == "webhook_deliveries" and e.action is AuditAction.CREATE]
    assert [e.entity_id for e in created] == [r.id for r in attempts(actor.org_id, webhook_id)]
    assert {(e.actor_user_id, e.request_id) for e in created} == {(actor.user_id, actor.request_id)}
    assert any(e.entity_type == "webhooks" and e.entity_id == webhook_id for e in entries)
    with tenant_session(actor.org_id, actor_type="test") as s:
        report = audit.verify_org(s.connection(), actor.org_id)
    assert report.ok and report.entries == len(entries), report


def test_an_event_committed_while_a_run_looks_is_not_skipped_by_the_jump_to_the_outbox_end(
    database: str, receiver: Receiver, orgs: OrgFactory
) -> None:
    # A look that finds nothing of the endpoint's types moves its position to the outbox's
    # settled end. An event of its types committed between that look and the reading of the
    # end must stay after the new position: both reads use one settled end.
    actor = _actor(orgs)
    webhook_id, _ = endpoint(actor.org_id, receiver.url)
    emit(actor.org_id, 2, EventType.RESIDENT_DISCHARGED)  # not its type: the jump has somewhere to go
    late: list[uuid.UUID] = []
    with tenant_session(actor.org_id, actor_type="test") as s:

        def commit_one_first(_c: object, _cur: object, statement: str, *_: object) -> None:
            if "ORDER BY domain_events.tx DESC" in statement and not late:
                late.extend(emit(actor.org_id, 1))

        sqlalchemy.event.listen(s.connection(), "before_cursor_execute", commit_one_first)
        assert deliveries.prepare_run(s, webhook_id, datetime.now(UTC), 100) == []
    assert late
    with tenant_session(actor.org_id, actor_type="test") as s:
        feed = deliveries.prepare_run(s, webhook_id, datetime.now(UTC), 100)
    assert feed is not None and [n.event.event_id for n in feed] == late
