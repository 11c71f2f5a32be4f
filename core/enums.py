"""Every PostgreSQL enum in the schema (mirrors the seed's enums.ts).

Values are the stored labels; add new members at the end (ALTER TYPE ... ADD VALUE).
"""

from __future__ import annotations

from enum import StrEnum

# --- organisations and people ----------------------------------------------------------------


class OrgStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class PropertyType(StrEnum):
    SINGLE_FAMILY = "single_family"
    MULTI_FAMILY = "multi_family"
    APARTMENT = "apartment"
    COMMERCIAL = "commercial"


class HouseGender(StrEnum):
    MEN = "men"
    WOMEN = "women"
    COED = "coed"
    NON_BINARY = "non_binary"


class NarrLevel(StrEnum):
    """NARR recovery-residence support levels I-IV."""

    LEVEL_1 = "level_1"
    LEVEL_2 = "level_2"
    LEVEL_3 = "level_3"
    LEVEL_4 = "level_4"


class BedStatus(StrEnum):
    AVAILABLE = "available"
    OCCUPIED = "occupied"
    RESERVED = "reserved"
    OUT_OF_SERVICE = "out_of_service"


class UserRole(StrEnum):
    """The nine staff and resident roles; permissions per role are in core/permissions.py."""

    ORG_OWNER = "org_owner"
    EXECUTIVE_DIRECTOR = "executive_director"
    PROPERTY_MANAGER = "property_manager"
    HOUSE_MANAGER = "house_manager"
    CASE_MANAGER = "case_manager"
    PEER_SUPPORT = "peer_support"
    BILLING_SPECIALIST = "billing_specialist"
    COMPLIANCE_OFFICER = "compliance_officer"
    RESIDENT = "resident"


class UserStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DISABLED = "disabled"


class ResidentStatus(StrEnum):
    APPLICANT = "applicant"
    WAITLISTED = "waitlisted"
    ADMITTED = "admitted"
    ACTIVE = "active"
    ON_PASS = "on_pass"
    DISCHARGED = "discharged"
    ALUMNI = "alumni"


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    SCREENING = "screening"
    APPROVED = "approved"
    DECLINED = "declined"
    CONVERTED = "converted"
    LOST = "lost"


class LeadSource(StrEnum):
    WEBSITE = "website"
    PHONE = "phone"
    REFERRAL_TREATMENT = "referral_treatment"
    REFERRAL_COURT = "referral_court"
    REFERRAL_FAMILY = "referral_family"
    WALK_IN = "walk_in"
    OTHER = "other"


class AdmissionStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ContactRelationship(StrEnum):
    PARENT = "parent"
    SPOUSE = "spouse"
    SIBLING = "sibling"
    CHILD = "child"
    FRIEND = "friend"
    SPONSOR = "sponsor"
    PROBATION_OFFICER = "probation_officer"
    CLINICIAN = "clinician"
    OTHER = "other"


class DischargeReason(StrEnum):
    COMPLETED_PROGRAM = "completed_program"
    VOLUNTARY = "voluntary"
    RULE_VIOLATION = "rule_violation"
    RELAPSE = "relapse"
    NON_PAYMENT = "non_payment"
    HIGHER_LEVEL_OF_CARE = "higher_level_of_care"
    INCARCERATION = "incarceration"
    DECEASED = "deceased"
    OTHER = "other"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    PLACED = "placed"
    REMOVED = "removed"


# --- money ----------------------------------------------------------------------------------


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class LineItemType(StrEnum):
    RENT = "rent"
    DEPOSIT = "deposit"
    LATE_FEE = "late_fee"
    DRUG_TEST_FEE = "drug_test_fee"
    PROGRAM_FEE = "program_fee"
    CREDIT = "credit"
    OTHER = "other"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    CANCELLED = "cancelled"


class PaymentMethodType(StrEnum):
    CARD = "card"
    ACH = "ach"
    CASH = "cash"
    CHECK = "check"
    MONEY_ORDER = "money_order"
    THIRD_PARTY = "third_party"


class LedgerAccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    REVENUE = "revenue"
    EXPENSE = "expense"


class EntryDirection(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class DepositStatus(StrEnum):
    HELD = "held"
    APPLIED = "applied"
    REFUNDED = "refunded"
    FORFEITED = "forfeited"


class PayerType(StrEnum):
    SELF_PAY = "self_pay"
    FAMILY = "family"
    TREATMENT_PROVIDER = "treatment_provider"
    GRANT = "grant"
    COURT = "court"
    INSURANCE = "insurance"


class BillingFrequency(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class DunningActionType(StrEnum):
    REMINDER_EMAIL = "reminder_email"
    REMINDER_SMS = "reminder_sms"
    LATE_FEE = "late_fee"
    PAYMENT_RETRY = "payment_retry"
    STAFF_ESCALATION = "staff_escalation"
    DISCHARGE_WARNING = "discharge_warning"


class DunningActionStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ReconciliationStatus(StrEnum):
    MATCHED = "matched"
    UNMATCHED = "unmatched"
    DISPUTED = "disputed"
    RESOLVED = "resolved"


# --- house operations ------------------------------------------------------------------------


class ChoreStatus(StrEnum):
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    VERIFIED = "verified"
    MISSED = "missed"
    EXCUSED = "excused"


class ChoreFrequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ONE_TIME = "one_time"


class MeetingKind(StrEnum):
    HOUSE_MEETING = "house_meeting"
    AA = "aa"
    NA = "na"
    SMART_RECOVERY = "smart_recovery"
    CELEBRATE_RECOVERY = "celebrate_recovery"
    THERAPY = "therapy"
    OTHER = "other"


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"
    LATE = "late"


class PassType(StrEnum):
    DAY = "day"
    OVERNIGHT = "overnight"
    WEEKEND = "weekend"
    EXTENDED = "extended"


class PassStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DENIED = "denied"
    ACTIVE = "active"
    COMPLETED = "completed"
    VIOLATED = "violated"


class DrugTestType(StrEnum):
    URINE = "urine"
    SALIVA = "saliva"
    BREATHALYZER = "breathalyzer"
    HAIR = "hair"
    BLOOD = "blood"


class DrugTestResult(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"
    DILUTE = "dilute"
    INVALID = "invalid"
    REFUSED = "refused"
    PENDING = "pending"


class IncidentSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class IncidentType(StrEnum):
    RELAPSE = "relapse"
    OVERDOSE = "overdose"
    CURFEW_VIOLATION = "curfew_violation"
    CONFLICT = "conflict"
    PROPERTY_DAMAGE = "property_damage"
    MEDICAL = "medical"
    POLICE = "police"
    OTHER = "other"


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class MaintenanceStatus(StrEnum):
    REPORTED = "reported"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CheckInStatus(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSED = "missed"
    EXCUSED = "excused"


# --- documents and messaging -----------------------------------------------------------------


class DocumentType(StrEnum):
    RESIDENCY_AGREEMENT = "residency_agreement"
    HOUSE_RULES = "house_rules"
    CONSENT_FORM = "consent_form"
    PAYMENT_AGREEMENT = "payment_agreement"
    DISCHARGE_SUMMARY = "discharge_summary"
    INCIDENT_REPORT = "incident_report"
    ID_DOCUMENT = "id_document"
    OTHER = "other"


class DocumentStatus(StrEnum):
    DRAFT = "draft"
    PENDING_SIGNATURE = "pending_signature"
    PARTIALLY_SIGNED = "partially_signed"
    SIGNED = "signed"
    EXPIRED = "expired"
    VOIDED = "voided"
    ARCHIVED = "archived"


class SignatureStatus(StrEnum):
    PENDING = "pending"
    VIEWED = "viewed"
    SIGNED = "signed"
    DECLINED = "declined"
    EXPIRED = "expired"


class ConversationType(StrEnum):
    DIRECT = "direct"
    GROUP = "group"
    HOUSE = "house"
    STAFF = "staff"


class MessageChannel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


class AnnouncementAudience(StrEnum):
    ORG = "org"
    PROPERTY = "property"
    HOUSE = "house"
    STAFF = "staff"
    RESIDENTS = "residents"


# --- compliance ------------------------------------------------------------------------------


class ConsentType(StrEnum):
    """42 CFR Part 2 consent purposes."""

    TREATMENT = "treatment"
    PAYMENT = "payment"
    HEALTHCARE_OPERATIONS = "healthcare_operations"
    FAMILY = "family"
    COURT = "court"
    EMPLOYER = "employer"
    RESEARCH = "research"
    OTHER = "other"


class ConsentStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    PENDING = "pending"
    # The signature request ended (declined, expired, voided) before the resident signed.
    UNSIGNED = "unsigned"


class DisclosureMethod(StrEnum):
    ELECTRONIC = "electronic"
    FAX = "fax"
    MAIL = "mail"
    VERBAL = "verbal"
    IN_PERSON = "in_person"


class BreachStatus(StrEnum):
    DISCOVERED = "discovered"
    INVESTIGATING = "investigating"
    RISK_ASSESSED = "risk_assessed"
    NOTIFYING = "notifying"
    NOTIFIED = "notified"
    CLOSED = "closed"


class BreachRiskLevel(StrEnum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


class BaaStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class RequestStatus(StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    FULFILLED = "fulfilled"
    DENIED = "denied"


class DataAccessRequestType(StrEnum):
    ACCESS = "access"
    AMENDMENT = "amendment"
    RESTRICTION = "restriction"
    CONFIDENTIAL_COMMUNICATION = "confidential_communication"


# --- system ---------------------------------------------------------------------------------


class AuditAction(StrEnum):
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    EXECUTE = "execute"
    LOGIN = "login"
    LOGOUT = "logout"
    EXPORT = "export"
    BREAK_GLASS = "break_glass"


class FileScanStatus(StrEnum):
    PENDING = "pending"
    CLEAN = "clean"
    INFECTED = "infected"
    FAILED = "failed"


class WebhookDeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


class IntegrationProvider(StrEnum):
    STRIPE = "stripe"
    TWILIO = "twilio"
    SENDGRID = "sendgrid"
    QUICKBOOKS = "quickbooks"
    DOCUSIGN = "docusign"
    OTHER = "other"


class JobStatus(StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


# --- added by h3 (compliance) ---------------------------------------------------------------


class PatientNoticeType(StrEnum):
    """Which notice a patient_notices row records delivery/acknowledgement of."""

    HIPAA_NPP = "hipaa_npp"
    PART2_NOTICE = "part2_notice"
    COMBINED = "combined"


class BreakGlassReviewOutcome(StrEnum):
    """Compliance officer's after-the-fact finding on an emergency access."""

    JUSTIFIED = "justified"
    NOT_JUSTIFIED = "not_justified"
    NEEDS_FOLLOW_UP = "needs_follow_up"


class IncidentStatus(StrEnum):
    """Lifecycle of an incident report (operations.incidents)."""

    OPEN = "open"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    CLOSED = "closed"
