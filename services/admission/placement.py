"""Placement: a pending admission gets its bed, moving in now or reserving it until the
move-in day, which then comes (`move_in`). Idempotent on the occupancy id the workflow
chose."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import localtime
from core.contracts.admission import Placed
from core.enums import AdmissionStatus, ResidentStatus, WaitlistStatus
from core.errors import Conflict, Rejected
from core.events import EventType
from models.resident_tracking import BedOccupancy, WaitlistEntry
from models.residents import Admission, Resident
from services import availability
from services.admission.applications import get_admission, record_status, stay_event
from services.admission.beds import check_house_rule, hold_bed
from services.housing import bed_place


def _move_in(session: Session, admission: Admission, at: datetime, by: uuid.UUID | None, source: str) -> None:
    resident = session.get(Resident, admission.resident_id)
    assert resident is not None and admission.bed_id is not None
    admission.status = AdmissionStatus.ACTIVE
    admission.admitted_at = at
    resident.current_bed_id = admission.bed_id
    resident.current_house_id = admission.house_id
    resident.move_in_date = admission.scheduled_move_in_date
    resident.move_out_date = None
    record_status(session, resident, ResidentStatus.ACTIVE, admission_id=admission.id, by=by, source=source)
    stay_event(
        session,
        EventType.RESIDENT_ADMITTED,
        admission,
        admission.id,
        admission.house_id,
        bed_id=admission.bed_id,
    )


def place(
    session: Session,
    occupancy_id: uuid.UUID,
    admission_id: uuid.UUID,
    bed_id: uuid.UUID,
    move_in: date,
    at: datetime,
    *,
    by: uuid.UUID | None,
    source: str,
    zone: str = localtime.UTC_NAME,
) -> Placed:
    """Give a pending admission its bed from `move_in`: moved in now when that day has come,
    reserved until then otherwise. Idempotent on `occupancy_id`. Days are the org's (`zone`):
    the operator's today is never in the past."""
    admission = get_admission(session, admission_id)
    if session.get(BedOccupancy, occupancy_id) is not None:
        assert admission.bed_id is not None and admission.scheduled_move_in_date is not None
        return Placed(
            admission.id,
            admission.bed_id,
            admission.house_id,
            admission.scheduled_move_in_date,
            admission.status is AdmissionStatus.ACTIVE,
        )
    if admission.status is not AdmissionStatus.PENDING or admission.bed_id is not None:
        raise Conflict("this admission already has a bed", field="admission_id")
    today = localtime.local_day(at, zone)
    if move_in < today:
        raise Rejected("move_in_date is in the past", field="move_in_date")
    place_ = bed_place(session, bed_id)
    check_house_rule(session, admission, place_, "bed_id")
    hold_bed(session, occupancy_id, place_, admission, move_in)
    admission.bed_id = place_.bed_id
    admission.house_id = place_.house_id
    admission.scheduled_move_in_date = move_in
    resident = session.get(Resident, admission.resident_id)
    assert resident is not None
    for entry in session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.admission_id == admission.id,
            WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)),
        )
    ):
        entry.status = WaitlistStatus.PLACED
        entry.placed_at = at
    active = move_in <= today
    session.flush()
    if active:
        _move_in(session, admission, at, by, source)
    else:
        record_status(
            session, resident, ResidentStatus.ADMITTED, admission_id=admission.id, by=by, source=source
        )
    availability.note_change(session, place_.house_id)
    return Placed(admission.id, place_.bed_id, place_.house_id, move_in, active)


def move_in(
    session: Session, admission_id: uuid.UUID, at: datetime, *, by: uuid.UUID | None, source: str
) -> None:
    """A reservation's day has come. Idempotent: an active admission is left as it is."""
    admission = get_admission(session, admission_id)
    if admission.status is AdmissionStatus.PENDING and admission.bed_id is not None:
        _move_in(session, admission, at, by, source)
