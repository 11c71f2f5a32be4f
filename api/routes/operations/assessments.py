"""Clinical assessments over HTTP: recorded by clinical staff, due per resident on the house
programme's schedule, their results shown only on an access basis (services/consent/access.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require, require_any
from api.fields import NUMBER, Trimmed
from api.pages import Limit, Offset, PageOut
from api.routes.operations.house_access import Reader, VisibleHouse, When, Within
from api.visible import VisibleResident
from core.permissions import Perm
from services.consent.access import Caller
from services.operations import assessments
from services.operations.assessments import NewAssessment

router = APIRouter(tags=["assessments"])
Clinician = Annotated[Principal, Depends(require(Perm.CLINICAL_READ))]
ResidentReader = Annotated[Principal, Depends(require_any(Perm.RESIDENT_READ, Perm.SELF_SERVICE))]


class AssessmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "instrument": "BARC-10",
                    "administered_at": "2026-11-30T15:00:00Z",
                    "score": 48,
                    "answers": {"q1": 5, "q2": 4},
                }
            ]
        },
    )
    instrument: Annotated[str, Trimmed(20), Field(description="BAM or BARC-10 (the house programme)")]
    administered_at: When
    score: Annotated[int, Field(ge=0, le=1000), NUMBER] | None = None
    severity: Annotated[str, Trimmed(100)] | None = None
    answers: Annotated[dict[str, Annotated[int, Field(ge=0, le=100)]], Field(max_length=100)] = {}
    clinician_notes: Annotated[str, Trimmed(4000)] | None = None


class AssessmentPublic(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    instrument: str
    administered_at: datetime
    next_due_date: date | None
    results: dict[str, Any] | None = Field(None, description="only on an access basis")


class AssessmentPage(PageOut[AssessmentPublic]):
    access_basis: str | None = Field(description="why the results are shown (null: they are not)")


class DuePublic(BaseModel):
    resident_id: uuid.UUID
    instrument: str
    due_date: date
    overdue: bool


def _public(row: Any, with_results: bool) -> AssessmentPublic:
    return AssessmentPublic(
        id=row.id,
        resident_id=row.resident_id,
        instrument=row.instrument,
        administered_at=row.administered_at,
        next_due_date=row.next_due_date,
        results=assessments.results(row) if with_results else None,
    )


def _record(
    s: Session, resident_id: uuid.UUID, body: AssessmentCreate, by: uuid.UUID | None
) -> AssessmentPublic:
    return _public(assessments.record(s, resident_id, NewAssessment(**body.model_dump()), by), True)


@router.post("/v1/residents/{resident_id}/assessments", status_code=201, response_model=AssessmentPublic)
async def record_assessment(
    p: Clinician, resident_id: VisibleResident, body: AssessmentCreate, db: TenantDep
) -> AssessmentPublic:
    """Record an assessment of the programme (stored encrypted); sets when the next is due."""
    return await db.run(_record, resident_id, body, p.user_id)


def _list(s: Session, caller: Caller, resident_id: uuid.UUID, limit: int, offset: int) -> AssessmentPage:
    got, basis = assessments.resident_assessments(s, caller, resident_id, datetime.now(UTC), limit, offset)
    return AssessmentPage(
        items=[_public(r, basis is not None) for r in got.items],
        limit=got.limit,
        offset=got.offset,
        next_offset=got.next_offset,
        access_basis=str(basis) if basis else None,
    )


@router.get("/v1/residents/{resident_id}/assessments", response_model=AssessmentPage)
async def list_assessments(
    p: ResidentReader, resident_id: VisibleResident, db: TenantDep, limit: Limit = 50, offset: Offset = 0
) -> AssessmentPage:
    """A resident's assessments, newest first; results only on an access basis."""
    return await db.run(_list, Caller(p.person, p.permissions, p.resident_id), resident_id, limit, offset)


def _due(s: Session, house_id: uuid.UUID, on: date | None) -> list[DuePublic]:
    got = assessments.due(s, house_id, on or datetime.now(UTC).date())
    return [
        DuePublic(resident_id=d.resident_id, instrument=d.instrument, due_date=d.due_date, overdue=d.overdue)
        for d in got
    ]


@router.get("/v1/houses/{house_id}/assessments-due", response_model=list[DuePublic])
async def assessments_due(
    _: Reader,
    house_id: VisibleHouse,
    db: TenantDep,
    on: Annotated[Within | None, Query(description="as of this day (today when left out)")] = None,
) -> list[DuePublic]:
    """Assessments due within a week for the house's residents (and overdue ones), soonest
    first: which instrument, for whom, by when. Nothing of any result."""
    return await db.run(_due, house_id, on)
