"""Daily and wellness check-ins over HTTP: a resident (or staff for them) checks in; staff
queues show dates, statuses and who asked to talk, never the answers; a resident's answers
(mood included, finding F5) only on an access basis (services/consent/access.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require_any
from api.fields import NUMBER, Trimmed
from api.pages import Limit, Offset, PageOut
from api.routes.operations.house_access import Reader, SelfReporter, VisibleHouse, Within, Writer
from api.visible import VisibleResident
from core.enums import CheckInStatus
from core.permissions import Perm
from services.consent.access import Caller
from services.operations import checkins
from services.operations.checkins import DailyAnswers, Wellness

router = APIRouter(tags=["check-ins"])
ResidentReader = Annotated[Principal, Depends(require_any(Perm.RESIDENT_READ, Perm.SELF_SERVICE))]
Rating = Annotated[int, Field(ge=-100, le=100, description="checked against the survey's range"), NUMBER]


class DailyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "check_in_date": "2026-12-05",
                    "status": "on_time",
                    "method": "app",
                    "responses": {"plans_today": "Work, then an NA meeting"},
                }
            ]
        },
    )
    check_in_date: Within
    status: CheckInStatus = CheckInStatus.ON_TIME
    method: Annotated[str, Trimmed(20)] | None = Field(None, description="app, in_person, phone, kiosk")
    responses: Annotated[dict[str, Annotated[str, Trimmed(500, 0)]], Field(max_length=20)] = {}
    notes: Annotated[str, Trimmed(2000)] | None = None


class DailyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    resident_id: uuid.UUID
    check_in_date: date
    status: CheckInStatus
    method: str | None
    checked_in_at: datetime | None


class WellnessCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "check_in_date": "2026-12-05",
                    "mood_rating": 4,
                    "craving_rating": 1,
                    "stress_rating": 2,
                    "sleep_rating": 4,
                    "follow_up_requested": False,
                }
            ]
        },
    )
    check_in_date: Within
    mood_rating: Rating
    craving_rating: Rating | None = None
    stress_rating: Rating | None = None
    sleep_rating: Rating | None = None
    follow_up_requested: StrictBool = False
    notes: Annotated[str, Trimmed(2000)] | None = None


class WellnessPublic(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    check_in_date: date
    submitted_at: datetime
    follow_up_requested: bool
    reviewed_at: datetime | None
    answers: dict[str, Any] | None = Field(None, description="only on an access basis")


class WellnessPage(PageOut[WellnessPublic]):
    access_basis: str | None = Field(description="why the answers are shown (null: they are not)")


class Review(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"staff_notes": "Talked it through at dinner."}]}
    )
    staff_notes: Annotated[str, Trimmed(2000)] | None = None


def _caller(p: Principal) -> Caller:
    return Caller(p.person, p.permissions, p.resident_id)


def _wellness(row: Any, with_answers: bool) -> WellnessPublic:
    return WellnessPublic(
        id=row.id,
        resident_id=row.resident_id,
        check_in_date=row.check_in_date,
        submitted_at=row.submitted_at,
        follow_up_requested=row.follow_up_requested,
        reviewed_at=row.reviewed_at,
        answers=checkins.answers(row) if with_answers else None,
    )


def _daily(s: Session, resident_id: uuid.UUID, body: DailyCreate) -> DailyPublic:
    row = checkins.record_daily(s, resident_id, DailyAnswers(**body.model_dump()), datetime.now(UTC))
    return DailyPublic.model_validate(row)


@router.post("/v1/residents/{resident_id}/daily-check-ins", status_code=201, response_model=DailyPublic)
async def daily_check_in(
    _: SelfReporter, resident_id: VisibleResident, body: DailyCreate, db: TenantDep
) -> DailyPublic:
    """The day's accountability check-in (one per day; the answers are stored encrypted)."""
    return await db.run(_daily, resident_id, body)


def _daily_list(
    s: Session, house_id: uuid.UUID, on: date | None, status: CheckInStatus | None, limit: int, offset: int
) -> PageOut[DailyPublic]:
    return PageOut[DailyPublic].of(
        checkins.daily(s, house_id, on, status, limit, offset), DailyPublic.model_validate
    )


@router.get("/v1/houses/{house_id}/daily-check-ins", response_model=PageOut[DailyPublic])
async def list_daily(
    _: Reader,
    house_id: VisibleHouse,
    db: TenantDep,
    on: Annotated[Within | None, Query(description="only this day's")] = None,
    status: Annotated[CheckInStatus | None, Query(description="e.g. late or missed")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[DailyPublic]:
    """The house's daily check-ins: who, when and how, not what they said."""
    return await db.run(_daily_list, house_id, on, status, limit, offset)


def _record_wellness(
    s: Session, resident_id: uuid.UUID, body: WellnessCreate, by: uuid.UUID | None
) -> WellnessPublic:
    row = checkins.record_wellness(s, resident_id, Wellness(**body.model_dump()), by, datetime.now(UTC))
    return _wellness(row, False)


@router.post("/v1/residents/{resident_id}/wellness-check-ins", status_code=201, response_model=WellnessPublic)
async def wellness_check_in(
    p: SelfReporter, resident_id: VisibleResident, body: WellnessCreate, db: TenantDep
) -> WellnessPublic:
    """A wellness survey: mood 1-10, cravings 0-10, stress and sleep 1-10 (a rating out of range
    is a 422 naming it), and whether the resident wants to talk to staff."""
    return await db.run(_record_wellness, resident_id, body, p.user_id)


def _resident_wellness(
    s: Session, caller: Caller, resident_id: uuid.UUID, limit: int, offset: int
) -> WellnessPage:
    got, basis = checkins.resident_wellness(s, caller, resident_id, datetime.now(UTC), limit, offset)
    return WellnessPage(
        items=[_wellness(r, basis is not None) for r in got.items],
        limit=got.limit,
        offset=got.offset,
        next_offset=got.next_offset,
        access_basis=str(basis) if basis else None,
    )


@router.get("/v1/residents/{resident_id}/wellness-check-ins", response_model=WellnessPage)
async def list_resident_wellness(
    p: ResidentReader, resident_id: VisibleResident, db: TenantDep, limit: Limit = 50, offset: Offset = 0
) -> WellnessPage:
    """A resident's wellness check-ins; the answers only to the resident, their treatment team,
    staff under a consent, or break-glass (`access_basis` says which)."""
    return await db.run(_resident_wellness, _caller(p), resident_id, limit, offset)


def _follow_ups(s: Session, house_id: uuid.UUID, limit: int, offset: int) -> PageOut[WellnessPublic]:
    return PageOut[WellnessPublic].of(
        checkins.follow_ups(s, house_id, limit, offset), lambda r: _wellness(r, False)
    )


@router.get("/v1/houses/{house_id}/wellness-follow-ups", response_model=PageOut[WellnessPublic])
async def list_follow_ups(
    _: Reader, house_id: VisibleHouse, db: TenantDep, limit: Limit = 50, offset: Offset = 0
) -> PageOut[WellnessPublic]:
    """Residents who asked to talk and whom nobody has seen yet, oldest first (no answers)."""
    return await db.run(_follow_ups, house_id, limit, offset)


def _review(
    s: Session, house_id: uuid.UUID, cid: uuid.UUID, by: uuid.UUID | None, body: Review
) -> WellnessPublic:
    return _wellness(checkins.review(s, house_id, cid, by, datetime.now(UTC), body.staff_notes), False)


@router.post("/v1/houses/{house_id}/wellness-check-ins/{check_in_id}/review", response_model=WellnessPublic)
async def review_wellness(
    p: Writer, house_id: VisibleHouse, check_in_id: uuid.UUID, body: Review, db: TenantDep
) -> WellnessPublic:
    """Staff saw the resident who asked to talk: off the follow-up queue."""
    return await db.run(_review, house_id, check_in_id, p.user_id, body)
