"""The delivering workflow's reads and writes (activities/webhooks.py calls these).

Where an endpoint is in the outbox is its row's `position_tx`/`position_seq`: the last event
it received. Only a delivered event moves it, in the transaction that records the attempt, so
a worker that dies anywhere leaves the position at an event that was delivered, and the next
worker (any replica) sends the next one: at least once, in order, per endpoint.

Every attempt is a `webhook_deliveries` row whose id the workflow chose, so a retried write
is the same row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from core.contracts.webhooks import Batch, EventRef
from core.egress import Answer
from core.enums import WebhookDeliveryStatus
from core.errors import NotFound
from core.events import EventType, Position
from models.events import DomainEvent
from models.integrations import Webhook, WebhookDelivery
from models.orgs import Organization
from services import api_keys, events
from services.events import Event, get_event, read_after
from services.paging import Page, page
from services.users import owner_addresses
from services.webhooks import endpoints, payloads


def _ref(event: Event) -> EventRef:
    return EventRef(event.id, event.position.tx, event.position.seq)


def _types(hook: Webhook) -> list[EventType]:
    known = {t.value for t in EventType}
    return [EventType(t) for t in hook.event_types if t in known]


def _live(session: Session, webhook_id: uuid.UUID) -> Webhook | None:
    """The endpoint while it delivers: active, not deleted, and a partner's only while the key
    that registered it is live (revoking a key stops its endpoints at their next look)."""
    hook = session.get(Webhook, webhook_id)
    if hook is None or hook.deleted_at is not None or not hook.is_active:
        return None
    if hook.api_key_id is not None and not api_keys.is_live(session, hook.api_key_id):
        return None
    return hook


def next_batch(session: Session, webhook_id: uuid.UUID, limit: int) -> Batch:
    """The endpoint's next events after its stored position (its types only); inactive when
    disabled or deleted. Reads before it writes anything (services/events.py)."""
    hook = _live(session, webhook_id)
    if hook is None:
        return Batch(False, [])
    return Batch(True, [_ref(e) for e in _feed(session, hook, limit)])


def _feed(session: Session, hook: Webhook, limit: int) -> list[Event]:
    at = Position(hook.position_tx, hook.position_seq)
    # One settled end for both reads below: measured twice, the second could have moved on
    # past events of its types committed in between, and the jump would skip them.
    settled = events.settled(session)
    page = read_after(session, at, limit=limit, types=_types(hook), before=settled)
    if not page.events:
        # Nothing of its types up to the outbox's settled end: start the next look there, so an
        # endpoint of rare types does not rescan everything else since its last delivery.
        # (A plain UPDATE: bookkeeping like a session's last_seen_at, not an audited change.)
        end = events.end(session, before=settled)
        if end > at:
            session.execute(
                update(Webhook)
                .where(
                    Webhook.id == hook.id,
                    tuple_(Webhook.position_tx, Webhook.position_seq) < (end.tx, end.seq),
                )
                .values(position_tx=end.tx, position_seq=end.seq)
            )
    return page.events


@dataclass(frozen=True)
class Prepared:
    """One attempt, ready to go out: where, what, and the secrets that sign it."""

    url: str
    event_type: str
    payload: dict[str, Any]
    body: bytes
    secrets: list[str]


def prepare(session: Session, webhook_id: uuid.UUID, event_id: uuid.UUID, at: datetime) -> Prepared | None:
    """None when the endpoint was disabled or deleted meanwhile (or the event is gone)."""
    hook = _live(session, webhook_id)
    event = get_event(session, event_id)
    if hook is None or event is None:
        return None
    return Prepared(
        hook.url,
        event.type.value,
        payloads.envelope(event),
        payloads.body(event),
        endpoints.signing_secrets(hook, at),
    )


@dataclass(frozen=True)
class Next:
    """The next events of the endpoint's feed (a run), each ready to go out."""

    event: EventRef
    sent: Prepared


def prepare_run(session: Session, webhook_id: uuid.UUID, at: datetime, limit: int) -> list[Next] | None:
    """Up to `limit` next events after the endpoint's position, in order, with what to send
    for each; None when the endpoint was disabled or deleted (as `next_batch`). An endpoint
    that was idle and has events again is idle no more (`announce_idle`)."""
    hook = _live(session, webhook_id)
    if hook is None:
        return None
    feed = _feed(session, hook, limit)
    if feed and hook.idle_since is not None:
        _set_idle(session, hook.id, None)
    return _prepared(hook, at, feed)


def announce_idle(session: Session, webhook_id: uuid.UUID, at: datetime) -> None:
    """The endpoint found nothing to send and is about to wait: from this commit on, the
    worker's waker pokes it when its org's outbox grows (workflows/webhook_waker.py). Announced
    before the look that decides to wait, so an event committed in between is either seen by
    that look or wakes it."""
    _set_idle(session, webhook_id, at, only_if_sending=True)


def _set_idle(
    session: Session, webhook_id: uuid.UUID, at: datetime | None, only_if_sending: bool = False
) -> None:
    # A plain UPDATE, as the position's bookkeeping: not an audited change of the endpoint.
    q = update(Webhook).where(Webhook.id == webhook_id)
    if only_if_sending:
        q = q.where(Webhook.idle_since.is_(None))
    session.execute(q.values(idle_since=at))


def settling(session: Session, webhook_id: uuid.UUID) -> bool:
    """Whether events of the endpoint's types have committed past its position but are not yet
    settled (an older transaction still runs, services/events.py): the endpoint should look
    again soon rather than wait to be woken, since their commit has already been announced."""
    hook = _live(session, webhook_id)
    if hook is None:
        return False
    return events.unsettled_after(session, Position(hook.position_tx, hook.position_seq), _types(hook))


def _prepared(hook: Webhook, at: datetime, feed: list[Event]) -> list[Next]:
    secrets = endpoints.signing_secrets(hook, at)
    return [
        Next(_ref(e), Prepared(hook.url, e.type.value, payloads.envelope(e), payloads.body(e), secrets))
        for e in feed
    ]


def record_and_read(
    session: Session,
    webhook_id: uuid.UUID,
    run: list[tuple[Attempt, Prepared, Answer]],
    at: datetime,
    limit: int,
) -> tuple[datetime | None, list[Next] | None]:
    """A chunk of a run recorded (`record_run`) and the next chunk read (`prepare_run`), in one
    transaction instead of two: half the transactions of a run. The read comes first, while
    the transaction has written nothing (services/events.py: its own write would hold the
    outbox's settled end back), from just after the chunk's last delivered event. Returns
    since when the endpoint has been failing and the next chunk (None: the endpoint was
    disabled meanwhile; the chunk is recorded all the same)."""
    hook = _live(session, webhook_id)
    following: list[Next] | None = None
    if hook is not None:
        after = max(
            (Position(a.event.tx, a.event.seq) for a, _, answer in run if answer.ok),
            default=Position(hook.position_tx, hook.position_seq),
        )
        after = max(after, Position(hook.position_tx, hook.position_seq))
        page = read_after(session, after, limit=limit, types=_types(hook))
        following = _prepared(hook, at, page.events)
    return record_run(session, webhook_id, run), following


@dataclass(frozen=True)
class Attempt:
    delivery_id: uuid.UUID
    webhook_id: uuid.UUID
    event: EventRef
    number: int
    at: datetime
    replay: bool = False


def record(session: Session, attempt: Attempt, sent: Prepared, answer: Answer) -> datetime | None:
    """The attempt's row; for the feed's own attempts also the endpoint's health: a delivered
    event moves the position and clears the failure, a failed one starts or continues it.
    Returns since when the endpoint has been failing (None: it is healthy)."""
    hook = session.get(Webhook, attempt.webhook_id, with_for_update=True)
    assert hook is not None
    new = session.get(WebhookDelivery, attempt.delivery_id) is None
    return _record(session, hook, attempt, sent, answer, new)


def record_run(
    session: Session, webhook_id: uuid.UUID, run: list[tuple[Attempt, Prepared, Answer]]
) -> datetime | None:
    """A run's attempts in one transaction, in order (every one delivered but perhaps the
    last), as `record` would one by one; the position ends after the last delivered event.

    An event the position has already passed gets no row: another attempt (a retried run whose
    first try died after its POSTs but whose record did commit, or one still running past its
    time limit) recorded its delivery first. So an event is recorded delivered once, by
    whichever run moved the position past it (the receiver may have got it twice, with one
    `webhook-id`)."""
    # (Locked and read afresh: `record_and_read` has read the row in this transaction already.)
    hook = session.get(Webhook, webhook_id, with_for_update=True, populate_existing=True)
    assert hook is not None
    ids = [a.delivery_id for a, _, _ in run]
    known = set(session.scalars(select(WebhookDelivery.id).where(WebhookDelivery.id.in_(ids))).all())
    failing_since = hook.failing_since
    for attempt, sent, answer in run:
        if (attempt.event.tx, attempt.event.seq) <= (hook.position_tx, hook.position_seq):
            continue
        failing_since = _record(session, hook, attempt, sent, answer, attempt.delivery_id not in known)
    return failing_since


def _record(
    session: Session, hook: Webhook, attempt: Attempt, sent: Prepared, answer: Answer, new: bool
) -> datetime | None:
    if new:
        session.add(
            WebhookDelivery(
                id=attempt.delivery_id,
                org_id=hook.org_id,
                webhook_id=hook.id,
                event_id=attempt.event.event_id,
                event_type=sent.event_type,
                payload=sent.payload,
                status=WebhookDeliveryStatus.DELIVERED if answer.ok else WebhookDeliveryStatus.FAILED,
                attempt=attempt.number,
                last_attempt_at=attempt.at,
                delivered_at=attempt.at if answer.ok else None,
                response_status=answer.status if answer.status and 100 <= answer.status <= 599 else None,
                response_body=answer.body or None,
                latency_ms=answer.latency_ms,
                error=answer.error,
                replay=attempt.replay,
            )
        )
    if attempt.replay or not new:
        return hook.failing_since
    if answer.ok:
        position = (attempt.event.tx, attempt.event.seq)
        if position > (hook.position_tx, hook.position_seq):
            hook.position_tx, hook.position_seq = position
        hook.failure_count, hook.failing_since, hook.last_success_at = 0, None, attempt.at
    else:
        hook.failure_count += 1
        hook.failing_since = hook.failing_since or attempt.at
    return hook.failing_since


@dataclass(frozen=True)
class Disabled:
    url: str
    addresses: list[str]
    org_name: str


def disable(session: Session, webhook_id: uuid.UUID, reason: str, at: datetime) -> Disabled | None:
    """Switch the endpoint off for `reason`; None when staff already did (nothing to tell)."""
    hook = session.get(Webhook, webhook_id, with_for_update=True)
    if hook is None or hook.deleted_at is not None:
        return None
    if hook.is_active:
        hook.is_active, hook.disabled_at, hook.disabled_reason = False, at, reason
    elif (hook.disabled_reason, hook.disabled_at) != (reason, at):
        return None
    org = session.get(Organization, hook.org_id)
    return Disabled(hook.url, owner_addresses(session), org.name if org else "your organisation")


def attempts(
    session: Session, webhook_id: uuid.UUID, event_id: uuid.UUID | None, limit: int, offset: int
) -> Page[WebhookDelivery]:
    """An endpoint's attempts, newest first (of one event when given)."""
    endpoints.get(session, webhook_id)
    q = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if event_id is not None:
        q = q.where(WebhookDelivery.event_id == event_id)
    q = q.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.attempt.desc(), WebhookDelivery.id)
    return page(session, q, limit, offset)


def attempt_of(session: Session, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
    row = session.get(WebhookDelivery, delivery_id)
    if row is None or row.webhook_id != webhook_id:
        raise NotFound(f"delivery {delivery_id} not found", field="delivery_id")
    return row


def replay_page(
    session: Session,
    webhook_id: uuid.UUID,
    since: datetime | None,
    event_id: uuid.UUID | None,
    after: Position,
    limit: int,
) -> list[EventRef]:
    """What a replay sends next: the one event, or the endpoint's events since `since` up to
    its position (later ones the feed sends anyway), after `after`, oldest first."""
    hook = endpoints.get(session, webhook_id)
    if event_id is not None:
        event = get_event(session, event_id)
        return [_ref(event)] if event is not None and after == Position(0, 0) else []
    assert since is not None, "a replay names one event or a time"
    pos = (hook.position_tx, hook.position_seq)
    rows = session.scalars(
        select(DomainEvent)
        .where(
            DomainEvent.type.in_([t.value for t in _types(hook)]),
            tuple_(DomainEvent.tx, DomainEvent.seq) > tuple_(after.tx, after.seq),
            tuple_(DomainEvent.tx, DomainEvent.seq) <= tuple_(*pos),
            DomainEvent.occurred_at >= since,
        )
        .order_by(DomainEvent.tx, DomainEvent.seq)
        .limit(limit)
    ).all()
    return [EventRef(r.id, r.tx, r.seq) for r in rows]
