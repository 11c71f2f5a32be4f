"""The journey's messages over HTTP: open an application (from an approved lead, or a
readmission), read it and its journey, and tell its workflow about a bed, the waitlist, an
offer's answer, a transfer, a discharge or a resident unaccounted for.

A scoped caller's message to a journey is first checked against the caller's scope (404 for an
admission or bed outside it); org-wide callers go straight to the workflow."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import NUMBER, Day, Reason
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from api.routes.admission.access import Manager, Reader
from api.visible import VisibleAdmission, visible_bed
from core.config import get_settings
from core.contracts.admission import Application, DischargeKind
from core.enums import AdmissionStatus, DischargeReason, Priority
from core.errors import NotFound
from core.process import Wait
from services.admission import applications
from services.org_time import org_zone_name
from workflows.admission import ADMISSION
from workflows.admission.journey import AdmissionWorkflow
from workflows.admission.messages import (
    AdmissionInput,
    AssignBed,
    DischargeRequest,
    Journey,
    OfferAnswer,
    Returned,
    Stage,
    Timing,
    TransferRequest,
    Unaccounted,
    WaitlistRequest,
)

router = APIRouter(tags=["admissions"])
Cents = Annotated[int, Field(ge=0, le=100_000_000), NUMBER]


class ApplicationIn(BaseModel):
    """Open an application: exactly one of `lead_id` (an approved lead) or `resident_id`
    (a former resident coming back, whose record is reused)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "lead_id": "5e8a7d2c-9b1f-4c3e-a6d4-2f0b8e1c7a95",
                    "house_id": "0b1d1c9e-2f7a-4a8e-8a57-0c5f7e1d2b33",
                    "weekly_rate_cents": 22500,
                    "deposit_cents": 50000,
                    "expected_length_days": 90,
                }
            ]
        },
    )
    lead_id: uuid.UUID | None = Field(None, description="an approved lead")
    resident_id: uuid.UUID | None = Field(None, description="a discharged resident being readmitted")
    house_id: uuid.UUID = Field(description="the house applied to")
    weekly_rate_cents: Cents = Field(description="agreed weekly rent in cents")
    deposit_cents: Cents = Field(0, description="deposit in cents")
    expected_length_days: (
        Annotated[int, Field(ge=1, le=3650, description="planned length of stay"), NUMBER] | None
    ) = None

    def to_contract(self) -> Application:
        return Application(**self.model_dump())


class AdmissionPublic(BaseModel):
    """One stay, as stored."""

    id: uuid.UUID = Field(description="the admission's id")
    resident_id: uuid.UUID = Field(description="the resident it is for")
    lead_id: uuid.UUID | None = Field(description="the lead it came from; null for a readmission")
    house_id: uuid.UUID = Field(description="the house applied to, or placed in")
    bed_id: uuid.UUID | None = Field(description="the bed, once one is assigned")
    status: AdmissionStatus = Field(description="pending, active, completed or cancelled")
    scheduled_move_in_date: Day | None = Field(description="the first night in the bed")
    admitted_at: datetime | None = Field(description="when the resident moved in")
    ended_at: datetime | None = Field(description="when the stay ended")
    weekly_rate_cents: int = Field(description="agreed weekly rent in cents")
    deposit_cents: int = Field(description="deposit in cents")
    workflow_id: str = Field(description="the admission workflow's id")


def _read_admission(s: Session, admission_id: uuid.UUID) -> AdmissionPublic:
    a = applications.get_admission(s, admission_id)
    return AdmissionPublic(
        id=a.id,
        resident_id=a.resident_id,
        lead_id=a.lead_id,
        house_id=a.house_id,
        bed_id=a.bed_id,
        status=a.status,
        scheduled_move_in_date=a.scheduled_move_in_date,
        admitted_at=a.admitted_at,
        ended_at=a.ended_at,
        weekly_rate_cents=a.weekly_rate_cents,
        deposit_cents=a.deposit_cents,
        workflow_id=ADMISSION.id(a.org_id, a.id),
    )


class JourneyOut(BaseModel):
    """One journey's progress as its workflow sees it."""

    admission_id: uuid.UUID = Field(description="the admission")
    stage: Stage = Field(description="applied, waitlisted, offered, reserved, active, discharged or refused")
    resident_id: uuid.UUID | None = Field(description="the resident, once the application is stored")
    house_id: uuid.UUID | None = Field(description="the house applied to, or placed in")
    bed_id: uuid.UUID | None = Field(description="the bed held, if any")
    move_in_date: Day | None = Field(description="the first night in the bed")
    offered_bed_id: uuid.UUID | None = Field(description="the bed offered from the waitlist, if any")
    offer_expires_at: datetime | None = Field(description="when that offer lapses")
    pending_transfer_bed_ids: list[uuid.UUID] = Field(description="beds of transfers not yet effective")
    unaccounted_since: datetime | None = Field(description="when a missing resident was last seen")
    discharge_due_at: datetime | None = Field(description="when a missing resident will be discharged")
    discharge_kind: DischargeKind | None = Field(description="how the stay ended, once it has")
    readmission: bool = Field(description="true when a former resident came back")
    history: list[Stage] = Field(description="every stage so far, oldest first")

    @classmethod
    def of(cls, j: Journey) -> JourneyOut:
        return cls(
            admission_id=j.admission_id,
            stage=j.stage,
            resident_id=j.resident_id,
            house_id=j.house_id,
            bed_id=j.bed_id,
            move_in_date=j.move_in_date,
            offered_bed_id=j.offer.bed_id if j.offer else None,
            offer_expires_at=j.offer.expires_at if j.offer else None,
            pending_transfer_bed_ids=[t.to_bed_id for t in j.transfers],
            unaccounted_since=j.unaccounted_since,
            discharge_due_at=j.discharge_due_at,
            discharge_kind=j.discharge_kind,
            readmission=j.readmission,
            history=j.history,
        )


def timing() -> Timing:
    s = get_settings()
    return Timing(s.admission_offer_hours, s.admission_unaccounted_hours, s.admission_grace_hours)


@router.post(
    "/v1/admissions",
    status_code=201,
    response_model=AdmissionPublic,
    responses=start_responses(AdmissionPublic),
)
async def open_application(
    body: ApplicationIn,
    p: Manager,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> AdmissionPublic:
    """Open an application and start its journey. 201 once stored; 200 when an
    `Idempotency-Key` already opened it; 202 when the worker has not stored it yet."""
    app = body.to_contract()
    admission_id, replayed = await processes.claim(ADMISSION, idempotency_key, body)
    if not replayed:
        await db.run(applications.check_application, app)
    # The journey's days (a move-in today, a discharge on) are the org's.
    zone = await db.run(org_zone_name)
    await processes.start(
        ADMISSION,
        admission_id,
        AdmissionWorkflow.run,
        AdmissionInput(processes.actor, admission_id, app, timing(), zone),
        update=AdmissionWorkflow.wait_opened,
        update_arg=Wait(processes.actor),
    )
    if replayed:
        response.status_code = 200
    return await db.run(_read_admission, admission_id)


@router.get("/v1/admissions/{admission_id}", response_model=AdmissionPublic)
async def get_admission(admission_id: uuid.UUID, _: Reader, db: TenantDep) -> AdmissionPublic:
    """One admission; 404 when it is another org's or outside the caller's houses."""
    return await db.run(_read_admission, admission_id)


@router.get("/v1/admissions/{admission_id}/journey", response_model=JourneyOut)
async def journey(_: Reader, admission_id: VisibleAdmission, processes: ProcessesDep) -> JourneyOut:
    """The admission's journey as its workflow holds it: stage, bed, offers, transfers and
    discharge, with every stage so far."""
    j = await processes.query(ADMISSION, admission_id, AdmissionWorkflow.journey)
    if j is None:
        raise NotFound("admission not started", field="admission_id")
    return JourneyOut.of(j)


class BedIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"bed_id": "7c9e2a41-1d3b-4f6a-b8e2-93d0c5a1f7e4", "move_in_date": "2026-12-15"}]
        },
    )
    bed_id: uuid.UUID = Field(description="the bed to hold")
    move_in_date: Day | None = Field(None, description="today when omitted; a later day reserves the bed")


@router.post("/v1/admissions/{admission_id}/bed", response_model=JourneyOut)
async def assign_bed(
    p: Manager, admission_id: VisibleAdmission, body: BedIn, processes: ProcessesDep, db: TenantDep
) -> JourneyOut:
    """Give the application a bed; 409 naming the bed when it is taken for any of those days."""
    await visible_bed(p, db, body.bed_id, "bed_id")
    j = await processes.update(
        ADMISSION,
        admission_id,
        AdmissionWorkflow.assign_bed,
        AssignBed(processes.actor, body.bed_id, body.move_in_date),
    )
    return JourneyOut.of(j)


class WaitlistIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"priority": "normal", "any_house": False}]}
    )
    priority: Priority = Field(Priority.NORMAL, description="urgent entries are offered beds first")
    any_house: StrictBool = Field(False, description="wait for any house, not only the one applied to")


@router.post("/v1/admissions/{admission_id}/waitlist", response_model=JourneyOut)
async def join_waitlist(
    _: Manager, admission_id: VisibleAdmission, body: WaitlistIn, processes: ProcessesDep
) -> JourneyOut:
    """Put a pending admission on the waiting list (this house or any house, urgent first); the
    journey answers once the entry exists."""
    j = await processes.update(
        ADMISSION,
        admission_id,
        AdmissionWorkflow.join_waitlist,
        WaitlistRequest(processes.actor, body.priority, body.any_house),
    )
    return JourneyOut.of(j)


class OfferAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"accept": True}]})
    accept: StrictBool = Field(description="true: move in today; false: decline, the bed goes to the next")


@router.post("/v1/admissions/{admission_id}/offer", response_model=JourneyOut)
async def answer_offer(
    _: Manager, admission_id: VisibleAdmission, body: OfferAnswerIn, processes: ProcessesDep
) -> JourneyOut:
    """Accept (moves in today) or decline the bed offered from the waitlist."""
    j = await processes.update(
        ADMISSION, admission_id, AdmissionWorkflow.answer_offer, OfferAnswer(processes.actor, body.accept)
    )
    return JourneyOut.of(j)


class TransferIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "to_bed_id": "7c9e2a41-1d3b-4f6a-b8e2-93d0c5a1f7e4",
                    "effective_date": "2026-12-20",
                    "reason": "quieter room",
                }
            ]
        },
    )
    to_bed_id: uuid.UUID = Field(description="the bed to move to (in this or another house)")
    effective_date: Day | None = Field(None, description="today when omitted")
    reason: Reason | None = Field(None, description="why (stored encrypted)")


@router.post("/v1/admissions/{admission_id}/transfer", response_model=JourneyOut)
async def transfer(
    p: Manager, admission_id: VisibleAdmission, body: TransferIn, processes: ProcessesDep, db: TenantDep
) -> JourneyOut:
    """Move an active resident to another bed from `effective_date` on."""
    await visible_bed(p, db, body.to_bed_id, "to_bed_id")
    j = await processes.update(
        ADMISSION,
        admission_id,
        AdmissionWorkflow.transfer,
        TransferRequest(processes.actor, body.to_bed_id, body.effective_date, body.reason),
    )
    return JourneyOut.of(j)


class DischargeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "planned",
                    "reason": "completed_program",
                    "date": "2027-03-15",
                    "details": "completed 90 days",
                }
            ]
        },
    )
    kind: DischargeKind = Field(description="planned, voluntary, administrative or left_without_notice")
    reason: DischargeReason | None = Field(
        None, description="the reason code; required when kind is administrative"
    )
    date: dt.date | None = Field(None, description="today when omitted; not in the future")
    details: Reason | None = Field(None, description="the circumstances (stored encrypted)")


@router.post("/v1/admissions/{admission_id}/discharge", response_model=JourneyOut)
async def discharge(
    _: Manager, admission_id: VisibleAdmission, body: DischargeIn, processes: ProcessesDep
) -> JourneyOut:
    """Discharge now: the bed is free at once and offered to the waitlist."""
    j = await processes.update(
        ADMISSION,
        admission_id,
        AdmissionWorkflow.discharge,
        DischargeRequest(processes.actor, body.kind, body.reason, body.date, body.details),
    )
    return JourneyOut.of(j)


class UnaccountedIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"since": "2026-12-05T22:00:00Z", "returned": False}]}
    )
    since: datetime = Field(description="when the resident was last accounted for")
    returned: StrictBool = Field(False, description="true: the resident is back, cancel the discharge")


class Signalled(BaseModel):
    status: Literal["signalled"] = Field("signalled", description="the workflow has been told")


@router.post("/v1/admissions/{admission_id}/unaccounted", status_code=202, response_model=Signalled)
async def unaccounted(
    _: Manager, admission_id: VisibleAdmission, body: UnaccountedIn, processes: ProcessesDep
) -> Signalled:
    """Report a resident missing (or back). Unless cancelled, the workflow discharges them as
    left without notice once missing for the configured hours, after a grace period."""
    if body.returned:
        await processes.signal(
            ADMISSION, admission_id, AdmissionWorkflow.report_returned, Returned(processes.actor)
        )
    else:
        since = body.since if body.since.tzinfo else body.since.replace(tzinfo=UTC)
        await processes.signal(
            ADMISSION, admission_id, AdmissionWorkflow.report_unaccounted, Unaccounted(processes.actor, since)
        )
    return Signalled()
