"""The §2.22 patient notice: rendered from the org's settings, given at admission, acknowledged
by the resident's e-signature, recorded in `patient_notices`.

The org's settings (`organizations.settings["privacy_contact"]`, an object with `name` (a name
or a title), `phone` and `email`) say whom residents may ask. Without them the notice names
"the Privacy Officer" and the org owners' e-mail: the header must name someone to ask, and an
invented phone number would be worse than none.

Sources (../shared/REGULATORY.md §1.6): the header is the required text of §2.22, verbatim
(compliancecosmos.org/notice-patients-federal-confidentiality-requirements), with the org's
values in its brackets. The body is plain language; its sections on rights, complaints and the
effective date were not retrieved verbatim [U] and follow the CoE-PHI template's outline
(coephi.org/resource/template-patient-notice-for-part-2-programs) [U]: check with counsel
before relying on their wording.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.consent import PATIENT_NOTICE_VERSION, patient_notice_id
from core.enums import DisclosureMethod, DocumentType, PatientNoticeType
from core.errors import NotFound
from core.events import EventType
from models.compliance import PatientNotice
from models.orgs import Organization
from services import events
from services.documents import Rendered, create_rendered
from services.residents import get_resident
from services.users import owner_addresses

# The version of the text below (core/contracts/consent.py): a new text is a new version.
NOTICE_VERSION = PATIENT_NOTICE_VERSION

# §2.22 required header, verbatim; the brackets are filled with the org's values.
HEADER = (
    "Notice of Privacy Practices of {program} — This notice describes: HOW HEALTH INFORMATION ABOUT"
    " YOU MAY BE USED AND DISCLOSED • YOUR RIGHTS WITH RESPECT TO YOUR HEALTH INFORMATION • HOW TO"
    " FILE A COMPLAINT CONCERNING A VIOLATION OF THE PRIVACY OR SECURITY OF YOUR HEALTH"
    " INFORMATION, OR OF YOUR RIGHTS CONCERNING YOUR INFORMATION. YOU HAVE A RIGHT TO A COPY OF"
    " THIS NOTICE (IN PAPER OR ELECTRONIC FORM) AND TO DISCUSS IT WITH {contact} AT {reach} IF YOU"
    " HAVE ANY QUESTIONS."
)

# Plain-language body. §2.22(a): federal law and regulations protect the confidentiality of
# SUD records. The list of uses without consent follows §2.12(c), §2.51-2.53 and §2.61-2.67
# as summarised in REGULATORY.md; the rights and complaints sections are [U] (see above).
BODY = """\
Federal law protects your records

{program} is a program covered by federal rules on the confidentiality of substance use \
disorder patient records (42 U.S.C. 290dd-2 and 42 CFR part 2). In general, we may not say to \
anyone outside the program that you live here or receive services from us, and we may not \
share information that identifies you as having a substance use disorder, unless you agree in \
writing or the law allows it.

How we use and share your information without your written consent

- Within the program, with staff who need the information to serve you.
- With organizations that provide services to the program under a written agreement that \
protects your information (qualified service organizations).
- In a medical emergency, with medical personnel who need it to treat you.
- For research, audits and program evaluations, under the safeguards the rules require.
- To report suspected child abuse or neglect as state law requires.
- To report a crime on the program's premises or against program staff, or a threat to commit one.
- When a court orders it under the special procedures of 42 CFR part 2 (a subpoena alone is not enough).

With your written consent

Any other use or disclosure needs your written consent, which you may revoke in writing at any \
time (except for what was already done relying on it). You may give one consent for all future \
treatment, payment and health care operations. Records shared under such a consent with a \
health plan or provider covered by HIPAA may be shared again by them as HIPAA allows. Your \
records, or testimony about them, may not be used in a civil, criminal, administrative or \
legislative proceeding against you without your specific written consent or a court order.

Your rights

- To get a copy of this notice, on paper or electronically.
- To see and get a copy of your records.
- To ask us to limit what we share; we must agree not to tell a health plan about services you \
paid for in full yourself.
- To a list of the disclosures we made with your consent.
- To ask us to contact you in a particular way or at a particular place.
- To be told if your records are breached.
- To opt out of fundraising communications.

Complaints

If you believe your privacy rights were violated, you may complain to {contact} at {reach}, \
and to the Secretary of the U.S. Department of Health and Human Services, Office for Civil \
Rights. Reports of violations of 42 CFR part 2 may also be made to the U.S. Attorney for the \
judicial district where the violation occurred. We will not retaliate against you for \
complaining.

Effective date: {effective}. Notice version {version}.
"""


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str | None
    email: str | None

    def reach(self) -> str:
        parts = [p for p in (self.phone, self.email) if p]
        return " and ".join(parts) if parts else "the program's office"


def notice_id(resident_id: uuid.UUID, version: str = NOTICE_VERSION) -> uuid.UUID:
    """One notice per resident per version: the workflow key and the row's id."""
    return patient_notice_id(resident_id, version)


def document_id(notice: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(notice, "document")


def contact(session: Session, org: Organization) -> Contact:
    given = (org.settings or {}).get("privacy_contact") or {}
    name = str(given.get("name") or "the Privacy Officer")
    phone = given.get("phone")
    email = given.get("email")
    if not phone and not email:
        owners = owner_addresses(session)
        email = owners[0] if owners else None
    return Contact(name, str(phone) if phone else None, str(email) if email else None)


def render(org: Organization, who: Contact, effective: datetime) -> tuple[str, str]:
    """(title, text) of the notice for `org`."""
    values = {
        "program": org.name,
        "contact": who.name,
        "reach": who.reach(),
        "effective": effective.date().isoformat(),
        "version": NOTICE_VERSION,
    }
    header = HEADER.format(**values)
    return f"Notice of Privacy Practices of {org.name}", header + "\n\n" + BODY.format(**values)


def deliver(
    session: Session, notice: uuid.UUID, resident_id: uuid.UUID, at: datetime, by: uuid.UUID | None
) -> PatientNotice:
    """Render the notice as the resident's document and record its delivery (once)."""
    existing = session.get(PatientNotice, notice)
    if existing is not None:
        return existing
    resident = get_resident(session, resident_id)
    org = session.get(Organization, resident.org_id)
    assert org is not None
    title, text = render(org, contact(session, org), at)
    doc = create_rendered(
        session,
        Rendered(document_id(notice), resident_id, DocumentType.CONSENT_FORM, title, text),
        at.date(),
        by,
    )
    row = PatientNotice(
        id=notice,
        org_id=resident.org_id,
        resident_id=resident_id,
        notice_type=PatientNoticeType.PART2_NOTICE,
        notice_version=NOTICE_VERSION,
        delivered_at=at,
        method=DisclosureMethod.ELECTRONIC,
        document_id=doc.id,
        created_by=by,
    )
    session.add(row)
    session.flush()
    return row


def acknowledge(session: Session, notice: uuid.UUID, signature_id: uuid.UUID, at: datetime) -> None:
    row = get_notice(session, notice)
    if row.acknowledged_at is not None:
        return
    row.acknowledged_at = max(at, row.delivered_at)
    row.signature_id = signature_id
    events.emit(
        session,
        EventType.PATIENT_NOTICE_ACKNOWLEDGED,
        row.id,
        resident_id=row.resident_id,
        document_id=row.document_id,
    )


def not_acknowledged(session: Session, notice: uuid.UUID, outcome: str) -> None:
    """The signature request ended unsigned: the good-faith effort is recorded (45 CFR
    164.520(e)); staff may give the notice again as a new request."""
    row = get_notice(session, notice)
    if row.acknowledged_at is None:
        row.refusal_note = f"The electronic acknowledgement ended unsigned ({outcome})."


def get_notice(session: Session, notice: uuid.UUID) -> PatientNotice:
    row = session.get(PatientNotice, notice)
    if row is None or row.deleted_at is not None:
        raise NotFound("patient notice not found", field="id")
    return row


def notices_of(session: Session, resident_id: uuid.UUID) -> list[PatientNotice]:
    get_resident(session, resident_id)
    return list(
        session.scalars(
            select(PatientNotice)
            .where(PatientNotice.resident_id == resident_id, PatientNotice.deleted_at.is_(None))
            .order_by(PatientNotice.delivered_at.desc())
        )
    )
