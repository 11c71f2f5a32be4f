"""The evidence trail: every signing event, and the data a certificate of completion shows.

Every event lands in `signature_events` (append-only) with the signer, time, IP, user agent and
the document's evidence hash before and after: the first version's content hash chained with
each signature, so only a signature changes it.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.signing import Evidence
from core.enums import DocumentStatus, SignatureStatus
from models.documents import Document, Signature
from models.documents_extended import SignatureEvent
from services.documents import get_document, sha256, version


def evidence_hash(session: Session, doc: Document) -> bytes:
    """The first version's content hash chained with every signature so far, in order."""
    state = version(session, doc.id, 1).content_sha256
    signed = session.scalars(
        select(Signature)
        .where(Signature.document_id == doc.id, Signature.status == SignatureStatus.SIGNED)
        .order_by(Signature.signing_order)
    )
    for sig in signed:
        state = sha256(state + _signature_record(sig))
    return state


def _signature_record(sig: Signature) -> bytes:
    assert sig.signed_at is not None
    mark = sig.typed_signature or sig.signature_image or ""
    return f"{sig.id}|{sig.signer_role}|{sig.signed_at.isoformat()}|{sha256(mark).hex()}".encode()


def record_event(
    session: Session,
    doc: Document,
    event: str,
    key: str,
    at: datetime,
    *,
    sig: Signature | None = None,
    evidence: Evidence | None = None,
    actor_user_id: uuid.UUID | None = None,
    before: bytes | None = None,
) -> None:
    """Write the event once (its key is unique per org)."""
    key = f"{doc.id}:{key}"
    if session.scalar(select(SignatureEvent.id).where(SignatureEvent.event_key == key)) is not None:
        return
    after = evidence_hash(session, doc)
    session.add(
        SignatureEvent(
            org_id=doc.org_id,
            document_id=doc.id,
            signature_id=sig.id if sig else None,
            event=event,
            occurred_at=at,
            actor_user_id=actor_user_id,
            signer_role=sig.signer_role if sig else None,
            ip_address=evidence.ip if evidence else None,
            user_agent=(evidence.user_agent or "")[:500] or None if evidence else None,
            sha256_before=before or after,
            sha256_after=after,
            event_key=key,
        )
    )
    session.flush()


@dataclass(frozen=True)
class EventLine:
    at: datetime
    event: str
    signer: str
    role: str
    ip: str
    user_agent: str
    sha256_before: str
    sha256_after: str


@dataclass(frozen=True)
class SignerLine:
    name: str
    role: str
    status: str
    signed_at: datetime | None
    typed: str | None
    drawn_png: bytes | None


@dataclass(frozen=True)
class Trail:
    """Everything a certificate of completion shows."""

    document_id: uuid.UUID
    title: str
    content: str
    original_sha256: str
    status: DocumentStatus
    signers: list[SignerLine]
    events: list[EventLine]
    signed_sha256: str | None
    completed_at: datetime | None


def trail(session: Session, document_id: uuid.UUID) -> Trail:
    doc = get_document(session, document_id)
    sigs = list(
        session.scalars(
            select(Signature).where(Signature.document_id == doc.id).order_by(Signature.signing_order)
        )
    )
    names = {s.id: s.signer_name or "" for s in sigs}
    events = session.scalars(
        select(SignatureEvent)
        .where(SignatureEvent.document_id == doc.id)
        .order_by(SignatureEvent.occurred_at, SignatureEvent.id)
    )
    signed_sha = None
    if doc.status is DocumentStatus.SIGNED and doc.content_sha256 is not None:
        signed_sha = doc.content_sha256.hex()
    v1 = version(session, doc.id, 1)
    return Trail(
        doc.id,
        doc.title,
        v1.content or "",
        v1.content_sha256.hex(),
        doc.status,
        [
            SignerLine(
                s.signer_name or "",
                s.signer_role,
                s.status.value,
                s.signed_at,
                s.typed_signature,
                _png_of(s.signature_image),
            )
            for s in sigs
        ],
        [
            EventLine(
                e.occurred_at,
                e.event,
                names.get(e.signature_id, "") if e.signature_id else "",
                e.signer_role or "",
                e.ip_address or "",
                e.user_agent or "",
                e.sha256_before.hex(),
                e.sha256_after.hex(),
            )
            for e in events
        ],
        signed_sha,
        doc.completed_at,
    )


def _png_of(data_url: str | None) -> bytes | None:
    if not data_url:
        return None
    return base64.b64decode(data_url.split(",", 1)[1])
