"""Residents over HTTP: the list the caller may see, and one resident's record."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Day
from api.pages import Limit, Offset, PageOut
from api.routes.admission.access import ResidentReader
from core.enums import HouseGender, ResidentStatus
from services import residents
from services.admission import lists
from services.admission.lists import ResidentFilter, ResidentSort

router = APIRouter(tags=["admissions"])


class ResidentPublic(BaseModel):
    """A resident's record as the journey screens show it: identity and placement, not the
    clinical fields (those have their own, audited, routes)."""

    model_config = ConfigDict(from_attributes=True)

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


def _residents(
    s: Session, f: ResidentFilter, sort: ResidentSort, limit: int, offset: int
) -> PageOut[ResidentPublic]:
    return PageOut[ResidentPublic].of(
        lists.list_residents(s, f, sort, limit, offset), ResidentPublic.model_validate
    )


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
    return ResidentPublic.model_validate(residents.get_resident(s, resident_id))


@router.get("/v1/residents/{resident_id}", response_model=ResidentPublic, tags=["residents"])
async def get_resident(resident_id: uuid.UUID, _: ResidentReader, db: TenantDep) -> ResidentPublic:
    """One resident; 404 when another org's, outside the caller's houses, or (for a resident)
    anyone but themself."""
    return await db.run(_resident, resident_id)
