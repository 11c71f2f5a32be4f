"""Properties, houses, rooms and beds as reference data, and the bed board: which bed is
occupied, reserved, offered, out of service or free, read in one query."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlalchemy import Date, and_, bindparam, func, select, text, true
from sqlalchemy.dialects.postgresql import Range, distinct_on
from sqlalchemy.orm import Session, aliased

from core.crypto import FieldCipher, field_aad
from core.enums import BedStatus, HouseGender, PropertyType, WaitlistStatus
from core.errors import NotFound
from core.fieldcrypt import field_cipher
from core.scope import ORG_WIDE, Scope, ScopeKind
from models.base import note_phi_reads
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


@dataclass(frozen=True, slots=True)
class BoardBed:
    bed_id: uuid.UUID
    label: str
    room: str
    status: BoardStatus
    # When the current state began (move-in, or the end of the last stay); None if never used.
    since: date | None
    resident_id: uuid.UUID | None
    # First name and last initial only: enough for a house manager's board, no more.
    occupant: str | None
    next_resident_id: uuid.UUID | None
    next_from: date | None


@dataclass(slots=True)
class BoardHouse:
    house_id: uuid.UUID
    name: str
    property_id: uuid.UUID
    gender: HouseGender
    # Free beds of the house on the day, whatever the status filter lists.
    vacant: int = 0
    beds: list[BoardBed] = field(default_factory=list)


@dataclass
class Board:
    on: date
    houses: list[BoardHouse]

    def vacancies_by_property(self) -> dict[uuid.UUID, int]:
        counts: Counter[uuid.UUID] = Counter()
        for h in self.houses:
            counts[h.property_id] += h.vacant
        return dict(counts)


@dataclass(frozen=True)
class BoardFilter:
    """Which part of the board to show; every field None shows all of it."""

    property_id: uuid.UUID | None = None
    house_id: uuid.UUID | None = None
    gender: HouseGender | None = None
    status: BoardStatus | None = None

    def admits(self, house: BoardHouse) -> bool:
        """Whether the house-level filters (all but `status`) keep this house."""
        return (
            (self.property_id is None or house.property_id == self.property_id)
            and (self.house_id is None or house.house_id == self.house_id)
            and (self.gender is None or house.gender is self.gender)
        )


ALL = BoardFilter()


def bed_board(session: Session, on: date, only: BoardFilter = ALL) -> Board:
    """Every live bed with what holds it on `on`, in one statement: the stay covering the day,
    the next reservation after it, an open waitlist offer, and when the current state began.

    Set-based, not per bed: each of those is one pass over the org's stays (or open offers)
    joined to the beds by hash, so 2,000 beds cost a few scans rather than 2,000 index probes
    each. Of each occupant only the two encrypted name columns are read, as columns: loading
    1,500 Resident objects cost more than the statement (their decryption is audited as a
    read all the same). A house is listed when some bed matches `only.status`; its vacancy count
    is of all its beds."""
    day = bindparam("board_day", on, type_=Date)
    scope: Scope = session.info.get("scope", ORG_WIDE)
    # A house-scoped reader (a house manager) sees a few beds: say which, so PostgreSQL looks
    # their stays up by index instead of filtering all of the org's through the scope policies.
    houses_only = scope.house_ids if scope.kind is ScopeKind.HOUSES else None
    in_scope = (
        select(Bed.id).join(Room, Room.id == Bed.room_id).where(Room.house_id.in_(houses_only))
        if houses_only is not None
        else None
    )
    current = aliased(BedOccupancy)
    occupant = aliased(Resident)
    ahead = aliased(BedOccupancy)
    before = aliased(BedOccupancy)
    next_stay = (
        select(ahead.bed_id, ahead.resident_id, func.lower(ahead.during).label("start"))
        .where(func.lower(ahead.during) > day, ~func.isempty(ahead.during))
        .where(ahead.bed_id.in_(in_scope) if in_scope is not None else true())
        .order_by(ahead.bed_id, func.lower(ahead.during))
        .ext(distinct_on(ahead.bed_id))
        .subquery("next_stay")
    )
    freed = (
        select(before.bed_id, func.max(func.upper(before.during)).label("on"))
        .where(func.upper(before.during) <= day)
        .where(before.bed_id.in_(in_scope) if in_scope is not None else true())
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
            House.property_id,
            House.gender,
            current.resident_id,
            func.lower(current.during),
            occupant.first_name_ct,
            occupant.last_name_ct,
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
        .order_by(Property.name, House.name, Room.name, Bed.label)
    )
    if houses_only is not None:
        stmt = stmt.where(House.id.in_(houses_only))
    if only.property_id is not None:
        stmt = stmt.where(House.property_id == only.property_id)
    if only.house_id is not None:
        stmt = stmt.where(House.id == only.house_id)
    if only.gender is not None:
        stmt = stmt.where(House.gender == only.gender)
    houses: dict[uuid.UUID, BoardHouse] = {}
    # The scope policies (migration 0011) put `app_scope() = 'org' OR <subquery>` on every
    # joined table; the planner cannot know the setting, underestimates every row count and
    # nests the per-bed aggregates inside loops, rescanning them 2,000 times (about 450 ms
    # for a 2,000-bed org). Hash joins keep the statement at tens of ms. SET LOCAL ends with
    # the transaction, so no other statement plans with it. A house-scoped board is a few
    # beds, where index lookups in nested loops are what we want.
    if houses_only is None:
        session.execute(text("SET LOCAL enable_nestloop = off"))
    cipher = field_cipher()
    shown: list[uuid.UUID] = []
    for row in session.execute(stmt):
        (bid, label, bstatus, room, hid, hname, pid, hgender, resident_id, stay_start) = row[:10]
        first_ct, last_ct, next_id, next_from, freed_on, offered_at = row[10:]
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
        house = houses.get(hid)
        if house is None:
            house = houses[hid] = BoardHouse(hid, hname, pid, hgender)
        if st is BoardStatus.FREE:
            house.vacant += 1
        if only.status is not None and st is not only.status:
            continue
        occupant_name = None
        if resident_id is not None and first_ct is not None:
            occupant_name = _initialled(cipher, resident_id, first_ct, last_ct)
            shown.append(resident_id)
        house.beds.append(
            BoardBed(
                label=label,
                bed_id=bid,
                room=room,
                status=st,
                since=since,
                resident_id=resident_id,
                occupant=occupant_name,
                next_resident_id=next_id,
                next_from=next_from,
            )
        )
    note_phi_reads(session, "residents", shown, ("first_name", "last_name"))
    listed = [h for h in houses.values() if h.beds or only.status is None]
    return Board(on, listed)


def _initialled(cipher: FieldCipher, resident_id: uuid.UUID, first_ct: bytes, last_ct: bytes | None) -> str:
    first = cipher.decrypt(first_ct, field_aad("residents", "first_name", resident_id)).decode()
    if last_ct is None:
        return first
    last = cipher.decrypt(last_ct, field_aad("residents", "last_name", resident_id)).decode()
    return f"{first} {last[:1]}." if last else first


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
