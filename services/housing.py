"""Properties, houses, rooms and beds as reference data, and the bed board: which bed is
occupied, reserved, offered, out of service or free, read in one query."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlalchemy import Date, and_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import Range, distinct_on
from sqlalchemy.orm import Session, aliased, load_only

from core.errors import NotFound
from models.enums import BedStatus, HouseGender, PropertyType, WaitlistStatus
from models.orgs import Bed, House, Property, Room
from models.resident_tracking import BedOccupancy, WaitlistEntry
from models.residents import Resident


@dataclass(frozen=True)
class BedPlace:
    """Where a bed is: the ids a placement writes and the label its errors name."""

    bed_id: uuid.UUID
    label: str
    status: BedStatus
    room_id: uuid.UUID
    house_id: uuid.UUID
    property_id: uuid.UUID
    gender: HouseGender


def bed_place(session: Session, bed_id: uuid.UUID, field: str = "bed_id") -> BedPlace:
    """The bed in the caller's org (and scope); a bed of another org is as unknown as one that
    never existed. `field` names the input in the NotFound."""
    row = session.execute(
        select(Bed.id, Bed.label, Bed.status, Room.id, House.id, House.property_id, House.gender)
        .join(Room, Room.id == Bed.room_id)
        .join(House, House.id == Room.house_id)
        .where(Bed.id == bed_id)
    ).one_or_none()
    if row is None:
        raise NotFound("bed not found", field=field)
    return BedPlace(*row)


def get_house(session: Session, house_id: uuid.UUID, field: str = "house_id") -> House:
    house = session.get(House, house_id)
    if house is None:
        raise NotFound("house not found", field=field)
    return house


class BoardStatus(StrEnum):
    OCCUPIED = "occupied"
    RESERVED = "reserved"
    OFFERED = "offered"
    OUT_OF_SERVICE = "out_of_service"
    FREE = "free"


@dataclass(frozen=True)
class BoardBed:
    bed_id: uuid.UUID
    label: str
    room: str
    house_id: uuid.UUID
    house: str
    property_id: uuid.UUID
    property: str
    gender: HouseGender
    status: BoardStatus
    # When the current state began (move-in, or the end of the last stay); None if never used.
    since: date | None
    resident_id: uuid.UUID | None
    # First name and last initial only: enough for a house manager's board, no more.
    occupant: str | None
    next_resident_id: uuid.UUID | None
    next_from: date | None


@dataclass
class BoardHouse:
    house_id: uuid.UUID
    name: str
    property_id: uuid.UUID
    beds: list[BoardBed] = field(default_factory=list)

    @property
    def vacant(self) -> int:
        return sum(b.status is BoardStatus.FREE for b in self.beds)


@dataclass
class Board:
    on: date
    houses: list[BoardHouse]

    def vacancies_by_property(self) -> dict[uuid.UUID, int]:
        counts: Counter[uuid.UUID] = Counter()
        for h in self.houses:
            counts[h.property_id] += h.vacant
        return dict(counts)


def bed_board(
    session: Session,
    on: date,
    *,
    property_id: uuid.UUID | None = None,
    house_id: uuid.UUID | None = None,
    gender: HouseGender | None = None,
    status: BoardStatus | None = None,
) -> Board:
    """Every live bed with what holds it on `on`, in one statement: the stay covering the day,
    the next reservation after it, an open waitlist offer, and when the current state began.

    Set-based, not per bed: each of those is one pass over the org's stays (or open offers)
    joined to the beds by hash, so 2,000 beds cost a few scans rather than 2,000 index probes
    each; and of each occupant only the two encrypted name fields are loaded (their decryption
    is audited as a read, as everywhere)."""
    day = bindparam("board_day", on, type_=Date)
    current = aliased(BedOccupancy)
    occupant = aliased(Resident)
    ahead = aliased(BedOccupancy)
    before = aliased(BedOccupancy)
    next_stay = (
        select(ahead.bed_id, ahead.resident_id, func.lower(ahead.during).label("start"))
        .where(func.lower(ahead.during) > day, ~func.isempty(ahead.during))
        .order_by(ahead.bed_id, func.lower(ahead.during))
        .ext(distinct_on(ahead.bed_id))
        .subquery("next_stay")
    )
    freed = (
        select(before.bed_id, func.max(func.upper(before.during)).label("on"))
        .where(func.upper(before.during) <= day)
        .group_by(before.bed_id)
        .subquery("freed")
    )
    offered = (
        select(WaitlistEntry.offered_bed_id, WaitlistEntry.offered_at)
        .where(WaitlistEntry.status == WaitlistStatus.OFFERED, WaitlistEntry.offered_bed_id.is_not(None))
        .subquery("offered")
    )
    stmt = (
        select(
            Bed.id,
            Bed.label,
            Bed.status,
            Room.name,
            House.id,
            House.name,
            Property.id,
            Property.name,
            House.gender,
            current.resident_id,
            func.lower(current.during),
            occupant,
            next_stay.c.resident_id,
            next_stay.c.start,
            freed.c.on,
            offered.c.offered_at,
        )
        .join(Room, Room.id == Bed.room_id)
        .join(House, House.id == Room.house_id)
        .join(Property, Property.id == House.property_id)
        .outerjoin(current, and_(current.bed_id == Bed.id, current.during.contains(day)))
        .outerjoin(occupant, occupant.id == current.resident_id)
        .outerjoin(next_stay, next_stay.c.bed_id == Bed.id)
        .outerjoin(freed, freed.c.bed_id == Bed.id)
        .outerjoin(offered, offered.c.offered_bed_id == Bed.id)
        .options(load_only(occupant.first_name_ct, occupant.last_name_ct, raiseload=True))
        .order_by(Property.name, House.name, Room.name, Bed.label)
    )
    if property_id is not None:
        stmt = stmt.where(House.property_id == property_id)
    if house_id is not None:
        stmt = stmt.where(House.id == house_id)
    if gender is not None:
        stmt = stmt.where(House.gender == gender)
    houses: dict[uuid.UUID, BoardHouse] = {}
    # The scope policies (migration 0011) put `app_scope() = 'org' OR <subquery>` on every
    # joined table; the planner cannot know the setting, underestimates every row count and
    # nests the per-bed aggregates inside loops, rescanning them 2,000 times (about 450 ms
    # for a 2,000-bed org). Hash joins keep the statement at tens of ms. SET LOCAL ends with
    # the transaction, so no other statement plans with it.
    session.execute(text("SET LOCAL enable_nestloop = off"))
    for row in session.execute(stmt):
        (bid, label, bstatus, room, hid, hname, pid, pname, hgender) = row[:9]
        resident_id, stay_start, res, next_id, next_from, freed_on, offered_at = row[9:]
        if bstatus is BedStatus.OUT_OF_SERVICE:
            st, since = BoardStatus.OUT_OF_SERVICE, None
        elif resident_id is not None:
            st, since = BoardStatus.OCCUPIED, stay_start
        elif offered_at is not None:
            st, since = BoardStatus.OFFERED, offered_at.date()
        elif next_id is not None:
            st, since = BoardStatus.RESERVED, freed_on
        else:
            st, since = BoardStatus.FREE, freed_on
        if status is not None and st is not status:
            continue
        house = houses.setdefault(hid, BoardHouse(hid, hname, pid))
        house.beds.append(
            BoardBed(
                bed_id=bid,
                label=label,
                room=room,
                house_id=hid,
                house=hname,
                property_id=pid,
                property=pname,
                gender=hgender,
                status=st,
                since=since,
                resident_id=resident_id,
                occupant=_initialled(res) if res is not None else None,
                next_resident_id=next_id,
                next_from=next_from,
            )
        )
    return Board(on, list(houses.values()))


def _initialled(resident: Resident) -> str:
    last = resident.last_name or ""
    return f"{resident.first_name} {last[:1]}." if last else str(resident.first_name)


def open_range(start: date) -> Range[date]:
    return Range(start, None, bounds="[)")


@dataclass(frozen=True)
class HouseLayout:
    property_id: uuid.UUID
    house_id: uuid.UUID
    beds: dict[str, uuid.UUID]  # label -> bed id


def add_house(
    session: Session,
    name: str,
    bed_labels: list[str],
    *,
    gender: HouseGender = HouseGender.COED,
    property_id: uuid.UUID | None = None,
    beds_per_room: int = 2,
) -> HouseLayout:
    """A house with its rooms and beds (and a property for it when none is given): reference
    data for onboarding, the seed and tests."""
    org_id = session.info["actor"]["org_id"]
    if property_id is None:
        prop = Property(
            org_id=org_id,
            name=f"{name} property",
            property_type=PropertyType.SINGLE_FAMILY,
            address_line1="1 Main St",
            city="Austin",
            state="TX",
            postal_code="78701",
        )
        session.add(prop)
        session.flush()
        property_id = prop.id
    house = House(org_id=org_id, property_id=property_id, name=name, gender=gender, capacity=len(bed_labels))
    session.add(house)
    session.flush()
    beds: dict[str, uuid.UUID] = {}
    for start in range(0, len(bed_labels), beds_per_room):
        room = Room(org_id=org_id, house_id=house.id, name=f"Room {start // beds_per_room + 1}")
        session.add(room)
        session.flush()
        for label in bed_labels[start : start + beds_per_room]:
            bed = Bed(org_id=org_id, room_id=room.id, label=label)
            session.add(bed)
            beds[label] = bed.id
    session.flush()
    return HouseLayout(property_id, house.id, beds)
