"""Discharge: an active stay ends on a day; the bed is free from then, the resident is
discharged, and any transfer of the stay still to come is cancelled. Idempotent on the
discharge id the workflow chose."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import localtime
from core.contracts.admission import Discharged, DischargeKind
from core.enums import AdmissionStatus, DischargeReason, ResidentStatus
from core.errors import Conflict, Rejected
from core.events import EventType
from models.resident_tracking import BedOccupancy, BedTransfer, Discharge
from models.residents import Admission, Resident
from services import availability
from services.admission.applications import get_admission, record_status, stay_event
from services.admission.beds import day_start, end_hold


def discharge(
    session: Session,
    discharge_id: uuid.UUID,
    admission_id: uuid.UUID,
    kind: DischargeKind,
    reason: DischargeReason,
    on: date,
    at: datetime,
    details: str | None,
    *,
    by: uuid.UUID | None,
    source: str,
    zone: str = localtime.UTC_NAME,
) -> Discharged:
    """End an active stay on `on`: the bed is free from that day, the resident discharged, and
    any future transfer of this stay cancelled. Idempotent on `discharge_id`. Days are the
    org's (`zone`)."""
    admission = get_admission(session, admission_id)
    done = session.get(Discharge, discharge_id)
    if done is not None:
        return _discharged(done, admission)
    if admission.status is not AdmissionStatus.ACTIVE or admission.bed_id is None:
        raise Conflict("there is no active residency to discharge", field="admission_id")
    assert admission.admitted_at is not None
    if on < localtime.local_day(admission.admitted_at, zone):
        raise Rejected("date is before the move-in", field="date")
    resident = session.get(Resident, admission.resident_id)
    assert resident is not None
    for hold in session.scalars(
        select(BedOccupancy).where(BedOccupancy.admission_id == admission.id).with_for_update()
    ):
        if hold.during.isempty:
            continue  # a stay that never began (a transfer on its first day) holds nothing
        if hold.during.upper is None or hold.during.upper > on:
            end_hold(hold, on)
    for pending in session.scalars(
        select(BedTransfer).where(
            BedTransfer.admission_id == admission.id,
            BedTransfer.completed_at.is_(None),
            BedTransfer.cancelled_at.is_(None),
        )
    ):
        pending.cancelled_at = at
    bed_id, house_id = admission.bed_id, admission.house_id
    row = Discharge(
        id=discharge_id,
        org_id=admission.org_id,
        resident_id=resident.id,
        admission_id=admission.id,
        house_id=house_id,
        bed_id=bed_id,
        # The day it took effect; the moment, when that day is today.
        discharged_at=at if on == localtime.local_day(at, zone) else day_start(on),
        reason=reason,
        kind=kind.value,
        is_planned=kind is DischargeKind.PLANNED,
        discharged_by_user_id=by,
        reason_details=details,
    )
    session.add(row)
    admission.status = AdmissionStatus.COMPLETED
    admission.ended_at = max(at, admission.admitted_at)
    resident.current_bed_id = None
    resident.current_house_id = None
    resident.move_out_date = on
    record_status(
        session,
        resident,
        ResidentStatus.DISCHARGED,
        admission_id=admission.id,
        by=by,
        source=source,
        reason=kind.value,
    )
    session.flush()
    stay_event(
        session,
        EventType.RESIDENT_DISCHARGED,
        admission,
        discharge_id,
        house_id,
        discharge_id=discharge_id,
        kind=kind,
    )
    availability.note_change(session, house_id)
    return _discharged(row, admission)


def _discharged(row: Discharge, admission: Admission) -> Discharged:
    assert row.bed_id is not None and admission.resident_id is not None
    return Discharged(
        discharge_id=row.id,
        admission_id=admission.id,
        resident_id=admission.resident_id,
        bed_id=row.bed_id,
        house_id=row.house_id,
        discharged_on=row.discharged_at.date(),
        weekly_rate_cents=admission.weekly_rate_cents,
        deposit_cents=admission.deposit_cents,
    )
