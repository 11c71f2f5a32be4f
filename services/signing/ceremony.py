"""The signer's steps behind their link: what the signing page shows, viewing, consenting to
electronic records, signing or declining, and the signed copy they keep."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.signing import Evidence, Link
from core.enums import DocumentStatus, SignatureStatus
from core.errors import Conflict, NotFound, Rejected
from models.documents import Document, Signature
from services.documents import StoredFile, file_id, stored_file, version
from services.signing.completion import closed
from services.signing.links import OPEN, OPEN_DOCUMENT, LinkError, get_signature, token_expiry
from services.signing.trail import evidence_hash, record_event

MAX_DRAWN_BYTES = 300_000
PNG = b"\x89PNG\r\n\x1a\n"

# ESIGN Act §101(c)(1): what a consumer must be told before consenting to electronic records.
ESIGN_DISCLOSURES: tuple[str, ...] = (
    "You may choose to receive this document on paper instead of electronically. Ask the house "
    "manager for a paper copy; there is no fee.",
    "Your consent applies only to this document and the signing of it.",
    "You may withdraw your consent at any time before you sign by choosing Decline or by telling "
    "staff; withdrawing has no fee and does not affect anything already signed.",
    "To update your contact details or get a paper copy after signing, ask staff or write to the "
    "residence; paper copies are free.",
    "To view, sign and keep this document you need a device with a current web browser and the "
    "ability to download or print a PDF. If these requirements change we will tell you and you "
    "may withdraw consent without fee.",
    "By consenting you confirm that you can open this page, which shows that you can access "
    "information in the electronic form we use.",
)


@dataclass(frozen=True)
class SigningPage:
    """What the signer's page shows. PHI (their name and the document): rendered, never logged."""

    title: str
    content: str
    content_sha256: str
    signer_name: str
    signer_role: str
    viewed: bool
    consented: bool
    expires_at: datetime


def _open(session: Session, claims: Link, lock: bool = False) -> tuple[Signature, Document]:
    try:
        sig, doc = get_signature(session, claims.signature_id, lock)
    except NotFound:
        raise LinkError("invalid", "this signing link is not valid") from None
    if sig.document_id != claims.document_id or sig.signing_token_hash != bytes.fromhex(claims.digest):
        raise LinkError("invalid", "this signing link is not valid")
    if sig.status in (SignatureStatus.SIGNED, SignatureStatus.DECLINED):
        raise LinkError("used", f"this signing link has already been used ({sig.status.value})")
    if doc.status is DocumentStatus.EXPIRED:
        raise LinkError("expired", "this signing request has expired")
    if doc.status not in OPEN_DOCUMENT or sig.status not in OPEN:
        raise LinkError("closed", f"this signing request is {doc.status.value}")
    return sig, doc


def signed_copy(session: Session, claims: Link) -> tuple[str, StoredFile] | None:
    """The signed PDF a signer may download from their own link once the document is signed
    (None before that, or for a signer who declined): the resident keeps their papers."""
    try:
        sig, doc = get_signature(session, claims.signature_id)
    except NotFound:
        raise LinkError("invalid", "this signing link is not valid") from None
    if sig.document_id != claims.document_id or sig.signing_token_hash != bytes.fromhex(claims.digest):
        raise LinkError("invalid", "this signing link is not valid")
    if sig.status is not SignatureStatus.SIGNED or doc.status is not DocumentStatus.SIGNED:
        return None
    return doc.title, stored_file(session, file_id(doc.id, "signed"), "signed PDF")


def signing_page(session: Session, claims: Link) -> SigningPage:
    sig, doc = _open(session, claims)
    v1 = version(session, doc.id, 1)
    return SigningPage(
        doc.title,
        v1.content or "",
        v1.content_sha256.hex(),
        sig.signer_name or "",
        sig.signer_role,
        sig.viewed_at is not None,
        sig.esign_consent_at is not None,
        token_expiry(sig),
    )


def record_view(session: Session, claims: Link, ev: Evidence, at: datetime) -> None:
    sig, doc = _open(session, claims, lock=True)
    if sig.viewed_at is None:
        sig.viewed_at = at
        sig.status = SignatureStatus.VIEWED
        record_event(session, doc, "viewed", f"{sig.id}:viewed", at, sig=sig, evidence=ev)


def record_consent(session: Session, claims: Link, ev: Evidence, at: datetime) -> None:
    sig, doc = _open(session, claims, lock=True)
    if sig.esign_consent_at is None:
        sig.viewed_at = sig.viewed_at or at
        sig.status = SignatureStatus.VIEWED
        sig.esign_consent_at = at
        record_event(session, doc, "consented", f"{sig.id}:consented", at, sig=sig, evidence=ev)


def record_signature(
    session: Session,
    claims: Link,
    typed: str | None,
    drawn_b64: str | None,
    ev: Evidence,
    at: datetime,
) -> bool:
    """Sign once; True when this was the last signer. `drawn_b64`: a PNG, base64."""
    if (typed is None) == (drawn_b64 is None):
        raise Rejected("adopt either a typed or a drawn signature", field="signature")
    try:
        drawn_png = base64.b64decode(drawn_b64, validate=True) if drawn_b64 is not None else None
    except ValueError:
        raise Rejected("the drawn signature is not base64", field="drawn_signature") from None
    if typed is not None and not typed.strip():
        raise Rejected("type your full name to sign", field="typed_signature")
    if drawn_png is not None and (not drawn_png.startswith(PNG) or len(drawn_png) > MAX_DRAWN_BYTES):
        raise Rejected("the drawn signature must be a PNG under 300 kB", field="drawn_signature")
    sig, doc = _open(session, claims, lock=True)
    if sig.esign_consent_at is None:
        raise Rejected("consent to electronic records before signing", field="consent")
    earlier = session.scalar(
        select(Signature.id).where(
            Signature.document_id == doc.id,
            Signature.signing_order < sig.signing_order,
            Signature.status != SignatureStatus.SIGNED,
        )
    )
    if earlier is not None:
        raise Conflict("an earlier signer has not signed yet", field="signature")
    before = evidence_hash(session, doc)
    sig.typed_signature = typed
    sig.signature_image = f"data:image/png;base64,{drawn_b64}" if drawn_b64 else None
    sig.ip_address = ev.ip
    sig.user_agent = (ev.user_agent or "")[:500] or None
    sig.signed_at = at
    sig.signed_content_sha256 = version(session, doc.id, 1).content_sha256
    sig.status = SignatureStatus.SIGNED
    session.flush()
    record_event(session, doc, "signed", f"{sig.id}:signed", at, sig=sig, evidence=ev, before=before)
    remaining = session.scalar(
        select(Signature.id).where(
            Signature.document_id == doc.id, Signature.status != SignatureStatus.SIGNED
        )
    )
    doc.status = DocumentStatus.PARTIALLY_SIGNED if remaining else doc.status
    return remaining is None


def record_decline(session: Session, claims: Link, reason: str | None, ev: Evidence, at: datetime) -> None:
    sig, doc = _open(session, claims, lock=True)
    sig.status = SignatureStatus.DECLINED
    sig.declined_at = at
    sig.decline_reason = reason
    sig.ip_address = ev.ip
    sig.user_agent = (ev.user_agent or "")[:500] or None
    doc.status = DocumentStatus.VOIDED
    record_event(session, doc, "declined", f"{sig.id}:declined", at, sig=sig, evidence=ev)
    closed(session, doc, SignatureStatus.DECLINED)
