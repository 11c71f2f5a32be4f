"""Resident lifecycle tracking: discharges, status history, the waitlist and bed transfers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, text
from sqlalchemy.dialects.postgresql import DATERANGE, ExcludeConstraint, Range
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import DischargeReason, HouseGender, Priority, ResidentStatus, WaitlistStatus
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
    from models.orgs import Bed, House
    from models.residents import Admission, Lead, Resident
    from models.users import User

LIVE = text("deleted_at IS NULL")


class Discharge(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """The end of an admission: when, why, and what happens next for the resident."""

    __tablename__ = "discharges"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    admission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("admissions.id", ondelete="RESTRICT"))
    house_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    bed_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("beds.id", ondelete="SET NULL"))
    discharged_at: Mapped[datetime]
    # Plaintext category for outcome reporting (NARR/state outcome measures); details are encrypted.
    reason: Mapped[DischargeReason] = mapped_column(pg_enum(DischargeReason))
    is_planned: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    discharged_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    eligible_for_readmission: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    readmission_eligible_date: Mapped[date | None] = mapped_column(Date)
    # Date until which left-behind belongings are held before disposal.
    belongings_hold_until_date: Mapped[date | None] = mapped_column(Date)
    # Deposit returned at discharge (the ledger remains the source of truth for balances).
    deposit_refund_cents: Mapped[int | None] = mapped_column(BigInteger)
    # How the stay ended (planned, voluntary, administrative, left_without_notice): plaintext so
    # outcome reports can count it; `reason` is the category, `reason_details` the narrative.
    kind: Mapped[str | None]

    # ENCRYPTED: Part 2 (circumstances of discharge: relapse, violation, medical)
    reason_details_ct: Mapped[bytes | None] = encrypted_column("reason_details")
    reason_details = Encrypted(str)
    # ENCRYPTED: Part 2 / PHI (discharge summary narrative)
    summary_ct: Mapped[bytes | None] = encrypted_column("summary")
    summary = Encrypted(str)
    # ENCRYPTED: Part 2 / PHI (aftercare plan: outpatient program, meetings, MOUD continuation)
    aftercare_plan_ct: Mapped[bytes | None] = encrypted_column("aftercare_plan")
    aftercare_plan = Encrypted(str)
    # ENCRYPTED: Part 2 (receiving provider for a higher level of care)
    referred_to_ct: Mapped[bytes | None] = encrypted_column("referred_to")
    referred_to = Encrypted(str)
    # ENCRYPTED: PII (where the resident is going) {line1, line2, city, state, postal_code}
    forwarding_address_ct: Mapped[bytes | None] = encrypted_column("forwarding_address")
    forwarding_address = Encrypted(dict)
    # ENCRYPTED: PII
    forwarding_phone_ct: Mapped[bytes | None] = encrypted_column("forwarding_phone")
    forwarding_phone = Encrypted(str)

    resident: Mapped[Resident] = relationship(back_populates="discharges")
    admission: Mapped[Admission] = relationship(back_populates="discharges")
    house: Mapped[House] = relationship()
    bed: Mapped[Bed | None] = relationship()
    discharged_by_user: Mapped[User | None] = relationship(foreign_keys=[discharged_by_user_id])
    approved_by_user: Mapped[User | None] = relationship(foreign_keys=[approved_by_user_id])

    __table_args__ = (
        # One discharge per admission.
        Index("uq_discharges_admission_live", "admission_id", unique=True, postgresql_where=LIVE),
        Index("ix_discharges_org_resident", "org_id", "resident_id", "discharged_at"),
        Index("ix_discharges_org_time_live", "org_id", "discharged_at", postgresql_where=LIVE),
        Index("ix_discharges_org_house_reason_live", "org_id", "house_id", "reason", postgresql_where=LIVE),
        CheckConstraint(
            "deposit_refund_cents IS NULL OR deposit_refund_cents >= 0", name="refund_nonnegative"
        ),
        CheckConstraint(
            "kind IS NULL OR kind IN ('planned', 'voluntary', 'administrative', 'left_without_notice')",
            name="kind_known",
        ),
    )


class ResidentStatusHistory(IdMixin, TenantMixin, Base):
    """Append-only log of every resident status change. Rows are never updated or deleted."""

    __tablename__ = "resident_status_history"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    admission_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("admissions.id", ondelete="SET NULL"))
    from_status: Mapped[ResidentStatus | None] = mapped_column(pg_enum(ResidentStatus))
    to_status: Mapped[ResidentStatus] = mapped_column(pg_enum(ResidentStatus))
    occurred_at: Mapped[datetime] = mapped_column(server_default=text("clock_timestamp()"))
    # Plain UUID like the audit columns: NULL means the system (a workflow) made the change.
    changed_by: Mapped[uuid.UUID | None] = mapped_column(PG_UUID(as_uuid=True))
    # "user", "system", "workflow:<type>"
    source: Mapped[str] = mapped_column(default="user", server_default=text("'user'"))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))

    # ENCRYPTED: free-text reason for the change (may reference relapse, violations, health)
    reason_ct: Mapped[bytes | None] = encrypted_column("reason")
    reason = Encrypted(str)

    resident: Mapped[Resident] = relationship(back_populates="status_history")
    admission: Mapped[Admission | None] = relationship()

    __table_args__ = (
        Index("ix_resident_status_history_org_resident", "org_id", "resident_id", "occurred_at"),
        Index("ix_resident_status_history_org_to_status", "org_id", "to_status", "occurred_at"),
        CheckConstraint("from_status IS DISTINCT FROM to_status", name="status_changes"),
    )


class WaitlistEntry(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A lead (or a returning resident) waiting for a bed, optionally at a preferred house."""

    __tablename__ = "waitlist_entries"

    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="SET NULL"))
    housing_gender: Mapped[HouseGender | None] = mapped_column(pg_enum(HouseGender))
    status: Mapped[WaitlistStatus] = mapped_column(pg_enum(WaitlistStatus), default=WaitlistStatus.WAITING)
    priority: Mapped[Priority] = mapped_column(pg_enum(Priority), default=Priority.NORMAL)
    added_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    requested_move_in_date: Mapped[date | None] = mapped_column(Date)
    offered_bed_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("beds.id", ondelete="SET NULL"))
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    placed_at: Mapped[datetime | None]
    admission_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("admissions.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime | None]

    # ENCRYPTED: free-text reason for removal from the waitlist
    removal_reason_ct: Mapped[bytes | None] = encrypted_column("removal_reason")
    removal_reason = Encrypted(str)
    # ENCRYPTED: free-text notes (urgency, treatment discharge date, housing situation)
    notes_ct: Mapped[bytes | None] = encrypted_column("notes")
    notes = Encrypted(str)

    lead: Mapped[Lead | None] = relationship(back_populates="waitlist_entries")
    resident: Mapped[Resident | None] = relationship()
    house: Mapped[House | None] = relationship()
    offered_bed: Mapped[Bed | None] = relationship()
    admission: Mapped[Admission | None] = relationship()

    __table_args__ = (
        # The queue: by house, then priority, then first come first served.
        Index(
            "ix_waitlist_entries_org_queue",
            "org_id",
            "house_id",
            "priority",
            "added_at",
            postgresql_where=text("status IN ('waiting', 'offered') AND deleted_at IS NULL"),
        ),
        Index("ix_waitlist_entries_org_status_live", "org_id", "status", postgresql_where=LIVE),
        # A person holds at most one open waitlist entry.
        Index(
            "uq_waitlist_entries_lead_open",
            "lead_id",
            unique=True,
            postgresql_where=text(
                "lead_id IS NOT NULL AND status IN ('waiting', 'offered') AND deleted_at IS NULL"
            ),
        ),
        Index(
            "uq_waitlist_entries_resident_open",
            "resident_id",
            unique=True,
            postgresql_where=text(
                "resident_id IS NOT NULL AND status IN ('waiting', 'offered') AND deleted_at IS NULL"
            ),
        ),
        # A bed is offered to at most one waiting person at a time.
        Index(
            "uq_waitlist_entries_offered_bed",
            "offered_bed_id",
            unique=True,
            postgresql_where=text("offered_bed_id IS NOT NULL AND status = 'offered' AND deleted_at IS NULL"),
        ),
        CheckConstraint("lead_id IS NOT NULL OR resident_id IS NOT NULL", name="has_person"),
        CheckConstraint(
            "offer_expires_at IS NULL OR offered_at IS NULL OR offer_expires_at > offered_at",
            name="offer_window",
        ),
    )


class BedTransfer(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A move of a resident from one bed to another during an admission (possibly across houses)."""

    __tablename__ = "bed_transfers"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    admission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("admissions.id", ondelete="RESTRICT"))
    from_bed_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beds.id", ondelete="RESTRICT"))
    to_bed_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beds.id", ondelete="RESTRICT"))
    from_house_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    to_house_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    # When the move is (to be) effective; completed_at is set once the resident has moved.
    effective_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The new rate when the move changes it (e.g. single to shared room); NULL = unchanged.
    new_weekly_rate_cents: Mapped[int | None] = mapped_column(BigInteger)

    # ENCRYPTED: free-text reason (conflict, accommodation, phase change, health)
    reason_ct: Mapped[bytes | None] = encrypted_column("reason")
    reason = Encrypted(str)

    resident: Mapped[Resident] = relationship(back_populates="bed_transfers")
    admission: Mapped[Admission] = relationship(back_populates="bed_transfers")
    from_bed: Mapped[Bed] = relationship(foreign_keys=[from_bed_id])
    to_bed: Mapped[Bed] = relationship(foreign_keys=[to_bed_id])
    from_house: Mapped[House] = relationship(foreign_keys=[from_house_id])
    to_house: Mapped[House] = relationship(foreign_keys=[to_house_id])
    requested_by_user: Mapped[User | None] = relationship(foreign_keys=[requested_by_user_id])
    approved_by_user: Mapped[User | None] = relationship(foreign_keys=[approved_by_user_id])

    __table_args__ = (
        Index("ix_bed_transfers_org_resident", "org_id", "resident_id", "effective_at"),
        Index(
            "ix_bed_transfers_org_to_bed_live", "org_id", "to_bed_id", "effective_at", postgresql_where=LIVE
        ),
        Index(
            "ix_bed_transfers_org_from_bed_live",
            "org_id",
            "from_bed_id",
            "effective_at",
            postgresql_where=LIVE,
        ),
        Index(
            "ix_bed_transfers_org_pending",
            "org_id",
            "effective_at",
            postgresql_where=text("completed_at IS NULL AND cancelled_at IS NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint("from_bed_id <> to_bed_id", name="different_beds"),
        CheckConstraint(
            "new_weekly_rate_cents IS NULL OR new_weekly_rate_cents >= 0", name="rate_nonnegative"
        ),
        CheckConstraint(
            "NOT (completed_at IS NOT NULL AND cancelled_at IS NOT NULL)", name="completed_xor_cancelled"
        ),
    )


class BedOccupancy(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """A bed held by one admission for a range of days: a stay, a future reservation or the
    destination of a transfer. PostgreSQL refuses two overlapping ranges on one bed, so a bed
    can never be double-booked, whatever the order or concurrency of the writes.

    `during` is a half-open date range [first night, day the bed is free again); an open upper
    bound means "until discharge". Releasing a bed closes the range; rows are never deleted.
    """

    __tablename__ = "bed_occupancies"

    bed_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beds.id", ondelete="RESTRICT"))
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    admission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("admissions.id", ondelete="RESTRICT"))
    during: Mapped[Range[date]] = mapped_column(DATERANGE)

    bed: Mapped[Bed] = relationship()
    resident: Mapped[Resident] = relationship()
    admission: Mapped[Admission] = relationship()

    __table_args__ = (
        ExcludeConstraint(
            ("bed_id", "="), ("during", "&&"), name="ex_bed_occupancies_bed_id_during", using="gist"
        ),
        Index("ix_bed_occupancies_org_admission", "org_id", "admission_id"),
        CheckConstraint("NOT lower_inf(during)", name="starts"),
    )
