"""Patient rights requests and emergency ("break-glass") access.

- disclosure_accounting_requests: a resident asks for the list of disclosures of their records
  (42 CFR §2.24, HIPAA 164.528; answer within 60 days, one 30-day extension).
- data_access_requests: access / amendment / restriction / confidential-communication requests
  (HIPAA 164.522-526; access due within 30 days, one 30-day extension).
- break_glass_events: a user bypassed normal access rules to reach a resident's record in an
  emergency (§2.51 medical emergencies). Append-only except the after-the-fact review.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import BreakGlassReviewOutcome, DataAccessRequestType, RequestStatus
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
    from models.files import FileUpload
    from models.residents import Resident
    from models.users import User

LIVE = text("deleted_at IS NULL")
OPEN_LIVE = text("status IN ('received', 'in_progress') AND deleted_at IS NULL")


class DisclosureAccountingRequest(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "disclosure_accounting_requests"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    # Staff member who logged the request (the resident may have asked in person or by mail).
    received_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime]
    due_at: Mapped[datetime]
    status: Mapped[RequestStatus] = mapped_column(pg_enum(RequestStatus), default=RequestStatus.RECEIVED)
    period_start_date: Mapped[date] = mapped_column(Date)
    period_end_date: Mapped[date] = mapped_column(Date)
    fulfilled_at: Mapped[datetime | None]
    # The accounting sent to the resident (PDF in file storage).
    response_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="RESTRICT")
    )
    # ENCRYPTED: free-text staff notes about the resident's request
    notes_ct: Mapped[bytes | None] = encrypted_column("notes")
    notes = Encrypted(str)
    # One 30-day extension, told to the resident in writing with a reason before the first deadline.
    extended_due_at: Mapped[datetime | None]
    # ENCRYPTED: the reason given to the resident for the extension
    extension_reason_ct: Mapped[bytes | None] = encrypted_column("extension_reason")
    extension_reason = Encrypted(str)
    extension_sent_at: Mapped[datetime | None]
    # The first accounting in any 12 months is free (164.528(c)(2)).
    fee_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    resident: Mapped[Resident] = relationship()
    received_by_user: Mapped[User | None] = relationship()
    response_file: Mapped[FileUpload | None] = relationship()

    __table_args__ = (
        # Open requests by due date (compliance dashboard, overdue alerts).
        Index(
            "ix_disclosure_accounting_requests_org_open_due", "org_id", "due_at", postgresql_where=OPEN_LIVE
        ),
        Index(
            "ix_disclosure_accounting_requests_org_resident_live",
            "org_id",
            "resident_id",
            "requested_at",
            postgresql_where=LIVE,
        ),
        CheckConstraint("period_end_date >= period_start_date", name="period_ordered"),
        CheckConstraint("due_at >= requested_at", name="due_after_requested"),
        # 60 days plus at most one 30-day extension.
        CheckConstraint("due_at <= requested_at + interval '90 days'", name="due_within_90_days"),
        CheckConstraint(
            "status <> 'fulfilled' OR fulfilled_at IS NOT NULL", name="fulfilled_has_fulfilled_at"
        ),
        CheckConstraint(
            "extended_due_at IS NULL OR (extended_due_at > due_at AND extended_due_at <= due_at + interval"
            " '30 days' AND extension_reason IS NOT NULL AND extension_sent_at IS NOT NULL"
            " AND extension_sent_at <= due_at)",
            name="one_30_day_extension",
        ),
    )


class DataAccessRequest(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "data_access_requests"

    request_type: Mapped[DataAccessRequestType] = mapped_column(pg_enum(DataAccessRequestType))
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    received_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime]
    # requested_at + 30 days for access (164.524(b)(2)), + 60 days for amendment (164.526(b)(2)).
    due_at: Mapped[datetime]
    # One 30-day extension with written notice to the resident.
    extended_due_at: Mapped[datetime | None]
    status: Mapped[RequestStatus] = mapped_column(pg_enum(RequestStatus), default=RequestStatus.RECEIVED)
    fulfilled_at: Mapped[datetime | None]
    response_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="RESTRICT")
    )
    # ENCRYPTED: what the resident asked for / wants amended, describes their records
    details_ct: Mapped[bytes | None] = encrypted_column("details")
    details = Encrypted(str)
    # ENCRYPTED: free-text reason, may discuss clinical judgment about the resident
    denial_reason_ct: Mapped[bytes | None] = encrypted_column("denial_reason")
    denial_reason = Encrypted(str)

    # --- the AccessRequest workflow's record (migration 0021) ---
    # ENCRYPTED: the written reason for the one extension (164.524(b)(2)(ii)); may discuss records
    extension_reason_ct: Mapped[bytes | None] = encrypted_column("extension_reason")
    extension_reason = Encrypted(str)
    # When the resident was given that reason in writing (before the first deadline).
    extension_notified_at: Mapped[datetime | None]
    # Grounds of a denial (164.524(a)(2) unreviewable, (a)(3) reviewable) and whether review is open.
    denial_ground: Mapped[str | None]
    denial_reviewable: Mapped[bool | None]
    # The export (JSON and PDF) and the denial letter, by their digests (files under derived keys).
    export_json_sha256: Mapped[bytes | None]
    export_pdf_sha256: Mapped[bytes | None]
    letter_sha256: Mapped[bytes | None]
    # The download link's expiry (the link itself is never stored).
    link_expires_at: Mapped[datetime | None]
    # Amendment (164.526): the resident field to change, if the request names one (plain: a
    # column name), and the value asked for.
    amendment_field: Mapped[str | None]
    # ENCRYPTED: the corrected value the resident asked for
    amendment_value_ct: Mapped[bytes | None] = encrypted_column("amendment_value")
    amendment_value = Encrypted(str)
    # ENCRYPTED: the people the resident named to be told of an accepted amendment (164.526(c)(3))
    notify_addresses_ct: Mapped[bytes | None] = encrypted_column("notify_addresses")
    notify_addresses = Encrypted(list)
    notified_at: Mapped[datetime | None]
    # ENCRYPTED: the resident's statement of disagreement with a denial (164.526(d)(1)(ii)); kept with
    # the record and in every later export of it
    disagreement_ct: Mapped[bytes | None] = encrypted_column("disagreement")
    disagreement = Encrypted(str)
    disagreement_at: Mapped[datetime | None]

    resident: Mapped[Resident] = relationship()
    received_by_user: Mapped[User | None] = relationship()
    response_file: Mapped[FileUpload | None] = relationship()

    __table_args__ = (
        Index(
            "ix_data_access_requests_org_open_due",
            "org_id",
            text("coalesce(extended_due_at, due_at)"),
            postgresql_where=OPEN_LIVE,
        ),
        Index(
            "ix_data_access_requests_org_resident_live",
            "org_id",
            "resident_id",
            "requested_at",
            postgresql_where=LIVE,
        ),
        Index(
            "ix_data_access_requests_org_type_status_live",
            "org_id",
            "request_type",
            "status",
            postgresql_where=LIVE,
        ),
        # Access 30 days (164.524(b)(2)); amendment 60 days (164.526(b)(2)).
        CheckConstraint(
            "due_at >= requested_at AND due_at <= requested_at"
            " + CASE WHEN request_type = 'amendment' THEN interval '60 days' ELSE interval '30 days' END",
            name="due_within_deadline",
        ),
        CheckConstraint(
            "extended_due_at IS NULL"
            " OR (extended_due_at > due_at AND extended_due_at <= due_at + interval '30 days')",
            name="one_30_day_extension",
        ),
        CheckConstraint("status <> 'denied' OR denial_reason IS NOT NULL", name="denied_has_reason"),
        CheckConstraint(
            "extended_due_at IS NULL OR extension_reason IS NOT NULL", name="extension_has_written_reason"
        ),
        CheckConstraint(
            "status <> 'fulfilled' OR fulfilled_at IS NOT NULL", name="fulfilled_has_fulfilled_at"
        ),
    )


class BreakGlassEvent(IdMixin, TenantMixin, Base):
    """Emergency access grant. Only reviewed_by/reviewed_at/review_outcome/review_notes change."""

    __tablename__ = "break_glass_events"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    # ENCRYPTED: the emergency described (overdose, medical crisis), clinical
    reason_ct: Mapped[bytes] = encrypted_column("reason", nullable=False)
    reason = Encrypted(str)
    occurred_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    # End of the emergency access window.
    expires_at: Mapped[datetime]
    # Nobody reviewed it within 24 hours: the org owner was told.
    escalated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))

    reviewed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reviewed_at: Mapped[datetime | None]
    review_outcome: Mapped[BreakGlassReviewOutcome | None] = mapped_column(pg_enum(BreakGlassReviewOutcome))
    # ENCRYPTED: reviewer's free-text findings about the access and the emergency
    review_notes_ct: Mapped[bytes | None] = encrypted_column("review_notes")
    review_notes = Encrypted(str)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    resident: Mapped[Resident] = relationship()
    reviewed_by_user: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_user_id])

    __table_args__ = (
        # Does this user hold a live grant for this resident? (checked on every access)
        Index(
            "ix_break_glass_events_org_user_resident_expires",
            "org_id",
            "user_id",
            "resident_id",
            "expires_at",
        ),
        Index("ix_break_glass_events_org_resident_time", "org_id", "resident_id", "occurred_at"),
        # Compliance officer's review queue.
        Index(
            "ix_break_glass_events_org_unreviewed",
            "org_id",
            "occurred_at",
            postgresql_where=text("reviewed_at IS NULL"),
        ),
        CheckConstraint("expires_at > occurred_at", name="expires_after_occurred"),
        CheckConstraint(
            "(reviewed_at IS NULL AND review_outcome IS NULL AND reviewed_by_user_id IS NULL)"
            " OR (reviewed_at IS NOT NULL AND review_outcome IS NOT NULL"
            " AND reviewed_by_user_id IS NOT NULL)",
            name="review_all_or_nothing",
        ),
        CheckConstraint(
            "reviewed_by_user_id IS NULL OR reviewed_by_user_id <> user_id", name="no_self_review"
        ),
    )
