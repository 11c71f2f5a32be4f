"""Retention and destruction as data: the record types a retention run covers, the legal floor
of each (an operator may keep records longer, never shorter), the default policy, and the
derived ids and object keys of a run. Shared by the workflow, its activities and the API.

Sources are in /work/shared/REGULATORY.md §3 and §5; what is marked [U] there or here was read
on a secondary source, not the primary text.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from core.enums import DocumentType


class RecordType(StrEnum):
    # A resident's document (agreement, consent, ID...), kept per its document type's policy.
    DOCUMENT = "document"
    # A discharged resident's own record: their row, discharges, drug tests and files.
    RESIDENT = "resident"
    # A breach incident's assessment and decision (a not-notifiable conclusion included).
    BREACH_INCIDENT = "breach_incident"
    # The audit trail: kept by its own policy and never destroyed by a retention run.
    AUDIT_LOG = "audit_log"


@dataclass(frozen=True)
class Floor:
    years: int
    retain_from: str
    basis: str


# The least each record type is kept, and why. The default policy is the floor unless DEFAULTS
# says more.
FLOORS: dict[RecordType, Floor] = {
    RecordType.RESIDENT: Floor(
        4,
        "discharge",
        # 28 Pa. Code §717.20(c): "for at least 4 years following the ending or completion of
        # residency". Read on a casetext mirror current through 54 Pa.B. (Dec. 2024)
        # (d1tvxue8o4w0fl.cloudfront.net/…/section-71720-resident-records), not on
        # pacodeandbulletin.gov, whose pages of the same chapter (§717.19, §717.29) agree with
        # the mirror [U]. (It is Title 28, Part V, DDAP; not Title 55.) §717.21 keeps the
        # roster's dates as long: they are plaintext and a run never erases them. Other states'
        # floors are not in this table [U].
        "28 Pa. Code §717.20(c): resident records at least 4 years after residency ends",
    ),
    RecordType.BREACH_INCIDENT: Floor(
        6,
        "decided",
        "45 CFR 164.530(j)(2) and 164.414(b): breach documentation, a not-notifiable conclusion "
        "included, 6 years from its creation",
    ),
    RecordType.AUDIT_LOG: Floor(
        6,
        "created",
        "45 CFR 164.316(b)(2)(i) and 164.312(b): Security Rule documentation and activity records, "
        "6 years from creation",
    ),
}
DEFAULT_YEARS: dict[RecordType, int] = {RecordType.RESIDENT: 6}
RESIDENT_DEFAULT_BASIS = (
    "28 Pa. Code §717.20(c): at least 4 years after residency ends [U]; kept 6, as the HIPAA "
    "documentation in the record (authorizations, notices) is, 45 CFR 164.530(j)(2)"
)

# Per document type: a signed consent or authorization is HIPAA documentation (6 years); the
# rest have no federal floor of their own, and a resident's documents are in any case kept as
# long as their resident's record (RESIDENT above), which runs from discharge.
DOCUMENT_FLOORS: dict[DocumentType, Floor] = {
    DocumentType.CONSENT_FORM: Floor(
        6, "signed", "45 CFR 164.508(b)(6) and 164.530(j)(2): a signed authorization, 6 years"
    ),
}
NO_FEDERAL_FLOOR = Floor(1, "created", "no federal floor; kept at least as long as the resident's record")

# Destruction waits for a named person's confirmation this long before the run lapses (the next
# day's run lists again).
CONFIRM_DAYS = 14
# The word an erased NOT NULL encrypted field holds instead of what it said.
ERASED = "[destroyed]"

_RUNS = uuid.UUID("1d7e6a52-0c53-4f0e-8a8b-3b0f6c2e9d41")


def floor_of(record_type: RecordType, document_type: DocumentType | None = None) -> Floor:
    if record_type is RecordType.DOCUMENT:
        assert document_type is not None
        return DOCUMENT_FLOORS.get(document_type, NO_FEDERAL_FLOOR)
    return FLOORS[record_type]


def run_id(org_id: uuid.UUID, run_on: date) -> uuid.UUID:
    """One run per org and day: the scheduled run and one started by hand that day are one."""
    return uuid.uuid5(_RUNS, f"{org_id}:{run_on.isoformat()}")


def certificate_file(org_id: uuid.UUID, run: uuid.UUID) -> str:
    """The certificate's object key: opaque, as every file's (`<org_id>/<uuid>`)."""
    return f"{org_id}/{uuid.uuid5(run, 'certificate')}"


def years_after(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year + years)
    except ValueError:  # 29 February
        return on.replace(year=on.year + years, day=28)


def years_before(on: date, years: int) -> date:
    return years_after(on, -years)


@dataclass(frozen=True)
class Listing:
    """What a dry run found (ids only), and its counts per record type."""

    run_id: uuid.UUID
    counts: dict[str, int]
    status: str

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Destroyed:
    """What a destruction did: counts per record type, what holds placed since the dry run
    saved, and the object keys (opaque) whose files are to be deleted from the store."""

    counts: dict[str, int]
    skipped: dict[str, int]
    file_keys: list[str]
