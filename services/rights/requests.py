"""An access request's record, written by the AccessRequest workflow's activities. Each step is
idempotent (a step already taken is left alone), audited (ids only) and emitted as an event."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.contracts.rights import ACCESS_DAYS, AMEND_DAYS, Amendment, Clock, Denial
from core.enums import AuditAction, DataAccessRequestType, RequestStatus
from core.errors import NotFound
from core.events import EventType
from models.compliance_extended import DataAccessRequest
from models.residents import Resident
from services.events import emit

ENTITY = "data_access_request"


def get_request(session: Session, request_id: uuid.UUID) -> DataAccessRequest:
    req = session.get(DataAccessRequest, request_id)
    if req is None or req.deleted_at is not None:
        raise NotFound(f"no access request {request_id}", field="request_id")
    return req


def check_resident(session: Session, resident_id: uuid.UUID) -> None:
    r = session.get(Resident, resident_id)
    if r is None or r.deleted_at is not None:
        raise NotFound(f"no resident {resident_id}", field="resident_id")


def record(
    session: Session,
    request_id: uuid.UUID,
    resident_id: uuid.UUID,
    details: str | None,
    user_id: uuid.UUID | None,
    at: datetime,
    amendment: Amendment | None = None,
) -> None:
    """A request received: for access (30 days) or, with `amendment`, to amend (60 days)."""
    if session.get(DataAccessRequest, request_id) is not None:
        return
    check_resident(session, resident_id)
    kind = DataAccessRequestType.AMENDMENT if amendment else DataAccessRequestType.ACCESS
    req = DataAccessRequest(
        id=request_id,
        org_id=session.info["actor"]["org_id"],
        request_type=kind,
        resident_id=resident_id,
        received_by_user_id=user_id,
        requested_at=at,
        due_at=Clock(at, days=AMEND_DAYS if amendment else ACCESS_DAYS).first_due_at,
        status=RequestStatus.RECEIVED,
        details=details,
    )
    if amendment is not None:
        req.amendment_field = amendment.field
        req.amendment_value = amendment.value
        req.notify_addresses = list(amendment.notify)
    session.add(req)
    session.flush()
    audit.record(session, AuditAction.CREATE, ENTITY, request_id, {"step": "received"})
    event = EventType.AMENDMENT_REQUESTED if amendment else EventType.ACCESS_REQUESTED
    emit(session, event, request_id, resident_id=resident_id)


def _event(req: DataAccessRequest, access: EventType, amendment: EventType) -> EventType:
    return amendment if req.request_type is DataAccessRequestType.AMENDMENT else access


def extend(session: Session, request_id: uuid.UUID, reason: str, due_at: datetime, at: datetime) -> None:
    """The one extension of an access or amendment request, with its written reason."""
    req = get_request(session, request_id)
    if req.extended_due_at is not None:
        return
    req.extended_due_at = due_at
    req.extension_reason = reason
    req.extension_notified_at = at
    req.status = RequestStatus.IN_PROGRESS
    audit.record(session, AuditAction.UPDATE, ENTITY, request_id, {"step": "extended"})
    event = _event(req, EventType.ACCESS_REQUEST_EXTENDED, EventType.AMENDMENT_EXTENDED)
    emit(session, event, request_id, resident_id=req.resident_id)


def fulfilled(
    session: Session,
    request_id: uuid.UUID,
    json_sha: bytes,
    pdf_sha: bytes,
    link_expires_at: datetime,
    at: datetime,
) -> None:
    req = get_request(session, request_id)
    if req.status is RequestStatus.FULFILLED:
        return
    req.export_json_sha256, req.export_pdf_sha256 = json_sha, pdf_sha
    req.link_expires_at = link_expires_at
    req.fulfilled_at = at
    req.status = RequestStatus.FULFILLED
    audit.record(session, AuditAction.EXPORT, ENTITY, request_id, {"step": "fulfilled"})
    emit(session, EventType.ACCESS_REQUEST_FULFILLED, request_id, resident_id=req.resident_id)


def denied(session: Session, request_id: uuid.UUID, denial: Denial, letter_sha: bytes, at: datetime) -> None:
    req = get_request(session, request_id)
    if req.status is RequestStatus.DENIED:
        return
    req.denial_reason = denial.explanation
    req.denial_ground = denial.ground.value
    req.denial_reviewable = denial.ground.reviewable
    req.letter_sha256 = letter_sha
    req.fulfilled_at = None
    req.status = RequestStatus.DENIED
    audit.record(
        session, AuditAction.UPDATE, ENTITY, request_id, {"step": "denied", "ground": denial.ground.value}
    )
    emit(
        session,
        EventType.ACCESS_REQUEST_DENIED,
        request_id,
        resident_id=req.resident_id,
        ground=denial.ground,
    )


def overdue(session: Session, request_id: uuid.UUID) -> None:
    req = get_request(session, request_id)
    audit.record(session, AuditAction.EXECUTE, ENTITY, request_id, {"step": "overdue"})
    event = _event(req, EventType.ACCESS_REQUEST_OVERDUE, EventType.AMENDMENT_OVERDUE)
    emit(session, event, request_id, resident_id=req.resident_id)


def downloaded(session: Session, request_id: uuid.UUID, resident_id: uuid.UUID, kind: str) -> bytes:
    """The recorded digest of one of a fulfilled request's files; the download is audited."""
    req = get_request(session, request_id)
    digest = req.export_json_sha256 if kind == "json" else req.export_pdf_sha256
    if req.resident_id != resident_id or digest is None or req.status is not RequestStatus.FULFILLED:
        raise NotFound("no records behind this link", field="token")
    audit.record(session, AuditAction.EXPORT, ENTITY, request_id, {"step": "downloaded", "file": kind})
    return digest


def denial_letter(session: Session, request_id: uuid.UUID) -> bytes:
    req = get_request(session, request_id)
    if req.letter_sha256 is None:
        raise NotFound("this request has not been denied", field="request_id")
    audit.record(session, AuditAction.EXPORT, ENTITY, request_id, {"file": "denial_letter"})
    return req.letter_sha256


def requests_of(session: Session, resident_id: uuid.UUID) -> list[DataAccessRequest]:
    return list(
        session.scalars(
            select(DataAccessRequest)
            .where(DataAccessRequest.resident_id == resident_id, DataAccessRequest.deleted_at.is_(None))
            .order_by(DataAccessRequest.requested_at)
        )
    )
