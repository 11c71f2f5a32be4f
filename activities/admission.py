"""Admission activities: the resident journey's writes, through the services/admission/ package.
Every id a write creates comes from the workflow (`workflow.uuid4()`), so a retried activity finds
its own earlier row instead of writing a second one; times come from the workflow too, so
simulated months in tests are months in the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from temporalio import activity

from activities.base import TenantActivities
from core.contracts.admission import (
    Application,
    Discharged,
    DischargeKind,
    Offer,
    Opened,
    Placed,
    Transferred,
)
from core.enums import DischargeReason, Priority, WaitlistStatus
from core.process import Actor
from services.admission import applications, discharge, placement, transfers, waitlist

SOURCE = "workflow:Admission"


@dataclass(frozen=True)
class OpenApplication:
    actor: Actor
    admission_id: uuid.UUID
    new_resident_id: uuid.UUID
    application: Application
    at: datetime


@dataclass(frozen=True)
class PlaceInBed:
    actor: Actor
    admission_id: uuid.UUID
    occupancy_id: uuid.UUID
    bed_id: uuid.UUID
    move_in_date: date
    at: datetime
    # The org's time zone: which day is today (core/localtime.py).
    zone: str = "UTC"


@dataclass(frozen=True)
class MoveIn:
    actor: Actor
    admission_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class JoinWaitlist:
    actor: Actor
    admission_id: uuid.UUID
    entry_id: uuid.UUID
    priority: Priority
    house_id: uuid.UUID | None
    at: datetime


@dataclass(frozen=True)
class TransferBed:
    actor: Actor
    admission_id: uuid.UUID
    transfer_id: uuid.UUID
    occupancy_id: uuid.UUID
    to_bed_id: uuid.UUID
    effective_date: date
    at: datetime
    reason: str | None = None
    zone: str = "UTC"


@dataclass(frozen=True)
class CompleteTransfer:
    actor: Actor
    transfer_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class DischargeResident:
    actor: Actor
    admission_id: uuid.UUID
    discharge_id: uuid.UUID
    kind: DischargeKind
    reason: DischargeReason
    on: date
    at: datetime
    details: str | None = None
    zone: str = "UTC"


@dataclass(frozen=True)
class OfferNext:
    actor: Actor
    bed_id: uuid.UUID
    skip: tuple[uuid.UUID, ...]
    at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ReleaseOffer:
    actor: Actor
    entry_id: uuid.UUID
    bed_id: uuid.UUID


class AdmissionActivities(TenantActivities):
    @activity.defn(name="admission.open_application")
    def open_application(self, inp: OpenApplication) -> Opened:
        with self.session(inp.actor) as s:
            return applications.open_application(
                s,
                inp.admission_id,
                inp.new_resident_id,
                inp.application,
                inp.at,
                by=inp.actor.user_id,
                source=SOURCE,
            )

    @activity.defn(name="admission.place")
    def place(self, inp: PlaceInBed) -> Placed:
        with self.session(inp.actor) as s:
            return placement.place(
                s,
                inp.occupancy_id,
                inp.admission_id,
                inp.bed_id,
                inp.move_in_date,
                inp.at,
                by=inp.actor.user_id,
                source=SOURCE,
                zone=inp.zone,
            )

    @activity.defn(name="admission.move_in")
    def move_in(self, inp: MoveIn) -> None:
        with self.session(inp.actor) as s:
            placement.move_in(s, inp.admission_id, inp.at, by=inp.actor.user_id, source=SOURCE)

    @activity.defn(name="admission.join_waitlist")
    def join_waitlist(self, inp: JoinWaitlist) -> uuid.UUID:
        with self.session(inp.actor) as s:
            return waitlist.join(
                s,
                inp.entry_id,
                inp.admission_id,
                inp.priority,
                inp.house_id,
                inp.at,
                by=inp.actor.user_id,
                source=SOURCE,
            ).id

    @activity.defn(name="admission.transfer")
    def transfer(self, inp: TransferBed) -> Transferred:
        with self.session(inp.actor) as s:
            return transfers.transfer(
                s,
                inp.transfer_id,
                inp.occupancy_id,
                inp.admission_id,
                inp.to_bed_id,
                inp.effective_date,
                inp.at,
                inp.reason,
                by=inp.actor.user_id,
                zone=inp.zone,
            )

    @activity.defn(name="admission.complete_transfer")
    def complete_transfer(self, inp: CompleteTransfer) -> None:
        with self.session(inp.actor) as s:
            transfers.complete_transfer(s, inp.transfer_id, inp.at)

    @activity.defn(name="admission.discharge")
    def discharge(self, inp: DischargeResident) -> Discharged:
        with self.session(inp.actor) as s:
            return discharge.discharge(
                s,
                inp.discharge_id,
                inp.admission_id,
                inp.kind,
                inp.reason,
                inp.on,
                inp.at,
                inp.details,
                by=inp.actor.user_id,
                source=SOURCE,
                zone=inp.zone,
            )

    @activity.defn(name="admission.offer_next")
    def offer_next(self, inp: OfferNext) -> Offer | None:
        with self.session(inp.actor) as s:
            return waitlist.offer_next(s, inp.bed_id, inp.skip, inp.at, inp.expires_at)

    @activity.defn(name="admission.release_offer")
    def release_offer(self, inp: ReleaseOffer) -> WaitlistStatus:
        with self.session(inp.actor) as s:
            return waitlist.release_offer(s, inp.entry_id, inp.bed_id)
