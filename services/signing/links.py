"""Signers and their links: one signature row per signer, the link's token, and the link sent,
reminded or handed over.

A signing link's token is `<payload>.<mac>`: the payload names the org, document, signature and
expiry in the clear (ids only), the MAC is a keyed HMAC, so a tampered token is refused without
a lookup. Only the token's SHA-256 is stored; a token is usable while its signature is pending
or viewed, so it works once: signing or declining ends it. The token is derived from the row's
expiry, so re-sending a link (a reminder) sends the same link.
"""

from __future__ import annotations

import base64
import hmac
import re
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import get_settings
from core.contracts.signing import Link, SignerSpec
from core.enums import DocumentStatus, SignatureStatus
from core.errors import Conflict, NotFound, Rejected
from core.fieldcrypt import blind_digest
from models.documents import Document, Signature
from models.residents import Resident
from models.users import User
from services.documents import get_document, sha256
from services.signing.trail import record_event

OPEN = (SignatureStatus.PENDING, SignatureStatus.VIEWED)
OPEN_DOCUMENT = (DocumentStatus.PENDING_SIGNATURE, DocumentStatus.PARTIALLY_SIGNED)
_TOKEN = re.compile(r"^([0-9a-f]{32})([0-9a-f]{32})([0-9a-f]{32})([0-9a-f]{10})\.([A-Za-z0-9_-]{22})$")


class LinkError(Conflict):
    """Why a link cannot be used; `reason` ("invalid", "expired", "used", "closed") picks the
    page the signer sees and travels in the error's details across the workflow boundary."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, field="link", reason=reason)
        self.reason = reason


def _mac(payload: str) -> str:
    digest = blind_digest("signing-link", payload)[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(
    org_id: uuid.UUID, document_id: uuid.UUID, signature_id: uuid.UUID, expires_at: datetime
) -> str:
    payload = f"{org_id.hex}{document_id.hex}{signature_id.hex}{int(expires_at.timestamp()):010x}"
    return f"{payload}.{_mac(payload)}"


def token_hash(token: str) -> bytes:
    return sha256(token)


def read_token(token: str, now: datetime) -> Link:
    """The token's claims, if its MAC holds and it has not expired."""
    m = _TOKEN.match(token)
    if m is None or not hmac.compare_digest(_mac(token.split(".", 1)[0]), m.group(5)):
        raise LinkError("invalid", "this signing link is not valid")
    claims = Link(
        uuid.UUID(m.group(1)),
        uuid.UUID(m.group(2)),
        uuid.UUID(m.group(3)),
        datetime.fromtimestamp(int(m.group(4), 16), UTC),
        token_hash(token).hex(),
    )
    if claims.expires_at <= now:
        raise LinkError("expired", "this signing link has expired")
    return claims


def link_url(token: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/sign/{token}"


def signature_id(document_id: uuid.UUID, order: int) -> uuid.UUID:
    return uuid.uuid5(document_id, f"signer:{order}")


def prepare(
    session: Session, document_id: uuid.UUID, signers: list[SignerSpec], created_by: uuid.UUID | None
) -> list[uuid.UUID]:
    """One signature row per signer, in order; the document becomes pending. Idempotent."""
    doc = session.get(Document, document_id, with_for_update=True)
    if doc is None or doc.deleted_at is not None:
        raise NotFound("document not found", field="document_id")
    ids = [signature_id(document_id, n) for n in range(1, len(signers) + 1)]
    if doc.status is not DocumentStatus.DRAFT:
        if session.get(Signature, ids[0]) is not None:
            return ids
        raise Conflict(f"the document is {doc.status.value}, not a draft", field="document_id")
    for n, (sid, spec) in enumerate(zip(ids, signers, strict=True), start=1):
        name, email = _signer_identity(session, spec)
        session.add(
            Signature(
                id=sid,
                org_id=doc.org_id,
                document_id=doc.id,
                signer_user_id=spec.user_id,
                signer_resident_id=spec.resident_id,
                signer_role=spec.role,
                signer_name=name,
                signer_email=email,
                signing_order=n,
                created_by=created_by,
            )
        )
    doc.status = DocumentStatus.PENDING_SIGNATURE
    session.flush()
    return ids


def _signer_identity(session: Session, spec: SignerSpec) -> tuple[str, str | None]:
    if spec.resident_id is not None:
        r = session.get(Resident, spec.resident_id)
        if r is None:
            raise NotFound("resident not found", field="signers")
        return f"{r.first_name} {r.last_name}", r.email
    if spec.user_id is not None:
        u = session.get(User, spec.user_id)
        if u is None:
            raise NotFound("signer user not found", field="signers")
        return f"{u.first_name} {u.last_name}", u.email
    raise Rejected("each signer needs a resident_id or a user_id", field="signers")


def get_signature(session: Session, sid: uuid.UUID, lock: bool = False) -> tuple[Signature, Document]:
    """A signature and its document, both locked when `lock`."""
    sig = session.get(Signature, sid, with_for_update=lock)
    if sig is None:
        raise NotFound("signature not found", field="signature_id")
    doc = session.get(Document, sig.document_id, with_for_update=lock)
    assert doc is not None
    return sig, doc


def issue_link(
    session: Session,
    sid: uuid.UUID,
    expires_at: datetime,
    kind: str,
    n: int,
    at: datetime,
    actor_user_id: uuid.UUID | None,
) -> str | None:
    """The signer's link, set up on first call and recorded as sent (kind "invitation") or
    reminded; None when the signer is no longer pending (nothing to send)."""
    sig, doc = get_signature(session, sid, lock=True)
    if sig.status not in OPEN or doc.status not in OPEN_DOCUMENT:
        return None
    token = make_token(doc.org_id, doc.id, sig.id, expires_at)
    if sig.signing_token_hash is None:
        sig.signing_token_hash = token_hash(token)
        sig.token_expires_at = expires_at
    event = "sent" if kind == "invitation" else "reminded"
    key = f"{sid}:sent" if kind == "invitation" else f"{sid}:reminded:{n}"
    record_event(session, doc, event, key, at, sig=sig, actor_user_id=actor_user_id)
    return make_token(doc.org_id, doc.id, sig.id, token_expiry(sig))


def token_expiry(sig: Signature) -> datetime:
    """When the signer's link stops working (the expiry its token is made from)."""
    assert sig.token_expires_at is not None
    return sig.token_expires_at.astimezone(UTC)


def current_link(session: Session, document_id: uuid.UUID) -> tuple[uuid.UUID, str, str]:
    """For staff to hand over: (signature id, role, link) of the signer whose turn it is."""
    doc = get_document(session, document_id)
    if doc.status not in OPEN_DOCUMENT:
        raise Conflict(f"the document is {doc.status.value}: no signer is waiting", field="document_id")
    sig = session.scalar(
        select(Signature)
        .where(
            Signature.document_id == document_id,
            Signature.status.in_(OPEN),
            Signature.signing_token_hash.is_not(None),
        )
        .order_by(Signature.signing_order)
        .limit(1)
    )
    if sig is None:
        raise Conflict("the signing link is being prepared; retry shortly", field="document_id")
    return sig.id, sig.signer_role, link_url(make_token(doc.org_id, doc.id, sig.id, token_expiry(sig)))
