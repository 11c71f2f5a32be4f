"""Curfew: the configuration per house and phase (days in residence), each resident's check-in
for a night (optional location, encrypted), the night's close that finds who is missing, and
what a resident's emergency contact is told when they do not come back.

Times in `curfew_configs` are local to the organisation's zone; a check-in before noon belongs
to the previous evening. A resident out on a pass that covers the curfew is excused."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.contracts.safety import Due
from core.enums import AdmissionStatus, CheckInStatus, MessageChannel, PassStatus, ResidentStatus
from core.errors import NotFound, Rejected
from core.events import EventType
from core.wording import neutral, part2_words_in
from models.operations import CurfewConfig, Pass
from models.operations_extended import CurfewCheckIn
from models.orgs import House
from models.residents import Admission, Resident, ResidentContact
from services import events, residents
from services.org_time import org_zone
from services.paging import Page, matching, page

NOON = time(12, 0)
FALLBACK_PLACE = "the residence"


def night_of(at: datetime, zone: ZoneInfo) -> date:
    """The evening a check-in belongs to: 00:30 on Sunday counts for Saturday night."""
    local = at.astimezone(zone)
    return local.date() - timedelta(days=1) if local.time() < NOON else local.date()


def config_for(session: Session, resident: Resident, night: date) -> CurfewConfig | None:
    """The house's own configuration for the resident's phase, else the org default's."""
    if resident.current_house_id is None:
        return None
    # A move-in dated by UTC may be a day "after" the local evening: still phase one.
    days_in = max((night - resident.move_in_date).days, 0) if resident.move_in_date else 0
    stmt = (
        select(CurfewConfig)
        .where(
            CurfewConfig.is_active,
            or_(CurfewConfig.house_id == resident.current_house_id, CurfewConfig.house_id.is_(None)),
            CurfewConfig.effective_from_date <= night,
            or_(CurfewConfig.effective_until_date.is_(None), CurfewConfig.effective_until_date >= night),
            CurfewConfig.min_days_in_residence <= days_in,
        )
        .order_by(
            CurfewConfig.house_id.is_(None),  # the house's own first
            CurfewConfig.min_days_in_residence.desc(),
            CurfewConfig.effective_from_date.desc(),
        )
    )
    return session.scalars(stmt.limit(1)).first()


def due_at(config: CurfewConfig, night: date, zone: ZoneInfo) -> datetime:
    """Curfew for the evening of `night` (Friday and Saturday are weekend nights); a time before
    noon is after midnight."""
    at = config.weekend_curfew if night.weekday() in (4, 5) else config.weeknight_curfew
    day = night + timedelta(days=1) if at < NOON else night
    return datetime.combine(day, at, tzinfo=zone)


def plan_night(session: Session, night: date) -> list[Due]:
    """Every resident living in a house tonight and when they are due in."""
    zone = org_zone(session)
    out = []
    living = select(Resident).where(
        Resident.status == ResidentStatus.ACTIVE, Resident.current_house_id.is_not(None)
    )
    for r in session.scalars(living.order_by(Resident.id)):
        config = config_for(session, r, night)
        if config is None or r.current_house_id is None:
            continue
        due = due_at(config, night, zone)
        out.append(
            Due(r.id, r.current_house_id, due, due + timedelta(minutes=config.grace_minutes), config.id)
        )
    return out


def record_check_in(
    session: Session,
    resident_id: uuid.UUID,
    at: datetime,
    method: str | None,
    location: dict[str, float] | None,
    by: uuid.UUID | None,
) -> CurfewCheckIn:
    """A resident is in: on time, or late (a night already closed as missed becomes late)."""
    resident = residents.get_resident(session, resident_id)
    if resident.current_house_id is None:
        raise Rejected("the resident does not live in a house now", field="resident_id")
    zone = org_zone(session)
    night = night_of(at, zone)
    config = config_for(session, resident, night)
    if config is None:
        raise Rejected("no curfew is configured for this resident's house", field="resident_id")
    due = due_at(config, night, zone)
    late = at > due + timedelta(minutes=config.grace_minutes)
    row = _night(session, resident_id, night)
    if row is None:
        row = CurfewCheckIn(
            id=uuid.uuid4(),
            org_id=resident.org_id,
            resident_id=resident_id,
            house_id=resident.current_house_id,
            curfew_config_id=config.id,
            curfew_date=night,
            due_at=due,
        )
        session.add(row)
    elif row.checked_in_at is not None:
        return row
    row.checked_in_at, row.method, row.verified_by_user_id = at, method, by
    row.status = CheckInStatus.LATE if late else CheckInStatus.ON_TIME
    row.location = location
    session.flush()
    return row


def _night(session: Session, resident_id: uuid.UUID, night: date) -> CurfewCheckIn | None:
    stmt = select(CurfewCheckIn).where(
        CurfewCheckIn.resident_id == resident_id, CurfewCheckIn.curfew_date == night
    )
    return session.scalars(stmt).first()


def close(session: Session, due: Due, night: date) -> uuid.UUID | None:
    """At the close of a resident's curfew: nothing when they checked in; excused when out on a
    pass covering it; else a missed check-in, whose id is returned (once: a retried close finds
    the row it wrote and returns None)."""
    if _night(session, due.resident_id, night) is not None:
        return None
    on_pass = session.scalars(
        select(Pass).where(
            Pass.resident_id == due.resident_id,
            Pass.status.in_((PassStatus.APPROVED, PassStatus.ACTIVE)),
            Pass.departs_at <= due.due_at,
            Pass.returns_at >= due.due_at,
        )
    ).first()
    row = CurfewCheckIn(
        id=uuid.uuid5(due.resident_id, f"curfew/{night.isoformat()}"),
        org_id=session.info["actor"]["org_id"],
        resident_id=due.resident_id,
        house_id=due.house_id,
        curfew_config_id=due.config_id,
        curfew_date=night,
        due_at=due.due_at,
        status=CheckInStatus.EXCUSED if on_pass else CheckInStatus.MISSED,
        pass_id=on_pass.id if on_pass else None,
    )
    session.add(row)
    session.flush()
    if on_pass:
        return None
    events.emit(
        session,
        EventType.CURFEW_MISSED,
        row.id,
        resident_id=due.resident_id,
        house_id=due.house_id,
        curfew_date=(night - date(1970, 1, 1)).days,
    )
    return row.id


def link_incident(session: Session, check_in_id: uuid.UUID, incident_id: uuid.UUID) -> None:
    row = session.get(CurfewCheckIn, check_in_id)
    if row is not None:
        row.incident_id = incident_id


def checked_in_since(session: Session, resident_id: uuid.UUID, since: datetime) -> bool:
    """Whether the resident has been seen back (a curfew check-in) since `since`."""
    stmt = select(CurfewCheckIn.id).where(
        CurfewCheckIn.resident_id == resident_id, CurfewCheckIn.checked_in_at >= since
    )
    return session.scalars(stmt.limit(1)).first() is not None


def active_admission(session: Session, resident_id: uuid.UUID) -> uuid.UUID | None:
    """The admission whose journey discharges a resident who does not come back."""
    stmt = select(Admission.id).where(
        Admission.resident_id == resident_id, Admission.status == AdmissionStatus.ACTIVE
    )
    return session.scalars(stmt.limit(1)).first()


# --- the emergency contact -------------------------------------------------------------------


@dataclass(frozen=True)
class ContactMessage:
    channel: MessageChannel
    to: str
    subject: str
    body: str


SUBJECT = "Please get in touch"


def contact_messages(session: Session, resident_id: uuid.UUID, house_id: uuid.UUID) -> list[ContactMessage]:
    """What each emergency contact is told, by the method the resident consented to for them
    (PA Act 35 of 2021). It says only that the person has not come back where they live: no
    word of what kind of place that is (core/wording.py), nothing of why."""
    resident = residents.get_resident(session, resident_id)
    house = session.get(House, house_id)
    place = neutral(house.name if house else None, FALLBACK_PLACE)
    phone = house.phone if house is not None and house.phone else None
    name = resident.preferred_name or resident.first_name
    body = f"{name} has not come back to {place} as expected."
    body += (
        f" If you know where they are, please call {phone}."
        if phone
        else " Please call us if you know where they are."
    )
    assert not part2_words_in(body), "contact wording must say nothing of treatment"
    stmt = select(ResidentContact).where(
        ResidentContact.resident_id == resident_id,
        ResidentContact.is_emergency_contact,
        ResidentContact.notify_method.in_((MessageChannel.EMAIL, MessageChannel.SMS)),
    )
    out = []
    for c in session.scalars(stmt.order_by(ResidentContact.is_primary.desc(), ResidentContact.id)):
        to = c.email if c.notify_method is MessageChannel.EMAIL else c.phone
        if to:
            assert c.notify_method is not None
            out.append(ContactMessage(c.notify_method, to, SUBJECT, body))
    return out


def contact_notified(
    session: Session, resident_id: uuid.UUID, house_id: uuid.UUID, incident_id: uuid.UUID, channels: list[str]
) -> None:
    for channel in channels:
        events.emit(
            session,
            EventType.EMERGENCY_CONTACT_NOTIFIED,
            resident_id,
            occurrence=f"{incident_id}/{channel}",
            resident_id=resident_id,
            house_id=house_id,
            channel=MessageChannel(channel),
            incident_id=incident_id,
        )


# --- configuration and lists -----------------------------------------------------------------


def get_config(session: Session, config_id: uuid.UUID) -> CurfewConfig:
    c = session.get(CurfewConfig, config_id)
    if c is None:
        raise NotFound("curfew configuration not found", field="config_id")
    return c


@dataclass(frozen=True)
class NewConfig:
    house_id: uuid.UUID | None
    name: str
    min_days_in_residence: int
    weeknight_curfew: time
    weekend_curfew: time
    grace_minutes: int
    effective_from_date: date
    effective_until_date: date | None = None


def add_config(session: Session, new: NewConfig) -> CurfewConfig:
    if new.effective_until_date is not None and new.effective_until_date < new.effective_from_date:
        raise Rejected("effective_until_date is before effective_from_date", field="effective_until_date")
    c = CurfewConfig(id=uuid.uuid4(), org_id=session.info["actor"]["org_id"], is_active=True, **new.__dict__)
    session.add(c)
    session.flush()
    return c


def list_configs(session: Session, house_id: uuid.UUID | None, limit: int, offset: int) -> Page[CurfewConfig]:
    stmt = select(CurfewConfig)
    if house_id is not None:
        stmt = stmt.where(or_(CurfewConfig.house_id == house_id, CurfewConfig.house_id.is_(None)))
    return page(session, stmt.order_by(CurfewConfig.min_days_in_residence, CurfewConfig.id), limit, offset)


@dataclass(frozen=True)
class CheckInFilter:
    house_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    status: CheckInStatus | None = None
    curfew_date: date | None = None


def list_check_ins(session: Session, f: CheckInFilter, limit: int, offset: int) -> Page[CurfewCheckIn]:
    stmt = matching(
        select(CurfewCheckIn),
        (CurfewCheckIn.house_id, f.house_id),
        (CurfewCheckIn.resident_id, f.resident_id),
        (CurfewCheckIn.status, f.status),
        (CurfewCheckIn.curfew_date, f.curfew_date),
    )
    return page(session, stmt.order_by(CurfewCheckIn.curfew_date.desc(), CurfewCheckIn.id), limit, offset)
