"""Applications: the pending admission and the resident it is for (made from an approved lead,
or a former resident's own record on readmission), the lookup of an admission, and the status
history every step of the journey appends to, and the events a stay emits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.admission import Application, DischargeKind, Opened
from core.enums import AdmissionStatus, LeadStatus, ResidentStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.resident_tracking import ResidentStatusHistory
from models.residents import Admission, Lead, Resident
from services.events import emit
from services.housing import get_house

# A resident may start a new application only from these statuses (readmission).
READMITTABLE = {ResidentStatus.DISCHARGED, ResidentStatus.ALUMNI}


def record_status(
    session: Session,
    resident: Resident,
    to: ResidentStatus,
    *,
    admission_id: uuid.UUID | None,
    by: uuid.UUID | None,
    source: str,
    reason: str | None = None,
) -> None:
    """Change a resident's status and append the change to resident_status_history."""
    if resident.status is to:
        return
    session.add(
        ResidentStatusHistory(
            org_id=resident.org_id,
            resident_id=resident.id,
            admission_id=admission_id,
            from_status=resident.status,
            to_status=to,
            changed_by=by,
            source=source,
            reason=reason,
        )
    )
    resident.status = to


def check_application(session: Session, app: Application) -> None:
    """Refuse an application that cannot open, naming the field, before any process starts."""
    if (app.lead_id is None) == (app.resident_id is None):
        raise Rejected("give exactly one of lead_id or resident_id", field="lead_id")
    get_house(session, app.house_id)
    if app.lead_id is not None:
        lead = session.get(Lead, app.lead_id)
        if lead is None:
            raise NotFound("lead not found", field="lead_id")
        if lead.status is LeadStatus.CONVERTED:
            raise Conflict("this lead already has an application; readmit its resident", field="lead_id")
        if lead.status is not LeadStatus.APPROVED:
            raise Rejected(f"the lead is {lead.status.value}, not approved", field="lead_id")
    else:
        assert app.resident_id is not None
        status = session.scalar(select(Resident.status).where(Resident.id == app.resident_id))
        if status is None:
            raise NotFound("resident not found", field="resident_id")
        if status not in READMITTABLE:
            raise Conflict(
                f"the resident is {status.value}; only a former resident is readmitted", field="resident_id"
            )


def open_application(
    session: Session,
    admission_id: uuid.UUID,
    new_resident_id: uuid.UUID,
    app: Application,
    at: datetime,
    *,
    by: uuid.UUID | None,
    source: str,
) -> Opened:
    """The pending admission, and the resident it is for: made from the approved lead, or the
    former resident's own record on readmission. Idempotent on `admission_id`."""
    done = session.get(Admission, admission_id)
    if done is not None:
        return Opened(done.id, done.resident_id, done.house_id, readmission=done.lead_id is None)
    check_application(session, app)
    org_id = session.info["actor"]["org_id"]
    if app.lead_id is not None:
        lead = session.get(Lead, app.lead_id)
        assert lead is not None
        resident = Resident(
            id=new_resident_id,
            org_id=org_id,
            first_name=lead.first_name,
            last_name=lead.last_name or "",
            email=lead.email,
            phone=lead.phone,
            date_of_birth=lead.date_of_birth,
            primary_substance=lead.primary_substance,
            housing_gender=lead.housing_gender,
            status=ResidentStatus.APPLICANT,
        )
        session.add(resident)
        session.flush()
        session.add(
            ResidentStatusHistory(
                org_id=org_id,
                resident_id=resident.id,
                from_status=None,
                to_status=ResidentStatus.APPLICANT,
                changed_by=by,
                source=source,
            )
        )
        lead.status = LeadStatus.CONVERTED
        lead.converted_resident_id = resident.id
        lead.converted_at = at
    else:
        found = session.get(Resident, app.resident_id)
        assert found is not None
        resident = found
    admission = Admission(
        id=admission_id,
        org_id=org_id,
        resident_id=resident.id,
        house_id=app.house_id,
        lead_id=app.lead_id,
        status=AdmissionStatus.PENDING,
        weekly_rate_cents=app.weekly_rate_cents,
        deposit_cents=app.deposit_cents,
        expected_length_days=app.expected_length_days,
        intake_by_user_id=by,
    )
    session.add(admission)
    session.flush()
    record_status(
        session, resident, ResidentStatus.APPLICANT, admission_id=admission_id, by=by, source=source
    )
    return Opened(admission_id, resident.id, app.house_id, readmission=app.lead_id is None)


def get_admission(session: Session, admission_id: uuid.UUID) -> Admission:
    admission = session.get(Admission, admission_id)
    if admission is None:
        raise NotFound("admission not found", field="admission_id")
    return admission


def status_history(session: Session, resident_id: uuid.UUID) -> list[ResidentStatusHistory]:
    return list(
        session.scalars(
            select(ResidentStatusHistory)
            .where(ResidentStatusHistory.resident_id == resident_id)
            .order_by(ResidentStatusHistory.occurred_at)
        )
    )


def stay_event(
    session: Session,
    type_: EventType,
    admission: Admission,
    occurrence: uuid.UUID,
    house_id: uuid.UUID | None,
    **ids: uuid.UUID | DischargeKind | None,
) -> None:
    """A resident's event about their stay: about the resident, naming the admission and the
    house that scopes it; `occurrence` (the admission, transfer or discharge) tells one from
    another."""
    rid = admission.resident_id
    emit(
        session,
        type_,
        rid,
        occurrence=str(occurrence),
        resident_id=rid,
        house_id=house_id,
        admission_id=admission.id,
        **ids,
    )
