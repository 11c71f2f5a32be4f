"""E-signature: signing links, the signer's steps, and the evidence trail.

A signing link's token is `<payload>.<mac>`: the payload names the org, document, signature and
expiry in the clear (ids only), the MAC is a keyed HMAC, so a tampered token is refused without
a lookup. Only the token's SHA-256 is stored; a token is usable while its signature is pending
or viewed, so it works once: signing or declining ends it. The token is derived from the row's
expiry, so re-sending a link (a reminder) sends the same link.

Every event lands in `signature_events` (append-only) with the signer, time, IP, user agent and
the document's evidence hash before and after: the first version's content hash chained with
each signature, so only a signature changes it.
"""

from __future__ import annotations

import base64
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import get_settings
from core.contracts.signing import Evidence, Link, SignerSpec
from core.enums import DocumentStatus, SignatureStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from core.fieldcrypt import blind_digest
from models.documents import Document, Signature
from models.documents_extended import SignatureEvent
from models.residents import Resident
from models.users import User
from services.documents import StoredFile, file_id, get_document, sha256, stored_file, version
from services.events import emit

OPEN = (SignatureStatus.PENDING, SignatureStatus.VIEWED)
OPEN_DOCUMENT = (DocumentStatus.PENDING_SIGNATURE, DocumentStatus.PARTIALLY_SIGNED)
_TOKEN = re.compile(r"^([0-9a-f]{32})([0-9a-f]{32})([0-9a-f]{32})([0-9a-f]{10})\.([A-Za-z0-9_-]{22})$")
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


def _signature(session: Session, sid: uuid.UUID, lock: bool = False) -> tuple[Signature, Document]:
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
    sig, doc = _signature(session, sid, lock=True)
    if sig.status not in OPEN or doc.status not in OPEN_DOCUMENT:
        return None
    token = make_token(doc.org_id, doc.id, sig.id, expires_at)
    if sig.signing_token_hash is None:
        sig.signing_token_hash = token_hash(token)
        sig.token_expires_at = expires_at
    event = "sent" if kind == "invitation" else "reminded"
    key = f"{sid}:sent" if kind == "invitation" else f"{sid}:reminded:{n}"
    record_event(session, doc, event, key, at, sig=sig, actor_user_id=actor_user_id)
    return make_token(doc.org_id, doc.id, sig.id, _expiry(sig))


def _expiry(sig: Signature) -> datetime:
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
    return sig.id, sig.signer_role, link_url(make_token(doc.org_id, doc.id, sig.id, _expiry(sig)))


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
        sig, doc = _signature(session, claims.signature_id, lock)
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
        sig, doc = _signature(session, claims.signature_id)
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
        _expiry(sig),
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
    _closed(session, doc, SignatureStatus.DECLINED)


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
        _closed(session, doc, outcome)
    record_event(session, doc, event, event, at, actor_user_id=actor_user_id)


def _closed(session: Session, doc: Document, outcome: DocumentStatus | SignatureStatus) -> None:
    """Ended unsigned: expired, voided, or declined by a signer."""
    emit(
        session,
        EventType.SIGNATURE_REQUEST_CLOSED,
        doc.id,
        resident_id=doc.resident_id,
        outcome=outcome,
    )


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
