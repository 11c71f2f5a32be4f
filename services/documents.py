"""Documents: templates rendered per resident, immutable versions, stored files and retention.

Plain functions over a tenant Session, shared by the signing activities, the API and the seed.
A rendered body names the resident, so it lives only in encrypted columns (`documents.content`,
`document_versions.content`); titles and templates are plaintext and carry no PHI.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.enums import DocumentStatus, DocumentType
from core.errors import Conflict, NotFound, Rejected
from models.documents import Document, DocumentTemplate, RetentionPolicy
from models.documents_extended import DocumentVersion
from models.files import FileUpload
from models.orgs import Organization
from models.residents import Resident
from services import residents

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Declared type → the bytes such a file starts with; a file whose bytes disagree is refused.
UPLOAD_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
MERGE_FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")


@dataclass(frozen=True)
class DefaultTemplate:
    name: str
    document_type: DocumentType
    signers: tuple[str, ...]
    body: str
    is_part2: bool = True


_PARTIES = "{{ org.name }} (the residence) and {{ resident.full_name }} (the resident)"

# Fees, refunds and rights are disclosed in writing and signed before any money is taken (NARR
# 3.0 rules 1.A.3.a and 1.A.3.c; grievances, 1.C.7.b): the residency agreement carries them, and
# an operator edits the amounts and rules to its own before sending it.
# The document's title is shown above its body (page, PDF): the body does not repeat it.
_RESIDENCY = f"""This agreement between {_PARTIES} takes effect on {{{{ date }}}}.
Please read all of it before you sign. You will get a signed copy to keep.

1. Your stay
You are offered a place in a recovery residence: a shared, alcohol- and drug-free home for people
in recovery. It is not a treatment program and is not licensed as one. Your stay continues for as
long as you keep this agreement and the house rules, or until you choose to leave.

2. House rules (summary; the full house rules are posted in the house and given to you)
- No alcohol, no illegal drugs, and no misuse of prescription medicine on the property or while
  living here. Medicines prescribed to you, including medication for opioid use disorder, are
  allowed; keep them as the house stores medicine.
- Take part in the weekly house meeting and do your share of the chores.
- Keep the curfew posted for your house, and tell the house manager before an overnight pass.
- Drug and alcohol testing: on admission, when use is suspected, and at random. A test costs you
  nothing more than what it costs the residence.
- No violence, threats, weapons, or harassment of anyone in the house.
- Visitors follow the posted visiting hours and house rules.

3. Fees and charges: everything you may have to pay
- Rent, as set out in your rate schedule, charged in advance for each period. The amount on your
  first invoice is prorated to the nights you stay.
- A security deposit, if your rate schedule names one. It is held, not spent, and returned as
  set out in section 4.
- A late fee, only if rent stays unpaid past the grace period in your rate schedule, and never
  more than the cap it names.
- Charges for damage you cause beyond normal wear, itemised in writing.
There are no other fees. Staff never lend you money, borrow from you, or handle your personal
finances. You may ask at any time for a written statement of every charge and payment on your
account, and you will get one.

4. Refund policy (given to you before any money is taken)
- Rent paid for nights after you move out is refunded within 30 days.
- The security deposit is returned within 30 days of move-out, less any itemised deductions
  (unpaid rent or charges, damage beyond normal wear), with a written list of them.
- An application or move-in fee, if any, is refunded in full if you do not move in.
Refunds go back to the way you paid.

5. Your rights
You keep the rights listed in the "Resident rights" document you are also given, among them:
to be treated with dignity and respect; privacy of your records (records of substance use
treatment are protected by federal law where it applies (42 CFR Part 2) and are shared only with your written
consent or as that law allows); to have visitors and communicate freely within the house rules;
to see your own records; and to raise a grievance without retaliation.

6. Grievances
Raise a concern first with your house manager. If it is not resolved, put it in writing to the
residence's administrator, who answers in writing within 7 days. If it is still not resolved, you
may take it to the residence's oversight organization (the state affiliate of the National
Alliance for Recovery Residences, or the certifying body named in the house). No one may be
penalised for raising a grievance.

7. Ending the residency
You may leave at any time; please give 7 days' notice so your bed can be offered to someone
waiting. The residence may end your stay for a serious or repeated breach of this agreement or
the house rules, with written reasons. If you return to use, the residence will talk with you
first about what support you need, and will help you find a safe place to go if you must leave.
Your belongings are kept safe for 14 days after you leave.

8. Signatures
By signing, you confirm that you received and read this agreement, including the fees and the
refund policy, before paying anything. The house manager signs as a witness."""

_RIGHTS = """These are your rights as a resident of {{ org.name }}, given to {{ resident.full_name }}
on {{ date }}, before you sign any agreement.

As a resident you have the right to:
1. Be treated with dignity and respect, free from abuse, threats, harassment and discrimination.
2. Privacy and confidentiality. Your records are kept secure. Records of substance use disorder
   treatment are protected by federal law where it applies (42 CFR Part 2): they are disclosed only with your
   written consent, or as that law allows (for example a medical emergency).
3. Know, in writing and before you pay anything, every fee and charge and the refund policy.
4. A written statement of your charges and payments whenever you ask.
5. See your own records, and ask for a correction of anything you believe is wrong.
6. Take medication prescribed to you, including medication for opioid use disorder.
7. Have visitors, use the phone, send and receive mail, and practise your faith, within the
   house rules.
8. Take part in decisions about the house through the house meeting.
9. Raise a grievance, and take an unresolved grievance to the residence's oversight
   organization, without retaliation.
10. Leave at any time.

How to raise a grievance
1. Talk to your house manager.
2. If it is not resolved, write to the residence's administrator; you get a written answer
   within 7 days.
3. If it is still not resolved, contact the residence's oversight organization (the state
   affiliate of the National Alliance for Recovery Residences, or the certifying body named in
   the house).
No one may be penalised for raising a grievance.

By signing, I confirm I received and read these rights."""

DEFAULT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    DefaultTemplate(
        "Residency agreement",
        DocumentType.RESIDENCY_AGREEMENT,
        ("resident", "house_manager"),
        _RESIDENCY,
    ),
    DefaultTemplate("Resident rights", DocumentType.OTHER, ("resident",), _RIGHTS, is_part2=False),
    DefaultTemplate(
        "House rules",
        DocumentType.HOUSE_RULES,
        ("resident",),
        "House rules of {{ org.name }}\n\n{{ resident.full_name }} has read these rules on {{ date }}.\n\n"
        "Curfew, visitors, chores and meeting attendance are as posted in the house.",
        is_part2=False,
    ),
    DefaultTemplate(
        "Financial agreement",
        DocumentType.PAYMENT_AGREEMENT,
        ("resident",),
        f"Financial agreement between {_PARTIES}, dated {{{{ date }}}}.\n\n"
        "Fees, deposits and refunds are as set out in the residence's rate schedule and in sections 3 "
        "and 4 of the residency agreement.",
    ),
    DefaultTemplate(
        "Part 2 consent form",
        DocumentType.CONSENT_FORM,
        ("resident",),
        "Consent for the disclosure of substance use disorder records (42 CFR Part 2)\n\n"
        "I, {{ resident.full_name }}, authorise {{ org.name }} to disclose the information named "
        "below for the purpose named below. I may revoke this consent at any time except where "
        "action has been taken in reliance on it. Dated {{ date }}.",
    ),
    DefaultTemplate(
        "Release of information",
        DocumentType.CONSENT_FORM,
        ("resident",),
        "Release of information\n\nI, {{ resident.full_name }}, permit {{ org.name }} to release the "
        "records named below to the recipient named below. Dated {{ date }}.",
    ),
)

# Every document type has a policy; an org can change its own rows.
DEFAULT_RETENTION: dict[DocumentType, tuple[int, str, str]] = {
    DocumentType.RESIDENCY_AGREEMENT: (7, "signed", "State licensing rule: resident records 7 years"),
    DocumentType.HOUSE_RULES: (3, "signed", "Operational policy: 3 years"),
    DocumentType.CONSENT_FORM: (6, "signed", "45 CFR 164.316(b)(2) and 42 CFR 2.31: 6 years"),
    DocumentType.PAYMENT_AGREEMENT: (7, "signed", "IRS record keeping: 7 years"),
    DocumentType.DISCHARGE_SUMMARY: (7, "created", "State licensing rule: 7 years"),
    DocumentType.INCIDENT_REPORT: (7, "created", "Insurance carrier requirement: 7 years"),
    DocumentType.ID_DOCUMENT: (6, "created", "45 CFR 164.316(b)(2): 6 years"),
    DocumentType.OTHER: (6, "created", "45 CFR 164.316(b)(2): 6 years"),
}


def sha256(data: bytes | str) -> bytes:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).digest()


def _org_id(session: Session) -> uuid.UUID:
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    return org_id


def ensure_defaults(session: Session) -> None:
    """The default templates and a retention policy per document type, each once."""
    org_id = _org_id(session)
    names = set(session.scalars(select(DocumentTemplate.name).where(DocumentTemplate.deleted_at.is_(None))))
    for t in DEFAULT_TEMPLATES:
        if t.name not in names:
            session.add(
                DocumentTemplate(
                    org_id=org_id,
                    name=t.name,
                    document_type=t.document_type,
                    body_template=t.body,
                    required_signers=list(t.signers),
                    is_part2=t.is_part2,
                )
            )
    covered = set(
        session.scalars(select(RetentionPolicy.document_type).where(RetentionPolicy.deleted_at.is_(None)))
    )
    for dtype, (years, frm, basis) in DEFAULT_RETENTION.items():
        if dtype not in covered:
            session.add(
                RetentionPolicy(
                    org_id=org_id, document_type=dtype, retain_years=years, retain_from=frm, legal_basis=basis
                )
            )
    session.flush()


def active_templates(session: Session) -> list[DocumentTemplate]:
    return list(
        session.scalars(
            select(DocumentTemplate)
            .where(DocumentTemplate.is_active, DocumentTemplate.deleted_at.is_(None))
            .order_by(DocumentTemplate.name)
        )
    )


def retention_policy(session: Session, dtype: DocumentType) -> RetentionPolicy | None:
    return session.scalar(
        select(RetentionPolicy).where(
            RetentionPolicy.document_type == dtype,
            RetentionPolicy.is_active,
            RetentionPolicy.deleted_at.is_(None),
        )
    )


def retention_until(policy: RetentionPolicy | None, event: str, on: date) -> date | None:
    """The purge date when `event` ("created", "signed") is the one the policy runs from."""
    if policy is None or policy.retain_from != event:
        return None
    try:
        return on.replace(year=on.year + policy.retain_years)
    except ValueError:  # 29 February
        return on.replace(year=on.year + policy.retain_years, day=28)


def merge_values(session: Session, resident: Resident, on: date) -> dict[str, str]:
    org = session.get(Organization, _org_id(session))
    first, last = resident.first_name or "", resident.last_name or ""
    values = {
        "resident.first_name": first,
        "resident.last_name": last,
        "resident.full_name": f"{first} {last}".strip(),
        "resident.preferred_name": resident.preferred_name or first,
        "org.name": org.name if org else "",
        "date": on.isoformat(),
    }
    if resident.current_house is not None:
        values["house.name"] = resident.current_house.name
    return values


def render(body: str, values: dict[str, str]) -> str:
    """Fill `{{ field }}`s; a field the template names but no value exists for is refused."""
    missing = sorted({m.group(1) for m in MERGE_FIELD.finditer(body)} - values.keys())
    if missing:
        raise Rejected(f"the template uses unknown merge fields: {', '.join(missing)}", field="template_id")
    return MERGE_FIELD.sub(lambda m: values[m.group(1)], body)


def create_from_template(
    session: Session,
    document_id: uuid.UUID,
    template_id: uuid.UUID,
    resident_id: uuid.UUID,
    on: date,
    created_by: uuid.UUID | None,
) -> Document:
    """Render the template for the resident into a draft with its first version. Idempotent:
    the same document id returns the row already written."""
    existing = session.get(Document, document_id)
    if existing is not None:
        return existing
    template = session.get(DocumentTemplate, template_id)
    if template is None or template.deleted_at is not None or not template.is_active:
        raise NotFound("no active template with this id", field="template_id")
    resident = residents.get_resident(session, resident_id)
    content = render(template.body_template, merge_values(session, resident, on))
    return create_rendered(
        session,
        Rendered(document_id, resident_id, template.document_type, template.name, content, template.is_part2),
        on,
        created_by,
        template=template,
    )


@dataclass(frozen=True)
class Rendered:
    """A document whose text its family rendered (a consent form, the patient notice)."""

    document_id: uuid.UUID
    resident_id: uuid.UUID
    document_type: DocumentType
    title: str
    content: str
    is_part2: bool = True


def create_rendered(
    session: Session,
    r: Rendered,
    on: date,
    created_by: uuid.UUID | None,
    *,
    template: DocumentTemplate | None = None,
) -> Document:
    """A draft with its first version, ready to send for signature. Idempotent by document id."""
    existing = session.get(Document, r.document_id)
    if existing is not None:
        return existing
    doc = Document(
        id=r.document_id,
        org_id=_org_id(session),
        resident_id=r.resident_id,
        template_id=template.id if template else None,
        template_version=template.version if template else None,
        document_type=r.document_type,
        status=DocumentStatus.DRAFT,
        title=r.title,
        content=r.content,
        current_version=1,
        retention_until_date=retention_until(retention_policy(session, r.document_type), "created", on),
        is_part2=r.is_part2,
        created_by=created_by,
    )
    session.add(doc)
    session.flush()
    note = f"rendered from template version {template.version}" if template else f"rendered: {r.title}"
    append_version(session, doc, r.content, None, note, created_by)
    return doc


def version_id(document_id: uuid.UUID, version_no: int) -> uuid.UUID:
    """Deterministic, so a retried write of a version finds the first one."""
    return uuid.uuid5(document_id, f"version:{version_no}")


def file_id(document_id: uuid.UUID, purpose: str) -> uuid.UUID:
    return uuid.uuid5(document_id, f"file:{purpose}")


def storage_key(org_id: uuid.UUID, fid: uuid.UUID) -> str:
    return f"{org_id}/{fid}"


def get_document(session: Session, document_id: uuid.UUID) -> Document:
    doc = session.get(Document, document_id)
    if doc is None or doc.deleted_at is not None:
        raise NotFound("document not found", field="document_id")
    return doc


def version(session: Session, document_id: uuid.UUID, version_no: int) -> DocumentVersion:
    v = session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.version_no == version_no
        )
    )
    if v is None:
        raise NotFound(f"document version {version_no} not found", field="version")
    return v


def append_version(
    session: Session,
    doc: Document,
    content: str,
    file_upload_id: uuid.UUID | None,
    summary: str,
    created_by: uuid.UUID | None,
) -> DocumentVersion:
    """A new immutable version (the database refuses to change an old one)."""
    number = (
        session.scalar(
            select(func.max(DocumentVersion.version_no)).where(DocumentVersion.document_id == doc.id)
        )
        or 0
    ) + 1
    v = DocumentVersion(
        id=version_id(doc.id, number),
        org_id=doc.org_id,
        document_id=doc.id,
        version_no=number,
        content=content,
        content_sha256=sha256(content),
        file_upload_id=file_upload_id,
        change_summary=summary,
        created_by=created_by,
    )
    session.add(v)
    session.flush()
    return v


@dataclass(frozen=True)
class DocumentSummary:
    """What a list shows: nothing decrypted."""

    id: uuid.UUID
    resident_id: uuid.UUID | None
    title: str
    document_type: DocumentType
    status: DocumentStatus
    current_version: int
    created_at: datetime
    completed_at: datetime | None
    retention_until_date: date | None


def _summaries(session: Session, *where: Any) -> list[DocumentSummary]:
    rows = session.scalars(
        select(Document)
        .where(Document.deleted_at.is_(None), *where)
        .order_by(Document.created_at, Document.id)
    )
    return [
        DocumentSummary(
            d.id,
            d.resident_id,
            d.title,
            d.document_type,
            d.status,
            d.current_version,
            d.created_at,
            d.completed_at,
            d.retention_until_date,
        )
        for d in rows
    ]


def resident_documents(session: Session, resident_id: uuid.UUID) -> list[DocumentSummary]:
    residents.get_resident(session, resident_id)
    return _summaries(session, Document.resident_id == resident_id)


def org_documents(session: Session, status: DocumentStatus | None = None) -> list[DocumentSummary]:
    return _summaries(session, *([Document.status == status] if status else []))


def check_upload(data: bytes, content_type: str, declared_sha256: str | None = None) -> bytes:
    """The file's SHA-256 once its size, declared type (against its first bytes) and, when
    given, the client's digest are all right."""
    if not data:
        raise Rejected("the file is empty", field="file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise Rejected(f"the file is larger than {MAX_UPLOAD_BYTES} bytes", field="file")
    magics = UPLOAD_TYPES.get(content_type)
    if magics is None:
        raise Rejected(f"content type must be one of {', '.join(sorted(UPLOAD_TYPES))}", field="content_type")
    if not data.startswith(magics):
        raise Rejected(f"the file's content is not {content_type}", field="content_type")
    digest = sha256(data)
    if declared_sha256 is not None and declared_sha256.lower() != digest.hex():
        raise Rejected("the file does not match the SHA-256 sent with it", field="sha256")
    return digest


def record_file(
    session: Session,
    fid: uuid.UUID,
    bucket: str,
    data: bytes,
    content_type: str,
    filename: str,
    resident_id: uuid.UUID | None,
    uploaded_by: uuid.UUID | None,
    is_part2: bool,
) -> FileUpload:
    """The row for an object already written to the store; idempotent by file id."""
    digest = check_upload(data, content_type)
    existing = session.get(FileUpload, fid)
    if existing is not None:
        if existing.sha256 != digest:
            raise Conflict("this file id already holds other content", field="file")
        return existing
    org_id = _org_id(session)
    f = FileUpload(
        id=fid,
        org_id=org_id,
        bucket=bucket,
        storage_key=storage_key(org_id, fid),
        original_filename=filename,
        content_type=content_type,
        size_bytes=len(data),
        sha256=digest,
        resident_id=resident_id,
        uploaded_by_user_id=uploaded_by,
        is_part2=is_part2,
    )
    session.add(f)
    session.flush()
    return f


@dataclass(frozen=True)
class StoredFile:
    bucket: str
    key: str
    sha256: bytes
    content_type: str
    filename: str


def stored_file(session: Session, fid: uuid.UUID | None, what: str) -> StoredFile:
    f = session.get(FileUpload, fid) if fid else None
    if f is None or f.deleted_at is not None:
        raise NotFound(f"no {what} for this document yet", field="document_id")
    return StoredFile(f.bucket, f.storage_key, f.sha256, f.content_type, f.original_filename or "")


@dataclass(frozen=True)
class Verification:
    sha256: str
    matches: bool
    document_id: uuid.UUID | None = None
    version_no: int | None = None


def verify(session: Session, digest: bytes) -> Verification:
    """Does this digest belong to a signed version of one of the org's documents?"""
    row = session.execute(
        select(DocumentVersion.document_id, DocumentVersion.version_no)
        .join(FileUpload, FileUpload.id == DocumentVersion.file_upload_id)
        .where(FileUpload.sha256 == digest)
        .order_by(DocumentVersion.version_no.desc())
        .limit(1)
    ).first()
    if row is None:
        return Verification(digest.hex(), False)
    return Verification(digest.hex(), True, row[0], row[1])
