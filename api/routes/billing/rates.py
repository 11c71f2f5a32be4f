"""Rates: a price for one house, room or bed per line type, over a date range."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import NUMBER, Day, Trimmed
from api.processes import IdempotencyKeyHeader, ProcessesDep
from api.routes.billing.deps import Writer
from core.enums import BillingFrequency, LineItemType
from services.billing import rates
from services.billing.rates import NewRate
from workflows.billing import BILLING

router = APIRouter(prefix="/v1/billing", tags=["billing"])


class RateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Standard rent",
                    "amount_cents": 90000,
                    "billing_frequency": "monthly",
                    "effective_from": "2027-01-01",
                    "line_type": "rent",
                    "house_id": "0b1d1c9e-2f7a-4a8e-8a57-0c5f7e1d2b33",
                }
            ]
        },
    )
    name: Annotated[str, Trimmed(100)]
    amount_cents: Annotated[int, Field(ge=0, le=100_000_000), NUMBER]
    billing_frequency: BillingFrequency
    effective_from: Day
    effective_to: Day | None = None
    line_type: Literal[
        LineItemType.RENT, LineItemType.PROGRAM_FEE, LineItemType.DRUG_TEST_FEE, LineItemType.DEPOSIT
    ] = LineItemType.RENT
    house_id: uuid.UUID | None = None
    room_id: uuid.UUID | None = None
    bed_id: uuid.UUID | None = None


class RatePublic(BaseModel):
    id: uuid.UUID
    name: str
    amount_cents: int
    billing_frequency: BillingFrequency
    line_type: LineItemType
    effective_from: Day
    effective_to: Day | None
    house_id: uuid.UUID | None
    room_id: uuid.UUID | None
    bed_id: uuid.UUID | None


def _rate(s: Session, rate_id: uuid.UUID, data: NewRate) -> RatePublic:
    r = rates.create_rate(s, rate_id, data)
    return RatePublic(
        id=r.id,
        name=r.name,
        amount_cents=r.amount_cents,
        billing_frequency=r.billing_frequency,
        line_type=r.line_type,
        effective_from=r.effective_from_date,
        effective_to=r.effective_to_date,
        house_id=r.house_id,
        room_id=r.room_id,
        bed_id=r.bed_id,
    )


@router.post("/rates", status_code=201, response_model=RatePublic)
async def create_rate(
    body: RateCreate,
    _: Writer,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> RatePublic:
    """A rate for one house, room or bed; 409 when it overlaps one of the same line type."""
    rate_id, replayed = await processes.claim(BILLING, idempotency_key, body)
    data = NewRate(
        name=body.name,
        amount_cents=body.amount_cents,
        billing_frequency=body.billing_frequency,
        effective_from=body.effective_from,
        effective_to=body.effective_to,
        line_type=body.line_type,
        house_id=body.house_id,
        room_id=body.room_id,
        bed_id=body.bed_id,
    )
    if replayed:
        response.status_code = 200
    return await db.run(_rate, rate_id, data)
