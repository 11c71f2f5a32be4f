"""Objects in S3-compatible storage. The object key is opaque (a random id, never a name);
the user's original filename is encrypted because it often contains the resident's name."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import FileScanStatus
from models.base import (
    AuditColumnsMixin,
    Base,
    Encrypted,
    IdMixin,
    SoftDeleteMixin,
    TenantMixin,
    encrypted_column,
    pg_enum,
)

if TYPE_CHECKING:
    from models.residents import Resident
    from models.users import User

LIVE = text("deleted_at IS NULL")


class FileUpload(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "file_uploads"

    bucket: Mapped[str]
    # Opaque object key (e.g. "<org_id>/<uuid>"); must contain no PHI.
    storage_key: Mapped[str]
    # ENCRYPTED: filenames often carry names, DOBs or test results ("jdoe_UA_positive.pdf")
    original_filename_ct: Mapped[bytes] = encrypted_column("original_filename", nullable=False)
    original_filename = Encrypted(str)
    content_type: Mapped[str]
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # SHA-256 of the content, for integrity checks and de-duplication.
    sha256: Mapped[bytes]
    scan_status: Mapped[FileScanStatus] = mapped_column(
        pg_enum(FileScanStatus), default=FileScanStatus.PENDING
    )
    scanned_at: Mapped[datetime | None]
    # Null for uploads made by an integration / API key.
    uploaded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    # Part 2 record: downloads require consent checks and the §2.32 notice.
    is_part2: Mapped[bool] = mapped_column(default=False)

    uploaded_by_user: Mapped[User | None] = relationship()
    resident: Mapped[Resident | None] = relationship(foreign_keys=[resident_id])

    __table_args__ = (
        # Not partial: an object key is never reused, even after the row is soft-deleted.
        Index("uq_file_uploads_bucket_key", "bucket", "storage_key", unique=True),
        Index(
            "ix_file_uploads_org_resident_live", "org_id", "resident_id", "created_at", postgresql_where=LIVE
        ),
        # Work queue for the malware scanner.
        Index(
            "ix_file_uploads_org_scan_pending",
            "org_id",
            "created_at",
            postgresql_where=text("scan_status = 'pending' AND deleted_at IS NULL"),
        ),
        Index("ix_file_uploads_org_sha256", "org_id", "sha256"),
        CheckConstraint("size_bytes >= 0", name="size_nonnegative"),
        CheckConstraint("octet_length(sha256) = 32", name="sha256_length"),
        CheckConstraint("scan_status = 'pending' OR scanned_at IS NOT NULL", name="scanned_has_scanned_at"),
    )
