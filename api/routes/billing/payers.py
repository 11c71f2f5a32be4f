"""Payers: who shares a resident's charges (family, court program, agency...) and how."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Day, Trimmed
from api.processes import IdempotencyKeyHeader
from api.routes.billing.deps import Cents, Reader, Writer
from core.enums import PayerType
from services import idempotency
from services.billing import payers
from services.billing.payers import NewPayer
from workflows.billing import BILLING

router = APIRouter(prefix="/v1/billing", tags=["billing"])


class PayerIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "payer_type": "family",
                    "share_percent": "50",
                    "effective_from": "2027-01-01",
                    "contact_name": "Rosa Alvarez",
                }
            ]
        },
    )
    payer_type: PayerType
    # Exactly one: a share of each invoice in percent (two decimals), or a fixed amount.
    share_percent: Annotated[Decimal, Field(gt=0, le=100, decimal_places=2)] | None = None
    fixed_cents: Cents | None = None
    # A cap per invoice.
    max_cents: Cents | None = None
    effective_from: Day | None = None
    effective_to: Day | None = None
    organization_name: Annotated[str, Trimmed(200)] | None = None
    contact_name: Annotated[str, Trimmed(200)] | None = None


class PayerPublic(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID | None
    payer_type: PayerType
    share_percent: Decimal | None
    fixed_cents: int | None
    max_cents: int | None
    effective_from: Day | None
    effective_to: Day | None
    organization_name: str | None


def _payer_public(c: Any) -> PayerPublic:
    return PayerPublic(
        id=c.id,
        resident_id=c.resident_id,
        payer_type=c.payer_type,
        share_percent=None if c.fixed_amount_cents is not None else c.split_percentage,
        fixed_cents=c.fixed_amount_cents,
        max_cents=c.max_amount_cents,
        effective_from=c.effective_from_date,
        effective_to=c.effective_to_date,
        organization_name=c.organization_name,
    )


def _create_payer(s: Session, payer_id: uuid.UUID, data: NewPayer) -> PayerPublic:
    return _payer_public(payers.create_payer(s, payer_id, data))


def _payers(s: Session, resident_id: uuid.UUID) -> list[PayerPublic]:
    return [_payer_public(c) for c in payers.payers_of(s, resident_id)]


@router.post("/residents/{resident_id}/payers", status_code=201, response_model=PayerPublic)
async def add_payer(
    resident_id: uuid.UUID,
    body: PayerIn,
    p: Writer,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> PayerPublic:
    """A payer of a share of this resident's charges (family, court program, agency...). Rent
    invoices split among the payers in force on the period's first day: fixed amounts first,
    then each percentage rounded down to the cent; the rest (and every rounding cent) is the
    resident's. Shares above 100% in total are refused naming `share_percent`."""
    payer_id, replayed = uuid.uuid4(), False
    if idempotency_key is not None:
        digest = idempotency.request_digest({"resident_id": str(resident_id), **body.model_dump(mode="json")})
        payer_id, replayed = await db.run(
            idempotency.claim, f"{BILLING.name}-payer", idempotency_key, digest, payer_id, p.user_id
        )
    if replayed:
        response.status_code = 200
    data = NewPayer(
        resident_id,
        body.payer_type,
        body.share_percent,
        body.fixed_cents,
        body.max_cents,
        body.effective_from,
        body.effective_to,
        body.organization_name,
        body.contact_name,
    )
    return await db.run(_create_payer, payer_id, data)


@router.get("/residents/{resident_id}/payers", response_model=list[PayerPublic])
async def list_payers(resident_id: uuid.UUID, _: Reader, db: TenantDep) -> list[PayerPublic]:
    """Who pays a share of the resident's charges (family, court program, agency ...); 404 for a
    resident the caller cannot see."""
    return await db.run(_payers, resident_id)
