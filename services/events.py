"""The outbox's two ends: `emit` records an event in the caller's transaction, `read_after`
returns an org's events in order after a position.

An event exists if and only if the change that caused it committed: `emit` only inserts a row
in the session the change is written in. Its id comes from what happened (`core.events.event_id`),
so a retried activity that writes the same change emits nothing twice. What a consumer has read
is its own row's business (a webhook endpoint keeps its position beside it), never a process's
memory: any replica can continue where another stopped.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import Table, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from core.events import START, EventType, Position, event_id
from models.events import DomainEvent

PAGE_LIMIT = 500

# Every transaction older than this has finished: rows it wrote are all the rows it will write.
_SETTLED = text("(pg_snapshot_xmin(pg_current_snapshot()))::text::bigint")


def _plain(name: str, value: object) -> str | None:
    """Ids, enum values and small numbers (a step) only: free text or a date would be a way for
    PHI in."""
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"event field {name!r} must be an id, an enum member or a number")


def emit(
    session: Session,
    type_: EventType,
    subject_id: uuid.UUID,
    *,
    occurrence: str = "",
    resident_id: uuid.UUID | None = None,
    house_id: uuid.UUID | None = None,
    **names: uuid.UUID | Enum | int | None,
) -> uuid.UUID:
    """Record that `type_` happened to `subject_id`, in the caller's transaction. Returns the
    event id; emitting the same event again (same type, subject and occurrence) is a no-op."""
    return emit_many(session, type_, [Subject(subject_id, resident_id, house_id, occurrence, names)])[0]


@dataclass(frozen=True)
class Subject:
    """One event of a batch (`emit_many`): what it is about and the ids it names."""

    id: uuid.UUID
    resident_id: uuid.UUID | None = None
    house_id: uuid.UUID | None = None
    occurrence: str = ""
    names: Mapping[str, uuid.UUID | Enum | int | None] = field(default_factory=dict)


def emit_many(session: Session, type_: EventType, subjects: Sequence[Subject]) -> list[uuid.UUID]:
    """One event of `type_` per subject in one statement (a rent run's invoices); as `emit`."""
    if not subjects:
        return []
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    ids = [event_id(org_id, type_, sub.id, sub.occurrence) for sub in subjects]
    rows = [
        {
            "id": eid,
            "org_id": org_id,
            "type": type_.value,
            "subject_id": sub.id,
            "resident_id": sub.resident_id,
            "house_id": sub.house_id,
            "data": {
                k: v for k, v in ((k, _plain(k, v)) for k, v in sorted(sub.names.items())) if v is not None
            },
        }
        for eid, sub in zip(ids, subjects, strict=True)
    ]
    # One statement, compiled once (rows as parameters, not inline VALUES, which SQLAlchemy
    # compiles anew for every call: a fifth of a lead's creation time was spent there).
    session.execute(_INSERT, rows)
    return ids


_INSERT = insert(cast(Table, DomainEvent.__table__)).on_conflict_do_nothing(index_elements=["id"])


@dataclass(frozen=True)
class Event:
    id: uuid.UUID
    type: EventType
    subject_id: uuid.UUID
    resident_id: uuid.UUID | None
    house_id: uuid.UUID | None
    data: dict[str, Any]
    occurred_at: datetime
    position: Position


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    # Where to read after next time; the position asked for when the page is empty.
    next: Position


def settled(session: Session) -> int:
    """The outbox's settled end now: every event with a smaller `tx` has committed (or never
    will). Pass it to `read_after` and `end` when the two must agree: each statement of a
    transaction takes its own snapshot, so two reads without it can see different ends."""
    return int(session.execute(select(_SETTLED)).scalar_one())


def read_after(
    session: Session,
    after: Position = START,
    *,
    limit: int = 100,
    types: Collection[EventType] | None = None,
    before: int | None = None,
) -> EventPage:
    """The org's events after `after`, oldest first, as far as every earlier transaction has
    finished. The caller's scope applies (row-level security): a house manager reads the
    events of their own houses and residents. Read in a transaction that has written nothing
    (its own events would hold the page back)."""
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    # Plain rows, not ORM objects: a webhook run reads hundreds a second and never changes them.
    q = (
        select(*_COLUMNS)
        .where(
            DomainEvent.org_id == org_id,
            tuple_(DomainEvent.tx, DomainEvent.seq) > tuple_(after.tx, after.seq),
            DomainEvent.tx < (_SETTLED if before is None else before),
        )
        .order_by(DomainEvent.tx, DomainEvent.seq)
        .limit(max(1, min(limit, PAGE_LIMIT)))
    )
    if types is not None:
        q = q.where(DomainEvent.type.in_([t.value for t in types]))
    events = [_event(r) for r in session.execute(q).all()]
    return EventPage(events, events[-1].position if events else after)


_COLUMNS = (
    DomainEvent.id,
    DomainEvent.type,
    DomainEvent.subject_id,
    DomainEvent.resident_id,
    DomainEvent.house_id,
    DomainEvent.data,
    DomainEvent.occurred_at,
    DomainEvent.tx,
    DomainEvent.seq,
)


def _event(r: Any) -> Event:
    """An event from its row (a DomainEvent or a row of `_COLUMNS`)."""
    return Event(
        r.id,
        EventType(r.type),
        r.subject_id,
        r.resident_id,
        r.house_id,
        dict(r.data),
        r.occurred_at,
        Position(r.tx, r.seq),
    )


def unsettled_after(session: Session, after: Position, types: Collection[EventType]) -> bool:
    """Whether the org has visible events of `types` after `after` that `read_after` does not
    return yet: committed, while an older transaction still runs."""
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    found = session.execute(
        select(DomainEvent.id)
        .where(
            DomainEvent.org_id == org_id,
            tuple_(DomainEvent.tx, DomainEvent.seq) > tuple_(after.tx, after.seq),
            DomainEvent.tx >= _SETTLED,
            DomainEvent.type.in_([t.value for t in types]),
        )
        .limit(1)
    ).first()
    return found is not None


def end(session: Session, before: int | None = None) -> Position:
    """The position of the org's last settled event (below `before`, a `settled()` taken
    earlier, when given): a consumer that starts here gets every event committed from now on
    and none before (a transaction still running has a later tx)."""
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    row = session.execute(
        select(DomainEvent.tx, DomainEvent.seq)
        .where(DomainEvent.org_id == org_id, DomainEvent.tx < (_SETTLED if before is None else before))
        .order_by(DomainEvent.tx.desc(), DomainEvent.seq.desc())
        .limit(1)
    ).first()
    return START if row is None else Position(row.tx, row.seq)


def get_event(session: Session, event_id: uuid.UUID) -> Event | None:
    """One event by its id (a consumer sending or replaying it), None when it is not visible."""
    row = session.get(DomainEvent, event_id)
    return None if row is None else _event(row)


def events_about(session: Session, subject_id: uuid.UUID) -> list[EventType]:
    """The types of the events recorded about one subject, oldest first."""
    return [
        EventType(t)
        for t in session.scalars(
            select(DomainEvent.type)
            .where(DomainEvent.subject_id == subject_id)
            .order_by(DomainEvent.tx, DomainEvent.seq)
        )
    ]
