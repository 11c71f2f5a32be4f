"""42 CFR Part 2 and HIPAA compliance records.

- consents: written patient consent to disclose Part 2 records (§2.31 required elements).
- consent_disclosures: append-only log of every disclosure made under a consent; it feeds
  the accounting of disclosures (§2.25: 3 years; HIPAA 164.528: 6 years) and records which
  2024 §2.32 statement went with it and whether a copy of the consent or its scope did.
- patient_notices: delivery and acknowledgement of the HIPAA notice of privacy practices and
  the Part 2 patient notice (§2.22).
- breach_incidents: HIPAA breach notification workflow (164.400-414), 60-day outer deadline.
- baa_records: business associate agreements and Part 2 qualified service organization
  agreements (QSOAs) with vendors.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.contracts.consent import (
    ConsentKind,
    ConsentScopeCopy,
    ExpiryEvent,
    NoticeStatement,
    RecipientKind,
    RevocationMethod,
)
from core.crypto import normalize_email
from core.enums import (
    BaaStatus,
    BreachRiskLevel,
    BreachStatus,
    ConsentStatus,
    ConsentType,
    DisclosureMethod,
    PatientNoticeType,
)
from models.base import (
    AuditColumnsMixin,
    Base,
    Encrypted,
    IdMixin,
    SoftDeleteMixin,
    TenantMixin,
    blind_index_column,
    encrypted_column,
    pg_enum,
)

if TYPE_CHECKING:
    from models.documents import Document, Signature
    from models.residents import Resident
    from models.users import User

LIVE = text("deleted_at IS NULL")


class Consent(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A §2.31 written consent (2024 rule). Active only once signed; revoked in writing; rows
    are never edited away. The form the resident signs is `document_id`."""

    __tablename__ = "consents"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    # The pre-2024 category (family, court, employer...), kept for the seed's older rows.
    consent_type: Mapped[ConsentType] = mapped_column(pg_enum(ConsentType))
    kind: Mapped[ConsentKind] = mapped_column(
        pg_enum(ConsentKind), default=ConsentKind.SPECIFIC_PURPOSE, server_default="specific_purpose"
    )
    status: Mapped[ConsentStatus] = mapped_column(pg_enum(ConsentStatus), default=ConsentStatus.PENDING)
    # Which versioned form the consent was rendered from (services/consent/forms.py).
    form_version: Mapped[str | None] = mapped_column(Text)

    # ENCRYPTED: §2.31(a)(2) who may use or disclose; names the resident's providers
    discloser_ct: Mapped[bytes | None] = encrypted_column("discloser")
    discloser = Encrypted(str)
    # §2.31(a)(4): named persons or entities, a class of persons, or an intermediary.
    recipient_kind: Mapped[RecipientKind] = mapped_column(
        pg_enum(RecipientKind), default=RecipientKind.NAMED, server_default="named"
    )
    recipient_classes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    # ENCRYPTED: names the person/entity receiving the resident's SUD records (reveals treatment ties)
    recipient_name_ct: Mapped[bytes] = encrypted_column("recipient_name", nullable=False)
    recipient_name = Encrypted(str)
    # ENCRYPTED: the recipient's organization (e.g. a named probation office or employer) is PII-linked
    recipient_organization_ct: Mapped[bytes | None] = encrypted_column("recipient_organization")
    recipient_organization = Encrypted(str)
    recipient_is_entity: Mapped[bool] = mapped_column(default=False)
    # ENCRYPTED: §2.31(a)(4)(ii) an intermediary's named member participants
    intermediary_participants_ct: Mapped[bytes | None] = encrypted_column("intermediary_participants")
    intermediary_participants = Encrypted(str)
    # §2.31(a)(4)(ii): or the general designation "participants with a treating-provider relationship".
    treating_providers_only: Mapped[bool] = mapped_column(default=False, server_default="false")
    # ENCRYPTED: purpose of the disclosure, free text about the resident's care/legal situation
    purpose_ct: Mapped[bytes] = encrypted_column("purpose", nullable=False)
    purpose = Encrypted(str)
    purposes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    # ENCRYPTED: §2.31(a)(3) amount and kind of information (e.g. "UA results, attendance"), clinical
    information_scope_ct: Mapped[bytes] = encrypted_column("information_scope", nullable=False)
    information_scope = Encrypted(str)
    information_classes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    # ENCRYPTED: TPO forms state the consequences to the resident of refusing to sign
    refusal_consequences_ct: Mapped[bytes | None] = encrypted_column("refusal_consequences")
    refusal_consequences = Encrypted(str)
    # Counseling-notes consents can never be one (a CHECK constraint and the API refuse it).
    condition_of_admission: Mapped[bool] = mapped_column(default=False, server_default="false")

    effective_date: Mapped[date] = mapped_column(Date)
    # §2.31(a)(7): an expiration date or an event (or both); at least one.
    expires_at: Mapped[datetime | None]
    expiry_event: Mapped[ExpiryEvent | None] = mapped_column(pg_enum(ExpiryEvent))
    # ENCRYPTED: the expiring condition in words; it often names a court case or program
    expiration_event_ct: Mapped[bytes | None] = encrypted_column("expiration_event")
    expiration_event = Encrypted(str)
    remind_days_before: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    signed_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]

    revoked_at: Mapped[datetime | None]
    revoked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    revocation_method: Mapped[RevocationMethod | None] = mapped_column(pg_enum(RevocationMethod))
    # The written revocation: an uploaded letter, or the revocation form signed on the page.
    revocation_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="RESTRICT")
    )
    revocation_document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id", ondelete="RESTRICT")
    )
    # ENCRYPTED: free-text reason given by the resident
    revocation_reason_ct: Mapped[bytes | None] = encrypted_column("revocation_reason")
    revocation_reason = Encrypted(str)

    signature_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signatures.id", ondelete="RESTRICT"))
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))

    disclosures: Mapped[list[ConsentDisclosure]] = relationship(back_populates="consent")
    resident: Mapped[Resident] = relationship(back_populates="consents")
    signature: Mapped[Signature | None] = relationship()
    document: Mapped[Document | None] = relationship(foreign_keys=[document_id])

    __table_args__ = (
        # Consents expiring soon (nightly expiry job and dashboard).
        Index("ix_consents_org_status_expires_live", "org_id", "status", "expires_at", postgresql_where=LIVE),
        # Is there an active consent for this resident? (checked before every disclosure)
        Index(
            "ix_consents_org_resident_status_live", "org_id", "resident_id", "status", postgresql_where=LIVE
        ),
        Index(
            "ix_consents_org_signature",
            "org_id",
            "signature_id",
            postgresql_where=text("signature_id IS NOT NULL"),
        ),
        CheckConstraint(
            "expires_at IS NOT NULL OR expiry_event IS NOT NULL", name="has_expiration_date_or_event"
        ),
        CheckConstraint("status <> 'revoked' OR revoked_at IS NOT NULL", name="revoked_has_revoked_at"),
        CheckConstraint("revoked_at IS NULL OR status = 'revoked'", name="revoked_at_means_revoked"),
        CheckConstraint(
            "NOT (kind = 'counseling_notes' AND condition_of_admission)",
            name="counseling_notes_never_a_condition",
        ),
        CheckConstraint(
            "expiry_event IS DISTINCT FROM 'none' OR kind = 'tpo'", name="expiry_none_only_for_tpo"
        ),
        CheckConstraint(
            "revoked_at IS NULL OR revocation_method IS NOT NULL", name="revocation_is_in_writing"
        ),
    )


class ConsentDisclosure(IdMixin, TenantMixin, Base):
    """One disclosure of Part 2 information under a consent. Append-only."""

    __tablename__ = "consent_disclosures"

    # RESTRICT: the disclosure log must outlive any attempt to drop its consent.
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consents.id", ondelete="RESTRICT"))
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    disclosed_at: Mapped[datetime]
    disclosed_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # ENCRYPTED: who received the resident's records (name/address), reveals SUD treatment ties
    recipient_ct: Mapped[bytes] = encrypted_column("recipient", nullable=False)
    recipient = Encrypted(str)
    # ENCRYPTED: description of the records disclosed, clinical content
    information_disclosed_ct: Mapped[bytes] = encrypted_column("information_disclosed", nullable=False)
    information_disclosed = Encrypted(str)
    # ENCRYPTED: purpose statement for the accounting of disclosures (164.528(b)(2)(iv))
    purpose_ct: Mapped[bytes | None] = encrypted_column("purpose")
    purpose = Encrypted(str)
    method: Mapped[DisclosureMethod] = mapped_column(pg_enum(DisclosureMethod))
    recipient_class: Mapped[str | None] = mapped_column(Text)
    information_classes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    purpose_code: Mapped[str | None] = mapped_column(Text)
    # §2.32(a): each disclosure carries statement 1 or 2 of the 2024 text, recorded with its version.
    redisclosure_notice_included: Mapped[bool] = mapped_column(default=False)
    notice_statement: Mapped[NoticeStatement | None] = mapped_column(pg_enum(NoticeStatement))
    notice_version: Mapped[str | None] = mapped_column(Text)
    # §2.32(b): a copy of the consent, or a clear explanation of its scope, went with it.
    consent_scope_copy: Mapped[ConsentScopeCopy | None] = mapped_column(pg_enum(ConsentScopeCopy))
    # The package sent (PDF): the records' description, the notice and the consent or its scope.
    package_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    created_by: Mapped[uuid.UUID | None]

    consent: Mapped[Consent] = relationship(back_populates="disclosures")
    resident: Mapped[Resident] = relationship()
    disclosed_by_user: Mapped[User] = relationship()

    __table_args__ = (
        # Accounting of disclosures for one resident over a period.
        Index("ix_consent_disclosures_org_resident_time", "org_id", "resident_id", "disclosed_at"),
        Index("ix_consent_disclosures_org_consent_time", "org_id", "consent_id", "disclosed_at"),
        # Compliance review: disclosures sent without the §2.32 notice.
        Index(
            "ix_consent_disclosures_org_missing_notice",
            "org_id",
            "disclosed_at",
            postgresql_where=text("NOT redisclosure_notice_included"),
        ),
    )


class PatientNotice(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """Delivery (and acknowledgement) of a version of the privacy / Part 2 notice to a resident."""

    __tablename__ = "patient_notices"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    notice_type: Mapped[PatientNoticeType] = mapped_column(pg_enum(PatientNoticeType))
    # e.g. "2024-02" — the notice text itself lives in document_templates.
    notice_version: Mapped[str]
    delivered_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    method: Mapped[DisclosureMethod] = mapped_column(pg_enum(DisclosureMethod))
    signature_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signatures.id", ondelete="RESTRICT"))
    # The notice as the resident signed it (its acknowledgement goes through e-signature).
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))
    # ENCRYPTED: 164.520(e) good-faith effort note when the resident would not acknowledge; free text
    refusal_note_ct: Mapped[bytes | None] = encrypted_column("refusal_note")
    refusal_note = Encrypted(str)

    resident: Mapped[Resident] = relationship(back_populates="patient_notices")
    signature: Mapped[Signature | None] = relationship()

    __table_args__ = (
        Index(
            "ix_patient_notices_org_resident_live",
            "org_id",
            "resident_id",
            "delivered_at",
            postgresql_where=LIVE,
        ),
        # Residents who have not yet acknowledged a given version.
        Index(
            "ix_patient_notices_org_unacknowledged",
            "org_id",
            "notice_type",
            "notice_version",
            postgresql_where=text("acknowledged_at IS NULL AND deleted_at IS NULL"),
        ),
        Index(
            "uq_patient_notices_resident_version_live",
            "resident_id",
            "notice_type",
            "notice_version",
            unique=True,
            postgresql_where=LIVE,
        ),
        CheckConstraint(
            "acknowledged_at IS NULL OR acknowledged_at >= delivered_at", name="acknowledged_after_delivered"
        ),
    )


class BreachIncident(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A suspected or confirmed breach of unsecured PHI / Part 2 records."""

    __tablename__ = "breach_incidents"

    # When the breach happened, if known (HHS report asks for both dates).
    occurred_at: Mapped[datetime | None]
    discovered_at: Mapped[datetime]
    reported_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[BreachStatus] = mapped_column(pg_enum(BreachStatus), default=BreachStatus.DISCOVERED)
    # Set by the four-factor risk assessment (164.402(2)); unknown until assessed.
    risk_level: Mapped[BreachRiskLevel | None] = mapped_column(pg_enum(BreachRiskLevel))
    # Breach caused by a business associate / QSO.
    baa_record_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("baa_records.id", ondelete="RESTRICT"))
    involves_part2: Mapped[bool] = mapped_column(default=False)

    # ENCRYPTED: breach details (what happened, to whom)
    description_ct: Mapped[bytes] = encrypted_column("description", nullable=False)
    description = Encrypted(str)
    # ENCRYPTED: the kinds of PHI exposed, itself sensitive
    phi_involved_ct: Mapped[bytes | None] = encrypted_column("phi_involved")
    phi_involved = Encrypted(str)
    # ENCRYPTED: breach details, may name staff, residents or security weaknesses
    root_cause_ct: Mapped[bytes | None] = encrypted_column("root_cause")
    root_cause = Encrypted(str)
    # ENCRYPTED: breach details
    mitigation_ct: Mapped[bytes | None] = encrypted_column("mitigation")
    mitigation = Encrypted(str)
    affected_count: Mapped[int] = mapped_column(Integer, default=0)
    # ENCRYPTED: list of resident ids, who was in a breach is itself PHI
    affected_resident_ids_ct: Mapped[bytes | None] = encrypted_column("affected_resident_ids")
    affected_resident_ids = Encrypted(list)

    # Outer limit: 60 calendar days after discovery (164.404(b)); may be set earlier.
    notification_deadline_at: Mapped[datetime]
    hhs_notified_at: Mapped[datetime | None]
    individuals_notified_at: Mapped[datetime | None]
    # Required when more than 500 residents of one state are affected (164.406).
    media_notified_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    # --- the BreachResponse workflow's record (migration 0021) ---
    # ENCRYPTED: the four factors of 164.402(2) and the reasons: they describe the PHI and who got it
    assessment_ct: Mapped[bytes | None] = encrypted_column("assessment")
    assessment = Encrypted(dict)
    # The data was encrypted with keys that were not compromised: not unsecured PHI (164.402).
    safe_harbour: Mapped[bool | None]
    notifiable: Mapped[bool | None]
    decided_at: Mapped[datetime | None]
    decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # 164.530(j)(2): the decision's documentation, a not-notifiable one included, is kept six years.
    retain_until_date: Mapped[date | None] = mapped_column(Date)
    # Counts per two-letter state, for the state and media clocks: numbers, not people.
    affected_by_state: Mapped[dict[str, Any]] = mapped_column(
        default=dict, server_default=text("'{}'::jsonb")
    )
    unreachable_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # ENCRYPTED: the letters' wording (steps to take, contact points) may describe the PHI exposed
    notice_content_ct: Mapped[bytes | None] = encrypted_column("notice_content")
    notice_content = Encrypted(dict)
    # ENCRYPTED: {resident id: letter SHA-256}; who received a letter is who was in the breach
    letters_ct: Mapped[bytes | None] = encrypted_column("letters")
    letters = Encrypted(dict)
    # Every obligation with its due and done times ({key, kind, title, due_at, citation, done_at}).
    obligations: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'::jsonb"))
    # What happened when, in plain words without PHI ({key, at, what}): the closing report's timeline.
    timeline: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'::jsonb"))
    # 164.412: {kind, start, end} per delay a law-enforcement official asked for.
    law_enforcement_delays: Mapped[list[Any]] = mapped_column(
        default=list, server_default=text("'[]'::jsonb")
    )
    # ENCRYPTED: 164.412(b) asks for the official's identity to be documented: a person's name
    law_enforcement_official_ct: Mapped[bytes | None] = encrypted_column("law_enforcement_official")
    law_enforcement_official = Encrypted(str)
    # When the business associate discovered its breach, and when its report arrived (164.410).
    ba_discovered_at: Mapped[datetime | None]
    ba_reported_at: Mapped[datetime | None]
    closing_report_sha256: Mapped[bytes | None]

    reported_by_user: Mapped[User | None] = relationship(foreign_keys="BreachIncident.reported_by_user_id")
    baa_record: Mapped[BaaRecord | None] = relationship(back_populates="breach_incidents")

    __table_args__ = (
        # Open incidents ordered by notification deadline.
        Index(
            "ix_breach_incidents_org_status_deadline_live",
            "org_id",
            "status",
            "notification_deadline_at",
            postgresql_where=LIVE,
        ),
        Index("ix_breach_incidents_org_discovered_live", "org_id", "discovered_at", postgresql_where=LIVE),
        Index(
            "ix_breach_incidents_org_baa",
            "org_id",
            "baa_record_id",
            postgresql_where=text("baa_record_id IS NOT NULL"),
        ),
        CheckConstraint(
            "notification_deadline_at <= discovered_at + interval '60 days'", name="deadline_within_60_days"
        ),
        CheckConstraint("notification_deadline_at >= discovered_at", name="deadline_after_discovery"),
        CheckConstraint(
            "occurred_at IS NULL OR occurred_at <= discovered_at", name="occurred_before_discovery"
        ),
        CheckConstraint("affected_count >= 0", name="affected_count_nonnegative"),
        CheckConstraint("closed_at IS NULL OR closed_at >= discovered_at", name="closed_after_discovery"),
        CheckConstraint("status <> 'closed' OR closed_at IS NOT NULL", name="closed_has_closed_at"),
        CheckConstraint("unreachable_count >= 0", name="unreachable_nonnegative"),
        CheckConstraint("notifiable IS NULL OR decided_at IS NOT NULL", name="decision_has_time"),
        CheckConstraint("NOT (safe_harbour AND notifiable)", name="safe_harbour_not_notifiable"),
    )


class BaaRecord(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A business associate agreement or Part 2 QSO agreement with a vendor."""

    __tablename__ = "baa_records"

    # A company, not a person: plaintext.
    vendor_name: Mapped[str]
    # e.g. "cloud hosting", "drug testing lab": describes the vendor's service, not patients.
    services_description: Mapped[str | None]
    # Qualified service organization agreement (§2.11) rather than a HIPAA BAA.
    is_qso: Mapped[bool] = mapped_column(default=False)
    status: Mapped[BaaStatus] = mapped_column(pg_enum(BaaStatus), default=BaaStatus.DRAFT)
    signed_date: Mapped[date | None] = mapped_column(Date)
    effective_date: Mapped[date | None] = mapped_column(Date)
    expires_date: Mapped[date | None] = mapped_column(Date)
    terminated_date: Mapped[date | None] = mapped_column(Date)
    # The agreement's term for reporting a breach to us, in days after the vendor discovers it;
    # 164.410(b) caps it at 60.
    breach_notice_days: Mapped[int | None] = mapped_column(Integer)
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))
    # ENCRYPTED: PII of the vendor's contact person
    contact_name_ct: Mapped[bytes | None] = encrypted_column("contact_name")
    contact_name = Encrypted(str)
    # ENCRYPTED: PII (a person's email); blind index for lookup by email
    contact_email_ct: Mapped[bytes | None] = encrypted_column("contact_email")
    contact_email_bidx: Mapped[bytes | None] = blind_index_column("contact_email")
    contact_email = Encrypted(str, blind=normalize_email)

    document: Mapped[Document | None] = relationship()
    breach_incidents: Mapped[list[BreachIncident]] = relationship(back_populates="baa_record")

    __table_args__ = (
        # Agreements up for renewal.
        Index(
            "ix_baa_records_org_status_expires_live",
            "org_id",
            "status",
            "expires_date",
            postgresql_where=LIVE,
        ),
        Index("ix_baa_records_org_vendor_live", "org_id", "vendor_name", postgresql_where=LIVE),
        Index("ix_baa_records_org_contact_email_bidx", "org_id", "contact_email_bidx"),
        CheckConstraint(
            "expires_date IS NULL OR effective_date IS NULL OR expires_date >= effective_date",
            name="expires_after_effective",
        ),
        CheckConstraint("status <> 'active' OR signed_date IS NOT NULL", name="active_is_signed"),
        CheckConstraint(
            "breach_notice_days IS NULL OR breach_notice_days BETWEEN 1 AND 60",
            name="breach_notice_days_range",
        ),
    )
