"""The consent forms a resident signs, rendered from versioned templates: one per kind of consent
(2024 rule), each stating every §2.31 element in plain words, and the written revocation.

A form's version is stored on its consent (`form_version`); changing a form's wording means a
new version here, so a signed consent always names the words it was signed with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.contracts.consent import (
    ConsentKind,
    ExpiryEvent,
    InformationClass,
    Purpose,
    RecipientClass,
    RecipientKind,
)

FORM_VERSIONS: dict[ConsentKind, str] = {kind: f"{kind.value}/2024.1" for kind in ConsentKind}
REVOCATION_FORM_VERSION = "revocation/2024.1"

TITLES: dict[ConsentKind, str] = {
    ConsentKind.TPO: (
        "Consent to use and share my substance use records for treatment, payment and health care operations"
    ),
    ConsentKind.SPECIFIC_PURPOSE: "Consent to share my substance use records for one purpose",
    ConsentKind.COUNSELING_NOTES: "Consent to share my SUD counseling notes",
    ConsentKind.LEGAL_PROCEEDINGS: "Consent to use my substance use records in a legal proceeding",
}

RECIPIENT_WORDS: dict[RecipientClass, str] = {
    RecipientClass.TREATING_PROVIDER: "my treating providers",
    RecipientClass.HEALTH_PLAN: "health plans",
    RecipientClass.THIRD_PARTY_PAYER: "third-party payers",
    RecipientClass.PROGRAM_OPERATIONS: "people helping to operate this program",
    RecipientClass.FAMILY: "members of my family",
    RecipientClass.CRIMINAL_JUSTICE: "the criminal justice agency supervising me",
    RecipientClass.EMPLOYER: "my employer",
    RecipientClass.RESEARCHER: "researchers",
    RecipientClass.OTHER: "the recipients described below",
}

INFORMATION_WORDS: dict[InformationClass, str] = {
    InformationClass.RESIDENCY_STATUS: "whether I live here and since when",
    InformationClass.ATTENDANCE: "my attendance at meetings and house activities",
    InformationClass.DRUG_TESTS: "my drug and alcohol test results",
    InformationClass.SUBSTANCE_USE_HISTORY: "my substance use history",
    InformationClass.MEDICATIONS: "my medications, including medication for substance use disorder",
    InformationClass.TREATMENT_RECORDS: "my treatment records",
    InformationClass.DISCHARGE_SUMMARY: "my discharge summary",
    InformationClass.INCIDENT_REPORTS: "incident reports about me",
    InformationClass.BILLING: "billing and payment records",
    InformationClass.COUNSELING_NOTES: "notes my counselor wrote about our counseling sessions",
}

PURPOSE_WORDS: dict[Purpose, str] = {
    Purpose.TREATMENT: "treatment",
    Purpose.PAYMENT: "payment",
    Purpose.HEALTH_CARE_OPERATIONS: "health care operations",
    Purpose.PATIENT_REQUEST: "at my request",
    Purpose.CARE_COORDINATION: "coordinating my care",
    Purpose.FAMILY_INVOLVEMENT: "keeping my family involved in my recovery",
    Purpose.CRIMINAL_JUSTICE_SUPERVISION: "reporting to the agency that supervises me",
    Purpose.EMPLOYMENT: "my employment",
    Purpose.RESEARCH: "research",
    Purpose.LEGAL_PROCEEDINGS: "the legal proceeding described below",
}

EXPIRY_WORDS: dict[ExpiryEvent, str] = {
    ExpiryEvent.END_OF_TREATMENT: "when my treatment here ends",
    ExpiryEvent.END_OF_RESEARCH_STUDY: "at the end of the research study",
    ExpiryEvent.CONDITION: "when this happens: {condition}",
    ExpiryEvent.NONE: "never, unless I revoke it",
}


@dataclass(frozen=True)
class FormFields:
    """What a form says, decrypted for rendering (never logged, never in a workflow id)."""

    kind: ConsentKind
    org_name: str
    resident_name: str
    discloser: str
    recipient_kind: RecipientKind
    recipient_name: str
    recipient_organization: str | None
    recipient_classes: list[RecipientClass]
    intermediary_participants: str | None
    treating_providers_only: bool
    information_classes: list[InformationClass]
    information_description: str
    purposes: list[Purpose]
    purpose_description: str
    expires_at: datetime | None
    expiry_event: ExpiryEvent | None
    expiry_condition: str | None
    refusal_consequences: str | None
    condition_of_admission: bool


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def recipients_in_words(f: FormFields) -> str:
    if f.recipient_kind is RecipientKind.CLASS:
        return _join([RECIPIENT_WORDS[c] for c in f.recipient_classes])
    named = f.recipient_name + (f" ({f.recipient_organization})" if f.recipient_organization else "")
    if f.recipient_kind is RecipientKind.INTERMEDIARY:
        who = (
            "its participants who have a treating provider relationship with me"
            if f.treating_providers_only
            else f"these participants: {f.intermediary_participants}"
        )
        return f"{named}, an intermediary, and {who}"
    return named


def expiry_in_words(f: FormFields) -> str:
    parts = []
    if f.expires_at is not None:
        parts.append(f"on {f.expires_at:%B %-d, %Y}")
    if f.expiry_event is not None:
        parts.append(EXPIRY_WORDS[f.expiry_event].format(condition=f.expiry_condition or ""))
    return " or ".join(parts)


def render(f: FormFields) -> tuple[str, str]:
    """The form's title and text. Each numbered part is one §2.31(a) element."""
    info = _join([INFORMATION_WORDS[c] for c in f.information_classes])
    purposes = _join([PURPOSE_WORDS[p] for p in f.purposes])
    lines = [
        f"1. My name: {f.resident_name}.",
        f"2. Who may use or share my records: {f.discloser}.",
        f"3. What may be shared: {info}. In my words: {f.information_description}.",
        f"4. Who may receive them: {recipients_in_words(f)}.",
        f"5. Why: {purposes}. {f.purpose_description}.",
        "6. I may revoke (cancel) this consent at any time, in writing: sign a revocation form on the"
        f" signing page, or give a written, signed letter to the staff of {f.org_name}. Revoking it"
        " does not undo what was already shared while it was in effect.",
        f"7. This consent ends {expiry_in_words(f)}.",
        "8. I sign this form electronically, and the date I sign is recorded with my signature.",
    ]
    if f.kind is ConsentKind.TPO:
        lines += [
            "9. Records shared with a health care provider, health plan or their business associate"
            " under this consent may be shared again by them as the HIPAA rules allow, and are then"
            " no longer protected by 42 CFR part 2. They may never be used against me in a civil,"
            " criminal, administrative or legislative proceeding without my separate consent or a"
            " court order.",
            f"10. If I do not sign: {f.refusal_consequences}.",
        ]
    if f.kind is ConsentKind.COUNSELING_NOTES:
        lines.append(
            "9. Signing this consent is my choice. It is not a condition of my admission, my stay or"
            " my treatment, and it covers my counseling notes only."
        )
    if f.kind is ConsentKind.LEGAL_PROCEEDINGS:
        lines.append(
            "9. This consent is separate from every other consent I have given, and covers only the"
            " proceeding described above."
        )
    if f.kind is ConsentKind.SPECIFIC_PURPOSE and f.condition_of_admission:
        lines.append(f"9. {f.org_name} asks for this consent as a condition of admission.")
    intro = (
        f"I, {f.resident_name}, agree that {f.org_name} may share my records as described below."
        " These records are protected by federal law (42 CFR part 2)."
    )
    return TITLES[f.kind], "\n\n".join([intro, *lines])


def render_revocation(
    org_name: str, resident_name: str, consent_title: str, signed_at: datetime | None, reason: str | None
) -> tuple[str, str]:
    when = f" that I signed on {signed_at:%B %-d, %Y}" if signed_at else ""
    text = (
        f'I, {resident_name}, revoke my consent{when}: "{consent_title}".\n\n'
        f"From the moment I sign this, {org_name} may no longer share my records under that"
        " consent. What was already shared while it was in effect stays shared.\n\n"
        + (f"My reason: {reason}\n\n" if reason else "")
        + "I sign this revocation electronically; the date is recorded with my signature."
    )
    return "Revocation of my consent", text
