"""Recording a disclosure of Part 2 records: refused unless a consent covers it (coverage.cover),
otherwise one append-only `consent_disclosures` row with the 2024 §2.32 statement chosen and
its version, the package PDF (services/consent/package.py) in the file store, and a
`disclosure.recorded.v1` event, all in one transaction.

Two steps, so no transaction is open while the PDF is written to the store: `prepare` checks
coverage and gathers what the package says (writing nothing); the caller renders and stores the
PDF; `record` checks coverage again (a revocation may have landed in between) and writes the row.
Both are idempotent by the disclosure's id.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.consent import (
    NOTICE_VERSION,
    ConsentKind,
    ConsentScopeCopy,
    ExpiryEvent,
    NoticeStatement,
    RecipientKind,
)
from core.enums import DisclosureMethod
from core.errors import NotFound
from core.events import EventType
from models.compliance import Consent, ConsentDisclosure
from models.documents import Document
from models.orgs import Organization
from services import residents
from services.consent.coverage import DisclosureRequest, cover
from services.consent.package import ConsentCopy, Package
from services.documents import StoredFile, record_file, stored_file
from services.events import emit

PACKAGE_CONTENT_TYPE = "application/pdf"


@dataclass(frozen=True)
class NewDisclosure:
    disclosure_id: uuid.UUID
    resident_id: uuid.UUID
    request: DisclosureRequest
    # The records disclosed, described (the package and the accounting carry it).
    description: str
    method: DisclosureMethod
    statement: NoticeStatement
    scope_copy: ConsentScopeCopy
    at: datetime
    user_id: uuid.UUID
    # The purpose in the discloser's words, when more than its code.
    purpose_detail: str | None = None

    @property
    def recipient_label(self) -> str:
        return self.request.recipient or self.request.recipient_class.value.replace("_", " ")


def package_file_id(disclosure_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(disclosure_id, "file:package")


def _words(values: Sequence[str]) -> str:
    return ", ".join(v.replace("_", " ") for v in values) or "nothing"


def consent_copy(session: Session, c: Consent) -> ConsentCopy:
    if c.recipient_kind is RecipientKind.CLASS or (c.kind is ConsentKind.TPO and c.recipient_classes):
        recipients = _words(c.recipient_classes)
    else:
        named = [n for n in (c.recipient_name, c.recipient_organization) if n]
        recipients = " of ".join(named)
        if c.recipient_kind is RecipientKind.INTERMEDIARY:
            whom = (
                "its participants with a treating-provider relationship"
                if c.treating_providers_only
                else (c.intermediary_participants or "its named participants")
            )
            recipients = f"the intermediary {recipients} and, through it, {whom}"
    expiry = []
    if c.expires_at is not None:
        expiry.append(c.expires_at.date().isoformat())
    if c.expiry_event is not None and c.expiry_event is not ExpiryEvent.NONE:
        expiry.append(c.expiration_event or c.expiry_event.value.replace("_", " "))
    if c.expiry_event is ExpiryEvent.NONE and not expiry:
        expiry.append("none (a TPO consent may have no expiry)")
    doc = session.get(Document, c.document_id) if c.document_id else None
    info = _words(c.information_classes)
    if c.information_scope:
        info = f"{info} ({c.information_scope})"
    return ConsentCopy(
        kind=c.kind.value.replace("_", " "),
        signed_at=c.signed_at,
        discloser=c.discloser,
        recipients=recipients,
        information=info,
        purposes=_words(c.purposes) + (f" ({c.purpose})" if c.purpose else ""),
        expiry=" or ".join(expiry) or "as the consent states",
        document_text=doc.content if doc is not None else None,
    )


def existing(session: Session, disclosure_id: uuid.UUID) -> ConsentDisclosure | None:
    return session.get(ConsentDisclosure, disclosure_id)


def prepare(session: Session, new: NewDisclosure) -> Package:
    """The package's contents, once coverage allows the disclosure; writes nothing."""
    resident = residents.get_resident(session, new.resident_id)
    consent = cover(session, new.resident_id, new.request)
    org = session.get(Organization, resident.org_id)
    return Package(
        org_name=org.name if org is not None else "",
        resident_name=f"{resident.first_name} {resident.last_name}",
        disclosed_at=new.at,
        recipient=new.recipient_label,
        recipient_class=new.request.recipient_class.value.replace("_", " "),
        method=new.method.value.replace("_", " "),
        purpose=new.purpose_detail or new.request.purpose.value.replace("_", " "),
        information_classes=[c.value for c in sorted(new.request.information_classes)],
        description=new.description,
        statement=new.statement,
        scope_copy=new.scope_copy,
        consent=consent_copy(session, consent),
    )


def record(session: Session, new: NewDisclosure, bucket: str, pdf: bytes) -> ConsentDisclosure:
    """The disclosure row, its package file row and its event; the PDF object is already in the
    store under `package_file_id`. Refused (nothing written) if coverage no longer holds."""
    done = existing(session, new.disclosure_id)
    if done is not None:
        return done
    residents.get_resident(session, new.resident_id)
    consent = cover(session, new.resident_id, new.request)
    f = record_file(
        session,
        package_file_id(new.disclosure_id),
        bucket,
        pdf,
        PACKAGE_CONTENT_TYPE,
        f"disclosure-{new.disclosure_id}.pdf",
        new.resident_id,
        new.user_id,
        is_part2=True,
    )
    row = ConsentDisclosure(
        id=new.disclosure_id,
        org_id=session.info["actor"]["org_id"],
        consent_id=consent.id,
        resident_id=new.resident_id,
        disclosed_at=new.at,
        disclosed_by_user_id=new.user_id,
        recipient=new.recipient_label,
        information_disclosed=new.description,
        purpose=new.purpose_detail or new.request.purpose.value.replace("_", " "),
        method=new.method,
        recipient_class=new.request.recipient_class.value,
        information_classes=[c.value for c in sorted(new.request.information_classes)],
        purpose_code=new.request.purpose.value,
        redisclosure_notice_included=True,
        notice_statement=new.statement,
        notice_version=NOTICE_VERSION,
        consent_scope_copy=new.scope_copy,
        package_file_id=f.id,
        created_by=new.user_id,
    )
    session.add(row)
    session.flush()
    emit(
        session,
        EventType.DISCLOSURE_RECORDED,
        row.id,
        resident_id=new.resident_id,
        consent_id=consent.id,
    )
    return row


def get_disclosure(session: Session, resident_id: uuid.UUID, disclosure_id: uuid.UUID) -> ConsentDisclosure:
    residents.get_resident(session, resident_id)
    row = session.get(ConsentDisclosure, disclosure_id)
    if row is None or row.resident_id != resident_id:
        raise NotFound("disclosure not found", field="disclosure_id")
    return row


def package(session: Session, resident_id: uuid.UUID, disclosure_id: uuid.UUID) -> StoredFile:
    row = get_disclosure(session, resident_id, disclosure_id)
    return stored_file(session, row.package_file_id, "disclosure package")


def disclosures_between(
    session: Session, resident_id: uuid.UUID, since: datetime, until: datetime
) -> list[ConsentDisclosure]:
    """The resident's disclosures in [since, until), oldest first (the accounting's lines)."""
    residents.get_resident(session, resident_id)
    return list(
        session.scalars(
            select(ConsentDisclosure)
            .where(
                ConsentDisclosure.resident_id == resident_id,
                ConsentDisclosure.disclosed_at >= since,
                ConsentDisclosure.disclosed_at < until,
            )
            .order_by(ConsentDisclosure.disclosed_at, ConsentDisclosure.id)
        )
    )
