"""An amendment request's record (45 CFR 164.526), written by the AmendmentRequest workflow's
activities: accepted (the resident's field changed where the request names one, the amendment
kept with the record either way, the people the resident named told), or denied with its
grounds, and the resident's statement of disagreement kept with the record, where every later
export of the resident's records includes it (the export reads this row). Each step idempotent,
audited and emitted."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from core import audit
from core.contracts.rights import AMENDABLE_FIELDS, AmendmentDenial
from core.enums import AuditAction, RequestStatus
from core.errors import Conflict
from core.events import EventType
from models.residents import Resident
from services.events import emit
from services.rights.requests import ENTITY, get_request


def accept(session: Session, request_id: uuid.UUID, at: datetime) -> list[str]:
    """Make the amendment; returns the addresses still to be told (none on a retry that already
    told them)."""
    req = get_request(session, request_id)
    if req.status is not RequestStatus.FULFILLED:
        if req.amendment_field is not None:
            if req.amendment_field not in AMENDABLE_FIELDS:
                raise Conflict(f"{req.amendment_field} cannot be amended in place", field="field")
            resident = session.get(Resident, req.resident_id)
            assert resident is not None
            setattr(resident, req.amendment_field, req.amendment_value)
        req.status = RequestStatus.FULFILLED
        req.fulfilled_at = at
        audit.record(session, AuditAction.UPDATE, ENTITY, request_id, {"step": "amended"})
        emit(session, EventType.AMENDMENT_ACCEPTED, request_id, resident_id=req.resident_id)
    return [] if req.notified_at is not None else list(req.notify_addresses or [])


def notified(session: Session, request_id: uuid.UUID, at: datetime) -> None:
    req = get_request(session, request_id)
    if req.notified_at is None:
        req.notified_at = at
        audit.record(session, AuditAction.EXECUTE, ENTITY, request_id, {"step": "people_told"})


def denied(session: Session, request_id: uuid.UUID, denial: AmendmentDenial, letter_sha: bytes) -> None:
    req = get_request(session, request_id)
    if req.status is RequestStatus.DENIED:
        return
    req.denial_reason = denial.explanation
    req.denial_ground = denial.ground.value
    req.letter_sha256 = letter_sha
    req.status = RequestStatus.DENIED
    audit.record(
        session, AuditAction.UPDATE, ENTITY, request_id, {"step": "denied", "ground": denial.ground.value}
    )
    emit(session, EventType.AMENDMENT_DENIED, request_id, resident_id=req.resident_id, ground=denial.ground)


def disagree(session: Session, request_id: uuid.UUID, statement: str, at: datetime) -> None:
    req = get_request(session, request_id)
    if req.disagreement_at is not None:
        return
    req.disagreement = statement
    req.disagreement_at = at
    audit.record(session, AuditAction.UPDATE, ENTITY, request_id, {"step": "disagreement"})
    emit(session, EventType.AMENDMENT_DISAGREEMENT, request_id, resident_id=req.resident_id)
