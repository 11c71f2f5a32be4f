"""WebhookEndpoint: one durable workflow per endpoint delivers the outbox to it, in order.

Why per endpoint and not per event: an endpoint's events must arrive in the order they
happened, and a receiver that is down must not cost a workflow (and timers) per event while
it is. So one workflow walks the endpoint's feed: it reads the next events after the position
stored on the endpoint's row (`webhooks.position_*`, in PostgreSQL: whichever worker runs the
next task continues from there), sends the first, and moves on only once it is delivered.

- **Runs.** Since the `webhooks-send-run` patch one activity (`webhooks.send_run`) sends the
  next events in order over one kept-alive connection for up to `run_seconds` (2 s), reading
  and recording `batch` (100) at a time: each chunk's attempts and the position after its
  last delivered event are one transaction. The first failure ends the run; that event then
  takes the retry path below (its first attempt already made), so ordering, backoff and 410
  are as before. (Before the patch: one `webhooks.send` per event, about 50 ms each.)

- **Ordering and duplicates.** Per endpoint, event N+1 is sent only after event N was
  delivered: at least once, in order. A worker that dies after the receiver answered but
  before the attempt was recorded sends that event again, with the same `webhook-id`, so
  receivers dedupe by it. Different endpoints are independent: one that is down delays no
  other.
- **Retries.** A failed attempt (no 2xx, a timeout after `RECOVERYOS_WEBHOOK_TIMEOUT_SECONDS`,
  a refused address) is tried again after an exponential backoff with jitter (5 s doubling up
  to 4 h, each wait between half and all of that), for as long as the endpoint has been
  failing for less than `disable_after_hours` (5 days): then it is disabled and the org's
  owners get an e-mail. `410 Gone` disables at once. Events stay in the outbox: enabling the
  endpoint again starts a new run that resumes at the first event not delivered.
- **Replay.** Staff send one event again, or every event since a time up to the endpoint's
  position (the `replay` signal); a replay is one attempt per event, recorded as a replay,
  sent between feed events.
- **Idle.** A run that finds nothing marks the endpoint idle (`webhooks.idle_since`) and the
  workflow waits. Every inserted event notifies its org's id on PostgreSQL's
  `recoveryos_outbox` channel when it commits, and the worker's waker
  (workflows/webhook_waker.py) pokes that org's idle endpoints, so the next run starts at
  once. Without a poke it looks again after `idle_seconds`, doubling to `max_idle_seconds`
  (30 s, since the `webhooks-wake` patch; 1 s before it): the look that catches what no
  notification announced. The `poke` signal (registration, enabling, a replay, the waker)
  looks at once. The run continues as new when its history grows long.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import (
        Disable,
        NextBatch,
        Outcome,
        ReplayPage,
        Send,
        SendRun,
        Sent,
        WebhookActivities,
    )
    from core.contracts.webhooks import EventRef
    from core.process import DB_STEP, Actor, Process, Wait

WEBHOOKS = Process("webhooks")
# Since this patch the feed is sent in runs (`webhooks.send_run`), not one activity per event.
SEND_RUN = "webhooks-send-run"
# Since this patch an idle endpoint waits to be woken (workflows/webhook_waker.py) for up to
# `max_idle_seconds` (30 s) instead of looking every second.
WAKE = "webhooks-wake"
HISTORY_LIMIT = 5_000


@dataclass(frozen=True)
class Replay:
    """Send again one event (`event_id`) or every event since `since`; `after` is how far a
    replay got before the run continued as new."""

    actor: Actor
    since: datetime | None = None
    event_id: uuid.UUID | None = None
    after: EventRef | None = None


@dataclass(frozen=True)
class EndpointInput:
    actor: Actor
    webhook_id: uuid.UUID
    first_retry_seconds: float = 5.0
    max_retry_seconds: float = 4 * 3600.0
    disable_after_hours: int = 5 * 24
    idle_seconds: float = 0.5
    # The longest idle wait: the waker pokes an idle endpoint when its org's outbox grows, so
    # this is only the look that catches what no notification announced.
    max_idle_seconds: float = 30.0
    # A receiver answers within the egress time limit; this bounds the whole activity.
    send_timeout_seconds: float = 30.0
    batch: int = 100
    # How long one `send_run` keeps sending (patch "webhooks-send-run").
    run_seconds: float = 2.0
    # Replays not yet done when the previous run continued as new.
    pending: list[Replay] = field(default_factory=list)


@dataclass
class EndpointState:
    delivered: int = 0
    failed_attempts: int = 0
    replayed: int = 0
    # The event being delivered, its attempt number and when the next attempt is due.
    head: uuid.UUID | None = None
    attempt: int = 0
    next_attempt_at: datetime | None = None
    # Why the run ended: "disabled" (by staff, or deleted), "gone", "failing".
    stopped: str | None = None


# Our own failures (the database) while sending: retried here; the receiver's are answers.
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10), maximum_attempts=5
)


@workflow.defn(name="WebhookEndpoint")
class WebhookEndpointWorkflow:
    def __init__(self) -> None:
        self._state = EndpointState()
        self._pending: list[Replay] = []
        self._poked = False
        self._failing_since: datetime | None = None

    @workflow.run
    async def run(self, inp: EndpointInput) -> EndpointState:
        self._pending = list(inp.pending)
        idle = inp.idle_seconds
        while True:
            if self._history_long():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(replace(inp, pending=self._pending))
            stopped = await self._replays(inp)
            if stopped is None and self._history_long():
                continue
            sent_any = settling = False
            waking = workflow.patched(WAKE)
            if waking:
                # From here on a poke (the waker saw new events while this looks) ends the
                # idle wait below at once.
                self._poked = False
            if stopped is None and workflow.patched(SEND_RUN):
                stopped, sent_any, settling = await self._run(inp)
            elif stopped is None:
                batch = await workflow.execute_activity_method(
                    WebhookActivities.next_batch,
                    NextBatch(inp.actor, inp.webhook_id, inp.batch),
                    **DB_STEP.options(),
                )
                stopped = None if batch.active else "disabled"
                for event in batch.events if batch.active else []:
                    sent_any = True
                    stopped = await self._deliver(inp, event)
                    if stopped is not None:
                        break
            if stopped is not None:
                self._state.stopped = stopped
                await workflow.wait_condition(workflow.all_handlers_finished)
                return self._state
            if sent_any:
                idle = inp.idle_seconds
                continue
            if not waking:
                self._poked = False
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._poked or bool(self._pending),
                    timeout=timedelta(seconds=inp.idle_seconds if settling else idle),
                )
            if not settling:
                idle = min(idle * 2, inp.max_idle_seconds)

    def _history_long(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > HISTORY_LIMIT

    async def _run(self, inp: EndpointInput) -> tuple[str | None, bool, bool]:
        """One `send_run`: the next events in order, then, if one failed, that event on the
        backoff path of `_deliver`. Why the run must stop (or None), whether it sent, and
        whether events are about to settle (look again soon)."""
        try:
            ran = await workflow.execute_activity_method(
                WebhookActivities.send_run,
                SendRun(
                    inp.actor, inp.webhook_id, workflow.uuid4(), workflow.now(), inp.batch, inp.run_seconds
                ),
                # No request starts after `run_seconds`; the last one may take the egress limit.
                start_to_close_timeout=timedelta(seconds=inp.run_seconds + inp.send_timeout_seconds),
                retry_policy=SEND_RETRY,
            )
        except ActivityError:
            # Our side kept failing (the database, after the activity's own retries): nothing
            # marked the endpoint idle, so look again after the short wait.
            return None, False, True
        self._state.delivered += ran.delivered
        if not ran.active:
            return "disabled", ran.delivered > 0, False
        if ran.delivered:
            self._failing_since = None
        if ran.failed is None:
            return None, ran.delivered > 0, ran.settling
        return await self._deliver(inp, ran.failed, ran.sent), True, False

    async def _deliver(self, inp: EndpointInput, event: EventRef, first: Sent | None = None) -> str | None:
        """Send one event until it is delivered; why the run must stop, or None. `first` is
        its first attempt when a run already made it."""
        state = self._state
        state.head, state.attempt = event.event_id, 0
        while True:
            state.attempt += 1
            if first is not None:
                sent, first = first, None
            else:
                sent = await self._send(inp, inp.actor, event, state.attempt, replay=False)
            if sent.outcome is Outcome.DELIVERED:
                state.delivered += 1
                state.head, state.attempt, state.next_attempt_at = None, 0, None
                self._failing_since = None
                return None
            if sent.outcome is Outcome.STOPPED:
                return "disabled"
            state.failed_attempts += 1
            if sent.outcome is Outcome.GONE:
                return await self._disable(inp, "gone")
            self._failing_since = sent.failing_since or self._failing_since or workflow.now()
            if workflow.now() - self._failing_since >= timedelta(hours=inp.disable_after_hours):
                return await self._disable(inp, "failing")
            delay = self._backoff(inp, state.attempt)
            state.next_attempt_at = workflow.now() + delay
            self._poked = False
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._poked, timeout=delay)

    def _backoff(self, inp: EndpointInput, attempt: int) -> timedelta:
        """Exponential, capped, with "equal jitter": between half and all of the step, so
        endpoints that failed together do not retry together."""
        step = min(inp.first_retry_seconds * 2 ** min(attempt - 1, 30), inp.max_retry_seconds)
        return timedelta(seconds=step / 2 + workflow.random().uniform(0, step / 2))

    async def _send(
        self, inp: EndpointInput, actor: Actor, event: EventRef, number: int, replay: bool
    ) -> Sent:
        try:
            return await workflow.execute_activity_method(
                WebhookActivities.send,
                Send(actor, inp.webhook_id, event, number, workflow.uuid4(), workflow.now(), replay),
                start_to_close_timeout=timedelta(seconds=inp.send_timeout_seconds),
                retry_policy=SEND_RETRY,
            )
        except ActivityError:
            # Our side kept failing (the database): an attempt that failed, tried again later.
            return Sent(Outcome.FAILED)

    async def _disable(self, inp: EndpointInput, reason: str) -> str:
        await workflow.execute_activity_method(
            WebhookActivities.disable,
            Disable(inp.actor, inp.webhook_id, reason, workflow.now(), inp.disable_after_hours // 24),
            **DB_STEP.options(),
        )
        return reason

    async def _replays(self, inp: EndpointInput) -> str | None:
        while self._pending:
            req = self._pending[0]
            while True:
                page = await workflow.execute_activity_method(
                    WebhookActivities.replay_page,
                    ReplayPage(req.actor, inp.webhook_id, req.since, req.event_id, req.after, inp.batch),
                    **DB_STEP.options(),
                )
                for event in page:
                    sent = await self._send(inp, req.actor, event, 1, replay=True)
                    if sent.outcome is Outcome.STOPPED:
                        return "disabled"
                    self._state.replayed += 1
                if req.event_id is not None or len(page) < inp.batch:
                    break
                req = self._pending[0] = replace(req, after=page[-1])
                if self._history_long():
                    return None  # the run continues as new and this replay with it
            self._pending.pop(0)
        return None

    @workflow.signal
    def poke(self, _: Wait) -> None:
        """Look for events (or retry the failing one) now."""
        self._poked = True

    @workflow.signal
    def replay(self, request: Replay) -> None:
        self._pending.append(request)
        self._poked = True

    @workflow.query
    def state(self) -> EndpointState:
        return self._state
