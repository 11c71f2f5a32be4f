"""The rights of access (45 CFR 164.524) as the AccessRequest workflow, its activities and
services pass them along: the clocks, the grounds of a denial, and the files' derived keys.

The grounds of denial follow §164.524(a)(1)-(3) as the eCFR text reads (federal.elaws.us,
current to 2024-11-08): (a)(1) psychotherapy notes and information compiled for proceedings,
(a)(2) the other unreviewable grounds (the Privacy Act one, for federal agencies, is left out),
(a)(3) the reviewable ones. The clocks are REGULATORY.md §3's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# 164.524(b)(2)(i): act on a request no later than 30 days after receiving it.
ACCESS_DAYS = 30
# 164.524(b)(2)(ii): once, by no more than 30 days, if the individual is told in writing within
# the first 30 days why, and when the covered entity will act.
EXTENSION_DAYS = 30
# 164.526(b)(2)(i): act on a request for amendment no later than 60 days after receiving it;
# (b)(2)(ii): once, by no more than 30 days, with the reasons given in writing within the 60.
AMEND_DAYS = 60

# The resident's own fields an accepted amendment may change in place; any other correction is
# appended to the record (164.526(c)(1): "appending or otherwise providing a link").
AMENDABLE_FIELDS = frozenset(
    {
        "preferred_name",
        "pronouns",
        "gender_identity",
        "phone",
        "email",
        "emergency_medical_info",
        "legal_status",
    }
)


class AmendmentGround(StrEnum):
    """Why an amendment is denied (164.526(a)(2))."""

    NOT_CREATED_HERE = "not_created_here"
    NOT_IN_DESIGNATED_RECORD_SET = "not_in_designated_record_set"
    NOT_AVAILABLE_FOR_INSPECTION = "not_available_for_inspection"
    ACCURATE_AND_COMPLETE = "accurate_and_complete"


AMENDMENT_GROUND_WORDS: dict[AmendmentGround, str] = {
    AmendmentGround.NOT_CREATED_HERE: (
        "We did not create this information, and its author can still act on your request."
    ),
    AmendmentGround.NOT_IN_DESIGNATED_RECORD_SET: (
        "The information is not part of the records we use to make decisions about you."
    ),
    AmendmentGround.NOT_AVAILABLE_FOR_INSPECTION: "The information is not one you have a right to see.",
    AmendmentGround.ACCURATE_AND_COMPLETE: "We believe the information is accurate and complete as it is.",
}


class DenialGround(StrEnum):
    """Why access is denied. The first five may not be reviewed (164.524(a)(1)-(2)); the last
    three give the right to have a licensed health care professional review it (164.524(a)(3))."""

    PSYCHOTHERAPY_NOTES = "psychotherapy_notes"
    LEGAL_PROCEEDINGS = "legal_proceedings"
    CORRECTIONAL_INSTITUTION = "correctional_institution"
    RESEARCH_IN_PROGRESS = "research_in_progress"
    CONFIDENTIAL_SOURCE = "confidential_source"
    ENDANGERS_LIFE_OR_SAFETY = "endangers_life_or_safety"
    REFERENCES_ANOTHER_PERSON = "references_another_person"
    PERSONAL_REPRESENTATIVE_HARM = "personal_representative_harm"

    @property
    def reviewable(self) -> bool:
        return self in REVIEWABLE


REVIEWABLE = frozenset(
    {
        DenialGround.ENDANGERS_LIFE_OR_SAFETY,
        DenialGround.REFERENCES_ANOTHER_PERSON,
        DenialGround.PERSONAL_REPRESENTATIVE_HARM,
    }
)

GROUND_WORDS: dict[DenialGround, str] = {
    DenialGround.PSYCHOTHERAPY_NOTES: "The records you asked for are psychotherapy notes.",
    DenialGround.LEGAL_PROCEEDINGS: "The records were prepared for a legal proceeding.",
    DenialGround.CORRECTIONAL_INSTITUTION: (
        "A copy would put at risk the health or safety of people in a correctional institution."
    ),
    DenialGround.RESEARCH_IN_PROGRESS: (
        "The records are part of research you agreed to; access resumes when it ends."
    ),
    DenialGround.CONFIDENTIAL_SOURCE: (
        "The information came from someone other than a health care provider, "
        "under a promise of confidentiality."
    ),
    DenialGround.ENDANGERS_LIFE_OR_SAFETY: (
        "A licensed health care professional judged that access is reasonably likely to endanger "
        "your life or physical safety or someone else's."
    ),
    DenialGround.REFERENCES_ANOTHER_PERSON: (
        "The records name another person, and a licensed health care professional judged that "
        "access is reasonably likely to cause that person substantial harm."
    ),
    DenialGround.PERSONAL_REPRESENTATIVE_HARM: (
        "The request came from a personal representative, and a licensed health care professional "
        "judged that access by them is reasonably likely to cause substantial harm."
    ),
}


@dataclass(frozen=True)
class Clock:
    requested_at: datetime
    extended_due_at: datetime | None = None
    days: int = ACCESS_DAYS

    @property
    def first_due_at(self) -> datetime:
        return self.requested_at + timedelta(days=self.days)

    @property
    def due_at(self) -> datetime:
        return self.extended_due_at or self.first_due_at


@dataclass(frozen=True)
class Denial:
    ground: DenialGround
    explanation: str
    # Who the resident may contact about the denial (164.524(d)(2)(iii)): a name or title and a phone.
    contact: str


def export_key(request_id: uuid.UUID, kind: str) -> uuid.UUID:
    """The export's (`json`, `pdf`) or the denial letter's (`denial`) file id: the same on retry."""
    return uuid.uuid5(request_id, f"access-request/{kind}")


def export_file(org_id: uuid.UUID, request_id: uuid.UUID, kind: str) -> str:
    """Opaque object keys, as every file's (`<org_id>/<uuid>`): never a name."""
    return f"{org_id}/{export_key(request_id, kind)}"


@dataclass(frozen=True)
class AmendmentDenial:
    ground: AmendmentGround
    explanation: str
    contact: str


@dataclass(frozen=True)
class Amendment:
    """What a resident asks to amend: optionally one of their own fields and its value (PHI,
    stored encrypted), and the people to tell once it is made (164.526(c)(3))."""

    field: str | None = None
    value: str | None = None
    notify: tuple[str, ...] = ()
