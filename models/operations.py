"""Day-to-day house operations: chores, meetings, passes, curfew, drug testing, incidents,
daily check-ins and staff tasks.

Anything tied to a resident that describes behaviour, health, substance use or where they
are is encrypted. Statuses, types, results used for operational queues, schedules and
foreign keys stay in plaintext.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, Time, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import (
    AttendanceStatus,
    CheckInStatus,
    ChoreFrequency,
    ChoreStatus,
    DrugTestResult,
    DrugTestType,
    IncidentSeverity,
    IncidentStatus,
    IncidentType,
    MeetingKind,
    PassStatus,
    PassType,
    Priority,
    TaskStatus,
)
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
    from models.operations_extended import ChoreTemplate, MeetingType
    from models.orgs import House
    from models.residents import Resident
    from models.users import User

LIVE = text("deleted_at IS NULL")


class Chore(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A recurring or one-off chore defined for a house (no resident data)."""

    __tablename__ = "chores"

    house_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chore_templates.id", ondelete="SET NULL")
    )
    name: Mapped[str]
    description: Mapped[str | None]
    area: Mapped[str | None]
    frequency: Mapped[ChoreFrequency] = mapped_column(pg_enum(ChoreFrequency), default=ChoreFrequency.WEEKLY)
    # 0 = Monday ... 6 = Sunday, for weekly chores.
    day_of_week: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    requires_verification: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))

    assignments: Mapped[list[ChoreAssignment]] = relationship(back_populates="chore")
    house: Mapped[House] = relationship(back_populates="chores")
    template: Mapped[ChoreTemplate | None] = relationship(back_populates="chores")

    __table_args__ = (
        Index("ix_chores_org_house_live", "org_id", "house_id", postgresql_where=LIVE),
        Index("uq_chores_house_name_live", "house_id", "name", unique=True, postgresql_where=LIVE),
        CheckConstraint("day_of_week IS NULL OR day_of_week BETWEEN 0 AND 6", name="day_of_week_range"),
        CheckConstraint("points >= 0", name="points_nonnegative"),
        CheckConstraint("estimated_minutes IS NULL OR estimated_minutes > 0", name="minutes_positive"),
    )


class ChoreAssignment(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "chore_assignments"

    chore_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chores.id", ondelete="CASCADE"))
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[ChoreStatus] = mapped_column(pg_enum(ChoreStatus), default=ChoreStatus.ASSIGNED)
    completed_at: Mapped[datetime | None]
    verified_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    photo_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="SET NULL")
    )

    # ENCRYPTED: free-text staff notes about a resident (may explain an excusal: illness, court)
    notes_ct: Mapped[bytes | None] = encrypted_column("notes")
    notes = Encrypted(str)

    chore: Mapped[Chore] = relationship(back_populates="assignments")
    resident: Mapped[Resident] = relationship(back_populates="chore_assignments")
    verified_by_user: Mapped[User | None] = relationship()
    photo_file: Mapped[FileUpload | None] = relationship()

    __table_args__ = (
        Index(
            "ix_chore_assignments_org_resident_due",
            "org_id",
            "resident_id",
            "due_date",
            postgresql_where=LIVE,
        ),
        Index("ix_chore_assignments_org_status_due", "org_id", "status", "due_date", postgresql_where=LIVE),
        Index(
            "uq_chore_assignments_chore_resident_due_live",
            "chore_id",
            "resident_id",
            "due_date",
            unique=True,
            postgresql_where=LIVE,
        ),
        CheckConstraint("verified_at IS NULL OR completed_at IS NOT NULL", name="verified_after_completed"),
    )


class Meeting(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A scheduled meeting: a house meeting or an outside recovery meeting residents attend."""

    __tablename__ = "meetings"

    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="SET NULL"))
    meeting_type_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("meeting_types.id", ondelete="SET NULL")
    )
    kind: Mapped[MeetingKind] = mapped_column(pg_enum(MeetingKind))
    title: Mapped[str]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    # Where the meeting takes place (the house, a church hall, online link); not person data.
    location: Mapped[str | None]
    is_external: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    is_mandatory: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    facilitator_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None]

    # ENCRYPTED: Part 2 (house meeting minutes discuss residents' recovery and conduct)
    notes_ct: Mapped[bytes | None] = encrypted_column("notes")
    notes = Encrypted(str)

    attendance: Mapped[list[MeetingAttendance]] = relationship(back_populates="meeting")
    house: Mapped[House | None] = relationship()
    meeting_type: Mapped[MeetingType | None] = relationship()
    facilitator_user: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_meetings_org_house_start_live", "org_id", "house_id", "starts_at", postgresql_where=LIVE),
        Index("ix_meetings_org_kind_start_live", "org_id", "kind", "starts_at", postgresql_where=LIVE),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="end_after_start"),
    )


class MeetingAttendance(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A resident's attendance at a scheduled meeting, or a self-reported outside meeting."""

    __tablename__ = "meeting_attendance"

    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    # For outside meetings that are not scheduled in the system.
    kind: Mapped[MeetingKind | None] = mapped_column(pg_enum(MeetingKind))
    external_meeting_name: Mapped[str | None]
    attended_at: Mapped[datetime]
    status: Mapped[AttendanceStatus] = mapped_column(
        pg_enum(AttendanceStatus), default=AttendanceStatus.PRESENT
    )
    # Signed attendance sheet / photo as proof.
    proof_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="SET NULL")
    )
    verified_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]

    # ENCRYPTED: Part 2 (notes on a resident's participation / excuse)
    notes_ct: Mapped[bytes | None] = encrypted_column("notes")
    notes = Encrypted(str)

    meeting: Mapped[Meeting | None] = relationship(back_populates="attendance")
    resident: Mapped[Resident] = relationship(back_populates="meeting_attendance")
    proof_file: Mapped[FileUpload | None] = relationship()
    verified_by_user: Mapped[User | None] = relationship()

    __table_args__ = (
        Index(
            "ix_meeting_attendance_org_resident_time",
            "org_id",
            "resident_id",
            "attended_at",
            postgresql_where=LIVE,
        ),
        Index("ix_meeting_attendance_org_meeting", "org_id", "meeting_id", postgresql_where=LIVE),
        Index(
            "uq_meeting_attendance_meeting_resident_live",
            "meeting_id",
            "resident_id",
            unique=True,
            postgresql_where=text("meeting_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint("meeting_id IS NOT NULL OR kind IS NOT NULL", name="meeting_or_kind"),
    )


class Pass(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """Permission for a resident to be away from the house (day, overnight, weekend...)."""

    __tablename__ = "passes"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    house_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    pass_type: Mapped[PassType] = mapped_column(pg_enum(PassType))
    status: Mapped[PassStatus] = mapped_column(pg_enum(PassStatus), default=PassStatus.REQUESTED)
    departs_at: Mapped[datetime]
    returns_at: Mapped[datetime]
    actual_departed_at: Mapped[datetime | None]
    actual_returned_at: Mapped[datetime | None]
    requested_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    drug_test_required_on_return: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    return_drug_test_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("drug_tests.id", ondelete="SET NULL")
    )

    # ENCRYPTED: PII (where the resident will be staying)
    destination_ct: Mapped[bytes | None] = encrypted_column("destination")
    destination = Encrypted(str)
    # ENCRYPTED: PII (host's name and phone) {name, phone, relationship}
    host_contact_ct: Mapped[bytes | None] = encrypted_column("host_contact")
    host_contact = Encrypted(dict)
    # ENCRYPTED: free-text reason (family, medical appointment, court date)
    reason_ct: Mapped[bytes | None] = encrypted_column("reason")
    reason = Encrypted(str)
    # ENCRYPTED: free-text reason for denial
    denial_reason_ct: Mapped[bytes | None] = encrypted_column("denial_reason")
    denial_reason = Encrypted(str)
    # ENCRYPTED: conditions of an approval (check in by phone at 9 pm, no driving, a test on
    # return): they describe the resident's situation
    conditions_ct: Mapped[bytes | None] = encrypted_column("conditions")
    conditions = Encrypted(str)

    resident: Mapped[Resident] = relationship(back_populates="passes")
    house: Mapped[House] = relationship()
    decided_by_user: Mapped[User | None] = relationship()
    return_drug_test: Mapped[DrugTest | None] = relationship()

    __table_args__ = (
        Index("ix_passes_org_resident_departs", "org_id", "resident_id", "departs_at", postgresql_where=LIVE),
        Index(
            "ix_passes_org_house_status_departs",
            "org_id",
            "house_id",
            "status",
            "departs_at",
            postgresql_where=LIVE,
        ),
        # Overdue-return sweep.
        Index(
            "ix_passes_org_active_returns",
            "org_id",
            "returns_at",
            postgresql_where=text("status = 'active' AND deleted_at IS NULL"),
        ),
        CheckConstraint("returns_at > departs_at", name="return_after_departure"),
        CheckConstraint(
            "actual_returned_at IS NULL OR actual_departed_at IS NULL "
            "OR actual_returned_at >= actual_departed_at",
            name="actual_return_after_departure",
        ),
    )


class CurfewConfig(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """Curfew times for a house (or the org default when house_id is NULL), by phase.

    Times are local to the organisation's timezone. Later phases (more days in residence)
    typically earn a later curfew.
    """

    __tablename__ = "curfew_configs"

    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="CASCADE"))
    name: Mapped[str]
    # Phase threshold: applies to residents with at least this many days in residence.
    min_days_in_residence: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    weeknight_curfew: Mapped[time] = mapped_column(Time)
    weekend_curfew: Mapped[time] = mapped_column(Time)
    grace_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    effective_from_date: Mapped[date] = mapped_column(Date)
    effective_until_date: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))

    house: Mapped[House | None] = relationship(back_populates="curfew_configs")

    __table_args__ = (
        Index("ix_curfew_configs_org_house_live", "org_id", "house_id", postgresql_where=LIVE),
        Index(
            "uq_curfew_configs_scope_phase_live",
            "org_id",
            text("coalesce(house_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
            "min_days_in_residence",
            "effective_from_date",
            unique=True,
            postgresql_where=LIVE,
        ),
        CheckConstraint("grace_minutes BETWEEN 0 AND 240", name="grace_range"),
        CheckConstraint("min_days_in_residence >= 0", name="phase_nonnegative"),
        CheckConstraint(
            "effective_until_date IS NULL OR effective_until_date >= effective_from_date",
            name="effective_range",
        ),
    )


class DrugTest(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A specimen collected from a resident and its result.

    `result` stays plaintext so staff queues (pending results, positives needing action)
    work; what was detected, levels and lab details are encrypted.
    """

    __tablename__ = "drug_tests"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="SET NULL"))
    test_type: Mapped[DrugTestType] = mapped_column(pg_enum(DrugTestType))
    result: Mapped[DrugTestResult] = mapped_column(pg_enum(DrugTestResult), default=DrugTestResult.PENDING)
    is_random: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    collected_at: Mapped[datetime]
    collected_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    observed_collection: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Chain-of-custody form number; an identifier of the specimen, not of the person.
    chain_of_custody_id: Mapped[str | None]
    sent_to_lab_at: Mapped[datetime | None]
    resulted_at: Mapped[datetime | None]
    reviewed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    # A lab confirmation (e.g. GC/MS) of an instant-cup screen points at the screen it confirms.
    confirms_test_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("drug_tests.id", ondelete="SET NULL")
    )
    fee_cents: Mapped[int | None] = mapped_column(BigInteger)

    # ENCRYPTED: Part 2 (substances detected, with levels where reported)
    substances_detected_ct: Mapped[bytes | None] = encrypted_column("substances_detected")
    substances_detected = Encrypted(list)
    # ENCRYPTED: Part 2 (lab name, accession number, panel, cutoff levels, MRO review)
    lab_details_ct: Mapped[bytes | None] = encrypted_column("lab_details")
    lab_details = Encrypted(dict)
    # ENCRYPTED: PHI (resident-declared prescriptions that explain a positive, e.g. MOUD)
    declared_medications_ct: Mapped[bytes | None] = encrypted_column("declared_medications")
    declared_medications = Encrypted(list)
    # ENCRYPTED: free-text reason for a for-cause test
    reason_ct: Mapped[bytes | None] = encrypted_column("reason")
    reason = Encrypted(str)
    # ENCRYPTED: Part 2 (collector/reviewer notes)
    notes_ct: Mapped[bytes | None] = encrypted_column("notes")
    notes = Encrypted(str)

    resident: Mapped[Resident] = relationship(back_populates="drug_tests")
    house: Mapped[House | None] = relationship()
    collected_by_user: Mapped[User | None] = relationship(foreign_keys=[collected_by_user_id])
    reviewed_by_user: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_user_id])
    confirms_test: Mapped[DrugTest | None] = relationship(remote_side="DrugTest.id")

    __table_args__ = (
        Index(
            "ix_drug_tests_org_resident_collected",
            "org_id",
            "resident_id",
            "collected_at",
            postgresql_where=LIVE,
        ),
        Index(
            "ix_drug_tests_org_house_collected", "org_id", "house_id", "collected_at", postgresql_where=LIVE
        ),
        Index(
            "ix_drug_tests_org_result_collected", "org_id", "result", "collected_at", postgresql_where=LIVE
        ),
        Index(
            "uq_drug_tests_org_chain_of_custody_live",
            "org_id",
            "chain_of_custody_id",
            unique=True,
            postgresql_where=text("chain_of_custody_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint("fee_cents IS NULL OR fee_cents >= 0", name="fee_nonnegative"),
        CheckConstraint("resulted_at IS NULL OR resulted_at >= collected_at", name="result_after_collection"),
        CheckConstraint("confirms_test_id IS NULL OR confirms_test_id <> id", name="not_self_confirming"),
    )


class Incident(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """An incident report: relapse, overdose, conflict, police, property damage..."""

    __tablename__ = "incidents"

    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="SET NULL"))
    # The primary resident involved, if any; others are listed in involved_parties.
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    incident_type: Mapped[IncidentType] = mapped_column(pg_enum(IncidentType))
    severity: Mapped[IncidentSeverity] = mapped_column(pg_enum(IncidentSeverity))
    status: Mapped[IncidentStatus] = mapped_column(pg_enum(IncidentStatus), default=IncidentStatus.OPEN)
    occurred_at: Mapped[datetime]
    reported_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    reported_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Where in/around the house (e.g. "kitchen", "parking lot").
    location: Mapped[str | None]
    police_involved: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    ems_involved: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    naloxone_administered: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    drug_test_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("drug_tests.id", ondelete="SET NULL"))
    follow_up_due_date: Mapped[date | None] = mapped_column(Date)
    # A state-report clock (PA: 28 Pa. Code §717.31, 3 business days); NULL when none runs.
    state_report_due_at: Mapped[datetime | None]
    state_reported_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    # ENCRYPTED: Part 2 (narrative of the incident)
    description_ct: Mapped[bytes] = encrypted_column("description", nullable=False)
    description = Encrypted(str)
    # ENCRYPTED: PII / Part 2 (residents, staff and outsiders involved: [{resident_id|name, role}])
    involved_parties_ct: Mapped[bytes | None] = encrypted_column("involved_parties")
    involved_parties = Encrypted(list)
    # ENCRYPTED: PII (witness names and statements)
    witnesses_ct: Mapped[bytes | None] = encrypted_column("witnesses")
    witnesses = Encrypted(list)
    # ENCRYPTED: Part 2 (immediate actions taken: medical response, consequences)
    actions_taken_ct: Mapped[bytes | None] = encrypted_column("actions_taken")
    actions_taken = Encrypted(str)
    # ENCRYPTED: sensitive (ties a named resident to a police report)
    police_report_number_ct: Mapped[bytes | None] = encrypted_column("police_report_number")
    police_report_number = Encrypted(str)
    # ENCRYPTED: Part 2 (outcome and follow-up)
    resolution_notes_ct: Mapped[bytes | None] = encrypted_column("resolution_notes")
    resolution_notes = Encrypted(str)

    house: Mapped[House | None] = relationship()
    resident: Mapped[Resident | None] = relationship(back_populates="incidents")
    reported_by_user: Mapped[User | None] = relationship(foreign_keys=[reported_by_user_id])
    resolved_by_user: Mapped[User | None] = relationship(foreign_keys=[resolved_by_user_id])
    drug_test: Mapped[DrugTest | None] = relationship()

    __table_args__ = (
        Index("ix_incidents_org_house_occurred", "org_id", "house_id", "occurred_at", postgresql_where=LIVE),
        Index(
            "ix_incidents_org_resident_occurred",
            "org_id",
            "resident_id",
            "occurred_at",
            postgresql_where=LIVE,
        ),
        Index(
            "ix_incidents_org_open_severity",
            "org_id",
            "severity",
            "occurred_at",
            postgresql_where=text("status IN ('open', 'investigating') AND deleted_at IS NULL"),
        ),
        Index(
            "ix_incidents_org_type_occurred", "org_id", "incident_type", "occurred_at", postgresql_where=LIVE
        ),
        CheckConstraint("resolved_at IS NULL OR resolved_at >= occurred_at", name="resolved_after_occurred"),
    )


class DailyCheckIn(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A resident's daily accountability check-in (plans for the day, whereabouts)."""

    __tablename__ = "daily_check_ins"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="SET NULL"))
    check_in_date: Mapped[date] = mapped_column(Date)
    checked_in_at: Mapped[datetime | None]
    status: Mapped[CheckInStatus] = mapped_column(pg_enum(CheckInStatus))
    # "app", "in_person", "phone", "kiosk"
    method: Mapped[str | None]
    reviewed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]

    # ENCRYPTED: PII (geolocation of a person) {lat, lng, accuracy_m}
    location_ct: Mapped[bytes | None] = encrypted_column("location")
    location = Encrypted(dict)
    # ENCRYPTED: Part 2 (answers: sober today, meetings planned, work/school, whereabouts)
    responses_ct: Mapped[bytes | None] = encrypted_column("responses")
    responses = Encrypted(dict)
    # ENCRYPTED: free-text notes
    notes_ct: Mapped[bytes | None] = encrypted_column("notes")
    notes = Encrypted(str)

    resident: Mapped[Resident] = relationship(back_populates="daily_check_ins")
    house: Mapped[House | None] = relationship()
    reviewed_by_user: Mapped[User | None] = relationship()

    __table_args__ = (
        Index(
            "uq_daily_check_ins_resident_date_live",
            "resident_id",
            "check_in_date",
            unique=True,
            postgresql_where=LIVE,
        ),
        Index(
            "ix_daily_check_ins_org_house_date", "org_id", "house_id", "check_in_date", postgresql_where=LIVE
        ),
        Index(
            "ix_daily_check_ins_org_exceptions",
            "org_id",
            "check_in_date",
            postgresql_where=text("status IN ('late', 'missed') AND deleted_at IS NULL"),
        ),
    )


class Task(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A staff to-do item, optionally about a resident or linked to another record."""

    __tablename__ = "tasks"

    assigned_to_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="SET NULL"))
    # Polymorphic link to the record the task is about, e.g. ("incidents", <id>).
    related_entity_type: Mapped[str | None]
    related_entity_id: Mapped[uuid.UUID | None]
    status: Mapped[TaskStatus] = mapped_column(pg_enum(TaskStatus), default=TaskStatus.OPEN)
    priority: Mapped[Priority] = mapped_column(pg_enum(Priority), default=Priority.NORMAL)
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Set when a workflow created the task (e.g. "incident_follow_up"); free of PHI.
    source: Mapped[str | None]

    # ENCRYPTED: free text that routinely names residents and their situation
    title_ct: Mapped[bytes] = encrypted_column("title", nullable=False)
    title = Encrypted(str)
    # ENCRYPTED: free text
    description_ct: Mapped[bytes | None] = encrypted_column("description")
    description = Encrypted(str)

    assigned_to_user: Mapped[User | None] = relationship(foreign_keys=[assigned_to_user_id])
    completed_by_user: Mapped[User | None] = relationship(foreign_keys=[completed_by_user_id])
    resident: Mapped[Resident | None] = relationship()
    house: Mapped[House | None] = relationship()

    __table_args__ = (
        Index(
            "ix_tasks_org_assignee_status_due",
            "org_id",
            "assigned_to_user_id",
            "status",
            "due_at",
            postgresql_where=LIVE,
        ),
        Index("ix_tasks_org_resident_live", "org_id", "resident_id", postgresql_where=LIVE),
        Index("ix_tasks_org_house_status_live", "org_id", "house_id", "status", postgresql_where=LIVE),
        Index("ix_tasks_org_related", "org_id", "related_entity_type", "related_entity_id"),
        CheckConstraint(
            "(related_entity_type IS NULL) = (related_entity_id IS NULL)", name="related_entity_pair"
        ),
    )
