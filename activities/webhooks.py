"""Webhook delivery activities: each reads or writes through services/webhooks/ in short
tenant transactions; the receiver is called between them, never inside one.

`send` is one attempt: it reads what to send, POSTs it (core/egress.py: the SSRF guard and
the time limit) and records the attempt. A receiver's failure is an answer, not an error: the
workflow decides when to try again. Only our own failures (the database) raise and are
retried by Temporal, and the attempt's row id keeps such a retry to one row.

`send_run` (the feed since the `webhooks-send-run` patch) sends the endpoint's next events in
order over one kept-alive connection until one fails, the feed is empty or its time is up,
and records each chunk's attempts and the new position in one transaction, which also reads
the next chunk. Once it has caught up it keeps looking for new events every `POLL` for `quiet`
seconds before it ends. A run that finds nothing at all marks the endpoint idle, so the
worker's waker pokes it when its org's outbox grows (workflows/webhook_waker.py).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from temporalio import activity

from activities.base import Deps, TenantActivities
from core.contracts.webhooks import Batch, EventRef
from core.egress import Answer
from core.events import Position
from core.notify import Email
from core.process import Actor
from services.webhooks import deliveries, signing
from services.webhooks.deliveries import Attempt, Next, Prepared


@dataclass(frozen=True)
class NextBatch:
    actor: Actor
    webhook_id: uuid.UUID
    limit: int = 100


@dataclass(frozen=True)
class Send:
    actor: Actor
    webhook_id: uuid.UUID
    event: EventRef
    number: int
    delivery_id: uuid.UUID
    at: datetime
    replay: bool = False


class Outcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    # The receiver answered 410 Gone: it wants no more.
    GONE = "gone"
    # The endpoint was disabled or deleted meanwhile: nothing was sent.
    STOPPED = "stopped"


@dataclass(frozen=True)
class Sent:
    outcome: Outcome
    status: int | None = None
    # Since when the endpoint's head event has been failing (None: healthy).
    failing_since: datetime | None = None


@dataclass(frozen=True)
class SendRun:
    """Send the endpoint's next events until one fails, the feed is empty or `seconds` have
    passed (no request starts after that): read `chunk` events at a time, record each chunk
    in one transaction. `run_id` names the attempts' rows (with the activity's own attempt
    number), so a retried run never writes a row twice."""

    actor: Actor
    webhook_id: uuid.UUID
    run_id: uuid.UUID
    at: datetime
    chunk: int = 100
    seconds: float = 2.0
    quiet: float = 0.5


@dataclass(frozen=True)
class Ran:
    active: bool
    delivered: int = 0
    # The event that failed (first attempt, recorded) and how: the workflow retries it.
    failed: EventRef | None = None
    sent: Sent | None = None
    # Nothing was sent, yet events have committed behind an older transaction still running:
    # look again soon rather than wait to be woken (services.webhooks.deliveries.settling).
    settling: bool = False


@dataclass(frozen=True)
class Disable:
    actor: Actor
    webhook_id: uuid.UUID
    # "gone" or "failing"
    reason: str
    at: datetime
    failing_days: int = 5


@dataclass(frozen=True)
class ReplayPage:
    actor: Actor
    webhook_id: uuid.UUID
    since: datetime | None
    event_id: uuid.UUID | None
    after: EventRef | None
    limit: int = 100


# How often a run that has caught up looks for newly committed events.
POLL = 0.02

_WHY = {
    "gone": "its receiver answered 410 Gone, which asks for no more deliveries",
    "failing": "every delivery to it failed for {days} days",
}


class WebhookActivities(TenantActivities):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.egress = deps.egress
        self.notifier = deps.notifier

    @activity.defn(name="webhooks.next_batch")
    def next_batch(self, inp: NextBatch) -> Batch:
        with self.session(inp.actor) as s:
            return deliveries.next_batch(s, inp.webhook_id, inp.limit)

    @activity.defn(name="webhooks.send")
    def send(self, inp: Send) -> Sent:
        with self.session(inp.actor) as s:
            prepared = deliveries.prepare(s, inp.webhook_id, inp.event.event_id, inp.at)
        if prepared is None:
            return Sent(Outcome.STOPPED)
        # The receiver checks the timestamp against its own clock: the real time of sending.
        headers = signing.headers(prepared.secrets, str(inp.event.event_id), self.clock(), prepared.body)
        answer = self.egress.post(prepared.url, prepared.body, headers)
        attempt = Attempt(inp.delivery_id, inp.webhook_id, inp.event, inp.number, inp.at, inp.replay)
        with self.session(inp.actor) as s:
            failing_since = deliveries.record(s, attempt, prepared, answer)
        if answer.ok:
            outcome = Outcome.DELIVERED
        elif answer.status == 410 and not inp.replay:
            outcome = Outcome.GONE
        else:
            outcome = Outcome.FAILED
        return Sent(outcome, answer.status, failing_since)

    @activity.defn(name="webhooks.send_run")
    def send_run(self, inp: SendRun) -> Ran:
        started = time.monotonic()
        deadline = started + inp.seconds
        retry = activity.info().attempt
        delivered = 0
        last_sent = started
        # The next chunk, when the transaction that recorded the last one has read it already.
        following: list[Next] | None = None
        announced = False
        feed: list[Next] | None
        with self.egress.connection() as conn:
            while time.monotonic() < deadline:
                if following is not None:
                    feed, following = following, None
                else:
                    with self.session(inp.actor) as s:
                        feed = deliveries.prepare_run(s, inp.webhook_id, inp.at, inp.chunk)
                if feed is None:
                    return Ran(False, delivered)
                if not feed and not delivered:
                    # Nothing to send. Say the endpoint waits, then look once more: an event
                    # committed in between is seen by that look, or it wakes the endpoint.
                    if not announced:
                        with self.session(inp.actor) as s:
                            deliveries.announce_idle(s, inp.webhook_id, self.clock())
                        announced = True
                        continue
                    with self.session(inp.actor) as s:
                        return Ran(True, 0, settling=deliveries.settling(s, inp.webhook_id))
                if not feed:
                    # Caught up. An endpoint that is receiving events keeps its run (and its
                    # connection) for new ones as they commit, until `quiet` seconds pass
                    # without any: waiting here costs a short read each `POLL`, while ending
                    # the run costs a workflow turn and a new activity for the next event.
                    if time.monotonic() >= min(deadline, last_sent + inp.quiet):
                        break
                    time.sleep(POLL)
                    continue
                last_sent = time.monotonic()
                done: list[tuple[Attempt, Prepared, Answer]] = []
                for item in feed:
                    if done and time.monotonic() >= deadline:
                        break
                    event_id = str(item.event.event_id)
                    headers = signing.headers(item.sent.secrets, event_id, self.clock(), item.sent.body)
                    answer = conn.post(item.sent.url, item.sent.body, headers)
                    # The workflow's time at the start, moved on by the time the run has taken:
                    # the rows' order is the order they were sent in.
                    at = inp.at + timedelta(seconds=time.monotonic() - started)
                    # One row per POST: a retried run (its own attempt number) or an event that
                    # failed and then went through gets another row; a delivered event never gets
                    # two (deliveries.record_run: only past the position).
                    row_id = uuid.uuid5(inp.run_id, f"{event_id}/{retry}/{'ok' if answer.ok else 'failed'}")
                    done.append((Attempt(row_id, inp.webhook_id, item.event, 1, at), item.sent, answer))
                    if not answer.ok:
                        break
                last = done[-1][2]
                with self.session(inp.actor) as s:
                    if last.ok:
                        failing_since, following = deliveries.record_and_read(
                            s, inp.webhook_id, done, inp.at, inp.chunk
                        )
                    else:
                        failing_since = deliveries.record_run(s, inp.webhook_id, done)
                activity.heartbeat(delivered)
                delivered += sum(a.ok for _, _, a in done)
                if following is None and last.ok:
                    return Ran(False, delivered)
                if not last.ok:
                    outcome = Outcome.GONE if last.status == 410 else Outcome.FAILED
                    return Ran(True, delivered, done[-1][0].event, Sent(outcome, last.status, failing_since))
        return Ran(True, delivered)

    @activity.defn(name="webhooks.disable")
    def disable(self, inp: Disable) -> bool:
        """Switch the endpoint off and tell the org's owners (no PHI: the endpoint's host, its
        id and why). False when staff had already switched it off."""
        with self.session(inp.actor) as s:
            done = deliveries.disable(s, inp.webhook_id, inp.reason, inp.at)
        if done is None:
            return False
        if done.addresses:
            self.notifier.send_email(notice(inp, done.url, done.addresses))
        return True

    @activity.defn(name="webhooks.replay_page")
    def replay_page(self, inp: ReplayPage) -> list[EventRef]:
        after = Position(inp.after.tx, inp.after.seq) if inp.after else Position(0, 0)
        with self.session(inp.actor) as s:
            return deliveries.replay_page(s, inp.webhook_id, inp.since, inp.event_id, after, inp.limit)


def notice(inp: Disable, url: str, to: list[str]) -> Email:
    """The owners' e-mail: a fixed text naming the endpoint's host and id, never an event."""
    parts = urlsplit(url)
    why = _WHY[inp.reason].format(days=inp.failing_days)
    body = (
        f"The webhook endpoint {parts.scheme}://{parts.netloc} (id {inp.webhook_id}) was disabled "
        f"on {inp.at:%Y-%m-%d at %H:%M} UTC because {why}.\n\n"
        "No event is lost: once the receiver works, enable the endpoint again "
        f"(PATCH /v1/webhooks/{inp.webhook_id} with is_active true) and delivery resumes with "
        "the first event it did not receive. Its delivery attempts are listed at "
        f"/v1/webhooks/{inp.webhook_id}/deliveries.\n"
    )
    stamp = int(inp.at.timestamp())
    return Email(
        tuple(to),
        "A webhook endpoint was disabled",
        body,
        f"<webhook-disabled-{inp.webhook_id}-{stamp}@recoveryos>",
    )
