"""Maintenance requests: a house's repairs with their status and who is assigned.

A request is shareable with a vendor, so its title and description say what is broken, never
who broke it: anything about a resident goes in the encrypted `internal_notes`. Status moves
forward only (reported → scheduled → in progress → resolved → closed; scheduling may be
skipped), and each change is an event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import MaintenanceStatus, Priority
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.operations_extended import MaintenanceRequest
from models.orgs import Room
from models.users import User
from services import events
from services.paging import Page, page

ORDER = [
    MaintenanceStatus.REPORTED,
    MaintenanceStatus.SCHEDULED,
    MaintenanceStatus.IN_PROGRESS,
    MaintenanceStatus.RESOLVED,
    MaintenanceStatus.CLOSED,
]


@dataclass(frozen=True)
class NewRequest:
    category: str
    title: str
    description: str | None = None
    priority: Priority = Priority.NORMAL
    room_id: uuid.UUID | None = None
    entry_permitted: bool = False
    internal_notes: str | None = None


def report(
    session: Session, house_id: uuid.UUID, new: NewRequest, by: uuid.UUID | None, at: datetime
) -> MaintenanceRequest:
    if new.room_id is not None:
        room = session.get(Room, new.room_id)
        if room is None or room.house_id != house_id or room.deleted_at is not None:
            raise NotFound("room not found in this house", field="room_id")
    r = MaintenanceRequest(
        org_id=session.info["actor"]["org_id"],
        house_id=house_id,
        reported_by_user_id=by,
        reported_at=at,
        status=MaintenanceStatus.REPORTED,
        **vars(new),
    )
    session.add(r)
    session.flush()
    events.emit(session, EventType.MAINTENANCE_REPORTED, r.id, house_id=house_id, priority=r.priority)
    return r


def requests(
    session: Session, house_id: uuid.UUID, status: MaintenanceStatus | None, limit: int, offset: int
) -> Page[MaintenanceRequest]:
    stmt = select(MaintenanceRequest).where(
        MaintenanceRequest.house_id == house_id, MaintenanceRequest.deleted_at.is_(None)
    )
    if status is not None:
        stmt = stmt.where(MaintenanceRequest.status == status)
    return page(
        session, stmt.order_by(MaintenanceRequest.reported_at.desc(), MaintenanceRequest.id), limit, offset
    )


def get_request(session: Session, house_id: uuid.UUID, request_id: uuid.UUID) -> MaintenanceRequest:
    r = session.get(MaintenanceRequest, request_id)
    if r is None or r.deleted_at is not None or r.house_id != house_id:
        raise NotFound("maintenance request not found", field="maintenance_id")
    return r


@dataclass(frozen=True)
class Assignment:
    assigned_to_user_id: uuid.UUID | None = None
    vendor_name: str | None = None
    scheduled_for: datetime | None = None
    estimated_cost_cents: int | None = None


def assign(session: Session, house_id: uuid.UUID, request_id: uuid.UUID, a: Assignment) -> MaintenanceRequest:
    """Who does it (a staff user, a vendor) and when; a reported request becomes scheduled."""
    r = get_request(session, house_id, request_id)
    if r.status in (MaintenanceStatus.RESOLVED, MaintenanceStatus.CLOSED):
        raise Conflict(f"the request is already {r.status.value}", field="status")
    if a.assigned_to_user_id is not None:
        u = session.get(User, a.assigned_to_user_id)
        if u is None or u.deleted_at is not None:
            raise NotFound("user not found", field="assigned_to_user_id")
    r.assigned_to_user_id = a.assigned_to_user_id
    r.vendor_name = a.vendor_name
    r.scheduled_for = a.scheduled_for
    r.estimated_cost_cents = a.estimated_cost_cents
    if r.status is MaintenanceStatus.REPORTED:
        _move(session, r, MaintenanceStatus.SCHEDULED)
    session.flush()
    return r


def _move(session: Session, r: MaintenanceRequest, to: MaintenanceStatus) -> None:
    r.status = to
    events.emit(
        session,
        EventType.MAINTENANCE_STATUS_CHANGED,
        r.id,
        occurrence=to.value,
        house_id=r.house_id,
        status=to,
    )


def set_status(
    session: Session,
    house_id: uuid.UUID,
    request_id: uuid.UUID,
    to: MaintenanceStatus,
    at: datetime,
    actual_cost_cents: int | None = None,
) -> MaintenanceRequest:
    """Forward only; the same status again changes nothing."""
    r = get_request(session, house_id, request_id)
    if r.status is to:
        return r
    if ORDER.index(to) < ORDER.index(r.status):
        raise Conflict(f"the request is already {r.status.value}", field="status")
    if to is MaintenanceStatus.RESOLVED or (to is MaintenanceStatus.CLOSED and r.resolved_at is None):
        if at < r.reported_at:
            raise Rejected("resolved before it was reported", field="status")
        r.resolved_at = at
    if actual_cost_cents is not None:
        r.actual_cost_cents = actual_cost_cents
    _move(session, r, to)
    session.flush()
    return r
