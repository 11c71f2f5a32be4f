"""Open beds per house for referral partners: counts only, never who is in a bed.

A bed counts as open on a day exactly when the bed board (services/housing.bed_board) calls it
free: in service, no stay covering the day, no stay booked after it, no waitlist offer holding
it. This is its own statement, not the board's, because the board reads occupants' names (and
audits that read); a partner's key never reads a name, so nothing here touches `residents`.

`note_change` is what the places that move those counts call (placement, transfers, discharge,
waitlist offers, beds set up or taken out of service): in their transaction, it records a
`beds.availability_changed.v1` event for each house whose count is not the one its last event
said, with the counts and nothing else, for partners' webhooks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date

from sqlalchemy import Date, Integer, and_, bindparam, exists, func, select
from sqlalchemy.orm import Session

from core.enums import BedStatus, HouseGender, NarrLevel, WaitlistStatus
from core.events import EventType
from models.events import DomainEvent
from models.orgs import Bed, House, Property, Room
from models.resident_tracking import BedOccupancy, WaitlistEntry
from services.events import emit


@dataclass(frozen=True)
class HouseAvailability:
    house_id: uuid.UUID
    name: str
    gender: HouseGender
    level_of_support: NarrLevel
    open_beds: int
    beds_in_service: int = 0


def open_beds(
    session: Session,
    on: date,
    gender: HouseGender | None = None,
    house_ids: Iterable[uuid.UUID] | None = None,
) -> list[HouseAvailability]:
    """Every live house (or those of `house_ids`) with its open beds on `on` (zero included),
    by name."""
    day = bindparam("day", on, type_=Date)
    taken = exists().where(
        BedOccupancy.bed_id == Bed.id,
        ~func.isempty(BedOccupancy.during),
        # Covering the day, or booked to start after it.
        (BedOccupancy.during.contains(day)) | (func.lower(BedOccupancy.during) > day),
    )
    held = exists().where(
        WaitlistEntry.offered_bed_id == Bed.id, WaitlistEntry.status == WaitlistStatus.OFFERED
    )
    is_open = and_(Bed.id.is_not(None), Bed.status != BedStatus.OUT_OF_SERVICE, ~taken, ~held)
    stmt = (
        select(
            House.id,
            House.name,
            House.gender,
            House.narr_level,
            func.count(Bed.id).filter(is_open),
            func.count(Bed.id).filter(Bed.status != BedStatus.OUT_OF_SERVICE),
        )
        .join(Property, Property.id == House.property_id)
        .outerjoin(Room, and_(Room.house_id == House.id, Room.deleted_at.is_(None)))
        .outerjoin(Bed, and_(Bed.room_id == Room.id, Bed.deleted_at.is_(None)))
        .where(House.deleted_at.is_(None), Property.deleted_at.is_(None))
        .group_by(House.id, House.name, House.gender, House.narr_level)
        .order_by(House.name, House.id)
    )
    if gender is not None:
        stmt = stmt.where(House.gender == gender)
    if house_ids is not None:
        stmt = stmt.where(House.id.in_(list(house_ids)))
    return [HouseAvailability(*row) for row in session.execute(stmt)]


def note_change(session: Session, *house_ids: uuid.UUID | None) -> None:
    """After a change that may move these houses' open beds, in its transaction: one
    `beds.availability_changed.v1` per house whose counts today differ from its last event's.

    Calling it when nothing changed records nothing, so callers call it freely. Changes to one
    house take a lock on it here until they commit, so each event counts what the one before it
    committed, and `version` numbers them in that order (a receiver keeps the highest: delivery
    order follows transaction ids, which need not be the order they took the lock in). The
    version also makes the event id, so a retried transaction records its event once."""
    wanted = sorted({h for h in house_ids if h is not None})
    if not wanted:
        return
    session.flush()
    for house_id in wanted:
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"beds-open:{house_id}", 0))))
    today = session.scalar(select(func.now())).astimezone(UTC).date()  # type: ignore[union-attr]
    for h in open_beds(session, today, house_ids=wanted):
        last = _last(session, h.house_id)
        if last is not None and (last.get("open_beds"), last.get("beds_in_service")) == (
            str(h.open_beds),
            str(h.beds_in_service),
        ):
            continue
        version = int(last["version"]) + 1 if last is not None else 1
        emit(
            session,
            EventType.BEDS_AVAILABILITY_CHANGED,
            h.house_id,
            occurrence=str(version),
            house_id=h.house_id,
            open_beds=h.open_beds,
            beds_in_service=h.beds_in_service,
            version=version,
        )


def _last(session: Session, house_id: uuid.UUID) -> dict[str, str] | None:
    """The data of the house's newest availability event (its highest version)."""
    data: dict[str, str] | None = session.scalar(
        select(DomainEvent.data)
        .where(
            DomainEvent.org_id == session.info["actor"]["org_id"],
            DomainEvent.subject_id == house_id,
            DomainEvent.type == EventType.BEDS_AVAILABILITY_CHANGED.value,
        )
        .order_by(DomainEvent.data["version"].astext.cast(Integer).desc())
        .limit(1)
    )
    return data
