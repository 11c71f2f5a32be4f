"""Transfers: an active resident moves to another bed from a day on; the old stay ends that
day and the new one begins, the move completing now or when that day comes. Idempotent on the
transfer id the workflow chose."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import localtime
from core.contracts.admission import Transferred
from core.enums import AdmissionStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.resident_tracking import BedOccupancy, BedTransfer
from models.residents import Resident
from services import availability
from services.admission.applications import get_admission, stay_event
from services.admission.beds import check_house_rule, day_start, end_hold, hold_bed
from services.housing import bed_place


def _current_hold(session: Session, admission_id: uuid.UUID) -> BedOccupancy:
    hold = session.scalar(
        select(BedOccupancy)
        .where(BedOccupancy.admission_id == admission_id, func.upper_inf(BedOccupancy.during))
        .with_for_update()
    )
    if hold is None:
        raise Conflict("this admission holds no bed", field="admission_id")
    return hold


def transfer(
    session: Session,
    transfer_id: uuid.UUID,
    occupancy_id: uuid.UUID,
    admission_id: uuid.UUID,
    to_bed_id: uuid.UUID,
    effective: date,
    at: datetime,
    reason: str | None,
    *,
    by: uuid.UUID | None,
    zone: str = localtime.UTC_NAME,
) -> Transferred:
    """Move an active resident to another bed from `effective` on: the old stay ends that day,
    the new one begins; the move completes now or on that day. Idempotent on `transfer_id`."""
    done = session.get(BedTransfer, transfer_id)
    if done is not None:
        return Transferred(
            done.id, done.from_bed_id, done.to_bed_id, done.effective_at.date(), done.completed_at is not None
        )
    admission = get_admission(session, admission_id)
    if admission.status is not AdmissionStatus.ACTIVE or admission.bed_id is None:
        raise Conflict("only an active resident is transferred", field="admission_id")
    today = localtime.local_day(at, zone)  # the org's today (core/localtime.py)
    if effective < today:
        raise Rejected("effective_date is in the past", field="effective_date")
    if to_bed_id == admission.bed_id:
        raise Rejected("the resident is already in that bed", field="to_bed_id")
    target = bed_place(session, to_bed_id, "to_bed_id")
    check_house_rule(session, admission, target, "to_bed_id")
    hold = _current_hold(session, admission.id)
    from_bed, from_house = admission.bed_id, admission.house_id
    end_hold(hold, effective)
    session.flush()
    hold_bed(session, occupancy_id, target, admission, effective)
    row = BedTransfer(
        id=transfer_id,
        org_id=admission.org_id,
        resident_id=admission.resident_id,
        admission_id=admission.id,
        from_bed_id=from_bed,
        to_bed_id=target.bed_id,
        from_house_id=from_house,
        to_house_id=target.house_id,
        effective_at=day_start(effective),
        requested_by_user_id=by,
        reason=reason,
    )
    session.add(row)
    session.flush()
    availability.note_change(session, from_house, target.house_id)
    completed = effective <= today
    if completed:
        complete_transfer(session, transfer_id, at)
    return Transferred(transfer_id, from_bed, target.bed_id, effective, completed)


def complete_transfer(session: Session, transfer_id: uuid.UUID, at: datetime) -> None:
    row = session.get(BedTransfer, transfer_id)
    if row is None:
        raise NotFound("transfer not found", field="transfer_id")
    if row.completed_at is not None or row.cancelled_at is not None:
        return
    admission = get_admission(session, row.admission_id)
    resident = session.get(Resident, row.resident_id)
    assert resident is not None
    row.completed_at = at
    admission.bed_id = row.to_bed_id
    admission.house_id = row.to_house_id
    # Clear first: the old and new current beds are both unique among residents.
    resident.current_bed_id = None
    session.flush()
    resident.current_bed_id = row.to_bed_id
    resident.current_house_id = row.to_house_id
    stay_event(
        session,
        EventType.RESIDENT_TRANSFERRED,
        admission,
        row.id,
        row.to_house_id,
        transfer_id=row.id,
        bed_id=row.to_bed_id,
    )
