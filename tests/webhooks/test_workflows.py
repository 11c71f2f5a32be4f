"""The WebhookEndpoint workflow in Temporal time, against the real database and a real local
HTTP receiver: signed deliveries in order, a receiver down for a day that then receives every
event, 410 and five days of failure disabling the endpoint (with the owners told), a slow
receiver, replays, and a rotated secret signing beside the old one."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import WebhookVerificationError
from temporalio.testing import WorkflowEnvironment

from core.db import tenant_session
from core.enums import UserRole, WebhookDeliveryStatus
from core.events import EventType
from core.process import Actor, Wait
from services.webhooks import endpoints, signing
from tests.factories import OrgFactory, SampleOrg
from tests.webhooks.conftest import TIMEOUT_SECONDS, WebhookWorker
from tests.webhooks.flows import attempts, emit, endpoint, hook, start, until
from tests.webhooks.receiver import Receiver
from workflows.webhooks import Replay, WebhookEndpointWorkflow


def _org(orgs: OrgFactory) -> tuple[SampleOrg, Actor]:
    org = orgs.create((UserRole.ORG_OWNER,))
    return org, Actor(org.org_id, org.users[UserRole.ORG_OWNER], "req-webhooks")


async def test_events_arrive_in_order_signed_per_standard_webhooks_and_each_attempt_is_recorded(
    time_skipping: WorkflowEnvironment, webhook_worker: WebhookWorker, receiver: Receiver, orgs: OrgFactory
) -> None:
    org, actor = _org(orgs)
    emit(org.org_id, 2)  # before the endpoint existed: never sent
    webhook_id, secret = endpoint(org.org_id, receiver.url)
    sent = emit(org.org_id, 5)
    emit(org.org_id, 1, EventType.PAYMENT_RECEIVED)  # a type it did not ask for
    await start(time_skipping.client, webhook_worker.queue, actor, webhook_id)
    await until(lambda: len(attempts(org.org_id, webhook_id)) >= 5)  # received, then recorded

    got = receiver.requests()
    assert [r.webhook_id for r in got] == [str(e) for e in sent]
    for r in got:
        payload = r.verify(secret)
        assert payload["id"] == r.webhook_id and payload["type"] == "lead.created.v1"
        assert set(payload["data"]) == {"lead_id"}  # ids only
        assert r.headers["webhook-signature"].startswith("v1,")
        assert abs(int(r.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 60
    with pytest.raises(WebhookVerificationError):
        got[0].verify(signing.new_secret())

    rows = attempts(org.org_id, webhook_id)
    assert [r.status for r in rows] == [WebhookDeliveryStatus.DELIVERED] * 5
    assert all(r.response_status == 204 and r.latency_ms is not None and r.attempt == 1 for r in rows)
    row = hook(org.org_id, webhook_id)
    # The endpoint's place in the outbox is its row's: the last event it received (or, once it
    # looked again, past the payment event it did not ask for).
    with tenant_session(org.org_id, actor_type="test") as s:
        from services.events import get_event

        last = get_event(s, sent[-1])
    assert last is not None and (row.position_tx, row.position_seq) >= (last.position.tx, last.position.seq)


async def test_a_receiver_down_for_a_day_gets_every_event_in_order_once_it_is_back(
    time_skipping: WorkflowEnvironment, webhook_worker: WebhookWorker, receiver: Receiver, orgs: OrgFactory
) -> None:
    org, actor = _org(orgs)
    webhook_id, secret = endpoint(org.org_id, receiver.url)
    receiver.stop()
    sent = emit(org.org_id, 3)
    handle = await start(time_skipping.client, webhook_worker.queue, actor, webhook_id)
    await until(lambda: len(attempts(org.org_id, webhook_id)) >= 2)
    await time_skipping.sleep(timedelta(days=1))

    failed = attempts(org.org_id, webhook_id)
    assert len(failed) >= 10 and {r.status for r in failed} == {WebhookDeliveryStatus.FAILED}
    assert {r.event_id for r in failed} == {sent[0]}  # the head of the feed waits; nothing overtakes it
    assert all(r.error and r.response_status is None for r in failed)
    times = [r.last_attempt_at for r in failed if r.last_attempt_at is not None]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    # Exponential backoff with jitter, capped at 4 h: growing gaps, never two alike, none longer.
    assert gaps[0] < 10 and max(gaps) <= 4 * 3600 and gaps[5] > gaps[1]
    assert len(set(gaps)) == len(gaps)
    assert hook(org.org_id, webhook_id).failing_since is not None

    receiver.start()
    state = await handle.query(WebhookEndpointWorkflow.state)
    assert state.next_attempt_at is not None
    await time_skipping.sleep(
        state.next_attempt_at - await time_skipping.get_current_time() + timedelta(seconds=1)
    )
    delivered = WebhookDeliveryStatus.DELIVERED
    await until(lambda: sum(r.status is delivered for r in attempts(org.org_id, webhook_id)) == 3)

    got = receiver.requests()
    firsts = list(dict.fromkeys(r.webhook_id for r in got))
    assert firsts == [str(e) for e in sent]
    assert all(r.verify(secret)["id"] == r.webhook_id for r in got)
    # At least once: a duplicate, if any, carries the same webhook-id.
    assert {r.webhook_id for r in got} == {str(e) for e in sent}
    row = hook(org.org_id, webhook_id)
    assert row.is_active and row.failing_since is None and row.failure_count == 0


async def test_a_410_disables_the_endpoint_at_once_and_tells_the_owner(
    time_skipping: WorkflowEnvironment, webhook_worker: WebhookWorker, receiver: Receiver, orgs: OrgFactory
) -> None:
    org, actor = _org(orgs)
    webhook_id, _ = endpoint(org.org_id, receiver.url)
    receiver.answer(410)
    sent = emit(org.org_id, 2)
    handle = await start(time_skipping.client, webhook_worker.queue, actor, webhook_id)
    result = await handle.result()

    assert result.stopped == "gone" and len(receiver.requests()) == 1
    row = hook(org.org_id, webhook_id)
    assert (row.is_active, row.disabled_reason) == (False, "gone")
    (mail,) = webhook_worker.notifier.emails()
    assert mail.to == (org.emails[UserRole.ORG_OWNER],)
    assert "410 Gone" in mail.body and str(webhook_id) in mail.body
    assert not any(str(e) in mail.body for e in sent)  # no event, no resident: the endpoint only


async def test_five_days_of_failure_disable_the_endpoint_after_retrying_all_along(
    time_skipping: WorkflowEnvironment, webhook_worker: WebhookWorker, receiver: Receiver, orgs: OrgFactory
) -> None:
    org, actor = _org(orgs)
    webhook_id, _ = endpoint(org.org_id, receiver.url)
    receiver.answer(503)
    emit(org.org_id, 1)
    handle = await start(time_skipping.client, webhook_worker.queue, actor, webhook_id)
    result = await handle.result()

    assert result.stopped == "failing"
    rows = attempts(org.org_id, webhook_id)
    assert all(r.status is WebhookDeliveryStatus.FAILED and r.response_status == 503 for r in rows)
    assert rows[0].response_body == "not now"
    first, last = rows[0].last_attempt_at, rows[-1].last_attempt_at
    assert first is not None and last is not None
    assert timedelta(days=5) <= last - first < timedelta(days=5, hours=5)
    assert 30 <= len(rows) <= 80
    row = hook(org.org_id, webhook_id)
    assert (row.is_active, row.disabled_reason) == (False, "failing")
    (mail,) = webhook_worker.notifier.emails()
    assert "failed for 5 days" in mail.body


async def test_a_receiver_that_answers_late_counts_as_failed_and_is_retried(
    time_skipping: WorkflowEnvironment, webhook_worker: WebhookWorker, receiver: Receiver, orgs: OrgFactory
) -> None:
    org, actor = _org(orgs)
    webhook_id, _ = endpoint(org.org_id, receiver.url)
    receiver.answer(204, delay=TIMEOUT_SECONDS + 2)
    (event,) = emit(org.org_id, 1)
    handle = await start(time_skipping.client, webhook_worker.queue, actor, webhook_id)
    await until(lambda: len(attempts(org.org_id, webhook_id)) >= 1)

    (slow,) = attempts(org.org_id, webhook_id)
    assert slow.status is WebhookDeliveryStatus.FAILED and slow.error is not None
    assert "no answer within" in slow.error
    # The attempt gave up at the time limit, not when the receiver finally answered.
    assert slow.latency_ms is not None and slow.latency_ms < (TIMEOUT_SECONDS + 1) * 1000
    receiver.answer(204)
    await handle.signal(WebhookEndpointWorkflow.poke, Wait(actor))
    await until(
        lambda: any(r.status is WebhookDeliveryStatus.DELIVERED for r in attempts(org.org_id, webhook_id))
    )
    assert attempts(org.org_id, webhook_id)[-1].event_id == event


async def test_staff_replay_one_delivery_or_everything_since_a_time_with_the_same_ids(
    time_skipping: WorkflowEnvironment, webhook_worker: WebhookWorker, receiver: Receiver, orgs: OrgFactory
) -> None:
    org, actor = _org(orgs)
    webhook_id, secret = endpoint(org.org_id, receiver.url)
    since = datetime.now(UTC)
    sent = emit(org.org_id, 3)
    handle = await start(time_skipping.client, webhook_worker.queue, actor, webhook_id)
    await until(lambda: len(receiver.requests()) == 3)

    await handle.signal(WebhookEndpointWorkflow.replay, Replay(actor, event_id=sent[1]))
    await until(lambda: len(receiver.requests()) == 4)
    assert receiver.requests()[3].webhook_id == str(sent[1])

    await handle.signal(WebhookEndpointWorkflow.replay, Replay(actor, since=since))
    await until(lambda: len(receiver.requests()) == 7)
    again = receiver.requests()[4:]
    assert [r.webhook_id for r in again] == [str(e) for e in sent]
    assert [r.verify(secret) for r in again] == [r.verify(secret) for r in receiver.requests()[:3]]
    await until(lambda: len(attempts(org.org_id, webhook_id)) == 7)  # recorded after the answer
    rows = attempts(org.org_id, webhook_id)
    assert sum(r.replay for r in rows) == 4 and sum(not r.replay for r in rows) == 3


async def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(
    time_skipping: WorkflowEnvironment, webhook_worker: WebhookWorker, receiver: Receiver, orgs: OrgFactory
) -> None:
    org, actor = _org(orgs)
    webhook_id, old = endpoint(org.org_id, receiver.url)
    with tenant_session(org.org_id, actor_type="test") as s:
        new = endpoints.rotate(s, webhook_id, timedelta(hours=24), None)
    emit(org.org_id, 1)
    await start(time_skipping.client, webhook_worker.queue, actor, webhook_id)
    await until(lambda: len(receiver.requests()) == 1)

    (got,) = receiver.requests()
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert got.verify(old) == got.verify(new)
    with tenant_session(org.org_id, actor_type="test") as s:
        row = endpoints.get(s, webhook_id)
        assert endpoints.signing_secrets(row, datetime.now(UTC) + timedelta(hours=25)) == [new]


async def test_an_endpoint_of_rare_types_moves_past_the_events_it_did_not_ask_for(
    time_skipping: WorkflowEnvironment, webhook_worker: WebhookWorker, receiver: Receiver, orgs: OrgFactory
) -> None:
    org, actor = _org(orgs)
    webhook_id, _ = endpoint(org.org_id, receiver.url, [EventType.INVOICE_WRITTEN_OFF])
    emit(org.org_id, 3)
    await start(time_skipping.client, webhook_worker.queue, actor, webhook_id)
    with tenant_session(org.org_id, actor_type="test") as s:
        from services.events import end

        last = end(s)

    def moved() -> bool:
        row = hook(org.org_id, webhook_id)
        return (row.position_tx, row.position_seq) == (last.tx, last.seq)

    await until(moved)
    assert receiver.requests() == []
