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

    document: Mapped[Document] = relationship(back_populates="versions")
    file_upload: Mapped[FileUpload | None] = relationship()

    __table_args__ = (
        UniqueConstraint("document_id", "version_no", name="uq_document_versions_document_version"),
        Index("ix_document_versions_org_document", "org_id", "document_id", "version_no"),
        Index("ix_document_versions_org_created", "org_id", "created_at"),
        CheckConstraint("version_no >= 1", name="version_positive"),
        CheckConstraint("octet_length(content_sha256) = 32", name="sha256_length"),
        CheckConstraint("content IS NOT NULL OR file_upload_id IS NOT NULL", name="has_content"),
    )
