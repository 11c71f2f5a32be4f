"""Webhook delivery's data as the endpoint workflow, its activities and services pass it along:
ids and outbox positions only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class EventRef:
    """An event to send: its id and where it sits in the outbox (core/events.Position)."""

    event_id: uuid.UUID
    tx: int
    seq: int


@dataclass(frozen=True)
class Batch:
    """The endpoint's next events; `active` false when it was disabled or deleted."""

    active: bool
    events: list[EventRef]
