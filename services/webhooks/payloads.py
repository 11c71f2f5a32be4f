"""What a receiver gets for an event: thin, ids and types only.

A payload never carries PHI: an id says which lead, resident or invoice, and the receiver
reads the rest through the API under its own permissions. The outbox itself holds nothing else
(`services/events.py` refuses free text), so there is no PHI to leak. Sending PHI would need a
business associate agreement on file for that recipient (`baa_records`) and Part 2 data an
active consent naming it; no event type carries either today, and Part 2 data is never sent
until the consent issue's policy decides per recipient (README "Webhooks").

The body is built from the stored event alone, so every attempt and every replay of an event
sends the same bytes: only `webhook-timestamp` and the signature change.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from core.events import CATALOGUE, START, EventType
from services.events import Event


def body(event: Event) -> bytes:
    return json.dumps(envelope(event), separators=(",", ":"), sort_keys=True).encode()


def envelope(event: Event) -> dict[str, Any]:
    """Standard Webhooks' recommended shape: `type`, `timestamp`, `data` (and the event id)."""
    data: dict[str, Any] = {f"{event.type.subject}_id": str(event.subject_id)}
    if event.resident_id is not None:
        data["resident_id"] = str(event.resident_id)
    if event.house_id is not None:
        data["house_id"] = str(event.house_id)
    data.update(event.data)
    return {
        "id": str(event.id),
        "type": event.type.value,
        "timestamp": event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }


# The other ids and values each type carries (what its emitter names), for the examples.
_EXAMPLE_NAMES: dict[EventType, dict[str, str]] = {
    EventType.LEAD_DECIDED: {"status": "approved"},
    EventType.RESIDENT_ADMITTED: {"admission_id": "", "bed_id": ""},
    EventType.RESIDENT_TRANSFERRED: {"transfer_id": "", "bed_id": ""},
    EventType.RESIDENT_DISCHARGED: {"discharge_id": "", "kind": "planned"},
    EventType.PAYMENT_RECEIVED: {"invoice_id": ""},
    EventType.REFUND_COMPLETED: {"payment_id": ""},
    EventType.DEPOSIT_SETTLED: {"status": "refunded"},
    EventType.DUNNING_STEP_TAKEN: {"step": "1", "action": "reminder_email"},
    EventType.SIGNATURE_REQUEST_CLOSED: {"outcome": "expired"},
    EventType.BEDS_AVAILABILITY_CHANGED: {"open_beds": "2", "beds_in_service": "6", "version": "7"},
}
_NO_RESIDENT = {EventType.LEAD_CREATED, EventType.LEAD_DECIDED, EventType.BEDS_AVAILABILITY_CHANGED}


def example(type_: EventType) -> dict[str, Any]:
    """A payload of `type_` as a receiver sees it (ids invented, stable per type)."""

    def an_id(name: str) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"recoveryos-example/{type_.value}/{name}")

    names = {k: v or str(an_id(k)) for k, v in _EXAMPLE_NAMES.get(type_, {}).items()}
    event = Event(
        an_id("event"),
        type_,
        an_id("subject"),
        None if type_ in _NO_RESIDENT else an_id("resident"),
        an_id("house"),
        names,
        datetime(2026, 12, 5, 14, 30, tzinfo=UTC),
        START,  # where the event sits in the outbox: not in the payload
    )
    return envelope(event)


def catalogue() -> list[tuple[EventType, str, dict[str, Any]]]:
    """Every event type with its sentence and an example payload (README, OpenAPI)."""
    return [(t, CATALOGUE[t], example(t)) for t in EventType]
