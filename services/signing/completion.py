"""How a signature request ends: expired or voided (`close`), declined (`closed`, announced by
the signer's decline), or signed by everyone (`finalize`: the signed PDF and certificate, the
final version)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import DocumentStatus, SignatureStatus
from core.errors import Conflict, NotFound
from core.events import EventType
from models.documents import Document, Signature
from services.documents import version
from services.events import emit
from services.signing.links import OPEN, OPEN_DOCUMENT
from services.signing.trail import evidence_hash, record_event


def close(
    session: Session,
    document_id: uuid.UUID,
    outcome: DocumentStatus,
    at: datetime,
    actor_user_id: uuid.UUID | None,
) -> None:
    """Expire or void a request: open signatures expire, the document takes the outcome."""
    doc = session.get(Document, document_id, with_for_update=True)
    if doc is None:
        raise NotFound("document not found", field="document_id")
    event = {DocumentStatus.EXPIRED: "expired", DocumentStatus.VOIDED: "voided"}[outcome]
    if doc.status in OPEN_DOCUMENT:
        for sig in session.scalars(
            select(Signature).where(Signature.document_id == doc.id, Signature.status.in_(OPEN))
        ):
            sig.status = SignatureStatus.EXPIRED
        doc.status = outcome
        closed(session, doc, outcome)
    record_event(session, doc, event, event, at, actor_user_id=actor_user_id)


def closed(session: Session, doc: Document, outcome: DocumentStatus | SignatureStatus) -> None:
    """Ended unsigned: expired, voided, or declined by a signer."""
    emit(
        session,
        EventType.SIGNATURE_REQUEST_CLOSED,
        doc.id,
        resident_id=doc.resident_id,
        outcome=outcome,
    )


def finalize(
    session: Session,
    document_id: uuid.UUID,
    bucket: str,
    signed_pdf: bytes,
    certificate_pdf: bytes,
    at: datetime,
) -> None:
    """The completed document: its signed PDF and certificate as files, a new immutable
    version, status signed with the PDF's hash (after which the database freezes it)."""
    from services.documents import append_version, file_id, record_file, retention_policy, retention_until

    doc = session.get(Document, document_id, with_for_update=True)
    if doc is None:
        raise NotFound("document not found", field="document_id")
    if doc.status is DocumentStatus.SIGNED:
        return
    if doc.status not in OPEN_DOCUMENT:
        raise Conflict(f"the document is {doc.status.value}", field="document_id")
    pdf = record_file(
        session,
        file_id(doc.id, "signed"),
        bucket,
        signed_pdf,
        "application/pdf",
        f"{doc.title} (signed).pdf",
        doc.resident_id,
        None,
        doc.is_part2,
    )
    record_file(
        session,
        file_id(doc.id, "certificate"),
        bucket,
        certificate_pdf,
        "application/pdf",
        f"{doc.title} (certificate of completion).pdf",
        doc.resident_id,
        None,
        doc.is_part2,
    )
    before = evidence_hash(session, doc)
    v = append_version(
        session, doc, version(session, doc.id, 1).content or "", pdf.id, "signed by all signers", None
    )
    doc.current_version = v.version_no
    doc.file_upload_id = pdf.id
    doc.content_sha256 = pdf.sha256
    doc.completed_at = at
    doc.status = DocumentStatus.SIGNED
    until = retention_until(retention_policy(session, doc.document_type), "signed", at.date())
    doc.retention_until_date = until or doc.retention_until_date
    session.flush()
    record_event(session, doc, "completed", "completed", at, before=before)
    emit(session, EventType.DOCUMENT_SIGNED, doc.id, resident_id=doc.resident_id)
