"""Vehicles over HTTP: a house's registered vehicles (plates looked up by their blind index,
never listed) and the insurance reminders the weekly upkeep check raised."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Trimmed
from api.pages import Limit, Offset, PageOut
from api.routes.operations.house_access import Reader, VisibleHouse, Within, Writer
from core.enums import TaskStatus
from services.operations import meetings, vehicles
from services.operations.vehicles import NewVehicle

router = APIRouter(prefix="/v1/houses/{house_id}", tags=["vehicles"])
Short = Annotated[str, Trimmed(50)]


class VehicleCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "make": "Honda",
                    "model": "Civic",
                    "year": 2014,
                    "color": "Blue",
                    "parking_spot": "3",
                    "license_plate": "KXT4821",
                    "license_plate_state": "PA",
                    "insurance_expires_date": "2027-03-31",
                }
            ]
        },
    )
    resident_id: uuid.UUID | None = Field(None, description="the owner; null for the org's own vehicle")
    make: Short | None = None
    model: Short | None = None
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    color: Short | None = None
    parking_spot: Short | None = None
    license_plate: Annotated[str, Trimmed(15)] | None = None
    license_plate_state: Annotated[str, Trimmed(2)] | None = None
    insurance_policy_number: Short | None = None
    insurance_expires_date: Within | None = None
    registration_expires_date: Within | None = None


class VehiclePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    resident_id: uuid.UUID | None
    is_org_owned: bool
    make: str | None
    model: str | None
    year: int | None
    color: str | None
    parking_spot: str | None
    insurance_expires_date: date | None
    registration_expires_date: date | None


class ReminderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    related_entity_id: uuid.UUID | None = Field(description="the vehicle")
    assigned_to_user_id: uuid.UUID | None
    status: TaskStatus
    due_at: datetime | None = Field(description="the day the insurance lapses")


def _register(s: Session, house_id: uuid.UUID, body: VehicleCreate) -> VehiclePublic:
    if body.resident_id is not None:
        meetings.house_on(s, body.resident_id, date.today(), field="resident_id")
    return VehiclePublic.model_validate(vehicles.register(s, house_id, NewVehicle(**body.model_dump())))


@router.post("/vehicles", status_code=201, response_model=VehiclePublic)
async def register_vehicle(
    _: Writer, house_id: VisibleHouse, body: VehicleCreate, db: TenantDep
) -> VehiclePublic:
    """Register a resident's vehicle (or the org's own) at the house; the plate, its state, the
    VIN and the policy number are stored encrypted."""
    return await db.run(_register, house_id, body)


def _list(
    s: Session, house_id: uuid.UUID, plate: str | None, limit: int, offset: int
) -> PageOut[VehiclePublic]:
    return PageOut[VehiclePublic].of(
        vehicles.vehicles(s, house_id, plate, limit, offset), VehiclePublic.model_validate
    )


@router.get("/vehicles", response_model=PageOut[VehiclePublic])
async def list_vehicles(
    _: Reader,
    house_id: VisibleHouse,
    db: TenantDep,
    plate: Annotated[
        str | None, Query(max_length=15, pattern=r"^[A-Za-z0-9 -]+$", description="find by plate")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[VehiclePublic]:
    """The house's vehicles, soonest insurance expiry first; `plate` finds one (any case or
    spacing)."""
    return await db.run(_list, house_id, plate, limit, offset)


def _reminders(s: Session, house_id: uuid.UUID, limit: int, offset: int) -> PageOut[ReminderPublic]:
    return PageOut[ReminderPublic].of(
        vehicles.reminders(s, house_id, limit, offset), ReminderPublic.model_validate
    )


@router.get("/vehicle-reminders", response_model=PageOut[ReminderPublic])
async def list_reminders(
    _: Reader, house_id: VisibleHouse, db: TenantDep, limit: Limit = 50, offset: Offset = 0
) -> PageOut[ReminderPublic]:
    """Insurance reminders for the house manager, soonest lapse first."""
    return await db.run(_reminders, house_id, limit, offset)
