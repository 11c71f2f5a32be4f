"""The resident journey over HTTP: applications (from an approved lead, or a readmission),
beds, the waitlist and its offers, transfers, discharges, the live bed board, and the lists of
residents, transfers and discharges.

Every read goes through a tenant transaction carrying the caller's scope, so PostgreSQL shows
a house manager only their houses' rows and a resident only their own (migration 0011). A
scoped caller's message to a journey is first checked against that same scope (404 for an
admission or bed outside it); org-wide callers go straight to the workflow. Everything here
is under /v1, so every response is `Cache-Control: no-store`."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require, require_any
from api.fields import Day, Trimmed
from api.pages import Limit, Offset, PageOut
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from api.visible import VisibleAdmission, visible_bed
from core.config import get_settings
from core.enums import (
    AdmissionStatus,
    DischargeReason,
    HouseGender,
    Priority,
    ResidentStatus,
    WaitlistStatus,
)
from core.errors import NotFound
from core.permissions import Perm
from core.process import Wait
from models.resident_tracking import Discharge
from models.residents import Resident
from services import admission, bed_board, residents, waitlist
from services.admission import (
    Application,
    DischargeFilter,
    DischargeKind,
    DischargeSort,
    ResidentFilter,
    ResidentSort,
    TransferFilter,
    TransferSort,
    TransferState,
)
from services.housing import BoardFilter, BoardStatus
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

router = APIRouter(tags=["admissions"])

Manager = Annotated[Principal, Depends(require(Perm.ADMISSION_MANAGE))]
Reader = Annotated[Principal, Depends(require(Perm.RESIDENT_READ))]
BoardReader = Annotated[Principal, Depends(require(Perm.PROPERTY_READ))]
# Staff with resident:read, or a resident (self:service), whom the database shows only themself.
ResidentReader = Annotated[Principal, Depends(require_any(Perm.RESIDENT_READ, Perm.SELF_SERVICE))]
Reason = Annotated[str, Trimmed(2000)]
Cents = Annotated[int, Field(ge=0, le=100_000_000)]


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
    expected_length_days: int | None = Field(None, ge=1, le=3650, description="planned length of stay")

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
    any_house: bool = Field(False, description="wait for any house, not only the one applied to")


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
    accept: bool = Field(description="true: move in today; false: decline, the bed goes to the next")


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
    returned: bool = Field(False, description="true: the resident is back, cancel the discharge")


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


# --- the waitlist --------------------------------------------------------------------------


class WaitlistEntryOut(BaseModel):
    id: uuid.UUID = Field(description="the entry's id")
    admission_id: uuid.UUID | None = Field(description="the application waiting")
    resident_id: uuid.UUID | None = Field(description="the person waiting")
    house_id: uuid.UUID | None = Field(description="None: any house")
    housing_gender: HouseGender | None = Field(None, description="the house designation the person needs")
    priority: Priority = Field(description="urgent entries are offered beds first")
    status: WaitlistStatus = Field(description="waiting, offered, placed or removed")
    added_at: datetime = Field(description="when the person joined the list")
    offered_bed_id: uuid.UUID | None = Field(description="the bed on offer, if any")
    offer_expires_at: datetime | None = Field(description="when that offer lapses")


def _queue(s: Session, f: waitlist.QueueFilter, limit: int, offset: int) -> list[WaitlistEntryOut]:
    return [
        WaitlistEntryOut.model_validate(e, from_attributes=True)
        for e in waitlist.queue(s, f, limit=limit, offset=offset)
    ]


@router.get("/v1/waitlist", response_model=list[WaitlistEntryOut])
async def waitlist_queue(
    _: Reader,
    db: TenantDep,
    house_id: Annotated[
        uuid.UUID | None, Query(description="entries for this house, and those for any house")
    ] = None,
    property_id: Annotated[
        uuid.UUID | None, Query(description="entries for this property's houses, and those for any house")
    ] = None,
    housing_gender: Annotated[HouseGender | None, Query(description="only this house designation")] = None,
    status: Annotated[
        WaitlistStatus | None, Query(description="only this status; waiting and offered when omitted")
    ] = None,
    priority: Annotated[Priority | None, Query(description="only this priority")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="page size, at most 500")] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="rows to skip")] = 0,
) -> list[WaitlistEntryOut]:
    """Entries in offer order: priority (urgent first), then time on the list."""
    f = waitlist.QueueFilter(house_id, property_id, housing_gender, status, priority)
    return await db.run(_queue, f, limit, offset)


class ReprioritiseIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"priority": "urgent", "reason": "leaving a shelter this week"}]},
    )
    priority: Priority = Field(description="the new priority")
    reason: Reason = Field(description="why (joins the entry's encrypted notes)")


class RemoveIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "found housing elsewhere"}]}
    )
    reason: Reason = Field(description="why the person leaves the list (stored encrypted)")


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
    """Change a waiting entry's priority; urgent entries are offered freed beds first."""
    return await db.run(_reprioritise, entry_id, body)


@router.post("/v1/waitlist/{entry_id}/removal", response_model=WaitlistEntryOut)
async def remove(entry_id: uuid.UUID, body: RemoveIn, _: Manager, db: TenantDep) -> WaitlistEntryOut:
    """Take an entry off the waiting list, with the reason; an open offer to it lapses."""
    return await db.run(_remove, entry_id, body.reason)


# --- the bed board -------------------------------------------------------------------------


class BoardBedOut(BaseModel):
    bed_id: uuid.UUID = Field(description="the bed")
    label: str = Field(description="the bed's label")
    room: str = Field(description="the room's name")
    status: BoardStatus = Field(description="occupied, reserved, offered, out_of_service or free")
    since: Day | None = Field(description="when the current status began")
    resident_id: uuid.UUID | None = Field(description="who sleeps there on the day")
    occupant: str | None = Field(description="first name and last initial only")
    next_resident_id: uuid.UUID | None = Field(description="who holds the bed next (a reservation)")
    next_from: Day | None = Field(description="from when they hold it")


class BoardHouseOut(BaseModel):
    house_id: uuid.UUID = Field(description="the house")
    name: str = Field(description="the house's name")
    property_id: uuid.UUID = Field(description="the property it belongs to")
    vacant: int = Field(description="free beds on the day")
    beds: list[BoardBedOut] = Field(description="its beds, by room and label")


class BoardOut(BaseModel):
    on: Day = Field(description="the day the board shows")
    vacancies_by_property: dict[uuid.UUID, int] = Field(description="free beds per property")
    houses: list[BoardHouseOut] = Field(description="houses the caller may see, matching the filters")


@router.get("/v1/beds/board", response_model=BoardOut)
async def board(
    _: BoardReader,
    db: TenantDep,
    on: Annotated[Day | None, Query(description="the day to show; today when omitted")] = None,
    property_id: Annotated[uuid.UUID | None, Query(description="only this property's houses")] = None,
    house_id: Annotated[uuid.UUID | None, Query(description="only this house")] = None,
    gender: Annotated[HouseGender | None, Query(description="only houses of this designation")] = None,
    status: Annotated[BoardStatus | None, Query(description="only beds in this state")] = None,
) -> Response:
    """Every bed per house with who holds it today (or `on`), and vacancy counts (of all beds,
    whatever `status` lists). Served from PostgreSQL's copy of the board when nothing on it
    changed since it was built (services/bed_board.py); the JSON is `BoardOut`, written
    without re-validating 2,000 beds."""
    only = BoardFilter(property_id, house_id, gender, status)
    content = await db.run(bed_board.board_json, on or datetime.now(UTC).date(), only)
    return Response(content, media_type="application/json")


# --- residents, transfers and discharges ---------------------------------------------------


class ResidentPublic(BaseModel):
    """A resident's record as the journey screens show it: identity and placement, not the
    clinical fields (those have their own, audited, routes)."""

    id: uuid.UUID = Field(description="the resident's id")
    resident_number: str | None = Field(description="the operator's record number, e.g. R-00123")
    first_name: str = Field(description="first name")
    last_name: str = Field(description="last name")
    preferred_name: str | None = Field(description="the name they go by, if different")
    status: ResidentStatus = Field(description="applicant, waitlisted, admitted, active, on_pass, ...")
    housing_gender: HouseGender | None = Field(description="the house designation they need")
    current_house_id: uuid.UUID | None = Field(description="the house they live in now")
    current_bed_id: uuid.UUID | None = Field(description="the bed they sleep in now")
    move_in_date: Day | None = Field(description="first night of the current or last stay")
    move_out_date: Day | None = Field(description="the day the last stay ended")
    created_at: datetime | None = Field(description="when the record was made")

    @classmethod
    def of(cls, r: Resident) -> ResidentPublic:
        return cls(
            id=r.id,
            resident_number=r.resident_number,
            first_name=r.first_name or "",
            last_name=r.last_name or "",
            preferred_name=r.preferred_name,
            status=r.status,
            housing_gender=r.housing_gender,
            current_house_id=r.current_house_id,
            current_bed_id=r.current_bed_id,
            move_in_date=r.move_in_date,
            move_out_date=r.move_out_date,
            created_at=r.created_at,
        )


def _residents(
    s: Session, f: ResidentFilter, sort: ResidentSort, limit: int, offset: int
) -> PageOut[ResidentPublic]:
    return PageOut[ResidentPublic].of(admission.list_residents(s, f, sort, limit, offset), ResidentPublic.of)


@router.get("/v1/residents", response_model=PageOut[ResidentPublic], tags=["residents"])
async def list_residents(
    _: ResidentReader,
    db: TenantDep,
    status: Annotated[ResidentStatus | None, Query(description="only residents in this status")] = None,
    house_id: Annotated[uuid.UUID | None, Query(description="only residents living in this house")] = None,
    property_id: Annotated[uuid.UUID | None, Query(description="only residents of this property")] = None,
    housing_gender: Annotated[HouseGender | None, Query(description="only this house designation")] = None,
    sort: Annotated[
        ResidentSort, Query(description="order; `-` for descending")
    ] = ResidentSort.CREATED_AT_DESC,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[ResidentPublic]:
    """The residents the caller may see: the org's, a house manager's houses', or a resident's
    own record only."""
    f = ResidentFilter(status, house_id, property_id, housing_gender)
    return await db.run(_residents, f, sort, limit, offset)


def _resident(s: Session, resident_id: uuid.UUID) -> ResidentPublic:
    return ResidentPublic.of(residents.get_resident(s, resident_id))


@router.get("/v1/residents/{resident_id}", response_model=ResidentPublic, tags=["residents"])
async def get_resident(resident_id: uuid.UUID, _: ResidentReader, db: TenantDep) -> ResidentPublic:
    """One resident; 404 when another org's, outside the caller's houses, or (for a resident)
    anyone but themself."""
    return await db.run(_resident, resident_id)


class TransferPublic(BaseModel):
    id: uuid.UUID = Field(description="the transfer's id")
    resident_id: uuid.UUID = Field(description="who moves")
    admission_id: uuid.UUID = Field(description="the stay it belongs to")
    from_bed_id: uuid.UUID = Field(description="the bed left")
    to_bed_id: uuid.UUID = Field(description="the bed moved to")
    from_house_id: uuid.UUID = Field(description="the house left")
    to_house_id: uuid.UUID = Field(description="the house moved to (the same for a move within a house)")
    effective_at: datetime = Field(description="when the move takes effect")
    completed_at: datetime | None = Field(description="when the resident moved; null until then")
    cancelled_at: datetime | None = Field(description="when it was cancelled (e.g. by a discharge)")
    requested_by_user_id: uuid.UUID | None = Field(description="who asked for it")
    new_weekly_rate_cents: int | None = Field(description="the new weekly rent in cents; null: unchanged")


def _transfers(
    s: Session, f: TransferFilter, sort: TransferSort, limit: int, offset: int
) -> PageOut[TransferPublic]:
    return PageOut[TransferPublic].of(
        admission.list_transfers(s, f, sort, limit, offset),
        lambda t: TransferPublic.model_validate(t, from_attributes=True),
    )


@router.get("/v1/transfers", response_model=PageOut[TransferPublic])
async def list_transfers(
    _: Reader,
    db: TenantDep,
    resident_id: Annotated[uuid.UUID | None, Query(description="only this resident's moves")] = None,
    admission_id: Annotated[uuid.UUID | None, Query(description="only moves within this stay")] = None,
    house_id: Annotated[uuid.UUID | None, Query(description="only moves into or out of this house")] = None,
    state: Annotated[TransferState | None, Query(description="pending, completed or cancelled")] = None,
    effective_from: Annotated[Day | None, Query(description="effective on or after this day")] = None,
    effective_to: Annotated[Day | None, Query(description="effective on or before this day")] = None,
    sort: Annotated[
        TransferSort, Query(description="order; `-` for descending")
    ] = TransferSort.EFFECTIVE_AT_DESC,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[TransferPublic]:
    """Bed transfers the caller may see (a house manager: moves into or out of their houses)."""
    f = TransferFilter(resident_id, admission_id, house_id, state, effective_from, effective_to)
    return await db.run(_transfers, f, sort, limit, offset)


class DischargePublic(BaseModel):
    """How a stay ended. The narrative fields (details, summary, aftercare) stay out of lists."""

    id: uuid.UUID = Field(description="the discharge's id")
    resident_id: uuid.UUID = Field(description="who left")
    admission_id: uuid.UUID = Field(description="the stay that ended")
    house_id: uuid.UUID = Field(description="the house left")
    bed_id: uuid.UUID | None = Field(description="the bed freed")
    discharged_at: datetime = Field(description="when it took effect")
    reason: DischargeReason = Field(description="the reporting category")
    kind: DischargeKind | None = Field(
        description="planned, voluntary, administrative or left_without_notice"
    )
    is_planned: bool = Field(description="true for a planned discharge")
    eligible_for_readmission: bool = Field(description="whether the person may apply again")
    discharged_by_user_id: uuid.UUID | None = Field(description="who discharged; null: the workflow")


def _discharges(
    s: Session, f: DischargeFilter, sort: DischargeSort, limit: int, offset: int
) -> PageOut[DischargePublic]:
    def one(d: Discharge) -> DischargePublic:
        return DischargePublic.model_validate(d, from_attributes=True)

    return PageOut[DischargePublic].of(admission.list_discharges(s, f, sort, limit, offset), one)


@router.get("/v1/discharges", response_model=PageOut[DischargePublic])
async def list_discharges(
    _: Reader,
    db: TenantDep,
    resident_id: Annotated[uuid.UUID | None, Query(description="only this resident's discharges")] = None,
    house_id: Annotated[uuid.UUID | None, Query(description="only discharges from this house")] = None,
    reason: Annotated[DischargeReason | None, Query(description="only this reporting category")] = None,
    kind: Annotated[DischargeKind | None, Query(description="only this kind")] = None,
    discharged_from: Annotated[Day | None, Query(description="on or after this day")] = None,
    discharged_to: Annotated[Day | None, Query(description="on or before this day")] = None,
    sort: Annotated[
        DischargeSort, Query(description="order; `-` for descending")
    ] = DischargeSort.DISCHARGED_AT_DESC,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[DischargePublic]:
    """Discharges the caller may see, newest first unless `sort` says otherwise."""
    f = DischargeFilter(resident_id, house_id, reason, kind, discharged_from, discharged_to)
    return await db.run(_discharges, f, sort, limit, offset)
