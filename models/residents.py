"""Residents, their admissions, pre-admission leads and their personal contacts.

Everything that identifies a person or says anything about their substance use, health,
legal situation or insurance is encrypted at the field level (42 CFR Part 2 / HIPAA).
Plaintext is kept only for what operations must filter, sort or join on: status enums,
house/bed placement, scheduling dates, money and foreign keys.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import normalize_email, normalize_phone
from core.enums import (
    AdmissionStatus,
    BillingFrequency,
    ContactRelationship,
    HouseGender,
    LeadSource,
    LeadStatus,
    MessageChannel,
    PayerType,
    ResidentStatus,
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
    from models.compliance import Consent, PatientNotice
    from models.documents import Document
    from models.files import FileUpload
    from models.operations import ChoreAssignment, DailyCheckIn, DrugTest, Incident, MeetingAttendance, Pass
    from models.operations_extended import ClinicalAssessment, Vehicle, WellnessCheckIn
    from models.orgs import Bed, House
    from models.payment_extended import PaymentMethod, RateConfig
    from models.payments import Deposit, Invoice, PayerConfig, Payment
    from models.resident_tracking import BedTransfer, Discharge, ResidentStatusHistory, WaitlistEntry
    from models.users import User

LIVE = text("deleted_at IS NULL")


class Resident(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A person living (or who has lived, or applied to live) in one of the org's houses."""

    __tablename__ = "residents"

    # Operator-facing record number (e.g. "R-00123"); not derived from any PII.
    resident_number: Mapped[str | None]

    # ENCRYPTED: PII (name)
    first_name_ct: Mapped[bytes] = encrypted_column("first_name", nullable=False)
    first_name = Encrypted(str)
    # ENCRYPTED: PII (name)
    last_name_ct: Mapped[bytes] = encrypted_column("last_name", nullable=False)
    last_name = Encrypted(str)
    # ENCRYPTED: PII (name)
    preferred_name_ct: Mapped[bytes | None] = encrypted_column("preferred_name")
    preferred_name = Encrypted(str)
    # ENCRYPTED: PII (date of birth)
    date_of_birth_ct: Mapped[bytes | None] = encrypted_column("date_of_birth")
    date_of_birth = Encrypted(date)
    # ENCRYPTED: PII; blind index for duplicate detection and login matching
    email_ct: Mapped[bytes | None] = encrypted_column("email")
    email_bidx: Mapped[bytes | None] = blind_index_column("email")
    email = Encrypted(str, blind=normalize_email)
    # ENCRYPTED: PII; blind index for caller lookup
    phone_ct: Mapped[bytes | None] = encrypted_column("phone")
    phone_bidx: Mapped[bytes | None] = blind_index_column("phone")
    phone = Encrypted(str, blind=normalize_phone)
    # ENCRYPTED: PII (SSN fragment); blind index for identity matching on readmission
    ssn_last4_ct: Mapped[bytes | None] = encrypted_column("ssn_last4")
    ssn_last4_bidx: Mapped[bytes | None] = blind_index_column("ssn_last4")
    ssn_last4 = Encrypted(str, blind=str.strip)
    # ENCRYPTED: sensitive personal characteristic
    gender_identity_ct: Mapped[bytes | None] = encrypted_column("gender_identity")
    gender_identity = Encrypted(str)
    # ENCRYPTED: sensitive personal characteristic
    pronouns_ct: Mapped[bytes | None] = encrypted_column("pronouns")
    pronouns = Encrypted(str)
    # ENCRYPTED: PII (home address of a person before move-in) {line1, line2, city, state, postal_code}
    prior_address_ct: Mapped[bytes | None] = encrypted_column("prior_address")
    prior_address = Encrypted(dict)

    # ENCRYPTED: PHI (medical information responders need: conditions, naloxone plan, physician)
    emergency_medical_info_ct: Mapped[bytes | None] = encrypted_column("emergency_medical_info")
    emergency_medical_info = Encrypted(str)
    # ENCRYPTED: Part 2 (substance use)
    primary_substance_ct: Mapped[bytes | None] = encrypted_column("primary_substance")
    primary_substance = Encrypted(str)
    # ENCRYPTED: Part 2 (substance use) - list of substances, most significant first
    drugs_of_choice_ct: Mapped[bytes | None] = encrypted_column("drugs_of_choice")
    drugs_of_choice = Encrypted(list)
    # ENCRYPTED: PHI (diagnoses, e.g. ICD-10 codes with descriptions)
    diagnoses_ct: Mapped[bytes | None] = encrypted_column("diagnoses")
    diagnoses = Encrypted(list)
    # ENCRYPTED: PHI (medications incl. MOUD such as buprenorphine/methadone: name, dose, prescriber)
    medications_ct: Mapped[bytes | None] = encrypted_column("medications")
    medications = Encrypted(list)
    # ENCRYPTED: PHI (allergies)
    allergies_ct: Mapped[bytes | None] = encrypted_column("allergies")
    allergies = Encrypted(list)
    # ENCRYPTED: Part 2 (reveals recovery history)
    sobriety_date_ct: Mapped[bytes | None] = encrypted_column("sobriety_date")
    sobriety_date = Encrypted(date)
    # ENCRYPTED: sensitive (criminal-justice involvement: probation, drug court, parole)
    legal_status_ct: Mapped[bytes | None] = encrypted_column("legal_status")
    legal_status = Encrypted(str)
    # ENCRYPTED: PHI (health plan beneficiary information)
    insurance_carrier_ct: Mapped[bytes | None] = encrypted_column("insurance_carrier")
    insurance_carrier = Encrypted(str)
    # ENCRYPTED: PHI (health plan member number)
    insurance_member_id_ct: Mapped[bytes | None] = encrypted_column("insurance_member_id")
    insurance_member_id = Encrypted(str)
    # ENCRYPTED: PHI (health plan group number)
    insurance_group_number_ct: Mapped[bytes | None] = encrypted_column("insurance_group_number")
    insurance_group_number = Encrypted(str)

    status: Mapped[ResidentStatus] = mapped_column(pg_enum(ResidentStatus), default=ResidentStatus.APPLICANT)
    # Used for bed placement (men's / women's / co-ed houses).
    housing_gender: Mapped[HouseGender | None] = mapped_column(pg_enum(HouseGender))
    # use_alter: users -> residents -> houses/beds -> users would otherwise be an FK cycle;
    # these constraints are added after the tables exist.
    current_house_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("houses.id", ondelete="SET NULL", use_alter=True)
    )
    current_bed_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("beds.id", ondelete="SET NULL", use_alter=True)
    )
    move_in_date: Mapped[date | None] = mapped_column(Date)
    move_out_date: Mapped[date | None] = mapped_column(Date)

    # Who pays: the default payer type and, for third-party payers, the payer configuration.
    primary_payer_type: Mapped[PayerType] = mapped_column(pg_enum(PayerType), default=PayerType.SELF_PAY)
    # use_alter: payer_configs and file_uploads reference residents.
    payer_config_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer_configs.id", ondelete="SET NULL", use_alter=True)
    )
    photo_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="SET NULL", use_alter=True)
    )

    admissions: Mapped[list[Admission]] = relationship(back_populates="resident")
    contacts: Mapped[list[ResidentContact]] = relationship(back_populates="resident")
    # viewonly: these four FKs are use_alter (FK cycle); write the *_id columns, not these.
    current_house: Mapped[House | None] = relationship(viewonly=True)
    current_bed: Mapped[Bed | None] = relationship(viewonly=True)
    payer_config: Mapped[PayerConfig | None] = relationship(foreign_keys=[payer_config_id], viewonly=True)
    photo_file: Mapped[FileUpload | None] = relationship(foreign_keys=[photo_file_id], viewonly=True)

    consents: Mapped[list[Consent]] = relationship(back_populates="resident")
    patient_notices: Mapped[list[PatientNotice]] = relationship(back_populates="resident")
    documents: Mapped[list[Document]] = relationship(back_populates="resident")
    chore_assignments: Mapped[list[ChoreAssignment]] = relationship(back_populates="resident")
    meeting_attendance: Mapped[list[MeetingAttendance]] = relationship(back_populates="resident")
    passes: Mapped[list[Pass]] = relationship(back_populates="resident")
    drug_tests: Mapped[list[DrugTest]] = relationship(back_populates="resident")
    incidents: Mapped[list[Incident]] = relationship(back_populates="resident")
    daily_check_ins: Mapped[list[DailyCheckIn]] = relationship(back_populates="resident")
    vehicles: Mapped[list[Vehicle]] = relationship(back_populates="resident")
    wellness_check_ins: Mapped[list[WellnessCheckIn]] = relationship(back_populates="resident")
    clinical_assessments: Mapped[list[ClinicalAssessment]] = relationship(back_populates="resident")
    discharges: Mapped[list[Discharge]] = relationship(back_populates="resident")
    status_history: Mapped[list[ResidentStatusHistory]] = relationship(
        back_populates="resident", order_by="ResidentStatusHistory.occurred_at"
    )
    bed_transfers: Mapped[list[BedTransfer]] = relationship(back_populates="resident")
    invoices: Mapped[list[Invoice]] = relationship(back_populates="resident")
    payments: Mapped[list[Payment]] = relationship(back_populates="resident")
    deposits: Mapped[list[Deposit]] = relationship(back_populates="resident")
    payer_configs: Mapped[list[PayerConfig]] = relationship(
        back_populates="resident", foreign_keys="PayerConfig.resident_id"
    )
    payment_methods: Mapped[list[PaymentMethod]] = relationship(back_populates="resident")

    __table_args__ = (
        Index("ix_residents_org_status_live", "org_id", "status", postgresql_where=LIVE),
        Index("ix_residents_org_house_live", "org_id", "current_house_id", "status", postgresql_where=LIVE),
        Index("ix_residents_org_email_bidx", "org_id", "email_bidx"),
        Index("ix_residents_org_phone_bidx", "org_id", "phone_bidx"),
        Index("ix_residents_org_ssn_last4_bidx", "org_id", "ssn_last4_bidx"),
        # A bed holds at most one current resident.
        Index(
            "uq_residents_current_bed_live",
            "current_bed_id",
            unique=True,
            postgresql_where=text("current_bed_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        Index(
            "uq_residents_org_number_live",
            "org_id",
            "resident_number",
            unique=True,
            postgresql_where=text("resident_number IS NOT NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint(
            "move_out_date IS NULL OR move_in_date IS NULL OR move_out_date >= move_in_date",
            name="move_out_after_move_in",
        ),
    )


class Lead(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A prospective resident in the intake pipeline, before (or instead of) admission."""

    __tablename__ = "leads"

    # ENCRYPTED: PII (name)
    first_name_ct: Mapped[bytes] = encrypted_column("first_name", nullable=False)
    first_name = Encrypted(str)
    # ENCRYPTED: PII (name)
    last_name_ct: Mapped[bytes | None] = encrypted_column("last_name")
    last_name = Encrypted(str)
    # ENCRYPTED: PII; blind index for de-duplicating inquiries
    email_ct: Mapped[bytes | None] = encrypted_column("email")
    email_bidx: Mapped[bytes | None] = blind_index_column("email")
    email = Encrypted(str, blind=normalize_email)
    # ENCRYPTED: PII; blind index for matching inbound calls
    phone_ct: Mapped[bytes | None] = encrypted_column("phone")
    phone_bidx: Mapped[bytes | None] = blind_index_column("phone")
    phone = Encrypted(str, blind=normalize_phone)
    # ENCRYPTED: PII (date of birth)
    date_of_birth_ct: Mapped[bytes | None] = encrypted_column("date_of_birth")
    date_of_birth = Encrypted(date)
    # ENCRYPTED: Part 2 (a referring treatment provider / court reveals SUD treatment)
    referral_source_name_ct: Mapped[bytes | None] = encrypted_column("referral_source_name")
    referral_source_name = Encrypted(str)
    # ENCRYPTED: PII (referrer's person-level contact: name, phone, email)
    referral_contact_ct: Mapped[bytes | None] = encrypted_column("referral_contact")
    referral_contact = Encrypted(dict)
    # ENCRYPTED: Part 2 (substance use)
    primary_substance_ct: Mapped[bytes | None] = encrypted_column("primary_substance")
    primary_substance = Encrypted(str)
    # ENCRYPTED: Part 2 / PHI (pre-screening questionnaire answers)
    screening_answers_ct: Mapped[bytes | None] = encrypted_column("screening_answers")
    screening_answers = Encrypted(dict)
    # ENCRYPTED: free-text notes about a person seeking SUD recovery housing
    notes_ct: Mapped[bytes | None] = encrypted_column("notes")
    notes = Encrypted(str)
    # ENCRYPTED: free-text reason a lead was declined or lost
    disposition_reason_ct: Mapped[bytes | None] = encrypted_column("disposition_reason")
    disposition_reason = Encrypted(str)

    source: Mapped[LeadSource] = mapped_column(pg_enum(LeadSource))
    status: Mapped[LeadStatus] = mapped_column(pg_enum(LeadStatus), default=LeadStatus.NEW)
    house_preference_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("houses.id", ondelete="SET NULL")
    )
    housing_gender: Mapped[HouseGender | None] = mapped_column(pg_enum(HouseGender))
    desired_move_in_date: Mapped[date | None] = mapped_column(Date)
    assigned_to_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_contacted_at: Mapped[datetime | None]
    next_follow_up_at: Mapped[datetime | None]
    converted_resident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    converted_at: Mapped[datetime | None]
    # The referral partner's API key the lead came in through (api/routes/partners.py), so an
    # operator sees which partner referred whom; None for leads staff recorded.
    referred_by_api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )

    house_preference: Mapped[House | None] = relationship()
    assigned_to_user: Mapped[User | None] = relationship()
    converted_resident: Mapped[Resident | None] = relationship()
    waitlist_entries: Mapped[list[WaitlistEntry]] = relationship(back_populates="lead")

    __table_args__ = (
        Index("ix_leads_org_status_created_live", "org_id", "status", "created_at", postgresql_where=LIVE),
        Index(
            "ix_leads_org_assignee_status_live",
            "org_id",
            "assigned_to_user_id",
            "status",
            postgresql_where=LIVE,
        ),
        Index(
            "ix_leads_org_follow_up_live",
            "org_id",
            "next_follow_up_at",
            postgresql_where=text(
                "next_follow_up_at IS NOT NULL AND deleted_at IS NULL "
                "AND status NOT IN ('converted', 'declined', 'lost')"
            ),
        ),
        Index("ix_leads_org_email_bidx", "org_id", "email_bidx"),
        Index(
            "ix_leads_org_referred_by",
            "org_id",
            "referred_by_api_key_id",
            postgresql_where=text("referred_by_api_key_id IS NOT NULL"),
        ),
        Index("ix_leads_org_phone_bidx", "org_id", "phone_bidx"),
        # A resident is the conversion of at most one lead.
        Index(
            "uq_leads_converted_resident_live",
            "converted_resident_id",
            unique=True,
            postgresql_where=text("converted_resident_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint(
            "converted_resident_id IS NULL OR status = 'converted'", name="resident_only_when_converted"
        ),
    )


class Admission(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """One stay: a resident placed in a bed of a house at an agreed rate."""

    __tablename__ = "admissions"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    house_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    # Nullable while pending: a bed may be assigned only at move-in.
    bed_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("beds.id", ondelete="RESTRICT"))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    status: Mapped[AdmissionStatus] = mapped_column(pg_enum(AdmissionStatus), default=AdmissionStatus.PENDING)
    scheduled_move_in_date: Mapped[date | None] = mapped_column(Date)
    admitted_at: Mapped[datetime | None]
    expected_length_days: Mapped[int | None] = mapped_column(Integer)
    ended_at: Mapped[datetime | None]
    intake_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    # Agreed terms (plaintext: billing runs on them).
    weekly_rate_cents: Mapped[int] = mapped_column(BigInteger)
    deposit_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    billing_frequency: Mapped[BillingFrequency] = mapped_column(
        pg_enum(BillingFrequency), default=BillingFrequency.WEEKLY
    )
    rate_config_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("rate_configs.id", ondelete="SET NULL")
    )
    payer_config_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer_configs.id", ondelete="SET NULL")
    )

    # ENCRYPTED: Part 2 / PHI (intake interview, presenting needs, treatment history)
    intake_notes_ct: Mapped[bytes | None] = encrypted_column("intake_notes")
    intake_notes = Encrypted(str)
    # ENCRYPTED: free-text reason a pending admission was cancelled
    cancellation_reason_ct: Mapped[bytes | None] = encrypted_column("cancellation_reason")
    cancellation_reason = Encrypted(str)

    resident: Mapped[Resident] = relationship(back_populates="admissions")
    house: Mapped[House] = relationship()
    bed: Mapped[Bed | None] = relationship()
    lead: Mapped[Lead | None] = relationship()
    intake_by_user: Mapped[User | None] = relationship()
    rate_config: Mapped[RateConfig | None] = relationship()
    payer_config: Mapped[PayerConfig | None] = relationship()
    discharges: Mapped[list[Discharge]] = relationship(back_populates="admission")
    bed_transfers: Mapped[list[BedTransfer]] = relationship(back_populates="admission")

    __table_args__ = (
        # A bed has at most one active admission; a resident at most one active admission.
        Index(
            "uq_admissions_bed_active",
            "bed_id",
            unique=True,
            postgresql_where=text("status = 'active' AND bed_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        Index(
            "uq_admissions_resident_active",
            "resident_id",
            unique=True,
            postgresql_where=text("status = 'active' AND deleted_at IS NULL"),
        ),
        Index(
            "ix_admissions_org_resident_live", "org_id", "resident_id", "admitted_at", postgresql_where=LIVE
        ),
        Index("ix_admissions_org_house_status_live", "org_id", "house_id", "status", postgresql_where=LIVE),
        CheckConstraint("weekly_rate_cents >= 0", name="weekly_rate_nonnegative"),
        CheckConstraint("deposit_cents >= 0", name="deposit_nonnegative"),
        CheckConstraint("expected_length_days IS NULL OR expected_length_days > 0", name="length_positive"),
        CheckConstraint(
            "ended_at IS NULL OR admitted_at IS NULL OR ended_at >= admitted_at", name="end_after_start"
        ),
        CheckConstraint(
            "status <> 'active' OR (bed_id IS NOT NULL AND admitted_at IS NOT NULL)", name="active_placed"
        ),
    )


class ResidentContact(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """An emergency, family, sponsor, clinician or probation contact of a resident.

    Disclosing Part 2 information to the contact requires the linked consent to be active;
    being an emergency contact alone does not authorise disclosure.
    """

    __tablename__ = "resident_contacts"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    relationship_type: Mapped[ContactRelationship] = mapped_column(
        "relationship", pg_enum(ContactRelationship)
    )

    # ENCRYPTED: PII (name of a third party)
    first_name_ct: Mapped[bytes] = encrypted_column("first_name", nullable=False)
    first_name = Encrypted(str)
    # ENCRYPTED: PII (name of a third party)
    last_name_ct: Mapped[bytes | None] = encrypted_column("last_name")
    last_name = Encrypted(str)
    # ENCRYPTED: PII; blind index to identify inbound callers against a resident's contacts
    phone_ct: Mapped[bytes | None] = encrypted_column("phone")
    phone_bidx: Mapped[bytes | None] = blind_index_column("phone")
    phone = Encrypted(str, blind=normalize_phone)
    # ENCRYPTED: PII (second phone number)
    alternate_phone_ct: Mapped[bytes | None] = encrypted_column("alternate_phone")
    alternate_phone = Encrypted(str)
    # ENCRYPTED: PII; blind index to match inbound email
    email_ct: Mapped[bytes | None] = encrypted_column("email")
    email_bidx: Mapped[bytes | None] = blind_index_column("email")
    email = Encrypted(str, blind=normalize_email)
    # ENCRYPTED: PII (postal address of a person)
    address_ct: Mapped[bytes | None] = encrypted_column("address")
    address = Encrypted(dict)
    # ENCRYPTED: sensitive (e.g. "County Probation Dept." or a treatment program reveals involvement)
    organization_name_ct: Mapped[bytes | None] = encrypted_column("organization_name")
    organization_name = Encrypted(str)
    # ENCRYPTED: free-text notes
    notes_ct: Mapped[bytes | None] = encrypted_column("notes")
    notes = Encrypted(str)

    is_emergency_contact: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Part 2 consent authorising disclosure to this contact; NULL means nothing may be disclosed.
    consent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents.id", ondelete="SET NULL"))
    # How the resident agreed this contact may be told they left (PA Act 35 of 2021, §2319-A:
    # "by a method consented to by the resident"): e-mail or text; NULL: not to be contacted.
    notify_method: Mapped[MessageChannel | None] = mapped_column(pg_enum(MessageChannel))

    resident: Mapped[Resident] = relationship(back_populates="contacts")
    consent: Mapped[Consent | None] = relationship()

    __table_args__ = (
        Index("ix_resident_contacts_org_resident_live", "org_id", "resident_id", postgresql_where=LIVE),
        Index(
            "ix_resident_contacts_org_emergency",
            "org_id",
            "resident_id",
            postgresql_where=text("is_emergency_contact AND deleted_at IS NULL"),
        ),
        Index("ix_resident_contacts_org_phone_bidx", "org_id", "phone_bidx"),
        Index("ix_resident_contacts_org_email_bidx", "org_id", "email_bidx"),
        Index("ix_resident_contacts_org_consent", "org_id", "consent_id"),
        # At most one primary contact per resident.
        Index(
            "uq_resident_contacts_primary_live",
            "resident_id",
            unique=True,
            postgresql_where=text("is_primary AND deleted_at IS NULL"),
        ),
    )
