"""Vehicles on a house's property: residents' registered cars and the org's house vans, and
the reminder when one's insurance is about to lapse (each house's weekly upkeep check).

The plate, state, VIN and policy number identify a person and are encrypted (the plate with a
blind index, so staff can look a parked car up); make, model, colour and dates are not.
The reminder is a task for the house manager, one per vehicle and expiry date however often
the weekly check runs, plus an event; the check looks 30 days ahead, so the manager hears
at least three weeks before a lapse.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import Priority, TaskStatus
from core.errors import NotFound
from core.events import EventType
from models.operations import Task
from models.operations_extended import Vehicle
from models.orgs import House
from services import events
from services.paging import Page, page

REMIND_DAYS = 30
REMINDER_SOURCE = "vehicle_insurance"
REMINDERS = uuid.UUID("3c7e1f0a-8b52-4d6e-9a04-5f2b7c1d8e63")


@dataclass(frozen=True)
class NewVehicle:
    resident_id: uuid.UUID | None = None
    make: str | None = None
    model: str | None = None
    year: int | None = None
    color: str | None = None
    parking_spot: str | None = None
    license_plate: str | None = None
    license_plate_state: str | None = None
    insurance_policy_number: str | None = None
    insurance_expires_date: date | None = None
    registration_expires_date: date | None = None


def register(session: Session, house_id: uuid.UUID, new: NewVehicle) -> Vehicle:
    """A resident's car (resident_id) or the org's own vehicle (none)."""
    v = Vehicle(
        org_id=session.info["actor"]["org_id"],
        house_id=house_id,
        is_org_owned=new.resident_id is None,
        **vars(new),
    )
    session.add(v)
    session.flush()
    return v


def vehicles(
    session: Session, house_id: uuid.UUID, plate: str | None, limit: int, offset: int
) -> Page[Vehicle]:
    stmt = select(Vehicle).where(Vehicle.house_id == house_id, Vehicle.deleted_at.is_(None))
    if plate is not None:
        stmt = stmt.where(Vehicle.license_plate_bidx == Vehicle.license_plate.lookup("vehicles", plate))
    return page(
        session, stmt.order_by(Vehicle.insurance_expires_date.asc().nulls_last(), Vehicle.id), limit, offset
    )


def reminder_id(vehicle_id: uuid.UUID, expires: date) -> uuid.UUID:
    return uuid.uuid5(REMINDERS, f"{vehicle_id}/{expires.isoformat()}")


def remind_expiring(session: Session, house_id: uuid.UUID, today: date) -> list[uuid.UUID]:
    """A task for the house manager for each active vehicle of the house whose insurance
    expires within 30 days (or has expired) and has no reminder for that date yet. Returns the
    new tasks."""
    rows = session.execute(
        select(Vehicle, House.house_manager_id)
        .outerjoin(House, House.id == Vehicle.house_id)
        .where(
            Vehicle.house_id == house_id,
            Vehicle.deleted_at.is_(None),
            Vehicle.is_active.is_(True),
            Vehicle.insurance_expires_date.is_not(None),
            Vehicle.insurance_expires_date <= today + timedelta(days=REMIND_DAYS),
        )
        .order_by(Vehicle.id)
    ).all()
    made = []
    for v, manager in rows:
        assert v.insurance_expires_date is not None
        tid = reminder_id(v.id, v.insurance_expires_date)
        if session.get(Task, tid) is not None:
            continue
        session.add(
            Task(
                id=tid,
                org_id=v.org_id,
                assigned_to_user_id=manager,
                resident_id=v.resident_id,
                house_id=v.house_id,
                related_entity_type="vehicles",
                related_entity_id=v.id,
                status=TaskStatus.OPEN,
                priority=Priority.HIGH if v.insurance_expires_date <= today else Priority.NORMAL,
                due_at=datetime.combine(v.insurance_expires_date, time(0), UTC),
                source=REMINDER_SOURCE,
                title="Vehicle insurance expires soon",
                description=f"Insurance expires {v.insurance_expires_date.isoformat()}: ask for the renewal.",
            )
        )
        session.flush()
        events.emit(
            session,
            EventType.VEHICLE_INSURANCE_EXPIRING,
            v.id,
            occurrence=v.insurance_expires_date.isoformat(),
            resident_id=v.resident_id,
            house_id=v.house_id,
        )
        made.append(tid)
    return made


def reminders(session: Session, house_id: uuid.UUID, limit: int, offset: int) -> Page[Task]:
    stmt = select(Task).where(
        Task.house_id == house_id, Task.source == REMINDER_SOURCE, Task.deleted_at.is_(None)
    )
    return page(session, stmt.order_by(Task.due_at, Task.id), limit, offset)


def get_vehicle(session: Session, house_id: uuid.UUID, vehicle_id: uuid.UUID) -> Vehicle:
    v = session.get(Vehicle, vehicle_id)
    if v is None or v.deleted_at is not None or v.house_id != house_id:
        raise NotFound("vehicle not found", field="vehicle_id")
    return v
