"""The waitlist over HTTP: the queue in offer order, and staff moving an entry up or down it or
taking it off, with a reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Reason
from api.routes.admission.access import Manager, Reader
from core.enums import HouseGender, Priority, WaitlistStatus
from services.admission import waitlist

router = APIRouter(tags=["admissions"])


class WaitlistEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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
    return [WaitlistEntryOut.model_validate(e) for e in waitlist.queue(s, f, limit=limit, offset=offset)]


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
    return WaitlistEntryOut.model_validate(waitlist.reprioritise(s, entry_id, body.priority, body.reason))


def _remove(s: Session, entry_id: uuid.UUID, reason: str) -> WaitlistEntryOut:
    return WaitlistEntryOut.model_validate(waitlist.remove(s, entry_id, reason, datetime.now(UTC)))


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
