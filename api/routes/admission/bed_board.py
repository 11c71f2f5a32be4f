"""The live bed board over HTTP: every bed per house with who holds it on a day, and vacancy
counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from api.deps import TenantDep
from api.fields import Day
from api.routes.admission.access import BoardReader
from core.enums import HouseGender
from services import bed_board
from services.housing import BoardFilter, BoardStatus

router = APIRouter(tags=["admissions"])


class BoardBedOut(BaseModel):
    bed_id: uuid.UUID = Field(description="the bed")
    label: str = Field(description="the bed's label")
    room: str = Field(description="the room's name")
    status: BoardStatus = Field(description="occupied, reserved, offered, out_of_service or free")
    since: Day | None = Field(description="when the current status began")
    resident_id: uuid.UUID | None = Field(description="who sleeps there on the day")
    occupant: str | None = Field(description="first name and last initial only")
    next_resident_id: uuid.UUID | None = Field(description="who holds the bed next (a reservation)")
    next_from: Day | None = Field(description="from when they hold it")


class BoardHouseOut(BaseModel):
    house_id: uuid.UUID = Field(description="the house")
    name: str = Field(description="the house's name")
    property_id: uuid.UUID = Field(description="the property it belongs to")
    vacant: int = Field(description="free beds on the day")
    beds: list[BoardBedOut] = Field(description="its beds, by room and label")


class BoardOut(BaseModel):
    on: Day = Field(description="the day the board shows")
    vacancies_by_property: dict[uuid.UUID, int] = Field(description="free beds per property")
    houses: list[BoardHouseOut] = Field(description="houses the caller may see, matching the filters")


@router.get("/v1/beds/board", response_model=BoardOut)
async def board(
    _: BoardReader,
    db: TenantDep,
    on: Annotated[Day | None, Query(description="the day to show; today when omitted")] = None,
    property_id: Annotated[uuid.UUID | None, Query(description="only this property's houses")] = None,
    house_id: Annotated[uuid.UUID | None, Query(description="only this house")] = None,
    gender: Annotated[HouseGender | None, Query(description="only houses of this designation")] = None,
    status: Annotated[BoardStatus | None, Query(description="only beds in this state")] = None,
) -> Response:
    """Every bed per house with who holds it today (or `on`), and vacancy counts (of all beds,
    whatever `status` lists). Served from PostgreSQL's copy of the board when nothing on it
    changed since it was built (services/bed_board.py); the JSON is `BoardOut`, written
    without re-validating 2,000 beds."""
    only = BoardFilter(property_id, house_id, gender, status)
    content = await db.run(bed_board.board_json, on or datetime.now(UTC).date(), only)
    return Response(content, media_type="application/json")
