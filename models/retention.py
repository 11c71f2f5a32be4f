"""Legal holds and destruction runs (retention and destruction; migration 0023).

A hold's reasons are encrypted: they name litigation or an investigation about a person. A
destruction run keeps ids and counts only, never what the records said.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import AuditColumnsMixin, Base, Encrypted, IdMixin, TenantMixin, encrypted_column


class LegalHold(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """Suspends destruction of one resident's records or one breach incident (and the records
    of the residents it affected) from `placed_at` until `lifted_at`."""

    __tablename__ = "legal_holds"

    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    breach_incident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("breach_incidents.id", ondelete="RESTRICT")
    )
    # ENCRYPTED: why (a lawsuit, a subpoena, an investigation) names the person it is about
    reason_ct: Mapped[bytes] = encrypted_column("reason", nullable=False)
    reason = Encrypted(str)
    placed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    placed_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    lifted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # ENCRYPTED: as the reason it was placed
    lift_reason_ct: Mapped[bytes | None] = encrypted_column("lift_reason")
    lift_reason = Encrypted(str)

    __table_args__ = (
        Index(
            "ix_legal_holds_org_resident_active",
            "org_id",
            "resident_id",
            postgresql_where=text("lifted_at IS NULL AND resident_id IS NOT NULL"),
        ),
        Index(
            "ix_legal_holds_org_incident_active",
            "org_id",
            "breach_incident_id",
            postgresql_where=text("lifted_at IS NULL AND breach_incident_id IS NOT NULL"),
        ),
        CheckConstraint("num_nonnulls(resident_id, breach_incident_id) = 1", name="one_subject"),
        CheckConstraint("lifted_at IS NULL OR lift_reason IS NOT NULL", name="lifted_has_reason"),
    )


class DestructionRun(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """One org's retention run of one day: the dry-run listing (ids per record type), then a
    named person's confirmation, what was destroyed and what a hold placed since then saved,
    and the certificate's digest. The id is derived from (org, day), so a day runs once."""

    __tablename__ = "destruction_runs"

    run_on: Mapped[date] = mapped_column(Date)
    # listed → confirmed → destroyed; or declined, or lapsed when nobody confirmed in time.
    status: Mapped[str]
    # record type → [ids]; what the dry run found past its period and not held.
    listing: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    destroyed: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    skipped: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    workflow_id: Mapped[str | None]
    listed_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    confirmed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT")
    )
    destroyed_at: Mapped[datetime | None]
    certificate_sha256: Mapped[bytes | None]

    __table_args__ = (
        UniqueConstraint("org_id", "run_on"),
        CheckConstraint(
            "status IN ('listed', 'confirmed', 'destroyed', 'declined', 'lapsed')", name="status_known"
        ),
        CheckConstraint(
            "status NOT IN ('confirmed', 'destroyed') OR confirmed_at IS NOT NULL", name="confirmed_has_time"
        ),
        CheckConstraint(
            "certificate_sha256 IS NULL OR octet_length(certificate_sha256) = 32", name="sha256_length"
        ),
    )
