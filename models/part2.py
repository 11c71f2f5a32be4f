"""Part 2 records that the 2024 rule added or made matter, beside the consents.

- disclosure_restrictions: a resident's §2.26 request to restrict disclosures; enforced when a
  disclosure is recorded. One to a health plan for services paid in full out of pocket must be
  granted.
- counseling_notes: SUD counseling notes (§2.11), kept apart from the rest of the record and
  readable only by their author or under a counseling-notes consent.
- care_team_members: the staff assigned to a resident's care; their `treatment-team` basis lets
  them read the resident's Part 2 fields.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from core.contracts.consent import CounselingSessionKind, RestrictionStatus
from models.base import AuditColumnsMixin, Base, Encrypted, IdMixin, TenantMixin, encrypted_column, pg_enum


class DisclosureRestriction(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    __tablename__ = "disclosure_restrictions"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    requested_at: Mapped[datetime]
    received_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the restriction covers: a recipient class, a named recipient, kinds of information,
    # purposes; an empty list means "any".
    recipient_class: Mapped[str | None] = mapped_column(Text)
    # ENCRYPTED: a named recipient the resident does not want told (reveals treatment ties)
    recipient_ct: Mapped[bytes | None] = encrypted_column("recipient")
    recipient = Encrypted(str)
    information_classes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    purposes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    health_plan_paid_in_full: Mapped[bool] = mapped_column(default=False, server_default="false")
    status: Mapped[RestrictionStatus] = mapped_column(
        pg_enum(RestrictionStatus), default=RestrictionStatus.REQUESTED, server_default="requested"
    )
    decided_at: Mapped[datetime | None]
    decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # ENCRYPTED: why staff granted or denied it, told to the resident
    decision_reason_ct: Mapped[bytes | None] = encrypted_column("decision_reason")
    decision_reason = Encrypted(str)
    terminated_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_disclosure_restrictions_org_resident_status", "org_id", "resident_id", "status"),
        CheckConstraint(
            "NOT (health_plan_paid_in_full AND status = 'denied')", name="paid_in_full_is_granted"
        ),
        CheckConstraint("(status = 'requested') = (decided_at IS NULL)", name="decided_has_time"),
    )


class CounselingNote(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    __tablename__ = "counseling_notes"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    author_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    session_date: Mapped[date] = mapped_column(Date)
    session_kind: Mapped[CounselingSessionKind] = mapped_column(pg_enum(CounselingSessionKind))
    # ENCRYPTED: Part 2 counseling note (the session's content and the counselor's analysis)
    body_ct: Mapped[bytes] = encrypted_column("body", nullable=False)
    body = Encrypted(str)

    __table_args__ = (
        Index("ix_counseling_notes_org_resident_date", "org_id", "resident_id", "session_date"),
    )


class CareTeamMember(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    __tablename__ = "care_team_members"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # e.g. "case_manager", "peer_support", "counselor"
    role: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    ended_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "uq_care_team_members_resident_user_current",
            "resident_id",
            "user_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_care_team_members_org_user", "org_id", "user_id"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )
