"""Properties, houses, rooms and beds as staff set them up: create, change and soft delete.

Row-level security narrows every read and write to the caller's scope (migration 0011), so a
place outside it, or in another org, is as unknown as one that never existed: NotFound naming
the input. A parent is looked up before anything is written, so a row is never moved or
created under a parent the caller cannot see. Deleting is soft and reaches down: a house
takes its rooms and beds with it, and nothing is deleted while any bed under it has a current
or future stay (Conflict naming that bed)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from core.enums import BedStatus
from core.errors import Conflict, NotFound
from models.orgs import Bed, House, Property, Room
from models.resident_tracking import BedOccupancy
from services import availability

Place = Property | House | Room | Bed


@dataclass(frozen=True)
class Kind:
    """One level of the hierarchy: its model, the column naming its parent, and the column
    whose value is unique among its live siblings."""

    name: str
    model: type[Place]
    parent: Kind | None
    parent_column: str | None
    unique_column: str

    @property
    def id_field(self) -> str:
        return f"{self.name}_id"


PROPERTY = Kind("property", Property, None, None, "name")
HOUSE = Kind("house", House, PROPERTY, "property_id", "name")
ROOM = Kind("room", Room, HOUSE, "house_id", "name")
BED = Kind("bed", Bed, ROOM, "room_id", "label")


def get(session: Session, kind: Kind, place_id: uuid.UUID, field: str | None = None) -> Any:
    row: Any = session.get(kind.model, place_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"{kind.name} not found", field=field or kind.id_field)
    return row


def listing(kind: Kind, parent_id: uuid.UUID | None = None) -> Select[Any]:
    """The live rows of one kind the caller may see (row security decides), by name, then id;
    of one parent when given."""
    model: Any = kind.model
    stmt = select(model).order_by(getattr(model, kind.unique_column), model.id)
    if parent_id is not None and kind.parent_column is not None:
        stmt = stmt.where(getattr(model, kind.parent_column) == parent_id)
    return stmt


def _check_unique(session: Session, kind: Kind, row_id: uuid.UUID, values: dict[str, Any]) -> None:
    model: Any = kind.model
    stmt = select(model.id).where(
        getattr(model, kind.unique_column) == values[kind.unique_column], model.id != row_id
    )
    if kind.parent_column is not None:
        stmt = stmt.where(getattr(model, kind.parent_column) == values[kind.parent_column])
    else:
        stmt = stmt.where(model.org_id == session.info["actor"]["org_id"])
    if session.scalar(stmt.limit(1)) is not None:
        where = f" in this {kind.parent.name}" if kind.parent else ""
        raise Conflict(
            f"a {kind.name} with this {kind.unique_column} exists{where}", field=kind.unique_column
        )


def create(session: Session, kind: Kind, place_id: uuid.UUID, values: dict[str, Any]) -> Any:
    if kind.parent is not None and kind.parent_column is not None:
        get(session, kind.parent, values[kind.parent_column], field=kind.parent_column)
    _check_unique(session, kind, place_id, values)
    row = kind.model(id=place_id, org_id=session.info["actor"]["org_id"], **values)
    session.add(row)
    session.flush()
    availability.note_change(session, *_houses(session, kind, row))
    return row


def update(session: Session, kind: Kind, place_id: uuid.UUID, changes: dict[str, Any], today: date) -> Any:
    """Changes the fields given. Moving a place (a new parent) or taking a bed out of service is
    refused while a bed it concerns has a current or future stay (Conflict naming the bed)."""
    row = get(session, kind, place_id)
    if kind.parent is not None and kind.parent_column is not None and kind.parent_column in changes:
        get(session, kind.parent, changes[kind.parent_column], field=kind.parent_column)
    current = {c: getattr(row, c) for c in (kind.unique_column, kind.parent_column) if c is not None}
    after = {**current, **{k: v for k, v in changes.items() if k in current}}
    if after.get(kind.parent_column or "") != current.get(kind.parent_column or ""):
        # A stay belongs to its house (admissions, scope, billing): a held bed never moves.
        _refuse_held_beds(session, _beds_at_or_below(session, kind, row), today, "moving")
    if kind is BED and changes.get("status") is BedStatus.OUT_OF_SERVICE:
        _refuse_held_beds(session, [row.id], today, "taking it out of service")
    if after != current:
        _check_unique(session, kind, place_id, after)
    before = _houses(session, kind, row)
    for name, value in changes.items():
        setattr(row, name, value)
    session.flush()
    availability.note_change(session, *before, *_houses(session, kind, row))
    return row


def _houses(session: Session, kind: Kind, row: Any) -> list[uuid.UUID]:
    """The houses whose beds a place is or holds (a property: all of its houses)."""
    if kind is BED:
        room = session.get(Room, row.room_id)
        return [] if room is None else [room.house_id]
    if kind is ROOM:
        return [row.house_id]
    if kind is HOUSE:
        return [row.id]
    return [h.id for h in _below(session, HOUSE, kind, row.id)]


def _beds_at_or_below(session: Session, kind: Kind, row: Any) -> list[uuid.UUID]:
    return [row.id] if kind is BED else [b.id for b in _below(session, BED, kind, row.id)]


@dataclass(frozen=True)
class Removed:
    """What a delete took with it."""

    houses: int
    rooms: int
    beds: int


def delete(session: Session, kind: Kind, place_id: uuid.UUID, today: date) -> Removed:
    """Soft-deletes the place and everything under it, unless a bed under it has a stay that
    has not ended by `today` (Conflict naming the first such bed)."""
    row = get(session, kind, place_id)
    houses, rooms, beds = (
        [row] if k is kind else _below(session, k, kind, place_id) for k in (HOUSE, ROOM, BED)
    )
    _refuse_held_beds(session, [b.id for b in beds], today, "deleting")
    now = datetime.now(UTC)
    touched = _houses(session, kind, row)
    for r in {row, *beds, *rooms, *houses}:
        r.deleted_at = now
    session.flush()
    # A deleted house is no longer listed (and gets no event); a house that lost beds does.
    availability.note_change(session, *touched)
    return Removed(len(houses), len(rooms), len(beds))


def _below(session: Session, want: Kind, kind: Kind, place_id: uuid.UUID) -> list[Any]:
    """The live rows of `want` under the place `place_id` of `kind` (none when `want` is not
    below `kind`)."""
    chain: list[Kind] = []
    k: Kind | None = want
    while k is not None and k is not kind:
        chain.append(k)
        k = k.parent
    if k is None:
        return []
    stmt: Any = select(want.model)
    for child, parent in itertools.pairwise(chain):
        stmt = stmt.join(parent.model, getattr(child.model, child.parent_column or "") == parent.model.id)
    top = chain[-1]
    stmt = stmt.where(getattr(top.model, top.parent_column or "") == place_id)
    return list(session.scalars(stmt))


def _refuse_held_beds(session: Session, bed_ids: list[uuid.UUID], today: date, doing: str) -> None:
    if not bed_ids:
        return
    held = session.execute(
        select(Bed.id, Bed.label)
        .join(BedOccupancy, BedOccupancy.bed_id == Bed.id)
        .where(
            Bed.id.in_(bed_ids),
            or_(func.upper_inf(BedOccupancy.during), func.upper(BedOccupancy.during) > today),
        )
        .order_by(Bed.label)
        .limit(1)
    ).first()
    if held is not None:
        raise Conflict(
            f"bed {held.label} ({held.id}) has a current or future stay; end it before {doing}",
            field="bed_id",
            bed_id=str(held.id),
        )
