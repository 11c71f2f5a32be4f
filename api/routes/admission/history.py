"""The journey's records over HTTP: the bed transfers and discharges the caller may see,
filtered, sorted and paged."""

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
from api.routes.admission.access import Reader
from core.contracts.admission import DischargeKind
from core.enums import DischargeReason
from services.admission import lists
from services.admission.lists import (
    DischargeFilter,
    DischargeSort,
    TransferFilter,
    TransferSort,
    TransferState,
)

router = APIRouter(tags=["admissions"])


class TransferPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="the transfer's id")
    resident_id: uuid.UUID = Field(description="who moves")
    admission_id: uuid.UUID = Field(description="the stay it belongs to")
    from_bed_id: uuid.UUID = Field(description="the bed left")
    to_bed_id: uuid.UUID = Field(description="the bed moved to")
    from_house_id: uuid.UUID = Field(description="the house left")
    to_house_id: uuid.UUID = Field(description="the house moved to (the same for a move within a house)")
    effective_at: datetime = Field(description="when the move takes effect")
    completed_at: datetime | None = Field(description="when the resident moved; null until then")
    cancelled_at: datetime | None = Field(description="when it was cancelled (e.g. by a discharge)")
    requested_by_user_id: uuid.UUID | None = Field(description="who asked for it")
    new_weekly_rate_cents: int | None = Field(description="the new weekly rent in cents; null: unchanged")


def _transfers(
    s: Session, f: TransferFilter, sort: TransferSort, limit: int, offset: int
) -> PageOut[TransferPublic]:
    return PageOut[TransferPublic].of(
        lists.list_transfers(s, f, sort, limit, offset), TransferPublic.model_validate
    )


@router.get("/v1/transfers", response_model=PageOut[TransferPublic])
async def list_transfers(
    _: Reader,
    db: TenantDep,
    resident_id: Annotated[uuid.UUID | None, Query(description="only this resident's moves")] = None,
    admission_id: Annotated[uuid.UUID | None, Query(description="only moves within this stay")] = None,
    house_id: Annotated[uuid.UUID | None, Query(description="only moves into or out of this house")] = None,
    state: Annotated[TransferState | None, Query(description="pending, completed or cancelled")] = None,
    effective_from: Annotated[Day | None, Query(description="effective on or after this day")] = None,
    effective_to: Annotated[Day | None, Query(description="effective on or before this day")] = None,
    sort: Annotated[
        TransferSort, Query(description="order; `-` for descending")
    ] = TransferSort.EFFECTIVE_AT_DESC,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[TransferPublic]:
    """Bed transfers the caller may see (a house manager: moves into or out of their houses)."""
    f = TransferFilter(resident_id, admission_id, house_id, state, effective_from, effective_to)
    return await db.run(_transfers, f, sort, limit, offset)


class DischargePublic(BaseModel):
    """How a stay ended. The narrative fields (details, summary, aftercare) stay out of lists."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="the discharge's id")
    resident_id: uuid.UUID = Field(description="who left")
    admission_id: uuid.UUID = Field(description="the stay that ended")
    house_id: uuid.UUID = Field(description="the house left")
    bed_id: uuid.UUID | None = Field(description="the bed freed")
    discharged_at: datetime = Field(description="when it took effect")
    reason: DischargeReason = Field(description="the reporting category")
    kind: DischargeKind | None = Field(
        description="planned, voluntary, administrative or left_without_notice"
    )
    is_planned: bool = Field(description="true for a planned discharge")
    eligible_for_readmission: bool = Field(description="whether the person may apply again")
    discharged_by_user_id: uuid.UUID | None = Field(description="who discharged; null: the workflow")


def _discharges(
    s: Session, f: DischargeFilter, sort: DischargeSort, limit: int, offset: int
) -> PageOut[DischargePublic]:
    return PageOut[DischargePublic].of(
        lists.list_discharges(s, f, sort, limit, offset), DischargePublic.model_validate
    )


@router.get("/v1/discharges", response_model=PageOut[DischargePublic])
async def list_discharges(
    _: Reader,
    db: TenantDep,
    resident_id: Annotated[uuid.UUID | None, Query(description="only this resident's discharges")] = None,
    house_id: Annotated[uuid.UUID | None, Query(description="only discharges from this house")] = None,
    reason: Annotated[DischargeReason | None, Query(description="only this reporting category")] = None,
    kind: Annotated[DischargeKind | None, Query(description="only this kind")] = None,
    discharged_from: Annotated[Day | None, Query(description="on or after this day")] = None,
    discharged_to: Annotated[Day | None, Query(description="on or before this day")] = None,
    sort: Annotated[
        DischargeSort, Query(description="order; `-` for descending")
    ] = DischargeSort.DISCHARGED_AT_DESC,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[DischargePublic]:
    """Discharges the caller may see, newest first unless `sort` says otherwise."""
    f = DischargeFilter(resident_id, house_id, reason, kind, discharged_from, discharged_to)
    return await db.run(_discharges, f, sort, limit, offset)
