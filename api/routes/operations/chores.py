"""Chores over HTTP: a house's chore templates and chores, its weekly rotation (the house's
chore-week process, started here or by its Monday Schedule), the week's assignments, staff
verification with an optional photo from the file store, and the misses per resident."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import NUMBER, Trimmed
from api.pages import Limit, Offset, PageOut
from api.processes import ProcessesDep
from api.routes.operations.house_access import Reader, VisibleHouse, Within, Writer
from core.enums import ChoreStatus
from core.errors import Rejected
from core.process import Wait
from services.operations import chores
from services.operations.chores import AssignmentFilter, NewTemplate
from workflows.operations import OPERATIONS
from workflows.operations.chores import ChoreWeekInput, ChoreWeekWorkflow

router = APIRouter(prefix="/v1/houses/{house_id}", tags=["chores"])
CHORE_WEEKS = uuid.UUID("6d3f0c1e-94b2-4f8a-a1c7-2e5b8d9f0a41")


class TemplateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Kitchen",
                    "area": "Kitchen",
                    "default_points": 3,
                    "estimated_minutes": 30,
                    "checklist": ["Wipe counters", "Mop floor"],
                }
            ]
        },
    )
    name: Annotated[str, Trimmed(100)]
    area: Annotated[str, Trimmed(100)] | None = None
    description: Annotated[str, Trimmed(1000)] | None = None
    default_points: Annotated[int, Field(ge=0, le=100), NUMBER] = 1
    estimated_minutes: Annotated[int, Field(ge=1, le=1440), NUMBER] | None = None
    checklist: Annotated[list[Annotated[str, Trimmed(200)]], Field(max_length=30)] = []


class TemplatePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    house_id: uuid.UUID | None = Field(description="null for the org's own templates")
    name: str
    area: str | None
    default_points: int
    estimated_minutes: int | None
    checklist: list[str]


class ChoreCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"template_id": "2a7c9e1f-4b3d-4f6a-9c8e-0d1b2a3c4e5f", "day_of_week": 2}]
        },
    )
    template_id: uuid.UUID
    day_of_week: (
        Annotated[int, Field(ge=0, le=6, description="0 = Monday; null = due on Sunday"), NUMBER] | None
    ) = None


class ChorePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    template_id: uuid.UUID | None
    name: str
    area: str | None
    day_of_week: int | None
    points: int
    is_active: bool


class WeekCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"week_start": "2026-11-30"}]})
    week_start: Within | None = Field(None, description="a Monday; the current week when left out")


class AssignmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    chore_id: uuid.UUID
    resident_id: uuid.UUID
    due_date: date
    status: ChoreStatus
    completed_at: datetime | None
    verified_at: datetime | None
    verified_by_user_id: uuid.UUID | None
    photo_file_id: uuid.UUID | None


class RotatedPublic(BaseModel):
    week_start: date
    workflow_id: str
    assignments: list[AssignmentPublic]


class Verification(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"done": True, "photo_file_id": "7e3a1c5b-9d2f-4b8a-a6c4-3f0e1d2b5a69"}]
        },
    )
    done: StrictBool = Field(description="true: done and verified; false: not done (a miss)")
    photo_file_id: uuid.UUID | None = Field(
        None, description="a photo uploaded with POST /v1/documents/files"
    )


class MissesPublic(BaseModel):
    resident_id: uuid.UUID
    missed: int


def _templates(s: Session, house_id: uuid.UUID, limit: int, offset: int) -> PageOut[TemplatePublic]:
    return PageOut[TemplatePublic].of(
        chores.templates(s, house_id, limit, offset), TemplatePublic.model_validate
    )


@router.get("/chore-templates", response_model=PageOut[TemplatePublic])
async def list_templates(
    _: Reader, house_id: VisibleHouse, db: TenantDep, limit: Limit = 50, offset: Offset = 0
) -> PageOut[TemplatePublic]:
    """The org's chore templates and the house's own."""
    return await db.run(_templates, house_id, limit, offset)


def _add_template(s: Session, house_id: uuid.UUID, body: TemplateCreate) -> TemplatePublic:
    return TemplatePublic.model_validate(chores.add_template(s, house_id, NewTemplate(**body.model_dump())))


@router.post("/chore-templates", status_code=201, response_model=TemplatePublic)
async def create_template(
    _: Writer, house_id: VisibleHouse, body: TemplateCreate, db: TenantDep
) -> TemplatePublic:
    """A chore template of the house's own; 409 naming `name` when the house has one so named."""
    return await db.run(_add_template, house_id, body)


def _chores(s: Session, house_id: uuid.UUID, limit: int, offset: int) -> PageOut[ChorePublic]:
    return PageOut[ChorePublic].of(
        chores.house_chores(s, house_id, limit, offset), ChorePublic.model_validate
    )


@router.get("/chores", response_model=PageOut[ChorePublic])
async def list_chores(
    _: Reader, house_id: VisibleHouse, db: TenantDep, limit: Limit = 50, offset: Offset = 0
) -> PageOut[ChorePublic]:
    """The house's chores (what the weekly rotation hands out)."""
    return await db.run(_chores, house_id, limit, offset)


def _add_chore(s: Session, house_id: uuid.UUID, body: ChoreCreate) -> ChorePublic:
    return ChorePublic.model_validate(chores.add_chore(s, house_id, body.template_id, body.day_of_week))


@router.post("/chores", status_code=201, response_model=ChorePublic)
async def create_chore(_: Writer, house_id: VisibleHouse, body: ChoreCreate, db: TenantDep) -> ChorePublic:
    """A weekly chore of the house from a template; it joins the next rotation."""
    return await db.run(_add_chore, house_id, body)


def _week(s: Session, week_start: date | None) -> date:
    week = week_start or chores.week_of(chores.org_today(s, datetime.now(UTC)))
    if week.weekday() != 0:
        raise Rejected("week_start must be a Monday", field="week_start")
    return week


def _rows(s: Session, house_id: uuid.UUID, week: date) -> list[AssignmentPublic]:
    return [AssignmentPublic.model_validate(a) for a in chores.week_assignments(s, house_id, week)]


@router.post("/chore-weeks", status_code=201, response_model=RotatedPublic)
async def rotate_week(
    p: Writer, house_id: VisibleHouse, body: WeekCreate, db: TenantDep, procs: ProcessesDep
) -> RotatedPublic:
    """Rotate the house's chores for a week now (the Monday Schedule does it unasked): starts the
    week's process, which then hands on a leaver's chores and closes the week on Sunday night.
    Asking again for the same week returns the rotation it made."""
    week = await db.run(_week, body.week_start)
    key = uuid.uuid5(CHORE_WEEKS, f"{house_id}/{week.isoformat()}")
    actor = procs.actor
    await procs.start(
        OPERATIONS,
        key,
        ChoreWeekWorkflow.run,
        ChoreWeekInput(actor, house_id, week),
        update=ChoreWeekWorkflow.rotated,
        update_arg=Wait(actor),
    )
    return RotatedPublic(
        week_start=week,
        workflow_id=procs.workflow_id(OPERATIONS, key),
        assignments=await db.run(_rows, house_id, week),
    )


def _assignments(s: Session, f: AssignmentFilter, limit: int, offset: int) -> PageOut[AssignmentPublic]:
    return PageOut[AssignmentPublic].of(
        chores.assignments(s, f, limit, offset), AssignmentPublic.model_validate
    )


@router.get("/chore-assignments", response_model=PageOut[AssignmentPublic])
async def list_assignments(
    _: Reader,
    house_id: VisibleHouse,
    db: TenantDep,
    resident_id: Annotated[uuid.UUID | None, Query(description="only this resident's")] = None,
    status: Annotated[ChoreStatus | None, Query(description="only in this status")] = None,
    due_from: Annotated[Within | None, Query(description="due on or after this day")] = None,
    due_to: Annotated[Within | None, Query(description="due on or before this day")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[AssignmentPublic]:
    """The house's chore assignments, by due date."""
    f = AssignmentFilter(house_id, resident_id, status, due_from, due_to)
    return await db.run(_assignments, f, limit, offset)


def _verify(
    s: Session, house_id: uuid.UUID, assignment_id: uuid.UUID, by: uuid.UUID | None, body: Verification
) -> AssignmentPublic:
    a = chores.verify(s, house_id, assignment_id, by, datetime.now(UTC), body.done, body.photo_file_id)
    return AssignmentPublic.model_validate(a)


@router.post("/chore-assignments/{assignment_id}/verification", response_model=AssignmentPublic)
async def verify_assignment(
    p: Writer, house_id: VisibleHouse, assignment_id: uuid.UUID, body: Verification, db: TenantDep
) -> AssignmentPublic:
    """Staff check a chore: done (verified, optionally with a photo) or not done (a miss). The
    same answer again changes nothing; the other answer after one is a 409."""
    return await db.run(_verify, house_id, assignment_id, p.user_id, body)


def _misses(s: Session, house_id: uuid.UUID, first: date, last: date) -> list[MissesPublic]:
    return [
        MissesPublic(resident_id=m.resident_id, missed=m.missed)
        for m in chores.misses(s, house_id, first, last)
    ]


@router.get("/chore-misses", response_model=list[MissesPublic])
async def chore_misses(
    _: Reader,
    house_id: VisibleHouse,
    db: TenantDep,
    first: Annotated[Within, Query(alias="from", description="first due day counted")],
    last: Annotated[Within, Query(alias="to", description="last due day counted")],
) -> list[MissesPublic]:
    """Missed chores per resident in a window, most first: what the house's consequences count."""
    return await db.run(_misses, house_id, first, last)
