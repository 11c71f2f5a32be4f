"""Maintenance requests over HTTP: a house's repairs, who does them and their status."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import NUMBER, Trimmed
from api.pages import Limit, Offset, PageOut
from api.routes.operations.house_access import PlaceReader, VisibleHouse, When, Writer
from core.enums import MaintenanceStatus, Priority
from services.operations import maintenance
from services.operations.maintenance import Assignment, NewRequest

router = APIRouter(prefix="/v1/houses/{house_id}/maintenance-requests", tags=["maintenance"])
Cents = Annotated[int, Field(ge=0, le=100_000_000), NUMBER]


class RequestCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "category": "plumbing",
                    "title": "Kitchen sink drains slowly",
                    "priority": "normal",
                    "entry_permitted": True,
                }
            ]
        },
    )
    category: Annotated[str, Trimmed(50), Field(description="plumbing, electrical, hvac, appliance, pest...")]
    title: Annotated[str, Trimmed(200)]
    description: Annotated[str, Trimmed(2000)] | None = Field(
        None, description="what is wrong; no resident names"
    )
    priority: Priority = Priority.NORMAL
    room_id: uuid.UUID | None = None
    entry_permitted: StrictBool = False
    internal_notes: Annotated[str, Trimmed(2000)] | None = Field(None, description="staff only, encrypted")


class RequestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    room_id: uuid.UUID | None
    category: str
    title: str
    description: str | None
    priority: Priority
    status: MaintenanceStatus
    reported_at: datetime
    assigned_to_user_id: uuid.UUID | None
    vendor_name: str | None
    scheduled_for: datetime | None
    resolved_at: datetime | None
    estimated_cost_cents: int | None
    actual_cost_cents: int | None


class AssignmentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "vendor_name": "Ace Plumbing",
                    "scheduled_for": "2026-12-08T14:00:00Z",
                    "estimated_cost_cents": 15000,
                }
            ]
        },
    )
    assigned_to_user_id: uuid.UUID | None = None
    vendor_name: Annotated[str, Trimmed(200)] | None = None
    scheduled_for: When | None = None
    estimated_cost_cents: Cents | None = None


class StatusIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "resolved", "actual_cost_cents": 12500}]}
    )
    status: MaintenanceStatus
    actual_cost_cents: Cents | None = None


def _report(s: Session, house_id: uuid.UUID, body: RequestCreate, by: uuid.UUID | None) -> RequestPublic:
    r = maintenance.report(s, house_id, NewRequest(**body.model_dump()), by, datetime.now(UTC))
    return RequestPublic.model_validate(r)


@router.post("", status_code=201, response_model=RequestPublic)
async def report_request(
    p: Writer, house_id: VisibleHouse, body: RequestCreate, db: TenantDep
) -> RequestPublic:
    """Report a repair for the house (a room of it, optionally)."""
    return await db.run(_report, house_id, body, p.user_id)


def _list(
    s: Session, house_id: uuid.UUID, status: MaintenanceStatus | None, limit: int, offset: int
) -> PageOut[RequestPublic]:
    return PageOut[RequestPublic].of(
        maintenance.requests(s, house_id, status, limit, offset), RequestPublic.model_validate
    )


@router.get("", response_model=PageOut[RequestPublic])
async def list_requests(
    _: PlaceReader,
    house_id: VisibleHouse,
    db: TenantDep,
    status: Annotated[MaintenanceStatus | None, Query(description="only in this status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[RequestPublic]:
    """The house's repair requests, newest first."""
    return await db.run(_list, house_id, status, limit, offset)


def _assign(s: Session, house_id: uuid.UUID, rid: uuid.UUID, body: AssignmentIn) -> RequestPublic:
    return RequestPublic.model_validate(maintenance.assign(s, house_id, rid, Assignment(**body.model_dump())))


@router.post("/{maintenance_id}/assignment", response_model=RequestPublic)
async def assign_request(
    _: Writer, house_id: VisibleHouse, maintenance_id: uuid.UUID, body: AssignmentIn, db: TenantDep
) -> RequestPublic:
    """Who does it (a staff user or a vendor) and when; a reported request becomes scheduled."""
    return await db.run(_assign, house_id, maintenance_id, body)


def _status(s: Session, house_id: uuid.UUID, rid: uuid.UUID, body: StatusIn) -> RequestPublic:
    r = maintenance.set_status(s, house_id, rid, body.status, datetime.now(UTC), body.actual_cost_cents)
    return RequestPublic.model_validate(r)


@router.post("/{maintenance_id}/status", response_model=RequestPublic)
async def move_request(
    _: Writer, house_id: VisibleHouse, maintenance_id: uuid.UUID, body: StatusIn, db: TenantDep
) -> RequestPublic:
    """Move a request forward (in progress, resolved, closed); backwards is a 409 naming `status`."""
    return await db.run(_status, house_id, maintenance_id, body)
