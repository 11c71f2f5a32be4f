"""Consents as the lifecycle keeps them: the §2.31 elements checked (each missing one refused by
name), the consent stored with its form, then signed (active), expired, revoked in writing, or
left unsigned. Only the consent lifecycle's activities call the writes; routes read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.consent import (
    TPO_PURPOSES,
    TPO_RECIPIENTS,
    ConsentKind,
    ConsentTerms,
    ExpiryEvent,
    InformationClass,
    Purpose,
    RecipientKind,
    RevocationMethod,
    Stored,
)
from core.enums import ConsentStatus, ConsentType, DocumentType, SignatureStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from core.notify import Email
from core.permissions import Perm
from models.compliance import Consent
from models.documents import Document, Signature
from models.orgs import Organization
from models.residents import Resident
from services import residents
from services.consent import forms
from services.documents import Rendered, create_rendered
from services.events import emit
from services.users import staff_addresses

# The pre-2024 category the consents table still carries, from the consent's first purpose.
_LEGACY_TYPE: dict[Purpose, ConsentType] = {
    Purpose.TREATMENT: ConsentType.TREATMENT,
    Purpose.CARE_COORDINATION: ConsentType.TREATMENT,
    Purpose.PAYMENT: ConsentType.PAYMENT,
    Purpose.HEALTH_CARE_OPERATIONS: ConsentType.HEALTHCARE_OPERATIONS,
    Purpose.FAMILY_INVOLVEMENT: ConsentType.FAMILY,
    Purpose.CRIMINAL_JUSTICE_SUPERVISION: ConsentType.COURT,
    Purpose.LEGAL_PROCEEDINGS: ConsentType.COURT,
    Purpose.EMPLOYMENT: ConsentType.EMPLOYER,
    Purpose.RESEARCH: ConsentType.RESEARCH,
}
ENDED = (ConsentStatus.EXPIRED, ConsentStatus.REVOKED, ConsentStatus.UNSIGNED)


def check_terms(t: ConsentTerms, now: datetime) -> None:
    """Refuse, naming the field, a consent that lacks a §2.31 element or mixes what the 2024
    rule keeps apart. Runs in the API before anything is stored or started."""
    if not t.discloser.strip():
        raise Rejected("name who may use or disclose the records (§2.31(a)(2))", field="discloser")
    if not t.information_classes:
        raise Rejected("say which kinds of information may be disclosed", field="information_classes")
    if not t.information_description.strip():
        raise Rejected(
            "describe the information in a specific and meaningful way", field="information_description"
        )
    if not t.purposes:
        raise Rejected("name the purpose of the disclosure (§2.31(a)(5))", field="purposes")
    _check_recipients(t)
    _check_kind(t)
    _check_expiry(t, now)
    if not 0 <= t.remind_days_before <= 365:
        raise Rejected("between 0 and 365 days", field="remind_days_before")


def _check_recipients(t: ConsentTerms) -> None:
    if t.recipient_kind is RecipientKind.CLASS:
        if not t.recipient_classes:
            raise Rejected("name at least one class of recipients", field="recipient_classes")
        return
    if not t.recipient_name.strip():
        raise Rejected("name the recipient (a person, an entity or the intermediary)", field="recipient_name")
    if t.recipient_classes:
        raise Rejected("only a consent to a class of recipients lists classes", field="recipient_classes")
    if t.recipient_kind is RecipientKind.INTERMEDIARY and not (
        t.treating_providers_only or (t.intermediary_participants or "").strip()
    ):
        raise Rejected(
            "an intermediary consent names its participants or limits them to those with a"
            " treating-provider relationship (§2.31(a)(4)(ii))",
            field="intermediary_participants",
        )


def _check_kind(t: ConsentTerms) -> None:
    notes = InformationClass.COUNSELING_NOTES in t.information_classes
    legal = Purpose.LEGAL_PROCEEDINGS in t.purposes
    if t.kind is ConsentKind.COUNSELING_NOTES:
        if set(t.information_classes) != {InformationClass.COUNSELING_NOTES}:
            raise Rejected(
                "a counseling-notes consent covers counseling notes only", field="information_classes"
            )
        if t.condition_of_admission:
            raise Rejected(
                "a counseling-notes consent can never be a condition of admission",
                field="condition_of_admission",
            )
    elif notes:
        raise Rejected("counseling notes need a consent of their own", field="information_classes")
    if t.kind is ConsentKind.LEGAL_PROCEEDINGS:
        if set(t.purposes) != {Purpose.LEGAL_PROCEEDINGS}:
            raise Rejected("a legal-proceedings consent is for that proceeding only", field="purposes")
    elif legal:
        raise Rejected("use in legal proceedings needs a separate consent", field="purposes")
    if t.kind is ConsentKind.TPO:
        if not set(t.purposes) <= TPO_PURPOSES:
            raise Rejected(
                "a TPO consent is for treatment, payment and health care operations", field="purposes"
            )
        if t.recipient_kind is RecipientKind.CLASS and not set(t.recipient_classes) <= TPO_RECIPIENTS:
            raise Rejected(
                "a TPO consent's classes are treating providers, health plans, third-party payers"
                " and people helping to operate this program",
                field="recipient_classes",
            )
        if not (t.refusal_consequences or "").strip():
            raise Rejected(
                "a TPO consent states the consequences of refusing to sign", field="refusal_consequences"
            )


def _check_expiry(t: ConsentTerms, now: datetime) -> None:
    if t.expires_at is None and t.expiry_event is None:
        raise Rejected("give an expiry date or an expiry event (§2.31(a)(7))", field="expires_at")
    if t.expires_at is not None and t.expires_at <= now:
        raise Rejected("the expiry date is in the past", field="expires_at")
    if t.expiry_event is ExpiryEvent.NONE and t.kind is not ConsentKind.TPO:
        raise Rejected('"none" is an expiry for a TPO consent only', field="expiry_event")
    if t.expiry_event is ExpiryEvent.CONDITION and not (t.expiry_condition or "").strip():
        raise Rejected("describe the condition that ends the consent", field="expiry_condition")


def document_id_of(consent_id: uuid.UUID) -> uuid.UUID:
    """The consent form's document id, so a retried store finds the first one."""
    return uuid.uuid5(consent_id, "form")


def revocation_document_id(consent_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(consent_id, "revocation")


def store(
    session: Session,
    consent_id: uuid.UUID,
    resident_id: uuid.UUID,
    t: ConsentTerms,
    on: date,
    by: uuid.UUID | None,
) -> Stored:
    """The pending consent and its form (a draft document), once: a retry returns the first."""
    c = session.get(Consent, consent_id)
    if c is None:
        resident = residents.get_resident(session, resident_id)
        c = Consent(
            id=consent_id,
            org_id=resident.org_id,
            resident_id=resident_id,
            consent_type=_LEGACY_TYPE.get(t.purposes[0], ConsentType.OTHER),
            kind=t.kind,
            status=ConsentStatus.PENDING,
            form_version=forms.FORM_VERSIONS[t.kind],
            discloser=t.discloser,
            recipient_kind=t.recipient_kind,
            recipient_name=t.recipient_name or forms.recipients_in_words(_fields(session, t, resident)),
            recipient_organization=t.recipient_organization,
            recipient_is_entity=t.recipient_kind is not RecipientKind.NAMED or bool(t.recipient_organization),
            recipient_classes=[c.value for c in t.recipient_classes],
            intermediary_participants=t.intermediary_participants,
            treating_providers_only=t.treating_providers_only,
            information_classes=[c.value for c in t.information_classes],
            information_scope=t.information_description,
            purposes=[p.value for p in t.purposes],
            purpose=t.purpose_description,
            expires_at=t.expires_at,
            expiry_event=t.expiry_event,
            expiration_event=t.expiry_condition,
            refusal_consequences=t.refusal_consequences,
            condition_of_admission=t.condition_of_admission,
            remind_days_before=t.remind_days_before,
            effective_date=on,
            document_id=document_id_of(consent_id),
            created_by=by,
        )
        title, text = forms.render(_fields(session, t, resident))
        create_rendered(
            session,
            Rendered(document_id_of(consent_id), resident_id, DocumentType.CONSENT_FORM, title, text),
            on,
            by,
        )
        session.add(c)
        session.flush()
    return stored(c)


def stored(c: Consent) -> Stored:
    return Stored(
        c.id, c.resident_id, c.document_id, c.expires_at, c.expiry_event, c.remind_days_before, c.status
    )


def adopt(session: Session, consent_id: uuid.UUID) -> Stored:
    """A consent recorded before lifecycles ran, as it stands, for a lifecycle to watch."""
    return stored(get_consent(session, consent_id))


def _fields(session: Session, t: ConsentTerms, resident: Resident) -> forms.FormFields:
    org = session.get(Organization, resident.org_id)
    return forms.FormFields(
        kind=t.kind,
        org_name=org.name if org else "",
        resident_name=f"{resident.first_name} {resident.last_name}".strip(),
        discloser=t.discloser,
        recipient_kind=t.recipient_kind,
        recipient_name=t.recipient_name,
        recipient_organization=t.recipient_organization,
        recipient_classes=list(t.recipient_classes),
        intermediary_participants=t.intermediary_participants,
        treating_providers_only=t.treating_providers_only,
        information_classes=list(t.information_classes),
        information_description=t.information_description,
        purposes=list(t.purposes),
        purpose_description=t.purpose_description,
        expires_at=t.expires_at,
        expiry_event=t.expiry_event,
        expiry_condition=t.expiry_condition,
        refusal_consequences=t.refusal_consequences,
        condition_of_admission=t.condition_of_admission,
    )


def active_consent(session: Session, consent_id: uuid.UUID) -> Consent:
    """409 unless the consent is active: only an active consent is revoked or ends."""
    c = get_consent(session, consent_id)
    if c.status is not ConsentStatus.ACTIVE:
        raise Conflict(f"the consent is {c.status.value}, not active", field="consent_id")
    return c


def get_consent(session: Session, consent_id: uuid.UUID, *, lock: bool = False) -> Consent:
    c = session.get(Consent, consent_id, with_for_update=lock)
    if c is None or c.deleted_at is not None:
        raise NotFound("consent not found", field="consent_id")
    return c


def resident_consents(session: Session, resident_id: uuid.UUID) -> list[Consent]:
    return list(
        session.scalars(
            select(Consent)
            .where(Consent.resident_id == resident_id, Consent.deleted_at.is_(None))
            .order_by(Consent.created_at.desc(), Consent.id)
        )
    )


def _signature_of(session: Session, document_id: uuid.UUID) -> Signature | None:
    return session.scalar(
        select(Signature)
        .where(Signature.document_id == document_id, Signature.status == SignatureStatus.SIGNED)
        .order_by(Signature.signed_at.desc())
        .limit(1)
    )


def activate(session: Session, consent_id: uuid.UUID, at: datetime) -> ConsentStatus:
    """Signed: active from the signature's time. Idempotent."""
    c = get_consent(session, consent_id, lock=True)
    if c.status is not ConsentStatus.PENDING:
        return c.status
    assert c.document_id is not None
    sig = _signature_of(session, c.document_id)
    c.status = ConsentStatus.ACTIVE
    c.signature_id = sig.id if sig else None
    c.signed_at = sig.signed_at if sig and sig.signed_at else at
    emit(session, EventType.CONSENT_SIGNED, c.id, resident_id=c.resident_id, kind=c.kind)
    return c.status


def left_unsigned(session: Session, consent_id: uuid.UUID) -> ConsentStatus:
    c = get_consent(session, consent_id, lock=True)
    if c.status is ConsentStatus.PENDING:
        c.status = ConsentStatus.UNSIGNED
    return c.status


def expire(
    session: Session, consent_id: uuid.UUID, at: datetime, because: ExpiryEvent | None
) -> ConsentStatus:
    """The date came or the event happened. A consent already ended stays as it ended."""
    c = get_consent(session, consent_id, lock=True)
    if c.status is not ConsentStatus.ACTIVE:
        return c.status
    c.status = ConsentStatus.EXPIRED
    c.expired_at = at
    emit(
        session,
        EventType.CONSENT_EXPIRED,
        c.id,
        resident_id=c.resident_id,
        because=because,
    )
    return c.status


@dataclass(frozen=True)
class Revocation:
    user_id: uuid.UUID | None
    method: RevocationMethod
    at: datetime
    file_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None
    reason: str | None = None


def revoke(session: Session, consent_id: uuid.UUID, r: Revocation) -> ConsentStatus:
    """In writing, effective at once; disclosures already made in reliance stay recorded."""
    c = get_consent(session, consent_id, lock=True)
    if c.status is ConsentStatus.REVOKED:
        return c.status
    if c.status is not ConsentStatus.ACTIVE:
        raise Conflict(f"the consent is {c.status.value}, not active", field="consent_id")
    c.status = ConsentStatus.REVOKED
    c.revoked_at = r.at
    c.revoked_by_user_id = r.user_id
    c.revocation_method = r.method
    c.revocation_file_id = r.file_id
    c.revocation_document_id = r.document_id
    c.revocation_reason = r.reason
    emit(session, EventType.CONSENT_REVOKED, c.id, resident_id=c.resident_id, method=r.method)
    return c.status


def check_revocation_file(session: Session, consent_id: uuid.UUID, file_id: uuid.UUID) -> None:
    """The uploaded letter must be a file of this resident (staff upload it first)."""
    from models.files import FileUpload

    c = get_consent(session, consent_id)
    f = session.get(FileUpload, file_id)
    if f is None or f.resident_id != c.resident_id:
        raise NotFound("no file of this resident with this id", field="file_id")


def store_revocation_form(
    session: Session, consent_id: uuid.UUID, reason: str | None, on: date, by: uuid.UUID | None
) -> uuid.UUID:
    """The revocation form the resident signs on the signing page, once."""
    c = get_consent(session, consent_id)
    doc_id = revocation_document_id(consent_id)
    if session.get(Document, doc_id) is None:
        resident = residents.get_resident(session, c.resident_id)
        org = session.get(Organization, c.org_id)
        form = session.get(Document, c.document_id) if c.document_id else None
        title, text = forms.render_revocation(
            org.name if org else "",
            f"{resident.first_name} {resident.last_name}".strip(),
            form.title if form else "consent",
            c.signed_at,
            reason,
        )
        create_rendered(
            session, Rendered(doc_id, c.resident_id, DocumentType.CONSENT_FORM, title, text), on, by
        )
    return doc_id


def ending_with_treatment(session: Session, resident_id: uuid.UUID) -> list[uuid.UUID]:
    """The resident's active consents that end when treatment ends."""
    return list(
        session.scalars(
            select(Consent.id).where(
                Consent.resident_id == resident_id,
                Consent.status == ConsentStatus.ACTIVE,
                Consent.expiry_event == ExpiryEvent.END_OF_TREATMENT,
                Consent.deleted_at.is_(None),
            )
        )
    )


def expiry_reminder(session: Session, consent_id: uuid.UUID, base_url: str) -> Email | None:
    """The staff who manage consents are told a consent is about to expire: its id and date,
    nothing of what it covers (no Part 2 information leaves in an e-mail)."""
    c = get_consent(session, consent_id)
    if c.status is not ConsentStatus.ACTIVE or c.expires_at is None:
        return None
    to = staff_addresses(session, Perm.CONSENT_MANAGE)
    emit(session, EventType.CONSENT_EXPIRING, c.id, resident_id=c.resident_id)
    if not to:
        return None
    body = (
        "Hello,\n\n"
        f"A consent recorded in RecoveryOS expires on {c.expires_at:%B %-d, %Y}. If it is still"
        " needed, ask the resident to sign a new one before then.\n\n"
        f"Open it: {base_url.rstrip('/')}/v1/consents/{c.id}\n"
    )
    return Email(tuple(to), "A consent expires soon", body, f"<consent-expiring-{c.id}@recoveryos>")


def remind_at(expires_at: datetime | None, days: int) -> datetime | None:
    return expires_at - timedelta(days=days) if expires_at is not None else None
