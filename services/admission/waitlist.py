"""The waitlist: who is waiting for a bed, in what order (priority, then time), and the offer
of a freed bed to the first of them. Staff reorder or remove entries with a reason."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.contracts.admission import Offer
from core.enums import AdmissionStatus, HouseGender, Priority, ResidentStatus, WaitlistStatus
from core.errors import Conflict, NotFound
from models.orgs import House
from models.resident_tracking import BedOccupancy, WaitlistEntry
from models.residents import Resident
from services import availability
from services.admission.applications import get_admission, record_status
from services.housing import bed_place, open_range

OPEN = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)
# Urgent first, then by arrival: the order every read and every offer uses.
QUEUE_ORDER = (WaitlistEntry.priority.desc(), WaitlistEntry.added_at, WaitlistEntry.id)


def join(
    session: Session,
    entry_id: uuid.UUID,
    admission_id: uuid.UUID,
    priority: Priority,
    house_id: uuid.UUID | None,
    at: datetime,
    *,
    by: uuid.UUID | None,
    source: str,
) -> WaitlistEntry:
    """Put a pending admission's resident on the waitlist for a house (None: any house).
    Idempotent on `entry_id`."""
    done = session.get(WaitlistEntry, entry_id)
    if done is not None:
        return done
    admission = get_admission(session, admission_id)
    if admission.status is not AdmissionStatus.PENDING or admission.bed_id is not None:
        raise Conflict("only an application without a bed joins the waitlist", field="admission_id")
    resident = session.get(Resident, admission.resident_id)
    assert resident is not None
    entry = WaitlistEntry(
        id=entry_id,
        org_id=admission.org_id,
        lead_id=admission.lead_id,
        resident_id=resident.id,
        house_id=house_id,
        housing_gender=resident.housing_gender,
        status=WaitlistStatus.WAITING,
        priority=priority,
        added_at=at,
        admission_id=admission.id,
    )
    session.add(entry)
    session.flush()
    record_status(
        session, resident, ResidentStatus.WAITLISTED, admission_id=admission.id, by=by, source=source
    )
    return entry


@dataclass(frozen=True)
class QueueFilter:
    """A house (or property) filter keeps entries waiting for any house: they may take its beds."""

    house_id: uuid.UUID | None = None
    property_id: uuid.UUID | None = None
    housing_gender: HouseGender | None = None
    status: WaitlistStatus | None = None  # None: the open entries (waiting and offered)
    priority: Priority | None = None


def queue(
    session: Session, f: QueueFilter | None = None, limit: int = 100, offset: int = 0
) -> list[WaitlistEntry]:
    f = f or QueueFilter()
    stmt = select(WaitlistEntry).where(
        WaitlistEntry.status == f.status if f.status is not None else WaitlistEntry.status.in_(OPEN)
    )
    if f.house_id is not None:
        stmt = stmt.where(or_(WaitlistEntry.house_id == f.house_id, WaitlistEntry.house_id.is_(None)))
    if f.property_id is not None:
        in_property = select(House.id).where(House.property_id == f.property_id)
        stmt = stmt.where(or_(WaitlistEntry.house_id.in_(in_property), WaitlistEntry.house_id.is_(None)))
    if f.housing_gender is not None:
        stmt = stmt.where(WaitlistEntry.housing_gender == f.housing_gender)
    if f.priority is not None:
        stmt = stmt.where(WaitlistEntry.priority == f.priority)
    return list(session.scalars(stmt.order_by(*QUEUE_ORDER).limit(limit).offset(offset)))


def get_entry(session: Session, entry_id: uuid.UUID) -> WaitlistEntry:
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None:
        raise NotFound("waitlist entry not found", field="entry_id")
    return entry


def offer_next(
    session: Session, bed_id: uuid.UUID, skip: Sequence[uuid.UUID], at: datetime, expires_at: datetime
) -> Offer | None:
    """Offer the bed to the first person waiting for its house (or any house) who has not
    already been offered it. None when the bed is taken again or nobody is waiting."""
    held = session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.offered_bed_id == bed_id, WaitlistEntry.status == WaitlistStatus.OFFERED
        )
    )
    if held is not None:
        # A retry of this very step: the offer it made stands.
        assert held.admission_id is not None
        return Offer(held.id, held.admission_id, bed_id)
    place = bed_place(session, bed_id)
    if _bed_taken(session, bed_id, at):
        return None
    stmt = (
        select(WaitlistEntry)
        .where(
            WaitlistEntry.status == WaitlistStatus.WAITING,
            WaitlistEntry.admission_id.is_not(None),
            or_(WaitlistEntry.house_id == place.house_id, WaitlistEntry.house_id.is_(None)),
        )
        .order_by(*QUEUE_ORDER)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if skip:
        stmt = stmt.where(WaitlistEntry.id.not_in(list(skip)))
    entry = session.scalar(stmt)
    if entry is None:
        return None
    entry.status = WaitlistStatus.OFFERED
    entry.offered_bed_id = bed_id
    entry.offered_at = at
    entry.offer_expires_at = expires_at
    availability.note_change(session, place.house_id)  # an offered bed is held
    assert entry.admission_id is not None
    return Offer(entry.id, entry.admission_id, bed_id)


def _bed_taken(session: Session, bed_id: uuid.UUID, at: datetime) -> bool:
    return (
        session.scalar(
            select(func.count())
            .select_from(BedOccupancy)
            .where(BedOccupancy.bed_id == bed_id, BedOccupancy.during.overlaps(open_range(at.date())))
        )
        or 0
    ) > 0


def release_offer(session: Session, entry_id: uuid.UUID, bed_id: uuid.UUID) -> WaitlistStatus:
    """The offer lapsed or was declined: the person waits again, in their old place. Returns the
    entry's status afterwards: `placed` when it was accepted meanwhile, `removed` when staff
    took it off the list, else `waiting`."""
    entry = get_entry(session, entry_id)
    if entry.status is WaitlistStatus.OFFERED and entry.offered_bed_id == bed_id:
        entry.status = WaitlistStatus.WAITING
        entry.offered_bed_id = None
        entry.offered_at = None
        entry.offer_expires_at = None
        availability.note_change(session, bed_place(session, bed_id).house_id)
    return entry.status


def reprioritise(session: Session, entry_id: uuid.UUID, priority: Priority, reason: str) -> WaitlistEntry:
    """Move an open entry up or down the queue; the reason joins the entry's notes."""
    entry = get_entry(session, entry_id)
    if entry.status not in OPEN:
        raise Conflict(f"the entry is {entry.status.value}", field="entry_id")
    if entry.priority is not priority:
        entry.priority = priority
        entry.notes = "\n".join(n for n in (entry.notes, f"priority {priority.value}: {reason}") if n)
    return entry


def remove(session: Session, entry_id: uuid.UUID, reason: str, at: datetime) -> WaitlistEntry:
    entry = get_entry(session, entry_id)
    if entry.status is WaitlistStatus.REMOVED:
        return entry
    if entry.status not in OPEN:
        raise Conflict(f"the entry is {entry.status.value}", field="entry_id")
    entry.status = WaitlistStatus.REMOVED
    entry.removed_at = at
    entry.removal_reason = reason
    entry.offered_bed_id = None
    return entry


def open_entry_of(session: Session, admission_id: uuid.UUID) -> WaitlistEntry | None:
    return session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.admission_id == admission_id, WaitlistEntry.status.in_(OPEN)
        )
    )
