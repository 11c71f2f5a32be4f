"""Invoices: one invoice with its lines, what it still owes, who owes which share, and the
resident's payment link."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Day
from api.routes.billing.deps import Reader
from core.enums import InvoiceStatus, LineItemType, PayerType
from services.billing import accounts, invoices, links, payers

router = APIRouter(prefix="/v1/billing", tags=["billing"])


class LinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    line_type: LineItemType
    quantity: Decimal
    unit_amount_cents: int
    amount_cents: int


class AllocationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    # None: the resident themself.
    payer_config_id: uuid.UUID | None
    payer_type: PayerType | None
    amount_cents: int
    paid_cents: int


class InvoicePublic(BaseModel):
    id: uuid.UUID
    number: str
    resident_id: uuid.UUID
    house_id: uuid.UUID | None
    status: InvoiceStatus
    period_start: Day
    period_end: Day
    due_date: Day
    total_cents: int
    outstanding_cents: int
    lines: list[LinePublic]
    # Who owes what, when payers share the resident's charges (empty: the resident alone).
    allocations: list[AllocationPublic] = []
    # For open invoices: the resident's payment page, signed and expiring.
    payment_link: str | None = None


def _invoice(s: Session, invoice_id: uuid.UUID) -> InvoicePublic:
    inv = invoices.get_invoice(s, invoice_id)
    return InvoicePublic(
        id=inv.id,
        number=inv.number,
        resident_id=inv.resident_id,
        house_id=inv.house_id,
        status=inv.status,
        period_start=inv.period_start_date,
        period_end=inv.period_end_date,
        due_date=inv.due_date,
        total_cents=inv.total_cents,
        outstanding_cents=accounts.invoice_outstanding(s, inv.id),
        lines=[LinePublic.model_validate(x) for x in inv.line_items],
        allocations=[AllocationPublic.model_validate(a) for a in payers.allocations(s, inv.id)],
    )


def _with_link(s: Session, invoice_id: uuid.UUID, base_url: str) -> InvoicePublic:
    inv = _invoice(s, invoice_id)
    if inv.status in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID):
        inv.payment_link = links.payment_link_url(
            base_url, s.info["actor"]["org_id"], inv.id, datetime.now(UTC)
        )
    return inv


@router.get("/invoices/{invoice_id}", response_model=InvoicePublic)
async def get_invoice(invoice_id: uuid.UUID, _: Reader, db: TenantDep, request: Request) -> InvoicePublic:
    """One invoice with its lines, what it still owes (from its ledger lines) and the resident's
    payment link."""
    return await db.run(_with_link, invoice_id, str(request.base_url))
