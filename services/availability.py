"""Open beds per house for referral partners: counts only, never who is in a bed.

A bed counts as open on a day exactly when the bed board (services/housing.bed_board) calls it
free: in service, no stay covering the day, no stay booked after it, no waitlist offer holding
it. This is its own statement, not the board's, because the board reads occupants' names (and
audits that read); a partner's key never reads a name, so nothing here touches `residents`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, and_, bindparam, exists, func, select
from sqlalchemy.orm import Session

from core.enums import BedStatus, HouseGender, NarrLevel, WaitlistStatus
from models.orgs import Bed, House, Property, Room
from models.resident_tracking import BedOccupancy, WaitlistEntry


@dataclass(frozen=True)
class HouseAvailability:
    house_id: uuid.UUID
    name: str
    gender: HouseGender
    level_of_support: NarrLevel
    open_beds: int


def open_beds(session: Session, on: date, gender: HouseGender | None = None) -> list[HouseAvailability]:
    """Every live house with its open beds on `on` (zero included), by name."""
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
    return [HouseAvailability(*row) for row in session.execute(stmt)]
