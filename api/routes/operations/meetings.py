"""Meetings over HTTP: meeting types, a house's meetings and their register, residents'
self-reported outside meetings and staff confirmation, each resident's progress against their
phase's requirements, the weekly check (the house's meeting-check process, started here or by
its Monday Schedule) and the shortfall flags it raised for the house manager."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import NUMBER, Trimmed
from api.pages import Limit, Offset, PageOut
from api.processes import ProcessesDep
from api.routes.operations.house_access import Reader, SelfReporter, VisibleHouse, When, Within, Writer
from api.visible import VisibleResident
from core.enums import AttendanceStatus, MeetingKind, TaskStatus
from core.errors import Rejected
from core.process import Wait
from services.operations import chores, meetings
from services.operations.meetings import NewMeeting, NewRequirement, SelfReport
from workflows.operations import OPERATIONS
from workflows.operations.meetings import MeetingCheckInput, MeetingCheckWorkflow

router = APIRouter(tags=["meetings"])
HOUSE = "/v1/houses/{house_id}"
MEETING_CHECKS = uuid.UUID("9a0e4b7c-2d6f-4c13-b8e5-7f1a3c5d9e20")


class MeetingTypePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    kind: MeetingKind
    counts_toward_requirement: bool
    requires_proof: bool


class RequirementCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "required_count": 3,
                    "period_days": 7,
                    "effective_from": "2026-12-07",
                    "kind": "aa",
                    "min_days_in_residence": 0,
                    "max_days_in_residence": 90,
                }
            ]
        },
    )
    required_count: Annotated[int, Field(ge=1, le=50, description="meetings per period"), NUMBER]
    period_days: Annotated[int, Field(ge=1, le=90), NUMBER] = 7
    effective_from: Within
    meeting_type_id: uuid.UUID | None = Field(None, description="only this meeting type counts")
    kind: MeetingKind | None = Field(None, description="only this kind counts (without meeting_type_id)")
    min_days_in_residence: Annotated[int, Field(ge=0, le=3650, description="the phase starts"), NUMBER] = 0
    max_days_in_residence: (
        Annotated[int, Field(ge=1, le=3650, description="the phase ends"), NUMBER] | None
    ) = None
    resident_id: uuid.UUID | None = Field(None, description="for one resident only (e.g. a court order)")


class RequirementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    house_id: uuid.UUID | None
    resident_id: uuid.UUID | None
    meeting_type_id: uuid.UUID | None
    kind: MeetingKind | None
    required_count: int
    period_days: int
    min_days_in_residence: int
    max_days_in_residence: int | None
    effective_from_date: date


class MeetingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "meeting_type_id": "0b6f3c9e-8f1d-4e43-9a55-2d7e0c1f6a10",
                    "title": "Sunday house meeting",
                    "starts_at": "2026-12-06T19:00:00Z",
                    "location": "Living room",
                    "is_mandatory": True,
                }
            ]
        },
    )
    meeting_type_id: uuid.UUID
    title: Annotated[str, Trimmed(200)]
    starts_at: When
    ends_at: When | None = None
    location: Annotated[str, Trimmed(200)] | None = None
    is_mandatory: StrictBool = False


class MeetingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    meeting_type_id: uuid.UUID | None
    kind: MeetingKind
    title: str
    starts_at: datetime
    ends_at: datetime | None
    location: str | None
    is_mandatory: bool


class RegisterEntry(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"resident_id": "5d1f0a7c-3b2e-4c9a-8e61-7a2f9b4c0d13", "status": "present"}]
        },
    )
    resident_id: uuid.UUID
    status: AttendanceStatus = AttendanceStatus.PRESENT


class SelfReportCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "na",
                    "attended_at": "2026-12-03T23:00:00Z",
                    "meeting_name": "Tuesday night NA",
                    "proof_file_id": "9c2e4b1a-6d3f-4a8e-b7c5-1e0f2d3a4b5c",
                }
            ]
        },
    )
    kind: MeetingKind
    attended_at: When
    meeting_name: Annotated[str, Trimmed(200)] | None = None
    proof_file_id: uuid.UUID | None = Field(
        None, description="a signed slip photo from POST /v1/documents/files"
    )


class AttendancePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    meeting_id: uuid.UUID | None
    resident_id: uuid.UUID
    kind: MeetingKind | None
    attended_at: datetime
    status: AttendanceStatus
    proof_file_id: uuid.UUID | None
    verified_at: datetime | None = Field(description="null until staff confirm it; only confirmed counts")


class Confirmation(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"confirmed": True}]})
    confirmed: StrictBool = Field(description="true: it counts; false: rejected, it never counts")


class NeedPublic(BaseModel):
    requirement_id: uuid.UUID
    required: int
    attended: int


class ProgressPublic(BaseModel):
    resident_id: uuid.UUID
    days_in_residence: int = Field(description="at the week's start: picks the phase's requirements")
    short: bool
    needs: list[NeedPublic]


class CheckCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"week_start": "2026-11-30"}]})
    week_start: Within | None = Field(None, description="a Monday; the week before this one when left out")


class CheckPublic(BaseModel):
    week_start: date
    checked: int
    flagged: list[uuid.UUID]
    workflow_id: str


class ShortfallPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    resident_id: uuid.UUID | None
    assigned_to_user_id: uuid.UUID | None
    status: TaskStatus
    due_at: datetime | None


def _types(s: Session, limit: int, offset: int) -> PageOut[MeetingTypePublic]:
    return PageOut[MeetingTypePublic].of(
        meetings.meeting_types(s, limit, offset), MeetingTypePublic.model_validate
    )


@router.get("/v1/meeting-types", response_model=PageOut[MeetingTypePublic])
async def list_meeting_types(
    _: Reader, db: TenantDep, limit: Limit = 50, offset: Offset = 0
) -> PageOut[MeetingTypePublic]:
    """The org's meeting types (house meeting, 12-step, SMART Recovery, IOP session...)."""
    return await db.run(_types, limit, offset)


def _add_requirement(s: Session, house_id: uuid.UUID, body: RequirementCreate) -> RequirementPublic:
    fields = body.model_dump()
    new = NewRequirement(effective_from_date=fields.pop("effective_from"), **fields)
    return RequirementPublic.model_validate(meetings.add_requirement(s, house_id, new))


@router.post(f"{HOUSE}/meeting-requirements", status_code=201, response_model=RequirementPublic)
async def create_requirement(
    _: Writer, house_id: VisibleHouse, body: RequirementCreate, db: TenantDep
) -> RequirementPublic:
    """A meeting requirement of the house for a phase (days since move-in), or of one of its
    residents; the weekly check holds each resident to those of their phase."""
    return await db.run(_add_requirement, house_id, body)


def _requirements(s: Session, house_id: uuid.UUID, limit: int, offset: int) -> PageOut[RequirementPublic]:
    got = meetings.house_requirements(s, house_id, limit, offset)
    return PageOut[RequirementPublic].of(got, RequirementPublic.model_validate)


@router.get(f"{HOUSE}/meeting-requirements", response_model=PageOut[RequirementPublic])
async def list_requirements(
    _: Reader, house_id: VisibleHouse, db: TenantDep, limit: Limit = 50, offset: Offset = 0
) -> PageOut[RequirementPublic]:
    """The requirements that apply in the house: the org's and its own, by phase."""
    return await db.run(_requirements, house_id, limit, offset)


def _add_meeting(s: Session, house_id: uuid.UUID, body: MeetingCreate, by: uuid.UUID | None) -> MeetingPublic:
    new = NewMeeting(**body.model_dump())
    return MeetingPublic.model_validate(meetings.add_meeting(s, house_id, new, by))


@router.post(f"{HOUSE}/meetings", status_code=201, response_model=MeetingPublic)
async def create_meeting(
    p: Writer, house_id: VisibleHouse, body: MeetingCreate, db: TenantDep
) -> MeetingPublic:
    """A meeting of the house (its weekly meeting, a group it goes to together)."""
    return await db.run(_add_meeting, house_id, body, p.user_id)


def _meetings(
    s: Session, house_id: uuid.UUID, first: date | None, last: date | None, limit: int, offset: int
) -> PageOut[MeetingPublic]:
    got = meetings.house_meetings(s, house_id, first, last, limit, offset)
    return PageOut[MeetingPublic].of(got, MeetingPublic.model_validate)


@router.get(f"{HOUSE}/meetings", response_model=PageOut[MeetingPublic])
async def list_meetings(
    _: Reader,
    house_id: VisibleHouse,
    db: TenantDep,
    first: Annotated[Within | None, Query(alias="from", description="starting on or after this day")] = None,
    last: Annotated[Within | None, Query(alias="to", description="starting on or before this day")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[MeetingPublic]:
    """The house's meetings, latest first."""
    return await db.run(_meetings, house_id, first, last, limit, offset)


def _register(
    s: Session, house_id: uuid.UUID, meeting_id: uuid.UUID, body: RegisterEntry, by: uuid.UUID | None
) -> AttendancePublic:
    row = meetings.record_attendance(
        s, house_id, meeting_id, body.resident_id, body.status, by, datetime.now(UTC)
    )
    return AttendancePublic.model_validate(row)


@router.post(f"{HOUSE}/meetings/{{meeting_id}}/attendance", response_model=AttendancePublic)
async def take_register(
    p: Writer, house_id: VisibleHouse, meeting_id: uuid.UUID, body: RegisterEntry, db: TenantDep
) -> AttendancePublic:
    """Staff record a resident at a house meeting: confirmed as recorded. Again for the same
    resident changes the status."""
    return await db.run(_register, house_id, meeting_id, body, p.user_id)


def _report(s: Session, resident_id: uuid.UUID, body: SelfReportCreate) -> AttendancePublic:
    report = SelfReport(resident_id, body.kind, body.attended_at, body.meeting_name, body.proof_file_id)
    return AttendancePublic.model_validate(meetings.report_attendance(s, report))


@router.post("/v1/residents/{resident_id}/attendance", status_code=201, response_model=AttendancePublic)
async def report_attendance(
    _: SelfReporter, resident_id: VisibleResident, body: SelfReportCreate, db: TenantDep
) -> AttendancePublic:
    """A resident (or staff for them) reports an outside meeting, with a signed slip photo where
    the meeting type asks for proof; it counts once staff confirm it."""
    return await db.run(_report, resident_id, body)


def _attendance(
    s: Session,
    house_id: uuid.UUID,
    resident_id: uuid.UUID | None,
    verified: bool | None,
    limit: int,
    offset: int,
) -> PageOut[AttendancePublic]:
    got = meetings.attendance(s, house_id, resident_id, verified, limit, offset)
    return PageOut[AttendancePublic].of(got, AttendancePublic.model_validate)


@router.get(f"{HOUSE}/attendance", response_model=PageOut[AttendancePublic])
async def list_attendance(
    _: Reader,
    house_id: VisibleHouse,
    db: TenantDep,
    resident_id: Annotated[uuid.UUID | None, Query(description="only this resident's")] = None,
    verified: Annotated[bool | None, Query(description="false: waiting for staff confirmation")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[AttendancePublic]:
    """Attendance of the house's residents, latest first."""
    return await db.run(_attendance, house_id, resident_id, verified, limit, offset)


def _confirm(
    s: Session, house_id: uuid.UUID, attendance_id: uuid.UUID, by: uuid.UUID | None, ok: bool
) -> AttendancePublic:
    row = meetings.verify_attendance(s, house_id, attendance_id, by, datetime.now(UTC), ok)
    return AttendancePublic.model_validate(row)


@router.post(f"{HOUSE}/attendance/{{attendance_id}}/verification", response_model=AttendancePublic)
async def confirm_attendance(
    p: Writer, house_id: VisibleHouse, attendance_id: uuid.UUID, body: Confirmation, db: TenantDep
) -> AttendancePublic:
    """Staff confirm a self-reported meeting (it counts from now) or reject it."""
    return await db.run(_confirm, house_id, attendance_id, p.user_id, body.confirmed)


def _monday(s: Session, week_start: date | None, back: int) -> date:
    week = week_start or chores.week_of(chores.org_today(s, datetime.now(UTC))) - timedelta(days=7 * back)
    if week.weekday() != 0:
        raise Rejected("week_start must be a Monday", field="week_start")
    return week


def _progress(s: Session, house_id: uuid.UUID, week_start: date | None) -> list[ProgressPublic]:
    week = _monday(s, week_start, 0)
    out = []
    for resident_id, moved_in in meetings.whole_week(s, house_id, week):
        c = meetings.check_resident(s, house_id, resident_id, moved_in, week)
        needs = [
            NeedPublic(requirement_id=n.requirement_id, required=n.required, attended=n.attended)
            for n in c.needs
        ]
        out.append(
            ProgressPublic(
                resident_id=resident_id, days_in_residence=c.days_in_residence, short=c.short, needs=needs
            )
        )
    return out


@router.get(f"{HOUSE}/meeting-progress", response_model=list[ProgressPublic])
async def meeting_progress(
    _: Reader,
    house_id: VisibleHouse,
    db: TenantDep,
    week_start: Annotated[Within | None, Query(description="a Monday; this week when left out")] = None,
) -> list[ProgressPublic]:
    """Each resident living in the house the whole week against their phase's requirements:
    confirmed attendance so far, and whether they are short."""
    return await db.run(_progress, house_id, week_start)


@router.post(f"{HOUSE}/meeting-checks", status_code=201, response_model=CheckPublic)
async def check_week(
    p: Writer, house_id: VisibleHouse, body: CheckCreate, db: TenantDep, procs: ProcessesDep
) -> CheckPublic:
    """Run the weekly check now (the Monday Schedule does it unasked for the week before):
    flags each shortfall as a task for the house manager, who is notified. Again for the same
    week flags nothing new."""
    week = await db.run(_monday, body.week_start, 1)
    key = uuid.uuid5(MEETING_CHECKS, f"{house_id}/{week.isoformat()}")
    actor = procs.actor
    done = await procs.start(
        OPERATIONS,
        key,
        MeetingCheckWorkflow.run,
        MeetingCheckInput(actor, house_id, week),
        update=MeetingCheckWorkflow.checked,
        update_arg=Wait(actor),
    )
    flagged = done.flagged if done is not None else []
    return CheckPublic(
        week_start=week,
        checked=done.checked if done is not None else 0,
        flagged=flagged,
        workflow_id=procs.workflow_id(OPERATIONS, key),
    )


def _shortfalls(
    s: Session,
    house_id: uuid.UUID,
    week_start: date | None,
    status: TaskStatus | None,
    limit: int,
    offset: int,
) -> PageOut[ShortfallPublic]:
    got = meetings.shortfalls(s, house_id, week_start, status, limit, offset)
    return PageOut[ShortfallPublic].of(got, ShortfallPublic.model_validate)


@router.get(f"{HOUSE}/shortfalls", response_model=PageOut[ShortfallPublic])
async def list_shortfalls(
    _: Reader,
    house_id: VisibleHouse,
    db: TenantDep,
    week_start: Annotated[Within | None, Query(description="only this week's (a Monday)")] = None,
    status: Annotated[TaskStatus | None, Query(description="only flags in this status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[ShortfallPublic]:
    """The weekly check's flags for the house: a task per resident and week, for the house
    manager, newest week first."""
    return await db.run(_shortfalls, house_id, week_start, status, limit, offset)
