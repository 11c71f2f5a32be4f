"""Document version history. Append-only: a new version is a new row, rows are never changed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Encrypted, IdMixin, TenantMixin, encrypted_column

if TYPE_CHECKING:
    from models.documents import Document
    from models.files import FileUpload


class DocumentVersion(IdMixin, TenantMixin, Base):
    __tablename__ = "document_versions"

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))
    version_no: Mapped[int] = mapped_column(Integer)
    # ENCRYPTED: the document body at this version names the resident / treatment (PHI, Part 2)
    content_ct: Mapped[bytes | None] = encrypted_column("content")
    content = Encrypted(str)
    # SHA-256 of the plaintext content at this version.
    content_sha256: Mapped[bytes]
    file_upload_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="SET NULL")
    )
    # ENCRYPTED: staff free text describing the change may quote resident details
    change_summary_ct: Mapped[bytes | None] = encrypted_column("change_summary")
    change_summary = Encrypted(str)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    created_by: Mapped[uuid.UUID | None]
    # Set when a confirmed destruction run erased this version's content (migration 0023).
    erased_at: Mapped[datetime | None]

    document: Mapped[Document] = relationship(back_populates="versions")
    file_upload: Mapped[FileUpload | None] = relationship()

    __table_args__ = (
        UniqueConstraint("document_id", "version_no", name="uq_document_versions_document_version"),
        Index("ix_document_versions_org_document", "org_id", "document_id", "version_no"),
        Index("ix_document_versions_org_created", "org_id", "created_at"),
        CheckConstraint("version_no >= 1", name="version_positive"),
        CheckConstraint("octet_length(content_sha256) = 32", name="sha256_length"),
        CheckConstraint(
            "content IS NOT NULL OR file_upload_id IS NOT NULL OR erased_at IS NOT NULL", name="has_content"
        ),
    )


class SignatureEvent(IdMixin, TenantMixin, Base):
    """The e-sign evidence trail: one row per event of a signature request (sent, reminded,
    viewed, consented, signed, declined, expired, voided, completed). Append-only.

    `sha256_before`/`sha256_after` are the document's evidence hash around the event: the
    content hash chained with every signature so far, so a signature changes it and nothing
    else does."""

    __tablename__ = "signature_events"

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))
    # NULL for events of the whole request (voided, completed).
    signature_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signatures.id", ondelete="RESTRICT"))
    event: Mapped[str]
    occurred_at: Mapped[datetime]
    # The staff member who caused it (sent, voided); NULL for the signer and the system.
    actor_user_id: Mapped[uuid.UUID | None]
    # Role of the signer concerned, e.g. "resident"; not PHI.
    signer_role: Mapped[str | None]
    # ENCRYPTED: network identifiers are PII
    ip_address_ct: Mapped[bytes | None] = encrypted_column("ip_address")
    ip_address = Encrypted(str)
    user_agent: Mapped[str | None]
    sha256_before: Mapped[bytes]
    sha256_after: Mapped[bytes]
    # Deterministic per event (e.g. "<signature_id>:reminded:2"): a retried write is a no-op.
    event_key: Mapped[str]

    __table_args__ = (
        UniqueConstraint("org_id", "event_key", name="uq_signature_events_org_event_key"),
        Index("ix_signature_events_org_document", "org_id", "document_id", "occurred_at"),
        CheckConstraint(
            "event IN ('sent', 'reminded', 'viewed', 'consented', 'signed', 'declined', 'expired', "
            "'voided', 'completed')",
            name="event_known",
        ),
        CheckConstraint(
            "octet_length(sha256_before) = 32 AND octet_length(sha256_after) = 32", name="sha256_length"
        ),
    )
