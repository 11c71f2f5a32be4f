"""Part 2 consent's data: the kinds of consent of the 2024 rule, what a consent may cover (the
recipients, the kinds of information, the purposes), why a disclosure is refused, the §2.32
notice texts, and the bases on which a caller may read Part 2 fields.

Consents, disclosures, break-glass access and the access policy all speak these words; the
database stores the enum values as text (the CHECK constraints of migration 0020 list them).
Sources for the rule text are in ../shared/REGULATORY.md §1 and in the README's compliance
matrix.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.enums import ConsentStatus
from core.process import Actor


class ConsentKind(StrEnum):
    # §2.33(a)(2): one consent for all future treatment, payment and health care operations.
    TPO = "tpo"
    SPECIFIC_PURPOSE = "specific_purpose"
    # §2.31(b): combinable only with another counseling-notes consent; never a condition.
    COUNSELING_NOTES = "counseling_notes"
    # Records used in proceedings against the patient need a consent of their own.
    LEGAL_PROCEEDINGS = "legal_proceedings"


class RecipientKind(StrEnum):
    """§2.31(a)(4): named persons or entities, a class of persons, or an intermediary."""

    NAMED = "named"
    CLASS = "class"
    INTERMEDIARY = "intermediary"


class RecipientClass(StrEnum):
    """The classes a consent may name instead of a person; the TPO form's wording is "my
    treating providers, health plans, third-party payers, and people helping to operate this
    program" (§2.31(a)(4)(i))."""

    TREATING_PROVIDER = "treating_provider"
    HEALTH_PLAN = "health_plan"
    THIRD_PARTY_PAYER = "third_party_payer"
    PROGRAM_OPERATIONS = "program_operations"
    FAMILY = "family"
    CRIMINAL_JUSTICE = "criminal_justice"
    EMPLOYER = "employer"
    RESEARCHER = "researcher"
    OTHER = "other"


TPO_RECIPIENTS = frozenset(
    {
        RecipientClass.TREATING_PROVIDER,
        RecipientClass.HEALTH_PLAN,
        RecipientClass.THIRD_PARTY_PAYER,
        RecipientClass.PROGRAM_OPERATIONS,
    }
)


class InformationClass(StrEnum):
    """Kinds of Part 2 information a consent describes and a disclosure carries; with the
    consent's own words they make the "specific and meaningful" description (§2.31(a)(3))."""

    RESIDENCY_STATUS = "residency_status"
    ATTENDANCE = "attendance"
    DRUG_TESTS = "drug_tests"
    SUBSTANCE_USE_HISTORY = "substance_use_history"
    MEDICATIONS = "medications"
    TREATMENT_RECORDS = "treatment_records"
    DISCHARGE_SUMMARY = "discharge_summary"
    INCIDENT_REPORTS = "incident_reports"
    BILLING = "billing"
    COUNSELING_NOTES = "counseling_notes"


class Purpose(StrEnum):
    TREATMENT = "treatment"
    PAYMENT = "payment"
    HEALTH_CARE_OPERATIONS = "health_care_operations"
    # §2.31(a)(5): "at the request of the patient" is enough when the patient asks.
    PATIENT_REQUEST = "patient_request"
    CARE_COORDINATION = "care_coordination"
    FAMILY_INVOLVEMENT = "family_involvement"
    CRIMINAL_JUSTICE_SUPERVISION = "criminal_justice_supervision"
    EMPLOYMENT = "employment"
    RESEARCH = "research"
    LEGAL_PROCEEDINGS = "legal_proceedings"


TPO_PURPOSES = frozenset({Purpose.TREATMENT, Purpose.PAYMENT, Purpose.HEALTH_CARE_OPERATIONS})


class ExpiryEvent(StrEnum):
    """§2.31(a)(7): an expiry event instead of (or as well as) a date."""

    END_OF_TREATMENT = "end_of_treatment"
    END_OF_RESEARCH_STUDY = "end_of_research_study"
    # Staff record when the condition the consent names has happened.
    CONDITION = "condition"
    # "None" is sufficient for a TPO consent only.
    NONE = "none"


class RevocationMethod(StrEnum):
    """Revocation is in writing (§2.31(a)(6)): signed on the signing page, or a written
    revocation that staff upload."""

    SIGNED_ON_PAGE = "signed_on_page"
    WRITTEN_UPLOAD = "written_upload"


class Refusal(StrEnum):
    """Why a disclosure may not happen (a 409 names it)."""

    NO_CONSENT = "no_consent"
    NOT_SIGNED = "not_signed"
    EXPIRED = "expired"
    REVOKED = "revoked"
    RECIPIENT_NOT_COVERED = "recipient_not_covered"
    INFORMATION_NOT_COVERED = "information_not_covered"
    PURPOSE_NOT_COVERED = "purpose_not_covered"
    RESTRICTED = "restricted"


class RestrictionStatus(StrEnum):
    REQUESTED = "requested"
    GRANTED = "granted"
    DENIED = "denied"
    TERMINATED = "terminated"


class CounselingSessionKind(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"
    JOINT = "joint"
    FAMILY = "family"


class NoticeStatement(StrEnum):
    STATEMENT_1 = "statement_1"
    STATEMENT_2 = "statement_2"


class ConsentScopeCopy(StrEnum):
    """§2.32(b): a copy of the consent or a clear explanation of its scope goes along."""

    COPY_OF_CONSENT = "copy_of_consent"
    SCOPE_EXPLANATION = "scope_explanation"


# Only the 2024 texts exist here, so no pre-2024 notice can be chosen; the version is recorded
# on every disclosure (and a CHECK constraint accepts no other).
NOTICE_VERSION = "2024"
NOTICE_TEXTS: dict[NoticeStatement, str] = {
    # Opening from the current §2.32(a)(1) (compliancecosmos.org mirror of the eCFR); the
    # continuation as quoted identically by several implementers [2nd], REGULATORY.md §1.3.
    NoticeStatement.STATEMENT_1: (
        "This record which has been disclosed to you is protected by Federal confidentiality rules"
        " (42 CFR part 2). These rules prohibit you from using or disclosing this record, or testimony"
        " that describes the information contained in this record, in any civil, criminal,"
        " administrative, or legislative proceedings by any Federal, State, or local authority,"
        " against the patient, unless authorized by the consent of the patient, except as provided at"
        " 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or 2.65. In"
        " addition, the Federal rules prohibit you from making any other use or disclosure of this"
        " record unless at least one of the following applies: (i) Further use or disclosure is"
        " expressly permitted by the written consent of the individual whose information is being"
        " disclosed in this record or as otherwise permitted by 42 CFR part 2. (ii) You are a covered"
        " entity or business associate and have received the record for treatment, payment, or"
        " health care operations, or (iii) You have received the record from a covered entity or"
        " business associate as permitted by 45 CFR part 164, subparts A and E. A general"
        " authorization for the release of medical or other information is NOT sufficient to meet"
        " the required elements of written consent to further use or redisclose the record (see 42"
        " CFR 2.31)."
    ),
    NoticeStatement.STATEMENT_2: "42 CFR part 2 prohibits unauthorized use or disclosure of these records.",
}


class AccessBasis(StrEnum):
    """On what basis a caller reads a resident's Part 2 fields (written into the audit event)."""

    TREATMENT_TEAM = "treatment-team"
    CONSENT = "consent"
    BREAK_GLASS = "break-glass"
    SELF = "self"


@dataclass(frozen=True)
class Basis:
    kind: AccessBasis
    # The consent or break-glass grant, for those kinds.
    ref: uuid.UUID | None = None

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.ref}" if self.ref else self.kind.value


# Signals and process names other families use to reach consents without importing them.
END_OF_TREATMENT_WORKFLOW = "ConsentEndOfTreatment"
PATIENT_NOTICE_WORKFLOW = "PatientNotice"

# The §2.22 notice's text version (services/consent/notices.py): one acknowledgement per resident
# per version (the unique index of patient_notices), so a readmission is not asked again.
PATIENT_NOTICE_VERSION = "part2-2024-v1"
_NOTICE_NAMESPACE = uuid.UUID("6a3e1f0c-93b7-4c55-b2c8-0d7e5f4a9b21")


def patient_notice_id(resident_id: uuid.UUID, version: str = PATIENT_NOTICE_VERSION) -> uuid.UUID:
    """The notice given to a resident: its row's id and its process's key."""
    return uuid.uuid5(_NOTICE_NAMESPACE, f"{resident_id}/{version}")


@dataclass(frozen=True)
class EndOfTreatment:
    """The journey's discharge tells the consent family that treatment ended for a resident."""

    actor: Actor
    resident_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class ConsentTerms:
    """A consent as staff asked for it, validated (PHI: it rides only in the encrypted input of
    the consent's lifecycle, whose first activity stores it)."""

    kind: ConsentKind
    discloser: str
    recipient_kind: RecipientKind
    recipient_name: str
    recipient_organization: str | None
    recipient_classes: tuple[RecipientClass, ...]
    intermediary_participants: str | None
    treating_providers_only: bool
    information_classes: tuple[InformationClass, ...]
    information_description: str
    purposes: tuple[Purpose, ...]
    purpose_description: str
    expires_at: datetime | None
    expiry_event: ExpiryEvent | None
    expiry_condition: str | None
    refusal_consequences: str | None
    condition_of_admission: bool
    remind_days_before: int


@dataclass(frozen=True)
class Stored:
    """What the lifecycle needs once the consent is stored: no PHI."""

    consent_id: uuid.UUID
    resident_id: uuid.UUID
    # None only for a consent adopted from before lifecycles (it may have no form).
    document_id: uuid.UUID | None
    expires_at: datetime | None
    expiry_event: ExpiryEvent | None
    remind_days_before: int
    status: ConsentStatus = ConsentStatus.PENDING
