"""The admission family's messages: the journey's input, the updates and signals it answers,
the signals a bed offer sends it, its `Stage`s and the `Journey` it keeps; the bed offer's
input, answer and result. Data only, so both workflows and the API share them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from core.contracts.admission import Application, DischargeKind
    from core.enums import DischargeReason, Priority
    from core.process import Actor

# The journey's signals from a bed offer: named here because the bed offer sends them by name
# (importing the journey from there would make the two workflow modules import each other).
BED_OFFERED = "bed_offered"
OFFER_WITHDRAWN = "offer_withdrawn"


class Stage(StrEnum):
    APPLIED = "applied"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    RESERVED = "reserved"
    ACTIVE = "active"
    DISCHARGED = "discharged"
    REFUSED = "refused"


@dataclass(frozen=True)
class Timing:
    """The journey's clocks, in hours (settings `admission_*_hours`)."""

    offer_hours: int = 48
    unaccounted_hours: int = 72
    grace_hours: int = 24


@dataclass(frozen=True)
class AdmissionInput:
    actor: Actor
    admission_id: uuid.UUID
    application: Application
    timing: Timing = Timing()
    # The org's time zone: its today and midnights (core/localtime.py). UTC for journeys
    # opened before it was passed, which keep UTC days.
    zone: str = "UTC"


@dataclass(frozen=True)
class AssignBed:
    actor: Actor
    bed_id: uuid.UUID
    move_in_date: date | None = None  # None: today


@dataclass(frozen=True)
class WaitlistRequest:
    actor: Actor
    priority: Priority = Priority.NORMAL
    any_house: bool = False  # False: wait for the application's house


@dataclass(frozen=True)
class BedOffered:
    actor: Actor
    entry_id: uuid.UUID
    bed_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True)
class OfferWithdrawn:
    actor: Actor
    entry_id: uuid.UUID
    bed_id: uuid.UUID


@dataclass(frozen=True)
class OfferAnswer:
    actor: Actor
    accept: bool


@dataclass(frozen=True)
class TransferRequest:
    actor: Actor
    to_bed_id: uuid.UUID
    effective_date: date | None = None  # None: today
    reason: str | None = None  # PHI: stored by the activity, not kept by the workflow


@dataclass(frozen=True)
class DischargeRequest:
    actor: Actor
    kind: DischargeKind
    reason: DischargeReason | None = None  # required for an administrative discharge
    on: date | None = None  # None: today
    details: str | None = None  # PHI: stored by the activity, not kept by the workflow


@dataclass(frozen=True)
class Unaccounted:
    """Staff report a resident missing since `since` (later: missed curfew check-ins)."""

    actor: Actor
    since: datetime


@dataclass(frozen=True)
class Returned:
    actor: Actor


@dataclass(frozen=True)
class OpenOffer:
    entry_id: uuid.UUID
    bed_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True)
class PendingTransfer:
    transfer_id: uuid.UUID
    from_bed_id: uuid.UUID
    to_bed_id: uuid.UUID
    effective_date: date


@dataclass
class Journey:
    admission_id: uuid.UUID
    stage: Stage = Stage.APPLIED
    resident_id: uuid.UUID | None = None
    house_id: uuid.UUID | None = None
    bed_id: uuid.UUID | None = None
    move_in_date: date | None = None
    waitlist_entry_id: uuid.UUID | None = None
    offer: OpenOffer | None = None
    transfers: list[PendingTransfer] = field(default_factory=list)
    unaccounted_since: datetime | None = None
    discharge_due_at: datetime | None = None
    discharge_id: uuid.UUID | None = None
    discharge_kind: DischargeKind | None = None
    readmission: bool = False
    refusal: str | None = None
    history: list[Stage] = field(default_factory=list)


# --- the waitlist ------------------------------------------------------------------------


@dataclass(frozen=True)
class BedOfferInput:
    actor: Actor
    bed_id: uuid.UUID
    offer_hours: int = 48


@dataclass(frozen=True)
class OfferAnswered:
    actor: Actor
    entry_id: uuid.UUID
    accepted: bool


@dataclass
class BedOfferResult:
    bed_id: uuid.UUID
    offered_to: list[uuid.UUID] = field(default_factory=list)
    placed_entry_id: uuid.UUID | None = None
