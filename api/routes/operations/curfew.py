"""Curfew over HTTP: the configurations per house and phase, a resident's check-in (optional
location, stored encrypted) and the list of check-ins. The nightly close that finds who is
missing is the `OperationsCurfewNight` schedule's."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import TenantDep
from api.fields import NUMBER, Int
from api.pages import Limit, Offset, PageOut
from api.routes.operations.guards import Staff, visible_resident
from core.enums import CheckInStatus
from services.operations import curfew
from services.operations.curfew import CheckInFilter, NewConfig

router = APIRouter(tags=["operations"])
# Local wall-clock times as "HH:MM": JSON Schema's `time` format demands an offset, which a
# curfew in the org's zone does not have.
Clock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M")


class CurfewConfigIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "house_id": "0b1d1c9e-2f7a-4a8e-8a57-0c5f7e1d2b33",
                    "name": "Phase 1",
                    "weeknight_curfew": "22:00",
                    "weekend_curfew": "23:30",
                    "grace_minutes": 10,
                    "effective_from_date": "2026-12-01",
                }
            ]
        },
    )
    house_id: uuid.UUID | None = Field(None, description="null: the org's default")
    name: str = Field(min_length=1, max_length=120)
    min_days_in_residence: Int = Field(0, ge=0, le=3650, description="the phase: from this many days in")
    weeknight_curfew: Clock = Field(description="local time, HH:MM (before noon: after midnight)")
    weekend_curfew: Clock = Field(description="Friday and Saturday nights, HH:MM")
    grace_minutes: Int = Field(0, ge=0, le=240)
    effective_from_date: date
    effective_until_date: date | None = None


class CurfewConfigPublic(BaseModel):
    id: uuid.UUID
    house_id: uuid.UUID | None
    name: str
    min_days_in_residence: int
    weeknight_curfew: str = Field(description="HH:MM, local")
    weekend_curfew: str = Field(description="HH:MM, local")
    grace_minutes: int
    effective_from_date: date
    effective_until_date: date | None


@router.post("/v1/operations/curfew-configs", status_code=201, response_model=CurfewConfigPublic)
async def add_config(_: Staff, body: CurfewConfigIn, db: TenantDep) -> CurfewConfigPublic:
    """Add a curfew configuration for a house (or the org default) and a phase."""
    fields = body.model_dump()
    for k in ("weeknight_curfew", "weekend_curfew"):
        fields[k] = time.fromisoformat(fields[k])
    c = await db.run(curfew.add_config, NewConfig(**fields))
    return _config(c)


def _config(c: Any) -> CurfewConfigPublic:
    return CurfewConfigPublic(
        id=c.id,
        house_id=c.house_id,
        name=c.name,
        min_days_in_residence=c.min_days_in_residence,
        weeknight_curfew=_hhmm(c.weeknight_curfew),
        weekend_curfew=_hhmm(c.weekend_curfew),
        grace_minutes=c.grace_minutes,
        effective_from_date=c.effective_from_date,
        effective_until_date=c.effective_until_date,
    )


def _configs(s, house_id, limit, offset):  # type: ignore[no-untyped-def]
    return PageOut[CurfewConfigPublic].of(curfew.list_configs(s, house_id, limit, offset), _config)


@router.get("/v1/operations/curfew-configs", response_model=PageOut[CurfewConfigPublic])
async def list_configs(
    _: Staff,
    db: TenantDep,
    house_id: Annotated[uuid.UUID | None, Query(description="this house's and the org default")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[CurfewConfigPublic]:
    """Curfew configurations: a house's own and the org default, by phase."""
    return await db.run(_configs, house_id, limit, offset)


class CheckInLocation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: Annotated[float, Field(ge=-90, le=90), NUMBER]
    lng: Annotated[float, Field(ge=-180, le=180), NUMBER]
    accuracy_m: Annotated[float, Field(ge=0), NUMBER] | None = None


class CurfewCheckInIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resident_id": "5e8a7d2c-9b1f-4c3e-a6d4-2f0b8e1c7a95",
                    "checked_in_at": "2026-12-06T02:55:00Z",
                    "method": "in_person",
                }
            ]
        },
    )
    resident_id: uuid.UUID
    checked_in_at: datetime
    method: str | None = Field(None, pattern="^(in_person|app|phone|kiosk)$")
    location: CheckInLocation | None = Field(None, description="where they checked in (stored encrypted)")


class CurfewCheckInPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    resident_id: uuid.UUID
    house_id: uuid.UUID
    curfew_date: date
    due_at: datetime
    checked_in_at: datetime | None
    status: CheckInStatus
    pass_id: uuid.UUID | None
    incident_id: uuid.UUID | None


@router.post("/v1/operations/curfew-check-ins", status_code=201, response_model=CurfewCheckInPublic)
async def check_in(p: Staff, body: CurfewCheckInIn, db: TenantDep) -> CurfewCheckInPublic:
    """A resident is in: on time, or late (a night already closed as missed becomes late)."""
    await visible_resident(db, body.resident_id)
    loc = body.location.model_dump(exclude_none=True) if body.location else None
    row = await db.run(
        curfew.record_check_in, body.resident_id, body.checked_in_at, body.method, loc, p.user_id
    )
    return CurfewCheckInPublic.model_validate(row)


def _check_ins(s, f, limit, offset):  # type: ignore[no-untyped-def]
    return PageOut[CurfewCheckInPublic].of(
        curfew.list_check_ins(s, f, limit, offset), CurfewCheckInPublic.model_validate
    )


@router.get("/v1/operations/curfew-check-ins", response_model=PageOut[CurfewCheckInPublic])
async def list_check_ins(
    _: Staff,
    db: TenantDep,
    house_id: Annotated[uuid.UUID | None, Query()] = None,
    resident_id: Annotated[uuid.UUID | None, Query()] = None,
    status: Annotated[CheckInStatus | None, Query()] = None,
    curfew_date: Annotated[date | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[CurfewCheckInPublic]:
    """Curfew check-ins in the caller's houses, latest night first (missed and late included)."""
    return await db.run(_check_ins, CheckInFilter(house_id, resident_id, status, curfew_date), limit, offset)
