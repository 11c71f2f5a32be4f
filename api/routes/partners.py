"""What referral partners read with their key (`availability:read`): open beds per house, as
counts with the house's gender and level of support, never a name or anything about a
resident (services/availability.py). Staff who may see the houses may read it too."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.auth import Principal
from api.deps import TenantDep, require
from core.enums import HouseGender, NarrLevel
from core.permissions import Perm
from services import availability

router = APIRouter(tags=["referral partners"])
Reader = Annotated[Principal, Depends(require(Perm.AVAILABILITY_READ))]


class HouseOpenBeds(BaseModel):
    house_id: uuid.UUID
    name: str
    gender: HouseGender
    level_of_support: NarrLevel = Field(description="NARR level I-IV")
    open_beds: int


class Availability(BaseModel):
    on: date
    houses: list[HouseOpenBeds]


@router.get("/v1/availability", response_model=Availability)
async def open_beds(
    _: Reader,
    db: TenantDep,
    gender: Annotated[HouseGender | None, Query(description="only houses for this gender")] = None,
) -> Availability:
    """Open beds per house today (UTC): a bed in service that nobody occupies, has booked or has
    been offered."""
    on = datetime.now(UTC).date()
    found = await db.run(availability.open_beds, on, gender)
    return Availability(
        on=on,
        houses=[
            HouseOpenBeds(
                house_id=h.house_id,
                name=h.name,
                gender=h.gender,
                level_of_support=h.level_of_support,
                open_beds=h.open_beds,
            )
            for h in found
        ],
    )
