"""The resident journey over HTTP: applications (from an approved lead, or a readmission),
beds, the waitlist and its offers, transfers, discharges, and the live bed board."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from core.config import get_settings
from core.errors import NotFound
from core.permissions import Perm
from models.enums import AdmissionStatus, DischargeReason, HouseGender, Priority, WaitlistStatus
from services import admission, housing, waitlist
from services.admission import Application, DischargeKind
from services.housing import BoardStatus
from workflows.admission import (
    ADMISSION,
    AdmissionInput,
    AdmissionWorkflow,
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
from workflows.common import Wait

router = APIRouter(tags=["admissions"])

Manager = Annotated[Principal, Depends(require(Perm.ADMISSION_MANAGE))]
Reader = Annotated[Principal, Depends(require(Perm.RESIDENT_READ))]
BoardReader = Annotated[Principal, Depends(require(Perm.PROPERTY_READ))]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Cents = Annotated[int, Field(ge=0, le=100_000_000)]


class ApplicationIn(BaseModel):
    """Open an application: exactly one of `lead_id` (an approved lead) or `resident_id`
    (a former resident coming back, whose record is reused)."""

    model_config = ConfigDict(extra="forbid")
    lead_id: uuid.UUID | None = Field(None, description="an approved lead")
    resident_id: uuid.UUID | None = Field(None, description="a discharged resident being readmitted")
    house_id: uuid.UUID = Field(description="the house applied to")
    weekly_rate_cents: Cents = Field(description="agreed weekly rent in cents")
    deposit_cents: Cents = Field(0, description="deposit in cents")
    expected_length_days: int | None = Field(None, ge=1, le=3650, description="planned length of stay")

    def to_contract(self) -> Application:
        return Application(**self.model_dump())


class AdmissionPublic(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    lead_id: uuid.UUID | None
    house_id: uuid.UUID
    bed_id: uuid.UUID | None
    status: AdmissionStatus
    scheduled_move_in_date: date | None
    admitted_at: datetime | None
    ended_at: datetime | None
    weekly_rate_cents: int
    deposit_cents: int
    workflow_id: str


def _read_admission(s: Session, admission_id: uuid.UUID) -> AdmissionPublic:
    a = admission.get_admission(s, admission_id)
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

    admission_id: uuid.UUID
    stage: Stage = Field(description="applied, waitlisted, offered, reserved, active, discharged or refused")
    resident_id: uuid.UUID | None
    house_id: uuid.UUID | None
    bed_id: uuid.UUID | None
    move_in_date: date | None
    offered_bed_id: uuid.UUID | None = Field(description="the bed offered from the waitlist, if any")
    offer_expires_at: datetime | None
    pending_transfer_bed_ids: list[uuid.UUID]
    unaccounted_since: datetime | None
    discharge_due_at: datetime | None = Field(description="when a missing resident will be discharged")
    discharge_kind: DischargeKind | None
    readmission: bool
    history: list[Stage]

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
        await db.run(admission.check_application, app)
    await processes.start(
        ADMISSION,
        admission_id,
        AdmissionWorkflow.run,
        AdmissionInput(processes.actor, admission_id, app, timing()),
        update=AdmissionWorkflow.wait_opened,
        update_arg=Wait(processes.actor),
    )
    if replayed:
        response.status_code = 200
    return await db.run(_read_admission, admission_id)


@router.get("/v1/admissions/{admission_id}", response_model=AdmissionPublic)
async def get_admission(admission_id: uuid.UUID, _: Reader, db: TenantDep) -> AdmissionPublic:
    return await db.run(_read_admission, admission_id)


@router.get("/v1/admissions/{admission_id}/journey", response_model=JourneyOut)
async def journey(admission_id: uuid.UUID, _: Reader, processes: ProcessesDep) -> JourneyOut:
    j = await processes.query(ADMISSION, admission_id, AdmissionWorkflow.journey)
    if j is None:
        raise NotFound("admission not started", field="admission_id")
    return JourneyOut.of(j)


class BedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bed_id: uuid.UUID
    move_in_date: date | None = Field(None, description="today when omitted; a later day reserves the bed")


@router.post("/v1/admissions/{admission_id}/bed", response_model=JourneyOut)
async def assign_bed(admission_id: uuid.UUID, body: BedIn, _: Manager, processes: ProcessesDep) -> JourneyOut:
    """Give the application a bed; 409 naming the bed when it is taken for any of those days."""
    j = await processes.update(
        ADMISSION,
        admission_id,
        AdmissionWorkflow.assign_bed,
        AssignBed(processes.actor, body.bed_id, body.move_in_date),
    )
    return JourneyOut.of(j)


class WaitlistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    priority: Priority = Priority.NORMAL
    any_house: bool = Field(False, description="wait for any house, not only the one applied to")


@router.post("/v1/admissions/{admission_id}/waitlist", response_model=JourneyOut)
async def join_waitlist(
    admission_id: uuid.UUID, body: WaitlistIn, _: Manager, processes: ProcessesDep
) -> JourneyOut:
    j = await processes.update(
        ADMISSION,
        admission_id,
        AdmissionWorkflow.join_waitlist,
        WaitlistRequest(processes.actor, body.priority, body.any_house),
    )
    return JourneyOut.of(j)


class OfferAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accept: bool


@router.post("/v1/admissions/{admission_id}/offer", response_model=JourneyOut)
async def answer_offer(
    admission_id: uuid.UUID, body: OfferAnswerIn, _: Manager, processes: ProcessesDep
) -> JourneyOut:
    """Accept (moves in today) or decline the bed offered from the waitlist."""
    j = await processes.update(
        ADMISSION, admission_id, AdmissionWorkflow.answer_offer, OfferAnswer(processes.actor, body.accept)
    )
    return JourneyOut.of(j)


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_bed_id: uuid.UUID
    effective_date: date | None = Field(None, description="today when omitted")
    reason: Reason | None = None


@router.post("/v1/admissions/{admission_id}/transfer", response_model=JourneyOut)
async def transfer(
    admission_id: uuid.UUID, body: TransferIn, _: Manager, processes: ProcessesDep
) -> JourneyOut:
    j = await processes.update(
        ADMISSION,
        admission_id,
        AdmissionWorkflow.transfer,
        TransferRequest(processes.actor, body.to_bed_id, body.effective_date, body.reason),
    )
    return JourneyOut.of(j)


class DischargeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: DischargeKind
    reason: DischargeReason | None = Field(
        None, description="the reason code; required when kind is administrative"
    )
    date: dt.date | None = Field(None, description="today when omitted; not in the future")
    details: Reason | None = None


@router.post("/v1/admissions/{admission_id}/discharge", response_model=JourneyOut)
async def discharge(
    admission_id: uuid.UUID, body: DischargeIn, _: Manager, processes: ProcessesDep
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
    model_config = ConfigDict(extra="forbid")
    since: datetime = Field(description="when the resident was last accounted for")
    returned: bool = Field(False, description="true: the resident is back, cancel the discharge")


class Signalled(BaseModel):
    status: Literal["signalled"] = "signalled"


@router.post("/v1/admissions/{admission_id}/unaccounted", status_code=202, response_model=Signalled)
async def unaccounted(
    admission_id: uuid.UUID, body: UnaccountedIn, _: Manager, processes: ProcessesDep
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


# --- the waitlist --------------------------------------------------------------------------


class WaitlistEntryOut(BaseModel):
    id: uuid.UUID
    admission_id: uuid.UUID | None
    resident_id: uuid.UUID | None
    house_id: uuid.UUID | None = Field(description="None: any house")
    priority: Priority
    status: WaitlistStatus
    added_at: datetime
    offered_bed_id: uuid.UUID | None
    offer_expires_at: datetime | None


def _queue(s: Session, house_id: uuid.UUID | None, limit: int, offset: int) -> list[WaitlistEntryOut]:
    return [
        WaitlistEntryOut.model_validate(e, from_attributes=True)
        for e in waitlist.queue(s, house_id, limit=limit, offset=offset)
    ]


@router.get("/v1/waitlist", response_model=list[WaitlistEntryOut])
async def waitlist_queue(
    _: Reader,
    db: TenantDep,
    house_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[WaitlistEntryOut]:
    """Open entries in offer order: priority (urgent first), then time on the list."""
    return await db.run(_queue, house_id, limit, offset)


class ReprioritiseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    priority: Priority
    reason: Reason


class RemoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


def _reprioritise(s: Session, entry_id: uuid.UUID, body: ReprioritiseIn) -> WaitlistEntryOut:
    return WaitlistEntryOut.model_validate(
        waitlist.reprioritise(s, entry_id, body.priority, body.reason), from_attributes=True
    )


def _remove(s: Session, entry_id: uuid.UUID, reason: str) -> WaitlistEntryOut:
    return WaitlistEntryOut.model_validate(
        waitlist.remove(s, entry_id, reason, datetime.now(UTC)), from_attributes=True
    )


@router.post("/v1/waitlist/{entry_id}/priority", response_model=WaitlistEntryOut)
async def reprioritise(
    entry_id: uuid.UUID, body: ReprioritiseIn, _: Manager, db: TenantDep
) -> WaitlistEntryOut:
    return await db.run(_reprioritise, entry_id, body)


@router.post("/v1/waitlist/{entry_id}/removal", response_model=WaitlistEntryOut)
async def remove(entry_id: uuid.UUID, body: RemoveIn, _: Manager, db: TenantDep) -> WaitlistEntryOut:
    return await db.run(_remove, entry_id, body.reason)


# --- the bed board -------------------------------------------------------------------------


class BoardBedOut(BaseModel):
    bed_id: uuid.UUID
    label: str
    room: str
    status: BoardStatus
    since: date | None = Field(description="when the current status began")
    resident_id: uuid.UUID | None
    occupant: str | None = Field(description="first name and last initial only")
    next_resident_id: uuid.UUID | None = Field(description="who holds the bed next (a reservation)")
    next_from: date | None


class BoardHouseOut(BaseModel):
    house_id: uuid.UUID
    name: str
    property_id: uuid.UUID
    vacant: int
    beds: list[BoardBedOut]


class BoardOut(BaseModel):
    on: date
    vacancies_by_property: dict[uuid.UUID, int]
    houses: list[BoardHouseOut]


def _board(
    s: Session,
    on: date,
    property_id: uuid.UUID | None,
    house_id: uuid.UUID | None,
    gender: HouseGender | None,
    status: BoardStatus | None,
) -> BoardOut:
    board = housing.bed_board(s, on, property_id=property_id, house_id=house_id, gender=gender, status=status)
    return BoardOut(
        on=board.on,
        vacancies_by_property=board.vacancies_by_property(),
        houses=[
            BoardHouseOut(
                house_id=h.house_id,
                name=h.name,
                property_id=h.property_id,
                vacant=h.vacant,
                beds=[BoardBedOut.model_validate(b, from_attributes=True) for b in h.beds],
            )
            for h in board.houses
        ],
    )


@router.get("/v1/beds/board", response_model=BoardOut)
async def bed_board(
    _: BoardReader,
    db: TenantDep,
    on: date | None = None,
    property_id: uuid.UUID | None = None,
    house_id: uuid.UUID | None = None,
    gender: HouseGender | None = None,
    status: BoardStatus | None = None,
) -> BoardOut:
    """Every bed per house with who holds it today (or `on`), and vacancy counts."""
    return await db.run(_board, on or datetime.now(UTC).date(), property_id, house_id, gender, status)
