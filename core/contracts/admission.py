"""The resident journey's data: what an application holds, what each step of the journey
reports back (opened, placed, transferred, discharged, offered a bed), and how a stay ends.
The admission workflows, their activities, the services and the API all speak these."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from core.enums import DischargeReason


class DischargeKind(StrEnum):
    PLANNED = "planned"
    VOLUNTARY = "voluntary"
    ADMINISTRATIVE = "administrative"
    LEFT_WITHOUT_NOTICE = "left_without_notice"


# The reporting category each kind records; an administrative discharge names its own.
KIND_REASON = {
    DischargeKind.PLANNED: DischargeReason.COMPLETED_PROGRAM,
    DischargeKind.VOLUNTARY: DischargeReason.VOLUNTARY,
    DischargeKind.LEFT_WITHOUT_NOTICE: DischargeReason.OTHER,
}
ADMINISTRATIVE_REASONS = frozenset(DischargeReason) - {
    DischargeReason.COMPLETED_PROGRAM,
    DischargeReason.VOLUNTARY,
}


@dataclass(frozen=True)
class Application:
    """What staff decide when a person applies: who (an approved lead, or a former resident
    coming back), which house, and the agreed terms in integer cents."""

    house_id: uuid.UUID
    weekly_rate_cents: int
    deposit_cents: int = 0
    lead_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    expected_length_days: int | None = None


@dataclass(frozen=True)
class Opened:
    admission_id: uuid.UUID
    resident_id: uuid.UUID
    house_id: uuid.UUID
    readmission: bool


@dataclass(frozen=True)
class Placed:
    admission_id: uuid.UUID
    bed_id: uuid.UUID
    house_id: uuid.UUID
    move_in_date: date
    active: bool


@dataclass(frozen=True)
class Transferred:
    transfer_id: uuid.UUID
    from_bed_id: uuid.UUID
    to_bed_id: uuid.UUID
    effective_date: date
    completed: bool


@dataclass(frozen=True)
class Discharged:
    discharge_id: uuid.UUID
    admission_id: uuid.UUID
    resident_id: uuid.UUID
    bed_id: uuid.UUID
    house_id: uuid.UUID
    discharged_on: date
    weekly_rate_cents: int
    deposit_cents: int


@dataclass(frozen=True)
class Offer:
    """A freed bed offered to the first waitlist entry in line."""

    entry_id: uuid.UUID
    admission_id: uuid.UUID
    bed_id: uuid.UUID
