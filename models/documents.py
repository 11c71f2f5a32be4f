"""Documents, templates, e-signatures and retention policies.

A document's rendered body is PHI (it names the resident and often their treatment) and is
encrypted; its title and the templates it was rendered from are plaintext and must not carry
PHI. Signatures keep the evidence an e-sign audit needs (who, when, from where, what content
hash) with the personal parts encrypted.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import normalize_email
from core.enums import DocumentStatus, DocumentType, SignatureStatus
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
    from models.documents_extended import DocumentVersion
    from models.files import FileUpload
    from models.residents import Resident
    from models.users import User

LIVE = text("deleted_at IS NULL")


class DocumentTemplate(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A versioned template (residency agreement, house rules...). Templates are not PHI: the
    resident-specific values are merged in at render time into the encrypted document body."""

    __tablename__ = "document_templates"

    name: Mapped[str]
    document_type: Mapped[DocumentType] = mapped_column(pg_enum(DocumentType))
    description: Mapped[str | None]
    # Template source with merge fields, e.g. "{{ resident.first_name }}"; plaintext by design.
    body_template: Mapped[str]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # Signer roles in order, e.g. ["resident", "house_manager"].
    required_signers: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'::jsonb"))
    # Default for documents rendered from this template (Part 2 redisclosure rules apply).
    is_part2: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    __table_args__ = (
        Index(
            "uq_document_templates_org_name_version_live",
            "org_id",
            "name",
            "version",
            unique=True,
            postgresql_where=LIVE,
        ),
        # Only one active version of a template at a time.
        Index(
            "uq_document_templates_org_name_active_live",
            "org_id",
            "name",
            unique=True,
            postgresql_where=text("is_active AND deleted_at IS NULL"),
        ),
        Index(
            "ix_document_templates_org_type_active",
            "org_id",
            "document_type",
            postgresql_where=text("is_active AND deleted_at IS NULL"),
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("jsonb_typeof(required_signers) = 'array'", name="signers_array"),
    )


class Document(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "documents"

    # NULL for org-wide documents (e.g. the current house rules posted to everyone).
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document_templates.id", ondelete="SET NULL")
    )
    # Template version the body was rendered from (templates are versioned in place by row).
    template_version: Mapped[int | None] = mapped_column(Integer)
    document_type: Mapped[DocumentType] = mapped_column(pg_enum(DocumentType))
    status: Mapped[DocumentStatus] = mapped_column(
        pg_enum(DocumentStatus), default=DocumentStatus.DRAFT, server_default=DocumentStatus.DRAFT.value
    )
    # Plaintext, so it must not contain PHI: "Residency agreement", never "J. Doe - relapse plan".
    title: Mapped[str]
    # ENCRYPTED: rendered body names the resident and may describe treatment (Part 2 / PHI)
    content_ct: Mapped[bytes | None] = encrypted_column("content")
    content = Encrypted(str)
    # Scanned / uploaded or final signed PDF.
    file_upload_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="SET NULL")
    )
    # SHA-256 of the final signed content; proves the stored copy is what was signed.
    content_sha256: Mapped[bytes | None]
    current_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Signing deadline for a pending document, or expiry of e.g. a consent / ID document.
    expires_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # Earliest date the document may be purged under its retention policy.
    retention_until_date: Mapped[date | None] = mapped_column(Date)
    # A legal hold suspends purging regardless of retention_until_date.
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # 42 CFR Part 2 record: disclosure requires consent and carries the redisclosure notice.
    # Defaults to true so a document is protected unless someone decides otherwise.
    is_part2: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    template: Mapped[DocumentTemplate | None] = relationship()
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="document", order_by="Signature.signing_order"
    )
    resident: Mapped[Resident | None] = relationship(back_populates="documents")
    file_upload: Mapped[FileUpload | None] = relationship()
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.version_no"
    )

    __table_args__ = (
        Index(
            "ix_documents_org_resident_type_live",
            "org_id",
            "resident_id",
            "document_type",
            postgresql_where=text("resident_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        Index("ix_documents_org_status_live", "org_id", "status", postgresql_where=LIVE),
        # Signing reminders / expiry sweeps.
        Index(
            "ix_documents_org_expires_live",
            "org_id",
            "expires_at",
            postgresql_where=text("expires_at IS NOT NULL AND deleted_at IS NULL"),
        ),
        # Retention purge job.
        Index(
            "ix_documents_org_retention",
            "org_id",
            "retention_until_date",
            postgresql_where=text("retention_until_date IS NOT NULL AND NOT legal_hold"),
        ),
        CheckConstraint("content_sha256 IS NULL OR octet_length(content_sha256) = 32", name="sha256_length"),
        CheckConstraint("status <> 'signed' OR content_sha256 IS NOT NULL", name="signed_has_hash"),
        CheckConstraint("current_version >= 1", name="version_positive"),
        CheckConstraint("char_length(title) > 0", name="title_nonempty"),
    )


class Signature(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """One signer's request and signature on a document. Not soft-deletable: it is legal
    evidence; a superseded request is marked expired or declined."""

    __tablename__ = "signatures"

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))
    # A staff signer, a resident signer, or neither (external: guarantor, probation officer).
    signer_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    signer_resident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("residents.id", ondelete="RESTRICT")
    )
    # Role on the document, e.g. "resident", "house_manager", "guarantor"; not PHI.
    signer_role: Mapped[str]
    # ENCRYPTED: PII (name as signed, kept even if the user/resident record changes)
    signer_name_ct: Mapped[bytes | None] = encrypted_column("signer_name")
    signer_name = Encrypted(str)
    # ENCRYPTED: PII; blind index to list a signer's pending requests by email
    signer_email_ct: Mapped[bytes | None] = encrypted_column("signer_email")
    signer_email_bidx: Mapped[bytes | None] = blind_index_column("signer_email")
    signer_email = Encrypted(str, blind=normalize_email)
    status: Mapped[SignatureStatus] = mapped_column(
        pg_enum(SignatureStatus),
        default=SignatureStatus.PENDING,
        server_default=SignatureStatus.PENDING.value,
    )
    # Order in which signers sign (equal numbers sign in parallel).
    signing_order: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    # SHA-256 of the one-time signing-link token; the token itself is never stored.
    signing_token_hash: Mapped[bytes | None]
    token_expires_at: Mapped[datetime | None]
    viewed_at: Mapped[datetime | None]
    # ESIGN/UETA: the signer's consent to sign electronically.
    esign_consent_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    # ENCRYPTED: the signature image (PNG data URL) is biometric-like PII
    signature_image_ct: Mapped[bytes | None] = encrypted_column("signature_image")
    signature_image = Encrypted(str)
    # ENCRYPTED: typed signature is the signer's name
    typed_signature_ct: Mapped[bytes | None] = encrypted_column("typed_signature")
    typed_signature = Encrypted(str)
    # ENCRYPTED: free-text decline reason may describe the resident's situation
    decline_reason_ct: Mapped[bytes | None] = encrypted_column("decline_reason")
    decline_reason = Encrypted(str)
    # ENCRYPTED: network identifiers are PII
    ip_address_ct: Mapped[bytes | None] = encrypted_column("ip_address")
    ip_address = Encrypted(str)
    user_agent: Mapped[str | None]
    # SHA-256 of the document content this signer saw and signed.
    signed_content_sha256: Mapped[bytes | None]

    document: Mapped[Document] = relationship(back_populates="signatures")
    signer_user: Mapped[User | None] = relationship()
    signer_resident: Mapped[Resident | None] = relationship()

    __table_args__ = (
        Index("uq_signatures_signing_token_hash", "signing_token_hash", unique=True),
        Index("ix_signatures_org_document_order", "org_id", "document_id", "signing_order"),
        Index(
            "ix_signatures_org_resident_status",
            "org_id",
            "signer_resident_id",
            "status",
            postgresql_where=text("signer_resident_id IS NOT NULL"),
        ),
        Index(
            "ix_signatures_org_user_status",
            "org_id",
            "signer_user_id",
            "status",
            postgresql_where=text("signer_user_id IS NOT NULL"),
        ),
        Index(
            "ix_signatures_org_email_bidx",
            "org_id",
            "signer_email_bidx",
            postgresql_where=text("signer_email_bidx IS NOT NULL"),
        ),
        CheckConstraint("num_nonnulls(signer_user_id, signer_resident_id) <= 1", name="one_signer_kind"),
        CheckConstraint("signing_order >= 1", name="order_positive"),
        CheckConstraint(
            "signing_token_hash IS NULL OR octet_length(signing_token_hash) = 32", name="token_hash_length"
        ),
        CheckConstraint(
            "signed_content_sha256 IS NULL OR octet_length(signed_content_sha256) = 32",
            name="sha256_length",
        ),
        CheckConstraint(
            "status <> 'signed' OR (signed_at IS NOT NULL AND signed_content_sha256 IS NOT NULL)",
            name="signed_has_evidence",
        ),
        CheckConstraint("status <> 'declined' OR declined_at IS NOT NULL", name="declined_has_time"),
    )


class RetentionPolicy(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """How long records of a type are kept, and why (e.g. state licensing rule, HIPAA 6 years):
    one per document type (`record_type` "document"), one per other record type (a discharged
    resident's record, a breach incident, the audit log; core/contracts/retention.py)."""

    __tablename__ = "retention_policies"

    record_type: Mapped[str] = mapped_column(default="document", server_default="document")
    # Set exactly when record_type is "document".
    document_type: Mapped[DocumentType | None] = mapped_column(pg_enum(DocumentType))
    retain_years: Mapped[int] = mapped_column(SmallInteger)
    # Event the period runs from: "created", "signed", "expired" or "discharge".
    retain_from: Mapped[str] = mapped_column(default="created", server_default="created")
    # Citation / explanation, e.g. "45 CFR 164.316(b)(2): 6 years from creation"; plaintext.
    legal_basis: Mapped[str]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    __table_args__ = (
        Index(
            "uq_retention_policies_org_type_live",
            "org_id",
            "document_type",
            unique=True,
            postgresql_where=LIVE,
        ),
        Index(
            "uq_retention_policies_org_record_type_live",
            "org_id",
            "record_type",
            unique=True,
            postgresql_where=text("record_type <> 'document' AND deleted_at IS NULL"),
        ),
        CheckConstraint("retain_years > 0 AND retain_years <= 100", name="retain_years_range"),
        CheckConstraint(
            "retain_from IN ('created', 'signed', 'expired', 'discharge', 'decided')",
            name="retain_from_known",
        ),
        CheckConstraint(
            "record_type IN ('document', 'resident', 'breach_incident', 'audit_log')",
            name="record_type_known",
        ),
        CheckConstraint(
            "(record_type = 'document') = (document_type IS NOT NULL)", name="document_type_iff_document"
        ),
    )
