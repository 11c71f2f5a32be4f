"""Extended house operations: chore templates, meeting types and requirements, curfew
check-ins, maintenance, vehicles, wellness check-ins and clinical assessments.

Finding F5: wellness_check_ins.mood_rating (and every other wellness answer) is encrypted;
range checks on encrypted ratings are enforced in the application, not in SQL.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import CheckInStatus, ChoreFrequency, MaintenanceStatus, MeetingKind, Priority
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
    from models.compliance import Consent
    from models.files import FileUpload
    from models.operations import Chore, CurfewConfig, Incident, Pass
    from models.orgs import House, Room
    from models.residents import Admission, Resident
    from models.users import User

LIVE = text("deleted_at IS NULL")
NIL_UUID = "'00000000-0000-0000-0000-000000000000'::uuid"


def normalize_plate(value: str) -> str:
    """Licence plates compare case- and punctuation-insensitively ("abc-123" == "ABC 123")."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


class ChoreTemplate(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A reusable chore definition (org-wide, or for one house) from which chores are created."""

    __tablename__ = "chore_templates"

    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="CASCADE"))
    name: Mapped[str]
    description: Mapped[str | None]
    area: Mapped[str | None]
    frequency: Mapped[ChoreFrequency] = mapped_column(pg_enum(ChoreFrequency), default=ChoreFrequency.WEEKLY)
    default_points: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    # Steps shown to the resident, e.g. ["wipe counters", "mop floor"]; no resident data.
    checklist: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'::jsonb"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))

    house: Mapped[House | None] = relationship()
    chores: Mapped[list[Chore]] = relationship(back_populates="template")

    __table_args__ = (
        Index("ix_chore_templates_org_house_live", "org_id", "house_id", postgresql_where=LIVE),
        Index(
            "uq_chore_templates_scope_name_live",
            "org_id",
            text(f"coalesce(house_id, {NIL_UUID})"),
            "name",
            unique=True,
            postgresql_where=LIVE,
        ),
        CheckConstraint("default_points >= 0", name="points_nonnegative"),
        CheckConstraint("estimated_minutes IS NULL OR estimated_minutes > 0", name="minutes_positive"),
    )


class MeetingType(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """An org-defined meeting type (e.g. "Home group (AA)", "Weekly house meeting")."""

    __tablename__ = "meeting_types"

    name: Mapped[str]
    kind: Mapped[MeetingKind] = mapped_column(pg_enum(MeetingKind))
    description: Mapped[str | None]
    counts_toward_requirement: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    requires_proof: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    default_duration_minutes: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))

    __table_args__ = (
        Index("uq_meeting_types_org_name_live", "org_id", "name", unique=True, postgresql_where=LIVE),
        Index("ix_meeting_types_org_kind_live", "org_id", "kind", postgresql_where=LIVE),
        CheckConstraint(
            "default_duration_minutes IS NULL OR default_duration_minutes > 0", name="duration_positive"
        ),
    )


class MeetingRequirement(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """How many meetings residents must attend per period.

    Scope: org-wide (house_id and resident_id NULL), a house, or one resident (e.g. a
    court-ordered "90 in 90"). Type: a specific meeting type, a kind, or any meeting.
    """

    __tablename__ = "meeting_requirements"

    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="CASCADE"))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    meeting_type_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("meeting_types.id", ondelete="CASCADE")
    )
    kind: Mapped[MeetingKind | None] = mapped_column(pg_enum(MeetingKind))
    required_count: Mapped[int] = mapped_column(Integer)
    period_days: Mapped[int] = mapped_column(Integer, default=7, server_default=text("7"))
    # Phase window in days since move-in; NULL max = no upper bound.
    min_days_in_residence: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    max_days_in_residence: Mapped[int | None] = mapped_column(Integer)
    effective_from_date: Mapped[date] = mapped_column(Date)
    effective_until_date: Mapped[date | None] = mapped_column(Date)

    # ENCRYPTED: sensitive (resident-specific basis, e.g. court order or treatment plan)
    reason_ct: Mapped[bytes | None] = encrypted_column("reason")
    reason = Encrypted(str)

    house: Mapped[House | None] = relationship()
    resident: Mapped[Resident | None] = relationship()
    meeting_type: Mapped[MeetingType | None] = relationship()

    __table_args__ = (
        Index("ix_meeting_requirements_org_house_live", "org_id", "house_id", postgresql_where=LIVE),
        Index(
            "ix_meeting_requirements_org_resident_live",
            "org_id",
            "resident_id",
            postgresql_where=text("resident_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint("required_count > 0", name="count_positive"),
        CheckConstraint("period_days > 0", name="period_positive"),
        CheckConstraint(
            "min_days_in_residence >= 0 AND (max_days_in_residence IS NULL "
            "OR max_days_in_residence > min_days_in_residence)",
            name="phase_window",
        ),
        CheckConstraint(
            "effective_until_date IS NULL OR effective_until_date >= effective_from_date",
            name="effective_range",
        ),
    )


class CurfewCheckIn(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """One resident's curfew for one night: when they were due and when they checked in."""

    __tablename__ = "curfew_check_ins"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    house_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    curfew_config_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("curfew_configs.id", ondelete="SET NULL")
    )
    # The evening the curfew belongs to (a 00:30 check-in counts for the previous night).
    curfew_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime]
    checked_in_at: Mapped[datetime | None]
    status: Mapped[CheckInStatus] = mapped_column(pg_enum(CheckInStatus))
    # "in_person", "app", "phone", "kiosk"
    method: Mapped[str | None]
    verified_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Excused because the resident was out on an approved pass.
    pass_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("passes.id", ondelete="SET NULL"))
    # Incident raised for a missed/late curfew.
    incident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))

    # ENCRYPTED: PII (geolocation of a person at check-in) {lat, lng, accuracy_m}
    location_ct: Mapped[bytes | None] = encrypted_column("location")
    location = Encrypted(dict)
    # ENCRYPTED: free-text excuse (work shift, hospital, court)
    excuse_reason_ct: Mapped[bytes | None] = encrypted_column("excuse_reason")
    excuse_reason = Encrypted(str)

    resident: Mapped[Resident] = relationship()
    house: Mapped[House] = relationship()
    curfew_config: Mapped[CurfewConfig | None] = relationship()
    verified_by_user: Mapped[User | None] = relationship()
    pass_: Mapped[Pass | None] = relationship()
    incident: Mapped[Incident | None] = relationship()

    __table_args__ = (
        Index(
            "uq_curfew_check_ins_resident_date_live",
            "resident_id",
            "curfew_date",
            unique=True,
            postgresql_where=LIVE,
        ),
        Index(
            "ix_curfew_check_ins_org_house_date", "org_id", "house_id", "curfew_date", postgresql_where=LIVE
        ),
        Index(
            "ix_curfew_check_ins_org_violations",
            "org_id",
            "curfew_date",
            postgresql_where=text("status IN ('late', 'missed') AND deleted_at IS NULL"),
        ),
        CheckConstraint("status <> 'on_time' OR checked_in_at IS NOT NULL", name="on_time_has_time"),
    )


class MaintenanceRequest(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A repair or upkeep request for a house (shareable with vendors: keep PHI in internal_notes)."""

    __tablename__ = "maintenance_requests"

    house_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    room_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"))
    # "plumbing", "electrical", "hvac", "appliance", "pest", "structural", "other"
    category: Mapped[str]
    title: Mapped[str]
    description: Mapped[str | None]
    priority: Mapped[Priority] = mapped_column(pg_enum(Priority), default=Priority.NORMAL)
    status: Mapped[MaintenanceStatus] = mapped_column(
        pg_enum(MaintenanceStatus), default=MaintenanceStatus.REPORTED
    )
    reported_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reported_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    assigned_to_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A business, not a person: plaintext.
    vendor_name: Mapped[str | None]
    scheduled_for: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    entry_permitted: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    estimated_cost_cents: Mapped[int | None] = mapped_column(BigInteger)
    actual_cost_cents: Mapped[int | None] = mapped_column(BigInteger)
    # Damage charged back to a resident (billed through invoices).
    chargeback_resident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    photo_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="SET NULL")
    )

    # ENCRYPTED: free-text staff notes (may say who caused damage and in what circumstances)
    internal_notes_ct: Mapped[bytes | None] = encrypted_column("internal_notes")
    internal_notes = Encrypted(str)

    house: Mapped[House] = relationship(back_populates="maintenance_requests")
    room: Mapped[Room | None] = relationship()
    reported_by_user: Mapped[User | None] = relationship(foreign_keys=[reported_by_user_id])
    assigned_to_user: Mapped[User | None] = relationship(foreign_keys=[assigned_to_user_id])
    chargeback_resident: Mapped[Resident | None] = relationship()
    photo_file: Mapped[FileUpload | None] = relationship()

    __table_args__ = (
        Index(
            "ix_maintenance_requests_org_house_status", "org_id", "house_id", "status", postgresql_where=LIVE
        ),
        Index(
            "ix_maintenance_requests_org_open_priority",
            "org_id",
            "priority",
            "reported_at",
            postgresql_where=text("status NOT IN ('resolved', 'closed') AND deleted_at IS NULL"),
        ),
        Index(
            "ix_maintenance_requests_org_assignee_status",
            "org_id",
            "assigned_to_user_id",
            "status",
            postgresql_where=LIVE,
        ),
        CheckConstraint(
            "estimated_cost_cents IS NULL OR estimated_cost_cents >= 0", name="estimate_nonnegative"
        ),
        CheckConstraint("actual_cost_cents IS NULL OR actual_cost_cents >= 0", name="cost_nonnegative"),
        CheckConstraint("resolved_at IS NULL OR resolved_at >= reported_at", name="resolved_after_reported"),
    )


class Vehicle(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A vehicle on the property: a resident's registered car, or an org-owned house van."""

    __tablename__ = "vehicles"

    # NULL for org-owned vehicles.
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="SET NULL"))
    is_org_owned: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    make: Mapped[str | None]
    model: Mapped[str | None]
    year: Mapped[int | None] = mapped_column(Integer)
    color: Mapped[str | None]
    parking_spot: Mapped[str | None]
    registration_expires_date: Mapped[date | None] = mapped_column(Date)
    insurance_expires_date: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))

    # ENCRYPTED: PII (identifies the owner); blind index so staff can look up a parked car
    license_plate_ct: Mapped[bytes | None] = encrypted_column("license_plate")
    license_plate_bidx: Mapped[bytes | None] = blind_index_column("license_plate")
    license_plate = Encrypted(str, blind=normalize_plate)
    # ENCRYPTED: PII (identifies the owner)
    license_plate_state_ct: Mapped[bytes | None] = encrypted_column("license_plate_state")
    license_plate_state = Encrypted(str)
    # ENCRYPTED: PII (identifies the owner)
    vin_ct: Mapped[bytes | None] = encrypted_column("vin")
    vin = Encrypted(str)
    # ENCRYPTED: PII (policy number of a person)
    insurance_policy_number_ct: Mapped[bytes | None] = encrypted_column("insurance_policy_number")
    insurance_policy_number = Encrypted(str)
    # ENCRYPTED: free-text notes
    notes_ct: Mapped[bytes | None] = encrypted_column("notes")
    notes = Encrypted(str)

    resident: Mapped[Resident | None] = relationship(back_populates="vehicles")
    house: Mapped[House | None] = relationship()

    __table_args__ = (
        Index("ix_vehicles_org_resident_live", "org_id", "resident_id", postgresql_where=LIVE),
        Index("ix_vehicles_org_house_live", "org_id", "house_id", postgresql_where=LIVE),
        Index("ix_vehicles_org_plate_bidx", "org_id", "license_plate_bidx"),
        Index(
            "ix_vehicles_org_registration_expiry",
            "org_id",
            "registration_expires_date",
            postgresql_where=text("is_active AND deleted_at IS NULL"),
        ),
        CheckConstraint("is_org_owned = (resident_id IS NULL)", name="owner_xor"),
        CheckConstraint("year IS NULL OR year BETWEEN 1900 AND 2100", name="year_range"),
    )


class WellnessCheckIn(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A resident's self-reported wellness survey (mood, cravings, sleep, stress).

    All answers are Part 2 data and encrypted (finding F5). Ratings are 1-10; the range is
    validated in the application because SQL cannot see inside the ciphertext.
    """

    __tablename__ = "wellness_check_ins"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="SET NULL"))
    check_in_date: Mapped[date] = mapped_column(Date)
    submitted_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    # The resident themselves, or staff entering it on their behalf.
    submitted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # The resident asked to talk to staff; drives the follow-up queue without revealing answers.
    follow_up_requested: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    reviewed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]

    # ENCRYPTED: Part 2 / PHI (finding F5: mood rating 1-10)
    mood_rating_ct: Mapped[bytes | None] = encrypted_column("mood_rating")
    mood_rating = Encrypted(int)
    # ENCRYPTED: Part 2 (craving intensity 0-10)
    craving_rating_ct: Mapped[bytes | None] = encrypted_column("craving_rating")
    craving_rating = Encrypted(int)
    # ENCRYPTED: PHI (stress level 1-10)
    stress_rating_ct: Mapped[bytes | None] = encrypted_column("stress_rating")
    stress_rating = Encrypted(int)
    # ENCRYPTED: PHI (sleep quality 1-10)
    sleep_rating_ct: Mapped[bytes | None] = encrypted_column("sleep_rating")
    sleep_rating = Encrypted(int)
    # ENCRYPTED: Part 2 / PHI (other survey answers: triggers, gratitude, meetings, medication taken)
    responses_ct: Mapped[bytes | None] = encrypted_column("responses")
    responses = Encrypted(dict)
    # ENCRYPTED: free-text notes by the resident
    notes_ct: Mapped[bytes | None] = encrypted_column("notes")
    notes = Encrypted(str)
    # ENCRYPTED: free-text notes by the reviewing staff member
    staff_notes_ct: Mapped[bytes | None] = encrypted_column("staff_notes")
    staff_notes = Encrypted(str)

    resident: Mapped[Resident] = relationship(back_populates="wellness_check_ins")
    house: Mapped[House | None] = relationship()
    submitted_by_user: Mapped[User | None] = relationship(foreign_keys=[submitted_by_user_id])
    reviewed_by_user: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_user_id])

    __table_args__ = (
        Index(
            "ix_wellness_check_ins_org_resident_time",
            "org_id",
            "resident_id",
            "submitted_at",
            postgresql_where=LIVE,
        ),
        Index(
            "ix_wellness_check_ins_org_house_date",
            "org_id",
            "house_id",
            "check_in_date",
            postgresql_where=LIVE,
        ),
        Index(
            "ix_wellness_check_ins_org_follow_up",
            "org_id",
            "submitted_at",
            postgresql_where=text("follow_up_requested AND reviewed_at IS NULL AND deleted_at IS NULL"),
        ),
    )


class ClinicalAssessment(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A standardised screening/assessment (PHQ-9, GAD-7, BAM, ASAM dimensions...) for a resident.

    The instrument name is plaintext (scheduling re-assessments); everything the resident
    answered and everything it says about them is encrypted.
    """

    __tablename__ = "clinical_assessments"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    admission_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("admissions.id", ondelete="SET NULL"))
    # e.g. "PHQ-9", "GAD-7", "BAM", "AUDIT-C", "ASAM"
    instrument: Mapped[str]
    instrument_version: Mapped[str | None]
    administered_at: Mapped[datetime]
    administered_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    completed_at: Mapped[datetime | None]
    next_due_date: Mapped[date | None] = mapped_column(Date)
    # Consent under which results were received from / may be shared with a treatment provider.
    consent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents.id", ondelete="SET NULL"))
    file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("file_uploads.id", ondelete="SET NULL"))

    # ENCRYPTED: PHI (total score)
    score_ct: Mapped[bytes | None] = encrypted_column("score")
    score = Encrypted(int)
    # ENCRYPTED: PHI (subscale scores, e.g. BAM use / risk / protective)
    subscale_scores_ct: Mapped[bytes | None] = encrypted_column("subscale_scores")
    subscale_scores = Encrypted(dict)
    # ENCRYPTED: PHI (interpretation band, e.g. "moderately severe")
    severity_ct: Mapped[bytes | None] = encrypted_column("severity")
    severity = Encrypted(str)
    # ENCRYPTED: PHI / Part 2 (item-level answers)
    answers_ct: Mapped[bytes | None] = encrypted_column("answers")
    answers = Encrypted(dict)
    # ENCRYPTED: PHI (clinician's notes and recommendations)
    clinician_notes_ct: Mapped[bytes | None] = encrypted_column("clinician_notes")
    clinician_notes = Encrypted(str)
    # ENCRYPTED: PII (external clinician who administered it, when not a user)
    external_clinician_ct: Mapped[bytes | None] = encrypted_column("external_clinician")
    external_clinician = Encrypted(str)

    resident: Mapped[Resident] = relationship(back_populates="clinical_assessments")
    admission: Mapped[Admission | None] = relationship()
    administered_by_user: Mapped[User | None] = relationship()
    consent: Mapped[Consent | None] = relationship()
    file: Mapped[FileUpload | None] = relationship()

    __table_args__ = (
        Index(
            "ix_clinical_assessments_org_resident_time",
            "org_id",
            "resident_id",
            "administered_at",
            postgresql_where=LIVE,
        ),
        Index(
            "ix_clinical_assessments_org_instrument_time",
            "org_id",
            "instrument",
            "administered_at",
            postgresql_where=LIVE,
        ),
        Index(
            "ix_clinical_assessments_org_next_due",
            "org_id",
            "next_due_date",
            postgresql_where=text("next_due_date IS NOT NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint(
            "completed_at IS NULL OR completed_at >= administered_at", name="completed_after_start"
        ),
    )
